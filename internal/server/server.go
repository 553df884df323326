// Package server assembles one kefu node: store, API, pages, webhook
// dispatcher, health and metrics, with graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/kefu-project/kefu/internal/api"
	"github.com/kefu-project/kefu/internal/attach"
	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/dispatch"
	"github.com/kefu-project/kefu/internal/intake"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/web"
	"github.com/kefu-project/kefu/internal/webhook"
)

// Config is everything `kefu serve` takes.
type Config struct {
	Addr          string
	DataDir       string
	DSN           string // empty: SQLite file in DataDir
	AdminEmail    string
	AdminPassword string
	Demo          bool
	Pprof         bool   // serve /debug/pprof/ (for profiling; keep off in production)
	NATS          string // NATS URL: routing shared with the other nodes on the same PostgreSQL
	Node          string // this node's name in leases and logs
	Version       string
	Logger        *slog.Logger
	Clock         clock.Clock
	Out           io.Writer // where the URL and one-time password are printed
	// Ready, if set, receives the listening address once the server accepts connections.
	Ready func(addr string)
}

// DSN resolves the database of a config: the given DSN or the default SQLite file.
func (c Config) ResolveDSN() string {
	if c.DSN != "" {
		return c.DSN
	}
	return filepath.Join(c.DataDir, "kefu.db")
}

// OpenStore opens and migrates the configured database.
func OpenStore(ctx context.Context, c Config) (*store.Store, error) {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return store.Open(ctx, store.Options{DSN: c.ResolveDSN(), Clock: c.Clock, Logger: c.Logger})
}

// Node is a running kefu node's parts.
type Node struct {
	Store   *store.Store
	Handler http.Handler
	Routing *dispatch.Service
	hooks   *webhook.Dispatcher
}

// NewNode builds the HTTP handler over an open store.
func NewNode(c Config, s *store.Store) (*Node, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	pages, err := web.New(web.Options{Store: s, Logger: c.Logger, Version: c.Version, Now: c.Clock.Now})
	if err != nil {
		return nil, err
	}
	m := newMetrics(s)
	var bus dispatch.Bus
	if c.NATS != "" {
		nb, err := dispatch.DialNATS(c.NATS, "kefu "+c.Node)
		if err != nil {
			return nil, fmt.Errorf("NATS %s: %w", c.NATS, err)
		}
		bus = nb
	}
	routes := dispatch.New(dispatch.Options{Store: s, Clock: c.Clock, Logger: c.Logger, Bus: bus, Node: c.Node})
	a := api.New(api.Options{Store: s, Attachments: attach.Dir{Root: filepath.Join(c.DataDir, "attachments")}, Clock: c.Clock,
		Logger: c.Logger, Version: c.Version, SessionPrincipal: pages.Session, Observe: m.observe, Routing: routes,
		Screener: intake.DefaultScreener()})
	mux := http.NewServeMux()
	mux.Handle("/api/", a)
	pages.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database: "+err.Error()+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", m.handler())
	if c.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	hooks := webhook.New(webhook.Options{Store: s, Clock: c.Clock, Logger: c.Logger})
	return &Node{Store: s, Handler: mux, hooks: hooks, Routing: routes}, nil
}

// Bootstrap creates the first tenant and administrator on an empty
// database. With no password given it prints a one-time password: kefu
// never ships default credentials.
func Bootstrap(ctx context.Context, s *store.Store, email, password string, out io.Writer) error {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	if email == "" {
		email = "admin@kefu.local"
	}
	generated := password == ""
	if generated {
		password = auth.RandomSecret(12)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("KEFU_ADMIN_PASSWORD: %w", err)
	}
	_, err = s.CreateTenant(ctx, store.System, store.NewTenant{
		Tenant: kefu.Tenant{Slug: "default", Name: "Default"}, RootOrg: "Default",
		Tiers: auth.DefaultTiers(), Roles: auth.DefaultRoles(), AdminRole: "admin",
		Admin: &kefu.User{Email: email, Name: "Administrator", Kind: kefu.UserAdmin, PlatformAdmin: true, PasswordHash: hash},
	})
	if err != nil {
		return fmt.Errorf("create first administrator: %w", err)
	}
	if generated {
		fmt.Fprintf(out, "First administrator: %s\nOne-time password:   %s   (change it after signing in)\n", email, password)
	} else {
		fmt.Fprintf(out, "First administrator: %s (password from KEFU_ADMIN_PASSWORD)\n", email)
	}
	return nil
}

// Serve runs the node until ctx ends, then shuts down gracefully: in-flight
// requests finish, queued writes commit, and the database closes.
func Serve(ctx context.Context, c Config, n *Node) error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	srv := &http.Server{
		Handler:           n.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
	}
	hookCtx, stopHooks := context.WithCancel(context.Background())
	hooksDone := make(chan struct{})
	go func() {
		defer close(hooksDone)
		if err := n.hooks.Run(hookCtx); err != nil && !errors.Is(err, context.Canceled) {
			c.Logger.Error("webhook dispatcher stopped", "err", err)
		}
	}()
	go maintain(hookCtx, n.Store, c.Logger)
	go escalate(hookCtx, n.Store, n.Routing, c.Logger)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	if c.Out != nil {
		fmt.Fprintf(c.Out, "kefu %s listening on http://%s (%s)\n", c.Version, addr, n.Store.Dialect())
	}
	if c.Ready != nil {
		c.Ready(addr)
	}
	select {
	case err := <-serveErr:
		stopHooks()
		<-hooksDone
		return err
	case <-ctx.Done():
	}
	c.Logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv.RegisterOnShutdown(n.Routing.Close) // ends event streams, which never go idle
	err = srv.Shutdown(shutCtx)
	stopHooks()
	<-hooksDone
	return err
}

// escalate moves unacknowledged emergencies up their tenant's ladder,
// checking every second; the time that counts is the store's (injectable)
// clock. Safe on every node: each rung is taken once.
func escalate(ctx context.Context, s *store.Store, routes *dispatch.Service, log *slog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		up, err := s.EscalateEmergencies(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("emergencies not escalated", "err", err)
		}
		for _, e := range up {
			log.Warn("emergency escalated: nobody acknowledged it in time", "tenant", e.TenantID, "ticket", e.Emergency.TicketID,
				"rung", e.Emergency.EscalatedTo)
			queue := ""
			if t, err := s.Ticket(ctx, store.Whole(e.TenantID), e.Emergency.TicketID); err == nil {
				queue = t.QueueID
			}
			routes.Announce(e.TenantID, "emergency_escalated", queue, e.Emergency)
		}
	}
}

// IdempotencyKeep is how long a saved Idempotency-Key response is replayed.
const IdempotencyKeep = 24 * time.Hour

// maintain runs the node's housekeeping until ctx ends: saved idempotent
// responses older than a day are forgotten, hourly. Safe on every node.
func maintain(ctx context.Context, s *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := s.PruneIdempotency(ctx, IdempotencyKeep); err != nil && ctx.Err() == nil {
			log.Warn("prune idempotency keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
