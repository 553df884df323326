package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

// sse reads a server-sent event stream into a channel of (event, data).
type sseEvent struct {
	Event string
	Data  map[string]any
}

func (h *harness) stream(token, query string) (<-chan sseEvent, func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/v1/routing/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 100)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(line[6:]), &ev.Data)
			case line == "" && ev.Event != "":
				ch <- ev
				ev = sseEvent{}
			}
		}
		close(ch)
	}()
	return ch, cancel
}

func next(t *testing.T, ch <-chan sseEvent, event string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended waiting for %s", event)
			}
			if ev.Event == event {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", event)
		}
	}
}

// TestRoutingThroughTheAPI: queue and agent setup, presence, an offer
// pushed to the agent's stream with its explanation, accept (the ticket
// is assigned, the decision is in its history), decline, a warm transfer
// and a pull-back on the manual clock, the in-house-only rule, the
// supervisor's live figures, and a restart that rebuilds the engine.
func TestRoutingThroughTheAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("acme")
			tok := w.Token
			id := func(r resp) string { return r.str(t, "id") }
			user := func(email, tier, vendor string) (string, string) {
				body := map[string]any{"email": email, "name": email, "kind": "agent", "tier": tier, "password": "agent-password-1",
					"grants": []map[string]any{{"role_id": w.IDs["role"]}}}
				if vendor != "" {
					body["kind"], body["vendor_id"] = "vendor_agent", vendor
				}
				uid := id(h.must(201, tok, "POST", "/api/v1/users", body))
				return uid, h.tokenFor(email)
			}
			q := w.IDs["queue"] // chat, skill zh
			h.must(200, tok, "PUT", "/api/v1/queues/"+q+"/routing", map[string]any{
				"skills": []map[string]any{{"skill": "zh", "min_level": 2}}, "offer_timeout_seconds": 30,
				"split": []map[string]any{{"pool": "in_house", "weight": 100}}})
			experts := id(h.must(201, tok, "POST", "/api/v1/queues", map[string]any{"name": "专家", "channel": "chat"}))
			safety := id(h.must(201, tok, "POST", "/api/v1/queues", map[string]any{"name": "安全", "channel": "chat", "in_house_only": true}))
			h.must(200, tok, "PUT", "/api/v1/queues/"+experts+"/routing", map[string]any{"tiers": []string{"expert"}})
			// Bad routing data is refused, naming the problem, and nothing changes.
			bad := h.must(422, tok, "PUT", "/api/v1/queues/"+q+"/routing", map[string]any{"steps": []map[string]any{{"after_seconds": 10}, {"after_seconds": 5}}})
			if !strings.Contains(string(bad.Body), "steps") {
				t.Fatalf("bad steps: %s", bad.Body)
			}

			a, aTok := user("a@acme.test", "junior", "")
			bUser, bTok := user("b@acme.test", "junior", "")
			x, xTok := user("x@acme.test", "expert", "")
			v, vTok := user("v@acme.test", "junior", w.IDs["vendor"])
			for _, u := range []string{a, bUser, x, v} {
				h.must(200, tok, "PUT", "/api/v1/users/"+u+"/routing", map[string]any{"skills": map[string]int{"zh": 3}, "capacity": map[string]int{"chat": 2}})
			}
			h.must(422, tok, "PUT", "/api/v1/users/"+a+"/routing", map[string]any{"skills": map[string]int{"zh": 11}})
			// An agent may not set someone else's presence; a supervisor may.
			h.must(403, bTok, "PUT", "/api/v1/users/"+a+"/presence", map[string]any{"state": "available"})
			h.must(422, aTok, "PUT", "/api/v1/users/"+a+"/presence", map[string]any{"state": "dancing"})

			aStream, stopA := h.stream(aTok, "")
			defer stopA()
			h.must(200, aTok, "PUT", "/api/v1/users/"+a+"/presence", map[string]any{"state": "available"})
			t1 := id(h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "退款", "channel": "chat", "queue_id": q,
				"customer": map[string]any{"id": w.IDs["customer"]}}))
			offer := next(t, aStream, "offer")
			if offer.Data["ticket_id"] != t1 || !strings.Contains(offer.Data["explanation"].(string), "arrival") {
				t.Fatalf("offer: %+v", offer.Data)
			}
			if l := h.must(200, aTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 1 {
				t.Fatalf("offers: %v", l)
			}
			h.must(409, bTok, "POST", "/api/v1/tickets/"+t1+"/accept", nil) // not offered to b
			tk := h.must(200, aTok, "POST", "/api/v1/tickets/"+t1+"/accept", nil).json(t)
			if tk["assignee_id"] != a || tk["status"] != "open" {
				t.Fatalf("accepted: %v", tk)
			}
			// Accepting twice (a double click, a retry) answers the same.
			if again := h.must(200, aTok, "POST", "/api/v1/tickets/"+t1+"/accept", nil).json(t); again["assignee_id"] != a {
				t.Fatalf("second accept: %v", again)
			}
			hist := h.must(200, tok, "GET", "/api/v1/tickets/"+t1+"/history", nil)
			if !strings.Contains(string(hist.Body), "ticket.routed") || !strings.Contains(string(hist.Body), "explanation") {
				t.Fatalf("history lacks the decision: %s", hist.Body)
			}

			// Decline: the next ticket goes to a, who declines; b gets it.
			t2 := id(h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "二", "channel": "chat", "queue_id": q,
				"customer": map[string]any{"id": w.IDs["customer"]}}))
			next(t, aStream, "offer")
			h.must(422, aTok, "POST", "/api/v1/tickets/"+t2+"/decline", map[string]any{})
			h.must(200, bTok, "PUT", "/api/v1/users/"+bUser+"/presence", map[string]any{"state": "available"})
			h.must(204, aTok, "POST", "/api/v1/tickets/"+t2+"/decline", map[string]any{"reason": "不是我的语言"})
			h.must(204, aTok, "POST", "/api/v1/tickets/"+t2+"/decline", map[string]any{"reason": "不是我的语言"}) // a retry answers the same
			h.must(200, bTok, "POST", "/api/v1/tickets/"+t2+"/accept", nil)

			// Warm transfer of t1 to experts: nobody there, pulled back after the timeout.
			h.must(403, bTok, "POST", "/api/v1/tickets/"+t1+"/transfer", map[string]any{"queue_id": experts, "reason": "x"})
			h.must(204, aTok, "POST", "/api/v1/tickets/"+t1+"/transfer", map[string]any{"queue_id": experts, "reason": "退款超过我的额度", "timeout_seconds": 60})
			h.clk.Advance(61 * time.Second)
			h.node.Routing.Advance()
			next(t, aStream, "transfer_pulled_back")
			// Again, with the expert online: the expert takes it, a is freed.
			h.must(204, aTok, "POST", "/api/v1/tickets/"+t1+"/transfer", map[string]any{"queue_id": experts, "reason": "退款超过我的额度"})
			h.must(200, xTok, "PUT", "/api/v1/users/"+x+"/presence", map[string]any{"state": "available"})
			tk = h.must(200, xTok, "POST", "/api/v1/tickets/"+t1+"/accept", nil).json(t)
			if tk["assignee_id"] != x {
				t.Fatalf("after transfer: %v", tk)
			}

			// The vendor agent never receives in-house-only work, even when
			// alone online.
			for _, u := range []struct{ id, tok string }{{a, aTok}, {bUser, bTok}, {x, xTok}} {
				h.must(200, u.tok, "PUT", "/api/v1/users/"+u.id+"/presence", map[string]any{"state": "away", "reason": "lunch"})
			}
			h.must(200, vTok, "PUT", "/api/v1/users/"+v+"/presence", map[string]any{"state": "available"})
			sos := id(h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "救命", "channel": "chat", "queue_id": safety,
				"priority": "emergency", "customer": map[string]any{"id": w.IDs["customer"]}}))
			if l := h.must(200, vTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 0 {
				t.Fatalf("vendor got in-house work: %v", l)
			}
			live := h.must(200, tok, "GET", "/api/v1/routing/live", nil).json(t)
			var waiting float64
			for _, qs := range live["queues"].([]any) {
				m := qs.(map[string]any)
				if m["queue"] == safety {
					waiting = m["waiting"].(float64)
				}
			}
			if waiting != 1 {
				t.Fatalf("live figures: %v", live)
			}
			h.must(403, aTok, "GET", "/api/v1/routing/live", nil)

			// Supervisor stream: the current figures first, then events.
			sup, stopSup := h.stream(tok, "?view=supervisor")
			defer stopSup()
			if f := next(t, sup, "figures"); f.Data["queues"] == nil {
				t.Fatalf("figures: %v", f)
			}
			h.must(200, aTok, "PUT", "/api/v1/users/"+a+"/presence", map[string]any{"state": "available"})
			next(t, sup, "routing")
			if tk := h.must(200, tok, "GET", "/api/v1/tickets/"+sos, nil).json(t); tk["assignee_id"] != nil && tk["assignee_id"] != "" {
				t.Fatalf("sos assigned before accept: %v", tk)
			}
			if l := h.must(200, aTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 1 {
				t.Fatalf("a back online gets the emergency: %v", l)
			}
			if log := h.must(200, aTok, "GET", "/api/v1/users/"+a+"/presence-log", nil).json(t)["items"].([]any); len(log) < 3 {
				t.Fatalf("presence log: %v", log)
			}

			// Solving a held ticket frees its agent's capacity.
			h.must(200, xTok, "PATCH", "/api/v1/tickets/"+t1, map[string]any{"status": "solved"})
			if f, _ := h.node.Routing.Figures(context.Background(), w.IDs["tenant"]); true {
				for _, ag := range f.Agents {
					if ag.Agent == x && ag.Load["chat"] != 0 {
						t.Fatalf("x still loaded: %+v", ag)
					}
				}
			}

			// A new node over the same store rebuilds: the emergency still
			// waits for a, and b still holds t2.
			n2, err := NewNode(Config{DataDir: t.TempDir(), Clock: h.clk, Version: "test"}, h.s)
			if err != nil {
				t.Fatal(err)
			}
			defer n2.Routing.Close()
			f, err := n2.Routing.Figures(context.Background(), w.IDs["tenant"])
			if err != nil {
				t.Fatal(err)
			}
			for _, ag := range f.Agents {
				if ag.Agent == bUser && ag.Load["chat"] != 1 {
					t.Fatalf("after restart b's load: %+v", ag)
				}
				if ag.Agent == a && (ag.State != "available" || ag.Load["chat"] != 1) {
					t.Fatalf("after restart a: %+v", ag) // the emergency, offered again
				}
			}
			if o, _ := n2.Routing.Offers(context.Background(), w.IDs["tenant"], a); len(o) != 1 || o[0].TicketID != sos {
				t.Fatalf("after restart a's offers: %+v", o)
			}

			// The live counters are today's: the next day starts from zero.
			answered := func() (string, float64) {
				f := h.must(200, tok, "GET", "/api/v1/routing/live", nil).json(t)
				for _, qs := range f["queues"].([]any) {
					if m := qs.(map[string]any); m["queue"] == q {
						return f["day"].(string), m["answered"].(float64)
					}
				}
				return "", -1
			}
			day1, before := answered()
			h.clk.Advance(24 * time.Hour)
			day2, after := answered()
			if before < 2 || after != 0 || day1 == day2 {
				t.Fatalf("counters across midnight: %s %v → %s %v", day1, before, day2, after)
			}
		})
	}
}

