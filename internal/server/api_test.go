package server

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

func eachHarness(t *testing.T, f func(t *testing.T, h *harness)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { f(t, newHarness(t, b)) })
	}
}

// newTicketBody is a new ticket from a customer of its own per subject (the
// same customer writing the same words again would be a repeat contact).
func newTicketBody(subject string) map[string]any {
	h := fnv.New32a()
	h.Write([]byte(subject))
	phone := fmt.Sprintf("138%08d", h.Sum32()%100000000)
	return map[string]any{"subject": subject, "channel": "chat",
		"customer": map[string]any{"name": "张三", "identities": []map[string]any{{"kind": "phone", "value": phone}}},
		"message":  map[string]any{"kind": "customer", "body": "你好，我的订单还没发货"}}
}

func countTickets(t *testing.T, h *harness, token string) int {
	t.Helper()
	return len(h.must(200, token, "GET", "/api/v1/tickets?limit=200", nil).json(t)["items"].([]any))
}

func TestIdempotencyKey(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		w := h.world("idem")
		before := countTickets(t, h, w.Token)
		first := h.must(201, w.Token, "POST", "/api/v1/tickets", newTicketBody("重试"), "Idempotency-Key", "k-1")
		again := h.must(201, w.Token, "POST", "/api/v1/tickets", newTicketBody("重试"), "Idempotency-Key", "k-1")
		if again.Header.Get("Idempotent-Replayed") != "true" || first.str(t, "id") != again.str(t, "id") {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		var a, b map[string]any
		json.Unmarshal(first.Body, &a)
		json.Unmarshal(again.Body, &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("replayed body differs:\n%v\n%v", a, b)
		}
		r := h.must(422, w.Token, "POST", "/api/v1/tickets", newTicketBody("另一个"), "Idempotency-Key", "k-1")
		if r.json(t)["error"].(map[string]any)["code"] != "idempotency_key_reused" {
			t.Fatalf("reuse: %s", r.Body)
		}
		// Concurrent twins create exactly one ticket and all see its id.
		var wg sync.WaitGroup
		ids := make([]string, 16)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := h.do(w.Token, "POST", "/api/v1/tickets", newTicketBody("并发"), "Idempotency-Key", "k-2")
				if r.Status == 201 {
					json.Unmarshal(r.Body, &map[string]any{})
					var m map[string]any
					json.Unmarshal(r.Body, &m)
					ids[i], _ = m["id"].(string)
				} else {
					ids[i] = fmt.Sprintf("status %d: %s", r.Status, r.Body)
				}
			}(i)
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("twins disagree: %q vs %q", id, ids[0])
			}
		}
		if got := countTickets(t, h, w.Token); got != before+2 {
			t.Fatalf("%d tickets, want %d", got, before+2)
		}
		// Keys are per caller: another user's same key is a new request.
		lead := h.tokenFor("lead@idem.test")
		// (The same customer's same words join the first ticket as a repeat
		// contact, so the ticket id may match; the answer must not be a replay.)
		if r := h.must(201, lead, "POST", "/api/v1/tickets", newTicketBody("重试"), "Idempotency-Key", "k-1"); r.Header.Get("Idempotent-Replayed") == "true" ||
			r.json(t)["repeat"] != true {
			t.Fatalf("idempotency keys leak across callers: %s", r.Body)
		}
	})
}

