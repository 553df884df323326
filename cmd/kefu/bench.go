package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/kefu-project/kefu/internal/bench"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/server"
	"github.com/kefu-project/kefu/internal/store"
)

// loadFlags are what every command that loads a running server takes.
type loadFlags struct {
	url, token string
	json       bool
}

func addLoadFlags(fs *flag.FlagSet, tokenHelp string) *loadFlags {
	l := &loadFlags{}
	fs.StringVar(&l.url, "url", env("url", "http://127.0.0.1:8080"), "the kefu server to load (loopback only)")
	fs.StringVar(&l.token, "token", env("token", ""), tokenHelp+" [KEFU_TOKEN]")
	fs.BoolVar(&l.json, "json", false, "print the results as JSON")
	return l
}

// run prints the machine, runs the load with progress going to stdout (or
// stderr when stdout takes the JSON), and prints the result as JSON when
// asked, also after an error that left a partial result.
func (l *loadFlags) run(stdout, stderr io.Writer, load func(progress io.Writer) (any, error)) error {
	if l.token == "" {
		return errors.New("--token is required (create one with 'kefu token create')")
	}
	progress := stdout
	if l.json {
		progress = stderr
	}
	fmt.Fprintf(progress, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	res, err := load(progress)
	if l.json && res != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(res); jerr != nil {
			return jerr
		}
	}
	return err
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := bench.Options{}
	lf := addLoadFlags(fs, "API token (kefu token create)")
	fs.StringVar(&o.Scenario, "scenario", "all", "create, append, list, lookup or all")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "clients at once")
	fs.IntVar(&o.Requests, "requests", 20000, "requests per scenario (upper bound)")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "time per scenario (upper bound)")
	fs.IntVar(&o.Warmup, "warmup", 500, "unrecorded requests before each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.BaseURL, o.Token = lf.url, lf.token
	return lf.run(stdout, stderr, func(progress io.Writer) (any, error) {
		results, err := bench.Run(ctx, o, progress)
		if results == nil {
			return nil, err
		}
		return results, err
	})
}

// cmdBenchSeed stores many tickets straight through the store (no HTTP),
// for the list and lookup benchmarks at a million tickets.
func cmdBenchSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("bench seed", stderr)
	slug := fs.String("tenant", "default", "tenant slug to fill")
	n := fs.Int("tickets", 1_000_000, "how many tickets to store")
	customers := fs.Int("customers", 200_000, "distinct customers (phones 139xxxxxxxx)")
	conc := fs.Int("concurrency", 64, "writes in flight (the store batches them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := d.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return err
	}
	var tenant *kefu.Tenant
	for i := range tenants {
		if tenants[i].Slug == *slug {
			tenant = &tenants[i]
		}
	}
	if tenant == nil {
		return fmt.Errorf("no tenant %q: start 'kefu serve' once first", *slug)
	}
	sc := store.Whole(tenant.ID)
	subjects := []string{"退款申请：订单 %d 还没到账", "物流查询：包裹 %d 三天没有更新", "账户无法登录 %d", "Refund for order %d", "發票開立問題 %d", "Where is my parcel %d"}
	statuses := []kefu.Status{kefu.StatusOpen, kefu.StatusPending, kefu.StatusSolved, kefu.StatusClosed, kefu.StatusSolved, kefu.StatusClosed, kefu.StatusNew, kefu.StatusOnHold}
	start := time.Now()
	err = bench.Seed(ctx, func(ctx context.Context, i int) error {
		phone := fmt.Sprintf("139%08d", i%*customers)
		_, _, err := s.CreateTicket(ctx, sc, store.System, store.NewTicket{
			Ticket: kefu.Ticket{Subject: fmt.Sprintf(subjects[i%len(subjects)], 100000+i), Channel: kefu.ChannelChat,
				Status: statuses[i%len(statuses)], Priority: kefu.PriorityNormal, Category: "bench"},
			Customer: store.CustomerRef{Name: "客户" + phone[7:], Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}},
			Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "您好，请帮我查询一下订单状态，谢谢。"},
		})
		return err
	}, *n, *conc, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stored %d tickets in %s (%.0f/s)\n", *n, time.Since(start).Round(time.Second), float64(*n)/time.Since(start).Seconds())
	if fi, err := os.Stat(server.Config{DataDir: d.data, DSN: d.db}.ResolveDSN()); err == nil {
		fmt.Fprintf(stdout, "database file: %d MiB\n", fi.Size()>>20)
	}
	return nil
}

// cmdBenchRoute measures create → offer over HTTP on a running server.
func cmdBenchRoute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := bench.RouteOptions{}
	lf := addLoadFlags(fs, "an administrator's API token")
	fs.IntVar(&o.Rate, "rate", 1000, "tickets created per second (open loop)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to create tickets")
	fs.IntVar(&o.Agents, "agents", 50, "agents to set up, each with an event stream open")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "create tickets at the rate for this long first, unrecorded")
	fs.BoolVar(&o.Message, "message", false, "give each ticket the customer's first message, as a chat arrives (intake's repeat check runs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.BaseURL, o.Token = lf.url, lf.token
	return lf.run(stdout, stderr, func(progress io.Writer) (any, error) {
		res, err := bench.RunRoute(ctx, o, progress)
		if err != nil {
			return nil, err
		}
		return res, nil
	})
}
