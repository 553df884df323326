package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
	"github.com/kefu-project/kefu/internal/webhook"
)

// TestWebhookThroughTheNode: a subscription made through the API receives
// a signed ticket.created from a running node, and the delivery log shows it.
func TestWebhookThroughTheNode(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := storetest.Open(t, b, nil)
			if err := Bootstrap(context.Background(), s, "root@kefu.test", "root-password-123", io.Discard); err != nil {
				t.Fatal(err)
			}
			got := make(chan map[string]any, 4)
			const secret = "a-secret-of-24-characters"
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := webhook.VerifyRequest(r, secret, 1<<20, time.Now(), 5*time.Minute)
				if err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				var ev map[string]any
				json.Unmarshal(body, &ev)
				got <- ev
			}))
			defer rcv.Close()

			cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Version: "test"}
			n, err := NewNode(cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			addr := make(chan string, 1)
			cfg.Ready = func(a string) { addr <- a }
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, cfg, n) }()
			h := &harness{t: t, s: s, srv: &httptest.Server{URL: "http://" + <-addr}}
			tok := h.tokenFor("root@kefu.test")
			hook := h.must(201, tok, "POST", "/api/v1/webhooks", map[string]any{"url": rcv.URL, "events": []string{"ticket.created"}, "secret": secret})
			tk := h.must(201, tok, "POST", "/api/v1/tickets", newTicketBody("通知我"))
			select {
			case ev := <-got:
				if ev["type"] != "ticket.created" || ev["entity_id"] != tk.str(t, "id") {
					t.Fatalf("event %v", ev)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no delivery within 10 s")
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				items := h.must(200, tok, "GET", "/api/v1/webhooks/"+hook.str(t, "id")+"/deliveries", nil).json(t)["items"].([]any)
				if len(items) == 1 && items[0].(map[string]any)["state"] == "delivered" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("delivery log: %v", items)
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
