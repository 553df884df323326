package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/signature"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// intakeSteps returns the decisions of the ticket's intake.decided events,
// oldest first, each as "step=decision".
func intakeSteps(t *testing.T, h *harness, token, ticket string) [][]string {
	t.Helper()
	var out [][]string
	for _, e := range items(t, h.must(200, token, "GET", "/api/v1/tickets/"+ticket+"/history?limit=500", nil)) {
		if e["type"] != "intake.decided" {
			continue
		}
		var steps []string
		for _, s := range e["after"].(map[string]any)["steps"].([]any) {
			st := s.(map[string]any)
			if st["why"] == "" || st["why"] == nil {
				t.Fatalf("a decision without its reason: %v", st)
			}
			steps = append(steps, st["step"].(string)+"="+st["decision"].(string))
		}
		out = append(out, steps)
	}
	return out
}

// Every inbound message passes one pipeline, and each step's decision is
// on the ticket's history with why: who the customer is, screening, repeat,
// category and language.
func TestIntakeDecisionsOnHistory(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("door")
			cust := map[string]any{"identities": []map[string]any{{"kind": "phone", "value": "13900005555"}}}
			tk := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "快递", "channel": "chat", "customer": cust,
				"message": map[string]any{"kind": "customer", "body": "我的快递三天了还没收到，单号 SF1234567890"}}).json(t)
			id := tk["id"].(string)
			if tk["category"] != "delivery" {
				t.Fatalf("intake did not classify the ticket: %v", tk["category"])
			}
			got := intakeSteps(t, h, w.Token, id)
			want := "customer=new customer screen=no emergency classify=category delivery, language zh-Hans"
			if len(got) != 1 || strings.Join(got[0], " ") != want {
				t.Fatalf("first contact's decisions: %v", got)
			}
			// The same customer, in traditional characters, about the same
			// parcel: joins the open ticket, and says so.
			again := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "包裹", "channel": "app", "customer": cust,
				"message": map[string]any{"kind": "customer", "body": "我的包裹還沒收到，單號 SF1234567890"}}).json(t)
			if again["repeat"] != true || again["id"] != id {
				t.Fatalf("not joined: %v", again)
			}
			got = intakeSteps(t, h, w.Token, id)
			if len(got) != 2 || !strings.HasPrefix(got[1][0], "customer=known customer") || !strings.HasPrefix(got[1][2], "repeat=joins open ticket #") ||
				got[1][3] != "classify=category delivery, language zh-Hant" {
				t.Fatalf("the repeat's decisions: %v", got)
			}
			// A later message on the ticket passes the same door.
			h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "customer", "body": "Any news on my parcel?"})
			got = intakeSteps(t, h, w.Token, id)
			if len(got) != 3 || strings.Join(got[2], " ") != "screen=no emergency classify=category delivery, language en" {
				t.Fatalf("the follow-up's decisions: %v", got)
			}
			// An agent's reply is not a customer's word: no intake.
			h.must(201, w.Token, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"kind": "agent", "body": "救命 is what the customer wrote earlier"})
			if got = intakeSteps(t, h, w.Token, id); len(got) != 3 {
				t.Fatalf("an agent's reply went through intake: %v", got)
			}
		})
	}
}