func TestBadInputIsClear(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		w := h.world("bad")
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			code   string
			field  string
		}{
			{"broken JSON", "POST", "/api/v1/tickets", `{"subject":`, 400, "invalid_json", ""},
			{"not JSON", "POST", "/api/v1/tickets", `退款`, 400, "invalid_json", ""},
			{"empty body", "POST", "/api/v1/tickets", ``, 400, "invalid_json", ""},
			{"unknown field", "POST", "/api/v1/tickets", `{"subject":"x","colour":"red","customer":{"name":"a","identities":[{"kind":"app","value":"1"}]}}`, 422, "invalid_input", "colour"},
			{"wrong type", "POST", "/api/v1/tickets", `{"subject":42}`, 422, "invalid_input", "subject"},
			{"missing subject", "POST", "/api/v1/tickets", `{"customer":{"name":"a","identities":[{"kind":"app","value":"1"}]}}`, 422, "invalid_input", "subject"},
			{"no customer", "POST", "/api/v1/tickets", `{"subject":"x"}`, 422, "invalid_input", "customer"},
			{"bad phone", "POST", "/api/v1/tickets", `{"subject":"x","customer":{"identities":[{"kind":"phone","value":"call me"}]}}`, 422, "invalid_input", "identities"},
			{"bad status", "PATCH", "/api/v1/tickets/" + w.IDs["ticket"], `{"status":"done"}`, 422, "invalid_input", "status"},
			{"bad status move", "PATCH", "/api/v1/tickets/" + w.IDs["ticket"], `{"status":"closed"}`, 409, "commitments_open", ""},
			{"bad cursor", "GET", "/api/v1/tickets?cursor=zzz", nil, 422, "invalid_input", "cursor"},
			{"bad limit", "GET", "/api/v1/tickets?limit=-1", nil, 422, "invalid_input", "limit"},
			{"past due", "POST", "/api/v1/tickets/" + w.IDs["ticket"] + "/commitments", `{"kind":"callback","due_at":"2020-01-01T00:00:00Z"}`, 422, "invalid_input", "due_at"},
			{"bad time", "POST", "/api/v1/tickets/" + w.IDs["ticket"] + "/commitments", `{"kind":"callback","due_at":"tomorrow"}`, 422, "invalid_input", ""},
			{"unknown route", "GET", "/api/v1/nothing", nil, 404, "not_found", ""},
			{"wrong method", "PUT", "/api/v1/tickets", `{}`, 405, "method_not_allowed", ""},
			{"huge", "POST", "/api/v1/tickets", `{"subject":"` + strings.Repeat("x", 2<<20) + `"}`, 400, "too_large", ""},
		}
		for _, c := range cases {
			r := h.do(w.Token, c.method, c.path, c.body)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				continue
			}
			e, ok := r.json(t)["error"].(map[string]any)
			if !ok || (c.code != "" && e["code"] != c.code) || e["message"] == "" {
				t.Errorf("%s: error shape %s", c.name, r.Body)
				continue
			}
			if c.field != "" {
				if f, _ := e["fields"].(map[string]any); f == nil || f[c.field] == nil {
					t.Errorf("%s: field %s not named: %s", c.name, c.field, r.Body)
				}
			}
		}
		if r := h.do(w.Token, "POST", "/api/v1/tickets", `{`); r.Header.Get("X-Request-ID") == "" || !strings.Contains(string(r.Body), r.Header.Get("X-Request-ID")) {
			t.Errorf("error without its request id: %s", r.Body)
		}
		// Nothing half-written: the bad requests left no tickets behind.
		if n := countTickets(t, h, w.Token); n != 3 {
			t.Fatalf("%d tickets after bad input, want the world's 3", n)
		}
		// Messages are translated by Accept-Language.
		r := h.do(w.Token, "POST", "/api/v1/tickets", `{`, "Accept-Language", "zh-TW")
		if msg := r.json(t)["error"].(map[string]any)["message"]; msg != "請求內容不是有效的 JSON。" {
			t.Fatalf("zh-Hant message = %v", msg)
		}
	})
}

func TestAuthentication(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		w := h.world("authn")
		for _, tok := range []string{"", "garbage", "kefu_nope_nope", w.Token + "x"} {
			r := h.do(tok, "GET", "/api/v1/tickets", nil)
			if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("token %q: %d", tok, r.Status)
			}
		}
		created := h.must(201, w.Token, "POST", "/api/v1/tokens", map[string]any{"name": "temp"})
		secret := created.str(t, "token")
		h.must(200, secret, "GET", "/api/v1/me", nil)
		h.must(204, w.Token, "DELETE", "/api/v1/tokens/"+created.str(t, "id"), nil)
		h.must(401, secret, "GET", "/api/v1/me", nil)
		// An agent lacks admin permissions.
		agent := h.tokenFor("agent@authn.test")
		h.must(403, agent, "POST", "/api/v1/users", map[string]any{"email": "x@y.z", "name": "x", "kind": "agent"})
		h.must(403, agent, "GET", "/api/v1/webhooks", nil)
		h.must(403, agent, "GET", "/api/v1/tenants", nil)
		h.must(403, w.Token, "GET", "/api/v1/tenants", nil) // tenant admin, not platform admin
		// A disabled user's tokens stop working.
		h.must(200, w.Token, "PATCH", "/api/v1/users/"+w.IDs["agent"], map[string]any{"active": false})
		h.must(401, agent, "GET", "/api/v1/me", nil)
	})
}

