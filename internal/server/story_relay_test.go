package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// smsGateway is a tenant's SMS provider: it keeps what it was asked to send.
type smsGateway struct {
	mu   sync.Mutex
	sent []map[string]string
}

func (g *smsGateway) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		g.mu.Lock()
		g.sent = append(g.sent, m)
		g.mu.Unlock()
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (g *smsGateway) texts() []map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]map[string]string(nil), g.sent...)
}

// Story 2: a passenger left a phone in a car and can only reach the driver
// through support. Support relays without exposing either party's number,
// keeps the case open until it is resolved, and an agent with the
// authority can restrict the driver's account; every step is recorded.
func TestStoryRelay(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("lost")
			roles := map[string]string{}
			for _, r := range items(t, h.must(200, w.Token, "GET", "/api/v1/roles", nil)) {
				roles[r["name"].(string)] = r["id"].(string)
			}
			h.must(201, w.Token, "POST", "/api/v1/users", map[string]any{"email": "sup@lost.test", "name": "主管 李", "kind": "supervisor",
				"grants": []map[string]any{{"role_id": roles["supervisor"]}}})
			agent, sup := h.tokenFor("agent@lost.test"), h.tokenFor("sup@lost.test")
			gw := &smsGateway{}
			h.must(200, w.Token, "PUT", "/api/v1/notify/settings", map[string]any{"channels": []map[string]any{{"name": "relay", "kind": "sms",
				"alerts": []string{"relay.*"}, "sms": map[string]any{"url": gw.start(t), "token": "gateway-token-123"}}}})

			const driverPhone, passengerPhone = "13812345678", "13911112222"
			driver := h.must(201, agent, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "王师傅", "phone": "138 1234 5678",
				"external_id": "D-1001"})
			if driver.str(t, "phone") != "138****5678" || strings.Contains(string(driver.Body), driverPhone) {
				t.Fatalf("the driver's phone shows: %s", driver.Body)
			}
			driverID := driver.str(t, "id")

			// The passenger writes about the phone left in the car.
			tk := h.must(201, w.Token, "POST", "/api/v1/tickets", map[string]any{"subject": "手机落在车上", "channel": "app",
				"customer": map[string]any{"name": "乘客 陈", "identities": []map[string]any{{"kind": "phone", "value": passengerPhone}}},
				"message":  map[string]any{"kind": "customer", "body": "我的手机落在刚才的车上了，订单尾号 8899，麻烦联系司机"}})
			ticket := tk.str(t, "id")

			// The agent opens a relay to the driver (found by the platform's
			// driver id); the passenger's number, pasted by mistake, is masked.
			op := h.must(201, agent, "POST", "/api/v1/tickets/"+ticket+"/relays", map[string]any{"party_kind": "driver", "party_external_id": "D-1001",
				"body": "您好，刚才的乘客把手机落在您车上了，请查看后座。乘客电话 " + passengerPhone}).json(t)
			rel := op["relay"].(map[string]any)
			rid, code := rel["id"].(string), rel["code"].(string)
			if len(code) != 6 || op["commitment"].(map[string]any)["kind"] != "follow_up" || op["commitment"].(map[string]any)["state"] != "open" {
				t.Fatalf("relay opened: %v", op)
			}
			if h.node.SendRelays(context.Background()) != 1 {
				t.Fatalf("the first message did not go: %v", gw.texts())
			}
			sms := gw.texts()
			if len(sms) != 1 || sms[0]["phone"] != driverPhone || !strings.Contains(sms[0]["text"], code) {
				t.Fatalf("the driver got: %v", sms)
			}

			// The driver replies by code; the customer sees the answer, not his number.
			in := h.must(200, w.Token, "POST", "/api/v1/relays/inbound", map[string]any{"from": "+86" + driverPhone,
				"body": strings.ToLower(code) + " 找到了，在后座。你打我电话 " + driverPhone + "，我明天送到朝阳区建国路88号"}).json(t)
			if in["relayed"] != true {
				t.Fatalf("the reply was not relayed: %v", in)
			}
			// The passenger answers through support, with her address.
			h.must(201, agent, "POST", "/api/v1/tickets/"+ticket+"/relays/"+rid+"/messages", map[string]any{"from": "customer",
				"body": "谢谢师傅！送到浦东新区世纪大道100号3号楼501室，我电话" + passengerPhone})
			h.node.SendRelays(context.Background())

			customerSees := ""
			msgs, _, err := h.s.Messages(context.Background(), store.Whole(w.IDs["tenant"]), ticket, true, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				customerSees += m.Body + "\n"
			}
			if !strings.Contains(customerSees, "司机回复：找到了，在后座") {
				t.Fatalf("the customer does not see the driver's answer:\n%s", customerSees)
			}
			if strings.Contains(customerSees, driverPhone) || strings.Contains(customerSees, "建国路88号") {
				t.Fatalf("the customer sees the driver's number or address:\n%s", customerSees)
			}
			driverSees := ""
			for _, m := range gw.texts() {
				if m["phone"] != driverPhone {
					t.Fatalf("an SMS went elsewhere: %v", m)
				}
				driverSees += m["text"] + "\n"
			}
			if len(gw.texts()) != 2 || strings.Contains(driverSees, passengerPhone) || strings.Contains(driverSees, "世纪大道100号") {
				t.Fatalf("the driver sees the passenger's number or address:\n%s", driverSees)
			}
			// No route shows the driver's number whole, not even to agents.
			for _, path := range []string{"/api/v1/parties/" + driverID, "/api/v1/parties?kind=driver", "/api/v1/tickets/" + ticket + "/relays",
				"/api/v1/tickets/" + ticket + "/relays/" + rid, "/api/v1/tickets/" + ticket + "/messages", "/api/v1/tickets/" + ticket + "/history?limit=200",
				"/api/v1/parties/" + driverID + "/history"} {
				if r := h.must(200, agent, "GET", path, nil); strings.Contains(string(r.Body), driverPhone) {
					t.Fatalf("%s shows the driver's number: %s", path, r.Body)
				}
			}
			// Every relayed message is on the relay and on the ticket.
			full := h.must(200, agent, "GET", "/api/v1/tickets/"+ticket+"/relays/"+rid, nil).json(t)
			ms := full["messages"].([]any)
			if len(ms) != 3 {
				t.Fatalf("relay messages: %v", ms)
			}
			ticketMsgs := map[string]bool{}
			for _, m := range items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+ticket+"/messages?limit=100", nil)) {
				ticketMsgs[m["id"].(string)] = true
			}
			for _, x := range ms {
				m := x.(map[string]any)
				if !ticketMsgs[m["message_id"].(string)] {
					t.Fatalf("relayed message not on the ticket: %v", m)
				}
				if m["direction"] == "to_party" && m["delivery"] != "sent" {
					t.Fatalf("not delivered: %v", m)
				}
			}

			// Sending the relay settled nothing: the ticket cannot be solved.
			if r := h.do(agent, "PATCH", "/api/v1/tickets/"+ticket, map[string]any{"status": "solved"}); r.Status != 409 {
				t.Fatalf("solved with the relay open: %d %s", r.Status, r.Body)
			}
			// Not even by releasing every open promise with authority: the
			// relay is closed with its outcome, or the ticket stays open.
			if r := h.do(w.Token, "PATCH", "/api/v1/tickets/"+ticket, map[string]any{"status": "solved", "release_open_commitments": true,
				"release_reason": "wrap up"}); r.Status != 409 || !strings.Contains(string(r.Body), "relay_open") {
				t.Fatalf("solved past the open relay: %d %s", r.Status, r.Body)
			}

			// An agent without the authority cannot restrict the driver; nothing is written.
			r := h.do(agent, "POST", "/api/v1/parties/"+driverID+"/restrict", map[string]any{"reason": "乘客投诉司机态度", "ticket_id": ticket})
			if r.Status != 409 || r.json(t)["error"].(map[string]any)["code"] != "no_authority" {
				t.Fatalf("agent restricted the driver: %d %s", r.Status, r.Body)
			}
			if h.must(200, agent, "GET", "/api/v1/parties/"+driverID, nil).json(t)["restricted"] != false {
				t.Fatal("restricted without authority")
			}
			// The supervisor can; it is audited on the ticket and the driver's record.
			res := h.must(200, sup, "POST", "/api/v1/parties/"+driverID+"/restrict", map[string]any{"reason": "司机拒不归还物品，调查期间限制接单", "ticket_id": ticket}).json(t)
			if res["party"].(map[string]any)["restricted"] != true {
				t.Fatalf("restrict: %v", res)
			}
			if h.must(200, agent, "GET", "/api/v1/parties/"+driverID, nil).json(t)["restricted"] != true {
				t.Fatal("the driver is not shown as restricted")
			}
			partyLog := items(t, h.must(200, agent, "GET", "/api/v1/parties/"+driverID+"/history", nil))
			if last := partyLog[len(partyLog)-1]; last["type"] != "party.restricted" || last["ticket_id"] != ticket {
				t.Fatalf("the driver's record: %v", partyLog)
			}
			acts := items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+ticket+"/actions", nil))
			if len(acts) != 1 || acts[0]["action"] != "restrict_party" || acts[0]["state"] != "approved" {
				t.Fatalf("ticket actions: %v", acts)
			}

			// The relay is closed with its outcome; then the ticket can be solved.
			h.must(200, agent, "POST", "/api/v1/tickets/"+ticket+"/relays/"+rid+"/close", map[string]any{"outcome": "resolved", "note": "司机已把手机送回乘客"})
			h.must(200, agent, "PATCH", "/api/v1/tickets/"+ticket, map[string]any{"status": "solved"})

			seen := map[string]bool{}
			for _, e := range items(t, h.must(200, agent, "GET", "/api/v1/tickets/"+ticket+"/history?limit=200", nil)) {
				seen[e["type"].(string)] = true
			}
			for _, want := range []string{"relay.opened", "relay.message", "relay.reply", "commitment.created", "party.restricted", "relay.closed", "commitment.kept", "ticket.updated"} {
				if !seen[want] {
					t.Errorf("the ticket's history lacks %s: %v", want, seen)
				}
			}
		})
	}
}

