package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

const testToken = "test-token"

// fakeAPI implements the four endpoints the bench drives, minimally but
// strictly enough to catch malformed requests.
type fakeAPI struct {
	t *testing.T

	mu       sync.Mutex
	nextID   int
	tickets  map[string]int    // id → messages
	phones   map[string]string // phone → customer id
	keys     map[string]bool   // Idempotency-Keys seen
	subjects []string

	creates, appends, lists, lookups, misses atomic.Int64

	// Optional hooks, called before the normal handling; returning true
	// means the hook wrote the response.
	onList   func(w http.ResponseWriter, n int64) bool
	remotes  sync.Map // the clients' addresses seen: one per connection
	onLookup func(w http.ResponseWriter, n int64) bool
	delay    time.Duration
}

func newFake(t *testing.T) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t, tickets: map[string]int{}, phones: map[string]string{}, keys: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/tickets", f.create)
	mux.HandleFunc("POST /api/v1/tickets/{id}/messages", f.appendMsg)
	mux.HandleFunc("GET /api/v1/tickets", f.list)
	mux.HandleFunc("GET /api/v1/customers/lookup", f.lookup)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.remotes.Store(r.RemoteAddr, true)
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			apiError(w, 401, "unauthorized", "missing or bad token")
			return
		}
		if f.delay > 0 {
			time.Sleep(f.delay)
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) checkPost(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		apiError(w, 415, "unsupported_media_type", ct)
		return false
	}
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	dup := key == "" || f.keys[key]
	f.keys[key] = true
	f.mu.Unlock()
	if dup {
		apiError(w, 409, "idempotency_key", "missing or reused Idempotency-Key "+key)
		return false
	}
	return true
}

func validPhone(p string) bool {
	if len(p) != 11 || p[0] != '1' {
		return false
	}
	_, err := strconv.ParseUint(p, 10, 64)
	return err == nil
}

func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	if !f.checkPost(w, r) {
		return
	}
	var in createTicketJSON
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, 400, "bad_json", err.Error())
		return
	}
	if in.Subject == "" || in.Message.Kind != "customer" || in.Message.Body == "" || in.Customer.Name == "" ||
		len(in.Customer.Identities) == 0 || in.Customer.Identities[0].Kind != "phone" || !validPhone(in.Customer.Identities[0].Value) ||
		!slices.Contains([]string{"chat", "email", "phone", "app"}, in.Channel) ||
		!slices.Contains([]string{"low", "normal", "high", "urgent"}, in.Priority) {
		apiError(w, 422, "invalid", fmt.Sprintf("bad ticket %+v", in))
		return
	}
	f.creates.Add(1)
	p := in.Customer.Identities[0].Value
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("t%06d", f.nextID)
	f.tickets[id] = 1
	cid, ok := f.phones[p]
	if !ok {
		cid = "c" + id
		f.phones[p] = cid
	}
	f.subjects = append(f.subjects, in.Subject)
	n := f.nextID
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": id, "number": n, "customer_id": cid, "subject": in.Subject,
		"message": map[string]any{"id": "m" + id, "kind": "customer", "body": in.Message.Body}})
}

func (f *fakeAPI) appendMsg(w http.ResponseWriter, r *http.Request) {
	if !f.checkPost(w, r) {
		return
	}
	var in messageJSON
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Kind != "agent" || in.Body == "" {
		apiError(w, 422, "invalid", "bad message")
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	_, ok := f.tickets[id]
	if ok {
		f.tickets[id]++
	}
	f.mu.Unlock()
	if !ok {
		apiError(w, 404, "not_found", "no ticket "+id)
		return
	}
	f.appends.Add(1)
	writeJSON(w, 201, map[string]any{"id": "m", "kind": "agent", "body": in.Body})
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	n := f.lists.Add(1)
	if f.onList != nil && f.onList(w, n) {
		return
	}
	if r.URL.Query().Get("status") != "open" || r.URL.Query().Get("limit") != "50" {
		apiError(w, 400, "bad_query", r.URL.RawQuery)
		return
	}
	items := make([]map[string]any, 50)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprintf("t%06d", i), "subject": "订单 A123456 未发货", "status": "open"}
	}
	writeJSON(w, 200, map[string]any{"items": items, "next_cursor": "abc"})
}

