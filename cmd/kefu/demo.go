package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/demo"
	"github.com/kefu-project/kefu/internal/server"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("demo", stderr)
	tickets := fs.Int("tickets", 2000, "tickets of the main demo tenant")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := server.Config{DataDir: d.data, DSN: d.db, Logger: newLogger(stderr),
		AdminEmail: env("admin_email", ""), AdminPassword: env("admin_password", "")}
	loaded, err := loadDemo(ctx, cfg, *tickets, stdout)
	if err != nil {
		return err
	}
	if !loaded {
		return fmt.Errorf("the database is not empty: the demo loads only into a new database (try --data with a new directory)")
	}
	return nil
}

// loadDemo fills an empty database with the demo data set, dated over the
// last sixty days: the store is opened on a manual clock that the loader
// moves, then closed, so the server reopens it on the real clock. It
// reports false, and changes nothing, when the database already has users.
func loadDemo(ctx context.Context, cfg server.Config, tickets int, out io.Writer) (bool, error) {
	now := time.Now().UTC()
	clk := clock.NewManual(now)
	cfg.Clock = clk
	s, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer s.Close()
	if n, err := s.CountUsers(ctx); err != nil || n > 0 {
		return false, err
	}
	email, password, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email = "admin@kefu.local"
	}
	if password == "" {
		password, generated = auth.RandomSecret(12), true
	}
	start := time.Now()
	fmt.Fprintln(out, "loading the demo data set…")
	sum, err := demo.Load(ctx, s, demo.Options{Seed: 11, Tickets: tickets, AdminEmail: email, AdminPassword: password,
		HashPassword: auth.HashPassword, Now: now, Clock: clk})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	for _, t := range sum.Tenants {
		fmt.Fprintf(out, "  %s (%s): %d users, %d customers, %d tickets\n", t.Name, t.Slug, t.Users, t.Customers, t.Tickets)
	}
	fmt.Fprintf(out, "demo loaded in %s\n", time.Since(start).Round(100*time.Millisecond))
	if generated {
		fmt.Fprintf(out, "Administrator: %s\nOne-time password: %s   (change it after signing in)\n", email, password)
	} else {
		fmt.Fprintf(out, "Administrator: %s (password from KEFU_ADMIN_PASSWORD)\n", email)
	}
	return true, nil
}
