//go:build !linux

package store

// runInBackground: outside Linux the background work keeps the default
// priority (a thread's priority is not set this way there).
func runInBackground() int { return 0 }
