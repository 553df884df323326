package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// A write on SQLite is acknowledged only after walSyncer has synced the WAL
// it went into; when that sync fails, the write's caller is told, and every
// later write is refused (and readiness fails) until kefu restarts, because
// after a failed fsync nobody knows what is on disk.
func TestFailedWALSyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{DSN: filepath.Join(dir, "kefu.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.walSync == nil {
		t.Fatal("SQLite store has no WAL syncer")
	}
	tenant := func(slug string) error {
		_, err := s.CreateTenant(ctx, System, NewTenant{Tenant: kefu.Tenant{Slug: slug, Name: slug}})
		return err
	}
	if err := tenant("before"); err != nil {
		t.Fatalf("write with a working sync: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "kefu.db-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("the write is not in the WAL: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ready before the failure: %v", err)
	}

	// The next sync cannot open the WAL: it fails like a disk error would.
	s.walSync.mu.Lock()
	s.walSync.path = filepath.Join(dir, "missing", "kefu.db-wal")
	if s.walSync.f != nil {
		s.walSync.f.Close()
		s.walSync.f = nil
	}
	s.walSync.mu.Unlock()

	err = tenant("during")
	if err == nil {
		t.Fatal("a write whose sync failed was acknowledged")
	}
	if kefu.KindOf(err) != kefu.KindInternal {
		t.Fatalf("failed sync: got %v, want an internal error", err)
	}
	if err := tenant("after"); err == nil {
		t.Fatal("a write after a failed sync was accepted")
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE slug = 'after'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the refused write ran: %d rows, %v", n, err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("the store reports ready after a failed sync")
	}
}

// The writer runs ahead of the fsync, but no request is answered before
// the fsync of the WAL holding its write has returned.
func TestWriteAnsweredOnlyAfterWALSync(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DSN: filepath.Join(t.TempDir(), "kefu.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.walSync.mu.Lock() // the syncer cannot sync until this is released
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateTenant(ctx, System, NewTenant{Tenant: kefu.Tenant{Slug: "held", Name: "held"}})
		done <- err
	}()
	// The write commits (readers see it) while its fsync is held back.
	for {
		var n int
		if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE slug = 'held'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the write was answered before its WAL was synced (%v)", err)
		default:
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the write was answered before its WAL was synced (%v)", err)
	default:
	}
	s.walSync.mu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
