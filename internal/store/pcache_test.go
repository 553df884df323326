package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

// TestPageCacheKeepsItsHighestPageNumber inserts rows in random key order,
// so that B-tree pages split and SQLite swaps page numbers through its
// temporary one, and checks inside the transaction, before the commit's
// truncate, that no page cache of the connection believes it holds a page
// that high (without pcacheRekey it holds 262,145 and the commit walks the
// whole cache). After the commit every row is there and the database is
// sound.
func TestPageCacheKeepsItsHighestPageNumber(t *testing.T) {
	if !pageCacheKeys.installed {
		t.Fatal("kefu's page cache wrapper is not installed: SQLite was initialised before the store package")
	}
	before := pageCaches()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "swap.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE swap (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	var mine []uintptr
	for p := range pageCaches() {
		if !before[p] {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		t.Fatal("opening a database created no page cache")
	}

	moved := pageCacheKeys.moved.Load()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 4000
	value := make([]byte, 300)
	for range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO swap (k, v) VALUES (?, ?)`, hex.EncodeToString(value[:16]), value); err != nil {
			t.Fatal(err)
		}
		rand.Read(value)
	}
	if pageCacheKeys.moved.Load() == moved {
		t.Fatal("no page was swapped through the temporary page number: the test does not exercise the wrapper")
	}
	for _, p := range mine {
		c := cmem[sqlite3.TPCache1](p)
		temporary, _ := pageCacheKeys.temporary.Load(p)
		if c.FiMaxKey >= temporary.(uint32) {
			t.Errorf("a page cache's highest page number is %d, at or past the temporary %d", c.FiMaxKey, temporary)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM swap`).Scan(&n); err != nil || n != rows {
		t.Fatalf("after the commit: %d rows, %v; want %d", n, err, rows)
	}
	var ok string
	if err := conn.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
}

func pageCaches() map[uintptr]bool {
	caches := map[uintptr]bool{}
	pageCacheKeys.temporary.Range(func(p, _ any) bool {
		caches[p.(uintptr)] = true
		return true
	})
	return caches
}

// TestPageCacheSizes: the writer keeps its large cache, every reader a
// small one (writerCacheKiB, readerCacheKiB). With the writer's size on
// the readers too, a large database under a read load held 752 MiB.
func TestPageCacheSizes(t *testing.T) {
	s, err := Open(context.Background(), Options{DSN: filepath.Join(t.TempDir(), "kefu.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var w int
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&w); err != nil || w != -writerCacheKiB {
		t.Fatalf("writer cache_size %d (%v), want %d", w, err, -writerCacheKiB)
	}
	// Every connection of the read pool: hold them all at once.
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range sqliteReaders() {
		c, err := s.rdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var r int
		if err := c.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&r); err != nil || r != -readerCacheKiB {
			t.Fatalf("reader %d cache_size %d (%v), want %d", len(conns), r, err, -readerCacheKiB)
		}
	}
}
