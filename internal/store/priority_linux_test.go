package store

import (
	"syscall"
	"testing"
	"time"
)

// TestCheckpointsRunAtLowerPriority: the background checkpoint's thread
// runs at niceness backgroundNice, the rest of the process at its own.
func TestCheckpointsRunAtLowerPriority(t *testing.T) {
	s, _ := openSQLite(t)
	defer s.Close()
	var tid int
	for deadline := time.Now().Add(5 * time.Second); tid == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer did not start")
		}
		tid = int(s.checkpoints.tid.Load())
	}
	// The raw getpriority system call answers 20 - nice.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		t.Fatal(err)
	}
	self, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := 20-p, min(20-self+backgroundNice, 19); got != want {
		t.Fatalf("the checkpoint thread's niceness is %d, want %d (the test's thread: %d)", got, want, 20-self)
	}
}
