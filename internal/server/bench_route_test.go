package server

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/bench"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// kefu bench route against a real node: every ticket it records is offered
// to an agent, and the warm-up's tickets are created and routed but not
// recorded. With --message each ticket carries the customer's first words.
func TestBenchRoute(t *testing.T) {
	for _, message := range []bool{false, true} {
		t.Run(fmt.Sprint("message=", message), func(t *testing.T) {
			h := newHarness(t, storetest.Backends()[0])
			var out bytes.Buffer
			const rate = 100
			res, err := bench.RunRoute(context.Background(), bench.RouteOptions{BaseURL: h.srv.URL, Token: h.admin,
				Rate: rate, Duration: time.Second, Warmup: 500 * time.Millisecond, Agents: 5, Message: message}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if res.Created != rate || res.Offered != rate || res.CreateErrors != 0 {
				t.Fatalf("recorded %d created, %d offered, %d errors; want %d, %d, 0\n%s", res.Created, res.Offered, res.CreateErrors, rate, rate, out.String())
			}
			if !(res.OfferP50MS > 0 && res.OfferP50MS <= res.OfferP99MS && res.OfferP99MS <= res.OfferMaxMS) {
				t.Errorf("offer percentiles out of order: %+v", res)
			}
			if !strings.Contains(out.String(), "after 500ms of warm-up") {
				t.Errorf("the output does not say there was a warm-up:\n%s", out.String())
			}
			// The warm-up's 50 tickets went through the server too.
			items := h.must(200, h.admin, "GET", "/api/v1/tickets?limit=200", nil).json(t)["items"].([]any)
			routed, wantMessages := 0, 0.0
			if message {
				wantMessages = 1
			}
			for _, it := range items {
				tk := it.(map[string]any)
				if tk["subject"] != "bench route" {
					continue
				}
				routed++
				if tk["message_count"] != wantMessages {
					t.Fatalf("a bench ticket holds %v messages, want %v: %v", tk["message_count"], wantMessages, tk)
				}
			}
			if want := rate + rate/2; routed != want {
				t.Errorf("the server holds %d bench tickets, want %d (warm-up included)", routed, want)
			}
		})
	}
}
