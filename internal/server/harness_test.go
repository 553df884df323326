package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// harness is one kefu node over a real store, served by httptest.
type harness struct {
	t     *testing.T
	s     *store.Store
	srv   *httptest.Server
	clk   *clock.Manual
	admin string // platform admin token
	node  *Node
}

func newHarness(t *testing.T, b storetest.Backend) *harness {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC))
	s := storetest.Open(t, b, clk)
	if err := Bootstrap(context.Background(), s, "root@kefu.test", "root-password-123", io.Discard); err != nil {
		t.Fatal(err)
	}
	// Dev mode: the dev clock routes are part of the document, so the
	// tenancy test covers them, and the stories move time through the API.
	n, err := NewNode(Config{DataDir: t.TempDir(), Clock: clk, Version: "test", Dev: true}, s)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler)
	t.Cleanup(srv.Close)
	t.Cleanup(n.Routing.Close)
	h := &harness{t: t, s: s, srv: srv, clk: clk, node: n}
	h.admin = h.tokenFor("root@kefu.test")
	return h
}

// tokenFor mints a token for a user straight in the store.
func (h *harness) tokenFor(email string) string {
	h.t.Helper()
	u, err := h.s.UserByEmail(context.Background(), email)
	if err != nil {
		h.t.Fatalf("user %s: %v", email, err)
	}
	tk := kefu.Token{ID: store.NewID(), UserID: u.ID, Name: "test"}
	full, hash := auth.NewToken(tk.ID)
	tk.SecretHash = hash
	if _, err := h.s.CreateToken(context.Background(), u.TenantID, store.System, tk); err != nil {
		h.t.Fatal(err)
	}
	return full
}

type resp struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

func (r resp) str(t *testing.T, key string) string {
	t.Helper()
	v, _ := r.json(t)[key].(string)
	return v
}

// do sends a request; body may be nil, a string (sent raw) or a value (JSON).
func (h *harness) do(token, method, path string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Body: b, Header: res.Header}
}