func TestApprovalFlow(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		w := h.world("appr")
		agent := h.tokenFor("agent@appr.test")
		lead := h.tokenFor("lead@appr.test")
		tk := w.IDs["ticket"]
		small := h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/actions", map[string]any{"action": "refund", "amount": 5000, "reason": "破损"})
		if small.str(t, "state") != "approved" {
			t.Fatalf("within limit: %s", small.Body)
		}
		big := h.must(201, agent, "POST", "/api/v1/tickets/"+tk+"/actions", map[string]any{"action": "refund", "amount": 150000, "reason": "整单退款"})
		if big.str(t, "state") != "pending" {
			t.Fatalf("over limit: %s", big.Body)
		}
		h.must(403, agent, "POST", "/api/v1/approvals/"+big.str(t, "id")+"/approve", map[string]any{})
		// The lead's own limit (1,000.00) does not cover 1,500.00.
		r := h.must(403, lead, "POST", "/api/v1/approvals/"+big.str(t, "id")+"/approve", map[string]any{})
		if r.json(t)["error"].(map[string]any)["code"] != "over_limit" {
			t.Fatalf("%s", r.Body)
		}
		ok := h.must(200, w.Token, "POST", "/api/v1/approvals/"+big.str(t, "id")+"/approve", map[string]any{"note": "同意"})
		if ok.str(t, "state") != "approved" || ok.str(t, "decided_by") != w.IDs["admin"] {
			t.Fatalf("%s", ok.Body)
		}
		pend := h.must(200, w.Token, "GET", "/api/v1/approvals?state=pending", nil).json(t)["items"].([]any)
		if len(pend) != 1 { // the one the world made
			t.Fatalf("pending = %d", len(pend))
		}
		hist := h.must(200, w.Token, "GET", "/api/v1/tickets/"+tk+"/history", nil).json(t)["items"].([]any)
		var types []string
		for _, e := range hist {
			types = append(types, e.(map[string]any)["type"].(string))
		}
		if !strings.Contains(strings.Join(types, " "), "action.requested action.executed action.requested action.executed") {
			t.Fatalf("history: %v", types)
		}
		// Solving with an open commitment needs a release with a reason, by someone with authority.
		h.must(409, agent, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "solved"})
		h.must(403, agent, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "solved", "release_open_commitments": true, "release_reason": "客户撤回"})
		h.must(422, lead, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "solved", "release_open_commitments": true})
		h.must(200, lead, "PATCH", "/api/v1/tickets/"+tk, map[string]any{"status": "solved", "release_open_commitments": true, "release_reason": "客户撤回"})
		cs := h.must(200, w.Token, "GET", "/api/v1/tickets/"+tk+"/commitments", nil).json(t)["items"].([]any)
		if c := cs[0].(map[string]any); c["state"] != "released" || c["release_reason"] != "客户撤回" {
			t.Fatalf("commitment: %v", c)
		}
	})
}

func TestWebSignIn(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		page := func(r *http.Response, err error) string {
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := r.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return b.String()
		}
		login := page(c.Get(h.srv.URL + "/login?lang=zh-Hant"))
		if !strings.Contains(login, "登入") {
			t.Fatalf("login page not in zh-Hant: %s", login)
		}
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)[1]
		// Without the form's CSRF token: refused.
		r, _ := c.PostForm(h.srv.URL+"/login", url.Values{"email": {"root@kefu.test"}, "password": {"root-password-123"}})
		if r.StatusCode != 403 {
			t.Fatalf("login without csrf: %d", r.StatusCode)
		}
		r.Body.Close()
		r, _ = c.PostForm(h.srv.URL+"/login", url.Values{"email": {"root@kefu.test"}, "password": {"wrong-password"}, "csrf": {csrf}})
		if r.StatusCode != 401 {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		r.Body.Close()
		home := page(c.PostForm(h.srv.URL+"/login", url.Values{"email": {"ROOT@kefu.test"}, "password": {"root-password-123"}, "csrf": {csrf}}))
		if !strings.Contains(home, `id="user">Administrator<`) {
			t.Fatalf("not signed in: %s", home)
		}
		// The API accepts the session; unsafe methods need the CSRF header.
		if r, _ := c.Get(h.srv.URL + "/api/v1/me"); r.StatusCode != 200 {
			t.Fatalf("session GET /me: %d", r.StatusCode)
		}
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/vendors", strings.NewReader(`{"name":"v"}`))
		if r, _ := c.Do(req); r.StatusCode != 403 {
			t.Fatalf("session POST without CSRF header: %d", r.StatusCode)
		}
		sessCSRF := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(home)[1]
		req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/vendors", strings.NewReader(`{"name":"v"}`))
		req.Header.Set("X-CSRF-Token", sessCSRF)
		if r, _ := c.Do(req); r.StatusCode != 201 {
			t.Fatalf("session POST with CSRF header: %d", r.StatusCode)
		}
		out := page(c.PostForm(h.srv.URL+"/logout", url.Values{"csrf": {sessCSRF}}))
		if strings.Contains(out, `id="user"`) {
			t.Fatal("still signed in after logout")
		}
		if r, _ := c.Get(h.srv.URL + "/api/v1/me"); r.StatusCode != 401 {
			t.Fatalf("after logout: %d", r.StatusCode)
		}
	})
}

