package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/server"
	"github.com/kefu-project/kefu/internal/store"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("serve", stderr)
	addr := fs.String("addr", env("addr", "127.0.0.1:8080"), "listen address [KEFU_ADDR]")
	demoFlag := fs.Bool("demo", envBool("demo"), "load the demo data set into an empty database on first start [KEFU_DEMO]")
	pprofFlag := fs.Bool("pprof", envBool("pprof"), "serve /debug/pprof/ for profiling [KEFU_PPROF]")
	natsURL := fs.String("nats", env("nats", ""), "NATS server (nats://host:4222) joining this node to others on the same PostgreSQL [KEFU_NATS]")
	node := fs.String("node", env("node", ""), "this node's name in leases and logs (default: a fresh id) [KEFU_NODE]")
	dev := fs.Bool("dev", envBool("dev"), "dev mode: a clock that 'kefu clock advance' and the dev API move forward, for demos and tests [KEFU_DEV]")
	defWriters, err := envInt("writers", 0)
	if err != nil {
		return err
	}
	writers := fs.Int("writers", defWriters, "PostgreSQL write transactions in flight on this node, 1–64; 0 picks 2 for a database on this machine, 4 for one across the network (SQLite always has one) [KEFU_WRITERS]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *writers < 0 || *writers > 64 {
		return fmt.Errorf("--writers must be between 1 and 64 (0 to let kefu pick), not %d", *writers)
	}
	if *natsURL != "" && d.db == "" {
		return errors.New("--nats joins nodes that share a PostgreSQL database: give --db postgres://… too")
	}
	log := newLogger(stderr)
	collectLessOften()
	cfg := server.Config{Addr: *addr, DataDir: d.data, DSN: d.db, Demo: *demoFlag, Pprof: *pprofFlag, Version: version, Logger: log, Out: stdout,
		AdminEmail: env("admin_email", ""), AdminPassword: env("admin_password", ""), NATS: *natsURL, Node: *node, Dev: *dev, Writers: *writers}
	if cfg.Dev {
		if cfg.NATS != "" {
			return errors.New("--dev moves this node's clock alone: it cannot join other nodes (--nats)")
		}
		cfg.Clock = &clock.Dev{}
	}
	if cfg.Demo {
		if _, err := loadDemo(ctx, cfg, 2000, stdout); err != nil {
			return err
		}
	}
	s, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := server.Bootstrap(ctx, s, cfg.AdminEmail, cfg.AdminPassword, stdout); err != nil {
		return err
	}
	n, err := server.NewNode(cfg, s)
	if err != nil {
		return err
	}
	return server.Serve(ctx, cfg, n)
}

// serveGCPercent: a server's live heap is small (13 MB at 1,000 creates/s),
// so with Go's default (GOGC=100) the collector ran three times a second and
// cost the single writer its assists. At 400 the SQLite node used 14–15 %
// less CPU per request and handled 10–14 % more requests a second, for
// 90–110 MB more resident memory at the peak (docs/benchmarks.md).
const serveGCPercent = 400

// collectLessOften sets serveGCPercent unless GOGC says otherwise (GOMEMLIMIT
// still caps the heap where memory is short).
func collectLessOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("migrate", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := d.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "database is up to date (%s)\n", s.Dialect())
	return nil
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("backup", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: kefu backup [--data DIR] FILE")
	}
	s, err := d.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	if err := s.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s in %s\n", fs.Arg(0), time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("token create", stderr)
	email := fs.String("email", env("admin_email", ""), "the user the token acts as (default: the first administrator)")
	name := fs.String("name", "cli", "a name to recognise the token by")
	days := fs.Int("expires-in-days", 0, "expiry in days (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := d.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	var u kefu.User
	if *email != "" {
		u, err = s.UserByEmail(ctx, *email)
	} else {
		u, err = firstAdmin(ctx, s)
	}
	if err != nil {
		return fmt.Errorf("find user: %w", err)
	}
	t := kefu.Token{ID: store.NewID(), UserID: u.ID, Name: *name}
	full, hash := auth.NewToken(t.ID)
	t.SecretHash = hash
	if *days > 0 {
		exp := time.Now().Add(time.Duration(*days) * 24 * time.Hour)
		t.ExpiresAt = &exp
	}
	if _, err := s.CreateToken(ctx, u.TenantID, store.Actor{ID: u.ID, Kind: "user"}, t); err != nil {
		return err
	}
	fmt.Fprintln(stdout, full)
	return nil
}

// firstAdmin finds the platform administrator created at bootstrap.
func firstAdmin(ctx context.Context, s *store.Store) (kefu.User, error) {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return kefu.User{}, err
	}
	for _, t := range tenants {
		users, err := s.Users(ctx, t.ID, store.UserFilter{Kind: string(kefu.UserAdmin), Limit: 500})
		if err != nil {
			return kefu.User{}, err
		}
		for _, u := range users {
			if u.PlatformAdmin {
				return u, nil
			}
		}
	}
	return kefu.User{}, errors.New("no administrator yet: run 'kefu serve' once, or pass --email")
}