// An agent with no routing profile of their own is routed by their role's
// capacity from their first sign-in.
func TestRoleCapacityRoutesAgentWithoutProfile(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	w := h.world("acme")
	q := h.must(201, w.Token, "POST", "/api/v1/queues", map[string]any{"name": "通用", "channel": "chat"}).str(t, "id")
	agentTok := h.tokenFor("agent@acme.test")
	p := h.must(200, w.Token, "GET", "/api/v1/users/"+w.IDs["agent"]+"/routing", nil).json(t)
	if rc := p["role_capacity"].(map[string]any); rc["chat"] != float64(3) {
		t.Fatalf("role capacity: %v", p)
	}
	h.must(200, agentTok, "PUT", "/api/v1/users/"+w.IDs["agent"]+"/presence", map[string]any{"state": "available"})
	for i := range 4 {
		h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": fmt.Sprint("t", i), "channel": "chat", "queue_id": q,
			"customer": map[string]any{"id": w.IDs["customer"]}})
	}
	if l := h.must(200, agentTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 3 {
		t.Fatalf("the agent role's chat capacity is 3; offers: %d", len(l))
	}
	// Each change is recorded once: the engine's echo of a change the API
	// wrote is not written again.
	h.must(200, agentTok, "PUT", "/api/v1/users/"+w.IDs["agent"]+"/presence", map[string]any{"state": "away", "reason": "lunch"})
	h.node.Routing.Sync()
	if log := h.must(200, agentTok, "GET", "/api/v1/users/"+w.IDs["agent"]+"/presence-log", nil).json(t)["items"].([]any); len(log) != 2 {
		t.Fatalf("two changes, %d entries: %v", len(log), log)
	}
}

