package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// The stories of ../shared/PRODUCT.md that issue 4 must get right, played
// through the API with the dev clock, on both stores.

// advance moves the dev clock through the API and returns how many
// commitment steps the timers took on the way.
func (h *harness) advance(by string) int {
	h.t.Helper()
	r := h.must(200, h.admin, "POST", "/api/v1/dev/clock/advance", map[string]any{"by": by}).json(h.t)
	return int(r["fired"].(map[string]any)["commitment_steps"].(float64))
}

func items(t *testing.T, r resp) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, x := range r.json(t)["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// alerts lists the kinds of the alerts queued about a ticket, oldest first,
// each with its recipients' names.
func (h *harness) alerts(token, ticket string) []string {
	h.t.Helper()
	var out []string
	for _, n := range items(h.t, h.must(200, token, "GET", "/api/v1/notifications?ticket_id="+ticket, nil)) {
		a := n["alert"].(map[string]any)
		var who []string
		for _, r := range a["recipients"].([]any) {
			who = append(who, r.(map[string]any)["name"].(string))
		}
		out = append([]string{a["kind"].(string) + ":" + strings.Join(who, ",")}, out...)
	}
	return out
}

func commitmentByID(t *testing.T, h *harness, token, ticket, id string) map[string]any {
	t.Helper()
	for _, c := range items(t, h.must(200, token, "GET", "/api/v1/tickets/"+ticket+"/commitments", nil)) {
		if c["id"] == id {
			return c
		}
	}
	t.Fatalf("commitment %s not on ticket %s", id, ticket)
	return nil
}

// Story 3: a refund was promised; when it slips, it escalates and the
// customer is told the truth before they have to call again.
func TestStoryRefundPromiseSlips(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("refund")
			agent := h.tokenFor("agent@refund.test")
			tk := w.IDs["ticket2"]
			// The world's own promise would fire beside this one: release it.
			h.must(200, w.Token, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/commitments/"+w.IDs["commitment"]+"/release", map[string]any{"reason": "not part of this story"})
			due := h.clk.Now().Add(72 * time.Hour)
			c := h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/commitments", map[string]any{"kind": "refund",
				"description": "退款三个工作日内到账", "due_at": due}).json(t)
			cid := c["id"].(string)
			if c["owner_id"] != w.IDs["agent"] || c["stage"].(float64) != 0 || c["customer_visible"] != true {
				t.Fatalf("commitment: %v", c)
			}
			if next, _ := time.Parse(time.RFC3339, c["next_at"].(string)); !next.Equal(due.Add(-time.Hour)) {
				t.Fatalf("reminder at %v, want an hour before %v", next, due)
			}
			// Nothing happens before its time.
			if n := h.advance("70h59m"); n != 0 {
				t.Fatalf("%d steps 71 h before due", n)
			}
			if n := h.advance("31m"); n != 1 {
				t.Fatalf("reminder: %d steps", n)
			}
			if got := h.alerts(w.Token, tk); len(got) != 1 || got[0] != "commitment.reminder:坐席 REFUND-MARK" {
				t.Fatalf("alerts after the reminder: %v", got)
			}
			// Due passes unkept: missed, the team lead alerted, priority up,
			// the customer told.
			if n := h.advance("30m"); n != 2 {
				t.Fatalf("miss: %d steps, want the miss and the first rung", n)
			}
			cm := commitmentByID(t, h, w.Token, tk, cid)
			if cm["state"] != "missed" || cm["level"].(float64) != 1 {
				t.Fatalf("after due: %v", cm)
			}
			got := h.alerts(w.Token, tk)
			if len(got) != 3 || got[1] != "commitment.missed:坐席 REFUND-MARK" || got[2] != "commitment.escalated:组长 REFUND-MARK" {
				t.Fatalf("alerts after the miss: %v", got)
			}
			if p := h.must(200, w.Token, "GET", "/api/v1/tickets/"+tk, nil).str(t, "priority"); p != "high" {
				t.Fatalf("priority after the miss: %s", p)
			}
			st := h.must(200, w.Token, "GET", "/api/v1/customers/"+w.IDs["customer"]+"/status", nil).json(t)
			var seen bool
			for _, x := range st["tickets"].([]any) {
				tkt := x.(map[string]any)
				for _, y := range tkt["commitments"].([]any) {
					cs := y.(map[string]any)
					if cs["what"] == "退款三个工作日内到账" {
						seen = true
						if cs["late"] != true || cs["state"] != "missed" || cs["owner"] != "坐席 REFUND-MARK" {
							t.Fatalf("customer's view of the slipped promise: %v", cs)
						}
						if !strings.Contains(tkt["last_update"].(map[string]any)["body"].(string), "很抱歉") {
							t.Fatalf("the customer was not told: %v", tkt["last_update"])
						}
					}
				}
			}
			if !seen {
				t.Fatalf("the promise is not in the customer's status: %v", st)
			}
			// An hour on, the supervisor rung (nobody holds it here: the
			// alert is kept as unrouted, not lost).
			if n := h.advance("1h"); n != 1 {
				t.Fatalf("second rung: %d steps", n)
			}
			if n := h.advance("1h"); n != 0 {
				t.Fatalf("a step was taken twice: %d", n)
			}
			// The ticket cannot be solved while the promise is open.
			r := h.do(agent, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "solved"})
			if r.Status != 409 || !strings.Contains(string(r.Body), "commitments_open") {
				t.Fatalf("solved with an open promise: %d %s", r.Status, r.Body)
			}
			h.must(200, agent, "POST", "/api/v1/tickets/"+tk+"/commitments/"+cid+"/keep", nil)
			cm = commitmentByID(t, h, w.Token, tk, cid)
			if cm["state"] != "kept" || cm["next_at"] != nil {
				t.Fatalf("kept: %v", cm)
			}
			sum := items(t, h.must(200, w.Token, "GET", "/api/v1/commitments/summary", nil))
			for _, k := range sum {
				if k["kind"] == "refund" && (k["missed"].(float64) != 1 || k["kept"].(float64) != 1 || k["kept_on_time"].(float64) != 0) {
					t.Fatalf("summary: %v", k)
				}
			}
			if n := h.advance("48h"); n != 0 {
				t.Fatalf("a kept promise still fires: %d", n)
			}
			var types []string
			for _, e := range items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+tk+"/history", nil)) {
				if strings.HasPrefix(e["type"].(string), "commitment.") {
					types = append(types, e["type"].(string))
				}
			}
			want := "commitment.created commitment.reminder commitment.missed commitment.escalated commitment.escalated commitment.kept"
			if strings.Join(types, " ") != want {
				t.Fatalf("history: %v", types)
			}
		})
	}
}

