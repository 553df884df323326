package server

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// pathID says which resource each path parameter names, by route prefix.
func pathID(path, param string, b world) string {
	switch param {
	case "cid":
		return b.IDs["commitment"]
	case "other":
		return b.IDs["ticket2"]
	case "code":
		return b.IDs["code"]
	case "rid":
		return b.IDs["relay"]
	case "token":
		// B's own status link with its signature broken: a link is a
		// capability, so the probe is a forgery, which must find nothing.
		tok := []byte(b.IDs["status_link"])
		tok[len(tok)-2] ^= 1
		return string(tok)
	}
	switch {
	case strings.HasPrefix(path, "/api/v1/staffing/forecasts/"):
		return b.IDs["forecast"]
	case strings.HasPrefix(path, "/api/v1/staffing/plans/"):
		return b.IDs["plan"]
	case param == "id" && strings.Contains(path, "/relays"):
		return b.IDs["relay_ticket"]
	}
	seg := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]
	return map[string]string{
		"tickets": b.IDs["ticket"], "customers": b.IDs["customer"], "orgs": b.IDs["org"], "departments": b.IDs["department"],
		"vendors": b.IDs["vendor"], "queues": b.IDs["queue"], "roles": b.IDs["role"], "users": b.IDs["agent"], "tokens": b.IDs["token"],
		"webhooks": b.IDs["webhook"], "approvals": b.IDs["approval"], "merges": b.IDs["merge"], "attachments": b.IDs["attachment"],
		"emergencies": b.IDs["emergency"], "parties": b.IDs["party"],
	}[seg]
}

