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
			// The alarm is the first of the two writes: the retry must be
			// recognised before it, not only by the message's write.
			if n := len(items(t, h.must(200, w.Token, "GET", "/api/v1/emergencies?ticket_id="+id, nil))); n != 1 {
				t.Fatalf("%d emergencies raised, want 1", n)
			}
		})
	}
}

// The hot routes (a new ticket, a message) leave the Idempotency-Key to
// their write instead of reading it first. A retry that arrives after the
// ticket changed, so that its handler now fails before any write, still
// gets the first attempt's response, and a reused key with another body
// is still refused.
func TestRetryAfterTheTicketChanged(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("retry")
			created := h.must(201, w.Token, "POST", "/api/v1/tickets", newTicketBody("退款还没到"), "Idempotency-Key", "t-1").json(t)
			id := created["id"].(string)
			msg := map[string]any{"kind": "customer", "body": "请尽快处理退款"}
			first := h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", msg, "Idempotency-Key", "m-1").json(t)
			h.must(200, w.Token, "PATCH", "/api/v1/tickets/"+id, map[string]any{"status": "closed"})
			if r := h.do(w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "customer", "body": "还在吗"}); r.Status != 409 {
				t.Fatalf("a new message to the closed ticket: %d %s, want 409", r.Status, r.Body)
			}
			again := h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", msg, "Idempotency-Key", "m-1")
			if again.Header.Get("Idempotent-Replayed") != "true" || again.json(t)["id"] != first["id"] {
				t.Fatalf("the retry after the close: %s", again.Body)
			}
			r := h.do(w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "customer", "body": "另一句"}, "Idempotency-Key", "m-1")
			if r.Status != 422 || !strings.Contains(string(r.Body), "idempotency_key_reused") {
				t.Fatalf("the key with another body: %d %s", r.Status, r.Body)
			}
			msgs := items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+id+"/messages", nil))
			if len(msgs) != 2 {
				t.Fatalf("%d messages, want the ticket's first and m-1", len(msgs))
			}
			retried := h.must(201, w.Token, "POST", "/api/v1/tickets", newTicketBody("退款还没到"), "Idempotency-Key", "t-1")
			if retried.Header.Get("Idempotent-Replayed") != "true" || retried.json(t)["id"] != id {
				t.Fatalf("the ticket's retry: %s", retried.Body)
			}
		})
	}
}
