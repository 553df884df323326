package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// Search finds every row written before it, at once, and only by its
// current text: many clients create tickets and customers and at once
// rename them, so that batches mix new rows' search text and changed
// rows' (fts.go).
func TestSearchFindsWhatWasJustWritten(t *testing.T) {
	storetest.Each(t, clock.NewManual(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)), func(t *testing.T, s *store.Store) {
		sc, _, _ := timerWorld(t, s)
		const n = 40
		tickets, customers := make([]string, n), make([]string, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := contact(fmt.Sprintf("1370000%04d", i), fmt.Sprintf("旧标题 old%d", i))
				n.Message.Body = "请尽快处理" // the words to rename are the subject's alone
				tk, _, err := s.CreateTicket(ctx, sc, store.System, n)
				if err != nil {
					errs <- err
					return
				}
				tickets[i], customers[i] = tk.ID, tk.CustomerID
				if i%2 == 0 {
					return // keeps its first text
				}
				subject := fmt.Sprintf("新标题 new%d", i)
				if _, err := s.UpdateTicket(ctx, sc, store.System, tk.ID, store.TicketPatch{Subject: &subject}); err != nil {
					errs <- err
					return
				}
				name := fmt.Sprintf("renamed%d", i)
				if _, err := s.UpdateCustomer(ctx, sc, store.System, tk.CustomerID, store.CustomerPatch{Name: &name}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		found := func(q string) []string {
			t.Helper()
			got, _, err := s.Tickets(ctx, sc, store.TicketFilter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			return pluck(got, func(tk kefu.Ticket) string { return tk.ID })
		}
		foundCustomers := func(q string) []string {
			t.Helper()
			got, _, err := s.Customers(ctx, sc, store.CustomerFilter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			return pluck(got, func(c kefu.Customer) string { return c.ID })
		}
		for i := range n {
			old, now := found(fmt.Sprintf("old%d", i)), found(fmt.Sprintf("new%d", i))
			renamed := foundCustomers(fmt.Sprintf("renamed%d", i))
			if i%2 == 0 {
				if len(old) != 1 || old[0] != tickets[i] || len(now) != 0 {
					t.Fatalf("ticket %d, never renamed: by its text %v, by another %v", i, old, now)
				}
				if len(renamed) != 0 {
					t.Fatalf("customer %d, never renamed, found by a name it never had: %v", i, renamed)
				}
				continue
			}
			if len(now) != 1 || now[0] != tickets[i] || len(old) != 0 {
				t.Fatalf("ticket %d, renamed: by its new text %v, by its old %v", i, now, old)
			}
			if len(renamed) != 1 || renamed[0] != customers[i] {
				t.Fatalf("customer %d, renamed: by its new name %v", i, renamed)
			}
		}
	})
}

// pluck is f of each of xs, in order.
func pluck[T, V any](xs []T, f func(T) V) []V {
	out := make([]V, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