// bodies gives every write route a valid body that points at tenant b
// wherever a body can name another resource.
func bodies(b world, due time.Time) map[string]any {
	cust := map[string]any{"id": b.IDs["customer"]}
	return map[string]any{
		"POST /api/v1/tickets": map[string]any{"subject": "probe", "customer": cust, "queue_id": b.IDs["queue"],
			"message": map[string]any{"kind": "customer", "body": "x", "attachments": []string{b.IDs["attachment"]}}},
		"PATCH /api/v1/tickets/{id}":                          map[string]any{"subject": "probe"},
		"POST /api/v1/tickets/{id}/messages":                  map[string]any{"kind": "agent", "body": "probe"},
		"POST /api/v1/tickets/{id}/forward":                   map[string]any{"department_id": b.IDs["department"]},
		"POST /api/v1/tickets/{id}/links":                     map[string]any{"other_id": b.IDs["ticket2"]},
		"POST /api/v1/tickets/{id}/commitments":               map[string]any{"kind": "callback", "due_at": due, "owner_id": b.IDs["agent"]},
		"POST /api/v1/tickets/{id}/commitments/{cid}/release": map[string]any{"reason": "probe"},
		"POST /api/v1/tickets/{id}/actions":                   map[string]any{"action": "refund", "amount": 1, "reason": "probe"},
		"POST /api/v1/approvals/{id}/approve":                 map[string]any{"note": "probe"},
		"POST /api/v1/approvals/{id}/refuse":                  map[string]any{"note": "probe"},
		"POST /api/v1/customers": map[string]any{"name": "probe", "org_id": b.IDs["org"],
			"identities": []map[string]any{{"kind": "email", "value": "probe@x.test"}}},
		"PATCH /api/v1/customers/{id}":                     map[string]any{"name": "probe"},
		"POST /api/v1/customers/{id}/merge":                map[string]any{"merge_id": b.IDs["agent"]},
		"POST /api/v1/orgs":                                map[string]any{"parent_id": b.IDs["org"], "kind": "brand", "name": "probe"},
		"POST /api/v1/departments":                         map[string]any{"name": "probe", "org_id": b.IDs["org"]},
		"POST /api/v1/vendors":                             map[string]any{"name": "probe"},
		"PATCH /api/v1/orgs/{id}":                          map[string]any{"name": "probe"},
		"PATCH /api/v1/departments/{id}":                   map[string]any{"name": "probe"},
		"PATCH /api/v1/vendors/{id}":                       map[string]any{"active": false},
		"PATCH /api/v1/queues/{id}":                        map[string]any{"name": "probe"},
		"POST /api/v1/queues":                              map[string]any{"name": "probe", "org_id": b.IDs["org"]},
		"PUT /api/v1/tiers/{code}":                         map[string]any{"name": "KA probe", "rank": 1},
		"POST /api/v1/roles":                               map[string]any{"name": "probe", "permissions": []string{"tickets.read"}},
		"PUT /api/v1/roles/{id}":                           map[string]any{"name": "probe", "permissions": []string{"tickets.read"}},
		"POST /api/v1/users":                               map[string]any{"email": "probe@a.test", "name": "probe", "kind": "agent", "grants": []map[string]any{{"role_id": b.IDs["role"]}}},
		"PATCH /api/v1/users/{id}":                         map[string]any{"name": "probe"},
		"POST /api/v1/tokens":                              map[string]any{"name": "probe", "user_id": b.IDs["agent"]},
		"POST /api/v1/webhooks":                            map[string]any{"url": "http://127.0.0.1:9/probe", "events": []string{"*"}},
		"POST /api/v1/tenants":                             map[string]any{"slug": "probe", "name": "probe", "admin": map[string]any{"email": "p@p.test", "password": "probe-password"}},
		"POST /api/v1/attachments":                         "probe",
		"POST /api/v1/merges/{id}/undo":                    nil,
		"POST /api/v1/tickets/{id}/commitments/{cid}/keep": nil,
		"PUT /api/v1/queues/{id}/routing": map[string]any{"skills": []map[string]any{{"skill": "probe", "min_level": 1}},
			"split": []map[string]any{{"pool": "in_house", "weight": 1}, {"pool": b.IDs["vendor"], "weight": 1}}},
		"PUT /api/v1/users/{id}/routing":      map[string]any{"skills": map[string]int{"probe": 1}, "capacity": map[string]int{"chat": 1}},
		"PUT /api/v1/users/{id}/presence":     map[string]any{"state": "available"},
		"POST /api/v1/tickets/{id}/accept":    nil,
		"POST /api/v1/tickets/{id}/decline":   map[string]any{"reason": "probe"},
		"POST /api/v1/tickets/{id}/transfer":  map[string]any{"queue_id": b.IDs["queue"], "user_id": b.IDs["agent"], "reason": "probe"},
		"PUT /api/v1/intake/rules":            map[string]any{"categories": []map[string]any{{"code": "probe", "terms": []string{"probe"}}}},
		"PUT /api/v1/intake/settings":         map[string]any{"safety_queue_id": b.IDs["queue"]},
		"POST /api/v1/emergencies/{id}/ack":   nil,
		"POST /api/v1/emergencies/{id}/steps": map[string]any{"step": "call_back", "note": "probe"},
		"PUT /api/v1/safety/playbooks": map[string]any{"playbooks": []map[string]any{{"kind": "fire", "title": map[string]string{"en": "Fire"},
			"steps": []map[string]any{{"code": "leave", "text": map[string]string{"en": "Leave"}}}}}},
		"PUT /api/v1/commitments/settings":        map[string]any{"problem_queue_id": b.IDs["queue"]},
		"PUT /api/v1/sla/settings":                map[string]any{"policies": []map[string]any{{"name": "probe", "first_response_minutes": 10}}},
		"POST /api/v1/customers/{id}/status-link": nil,
		"POST /api/v1/tickets/{id}/expedite":      map[string]any{"reason": "probe", "owner_id": b.IDs["lead"]},
		"POST /api/v1/dev/clock/advance":          map[string]any{"by": "1s"},
		"PUT /api/v1/notify/settings":             map[string]any{"channels": []map[string]any{{"name": "log", "kind": "log"}}},
		"POST /api/v1/staffing/evaluate":          map[string]any{"volume": 100, "aht_seconds": 180},
		"POST /api/v1/staffing/actuals": map[string]any{"queue_id": b.IDs["queue"], "interval_minutes": 30,
			"rows": []map[string]any{{"start": due, "offered": 1, "handled": 1, "aht_seconds": 60}}},
		"POST /api/v1/staffing/forecasts":                 map[string]any{"name": "probe", "queue_id": b.IDs["queue"], "start": "2026-11-09"},
		"PATCH /api/v1/staffing/forecasts/{id}":           map[string]any{"from": due, "to": due.Add(time.Hour), "volume_factor": 2},
		"POST /api/v1/staffing/plans":                     map[string]any{"name": "probe", "forecast_id": b.IDs["forecast"]},
		"POST /api/v1/parties":                            map[string]any{"kind": "driver", "name": "probe", "phone": "13700009999", "org_id": b.IDs["org"]},
		"PATCH /api/v1/parties/{id}":                      map[string]any{"name": "probe"},
		"POST /api/v1/parties/{id}/restrict":              map[string]any{"reason": "probe", "ticket_id": b.IDs["relay_ticket"]},
		"POST /api/v1/parties/{id}/lift":                  map[string]any{"reason": "probe", "ticket_id": b.IDs["relay_ticket"]},
		"POST /api/v1/tickets/{id}/relays":                map[string]any{"party_id": b.IDs["party"], "body": "probe"},
		"POST /api/v1/tickets/{id}/relays/{rid}/messages": map[string]any{"from": "customer", "body": "probe"},
		"POST /api/v1/tickets/{id}/relays/{rid}/close":    map[string]any{"outcome": "resolved"},
		"POST /api/v1/relays/inbound":                     map[string]any{"code": b.IDs["relay_code"], "body": "probe"},
		"PUT /api/v1/relays/settings":                     map[string]any{"follow_up_hours": 2},
	}
}

