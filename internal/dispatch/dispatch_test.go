package dispatch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// Two nodes in one process, sharing PostgreSQL and a real NATS server: the
// first to touch a tenant routes it, the other forwards to it and streams
// its events; when the owner stops, the other takes over at once.
func TestTwoNodesShareATenant(t *testing.T) {
	pg, natsURL := storetest.Cluster(t)
	ctx := context.Background()
	s := storetest.Open(t, pg, nil)
	tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "two", Name: "two"},
		Tiers: []kefu.CustomerTier{{Code: "standard", Name: "S", Rank: 9}}})
	if err != nil {
		t.Fatal(err)
	}
	tenant := tc.Tenant.ID
	q, _ := s.CreateQueue(ctx, tenant, store.System, kefu.Queue{Name: "q", Channel: "chat"})
	u, _ := s.CreateUser(ctx, tenant, store.System, kefu.User{Email: "a@two.test", Name: "a", Kind: kefu.UserAgent})
	node := func(name string) *Service {
		bus, err := DialNATS(natsURL, name)
		if err != nil {
			t.Fatal(err)
		}
		svc := New(Options{Store: s, Bus: bus, Node: name + "-" + store.NewID(), LeaseTTL: 600 * time.Millisecond})
		t.Cleanup(svc.Close)
		return svc
	}
	a, b := node("a"), node("b")
	if _, err := b.ApplyAgent(ctx, tenant, store.System, kefu.AgentProfile{UserID: u.ID, Capacity: map[string]int{"chat": 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetPresence(ctx, tenant, u.ID, "available", ""); err != nil {
		t.Fatal(err)
	}
	stream, cancel, err := a.Subscribe(ctx, tenant, u.ID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	newTicket := func(subject string) kefu.Ticket {
		tk, _, err := s.CreateTicket(ctx, store.Whole(tenant), store.System, store.NewTicket{Ticket: kefu.Ticket{Subject: subject, QueueID: q.ID},
			Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityApp, Value: subject}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.TicketChanged(ctx, tk, ""); err != nil { // through a, routed by b
			t.Fatal(err)
		}
		return tk
	}
	offer := func(want string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case m := <-stream:
				if m.Event == "offer" && strings.Contains(fmt.Sprintf("%s", m.Data), want) {
					return
				}
			case <-timeout:
				t.Fatalf("no offer of %s on the other node's stream", want)
			}
		}
	}
	t1 := newTicket("one")
	offer(t1.ID)
	f, err := a.Figures(ctx, tenant)
	if err != nil || f.Node != b.Node() {
		t.Fatalf("routed by %q, want b (%q): %v", f.Node, b.Node(), err)
	}
	if got, err := a.Accept(ctx, tenant, t1.ID, u.ID); err != nil || got.AssigneeID != u.ID {
		t.Fatalf("accept through a: %+v %v", got, err)
	}
	// Accepting again (a retry after a lost answer) answers the same.
	if got, err := a.Accept(ctx, tenant, t1.ID, u.ID); err != nil || got.AssigneeID != u.ID {
		t.Fatalf("a second accept: %+v %v", got, err)
	}

	// b stops: its lease is given up, a takes the tenant over, rebuilding
	// from the store (u holds t1 and is available).
	b.Close()
	t2 := newTicket("two")
	offer(t2.ID)
	f, err = a.Figures(ctx, tenant)
	if err != nil || f.Node != a.Node() {
		t.Fatalf("after b stopped, routed by %q: %v", f.Node, err)
	}
	for _, ag := range f.Agents {
		if ag.Agent == u.ID && ag.Load["chat"] != 2 {
			t.Fatalf("rebuilt load %+v, want t1 held and t2 offered", ag)
		}
	}
}