// Story 5: a question for the local branch is forwarded with a deadline
// from the SLA; the customer sees where it stands, and a slip escalates.
func TestStoryDepartmentDeadline(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("branch")
			h.must(200, w.Token, "PUT", "/api/v1/sla/settings", map[string]any{"policies": []map[string]any{
				{"name": "standard", "first_response_minutes": 60, "resolution_minutes": 3 * 24 * 60, "department_minutes": 8 * 60}}})
			agent := h.tokenFor("agent@branch.test")
			tk := h.must(201, agent, "POST", "/api/v1/tickets", map[string]any{"subject": "包裹在本地网点滞留", "channel": "app",
				"customer": map[string]any{"id": w.IDs["customer"]}, "message": map[string]any{"kind": "customer", "body": "快递三天没动了"}}).str(t, "id")
			f := h.must(200, agent, "POST", "/api/v1/tickets/"+tk+"/forward", map[string]any{"department_id": w.IDs["department"], "note": "请网点核实"}).json(t)
			c := f["commitment"].(map[string]any)
			if due, _ := time.Parse(time.RFC3339, c["due_at"].(string)); !due.Equal(h.clk.Now().Add(8 * time.Hour)) {
				t.Fatalf("department deadline %v, want 8 h from now", due)
			}
			st := h.must(200, w.Token, "GET", "/api/v1/customers/"+w.IDs["customer"]+"/status", nil).json(t)
			var mine map[string]any
			for _, x := range st["tickets"].([]any) {
				if x.(map[string]any)["subject"] == "包裹在本地网点滞留" {
					mine = x.(map[string]any)
				}
			}
			if mine == nil || mine["handled_by"] != "财务 BRANCH-MARK" || len(mine["commitments"].([]any)) != 1 {
				t.Fatalf("customer's view of the forwarded ticket: %v", mine)
			}
			// The SLA's own targets are internal: the customer sees the
			// department's deadline only.
			all := items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+tk+"/commitments", nil))
			if len(all) != 3 {
				t.Fatalf("commitments on the ticket: %v", all)
			}
			h.advance("8h1m")
			got := commitmentByID(t, h, w.Token, tk, c["id"].(string))
			if got["state"] != "missed" || got["level"].(float64) != 1 {
				t.Fatalf("department deadline after due: %v", got)
			}
			if a := h.alerts(w.Token, tk); !strings.Contains(strings.Join(a, " "), "commitment.escalated:组长 BRANCH-MARK") {
				t.Fatalf("alerts: %v", a)
			}
		})
	}
}

