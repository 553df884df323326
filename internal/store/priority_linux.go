package store

import (
	"runtime"
	"syscall"
)

// backgroundNice is the scheduling niceness of kefu's background database
// work (the checkpoint): on a busy machine requests and the writer go first.
const backgroundNice = 10

// runInBackground locks the calling goroutine to its thread for good and
// makes that thread backgroundNice nicer than it was; the thread ends with
// the goroutine. It returns the thread's id. Best effort: where the
// priority cannot be read or set, it stays as it was.
func runInBackground() int {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil { // the raw call answers 20 - nice
		syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-p+backgroundNice, 19))
	}
	return tid
}
