package store

import (
	"os"
	"syscall"
)

// syncData makes a file's written pages durable with fdatasync, as
// PostgreSQL does with its WAL on Linux (wal_sync_method=fdatasync, the
// default there): it skips the timestamps, but not a size or block change
// needed to read the data back. On ext4 an fsync also commits the journal,
// where it queues behind the checkpoint's sync of the database file; once
// the WAL is rewritten in place (after it starts over, see checkpointer),
// fdatasync has no metadata to wait for (docs/benchmarks.md: routing p99
// median 22.9 ms against 24.7).
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
