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
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/api"
	"github.com/kefu-project/kefu/internal/attach"
	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/dispatch"
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
	Writers       int    // PostgreSQL write transactions in flight (0: the store's default)
	Version       string
	// Dev runs the node on the dev clock (wall time plus an offset that the
	// dev API and `kefu clock advance` move forward).
	Dev    bool
	Logger *slog.Logger
	Clock  clock.Clock
	Out    io.Writer // where the URL and one-time password are printed
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
	return store.Open(ctx, store.Options{DSN: c.ResolveDSN(), Clock: c.Clock, Logger: c.Logger, Writers: c.Writers})
}

// Node is a running kefu node's parts.
type Node struct {
	Store   *store.Store
	Handler http.Handler
	Routing *dispatch.Service
	hooks   *webhook.Dispatcher
	log     *slog.Logger
	timerMu sync.Mutex
}

// NewNode builds the HTTP handler over an open store.
func NewNode(c Config, s *store.Store) (*Node, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	var dev clock.Advancer
	if c.Dev {
		d, ok := c.Clock.(clock.Advancer)
		if !ok {
			return nil, errors.New("dev mode needs a clock that can be moved (clock.Dev)")
		}
		dev = d
	}
	node := &Node{Store: s, Routing: nil, log: c.Logger}
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
		Screening: true, DevClock: dev, RunTimers: func(ctx context.Context) api.TimerReport {
			r := node.RunTimers(ctx)
			routes.Advance()
			return r
		}})
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
	node.Handler, node.hooks, node.Routing = mux, hooks, routes
	return node, nil
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
	go timers(hookCtx, n, c.Logger)
	kick := make(chan struct{}, 1)
	n.Store.OnNotificationsQueued(func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	now := time.Now
	if c.Clock != nil {
		now = c.Clock.Now
	}
	go sendAlerts(hookCtx, n.Store, now, c.Logger, kick)
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

// timers runs the node's time-driven work every second until ctx ends:
// commitment steps (reminders, misses, escalation rungs) and emergencies
// nobody acknowledged. The time that counts is the store's (injectable)
// clock. Safe on every node: each step is taken once.
func timers(ctx context.Context, n *Node, log *slog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n.RunTimers(ctx)
	}
}

// timerBatch bounds one pass; a larger backlog drains over the next passes.
const timerBatch = 20000

// RunTimers takes every timer step now due and reports what it did. The
// dev clock's advance calls it so that a jump in time shows its effects at once.
func (n *Node) RunTimers(ctx context.Context) api.TimerReport {
	n.timerMu.Lock() // one pass at a time on a node; other nodes are kept out by the conditional updates
	defer n.timerMu.Unlock()
	var r api.TimerReport
	for {
		fired, err := n.Store.FireCommitments(ctx, timerBatch)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Error("commitment timers", "err", err)
			}
			break
		}
		r.CommitmentSteps += len(fired)
		for _, f := range fired {
			if f.Step.Kind != "reminder" {
				n.log.Info("commitment "+string(f.Step.Kind), "tenant", f.TenantID, "ticket", f.Commitment.TicketID, "commitment", f.Commitment.ID,
					"kind", f.Commitment.Kind, "rung", f.Step.Rung)
			}
		}
		// A jump in time can make several steps of one commitment due; each
		// pass takes one step of each, so run until nothing is left.
		if len(fired) == 0 || len(fired) >= timerBatch {
			break
		}
	}
	up, err := n.Store.EscalateEmergencies(ctx)
	if err != nil && ctx.Err() == nil {
		n.log.Error("emergencies not escalated", "err", err)
	}
	r.EmergenciesEscalated = len(up)
	for _, e := range up {
		n.log.Warn("emergency escalated: nobody acknowledged it in time", "tenant", e.TenantID, "ticket", e.Emergency.TicketID,
			"rung", e.Emergency.EscalatedTo)
		queue := ""
		if t, err := n.Store.Ticket(ctx, store.Whole(e.TenantID), e.Emergency.TicketID); err == nil {
			queue = t.QueueID
		}
		n.Routing.Announce(e.TenantID, "emergency_escalated", queue, e.Emergency)
	}
	return r
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
