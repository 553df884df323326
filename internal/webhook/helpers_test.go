package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/webhook"
)

var ctx = context.Background()

const hookSecret = "kefu-test-secret-0123456789"

var agent = store.Actor{ID: "u-agent", Kind: "user"}

func newClock() *clock.Manual { return clock.NewManual(time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)) }

// received is one request as the subscriber saw it.
type received struct {
	header    http.Header
	body      []byte
	verifyErr error
}

// receiver is a subscriber endpoint that verifies every request the way an
// integrator would and answers with whatever respond says for the n-th
// request (1-based). respond may block to simulate a slow subscriber.
type receiver struct {
	URL string
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, clk clock.Clock, respond func(n int, r *http.Request) int) *receiver {
	t.Helper()
	rcv := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(r, hookSecret, 1<<20, clk.Now(), 5*time.Minute)
		rcv.mu.Lock()
		rcv.got = append(rcv.got, received{header: r.Header.Clone(), body: body, verifyErr: err})
		n := len(rcv.got)
		rcv.mu.Unlock()
		w.WriteHeader(respond(n, r))
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	rcv.URL = srv.URL
	return rcv
}

func status(code int) func(int, *http.Request) int {
	return func(int, *http.Request) int { return code }
}

func (rcv *receiver) requests() []received {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]received(nil), rcv.got...)
}

// newTenant opens a tenant with one webhook for the given event patterns.
func newTenant(t *testing.T, s *store.Store, slug, url string, events ...string) (tenantID, hookID string) {
	t.Helper()
	tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: slug, Name: "Tenant " + slug}})
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	return tc.Tenant.ID, addHook(t, s, tc.Tenant.ID, url, events...)
}

func addHook(t *testing.T, s *store.Store, tenantID, url string, events ...string) string {
	t.Helper()
	h, err := s.CreateWebhook(ctx, tenantID, agent, kefu.Webhook{URL: url, Events: events, Secret: hookSecret})
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return h.ID
}

// newTicket creates a ticket, which queues a "ticket.created" delivery.
func newTicket(t *testing.T, s *store.Store, tenantID, subject string) kefu.Ticket {
	t.Helper()
	tk, _, err := s.CreateTicket(ctx, store.Whole(tenantID), agent, store.NewTicket{
		Ticket:   kefu.Ticket{Subject: subject, Channel: kefu.ChannelEmail},
		Customer: store.CustomerRef{Name: "王小明", Identities: []kefu.Identity{{Kind: kefu.IdentityEmail, Value: "wang@example.com"}}},
	})
	if err != nil {
		t.Fatalf("create ticket: %v", err)
	}
	return tk
}

// start runs a dispatcher until the test ends.
func start(t *testing.T, o webhook.Options) *webhook.Dispatcher {
	t.Helper()
	d := webhook.New(o)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return d
}

func deliveries(t *testing.T, s *store.Store, tenantID, hookID string) []kefu.Delivery {
	t.Helper()
	ds, err := s.Deliveries(ctx, tenantID, hookID, 200)
	if err != nil {
		t.Fatalf("deliveries: %v", err)
	}
	return ds
}

// eventually polls cond until it holds, failing after a generous deadline;
// asynchronous results are awaited, never slept for.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// oneDelivery waits until the webhook's only delivery satisfies cond.
func oneDelivery(t *testing.T, s *store.Store, tenantID, hookID, what string, cond func(kefu.Delivery) bool) kefu.Delivery {
	t.Helper()
	var d kefu.Delivery
	eventually(t, what, func() bool {
		ds := deliveries(t, s, tenantID, hookID)
		if len(ds) != 1 {
			return false
		}
		d = ds[0]
		return cond(d)
	})
	return d
}
