package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
	"github.com/kefu-project/kefu/internal/webhook"
)

func TestDeliveryIsSignedAndLogged(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, clk, status(http.StatusNoContent))
		tenantID, hookID := newTenant(t, s, "acme", rcv.URL+"/hooks/kefu", "ticket.created")
		start(t, webhook.Options{Store: s, Clock: clk, MaxIdle: time.Hour})

		tk := newTicket(t, s, tenantID, "退款申请：订单 A1234")
		d := oneDelivery(t, s, tenantID, hookID, "delivered", func(d kefu.Delivery) bool { return d.State == "delivered" })

		if d.Attempts != 1 || d.LastStatus != http.StatusNoContent || d.LastError != "" || d.DeliveredAt == nil || d.NextAt != nil {
			t.Fatalf("delivery log = %+v", d)
		}
		reqs := rcv.requests()
		if len(reqs) != 1 {
			t.Fatalf("subscriber got %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		if r.verifyErr != nil {
			t.Fatalf("signature does not verify: %v", r.verifyErr)
		}
		h := r.header
		if h.Get("Content-Type") != "application/json" || h.Get(webhook.HeaderEvent) != "ticket.created" ||
			h.Get(webhook.HeaderDelivery) != d.ID || h.Get(webhook.HeaderTimestamp) != strconv.FormatInt(clk.Now().Unix(), 10) {
			t.Fatalf("headers = %v", h)
		}
		if !strings.HasPrefix(h.Get(webhook.HeaderSignature), "sha256=") {
			t.Fatalf("signature header = %q", h.Get(webhook.HeaderSignature))
		}
		var p store.WebhookPayload
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("payload %s: %v", r.body, err)
		}
		if p.Type != "ticket.created" || p.ID != d.EventID || p.TenantID != tenantID || p.TicketID != tk.ID || p.EntityID != tk.ID {
			t.Fatalf("payload = %+v", p)
		}
		// The signature covers exactly the bytes that were sent.
		if string(r.body) != string(d.Payload) {
			t.Fatalf("sent %s, stored %s", r.body, d.Payload)
		}
	})
}

// With MaxIdle at an hour, deliveries queued while the dispatcher sleeps
// can only go out promptly through the store's wake-up.
func TestWakesUpWhenDeliveriesAreQueued(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, clk, status(http.StatusOK))
		tenantID, _ := newTenant(t, s, "acme", rcv.URL, "ticket.created")
		start(t, webhook.Options{Store: s, Clock: clk, MaxIdle: time.Hour})
		for i := 1; i <= 5; i++ {
			newTicket(t, s, tenantID, "ticket "+strconv.Itoa(i))
			eventually(t, "delivery "+strconv.Itoa(i), func() bool { return len(rcv.requests()) == i })
		}
	})
}

func TestRetryAfterServerErrorWhenClockAdvances(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, clk, func(n int, _ *http.Request) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		tenantID, hookID := newTenant(t, s, "acme", rcv.URL, "ticket.*")
		disp := start(t, webhook.Options{Store: s, Clock: clk, MaxIdle: time.Hour})
		newTicket(t, s, tenantID, "retry me")

		first := oneDelivery(t, s, tenantID, hookID, "first attempt recorded", func(d kefu.Delivery) bool { return d.Attempts == 1 })
		if first.State != "pending" || first.LastStatus != 500 || !strings.Contains(first.LastError, "500") || first.NextAt == nil {
			t.Fatalf("after a 500: %+v", first)
		}
		// First retry: 10 s ± 20 %, counted on the injected clock.
		if wait := first.NextAt.Sub(clk.Now()); wait < 8*time.Second || wait > 12*time.Second {
			t.Fatalf("retry scheduled in %s", wait)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("%d requests before the retry is due", n)
		}

		clk.Advance(13 * time.Second)
		disp.Kick() // a manual clock does not wake timers
		second := oneDelivery(t, s, tenantID, hookID, "retry delivered", func(d kefu.Delivery) bool { return d.State == "delivered" })
		if second.Attempts != 2 || second.LastStatus != 200 || second.LastError != "" || second.DeliveredAt == nil {
			t.Fatalf("after the retry: %+v", second)
		}
		reqs := rcv.requests()
		if len(reqs) != 2 {
			t.Fatalf("subscriber got %d requests, want 2", len(reqs))
		}
		// Same delivery id on both (for deduplication), fresh timestamp and
		// signature on the retry.
		if reqs[0].header.Get(webhook.HeaderDelivery) != reqs[1].header.Get(webhook.HeaderDelivery) {
			t.Fatal("delivery id changed between attempts")
		}
		ts0, _ := strconv.ParseInt(reqs[0].header.Get(webhook.HeaderTimestamp), 10, 64)
		ts1, _ := strconv.ParseInt(reqs[1].header.Get(webhook.HeaderTimestamp), 10, 64)
		if ts1-ts0 != 13 || reqs[1].verifyErr != nil {
			t.Fatalf("retry timestamp %d after %d, verify %v", ts1, ts0, reqs[1].verifyErr)
		}
	})
}