func (f *fakeAPI) lookup(w http.ResponseWriter, r *http.Request) {
	n := f.lookups.Add(1)
	if f.onLookup != nil && f.onLookup(w, n) {
		return
	}
	q := r.URL.Query()
	f.mu.Lock()
	cid, ok := f.phones[q.Get("value")]
	f.mu.Unlock()
	if q.Get("kind") != "phone" || !ok {
		f.misses.Add(1)
		apiError(w, 404, "not_found", "no such customer")
		return
	}
	writeJSON(w, 200, map[string]any{"id": cid, "identities": []any{map[string]any{"kind": "phone", "value": q.Get("value")}}})
}

func checkOrdered(t *testing.T, r Result) {
	t.Helper()
	if !(r.P50 > 0 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
		t.Errorf("%s: percentiles out of order: p50=%v p90=%v p99=%v max=%v", r.Scenario, r.P50, r.P90, r.P99, r.Max)
	}
	if r.Elapsed <= 0 || r.PerSecond <= 0 {
		t.Errorf("%s: elapsed %v, per second %v", r.Scenario, r.Elapsed, r.PerSecond)
	}
}

func TestRunAllScenarios(t *testing.T) {
	f, srv := newFake(t)
	var out bytes.Buffer
	const reqs, warm = 200, 10
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "all",
		Concurrency: 8, Requests: reqs, Duration: time.Minute, Warmup: warm}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if len(res) != 4 {
		t.Fatalf("got %d results, want 4", len(res))
	}
	for i, r := range res {
		if r.Scenario != Scenarios[i] {
			t.Errorf("result %d is %q, want %q", i, r.Scenario, Scenarios[i])
		}
		if r.Requests != reqs || r.Errors != 0 || r.HTTPErrors != 0 || r.TransportErrors != 0 {
			t.Errorf("%s: requests=%d errors=%d (%v), want %d and 0", r.Scenario, r.Requests, r.Errors, r.ErrorSamples, reqs)
		}
		checkOrdered(t, r)
	}
	// Fixtures, then warmup plus measured requests for each scenario.
	if got, want := f.creates.Load(), int64(fixtureTickets+warm+reqs); got != want {
		t.Errorf("server saw %d creates, want %d", got, want)
	}
	for name, c := range map[string]*atomic.Int64{"append": &f.appends, "list": &f.lists, "lookup": &f.lookups} {
		if got := c.Load(); got != warm+reqs {
			t.Errorf("server saw %d %s requests, want %d", got, name, warm+reqs)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.misses.Load(); m != 0 {
		t.Errorf("%d lookups missed fixture phones", m)
	}
	if len(f.keys) != fixtureTickets+2*(warm+reqs) {
		t.Errorf("%d distinct Idempotency-Keys, want one per POST (%d)", len(f.keys), fixtureTickets+2*(warm+reqs))
	}
	// Realistic, varied content: Chinese subjects and many distinct phones.
	cjk := 0
	for _, s := range f.subjects {
		if utf8.RuneCountInString(s) != len(s) {
			cjk++
		}
	}
	if cjk < len(f.subjects)/2 {
		t.Errorf("only %d of %d subjects are non-ASCII", cjk, len(f.subjects))
	}
	if len(f.phones) < fixtureTickets+reqs/2 {
		t.Errorf("only %d distinct phones", len(f.phones))
	}
	text := out.String()
	for _, want := range []string{"scenario", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "create", "append", "list", "lookup"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	t.Logf("\n%s", text)
}

func TestRunCountsHTTPErrors(t *testing.T) {
	f, srv := newFake(t)
	f.onList = func(w http.ResponseWriter, n int64) bool {
		if n%3 == 0 {
			apiError(w, 500, "internal", "database is locked")
			return true
		}
		return false
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "list",
		Concurrency: 5, Requests: 90}, &out)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Requests != 90 || r.Errors != 30 || r.HTTPErrors != 30 || r.TransportErrors != 0 || r.Statuses[500] != 30 || len(r.Statuses) != 1 {
		t.Fatalf("got %+v, want 90 requests with 30 HTTP 500s", r)
	}
	if len(r.ErrorSamples) != 1 || r.ErrorSamples[0] != "HTTP 500 internal: database is locked" {
		t.Errorf("error samples %q", r.ErrorSamples)
	}
	checkOrdered(t, r) // error responses still have latencies
	for _, want := range []string{"list: 30 errors (33.33%); status 500×30", "HTTP 500 internal: database is locked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunCountsTransportErrors(t *testing.T) {
	f, srv := newFake(t)
	f.onLookup = func(w http.ResponseWriter, n int64) bool {
		if n%4 != 0 {
			return false
		}
		// Promise a body, send part of it, then drop the connection.
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte(`{"id":`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "lookup",
		Concurrency: 4, Requests: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Requests != 100 || r.TransportErrors != 25 || r.HTTPErrors != 0 || r.Errors != 25 {
		t.Fatalf("got %+v, want 100 requests with 25 transport errors", r)
	}
	if len(r.ErrorSamples) == 0 || !strings.HasPrefix(r.ErrorSamples[0], "transport: ") {
		t.Errorf("error samples %q", r.ErrorSamples)
	}
}

func TestRunConnectionRefused(t *testing.T) {
	_, srv := newFake(t)
	url := srv.URL
	srv.Close()
	_, err := Run(context.Background(), Options{BaseURL: url, Token: testToken, Scenario: "lookup", Requests: 10}, nil)
	if err == nil || !strings.Contains(err.Error(), "creating 300 tickets") {
		t.Fatalf("err = %v, want a fixture creation failure", err)
	}
}

func TestRunBadTokenIsClear(t *testing.T) {
	f, srv := newFake(t)
	_, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: "wrong", Scenario: "append", Requests: 10}, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401 unauthorized: missing or bad token") {
		t.Fatalf("err = %v, want the 401 explained", err)
	}
	if f.appends.Load() != 0 {
		t.Error("append ran although preparation failed")
	}
	// A create-only run needs no fixtures: the 401s are counted instead.
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: "wrong", Scenario: "create", Requests: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].HTTPErrors != 10 || res[0].Statuses[401] != 10 {
		t.Errorf("got %+v, want 10 counted 401s", res[0])
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	f, srv := newFake(t)
	f.delay = 10 * time.Millisecond
	start := time.Now()
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "list",
		Concurrency: 4, Requests: 1_000_000, Duration: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Run took %v with a 200ms duration", took)
	}
	r := res[0]
	if r.Requests == 0 || r.Requests > 200 || r.Errors != 0 || r.Elapsed < 200*time.Millisecond {
		t.Errorf("got %+v, want a partial, error-free run of at least 200ms", r)
	}
	if int64(r.Requests) != f.lists.Load() {
		t.Errorf("reported %d requests, server saw %d", r.Requests, f.lists.Load())
	}
}

func TestRunContextCancel(t *testing.T) {
	f, srv := newFake(t)
	f.delay = 5 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Options{BaseURL: srv.URL, Token: testToken, Scenario: "create", Concurrency: 4, Requests: 1_000_000}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if len(res) != 1 || res[0].Requests == 0 || res[0].Errors != 0 {
		t.Errorf("partial results %+v: cancellation must not count as errors", res)
	}
}

func TestRunDoesNotFollowRedirects(t *testing.T) {
	f, srv := newFake(t)
	f.onList = func(w http.ResponseWriter, n int64) bool {
		w.Header().Set("Location", "http://192.0.2.1/api/v1/tickets")
		w.WriteHeader(http.StatusFound)
		return true
	}
	// Both with the built-in client and with a caller's client.
	for _, c := range []*http.Client{nil, srv.Client()} {
		res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "list", Requests: 5, Client: c}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].HTTPErrors != 5 || res[0].Statuses[302] != 5 {
			t.Errorf("got %+v, want 5 unfollowed 302s", res[0])
		}
	}
}