// A KA customer met for the first time is routed as KA: the tier the
// ticket's write gave the new customer reaches routing, and the default
// policy's KA credit applies to the tenant's tier code (ka).
func TestNewKACustomerIsRoutedFirst(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("acme")
			q := h.must(201, w.Token, "POST", "/api/v1/queues", map[string]any{"name": "通用", "channel": "chat"}).str(t, "id")
			agentTok := h.tokenFor("agent@acme.test")
			stream, stop := h.stream(agentTok, "")
			defer stop()
			standard := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "查詢訂單", "channel": "chat", "queue_id": q,
				"customer": map[string]any{"name": "王先生", "identities": []map[string]any{{"kind": "phone", "value": "13900000001"}}}}).str(t, "id")
			h.clk.Advance(30 * time.Second)
			ka := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "大客戶退款", "channel": "chat", "queue_id": q,
				"customer": map[string]any{"name": "李總", "tier": "ka", "identities": []map[string]any{{"kind": "phone", "value": "13900000002"}}}}).str(t, "id")
			h.must(200, agentTok, "PUT", "/api/v1/users/"+w.IDs["agent"]+"/presence", map[string]any{"state": "available"})
			offer := next(t, stream, "offer")
			if offer.Data["ticket_id"] != ka || !strings.Contains(offer.Data["explanation"].(string), "customer tier") {
				t.Fatalf("first offer %v; want the KA customer's ticket %s before the standard one %s, credited for the tier", offer.Data, ka, standard)
			}
		})
	}
}

