//go:build !linux

package store

// checkpointVFS: writing back a range of a file as it is written
// (sync_file_range) is Linux's; elsewhere the checkpoint's connection uses
// SQLite's own VFS and the disk gets the pages at the sync.
func checkpointVFS() (string, error) { return "", nil }
