package store

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store/storetest/pgschema"
)

// On PostgreSQL a new customer and a new ticket wait with the batch's other
// rows (insertFirst), and any other statement of the batch writes them
// first. Here one batch holds, in this order: a new customer; a stale hint
// (the identity is taken, so the queued rows are refused when the next
// operation's lookup writes them); and a returning customer, whose lookup
// ran that write. Nobody may fail for another's rows: the batch runs again
// one operation at a time, the stale hint finds the customer, and every
// operation keeps the ticket number it was given.
func TestQueuedRowsOfABatch(t *testing.T) {
	eachStore(t, Options{Writers: 1}, func(t *testing.T, s *Store, sc Scope) { // one writer: the batch is made here
		ctx := context.Background()
		ref := func(phone string, unseen bool) CustomerRef {
			return CustomerRef{Name: "客户" + phone, Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}, Unseen: unseen}
		}
		first, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "第一次"}, Customer: ref("13800000001", false)})
		if err != nil {
			t.Fatal(err)
		}

		// Hold the writer, queue the three, then let it gather them.
		release, holding := make(chan struct{}), make(chan struct{})
		go s.Write(ctx, func(*Tx) error { close(holding); <-release; return nil })
		<-holding
		refs := []CustomerRef{ref("13800000002", true), ref("13800000001", true), ref("13800000001", false)}
		type result struct {
			t   kefu.Ticket
			err error
		}
		results := make([]chan result, len(refs))
		for i, r := range refs {
			results[i] = make(chan result, 1)
			queued := len(s.writer.ops)
			go func() {
				tk, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "同一批"}, Customer: r,
					Message: &kefu.Message{Kind: kefu.MessageCustomer, Body: "还没到"}})
				results[i] <- result{tk, err}
			}()
			for deadline := time.Now().Add(5 * time.Second); len(s.writer.ops) == queued; {
				if time.Now().After(deadline) {
					t.Fatal("the write was not queued")
				}
				time.Sleep(time.Millisecond)
			}
		}
		batches := s.writer.batches.Load()
		close(release)
		var got []kefu.Ticket
		for i := range refs {
			r := <-results[i]
			if r.err != nil {
				t.Fatalf("operation %d: %v", i, r.err)
			}
			got = append(got, r.t)
		}
		// The held batch, then the three in one; on PostgreSQL that one is
		// refused and its operations commit one by one.
		want := uint64(2)
		if s.dialect == Postgres {
			want = 4
		}
		// A batch is counted just after its operations are answered.
		n := s.writer.batches.Load() - batches
		for deadline := time.Now().Add(5 * time.Second); n < want && time.Now().Before(deadline); n = s.writer.batches.Load() - batches {
			time.Sleep(time.Millisecond)
		}
		if n != want {
			t.Errorf("%d batches committed, want %d", n, want)
		}
		if got[0].CustomerID == first.CustomerID || got[1].CustomerID != first.CustomerID || got[2].CustomerID != first.CustomerID {
			t.Errorf("customers %s %s %s, want a new one and then %s twice", got[0].CustomerID, got[1].CustomerID, got[2].CustomerID, first.CustomerID)
		}
		for i, tk := range got {
			if tk.Number != first.Number+int64(i)+1 {
				t.Errorf("operation %d got ticket #%d, want #%d", i, tk.Number, first.Number+int64(i)+1)
			}
			back, err := s.Ticket(ctx, sc, tk.ID)
			if err != nil || back.CustomerID != tk.CustomerID || back.MessageCount != 1 {
				t.Errorf("ticket %d read back as %+v (%v)", i, back, err)
			}
		}
		evs, err := s.Events(ctx, sc.TenantID, EventFilter{Type: "customer.created", Limit: 10})
		if err != nil || len(evs) != 2 {
			t.Errorf("%d customers created (%v), want 2", len(evs), err)
		}
	})
}

// A PostgreSQL writer keeps its own connection between batches (lane).
// When the database ends it and the pool's idle ones (a restart, a
// failover), the next write must still go through: the writer begins again
// on a connection that works.
func TestWriterOutlivesItsConnection(t *testing.T) {
	base := os.Getenv("KEFU_TEST_POSTGRES")
	if base == "" {
		t.Skip("needs KEFU_TEST_POSTGRES (.ci/run sets it)")
	}
	ctx := context.Background()
	dsn := pgschema.Fresh(t, base) + "&application_name=kefu_lane_test"
	s, sc := openWithTenant(t, dsn, Options{Writers: 1})
	create := func(phone string) error {
		_, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "断线"},
			Customer: CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}}})
		return err
	}
	if err := create("13700000001"); err != nil {
		t.Fatal(err)
	}
	// Some idle connections in the pool besides the writer's, as under load.
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.rdb.ExecContext(ctx, `SELECT pg_sleep(0.05)`)
		}()
	}
	wg.Wait()
	// End them all from the database's side, as a restart would.
	var ended int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'kefu_lane_test' AND pid <> pg_backend_pid() AND state = 'idle'`).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	if ended == 0 {
		t.Fatal("no idle connection of the store to end")
	}
	if err := create("13700000002"); err != nil {
		t.Fatalf("the write after the connection ended: %v", err)
	}
}