// A lead granted at one subsidiary sees that subsidiary's queues and
// agents in the live view, not the rest of the tenant.
func TestLiveViewFollowsOrgScope(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	w := h.world("acme")
	roles := map[string]string{}
	for _, r := range h.must(200, w.Token, "GET", "/api/v1/roles", nil).json(t)["items"].([]any) {
		m := r.(map[string]any)
		roles[m["name"].(string)] = m["id"].(string)
	}
	sub := w.IDs["org"]
	subQ := h.must(201, w.Token, "POST", "/api/v1/queues", map[string]any{"name": "子公司队列", "channel": "chat", "org_id": sub}).str(t, "id")
	user := func(email, role, org string) string {
		g := map[string]any{"role_id": roles[role]}
		if org != "" {
			g["org_id"] = org
		}
		return h.must(201, w.Token, "POST", "/api/v1/users", map[string]any{"email": email, "name": email, "kind": "agent",
			"password": "password-1234", "grants": []map[string]any{g}}).str(t, "id")
	}
	user("sublead@acme.test", "team_lead", sub)
	subAgent := user("subagent@acme.test", "agent", sub)
	for _, a := range []string{subAgent, w.IDs["agent"]} {
		h.must(200, w.Token, "PUT", "/api/v1/users/"+a+"/presence", map[string]any{"state": "available"})
	}
	ids := func(token string) (queues, agents map[string]bool) {
		f := h.must(200, token, "GET", "/api/v1/routing/live", nil).json(t)
		queues, agents = map[string]bool{}, map[string]bool{}
		for _, q := range f["queues"].([]any) {
			queues[q.(map[string]any)["queue"].(string)] = true
		}
		for _, a := range f["agents"].([]any) {
			agents[a.(map[string]any)["agent"].(string)] = true
		}
		return
	}
	qs, as := ids(h.tokenFor("sublead@acme.test"))
	if len(qs) != 1 || !qs[subQ] || !as[subAgent] || as[w.IDs["agent"]] {
		t.Fatalf("scoped lead sees queues %v agents %v", qs, as)
	}
	qs, as = ids(w.Token)
	if !qs[subQ] || !qs[w.IDs["queue"]] || !as[subAgent] || !as[w.IDs["agent"]] {
		t.Fatalf("tenant admin sees queues %v agents %v", qs, as)
	}
	// The scoped lead's stream shows the same.
	ch, stop := h.stream(h.tokenFor("sublead@acme.test"), "?view=supervisor")
	defer stop()
	f := next(t, ch, "figures")
	if qsList := f.Data["queues"].([]any); len(qsList) != 1 {
		t.Fatalf("stream figures: %v", f.Data["queues"])
	}
}

