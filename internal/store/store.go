// Package store persists kefu's domain in SQLite (embedded default) or
// PostgreSQL (production, several nodes). Both share database/sql code and
// almost all SQL; the few differences (search, number allocation, DDL) are
// switched on Dialect. Every tenant-owned query is scoped by tenant id here,
// never left to callers.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
)

// Dialect names the database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrationFS embed.FS

// Options configure Open.
type Options struct {
	// DSN is a postgres:// URL, or a SQLite file path (optionally file:…).
	DSN    string
	Clock  clock.Clock
	Logger *slog.Logger
	// Writers is how many group-commit writers run (PostgreSQL only; SQLite
	// has exactly one writer). Default: DefaultWriters(DSN).
	Writers int
	// MaxBatch caps the operations committed together. Default 256.
	MaxBatch int
}

// DefaultWriters is how many PostgreSQL writers a node runs unless told:
// two when the database is on this machine (a loopback address or a Unix
// socket), where every writer's backend takes the node's own cores and
// fewer writers make larger batches (+6 % creates, +23 % appends and a
// third off the p99s on a 2-core box, docs/benchmarks.md); four when it is
// across a network, where more transactions in flight hide the round trips.
func DefaultWriters(dsn string) int {
	// pgx's own parser: it knows every DSN form, PGHOST and the default
	// socket, as the connection itself will.
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return 4
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		ip := net.ParseIP(h)
		if !strings.HasPrefix(h, "/") && !strings.EqualFold(h, "localhost") && (ip == nil || !ip.IsLoopback()) {
			return 4
		}
	}
	return 2
}

// Store is the persistence of one kefu installation.
type Store struct {
	dialect      Dialect
	db           readDB  // reads, through prepared statements on SQLite
	rdb          *sql.DB // the read pool; on PostgreSQL also the writers' pool
	wdb          *sql.DB // SQLite: the single writer connection
	clock        clock.Clock
	log          *slog.Logger
	writer       *writer
	numbers      *numberBlocks
	orgCache     orgCache
	refs         knownRefs // lasting rows writes found (checkRef)
	principals   principalCache
	hookCache    webhookCache
	tierCache    tierCache
	settings     settingsCache
	breach       breachCache
	checkpoints  *checkpointer // SQLite: background WAL checkpoints
	walSync      *walSyncer    // SQLite: makes committed batches durable
	stats        *statsKeeper  // PostgreSQL: statistics of young hot tables
	wstmts       stmtCache     // SQLite writer's prepared statements
	rstmts       stmtCache     // SQLite readers' prepared statements
	deliveryKick atomic.Pointer[func()]
	notifyKick   atomic.Pointer[func()]
	hooks        hooks
	path         string // SQLite file path, for backups
}

type hooks struct {
	mu        sync.RWMutex
	committed []func([]kefu.Event)
}

// OnCommit registers f to receive the events of every committed write, in
// commit order, after the commit. f must not block for long.
func (s *Store) OnCommit(f func([]kefu.Event)) {
	s.hooks.mu.Lock()
	s.hooks.committed = append(s.hooks.committed, f)
	s.hooks.mu.Unlock()
}

func (s *Store) publish(evs []kefu.Event) {
	if len(evs) == 0 {
		return
	}
	s.hooks.mu.RLock()
	defer s.hooks.mu.RUnlock()
	for _, f := range s.hooks.committed {
		f(evs)
	}
}