func TestDeadAfterMaxAttempts(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, clk, status(http.StatusServiceUnavailable))
		tenantID, hookID := newTenant(t, s, "acme", rcv.URL, "ticket.*") // one delivery: nothing else in flight while time jumps
		const maxAttempts = 4
		disp := start(t, webhook.Options{Store: s, Clock: clk, MaxAttempts: maxAttempts, MaxIdle: time.Hour})
		newTicket(t, s, tenantID, "never answered")

		ticketDelivery := func() kefu.Delivery {
			for _, d := range deliveries(t, s, tenantID, hookID) {
				if d.EventType == "ticket.created" {
					return d
				}
			}
			return kefu.Delivery{}
		}
		for n := 1; n <= maxAttempts; n++ {
			var d kefu.Delivery
			eventually(t, "attempt "+strconv.Itoa(n), func() bool { d = ticketDelivery(); return d.Attempts == n })
			if n < maxAttempts {
				if d.State != "pending" || d.NextAt == nil {
					t.Fatalf("attempt %d: %+v", n, d)
				}
				clk.Advance(15 * time.Hour) // beyond the longest jittered wait
				disp.Kick()
				continue
			}
			if d.State != "dead" || d.NextAt != nil || d.DeliveredAt != nil || d.LastStatus != 503 || !strings.Contains(d.LastError, "503") {
				t.Fatalf("after the last attempt: %+v", d)
			}
		}
		// Everything is dead now: nothing is left to claim, ever.
		for _, d := range deliveries(t, s, tenantID, hookID) {
			if d.State != "dead" {
				t.Fatalf("delivery %s is %s", d.ID, d.State)
			}
		}
		if next, err := s.NextDeliveryAt(ctx); err != nil || next != nil {
			t.Fatalf("NextDeliveryAt = %v, %v; want nothing pending", next, err)
		}
		if n, want := len(rcv.requests()), maxAttempts; n != want {
			t.Fatalf("subscriber got %d requests, want %d", n, want)
		}
	})
}

func TestTransportFailuresAreRecorded(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		slow := newReceiver(t, clk, func(_ int, r *http.Request) int {
			select {
			case <-r.Context().Done(): // the dispatcher gave up
			case <-time.After(10 * time.Second):
			}
			return http.StatusOK
		})
		gone := httptest.NewServer(http.NotFoundHandler())
		goneURL := gone.URL + "/hook?token=s3cr3t"
		gone.Close()

		tenantID, slowHook := newTenant(t, s, "acme", slow.URL, "ticket.created")
		goneHook := addHook(t, s, tenantID, goneURL, "ticket.created")
		start(t, webhook.Options{Store: s, Clock: clk, Timeout: 100 * time.Millisecond, MaxIdle: time.Hour})
		newTicket(t, s, tenantID, "nobody home")

		d := oneDelivery(t, s, tenantID, slowHook, "timeout recorded", func(d kefu.Delivery) bool { return d.Attempts == 1 })
		if d.State != "pending" || d.LastStatus != 0 || d.LastError != "no response within 100ms" {
			t.Fatalf("timed-out attempt: %+v", d)
		}
		d = oneDelivery(t, s, tenantID, goneHook, "refusal recorded", func(d kefu.Delivery) bool { return d.Attempts == 1 })
		if d.State != "pending" || d.LastStatus != 0 || d.LastError == "" || strings.Contains(d.LastError, "s3cr3t") {
			t.Fatalf("refused attempt: %+v", d)
		}
	})
}

