package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestWALVFSGathersACommitsFrames checks that the writer's commits reach
// the WAL in few large writes, that readers see every committed row whole,
// that a transaction larger than the gathering buffer is written right,
// and that a commit leaves the WAL's fsync to walSyncer while a
// checkpoint's sync reaches the disk.
func TestWALVFSGathersACommitsFrames(t *testing.T) {
	s, ctx := probeStore(t)
	write := func(first, rows, size int) {
		t.Helper()
		err := s.Write(ctx, func(tx *Tx) error {
			for i := first; i < first+rows; i++ {
				if _, err := tx.exec(`INSERT INTO walvfs_probe (id, body) VALUES ($1, $2)`, i, body(i, size)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func(rows, size int) { t.Helper(); checkProbe(t, s, rows, size) }

	// One commit of ~200 pages: SQLite writes each frame's header and page
	// separately, about 400 writes; the VFS makes a handful of them.
	gathered, written, held := walStats.gathered.Load(), walStats.written.Load(), walStats.held.Load()
	write(0, 200, 3000)
	g, w := walStats.gathered.Load()-gathered, walStats.written.Load()-written
	t.Logf("gathered %d, written %d", g, w)
	if g < 400 {
		t.Fatalf("the VFS gathered %d writes of a 200-page commit, want 400 or more: is the writer opened through it?", g)
	}
	if w == 0 || w > g/20 {
		t.Fatalf("the VFS made %d writes of %d gathered, want at most %d", w, g, g/20)
	}
	if walStats.held.Load() == held {
		t.Fatal("the commit's sync of the WAL was not left to walSyncer")
	}
	check(200, 3000)

	// A transaction of 24 MB, three times the gathering buffer.
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM walvfs_probe`); err != nil {
		t.Fatal(err)
	}
	write(0, 3000, 8000)
	check(3000, 8000)

	// A checkpoint on the writer's connection syncs the WAL for real. (The
	// background checkpoint may copy the frames first, leaving this one
	// nothing to do, or still be copying the 24 MB above, leaving this one
	// busy, for seconds under the race detector: then write and try again.)
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		synced := walStats.synced.Load()
		write(10000+attempt*10, 10, 3000)
		var busy, frames, copied int
		if err := s.wdb.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		if walStats.synced.Load() > synced {
			if attempt > 0 {
				t.Logf("the checkpoint synced the WAL at attempt %d", attempt+1)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a checkpoint's sync of the WAL did not reach the disk in %d attempts (the last: busy %d, %d frames, %d copied)", attempt+1, busy, frames, copied)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM walvfs_probe WHERE id >= 10000`).Scan(&n); err != nil || n < 10 {
		t.Fatalf("after the checkpoint a reader sees %d of the last rows, %v", n, err)
	}
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM walvfs_probe WHERE id >= 10000`); err != nil {
		t.Fatal(err)
	}
	check(3000, 8000)
}

// probeStore opens a SQLite store, closed at the test's end, with a table
// walvfs_probe to write rows of known bytes into.
func probeStore(t *testing.T) (*Store, context.Context) {
	t.Helper()
	s, _ := openSQLite(t)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.wdb.ExecContext(ctx, `CREATE TABLE walvfs_probe (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s, ctx
}

// body is row i's content in walvfs_probe: n bytes of i.
func body(i, n int) []byte { return bytes.Repeat([]byte{byte(i)}, n) }

// checkProbe reads walvfs_probe through a reader: rows rows, each whole
// (every body of size bytes, as written), and the database intact.
func checkProbe(t *testing.T, s *Store, rows, size int) {
	t.Helper()
	ctx := context.Background()
	var n, bad int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE length(body) <> $1) FROM walvfs_probe`, size).Scan(&n, &bad); err != nil {
		t.Fatal(err)
	}
	if n != rows || bad != 0 {
		t.Fatalf("a reader sees %d rows (%d of the wrong length), want %d whole", n, bad, rows)
	}
	rs, err := s.rdb.QueryContext(ctx, `SELECT id, body FROM walvfs_probe`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var id int
		var b []byte
		if err := rs.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, body(id, size)) {
			t.Fatalf("row %d reads back different bytes", id)
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	var ok string
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
}

// writerConns takes both connections of the writer's pool (the store's
// writer is idle in these tests), closed at the test's end.
func writerConns(t *testing.T, s *Store) (a, b *sql.Conn) {
	t.Helper()
	ctx := context.Background()
	a, err := s.wdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err = s.wdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// spillSoon gives c a page cache of 10 pages, so that a transaction on it
// spills pages into the WAL before it commits; the cache is restored at
// the test's end.
func spillSoon(t *testing.T, c *sql.Conn) {
	t.Helper()
	if _, err := c.ExecContext(context.Background(), `PRAGMA cache_size = 10`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.ExecContext(context.Background(), `PRAGMA cache_size = -65536`) })
}

// beginProbe begins a transaction on c and inserts rows first… of size
// bytes each into walvfs_probe.
func beginProbe(t *testing.T, c *sql.Conn, first, rows, size int) *sql.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i < first+rows; i++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO walvfs_probe (id, body) VALUES ($1, $2)`, i, body(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}

// TestWALVFSDropsRolledBackFrames: a transaction on one of the writer's
// connections spills pages into the WAL (gathered, not yet written) and
// rolls back; the other connection commits frames where those would have
// gone; the first is used again. Had the rolled-back bytes been kept, they
// would now be written over the committed frames ("file is not a
// database"); they must be dropped when the write lock is released.
func TestWALVFSDropsRolledBackFrames(t *testing.T) {
	s, ctx := probeStore(t)
	a, b := writerConns(t, s)
	spillSoon(t, a)

	gathered, dropped := walStats.gathered.Load(), walStats.dropped.Load()
	txA := beginProbe(t, a, 5000, 300, 3000)
	if walStats.gathered.Load() == gathered {
		t.Fatal("the transaction spilled nothing into the WAL: nothing is tested")
	}
	if err := txA.Rollback(); err != nil {
		t.Fatal(err)
	}
	if walStats.dropped.Load() == dropped {
		t.Fatal("the rolled-back transaction's gathered bytes were not dropped")
	}

	txB := beginProbe(t, b, 0, 100, 2000)
	if err := txB.Commit(); err != nil {
		t.Fatal(err)
	}

	var n int
	if err := a.QueryRowContext(ctx, `SELECT COUNT(*) FROM walvfs_probe`).Scan(&n); err != nil || n != 100 {
		t.Fatalf("the first connection counts %d rows, %v; want 100", n, err)
	}
	if _, err := a.ExecContext(ctx, `INSERT INTO walvfs_probe (id, body) VALUES (100, $1)`, body(100, 2000)); err != nil {
		t.Fatal(err)
	}
	checkProbe(t, s, 101, 2000)
}

// TestWALVFSSpillRereadUpdate: a transaction spills into the WAL, reads
// its spilled pages back and changes them (SQLite then rewrites frames of
// the transaction in place and re-reads them for their checksums), and
// commits; the other writer connection goes on after it.
func TestWALVFSSpillRereadUpdate(t *testing.T) {
	s, ctx := probeStore(t)
	a, b := writerConns(t, s)
	spillSoon(t, a)
	tx := beginProbe(t, a, 0, 300, 3000)
	var sum int
	if err := tx.QueryRowContext(ctx, `SELECT sum(length(body)) FROM walvfs_probe`).Scan(&sum); err != nil || sum != 300*3000 {
		t.Fatalf("inside the transaction: %d bytes, %v; want %d", sum, err, 300*3000)
	}
	for i := range 300 {
		if _, err := tx.ExecContext(ctx, `UPDATE walvfs_probe SET body = $2 WHERE id = $1`, i, body(i, 2500)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	checkProbe(t, s, 300, 2500)
	if _, err := b.ExecContext(ctx, `INSERT INTO walvfs_probe (id, body) VALUES (300, $1)`, body(300, 2500)); err != nil {
		t.Fatal(err)
	}
	checkProbe(t, s, 301, 2500)
}

// TestWALVFSCommitWithoutSync: should a writer connection commit without
// syncing the WAL (its synchronous level changed), its frames are still
// written before the commit is published.
func TestWALVFSCommitWithoutSync(t *testing.T) {
	s, ctx := probeStore(t)
	a, _ := writerConns(t, s)
	if _, err := a.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		t.Fatal(err)
	}
	defer a.ExecContext(ctx, `PRAGMA synchronous = FULL`)
	tx := beginProbe(t, a, 0, 100, 2000)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	checkProbe(t, s, 100, 2000)
}

// TestWALVFSReopensCleanly closes a store whose writer wrote through the
// VFS and opens it again: every committed row is there.
func TestWALVFSReopensCleanly(t *testing.T) {
	s, dir := openSQLite(t)
	for i := range 20 {
		if err := createTenant(s, fmt.Sprintf("vfs-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+dir+"/kefu.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM tenants WHERE slug LIKE 'vfs-%'`).Scan(&n); err != nil || n != 20 {
		t.Fatalf("after reopening: %d tenants, %v; want 20", n, err)
	}
}

// TestBackupWhileWriting takes an online backup (VACUUM INTO, on the
// writer's connections, so through walVFS) while writes go on: the copy
// opens, passes integrity_check and holds every write acknowledged before
// the backup began.
func TestBackupWhileWriting(t *testing.T) {
	s, dir := openSQLite(t)
	defer s.Close()
	ctx := context.Background()
	for i := range 50 {
		if err := createTenant(s, fmt.Sprintf("before-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for i := range 200 {
			if err := createTenant(s, fmt.Sprintf("during-%d", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	path := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("the backup's integrity_check: %q, %v", ok, err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM tenants WHERE slug LIKE 'before-%'`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("the backup holds %d of the 50 tenants written before it, %v", n, err)
	}
}