// Open connects, migrates and starts the writer.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Writers <= 0 {
		o.Writers = DefaultWriters(o.DSN)
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	s := &Store{clock: o.Clock, log: o.Logger, numbers: &numberBlocks{next: map[string]*block{}}}
	s.db = readDB{s}
	var err error
	if strings.HasPrefix(o.DSN, "postgres://") || strings.HasPrefix(o.DSN, "postgresql://") {
		s.dialect = Postgres
		s.rdb, err = sql.Open("pgx", o.DSN)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.rdb.SetMaxOpenConns(o.Writers + 16)
		s.rdb.SetMaxIdleConns(o.Writers + 16)
		s.rdb.SetConnMaxIdleTime(5 * time.Minute)
		s.wdb = s.rdb
	} else {
		s.dialect = SQLite
		o.Writers = 1
		path := strings.TrimPrefix(o.DSN, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		s.path = path
		// An acknowledged commit is on disk: walSyncer fsyncs the WAL before
		// the batch is acknowledged (walsync.go). Group commit keeps that
		// affordable: one fsync per batch or more, not per request. The
		// writer opens through walVFS (walvfs.go), where a commit's sync
		// (synchronous FULL) writes its frames in one call and leaves the
		// fsync to walSyncer, and a checkpoint's (checkpoint_fullfsync)
		// reaches the disk.
		if err := registerWALVFS(); err != nil {
			return nil, err
		}
		pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
		s.wdb, err = sql.Open("sqlite", "file:"+path+"?vfs="+walVFSName+"&"+pragmas+fmt.Sprintf("&_pragma=cache_size(-%d)", writerCacheKiB)+
			"&_pragma=synchronous(FULL)&_pragma=checkpoint_fullfsync(1)&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// walVFS gathers a commit's WAL frames until the commit's sync, and
		// tells a commit's sync from a checkpoint's by checkpoint_fullfsync:
		// without these two settings readers could see frames not yet
		// written, or checkpoints copy frames not yet on disk.
		// (It also relies on the normal locking mode, where a transaction
		// ends by releasing the WAL's write lock.)
		var syncLevel, ckptFull int
		var lockingMode string
		err = s.wdb.QueryRowContext(ctx, `SELECT s.synchronous, c.checkpoint_fullfsync, l.locking_mode
			FROM pragma_synchronous s, pragma_checkpoint_fullfsync c, pragma_locking_mode l`).Scan(&syncLevel, &ckptFull, &lockingMode)
		if err != nil || syncLevel != 2 || ckptFull != 1 || lockingMode != "normal" {
			s.wdb.Close()
			return nil, fmt.Errorf("open sqlite: the writer's connection has synchronous=%d, checkpoint_fullfsync=%d and locking_mode=%q, want 2, 1 and normal (%v)", syncLevel, ckptFull, lockingMode, err)
		}
		// One writer goroutine uses this pool; the second connection only
		// lets a statement be prepared while the first is inside a batch
		// (database/sql then re-prepares it once on the batch's connection).
		s.wdb.SetMaxOpenConns(2)
		s.wdb.SetMaxIdleConns(2)
		s.wdb.SetConnMaxLifetime(0)
		s.rdb, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+fmt.Sprintf("&_pragma=cache_size(-%d)", readerCacheKiB)+"&_pragma=synchronous(FULL)&_pragma=query_only(1)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		s.rdb.SetMaxOpenConns(sqliteReaders())
		s.rdb.SetMaxIdleConns(sqliteReaders())
		s.rdb.SetConnMaxLifetime(0)
	}
	if err := s.rdb.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("connect to %s: %w", s.dialect, err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if s.dialect == SQLite {
		// The checkpoints' connection writes the database file through
		// ckptVFS (ckptvfs_linux.go): a slice at a time to the disk, so that
		// the commits' WAL fsyncs do not queue behind a second's pages.
		vfs, err := checkpointVFS()
		if err != nil {
			s.closeDBs()
			return nil, err
		}
		if vfs != "" {
			vfs = "&vfs=" + vfs
		}
		cdb, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"+vfs)
		if err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		cdb.SetMaxOpenConns(1)
		s.walSync = startWALSyncer(s.path)
		s.checkpoints = startCheckpointer(cdb, s.path, s.walSync.err, s.walSync.fail)
	}
	if s.dialect == Postgres {
		s.stats = startStatsKeeper(s.rdb)
	}
	s.writer = newWriter(s, o.Writers, o.MaxBatch)
	return s, nil
}

func (s *Store) closeDBs() {
	if s.walSync != nil && s.walSync.err() != nil {
		// The last connection to close would checkpoint the WAL into the
		// database file, pages the failed sync may have lost included:
		// leave the files to SQLite's recovery at the next start.
		s.log.Error("a sync of the database failed: it is left for recovery at the next start", "err", s.walSync.err())
		return
	}
	s.wstmts.close()
	s.rstmts.close()
	if s.wdb != nil && s.wdb != s.rdb {
		s.wdb.Close()
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
}

// Close stops the writer after the queued writes and closes the database.
func (s *Store) Close() error {
	if s.writer != nil {
		s.writer.stop()
	}
	if s.walSync != nil {
		s.walSync.close()
	}
	if s.checkpoints != nil {
		s.checkpoints.close()
	}
	if s.stats != nil {
		s.stats.close()
	}
	s.closeDBs()
	if s.checkpoints != nil && s.walSync.err() == nil {
		s.checkpoints.releaseFile() // only now: see checkpointer.syncDB
	}
	return nil
}

// Dialect tells which database is behind the store.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if s.walSync != nil {
		if err := s.walSync.err(); err != nil {
			return err
		}
	}
	return s.rdb.PingContext(ctx)
}

// Now is the store's clock, used for every timestamp it writes.
func (s *Store) Now() time.Time { return s.clock.Now().UTC() }

// Migrate applies the embedded migrations that have not run yet, each in its
// own transaction, in file-name order. Migrations are never edited after a
// release; a new change is a new file.
func (s *Store) Migrate(ctx context.Context) (err error) {
	dir := "migrations/" + string(s.dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	wdb := s.wdb
	if _, err := wdb.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if s.dialect == Postgres {
		// Several nodes may start at once: one migrates, the others wait.
		conn, err := wdb.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7415001)`); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7415001)`)
	}
	applied := 0
	if s.dialect == SQLite {
		// The writer's connection commits without fsync (walsync.go): what
		// was applied is synced however the loop ends.
		defer func() {
			if applied > 0 {
				if serr := syncFile(s.path + "-wal"); serr != nil && err == nil {
					err = fmt.Errorf("sync migrations: %w", serr)
				}
			}
		}()
	}
	for _, name := range names {
		var n int
		if err := wdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return fmt.Errorf("check migration %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		tx, err := wdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, s.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", name, err)
		}
		s.log.Info("migration applied", "name", name, "dialect", s.dialect)
		applied++
	}
	return nil
}