func TestRedirectIsAFailure(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		target := newReceiver(t, clk, status(http.StatusOK))
		moved := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
		t.Cleanup(moved.Close)
		tenantID, hookID := newTenant(t, s, "acme", moved.URL, "ticket.created")
		start(t, webhook.Options{Store: s, Clock: clk, MaxIdle: time.Hour})
		newTicket(t, s, tenantID, "moved")

		d := oneDelivery(t, s, tenantID, hookID, "attempt", func(d kefu.Delivery) bool { return d.Attempts == 1 })
		if d.State != "pending" || d.LastStatus != http.StatusFound {
			t.Fatalf("redirected attempt: %+v", d)
		}
		if n := len(target.requests()); n != 0 {
			t.Fatalf("redirect was followed (%d requests)", n)
		}
	})
}

// Several dispatchers racing for the same queue, on one store and on two
// stores over the same database (two nodes), send each delivery once.
func TestConcurrentDispatchersNeverDuplicate(t *testing.T) {
	const tickets = 40
	run := func(t *testing.T, writer *store.Store, nodes []*store.Store) {
		var mu sync.Mutex
		seen := map[string]int{}
		rcv := newReceiver(t, writer, func(_ int, r *http.Request) int {
			mu.Lock()
			seen[r.Header.Get(webhook.HeaderDelivery)]++
			mu.Unlock()
			return http.StatusOK
		})
		tenantID, hookID := newTenant(t, writer, "acme", rcv.URL, "ticket.created")
		// Half the deliveries are due before any dispatcher starts, so they
		// all race for the same rows; the rest arrive while they run.
		for i := range tickets / 2 {
			newTicket(t, writer, tenantID, "early "+strconv.Itoa(i))
		}
		for _, s := range nodes {
			// Two dispatchers per store: only the last registered gets the
			// store's wake-up, the other competes by polling.
			for range 2 {
				start(t, webhook.Options{Store: s, Workers: 3, MaxIdle: 10 * time.Millisecond})
			}
		}
		for i := range tickets / 2 {
			newTicket(t, writer, tenantID, "late "+strconv.Itoa(i))
		}

		eventually(t, "all delivered", func() bool {
			ds := deliveries(t, writer, tenantID, hookID)
			if len(ds) != tickets {
				return false
			}
			for _, d := range ds {
				if d.State != "delivered" {
					return false
				}
			}
			return true
		})
		for _, d := range deliveries(t, writer, tenantID, hookID) {
			if d.Attempts != 1 {
				t.Errorf("delivery %s took %d attempts", d.ID, d.Attempts)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != tickets {
			t.Fatalf("subscriber saw %d distinct deliveries, want %d", len(seen), tickets)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s sent %d times", id, n)
			}
		}
	}

	t.Run("one store", func(t *testing.T) {
		storetest.Each(t, nil, func(t *testing.T, s *store.Store) { run(t, s, []*store.Store{s}) })
	})
	t.Run("two nodes", func(t *testing.T) {
		for _, b := range storetest.Backends() {
			t.Run(b.Name, func(t *testing.T) {
				dsn := b.DSN(t)
				a, c := openDSN(t, dsn), openDSN(t, dsn)
				run(t, a, []*store.Store{a, c})
			})
		}
	})
}

func openDSN(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRunFinishesInFlightAttemptOnShutdown(t *testing.T) {
	clk := newClock()
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		arrived, release := make(chan struct{}), make(chan struct{})
		rcv := newReceiver(t, clk, func(int, *http.Request) int {
			close(arrived)
			<-release
			return http.StatusOK
		})
		tenantID, hookID := newTenant(t, s, "acme", rcv.URL, "ticket.created")
		d := webhook.New(webhook.Options{Store: s, Clock: clk, MaxIdle: time.Hour})
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- d.Run(runCtx) }()

		newTicket(t, s, tenantID, "slow subscriber")
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("request never arrived")
		}
		if err := d.Run(runCtx); err == nil {
			t.Fatal("a second concurrent Run was allowed")
		}

		cancel()
		select {
		case err := <-done:
			t.Fatalf("Run returned (%v) while an attempt was in flight", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the attempt finished")
		}
		// Recorded before Run returned, not left to a lease expiry.
		ds := deliveries(t, s, tenantID, hookID)
		if len(ds) != 1 || ds[0].State != "delivered" || ds[0].Attempts != 1 {
			t.Fatalf("after shutdown: %+v", ds)
		}
	})
}
