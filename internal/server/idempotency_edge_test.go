package server

import (
	"strings"
	"testing"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

// Input PostgreSQL cannot keep is refused at the door, naming it, on both
// stores alike: an Idempotency-Key that is not printable UTF-8, a NUL in
// any text. An escaped backslash before "u0000" is ordinary text.
func TestIdempotencyKeyAndNULRefused(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("edge")
			for _, key := range []string{"bad\xff\xfe", "tab\there"} {
				if r := h.do(w.Token, "POST", "/api/v1/tickets", newTicketBody("键"), "Idempotency-Key", key); r.Status != 422 || !strings.Contains(string(r.Body), "Idempotency-Key") {
					t.Fatalf("key %q: %d %s", key, r.Status, r.Body)
				}
			}
			nul := `{"subject":"x","channel":"chat","customer":{"name":"c","identities":[{"kind":"phone","value":"13900009999"}]},"message":{"kind":"customer","body":"a\u0000b"}}`
			if r := h.do(w.Token, "POST", "/api/v1/tickets", nul); r.Status != 422 || !strings.Contains(string(r.Body), "u0000") {
				t.Fatalf("a NUL: %d %s", r.Status, r.Body)
			}
			fine := `{"subject":"x","channel":"chat","customer":{"name":"c","identities":[{"kind":"phone","value":"13900009999"}]},"message":{"kind":"customer","body":"path C:\\u0000dir"}}`
			if r := h.do(w.Token, "POST", "/api/v1/tickets", fine); r.Status != 201 || !strings.Contains(string(r.Body), `C:\\u0000dir`) {
				t.Fatalf("an escaped backslash: %d %s", r.Status, r.Body)
			}
		})
	}
}

// A customer's message that raises an emergency is two writes (the alarm
// first, then the message); with an Idempotency-Key both happen, and a
// retry replays the message without a second one.
func TestEmergencyMessageWithIdempotencyKey(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("sos")
			id := w.IDs["ticket"]
			before := len(items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+id+"/messages", nil)))
			m := h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "customer", "body": "救命 有人跟着我"}, "Idempotency-Key", "sos-1").json(t)
			again := h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "customer", "body": "救命 有人跟着我"}, "Idempotency-Key", "sos-1").json(t)
			if m["body"] != "救命 有人跟着我" || again["id"] != m["id"] {
				t.Fatalf("the message, and its replay: %v / %v", m, again)
			}
			if n := len(items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+id+"/messages", nil))); n != before+1 {
				t.Fatalf("%d messages, want %d", n, before+1)
			}
			if tk := h.must(200, w.Token, "GET", "/api/v1/tickets/"+id, nil).json(t); tk["priority"] != "emergency" {
				t.Fatalf("no emergency: %v", tk["priority"])
			}
		})
	}
}