// Backup writes a consistent copy of a SQLite database to path while kefu
// runs. For PostgreSQL use pg_dump (docs/operations.md).
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("online backup is for SQLite; for PostgreSQL run pg_dump (see docs/operations.md)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup target %s already exists", path)
	}
	_, err := s.wdb.ExecContext(ctx, `VACUUM INTO $1`, path)
	return err
}

// --- small conversions shared by the store files ---

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullUS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromUS(v.Int64)
	return &t
}

func nullUS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// nullStr stores "" as NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUniqueViolation recognises a unique-constraint failure on either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

// isForeignKeyViolation recognises a reference to a missing row.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "FOREIGN KEY constraint failed") || strings.Contains(msg, "SQLSTATE 23503")
}

// notFound turns sql.ErrNoRows into a domain not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return kefu.NotFound(what)
	}
	if err != nil {
		return kefu.Internal(err)
	}
	return nil
}

// writerCacheKiB and readerCacheKiB are the SQLite connections' page
// caches. The writer alone changes the database, so what it caches stays
// valid from one commit to the next. A reader drops its whole cache when a
// commit came between two of its reads (see sqliteReaders), and the
// kernel's page cache serves its misses in any case: on the million-ticket
// database 4, 16 and 64 MiB per reader gave the same list and lookup
// figures, and the node's peak resident set was 211, 298 and 752 MiB
// (docs/benchmarks.md).
const (
	writerCacheKiB = 64 << 10
	readerCacheKiB = 8 << 10
)

// sqliteReaders is the size of the SQLite read pool: twice the cores Go
// runs on, at least four. A read is CPU work in this process, so more
// connections add no throughput, while each one pays for every commit: a
// connection whose snapshot is older than the last commit drops its whole
// page cache when its next read begins (WAL mode has no finer
// invalidation) and reads the hot pages again, one pread each. Eight
// readers on two cores spent 6-10 % more CPU per created ticket than four
// (docs/benchmarks.md).
func sqliteReaders() int { return max(4, 2*runtime.GOMAXPROCS(0)) }