// A tenant's screening data and its external classifier: its own cue makes
// its code word an emergency; the classifier, asked signed, can add an
// emergency but a slow one cannot hold the door.
func TestIntakeTenantRulesAndClassifier(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("rules")
			const secret = "classifier-secret"
			var asked, badSig atomic.Int32
			cls := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				body, _ := io.ReadAll(r.Body)
				ts, _ := strconv.ParseInt(r.Header.Get("X-Kefu-Timestamp"), 10, 64)
				if signature.Verify(secret, r.Header.Get("X-Kefu-Signature"), ts, body, time.Unix(ts, 0), time.Minute) != nil {
					badSig.Add(1)
					http.Error(rw, "bad signature", 401)
					return
				}
				var in struct{ Text string }
				json.Unmarshal(body, &in)
				if strings.Contains(in.Text, "慢") {
					time.Sleep(time.Second)
				}
				json.NewEncoder(rw).Encode(map[string]any{"emergency": strings.Contains(in.Text, "蓝色大门"), "kind": "kidnapping", "score": 0.93, "reason": "code phrase of the tenant's drivers"})
			}))
			defer cls.Close()
			if r := h.do(w.Token, "PUT", "/api/v1/intake/rules", map[string]any{"cues": []map[string]any{{"name": "x", "weight": 4, "terms": []string{"红色雨伞"}}}}); r.Status != 422 || !strings.Contains(string(r.Body), "cues[0].kind") {
				t.Fatalf("a cue without its kind: %d %s", r.Status, r.Body)
			}
			rules := map[string]any{
				"cues":       []map[string]any{{"name": "code_word", "kind": "kidnapping", "weight": 5, "terms": []string{"红色雨伞"}}},
				"classifier": map[string]any{"url": cls.URL, "secret": secret, "timeout_ms": 200},
			}
			saved := h.must(200, w.Token, "PUT", "/api/v1/intake/rules", rules).json(t)
			if saved["classifier"].(map[string]any)["secret"] != "[redacted]" || strings.Contains(string(h.must(200, w.Token, "GET", "/api/v1/intake/rules", nil).Body), secret) {
				t.Fatalf("the classifier secret is shown: %v", saved)
			}
			// Saving back what was shown keeps the secret.
			shown := h.must(200, w.Token, "GET", "/api/v1/intake/rules", nil).json(t)
			h.must(200, w.Token, "PUT", "/api/v1/intake/rules", shown)
			n := 0
			open := func(body string) map[string]any {
				n++
				return h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "行程", "channel": "chat",
					"customer": map[string]any{"name": "乘客", "identities": []map[string]any{{"kind": "phone", "value": "1390000700" + strconv.Itoa(n)}}},
					"message":  map[string]any{"kind": "customer", "body": body}}).json(t)
			}
			if tk := open("我看到紅色雨傘了"); tk["priority"] != "emergency" {
				t.Fatalf("the tenant's cue did not raise an emergency: %v", tk)
			}
			tk := open("司机说要去蓝色大门那边")
			if tk["priority"] != "emergency" {
				t.Fatalf("the classifier's emergency was not raised: %v", tk)
			}
			got := intakeSteps(t, h, w.Token, tk["id"].(string))
			if len(got) != 1 || got[0][0] != "screen=no emergency" || got[0][1] != "classifier=emergency: kidnapping" {
				t.Fatalf("decisions with the classifier: %v", got)
			}
			start := time.Now()
			tk = open("我慢慢等，你们的车什么时候到")
			if took := time.Since(start); tk["priority"] == "emergency" || took > 900*time.Millisecond {
				t.Fatalf("a slow classifier held the door for %v: %v", took, tk)
			}
			got = intakeSteps(t, h, w.Token, tk["id"].(string))
			if len(got) != 1 || !strings.HasPrefix(got[0][2], "classifier=no answer") {
				t.Fatalf("decisions with a silent classifier: %v", got)
			}
			if asked.Load() != 2 || badSig.Load() != 0 { // not asked when the built-in screening found the emergency itself
				t.Fatalf("classifier asked %d times, %d with a bad signature", asked.Load(), badSig.Load())
			}
		})
	}
}

// A slipped promise is told to the customer in the language they wrote in,
// whatever the tenant's own.
func TestSlipNoticeInCustomersLanguage(t *testing.T) {
	b := storetest.Backends()[0]
	h := newHarness(t, b)
	w := h.world("lang")
	h.must(200, w.Token, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/commitments/"+w.IDs["commitment"]+"/release", map[string]any{"reason": "not part of this test"})
	tk := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "Refund", "channel": "email",
		"customer": map[string]any{"identities": []map[string]any{{"kind": "email", "value": "anna@example.test"}}},
		"message":  map[string]any{"kind": "customer", "body": "Where is my refund? I returned the shoes two weeks ago."}}).str(t, "id")
	h.must(201, w.Token, "POST", "/api/v1/tickets/"+tk+"/commitments", map[string]any{"kind": "refund",
		"description": "refund the shoes", "due_at": h.clk.Now().Add(2 * time.Hour)})
	h.advance("3h")
	var notice string
	for _, m := range items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+tk+"/messages", nil)) {
		if m["kind"] == "notice" {
			notice = m["body"].(string)
		}
	}
	if !strings.HasPrefix(notice, "We are sorry: we promised to refund the shoes") {
		t.Fatalf("the notice is not in the customer's language: %q", notice)
	}
}
