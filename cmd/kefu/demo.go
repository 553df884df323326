package main

import (
	"context"
	"flag"
	"io"

	"github.com/kefu-project/kefu/internal/server"
	"github.com/kefu-project/kefu/internal/store"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var d dbFlags
	d.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := server.OpenStore(ctx, server.Config{DataDir: d.data, DSN: d.db, Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	defer s.Close()
	return loadDemo(ctx, s, env("admin_email", ""), env("admin_password", ""), stdout, false)
}

// loadDemo is replaced when the demo package lands.
func loadDemo(ctx context.Context, s *store.Store, email, password string, out io.Writer, onlyIfEmpty bool) error {
	return nil
}