// An expedite is real: a reason, a date, an owner with the authority; the
// customer is told who and by when; an agent without the authority cannot
// make one that reaches nobody.
func TestExpediteNeedsAuthority(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("fast")
			agent := h.tokenFor("agent@fast.test")
			tk := w.IDs["ticket2"]
			if r := h.do(agent, "POST", "/api/v1/tickets/"+tk+"/expedite", map[string]any{}); r.Status != 422 || !strings.Contains(string(r.Body), "reason") {
				t.Fatalf("expedite without a reason: %d %s", r.Status, r.Body)
			}
			if r := h.do(agent, "POST", "/api/v1/tickets/"+tk+"/expedite", map[string]any{"reason": "客户急用", "owner_id": w.IDs["agent"]}); r.Status != 422 {
				t.Fatalf("an agent names themselves owner without the authority: %d %s", r.Status, r.Body)
			}
			e := h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/expedite", map[string]any{"reason": "客户明天出国，急需退款"}).json(t)
			c := e["commitment"].(map[string]any)
			if c["owner_id"] != w.IDs["lead"] || e["owner"] != "组长 FAST-MARK" {
				t.Fatalf("owner: %v", e)
			}
			if e["ticket"].(map[string]any)["priority"] != "urgent" {
				t.Fatalf("priority: %v", e["ticket"])
			}
			if !strings.Contains(e["notice"].(map[string]any)["body"].(string), "已为您加急：由 组长 FAST-MARK 负责处理") {
				t.Fatalf("customer notice: %v", e["notice"])
			}
			if r := h.do(agent, "POST", "/api/v1/tickets/"+tk+"/expedite", map[string]any{"reason": "again"}); r.Status != 409 {
				t.Fatalf("a second open expedite: %d %s", r.Status, r.Body)
			}
			msgs := items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+tk+"/messages", nil))
			if msgs[len(msgs)-1]["kind"] != "notice" {
				t.Fatalf("the notice is not on the ticket: %v", msgs[len(msgs)-1])
			}
			if a := h.alerts(w.Token, tk); len(a) != 1 || a[0] != "expedite.assigned:组长 FAST-MARK" {
				t.Fatalf("alerts: %v", a)
			}
			// It slips: missed, escalated, counted.
			h.advance("25h")
			if c := commitmentByID(t, h, w.Token, tk, c["id"].(string)); c["state"] != "missed" {
				t.Fatalf("expedite after its day: %v", c)
			}
			for _, k := range items(t, h.must(200, w.Token, "GET", "/api/v1/commitments/summary", nil)) {
				if k["kind"] == "expedite" && k["open_missed"].(float64) != 1 {
					t.Fatalf("summary: %v", k)
				}
			}
			missed := items(t, h.must(200, w.Token, "GET", "/api/v1/commitments?state=missed&kind=expedite", nil))
			if len(missed) != 1 {
				t.Fatalf("missed expedites: %v", missed)
			}
			// With nobody holding the authority, nothing is marked expedited.
			h.must(200, w.Token, "PATCH", "/api/v1/users/"+w.IDs["lead"], map[string]any{"active": false})
			h.must(200, w.Token, "PATCH", "/api/v1/users/"+w.IDs["admin"], map[string]any{"active": false})
			r := h.do(agent, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/expedite", map[string]any{"reason": "urgent"})
			if r.Status != 409 || !strings.Contains(string(r.Body), "no_authority") {
				t.Fatalf("expedite with nobody to own it: %d %s", r.Status, r.Body)
			}
		})
	}
}

