package store

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// slicedStore is a SQLite store holding walvfs_probe with rows rows of
// size bytes, and a checkpointer of the test's own beside the store's (on
// the same connection, with its own descriptor of the database file, which
// stays open until the store is closed: closing a descriptor drops the
// process's locks on the file). done closes both.
func slicedStore(t *testing.T, rows, size int) (s *Store, c *checkpointer, done func()) {
	t.Helper()
	s, _ = openSQLite(t)
	ctx := context.Background()
	if _, err := s.wdb.ExecContext(ctx, `CREATE TABLE walvfs_probe (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for i := range rows {
			if _, err := tx.exec(`INSERT INTO walvfs_probe (id, body) VALUES ($1, $2)`, i, body(i, size)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	c = &checkpointer{db: s.checkpoints.db, dbPath: s.path, dbFile: f, halted: s.walSync.err, fail: s.walSync.fail}
	return s, c, func() { s.Close(); f.Close() }
}

// A checkpoint hands the database file's pages to the disk a slice at a
// time while it copies them, and the database reads back whole.
func TestCheckpointWritesBackInSlices(t *testing.T) {
	const rows, size = 800, 8000 // 6.4 MB: a dozen slices
	slices, written := ckptStats.slices.Load(), ckptStats.bytes.Load()
	s, c, done := slicedStore(t, rows, size)
	defer done()
	// The store's own checkpointer may copy the pages first; either way a
	// pass went through ckptVFS.
	if !c.pass() {
		t.Fatal("the checkpointer stopped")
	}
	n, b := ckptStats.slices.Load()-slices, ckptStats.bytes.Load()-written
	t.Logf("%d slices, %d bytes written back", n, b)
	if b < rows*size*3/4 || n < b/ckptSlice {
		t.Fatalf("a checkpoint of %d MB wrote back %d bytes in %d slices, want %d MB or more in slices of %d KB: is the checkpoints' connection opened through ckptVFS?",
			rows*size>>20, b, n, rows*size*3/4>>20, ckptSlice>>10)
	}
	checkProbe(t, s, rows, size)
}

// A slice that fails to reach the disk fails the checkpoint, and writes
// stop, as after a failed sync: the kernel tells of a failed writeback
// once, so the checkpoint's sync might not. A file system that cannot write
// a range back is no failure: the checkpoint goes on as SQLite's own.
func TestCheckpointSliceFailure(t *testing.T) {
	defer ckptWriteBackFault.Store(nil)
	for _, tc := range []struct {
		name  string
		err   error
		stops bool
	}{
		{"disk error", syscall.EIO, true},
		{"range writeback not supported", syscall.EINVAL, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ckptWriteBackFault.Store(nil)
			const rows, size = 200, 8000
			s, c, done := slicedStore(t, rows, size)
			defer done()
			ckptWriteBackFault.Store(&tc.err)
			// The store's checkpointer may meet the failure first: the same.
			c.pass()
			err := createTenant(s, "after")
			switch {
			case tc.stops && err == nil:
				t.Fatal("a write after a failed writeback of the checkpoint was accepted")
			case tc.stops && kefu.KindOf(err) != kefu.KindInternal:
				t.Fatalf("got %v, want an internal error", err)
			case !tc.stops && err != nil:
				t.Fatalf("a file system without range writeback stopped writes: %v", err)
			}
			if !tc.stops {
				checkProbe(t, s, rows, size)
			}
		})
	}
}
