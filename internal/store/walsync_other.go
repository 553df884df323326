//go:build !linux

package store

import "os"

// syncData makes a file's written pages durable (the WAL, kefu.db after a
// checkpoint). Outside Linux it is a full fsync (F_FULLFSYNC on macOS,
// FlushFileBuffers on Windows).
func syncData(f *os.File) error { return f.Sync() }