// SLA targets follow the policy, stop when met, and pause while the ticket
// waits for the customer.
func TestSLATargetsPauseAndResume(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("sla")
			h.must(200, w.Token, "PUT", "/api/v1/sla/settings", map[string]any{"policies": []map[string]any{
				{"name": "vip-chat", "tiers": []string{"vip"}, "channels": []string{"chat"}, "first_response_minutes": 1},
				{"name": "standard", "first_response_minutes": 30, "next_response_minutes": 60, "resolution_minutes": 240}}})
			if r := h.do(w.Token, "PUT", "/api/v1/sla/settings", map[string]any{"policies": []map[string]any{{"name": "x", "business_hours": true}}}); r.Status != 422 ||
				!strings.Contains(string(r.Body), "policies[0].business_hours") {
				t.Fatalf("business hours without a calendar: %d %s", r.Status, r.Body)
			}
			agent := h.tokenFor("agent@sla.test")
			tk := h.must(201, agent, "POST", "/api/v1/tickets", map[string]any{"subject": "订单问题", "channel": "email",
				"customer": map[string]any{"id": w.IDs["customer"]}, "message": map[string]any{"kind": "customer", "body": "订单一直没发货"}}).str(t, "id")
			kinds := map[string]map[string]any{}
			for _, c := range items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+tk+"/commitments", nil)) {
				kinds[c["kind"].(string)] = c
			}
			if len(kinds) != 2 || kinds["first_response"]["policy"] != "standard" || kinds["resolution"]["customer_visible"] != false {
				t.Fatalf("targets: %v", kinds)
			}
			h.advance("10m")
			h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/messages", map[string]any{"kind": "agent", "body": "您好，我们正在查询"})
			if c := commitmentByID(t, h, agent, tk, kinds["first_response"]["id"].(string)); c["state"] != "kept" {
				t.Fatalf("first response after the reply: %v", c)
			}
			// Waiting for the customer: the resolution clock stops for 10 h.
			h.must(200, agent, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "pending"})
			if n := h.advance("10h"); n != 0 {
				t.Fatalf("a paused target fired %d steps", n)
			}
			h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/messages", map[string]any{"kind": "customer", "body": "我查了，还是没有物流信息"})
			res := commitmentByID(t, h, agent, tk, kinds["resolution"]["id"].(string))
			was, _ := time.Parse(time.RFC3339, kinds["resolution"]["due_at"].(string))
			now, _ := time.Parse(time.RFC3339, res["due_at"].(string))
			if res["state"] != "open" || res["paused_at"] != nil || now.Sub(was) != 10*time.Hour {
				t.Fatalf("resolution after the pause: %v (was due %v)", res, was)
			}
			// The customer wrote again after an answer: a next response is owed.
			var next map[string]any
			for _, c := range items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+tk+"/commitments", nil)) {
				if c["kind"] == "next_response" {
					next = c
				}
			}
			if next == nil || next["state"] != "open" {
				t.Fatalf("next response: %v", next)
			}
			// A new VIP customer's chat gets the VIP policy: the customer's
			// tier is known in the write before the customer row is.
			h.must(200, w.Token, "PUT", "/api/v1/tiers/vip", map[string]any{"name": "VIP", "rank": 1})
			vip := h.must(201, agent, "POST", "/api/v1/tickets", map[string]any{"subject": "会员咨询", "channel": "chat",
				"customer": map[string]any{"name": "新会员", "tier": "vip", "identities": []map[string]any{{"kind": "phone", "value": "13900001111"}}},
				"message":  map[string]any{"kind": "customer", "body": "会员权益怎么用"}}).str(t, "id")
			if cs := items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+vip+"/commitments", nil)); len(cs) != 1 || cs[0]["policy"] != "vip-chat" {
				t.Fatalf("a new VIP customer's targets: %v", cs)
			}
		})
	}
}