func TestNonLoopbackRefused(t *testing.T) {
	bad := []string{
		"", "127.0.0.1:8080", "ftp://127.0.0.1/", "http://10.0.0.1:8080", "http://192.168.1.5",
		"http://example.com", "http://localhost.example.com", "http://127.0.0.1.nip.io",
		"http://[::ffff:10.0.0.1]:80", "http://[2001:db8::1]", "http://0.0.0.0:8080",
		"http://user:pw@127.0.0.1", "https://kefu.internal",
	}
	called := false
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		called = true
		return nil, errors.New("must not be called")
	})}
	for _, u := range bad {
		_, err := Run(context.Background(), Options{BaseURL: u, Token: testToken, Client: client}, nil)
		if err == nil {
			t.Errorf("Run accepted %q", u)
		} else if u == "http://example.com" && !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("unclear error for %q: %v", u, err)
		}
	}
	if called {
		t.Error("a request was sent to a refused URL")
	}
	good := []string{"http://127.0.0.1:8080", "http://127.1.2.3/", "http://[::1]:8080", "http://localhost",
		"https://LocalHost.:8443/prefix/", "http://[::ffff:127.0.0.1]:80"}
	for _, u := range good {
		if _, err := CheckBaseURL(u); err != nil {
			t.Errorf("CheckBaseURL(%q): %v", u, err)
		}
	}
	if u, _ := CheckBaseURL("http://localhost:8080/kefu/?x=1"); u.String() != "http://localhost:8080/kefu" {
		t.Errorf("base URL normalized to %q", u)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDialerRefusesNonLoopback(t *testing.T) {
	c, tr := newClient(4)
	defer tr.CloseIdleConnections()
	if tr.MaxIdleConnsPerHost < 4 || tr.Proxy != nil {
		t.Errorf("transport: idle per host %d, proxy set %v", tr.MaxIdleConnsPerHost, tr.Proxy != nil)
	}
	_, err := c.Get("http://192.0.2.1:9/") // TEST-NET-1; never dialled
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("err = %v, want the dialer to refuse", err)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{BaseURL: "http://127.0.0.1:1", Token: testToken, Scenario: "delete"},
		{BaseURL: "http://127.0.0.1:1", Token: ""},
		{BaseURL: "http://127.0.0.1:1", Token: testToken, Requests: -1},
	} {
		if _, err := Run(context.Background(), o, nil); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
}

func ms2(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	ten := ms2(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	cases := []struct {
		s    []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms2(7), 50, 7 * time.Millisecond},
		{ms2(7), 99, 7 * time.Millisecond},
		{ten, 0, 1 * time.Millisecond},
		{ten, 10, 1 * time.Millisecond},
		{ten, 11, 2 * time.Millisecond},
		{ten, 50, 5 * time.Millisecond},
		{ten, 90, 9 * time.Millisecond}, // 0.9*10 must not round up to rank 10
		{ten, 99, 10 * time.Millisecond},
		{ten, 100, 10 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 90, 90 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{ms2(1, 2, 3), 50, 2 * time.Millisecond},
		{ms2(1, 2, 3), 90, 3 * time.Millisecond},
		{ms2(15, 20, 35, 40, 50), 30, 20 * time.Millisecond}, // Wikipedia's example
		{ms2(15, 20, 35, 40, 50), 40, 20 * time.Millisecond},
		{ms2(15, 20, 35, 40, 50), 50, 35 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(c.s, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.s, c.p, got, c.want)
		}
	}

	// Against the definition: the smallest sample with at least p% of the
	// samples <= it.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := 1 + rng.IntN(2000)
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(rng.IntN(500)) * time.Microsecond
		}
		slices.Sort(s)
		for _, p := range []float64{1, 25, 50, 75, 90, 95, 99, 99.9, 100} {
			var want time.Duration
			for _, v := range s {
				le, _ := slices.BinarySearch(s, v+1) // samples <= v
				if float64(le)*100 >= p*float64(n) {
					want = v
					break
				}
			}
			if got := Percentile(s, p); got != want {
				t.Fatalf("n=%d p=%v: got %v, want %v", n, p, got, want)
			}
		}
	}

	var r Result
	summarize(&r, ms2(9, 3, 10, 1, 7, 2, 8, 5, 4, 6)) // unsorted input
	if r.P50 != 5*time.Millisecond || r.P90 != 9*time.Millisecond || r.P99 != 10*time.Millisecond || r.Max != 10*time.Millisecond {
		t.Errorf("summarize: %+v", r)
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{Scenario: "create", Requests: 100, Errors: 3, HTTPErrors: 2, TransportErrors: 1,
		Statuses: map[int]int{500: 2}, ErrorSamples: []string{"HTTP 500 internal: x"},
		Elapsed: 1500 * time.Millisecond, PerSecond: 66.7,
		P50: 1234567 * time.Nanosecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond, Max: 4 * time.Millisecond}
	b, err := json.Marshal([]Result{r})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"scenario":"create"`, `"requests":100`, `"errors":3`, `"statuses":{"500":2}`,
		`"elapsed_ms":1500`, `"per_second":66.7`, `"p50_ms":1.234567`, `"p99_ms":3`, `"max_ms":4`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back []Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back[0]) != fmt.Sprint(r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back[0], r)
	}
}

func TestContentVaried(t *testing.T) {
	seen := map[string]bool{}
	prefixes := map[string]bool{}
	for i := range 20000 {
		p := phone(42, i)
		if !validPhone(p) {
			t.Fatalf("bad phone %q", p)
		}
		if seen[p] {
			t.Fatalf("phone %q repeated at %d", p, i)
		}
		seen[p] = true
		prefixes[p[:3]] = true
	}
	if len(prefixes) < 20 {
		t.Errorf("only %d prefixes", len(prefixes))
	}
	bodies := map[string]bool{}
	for i := range 200 {
		tk := newTicket(7, i, phone(7, i))
		bodies[tk.Message.Body] = true
		bodies[agentReply(7, i).Body] = true
	}
	if len(bodies) < 150 {
		t.Errorf("only %d distinct bodies in 400", len(bodies))
	}
}

func TestSeedBoundedConcurrency(t *testing.T) {
	const n, limit = 400, 7
	var inflight, peak atomic.Int64
	calls := make([]atomic.Int32, n)
	err := Seed(context.Background(), func(ctx context.Context, i int) error {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		calls[i].Add(1)
		time.Sleep(200 * time.Microsecond)
		return nil
	}, n, limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak concurrency %d, want 2..%d", p, limit)
	}
	for i := range calls {
		if c := calls[i].Load(); c != 1 {
			t.Fatalf("item %d created %d times", i, c)
		}
	}
	// n = 0 is a no-op; concurrency <= 0 takes the default.
	if err := Seed(context.Background(), nil, 0, 4, nil); err != nil {
		t.Error(err)
	}
	var count atomic.Int64
	if err := Seed(context.Background(), func(context.Context, int) error { count.Add(1); return nil }, 50, 0, nil); err != nil || count.Load() != 50 {
		t.Errorf("default concurrency: err %v, %d calls", err, count.Load())
	}
}

func TestSeedStopsOnFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls, cancelled atomic.Int64
	err := Seed(context.Background(), func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 42 {
			return boom
		}
		select {
		case <-ctx.Done():
			cancelled.Add(1)
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
		return nil
	}, 1_000_000, 4, nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "item 42") {
		t.Fatalf("err = %v, want boom at item 42", err)
	}
	if c := calls.Load(); c > 1000 {
		t.Errorf("%d calls after the failure; the loop did not stop", c)
	}
}

func TestSeedContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	err := Seed(ctx, func(ctx context.Context, i int) error {
		if calls.Add(1) == 100 {
			cancel()
		}
		return ctx.Err()
	}, 1_000_000, 8, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "of 1000000") {
		t.Fatalf("err = %v, want cancellation with a count", err)
	}
}

func TestSeedProgress(t *testing.T) {
	var out syncBuffer
	err := seed(context.Background(), func(ctx context.Context, i int) error {
		time.Sleep(time.Millisecond)
		return nil
	}, 200, 2, &out, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 {
		t.Errorf("want periodic progress, got %q", lines)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "seed: 200/200 (100.0%)") {
		t.Errorf("last line %q", last)
	}
	if !strings.Contains(lines[0], "eta") {
		t.Errorf("first line %q lacks an eta", lines[0])
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWireDialsAgain: a server that closes every connection after its
// answer (Connection: close) costs the built-in workers a new connection
// per request, never an error.
func TestWireDialsAgain(t *testing.T) {
	f, srv := newFake(t)
	f.onList = func(w http.ResponseWriter, n int64) bool {
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
		return true
	}
	res, err := Run(context.Background(), Options{BaseURL: srv.URL, Token: testToken, Scenario: "list", Requests: 40, Concurrency: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Requests != 40 || res[0].Errors != 0 {
		t.Fatalf("got %+v, want 40 requests without errors", res[0])
	}
	n := 0
	f.remotes.Range(func(any, any) bool { n++; return true })
	if n < 40 {
		t.Errorf("%d connections for 40 requests the server closed", n)
	}
}
