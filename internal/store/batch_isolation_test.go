package store_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// One request whose data PostgreSQL refuses (here an Idempotency-Key that
// is not UTF-8; the API refuses such keys first) must not fail the others
// that share its batch: the batch's rows go in one statement, so the writer
// runs them one by one to find the one at fault.
func TestBadRowFailsOnlyItsRequest(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := storetest.Open(t, b, clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)))
			sc, _, _ := timerWorld(t, s)
			const n = 24
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					key := "k-" + strconv.Itoa(i)
					if i == n/2 {
						key = "bad\xff\xfe"
					}
					ctx := store.WithIdempotency(ctx, &store.IdemSlot{TenantID: sc.TenantID, Principal: "p", Key: key, RequestHash: "h", Status: 201})
					_, _, errs[i] = s.CreateTicket(ctx, sc, store.System, store.NewTicket{Ticket: kefu.Ticket{Subject: "batch " + strconv.Itoa(i), Channel: kefu.ChannelChat},
						Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "1390000" + strconv.Itoa(1000+i)}}}})
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if i != n/2 && err != nil {
					t.Errorf("request %d failed with the bad one: %v", i, err)
				}
			}
		})
	}
}