// Bad input is answered with a 4xx naming the field, before anything is written.
func TestRelayInputValidation(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	w := h.world("valid")
	tok := w.Token
	party := h.must(201, tok, "POST", "/api/v1/parties", map[string]any{"kind": "courier", "name": "快递员 小刘", "phone": "13700000000"}).str(t, "id")
	ticket := w.IDs["ticket"]
	field := func(r resp, want int, name string) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
		}
		if name == "" {
			return
		}
		if f, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); f == nil || f[name] == nil {
			t.Fatalf("error does not name %s: %s", name, r.Body)
		}
	}
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "pilot", "name": "x", "phone": "13700000000"}), 422, "kind")
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "phone": "13700000000"}), 422, "name")
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "x"}), 422, "phone")
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "x", "phone": "打我电话"}), 422, "phone")
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "x", "phone": "13700000000", "org_id": "nope"}), 422, "org_id")
	field(h.do(tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "x", "phone": "13700000000", "colour": "red"}), 422, "colour")
	field(h.do(tok, "GET", "/api/v1/parties?restricted=maybe", nil), 422, "restricted")
	field(h.do(tok, "GET", "/api/v1/parties?kind=pilot", nil), 422, "kind")
	field(h.do(tok, "PATCH", "/api/v1/parties/"+party, map[string]any{"phone": "x"}), 422, "phone")
	field(h.do(tok, "PATCH", "/api/v1/parties/"+party, map[string]any{"name": " "}), 422, "name")

	open := "/api/v1/tickets/" + ticket + "/relays"
	field(h.do(tok, "POST", open, map[string]any{"party_id": party}), 422, "body")
	field(h.do(tok, "POST", open, map[string]any{"body": "x"}), 422, "party_id")
	field(h.do(tok, "POST", open, map[string]any{"party_id": "nope", "body": "x"}), 422, "party_id")
	field(h.do(tok, "POST", open, map[string]any{"party_kind": "courier", "party_external_id": "nope", "body": "x"}), 422, "party_external_id")
	field(h.do(tok, "POST", open, map[string]any{"party_id": party, "body": "x", "due_at": h.clk.Now().Add(-time.Hour)}), 422, "due_at")
	field(h.do(tok, "POST", open, map[string]any{"party_id": party, "body": strings.Repeat("长", 400)}), 422, "body")
	field(h.do(tok, "POST", open, map[string]any{"party_id": party, "body": "x", "owner_id": "nope"}), 422, "owner_id")
	if n := len(items(t, h.must(200, tok, "GET", open, nil))); n != 0 {
		t.Fatalf("a bad request opened %d relays", n)
	}

	// The tenant default due time: 24 hours, or what the settings say.
	h.must(200, tok, "PUT", "/api/v1/relays/settings", map[string]any{"follow_up_hours": 4})
	field(h.do(tok, "PUT", "/api/v1/relays/settings", map[string]any{"follow_up_hours": -1}), 422, "follow_up_hours")
	op := h.must(201, tok, "POST", open, map[string]any{"party_id": party, "body": "您的快件有问题"}).json(t)
	due, _ := time.Parse(time.RFC3339Nano, op["commitment"].(map[string]any)["due_at"].(string))
	if !due.Equal(h.clk.Now().Add(4 * time.Hour)) {
		t.Fatalf("due %v, want four hours from now", due)
	}
	rid := op["relay"].(map[string]any)["id"].(string)
	msgs := open + "/" + rid + "/messages"
	field(h.do(tok, "POST", msgs, map[string]any{"from": "party", "body": "x"}), 422, "from")
	field(h.do(tok, "POST", msgs, map[string]any{"body": ""}), 422, "body")
	field(h.do(tok, "POST", "/api/v1/relays/inbound", map[string]any{"body": "没有编号"}), 422, "code")
	field(h.do(tok, "POST", "/api/v1/relays/inbound", map[string]any{"code": "ABC", "body": "x"}), 422, "code")
	field(h.do(tok, "POST", "/api/v1/relays/inbound", map[string]any{"code": "ZZZZZZ", "body": "x"}), 404, "")
	field(h.do(tok, "POST", "/api/v1/relays/inbound", map[string]any{"code": op["relay"].(map[string]any)["code"], "body": "x", "from": "not a phone"}), 422, "from")
	field(h.do(tok, "POST", open+"/"+rid+"/close", map[string]any{"outcome": "done"}), 422, "outcome")
	field(h.do(tok, "POST", open+"/"+rid+"/close", map[string]any{"outcome": "unreachable"}), 422, "release_reason")
	// an agent cannot release the promise by closing unresolved
	agent := h.tokenFor("agent@valid.test")
	field(h.do(agent, "POST", open+"/"+rid+"/close", map[string]any{"outcome": "unreachable", "release_reason": "打不通"}), 403, "")
	restrict := "/api/v1/parties/" + party + "/restrict"
	field(h.do(tok, "POST", restrict, map[string]any{"ticket_id": ticket}), 422, "reason")
	field(h.do(tok, "POST", restrict, map[string]any{"reason": "x"}), 422, "ticket_id")
	field(h.do(tok, "POST", restrict, map[string]any{"reason": "x", "ticket_id": "nope"}), 422, "ticket_id")
	field(h.do(tok, "POST", "/api/v1/parties/"+party+"/lift", map[string]any{"reason": "x", "ticket_id": ticket}), 409, "")
	// the admin closes it unresolved, releasing the promise with the reason
	h.must(200, tok, "POST", open+"/"+rid+"/close", map[string]any{"outcome": "unreachable", "release_reason": "三次联系不上快递员"})
	field(h.do(tok, "POST", msgs, map[string]any{"body": "还在吗"}), 409, "")
}