// TestTenancyEveryRoute calls every route of the OpenAPI document with
// tenant A's token and tenant B's ids: nothing of B may come back.
func TestTenancyEveryRoute(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			alpha := h.world("alpha")
			beta := h.world("beta")
			h.staffingWorld(&beta)
			h.relayProbe(&alpha, "13700000001")
			h.relayProbe(&beta, "13700000002")
			doc := h.must(200, "", "GET", "/api/v1/openapi.json", nil).json(t)
			paths := doc["paths"].(map[string]any)
			var keys []string
			for p := range paths {
				keys = append(keys, p)
			}
			sort.Strings(keys)
			leaks := append([]string{beta.Marker}, values(beta.IDs, "code")...)
			body := bodies(beta, h.clk.Now().Add(time.Hour))
			tried := 0
			for _, p := range keys {
				for method, op := range paths[p].(map[string]any) {
					method = strings.ToUpper(method)
					key := method + " " + p
					url := pathParam.ReplaceAllStringFunc(p, func(m string) string { return pathID(p, m[1:len(m)-1], beta) })
					var payload any
					if method == "POST" || method == "PUT" || method == "PATCH" {
						v, ok := body[key]
						if !ok {
							t.Errorf("%s: no probe body; add one", key)
							continue
						}
						payload = v
					}
					if streams(op) {
						url += "?view=supervisor&max_seconds=1" // an event stream ends only when told
					}
					r := h.do(alpha.Token, method, url, payload)
					tried++
					hasID := strings.Contains(p, "{") && !strings.Contains(p, "{code}")
					if hasID && r.Status != 403 && r.Status != 404 {
						t.Errorf("%s with B's ids: status %d, want 403 or 404: %s", key, r.Status, r.Body)
					}
					for _, leak := range leaks {
						if strings.Contains(string(r.Body), leak) {
							t.Errorf("%s: response holds tenant B's %q: %s", key, leak, r.Body)
						}
					}
					if r.Status >= 500 {
						t.Errorf("%s: %d", key, r.Status)
					}
				}
			}
			if tried < 50 {
				t.Fatalf("only %d routes tried", tried)
			}
			// B's data is untouched by all of that.
			tk := h.must(200, beta.Token, "GET", "/api/v1/tickets/"+beta.IDs["ticket"], nil)
			if tk.str(t, "subject") != "退款 "+beta.Marker {
				t.Fatalf("B's ticket changed: %s", tk.Body)
			}
			if msgs := h.must(200, beta.Token, "GET", "/api/v1/tickets/"+beta.IDs["ticket"]+"/messages", nil).json(t)["items"].([]any); len(msgs) != 1 {
				t.Fatalf("B's ticket got %d messages", len(msgs))
			}
		})
	}
}

func values(m map[string]string, except ...string) []string {
	var out []string
outer:
	for k, v := range m {
		for _, e := range except {
			if k == e {
				continue outer
			}
		}
		out = append(out, v)
	}
	return out
}

// streams says whether an operation of the document answers with an event
// stream (text/event-stream).
func streams(op any) bool {
	resp, _ := op.(map[string]any)["responses"].(map[string]any)
	for _, r := range resp {
		if content, ok := r.(map[string]any)["content"].(map[string]any); ok {
			if _, ok := content["text/event-stream"]; ok {
				return true
			}
		}
	}
	return false
}