// must sends a request and fails the test unless it answers want.
func (h *harness) must(want int, token, method, path string, body any, headers ...string) resp {
	h.t.Helper()
	r := h.do(token, method, path, body, headers...)
	if r.Status != want {
		h.t.Fatalf("%s %s = %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// world is one tenant filled with one of everything, through the API.
type world struct {
	Token  string
	Marker string            // appears in this tenant's names and texts
	IDs    map[string]string // resource → an id of it
}

func (h *harness) world(slug string) world {
	h.t.Helper()
	marker := strings.ToUpper(slug) + "-MARK"
	w := world{Marker: marker, IDs: map[string]string{}}
	r := h.must(201, h.admin, "POST", "/api/v1/tenants", map[string]any{"slug": slug, "name": "客户公司 " + marker,
		"admin": map[string]any{"email": "admin@" + slug + ".test", "password": "admin-password-1", "name": "管理员 " + marker}})
	m := r.json(h.t)
	ten := m["tenant"].(map[string]any)
	w.IDs["tenant"] = ten["id"].(string)
	w.IDs["root"] = m["root_org"].(map[string]any)["id"].(string)
	admin := m["admin"].(map[string]any)
	w.IDs["admin"] = admin["id"].(string)
	roles := map[string]string{}
	for _, x := range m["roles"].([]any) {
		role := x.(map[string]any)
		roles[role["name"].(string)] = role["id"].(string)
	}
	w.IDs["role"] = roles["agent"]
	w.Token = h.tokenFor("admin@" + slug + ".test")
	tok := w.Token
	id := func(r resp) string { return r.str(h.t, "id") }
	w.IDs["org"] = id(h.must(201, tok, "POST", "/api/v1/orgs", map[string]any{"parent_id": w.IDs["root"], "kind": "subsidiary", "name": "子公司 " + marker}))
	w.IDs["department"] = id(h.must(201, tok, "POST", "/api/v1/departments", map[string]any{"name": "财务 " + marker, "kind": "finance"}))
	w.IDs["vendor"] = id(h.must(201, tok, "POST", "/api/v1/vendors", map[string]any{"name": "外包 " + marker}))
	w.IDs["queue"] = id(h.must(201, tok, "POST", "/api/v1/queues", map[string]any{"name": "在线 " + marker, "channel": "chat", "skills": []string{"zh"}}))
	w.IDs["agent"] = id(h.must(201, tok, "POST", "/api/v1/users", map[string]any{"email": "agent@" + slug + ".test", "name": "坐席 " + marker,
		"kind": "agent", "tier": "junior", "password": "agent-password-1", "grants": []map[string]any{{"role_id": roles["agent"]}}}))
	w.IDs["lead"] = id(h.must(201, tok, "POST", "/api/v1/users", map[string]any{"email": "lead@" + slug + ".test", "name": "组长 " + marker,
		"kind": "team_lead", "grants": []map[string]any{{"role_id": roles["team_lead"]}}}))
	tr := h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "退款 " + marker, "channel": "email",
		"customer": map[string]any{"name": "客户 " + marker, "identities": []map[string]any{{"kind": "email", "value": slug + "@customer.test"}}},
		"message":  map[string]any{"kind": "customer", "body": "我的退款还没到 " + marker}})
	w.IDs["ticket"] = id(tr)
	w.IDs["customer"] = tr.str(h.t, "customer_id")
	w.IDs["message"] = tr.json(h.t)["message"].(map[string]any)["id"].(string)
	w.IDs["ticket2"] = id(h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "again " + marker,
		"customer": map[string]any{"id": w.IDs["customer"]}}))
	h.must(201, tok, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/links", map[string]any{"other_id": w.IDs["ticket2"], "kind": "repeat"})
	w.IDs["commitment"] = id(h.must(201, tok, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/commitments", map[string]any{"kind": "refund",
		"description": "退款三个工作日内到账 " + marker, "due_at": h.clk.Now().Add(72 * time.Hour)}))
	agentTok := h.tokenFor("agent@" + slug + ".test")
	w.IDs["approval"] = id(h.must(201, agentTok, "POST", "/api/v1/tickets/"+w.IDs["ticket"]+"/actions", map[string]any{"action": "refund",
		"amount": 88800, "currency": "CNY", "reason": "超过额度 " + marker}))
	other := id(h.must(201, tok, "POST", "/api/v1/customers", map[string]any{"name": "另一个 " + marker,
		"identities": []map[string]any{{"kind": "phone", "value": "+86 139 0000 " + map[string]string{"alpha": "0001", "beta": "0002"}[slug]}}}))
	mr := h.must(200, tok, "POST", "/api/v1/customers/"+w.IDs["customer"]+"/merge", map[string]any{"merge_id": other})
	w.IDs["merge"] = mr.str(h.t, "id")
	w.IDs["webhook"] = id(h.must(201, tok, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/" + marker, "events": []string{"ticket.*"}}))
	w.IDs["token"] = id(h.must(201, tok, "POST", "/api/v1/tokens", map[string]any{"name": "ci " + marker}))
	w.IDs["attachment"] = id(h.must(201, tok, "POST", "/api/v1/attachments?filename=receipt.txt", "收据 "+marker))
	sos := id(h.must(201, tok, "POST", "/api/v1/tickets", map[string]any{"subject": "救命 " + marker, "channel": "chat",
		"customer": map[string]any{"id": w.IDs["customer"]}, "message": map[string]any{"kind": "customer", "body": "救命 他拿着刀不让我走 " + marker}}))
	em := h.must(200, tok, "GET", "/api/v1/emergencies?ticket_id="+sos, nil).json(h.t)["items"].([]any)
	if len(em) != 1 {
		h.t.Fatalf("world %s: the emergency ticket raised %d emergencies", slug, len(em))
	}
	w.IDs["emergency"] = em[0].(map[string]any)["id"].(string)
	w.IDs["code"] = "ka"
	w.IDs["status_link"] = h.must(201, tok, "POST", "/api/v1/customers/"+w.IDs["customer"]+"/status-link", nil).str(h.t, "token")
	return w
}