// Story 4: a customer complains for the third time about the same order:
// the contacts are linked, the repeat counted, the priority raised, and the
// ticket goes to the problem-resolution team.
func TestStoryThirdComplaint(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("again")
			problem := h.must(201, w.Token, "POST", "/api/v1/queues", map[string]any{"name": "问题解决组", "channel": "email"}).str(t, "id")
			h.must(200, w.Token, "PUT", "/api/v1/commitments/settings", map[string]any{"problem_queue_id": problem})
			customer := map[string]any{"identities": []map[string]any{{"kind": "phone", "value": "13800138000"}}, "name": "李女士"}
			create := func(body string) map[string]any {
				return h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "订单问题", "channel": "app", "customer": customer,
					"message": map[string]any{"kind": "customer", "body": body}}).json(t)
			}
			first := create("订单 DD20261111888 的退货退款到现在还没收到")
			id := first["id"].(string)
			h.advance("26h")
			second := create("还是 DD20261111888 这个订单，退款呢？")
			if second["id"] != id || second["repeat"] != true || second["repeat_count"].(float64) != 1 || second["priority"] != "high" {
				t.Fatalf("second contact: %v", second)
			}
			if !strings.Contains(second["repeat_reason"].(string), "DD20261111888") {
				t.Fatalf("reason: %v", second["repeat_reason"])
			}
			h.advance("48h")
			third := create("第三次问了！DD20261111888 的退款到底什么时候到？")
			if third["id"] != id || third["repeat_count"].(float64) != 2 || third["priority"] != "urgent" || third["queue_id"] != problem {
				t.Fatalf("third contact: %v", third)
			}
			msgs := items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+id+"/messages", nil))
			if len(msgs) != 3 {
				t.Fatalf("the contacts are not on one ticket: %d messages", len(msgs))
			}
			var types []string
			for _, e := range items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+id+"/history", nil)) {
				if strings.HasPrefix(e["type"].(string), "ticket.repeat") || e["type"] == "ticket.to_problem_resolution" {
					types = append(types, e["type"].(string))
				}
			}
			if strings.Join(types, " ") != "ticket.repeat ticket.repeat ticket.to_problem_resolution" {
				t.Fatalf("history: %v", types)
			}
			// Another order is another matter.
			if other := create("另一个订单 DD20261111999 想改地址"); other["id"] == id || other["repeat"] == true {
				t.Fatalf("a different order joined the ticket: %v", other)
			}
			// Once solved, the same matter coming back opens a new ticket that
			// carries the count on and links to the old one.
			h.must(200, w.Token, "PATCH", "/api/v1/tickets/"+id, map[string]any{"status": "solved"})
			back := create("DD20261111888 退款又被退回了")
			if back["id"] == id || back["repeat_count"].(float64) != 3 {
				t.Fatalf("the matter came back: %v", back)
			}
			links := items(t, h.must(200, w.Token, "GET", "/api/v1/tickets/"+back["id"].(string)+"/links", nil))
			if len(links) != 1 || links[0]["kind"] != "repeat" {
				t.Fatalf("links: %v", links)
			}
		})
	}
}