// Intake screens every customer's words: an emergency ticket is top
// priority in the safety queue from its first moment, routed only to the
// in-house safety team, pinned until a person acknowledges it, and its
// alarm reaches webhooks; a later message can raise one too.
func TestEmergencyFastPath(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	w := h.world("acme")
	tok := w.Token
	safety := h.must(201, tok, "POST", "/api/v1/queues", map[string]any{"name": "安全", "channel": "chat", "in_house_only": true}).str(t, "id")
	h.must(422, tok, "PUT", "/api/v1/intake/settings", map[string]any{"safety_queue_id": "nope"})
	h.must(200, tok, "PUT", "/api/v1/intake/settings", map[string]any{"safety_queue_id": safety})

	// A vendor agent is online; the emergency must wait for in-house.
	v := h.must(201, tok, "POST", "/api/v1/users", map[string]any{"email": "v@acme.test", "name": "外包", "kind": "vendor_agent",
		"vendor_id": w.IDs["vendor"], "password": "password-1234", "grants": []map[string]any{{"role_id": w.IDs["role"]}}}).str(t, "id")
	vTok := h.tokenFor("v@acme.test")
	h.must(200, vTok, "PUT", "/api/v1/users/"+v+"/presence", map[string]any{"state": "available"})

	sup, stopSup := h.stream(tok, "?view=supervisor")
	defer stopSup()
	tk := h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "行程中", "channel": "chat",
		"customer": map[string]any{"id": w.IDs["customer"]},
		"message":  map[string]any{"kind": "customer", "body": "司机把车门锁了，一直往山里开，不说话，我手机快没电了"}}).json(t)
	if tk["priority"] != "emergency" || tk["queue_id"] != safety {
		t.Fatalf("emergency ticket: %v", tk)
	}
	id := tk["id"].(string)
	h.must(200, tok, "POST", "/api/v1/emergencies/"+w.IDs["emergency"]+"/ack", nil) // the world's own, taken care of
	open := h.must(200, tok, "GET", "/api/v1/emergencies", nil).json(t)["items"].([]any)
	if len(open) != 1 || open[0].(map[string]any)["ticket_id"] != id || open[0].(map[string]any)["kind"] != "danger_situation" {
		t.Fatalf("pinned: %v", open)
	}
	if l := h.must(200, vTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 0 {
		t.Fatalf("a vendor agent was offered an emergency: %v", l)
	}
	// An in-house agent comes online and is offered it at once.
	aTok := h.tokenFor("agent@acme.test")
	h.must(200, aTok, "PUT", "/api/v1/users/"+w.IDs["agent"]+"/presence", map[string]any{"state": "available"})
	if l := h.must(200, aTok, "GET", "/api/v1/routing/offers", nil).json(t)["items"].([]any); len(l) != 1 {
		t.Fatalf("in-house offers: %v", l)
	}
	eid := open[0].(map[string]any)["id"].(string)
	h.must(403, vTok, "POST", "/api/v1/emergencies/"+eid+"/ack", nil) // a vendor's agent cannot take it on
	if ev := next(t, sup, "emergency"); ev.Data["emergency"].(map[string]any)["id"] != eid || ev.Data["queue_id"] != safety {
		t.Fatalf("supervisors' stream: %v", ev.Data)
	}
	ack := h.must(200, aTok, "POST", "/api/v1/emergencies/"+eid+"/ack", nil).json(t)
	if ack["acked_by"] != w.IDs["agent"] {
		t.Fatalf("ack: %v", ack)
	}
	next(t, sup, "emergency_acknowledged")
	if l := h.must(200, tok, "GET", "/api/v1/emergencies", nil).json(t)["items"].([]any); len(l) != 0 {
		t.Fatalf("still pinned after the ack: %v", l)
	}
	hist := string(h.must(200, tok, "GET", "/api/v1/tickets/"+id+"/history", nil).Body)
	for _, want := range []string{"emergency.raised", "emergency.acknowledged", "reason"} {
		if !strings.Contains(hist, want) {
			t.Fatalf("history lacks %s: %s", want, hist)
		}
	}

	// Hyperbole is not an emergency; a later message that is one raises it.
	calm := h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "价格", "channel": "chat",
		"customer": map[string]any{"id": w.IDs["customer"]}, "message": map[string]any{"kind": "customer", "body": "救命啊这价格太贵了"}}).json(t)
	if calm["priority"] == "emergency" {
		t.Fatalf("hyperbole raised an emergency: %v", calm)
	}
	cid := calm["id"].(string)
	h.must(201, tok, "POST", "/api/v1/tickets/"+cid+"/messages", map[string]any{"kind": "agent", "body": "他拿着刀 救命"}) // an agent's words are not screened
	if got := h.must(200, tok, "GET", "/api/v1/tickets/"+cid, nil).json(t); got["priority"] == "emergency" {
		t.Fatal("an agent's message raised an emergency")
	}
	h.must(201, tok, "POST", "/api/v1/tickets/"+cid+"/messages", map[string]any{"kind": "customer", "body": "救命 他拿着刀不让我走"})
	if got := h.must(200, tok, "GET", "/api/v1/tickets/"+cid, nil).json(t); got["priority"] != "emergency" || got["queue_id"] != safety {
		t.Fatalf("a later message: %v", got)
	}
	if l := h.must(200, tok, "GET", "/api/v1/emergencies?ticket_id="+cid, nil).json(t)["items"].([]any); len(l) != 1 {
		t.Fatalf("the ticket's emergencies: %v", l)
	}
}