// relayProbe gives a tenant of the tenancy test a party and a relay (on a
// ticket of its own, so the probe's other checks stay as they are).
func (h *harness) relayProbe(w *world, phone string) {
	h.t.Helper()
	tok := w.Token
	w.IDs["party"] = h.must(201, tok, "POST", "/api/v1/parties", map[string]any{"kind": "driver", "name": "司机 " + w.Marker, "phone": phone,
		"external_id": "D-" + w.Marker}).str(h.t, "id")
	w.IDs["party_phone"] = phone
	w.IDs["relay_ticket"] = h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "落下手机 " + w.Marker,
		"customer": map[string]any{"id": w.IDs["customer"]}}).str(h.t, "id")
	op := h.must(201, tok, "POST", "/api/v1/tickets/"+w.IDs["relay_ticket"]+"/relays", map[string]any{"party_id": w.IDs["party"],
		"body": "请查看后座 " + w.Marker}).json(h.t)
	w.IDs["relay"] = op["relay"].(map[string]any)["id"].(string)
	w.IDs["relay_code"] = op["relay"].(map[string]any)["code"].(string)
	h.must(200, tok, "POST", "/api/v1/relays/inbound", map[string]any{"code": w.IDs["relay_code"], "body": "找到了 " + w.Marker})
}