// Story 1: "救命" reaches the in-house safety team within seconds, alerts
// on call, stays pinned until a person acknowledges it, and climbs the
// ladder when nobody does; a vendor agent never holds it.
func TestStoryEmergency(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("ride")
			roles := map[string]string{}
			for _, r := range items(t, h.must(200, w.Token, "GET", "/api/v1/roles", nil)) {
				roles[r["name"].(string)] = r["id"].(string)
			}
			safetyQ := h.must(201, w.Token, "POST", "/api/v1/queues", map[string]any{"name": "安全组", "channel": "chat", "in_house_only": true}).str(t, "id")
			h.must(200, w.Token, "PUT", "/api/v1/intake/settings", map[string]any{"safety_queue_id": safetyQ, "ack_target_seconds": 60})
			officer := h.must(201, w.Token, "POST", "/api/v1/users", map[string]any{"email": "safety@ride.test", "name": "安全专员 王", "kind": "safety",
				"phone": "+86 139-0000 2222", "grants": []map[string]any{{"role_id": roles["safety"]}}})
			if officer.str(t, "phone") != "+8613900002222" {
				t.Fatalf("the on-call phone is not kept in its stored form: %s", officer.Body)
			}
			if r := h.do(w.Token, "POST", "/api/v1/users", map[string]any{"email": "x@ride.test", "name": "x", "kind": "agent", "phone": "call me"}); r.Status != 422 || !strings.Contains(string(r.Body), "phone") {
				t.Fatalf("a bad phone: %d %s", r.Status, r.Body)
			}
			h.must(201, w.Token, "POST", "/api/v1/users", map[string]any{"email": "vendor@ride.test", "name": "外包坐席", "kind": "vendor_agent",
				"vendor_id": w.IDs["vendor"], "grants": []map[string]any{{"role_id": roles["vendor_agent"]}}})
			tk := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "行程中", "channel": "chat",
				"customer": map[string]any{"identities": []map[string]any{{"kind": "phone", "value": "13900001111"}}},
				"message":  map[string]any{"kind": "customer", "body": "救命 司机不让我下车"}}).json(t)
			if tk["priority"] != "emergency" || tk["queue_id"] != safetyQ {
				t.Fatalf("the ticket is not an emergency with the safety team: %v", tk)
			}
			id := tk["id"].(string)
			pinned := items(t, h.must(200, w.Token, "GET", "/api/v1/emergencies", nil))
			var em map[string]any
			for _, e := range pinned {
				if e["ticket_id"] == id {
					em = e
				}
			}
			if em == nil {
				t.Fatalf("not pinned: %v", pinned)
			}
			if a := h.alerts(w.Token, id); len(a) != 1 || a[0] != "emergency.raised:安全专员 王" {
				t.Fatalf("on-call alert: %v", a)
			}
			// The on-call alert carries the officer's phone for the SMS
			// channel; the log of alerts shows it masked.
			if n := items(t, h.must(200, w.Token, "GET", "/api/v1/notifications?ticket_id="+id, nil)); !strings.Contains(fmt.Sprint(n[0]["alert"]), "139****2222") ||
				strings.Contains(fmt.Sprint(n[0]["alert"]), "13900002222") {
				t.Fatalf("the alert's phone, as the log shows it: %v", n[0]["alert"])
			}
			// A colleague's phone is for the officer and for user managers.
			if u := h.must(200, h.tokenFor("agent@ride.test"), "GET", "/api/v1/users/"+officer.str(t, "id"), nil); strings.Contains(string(u.Body), "2222") {
				t.Fatalf("an agent sees the officer's phone: %s", u.Body)
			}
			if u := h.must(200, w.Token, "GET", "/api/v1/users/"+officer.str(t, "id"), nil); u.str(t, "phone") != "+8613900002222" {
				t.Fatalf("the admin does not see the phone: %s", u.Body)
			}
			masked := 0
			for _, e := range items(t, h.must(200, w.Token, "GET", "/api/v1/events?limit=500", nil)) {
				if e["type"] == "user.created" && strings.Contains(fmt.Sprint(e["after"]), "13900002222") {
					t.Fatalf("the history carries the whole phone: %v", e["after"])
				}
				if e["type"] == "user.created" && strings.Contains(fmt.Sprint(e["after"]), "139****2222") {
					masked++
				}
			}
			if masked != 1 {
				t.Fatalf("the officer's user.created event with the phone masked: %d", masked)
			}
			h.advance("61s")
			if a := h.alerts(w.Token, id); len(a) != 2 || a[1] != "emergency.escalated:组长 RIDE-MARK" {
				t.Fatalf("after a minute unacknowledged: %v", a)
			}
			vendor := h.tokenFor("vendor@ride.test")
			if r := h.do(vendor, "POST", "/api/v1/emergencies/"+em["id"].(string)+"/ack", nil); r.Status != 403 {
				t.Fatalf("a vendor agent took an emergency: %d %s", r.Status, r.Body)
			}
			safety := h.tokenFor("safety@ride.test")
			h.must(200, safety, "POST", "/api/v1/emergencies/"+em["id"].(string)+"/ack", nil)
			for _, e := range items(t, h.must(200, w.Token, "GET", "/api/v1/emergencies", nil)) {
				if e["ticket_id"] == id {
					t.Fatalf("still pinned after the acknowledgement: %v", e)
				}
			}
			h.advance("10m")
			if a := h.alerts(w.Token, id); len(a) != 2 {
				t.Fatalf("it climbed after the acknowledgement: %v", a)
			}
			playSafetyPlaybook(t, h, w.Token, safety, vendor, em["id"].(string), id)
		})
	}
}

