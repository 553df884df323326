// Package demo loads a realistic demo data set into an empty kefu database,
// so that a newcomer opens a living customer service center instead of an
// empty screen.
//
// The data set has two tenants. 华联集团 (Hualian Group) is a group with an
// insurance, a banking and a ride-share subsidiary, two brands, five
// departments, an outsourcing vendor (远景外包 / Vista BPO) whose agents work
// some queues, in-house-only complaint and safety desks, about fifty staff
// and a few hundred customers (some of them customers of two subsidiaries).
// Northwind Retail is a small outsourcing client with its own staff,
// customers and tickets, to show that tenants never see each other.
//
// Tickets (工單) are spread over the sixty days before Options.Now with
// weekday and time-of-day patterns and a Double 11 (11 November) peak when
// it falls in range. They are written in Simplified and Traditional Chinese
// and English, and carry the whole story of a case: replies, internal notes,
// forwarding to departments with deadlines, commitments (kept, slipped,
// overdue), refunds within and above an agent's limit (approved, refused,
// waiting), repeated complaints linked as repeats, and merged customers.
// The content is a pure function of Options.Seed (and Tickets, Agents, Now).
//
// # Time
//
// The store stamps every row with its own clock (store.Options.Clock). To
// date the history over sixty days, open the store on a *clock.Manual and
// pass the same clock in Options.Clock: Load sets it as it goes and leaves
// it at Options.Now. One clock means that writes committed together share
// a timestamp, and one commit per write would take minutes; so each write
// may be stamped a little earlier than planned (at most 20 minutes, and
// never so much that a gap within a ticket shrinks below half or grows
// beyond one and a half times its planned length), and the writes that
// can share a moment are written concurrently in one wave (see run.go).
// Stamps never lie after Options.Now, a ticket's writes stay in order, and
// the stamps, like the content, are the same on every load. With
// Options.Clock nil every row is stamped with the store's own "now": the
// data is still valid, only the history is flat (commitment due dates keep
// their spread, so the promises never kept are overdue).
//
// A command loading the demo opens the store on a manual clock for the
// load, then reopens it on the system clock to serve:
//
//	clk := clock.NewManual(time.Now())
//	s, _ := store.Open(ctx, store.Options{DSN: dsn, Clock: clk})
//	sum, err := demo.Load(ctx, s, demo.Options{Clock: clk, AdminEmail: email,
//		AdminPassword: password, HashPassword: auth.HashPassword})
//	s.Close()
//
// # What to look at
//
// Besides the generated history, the stories of PRODUCT.md are always
// there: 王雨桐's "救命" at 14:15 (the most recent such afternoon) handled
// by the safety team in seconds, and an emergency in progress right now;
// 李思远's phone left in a car, relayed through masked numbers, the driver
// restricted with a team lead's approval; 赵敏's refund promise that slipped
// (she was told before the date, it is now overdue and with finance); 张伟's
// third complaint about one order, linked to the first two as repeats,
// urgent, with the problem-resolution team and a refund waiting for a
// supervisor; 吴晓东's parcel forwarded to logistics with a deadline; 陈美玲,
// one customer of both the insurance and the bank; and two merged
// customers (刘洋, Kevin Wu).
//
// # Credentials
//
// Demo staff have no usable password (an empty hash). Only the optional
// administrator named by Options.AdminEmail can sign in.
package demo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// Options configure Load. The zero value loads the default data set dated
// relative to the current time.
type Options struct {
	// Seed makes the data set reproducible: the same seed, counts and Now
	// give the same content.
	Seed int64
	// Tickets is the number of tickets of the main tenant (default 2000);
	// the outsourcing client gets a twentieth of it (at least 15).
	Tickets int
	// Agents is the number of staff of the main tenant: agents, vendor
	// agents, team leads, supervisors, a manager, department staff and the
	// safety team (default 50, at least 20).
	Agents int
	// AdminEmail, if set, creates an administrator with the admin role at
	// the main tenant's root and PlatformAdmin true, signing in with
	// AdminPassword hashed by HashPassword (pass auth.HashPassword).
	AdminEmail    string
	AdminPassword string
	HashPassword  func(string) (string, error)
	// Now is the present of the data set (default: Clock's time, or the
	// wall clock).
	Now time.Time
	// Clock, if set, is the store's clock; Load moves it to date the history.
	Clock *clock.Manual
	// Workers bounds the concurrent writes of one wave (default 8).
	Workers int
}

// Summary tells what Load created.
type Summary struct {
	Tenants    []TenantSummary `json:"tenants"` // the group first, then the outsourcing client
	AdminEmail string          `json:"admin_email,omitempty"`
	From       time.Time       `json:"from"` // the oldest ticket is after From
	To         time.Time       `json:"to"`   // Options.Now
}

// TenantSummary counts one tenant's data.
type TenantSummary struct {
	ID                 string              `json:"id"`
	Slug               string              `json:"slug"`
	Name               string              `json:"name"`
	Orgs               int                 `json:"orgs"`
	Departments        int                 `json:"departments"`
	Vendors            int                 `json:"vendors"`
	Queues             int                 `json:"queues"`
	Users              int                 `json:"users"`
	VendorAgents       int                 `json:"vendor_agents"`
	Customers          int                 `json:"customers"`
	MergedCustomers    int                 `json:"merged_customers"`
	Tickets            int                 `json:"tickets"`
	ByStatus           map[kefu.Status]int `json:"by_status"`
	Messages           int                 `json:"messages"`
	Forwarded          int                 `json:"forwarded"`
	Commitments        int                 `json:"commitments"`
	OpenCommitments    int                 `json:"open_commitments"`
	OverdueCommitments int                 `json:"overdue_commitments"`
	Actions            int                 `json:"actions"`
	PendingApprovals   int                 `json:"pending_approvals"`
	RepeatLinks        int                 `json:"repeat_links"`
}

