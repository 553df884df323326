//go:build !linux

package store

import "os"

// syncData makes the WAL's written pages durable. Outside Linux it is a full
// fsync (F_FULLFSYNC on macOS, FlushFileBuffers on Windows).
func syncData(f *os.File) error { return f.Sync() }
