// Command kefu runs the kefu customer service center and its tools.
//
//	kefu serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo]
//	kefu migrate | demo | backup FILE | token create | bench | simulate | version
//
// Every flag also reads a KEFU_… environment variable (KEFU_ADDR, KEFU_DATA,
// KEFU_DB, KEFU_DEMO, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/kefu-project/kefu/internal/server"
	"github.com/kefu-project/kefu/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "kefu:", err)
		os.Exit(1)
	}
}

const usage = `kefu — customer service center

usage:
  kefu serve          run the server (SQLite in ./data by default; --db postgres://… for PostgreSQL)
  kefu migrate        apply database migrations and exit
  kefu demo           load the demo data set into an empty database
  kefu backup FILE    write an online backup of the SQLite database to FILE
  kefu token create   print a new API token for a user (--email)
  kefu bench          load a running server over HTTP and report throughput and latency
  kefu bench seed     store many tickets directly, for list and lookup benchmarks
  kefu bench route    create tickets at a fixed rate and time each one until its offer reaches an agent
  kefu clock advance D  move the clock of a server started with --dev forward (e.g. 48h) and run the timers due
  kefu screen         screen messages (one per line on standard input) for emergencies, one JSON verdict per line
  kefu simulate       replay a peak (default: a Double 11 hour, 4,000 agents) against the routing engine
  kefu staffing       agents needed for a volume and target (Erlang C, or Erlang A with --patience), or what --agents N achieve
  kefu staffing demo  the Double 11 week from 14 months of history: forecast, hand edit, two plans with shifts, compare, CSV
  kefu version        print the version

Run 'kefu COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: kefu token create --email USER")
		}
		return cmdToken(ctx, rest[1:], stdout, stderr)
	case "simulate":
		return cmdSimulate(rest, stdout, stderr)
	case "clock":
		return cmdClock(ctx, rest, stdout, stderr)
	case "screen":
		return cmdScreen(rest, os.Stdin, stdout, stderr)
	case "staffing":
		if len(rest) > 0 && rest[0] == "demo" {
			return cmdStaffingDemo(ctx, rest[1:], stdout, stderr)
		}
		return cmdStaffing(rest, stdout, stderr)
	case "bench":
		if len(rest) > 0 && rest[0] == "seed" {
			return cmdBenchSeed(ctx, rest[1:], stdout, stderr)
		}
		if len(rest) > 0 && rest[0] == "route" {
			return cmdBenchRoute(ctx, rest[1:], stdout, stderr)
		}
		return cmdBench(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "kefu", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// env returns the KEFU_ variable for a flag, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("KEFU_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

// envInt is the KEFU_ variable for an integer flag, or def when it is not set.
func envInt(name string, def int) (int, error) {
	v := env(name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("KEFU_%s=%q is not a whole number", strings.ToUpper(name), v)
	}
	return n, nil
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(env(name, "false"))
	return b
}

// common flags of every command that opens the database.
type dbFlags struct {
	data, db string
}

// dbFlagSet starts the flags of a command that opens the database.
func dbFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *dbFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := &dbFlags{}
	d.add(fs)
	return fs, d
}

func (d *dbFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", env("data", "data"), "data directory (SQLite file, attachments) [KEFU_DATA]")
	fs.StringVar(&d.db, "db", env("db", ""), "database: empty for SQLite in the data directory, or postgres://… [KEFU_DB]")
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if envBool("debug") {
		level = slog.LevelDebug
	}
	if env("log_format", "text") == "json" {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// open opens and migrates the database the flags name.
func (d *dbFlags) open(ctx context.Context, stderr io.Writer) (*store.Store, error) {
	return server.OpenStore(ctx, server.Config{DataDir: d.data, DSN: d.db, Logger: newLogger(stderr)})
}
