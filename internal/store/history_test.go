package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// The history of one entity, whatever its kind: exactly the events that
// name it, in order. A ticket's own events are found through another index
// than the rest (migration 0008/0007), so tickets, customers and messages
// are each checked against a scan of the whole history.
func TestEventsOfAnEntity(t *testing.T) {
	storetest.Each(t, clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)), func(t *testing.T, s *store.Store) {
		sc, first, _ := timerWorld(t, s)
		tk, _, err := s.CreateTicket(ctx, sc, store.System, contact("13500002222", "发票开错了"))
		if err != nil {
			t.Fatal(err)
		}
		reply, err := s.AddMessage(ctx, sc, store.System, tk.ID, kefu.Message{Kind: kefu.MessageAgent, Body: "已为您重新开具"})
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.Events(ctx, sc.TenantID, store.EventFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		seqs := func(evs []kefu.Event) []int64 { return pluck(evs, func(e kefu.Event) int64 { return e.Seq }) }
		for _, c := range []struct{ name, id string }{
			{"a ticket", tk.ID}, {"another ticket", first.ID}, {"a customer", tk.CustomerID}, {"a message", reply.ID},
		} {
			var want []kefu.Event
			for _, e := range all {
				if e.EntityID == c.id {
					want = append(want, e)
				}
			}
			got, err := s.Events(ctx, sc.TenantID, store.EventFilter{EntityID: c.id, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !slices.Equal(seqs(got), seqs(want)) {
				t.Errorf("%s's history: events %v, want %v", c.name, seqs(got), seqs(want))
			}
			if len(want) > 1 {
				later, err := s.Events(ctx, sc.TenantID, store.EventFilter{EntityID: c.id, AfterSeq: want[0].Seq, Limit: 200})
				if err != nil || !slices.Equal(seqs(later), seqs(want[1:])) {
					t.Errorf("%s's history after its first event: %v, %v; want %v", c.name, seqs(later), err, seqs(want[1:]))
				}
			}
		}
	})
}
