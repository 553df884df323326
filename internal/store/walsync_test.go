package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

func openSQLite(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{DSN: filepath.Join(dir, "kefu.db")})
	if err != nil {
		t.Fatal(err)
	}
	if s.walSync == nil {
		t.Fatal("SQLite store has no WAL syncer")
	}
	return s, dir
}

// holdSync stops the syncer from syncing until the returned release runs
// (release is safe to call twice; the test registers it so a failing test
// does not leave Close waiting on the syncer).
func holdSync(t *testing.T, s *Store) (release func()) {
	s.walSync.mu.Lock()
	var once sync.Once
	release = func() { once.Do(s.walSync.mu.Unlock) }
	t.Cleanup(release)
	return release
}

func createTenant(s *Store, slug string) error {
	_, err := s.CreateTenant(context.Background(), System, NewTenant{Tenant: kefu.Tenant{Slug: slug, Name: slug}})
	return err
}

// waitVisible waits until a reader sees the tenant, i.e. its batch committed.
func waitVisible(t *testing.T, s *Store, slug string) {
	t.Helper()
	for {
		var n int
		if err := s.rdb.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM tenants WHERE slug = $1`, slug).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// notYet fails if ch has an answer: nothing may be answered while the sync
// of what it depends on is held back.
func notYet[T any](t *testing.T, ch chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s was answered before the WAL was synced (%v)", what, v)
	case <-time.After(50 * time.Millisecond):
	}
}

// A write on SQLite is acknowledged only after walSyncer has synced the WAL
// it went into; when that sync fails, the write's caller is told, nothing of
// it is published, every later write is refused, readiness fails, and the
// database is left for SQLite's recovery instead of being checkpointed at
// Close, because after a failed fsync nobody knows what is on disk.
func TestFailedWALSyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	s, dir := openSQLite(t)
	var published atomic.Int64
	s.OnCommit(func(evs []kefu.Event) { published.Add(int64(len(evs))) })
	if err := createTenant(s, "before"); err != nil {
		t.Fatalf("write with a working sync: %v", err)
	}
	// Events are published just after the write is answered.
	for deadline := time.Now().Add(10 * time.Second); published.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the synced write published no events")
		}
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

	before := published.Load()
	err := createTenant(s, "during")
	if err == nil {
		t.Fatal("a write whose sync failed was acknowledged")
	}
	if kefu.KindOf(err) != kefu.KindInternal {
		t.Fatalf("failed sync: got %v, want an internal error", err)
	}
	if published.Load() != before {
		t.Fatal("the events of a write whose sync failed were published")
	}
	if err := createTenant(s, "after"); err == nil {
		t.Fatal("a write after a failed sync was accepted")
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE slug = 'after'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the refused write ran: %d rows, %v", n, err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("the store reports ready after a failed sync")
	}
	if err := s.durable(ctx); err == nil {
		t.Fatal("durable() succeeded after a failed sync")
	}
	s.Close()
	if fi, err := os.Stat(filepath.Join(dir, "kefu.db-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("Close checkpointed the WAL after a failed sync (%v)", err)
	}
}

// The writer runs ahead of the fsync, but no request is answered before the
// fsync of the WAL holding its write has returned.
func TestWriteAnsweredOnlyAfterWALSync(t *testing.T) {
	s, _ := openSQLite(t)
	defer s.Close()
	release := holdSync(t, s)
	done := make(chan error, 1)
	go func() { done <- createTenant(s, "held") }()
	waitVisible(t, s, "held") // committed: readers see it
	notYet(t, done, "the write")
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// What rests on rows of a batch not yet synced waits for that sync: a
// saved response is replayed, and a write that failed against such rows is
// answered, only once they are durable.
func TestAnswersRestingOnUnsyncedRowsWait(t *testing.T) {
	ctx := context.Background()
	s, _ := openSQLite(t)
	defer s.Close()
	if err := createTenant(s, "t"); err != nil {
		t.Fatal(err)
	}
	release := holdSync(t, s)
	first := make(chan error, 1)
	go func() {
		first <- s.Write(ctx, func(tx *Tx) error {
			if _, err := tx.exec(`INSERT INTO tenants (id, slug, name, locale, time_zone, created_at) VALUES ($1, 'held', 'held', 'en', 'UTC', 0)`, newID()); err != nil {
				return err
			}
			return tx.SaveIdempotent("t", "p", "key-1", Saved{RequestHash: "h", Status: 201, Body: []byte(`{}`)})
		})
	}()
	waitVisible(t, s, "held")

	replay := make(chan *Saved, 1)
	go func() {
		sv, err := s.Idempotent(ctx, "t", "p", "key-1")
		if err != nil {
			t.Error(err)
		}
		replay <- sv
	}()
	failed := make(chan error, 1)
	go func() {
		failed <- s.Write(ctx, func(tx *Tx) error {
			return tx.SaveIdempotent("t", "p", "key-1", Saved{RequestHash: "h", Status: 201, Body: []byte(`{}`)})
		})
	}()
	notYet(t, replay, "the replay of a saved response")
	notYet(t, failed, "a write that failed on an unsynced key")
	notYet(t, first, "the write")
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if sv := <-replay; sv == nil || sv.Status != 201 {
		t.Fatalf("replay: %+v", sv)
	}
	var ke *kefu.Error
	if err := <-failed; !errors.As(err, &ke) || ke.Code != "idempotency_replay" {
		t.Fatalf("twin write: %v, want idempotency_replay", err)
	}
}

// The first sync of a WAL file kefu has not synced before is a full fsync
// with its directory's (its name and size must survive too); every later
// sync of the same file makes only its data durable. A WAL deleted and made
// again is synced in full again.
func TestWALSyncFullOncePerFile(t *testing.T) {
	ctx := context.Background()
	s, _ := openSQLite(t)
	defer s.Close()
	for i := range 20 {
		if err := createTenant(s, "full-once-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.durable(ctx); err != nil {
		t.Fatal(err)
	}
	s.walSync.mu.Lock()
	full := s.walSync.fullSyncs
	s.walSync.mu.Unlock()
	if full != 1 {
		t.Fatalf("the WAL was synced in full %d times in 20 writes; want once, then data only", full)
	}

	// Swap the WAL for a new file: the next sync must notice and sync it,
	// and its directory, in full.
	s.walSync.mu.Lock()
	s.walSync.fi = fakeOtherFile{s.walSync.fi}
	s.walSync.mu.Unlock()
	if err := createTenant(s, "full-once-new"); err != nil {
		t.Fatal(err)
	}
	s.walSync.mu.Lock()
	full = s.walSync.fullSyncs
	s.walSync.mu.Unlock()
	if full != 2 {
		t.Fatalf("after the WAL file changed, full syncs = %d; want 2", full)
	}
}

// fakeOtherFile is a FileInfo os.SameFile holds for another file than the
// WAL on disk, as if SQLite had deleted and made it again.
type fakeOtherFile struct{ os.FileInfo }

// Writes that never pause still let the WAL start over: after each
// background checkpoint the writer checkpoints what it added meanwhile, and
// the next batch rewrites the WAL from its start (the checkpoint sequence in
// its header counts the restarts). Without that the WAL grew by every write
// for as long as the load lasted.
func TestWALRestartsUnderSteadyWrites(t *testing.T) {
	s, dir := openSQLite(t)
	defer s.Close()
	s.checkpoints.restartFrames.Store(1) // any WAL is long here
	wal := filepath.Join(dir, "kefu.db-wal")
	restarts := func() uint32 {
		t.Helper()
		f, err := os.Open(wal)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var h [16]byte
		if _, err := f.ReadAt(h[:], 0); err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint32(h[12:])
	}
	if err := createTenant(s, "steady"); err != nil {
		t.Fatal(err)
	}
	before := restarts()
	// Two background checkpoints (one a second) are enough on an idle
	// machine; the writes go on until the WAL starts over, for up to ten
	// seconds, so that a machine busy with other tests does not fail this.
	until := time.Now().Add(10 * time.Second)
	var restarted atomic.Bool
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(until) && !restarted.Load(); i++ {
				if err := createTenant(s, fmt.Sprintf("steady-%d-%d", g, i)); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	start := time.Now()
	for time.Now().Before(until) && !restarted.Load() {
		time.Sleep(50 * time.Millisecond)
		if restarts() != before {
			restarted.Store(true)
		}
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	if after := restarts(); after == before {
		t.Fatalf("the WAL was never started over during %s of steady writes (checkpoint sequence %d)", time.Since(start).Round(time.Second), after)
	}
}

// A checkpoint that cannot make the pages it copied durable stops writes as
// a failed WAL sync does: the WAL may soon no longer hold those pages.
func TestFailedCheckpointSyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	s, dir := openSQLite(t)
	if err := createTenant(s, "before"); err != nil {
		t.Fatal(err)
	}
	closed, err := os.Open(filepath.Join(dir, "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	// A checkpointer of its own (the store's runs on its own goroutine),
	// whose descriptor of the database file fails like a disk error would.
	c := &checkpointer{db: s.checkpoints.db, dbPath: s.path, dbFile: closed, halted: s.walSync.err, fail: s.walSync.fail}
	if c.pass() {
		t.Fatal("the checkpointer went on after its sync failed")
	}
	if err := createTenant(s, "after"); err == nil {
		t.Fatal("a write after a failed checkpoint sync was accepted")
	} else if kefu.KindOf(err) != kefu.KindInternal {
		t.Fatalf("got %v, want an internal error", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("the store reports ready after a failed checkpoint sync")
	}
	s.Close()
}

// TestSQLiteReadPoolFollowsTheCores: the read pool is twice the cores Go
// runs on, never under four (store.go, sqliteReaders).
func TestSQLiteReadPoolFollowsTheCores(t *testing.T) {
	s, _ := openSQLite(t)
	defer s.Close()
	want := max(4, 2*runtime.GOMAXPROCS(0))
	if got := s.rdb.Stats().MaxOpenConnections; got != want {
		t.Fatalf("the read pool holds up to %d connections, want %d (GOMAXPROCS %d)", got, want, runtime.GOMAXPROCS(0))
	}
}