// ErrNotEmpty is returned (wrapped in a kefu conflict) when the database
// already holds tenants or users.
var ErrNotEmpty = errors.New("the database is not empty")

const (
	defaultTickets = 2000
	defaultAgents  = 50
	historyDays    = 60
)

// Load fills an empty database with the demo data set. It refuses a
// database that already has a tenant or a user, so it never mixes demo data
// with real data.
func Load(ctx context.Context, s *store.Store, o Options) (Summary, error) {
	if s == nil {
		return Summary{}, errors.New("demo: no store")
	}
	if o.Tickets <= 0 {
		o.Tickets = defaultTickets
	}
	if o.Agents <= 0 {
		o.Agents = defaultAgents
	}
	if o.Agents < 20 {
		o.Agents = 20
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Now.IsZero() {
		if o.Clock != nil {
			o.Now = o.Clock.Now()
		} else {
			o.Now = time.Now()
		}
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.AdminEmail != "" {
		if o.HashPassword == nil {
			return Summary{}, kefu.FieldError("hash_password", "required to create the administrator")
		}
		if o.AdminPassword == "" {
			return Summary{}, kefu.FieldError("admin_password", "required with admin_email")
		}
	}
	if err := checkEmpty(ctx, s); err != nil {
		return Summary{}, err
	}
	adminHash := ""
	if o.AdminEmail != "" {
		h, err := o.HashPassword(o.AdminPassword)
		if err != nil {
			return Summary{}, kefu.FieldError("admin_password", err.Error())
		}
		adminHash = h
	}

	w := newWorld(s, o)
	w.plan()
	if err := w.setup(ctx, adminHash); err != nil {
		return Summary{}, err
	}
	if err := w.run(ctx); err != nil {
		return Summary{}, err
	}
	w.setClock(w.now)
	return w.summarize(ctx)
}

func checkEmpty(ctx context.Context, s *store.Store) error {
	ts, err := s.Tenants(ctx)
	if err != nil {
		return err
	}
	users, err := s.CountUsers(ctx)
	if err != nil {
		return err
	}
	if len(ts) > 0 || users > 0 {
		return &kefu.Error{Kind: kefu.KindConflict, Code: "database_not_empty", Err: ErrNotEmpty,
			Message: fmt.Sprintf("demo data loads only into an empty database; this one has %d tenant(s) and %d user(s)", len(ts), users)}
	}
	return nil
}

// summarize reads the counts back from the store, so the summary reports
// what is there rather than what was intended.
func (w *world) summarize(ctx context.Context) (Summary, error) {
	sum := Summary{From: w.from, To: w.now}
	if w.admin != nil {
		sum.AdminEmail = w.admin.email
	}
	for _, ten := range w.tenants {
		sc := store.Whole(ten.id)
		ts := TenantSummary{ID: ten.id, Slug: ten.slug, Name: ten.name, ByStatus: map[kefu.Status]int{},
			Orgs: len(ten.orgs), Departments: len(ten.depts), Queues: len(ten.queues),
			Messages: int(ten.n.messages.Load()), Forwarded: int(ten.n.forwards.Load()), Commitments: int(ten.n.commitments.Load()),
			Actions: int(ten.n.actions.Load()), RepeatLinks: int(ten.n.links.Load()), MergedCustomers: int(ten.n.merges.Load())}
		if ten.vendor != nil {
			ts.Vendors = 1
		}
		for _, u := range ten.users {
			ts.Users++
			if u.kind == kefu.UserVendorAgent {
				ts.VendorAgents++
			}
		}
		if w.admin != nil && ten == w.tenants[0] {
			ts.Users++
		}
		ts.Customers = len(ten.customers)
		var unfinished []string
		for _, st := range []kefu.Status{kefu.StatusNew, kefu.StatusOpen, kefu.StatusPending, kefu.StatusOnHold, kefu.StatusSolved, kefu.StatusClosed} {
			cursor := ""
			for {
				page, next, err := w.s.Tickets(ctx, sc, store.TicketFilter{Status: []kefu.Status{st}, Limit: 200, Cursor: cursor})
				if err != nil {
					return sum, err
				}
				ts.ByStatus[st] += len(page)
				ts.Tickets += len(page)
				if st != kefu.StatusSolved && st != kefu.StatusClosed {
					for _, t := range page {
						unfinished = append(unfinished, t.ID)
					}
				}
				if next == "" {
					break
				}
				cursor = next
			}
		}
		sort.Strings(unfinished)
		for _, id := range unfinished {
			cs, err := w.s.Commitments(ctx, sc, id)
			if err != nil {
				return sum, err
			}
			for _, c := range cs {
				if c.State == kefu.CommitOpen || c.State == kefu.CommitMissed {
					ts.OpenCommitments++
					if c.DueAt.Before(w.now) {
						ts.OverdueCommitments++
					}
				}
			}
		}
		pending, err := w.s.ActionRequests(ctx, sc, string(kefu.ApprovalPending), "", 200)
		if err != nil {
			return sum, err
		}
		ts.PendingApprovals = len(pending)
		sum.Tenants = append(sum.Tenants, ts)
	}
	return sum, nil
}