func TestLoginRateLimited(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r, _ := c.Get(h.srv.URL + "/login")
	buf := make([]byte, 8192)
	n, _ := r.Body.Read(buf)
	r.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(buf[:n]))[1]
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		r, _ := c.PostForm(h.srv.URL+"/login", url.Values{"email": {"root@kefu.test"}, "password": {"guess-" + fmt.Sprint(i)}, "csrf": {csrf}})
		codes[r.StatusCode]++
		r.Body.Close()
	}
	if codes[429] == 0 || codes[401] != 5 {
		t.Fatalf("attempts: %v", codes)
	}
}

// TestOpenAPIDocument loads the document with an independent OpenAPI
// implementation and holds it against the live routes.
func TestOpenAPIDocument(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	raw := h.must(200, "", "GET", "/api/v1/openapi.json", nil).Body
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document invalid: %v", err)
	}
	w := h.world("doc")
	n := 0
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			n++
			// Every documented route exists: a request without credentials is
			// answered by that route (401), not by the fallback (404/405).
			u := pathParam.ReplaceAllString(path, "x")
			r := h.do("", method, u, nil)
			if path == "/api/v1/openapi.json" {
				continue
			}
			if path == "/api/v1/status/{token}" {
				// Public: the signed link is the credential; a bad one is the
				// route's own 404, not the fallback's.
				if r.Status != 404 || strings.Contains(string(r.Body), "no such API route") {
					t.Errorf("%s %s: %d %s, want the route's own 404", method, path, r.Status, r.Body)
				}
				continue
			}
			if r.Status != 401 {
				t.Errorf("%s %s: %d, want 401 from the route itself", method, path, r.Status)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d operations documented", n)
	}
	// Responses of the main reads match their schemas.
	for _, p := range []string{"/api/v1/tickets", "/api/v1/tickets/" + w.IDs["ticket"], "/api/v1/customers/" + w.IDs["customer"], "/api/v1/me"} {
		r := h.must(200, w.Token, "GET", p, nil)
		var route string
		for dp := range doc.Paths.Map() {
			if regexp.MustCompile("^" + pathParam.ReplaceAllString(dp, "[^/]+") + "$").MatchString(p) {
				route = dp
			}
		}
		op := doc.Paths.Value(route).Get
		schema := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		var v any
		json.Unmarshal(r.Body, &v)
		if err := schema.VisitJSON(v); err != nil {
			t.Errorf("GET %s does not match its schema: %v", p, err)
		}
	}
}

func TestHealthAndPages(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	if r := h.do("", "GET", "/healthz", nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if r := h.do("", "GET", "/readyz", nil); r.Status != 200 || !strings.Contains(string(r.Body), "ready") {
		t.Fatal(r.Status)
	}
	r := h.do("", "GET", "/", nil, "Accept-Language", "en-US")
	if r.Status != 200 || !strings.Contains(string(r.Body), "/api/v1/openapi.json") || !strings.Contains(string(r.Body), "Version") {
		t.Fatalf("home: %d %s", r.Status, r.Body)
	}
	if r := h.do("", "GET", "/", nil, "Accept-Language", "zh-CN"); !strings.Contains(string(r.Body), "客服中心") {
		t.Fatal("home not in Chinese")
	}
}

func TestBootstrapPrintsOneTimePassword(t *testing.T) {
	s := storetest.Open(t, storetest.Backends()[0], nil)
	var out strings.Builder
	if err := Bootstrap(context.Background(), s, "", "", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "One-time password") {
		t.Fatalf("%q", out.String())
	}
	out.Reset()
	if err := Bootstrap(context.Background(), s, "", "", &out); err != nil || out.Len() != 0 {
		t.Fatal("bootstrap ran twice")
	}
	u, _ := s.UserByEmail(context.Background(), "admin@kefu.local")
	if !u.PlatformAdmin || u.Kind != kefu.UserAdmin {
		t.Fatalf("%+v", u)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, storetest.Backends()[0])
	h.world("metrics")
	r := h.must(200, "", "GET", "/metrics", nil)
	body := string(r.Body)
	for _, want := range []string{
		`kefu_http_requests_total{route="POST /api/v1/tickets",code="201"} 3`, // the world opens three tickets
		`kefu_http_request_duration_seconds_count{route="POST /api/v1/tickets"} 3`,
		"# TYPE kefu_store_write_ops gauge", "go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