// An emergency's on-call alert leaves through the tenant's webhook channel,
// signed, and the outbox records the delivery.
func TestAlertsReachTheWebhookChannel(t *testing.T) {
	b := storetest.Backends()[0]
	h := newHarness(t, b)
	w := h.world("hook")
	got := make(chan notify.Alert, 4)
	secret := "s3cret-s3cret-s3cret"
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		a, err := notify.VerifyRequest(r, secret, 1<<20, h.clk.Now(), 5*time.Minute)
		if err != nil {
			t.Errorf("signature: %v", err)
			rw.WriteHeader(400)
			return
		}
		got <- a
	}))
	defer recv.Close()
	h.must(200, w.Token, "PUT", "/api/v1/notify/settings", map[string]any{"channels": []map[string]any{
		{"name": "oncall", "kind": "webhook", "webhook": map[string]any{"url": recv.URL, "secret": secret}}}})
	red := h.must(200, w.Token, "GET", "/api/v1/notify/settings", nil)
	if strings.Contains(string(red.Body), secret) {
		t.Fatalf("the secret is readable: %s", red.Body)
	}
	roles := map[string]string{}
	for _, r := range items(t, h.must(200, w.Token, "GET", "/api/v1/roles", nil)) {
		roles[r["name"].(string)] = r["id"].(string)
	}
	h.must(201, w.Token, "POST", "/api/v1/users", map[string]any{"email": "safety@hook.test", "name": "安全专员", "kind": "safety",
		"phone": "13900003333", "grants": []map[string]any{{"role_id": roles["safety"]}}})
	h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "救命", "channel": "chat",
		"customer": map[string]any{"id": w.IDs["customer"]}, "message": map[string]any{"kind": "customer", "body": "救命 有人跟踪我"}})
	due, err := h.s.DueNotifications(context.Background(), 100)
	if err != nil || len(due) == 0 {
		t.Fatalf("outbox: %v %v", due, err)
	}
	cache := &notifiers{raw: map[string]string{}, nt: map[string]notify.Notifier{}}
	for _, n := range due {
		sendOne(context.Background(), h.s, h.clk.Now, slog.New(slog.DiscardHandler), n, cache)
	}
	select {
	case a := <-got:
		if a.Kind != "emergency.raised" || !strings.Contains(a.Title+a.Body, "紧急") {
			t.Fatalf("alert: %+v", a)
		}
		// The sender gets the whole number to text; only the log masks it.
		if len(a.Recipients) != 1 || a.Recipients[0].Phone != "13900003333" {
			t.Fatalf("the alert's recipients as sent: %+v", a.Recipients)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
	ns := items(t, h.must(200, w.Token, "GET", "/api/v1/notifications", nil))
	sent := 0
	for _, n := range ns {
		if n["state"] == "sent" {
			sent++
		}
	}
	if sent == 0 {
		t.Fatalf("no delivery recorded: %v", ns)
	}
}

// playSafetyPlaybook: the officer sees the playbook for the emergency's
// kind in their language with the actions their authority allows, checks
// steps off and shares the location with the police; every step and action
// is on the ticket's history. A vendor agent can do none of it.
func playSafetyPlaybook(t *testing.T, h *harness, admin, officer, vendor, emergency, ticket string) {
	t.Helper()
	url := "/api/v1/emergencies/" + emergency + "/playbook"
	pb := h.must(200, officer, "GET", url, nil).json(t)
	steps, actions := pb["steps"].([]any), pb["actions"].([]any)
	if pb["locale"] != "zh-Hans" || pb["title"] == "" || len(steps) < 3 || len(actions) == 0 {
		t.Fatalf("playbook: %v", pb)
	}
	first := steps[0].(map[string]any)
	if !strings.ContainsFunc(first["text"].(string), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Fatalf("the step is not in Chinese: %v", first)
	}
	share := map[string]any(nil)
	for _, a := range actions {
		if a.(map[string]any)["action"] == "share_location" {
			share = a.(map[string]any)
		}
	}
	if share == nil || share["allowed"] != true || share["label"] != "向警方共享行程实时位置" {
		t.Fatalf("the officer cannot share the location: %v", actions)
	}
	en := h.must(200, officer, "GET", url+"?locale=en", nil).json(t)
	if !strings.Contains(en["steps"].([]any)[0].(map[string]any)["text"].(string), "the") {
		t.Fatalf("English playbook: %v", en["steps"])
	}
	code := first["code"].(string)
	if r := h.do(vendor, "POST", "/api/v1/emergencies/"+emergency+"/steps", map[string]any{"step": code}); r.Status != 403 && r.Status != 404 {
		t.Fatalf("a vendor agent checked a step off: %d %s", r.Status, r.Body)
	}
	if r := h.do(officer, "POST", "/api/v1/emergencies/"+emergency+"/steps", map[string]any{"step": "dance"}); r.Status != 422 || !strings.Contains(string(r.Body), "step") {
		t.Fatalf("an unknown step: %d %s", r.Status, r.Body)
	}
	done := h.must(201, officer, "POST", "/api/v1/emergencies/"+emergency+"/steps", map[string]any{"step": code, "note": "已回拨，客户在车上"}).json(t)
	again := h.must(201, officer, "POST", "/api/v1/emergencies/"+emergency+"/steps", map[string]any{"step": code, "note": "again"}).json(t)
	if done["recorded"] != true || again["recorded"] != false || again["note"] != "已回拨，客户在车上" {
		t.Fatalf("step records: %v then %v", done, again)
	}
	act := h.must(201, officer, "POST", "/api/v1/tickets/"+ticket+"/actions", map[string]any{"action": "share_location", "reason": "乘客被困车内，报警后共享位置"}).json(t)
	if act["state"] != "approved" {
		t.Fatalf("within the officer's authority the action is taken at once: %v", act)
	}
	pb = h.must(200, officer, "GET", url, nil).json(t)
	if s0 := pb["steps"].([]any)[0].(map[string]any); s0["done"] == nil {
		t.Fatalf("the step is not shown done: %v", s0)
	}
	for _, a := range pb["actions"].([]any) {
		if a.(map[string]any)["action"] == "share_location" && len(a.(map[string]any)["taken"].([]any)) != 1 {
			t.Fatalf("the action taken is not shown: %v", a)
		}
	}
	var kinds []string
	for _, e := range items(t, h.must(200, admin, "GET", "/api/v1/tickets/"+ticket+"/history?limit=500", nil)) {
		kinds = append(kinds, e["type"].(string))
	}
	if !slices.Contains(kinds, "emergency.step_done") || !slices.Contains(kinds, "action.executed") {
		t.Fatalf("history: %v", kinds)
	}
}
