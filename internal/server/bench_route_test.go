package server

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/bench"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// kefu bench route against a real node: every ticket it records is offered
// to an agent, and the warm-up's tickets are created and routed but not
// recorded.
func TestBenchRoute(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	var out bytes.Buffer
	const rate = 100
	res, err := bench.RunRoute(context.Background(), bench.RouteOptions{BaseURL: h.srv.URL, Token: h.admin,
		Rate: rate, Duration: time.Second, Warmup: 500 * time.Millisecond, Agents: 5}, &out)
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
	routed := 0
	for _, it := range items {
		if it.(map[string]any)["subject"] == "bench route" {
			routed++
		}
	}
	if want := rate + rate/2; routed != want {
		t.Errorf("the server holds %d bench tickets, want %d (warm-up included)", routed, want)
	}
}
