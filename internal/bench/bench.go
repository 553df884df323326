// Package bench loads a running kefu server over its HTTP API and reports
// throughput and latency percentiles. It is the engine behind `kefu bench`.
//
// It only ever talks to a loopback address (see CheckBaseURL), and every
// scenario is bounded both in request count and in time. Errors are never
// hidden: non-2xx responses and transport failures are counted separately
// and shown next to the numbers they affect.
//
// Latencies are recorded exactly: every sample is kept and percentiles are
// nearest-rank over the sorted samples (see Percentile). A sample is the
// time from sending a request to having read its whole response body, and
// is recorded for every request that got a response, whatever its status;
// transport errors (no response) are counted but carry no latency.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultConcurrency = 32
	DefaultRequests    = 20000
	DefaultDuration    = 30 * time.Second
)

// Scenarios lists the scenarios "all" runs, in this order.
var Scenarios = []string{"create", "append", "list", "lookup"}

const (
	// fixtureTickets is how many tickets (each with its own phone
	// identity) Run creates before an append, list or lookup scenario.
	fixtureTickets = 300
	// inflightGrace is how long requests already in flight when a
	// scenario's Duration ends may still take before being cancelled (and
	// counted as transport errors).
	inflightGrace = 10 * time.Second
	// errorBodyLimit caps how much of a non-2xx body is kept to describe it.
	errorBodyLimit = 4 << 10
	// maxErrorSamples caps the distinct error descriptions kept per scenario.
	maxErrorSamples = 5
)

// Options configures Run. Zero values take the defaults above.
type Options struct {
	BaseURL string // e.g. http://127.0.0.1:8080; must be loopback
	Token   string // API token, sent as "Authorization: Bearer <token>"
	// Scenario is "create", "append", "list", "lookup" or "all" (default).
	Scenario string
	// Concurrency is the number of workers issuing requests at once.
	Concurrency int
	// Requests bounds the measured requests of each scenario.
	Requests int
	// Duration bounds the measured phase of each scenario: no request
	// starts after it, and requests still in flight get a short grace.
	Duration time.Duration
	// Warmup requests are sent before each scenario and not recorded.
	Warmup int
	// Client, if set, is used instead of the built-in keep-alive client
	// (redirects are never followed either way).
	Client *http.Client
}

// Result is one scenario's outcome.
type Result struct {
	Scenario string
	// Requests counts completed requests, successful or not.
	Requests int
	// Errors = HTTPErrors + TransportErrors.
	Errors int
	// HTTPErrors counts responses with a non-2xx status.
	HTTPErrors int
	// TransportErrors counts requests that got no response (connection
	// refused or reset, timeout, unreadable body...).
	TransportErrors int
	// Statuses counts non-2xx responses by status code.
	Statuses map[int]int
	// ErrorSamples describes the first few distinct errors, e.g.
	// `HTTP 500 internal: database is locked`.
	ErrorSamples []string
	// Elapsed is the wall time of the measured phase.
	Elapsed time.Duration
	// PerSecond is Requests / Elapsed (errors included; see Errors).
	PerSecond float64
	// Nearest-rank latency percentiles and maximum over responses.
	P50, P90, P99, Max time.Duration
}

// resultJSON is Result's JSON form: snake_case keys, times in milliseconds.
type resultJSON struct {
	Scenario        string      `json:"scenario"`
	Requests        int         `json:"requests"`
	Errors          int         `json:"errors"`
	HTTPErrors      int         `json:"http_errors"`
	TransportErrors int         `json:"transport_errors"`
	Statuses        map[int]int `json:"statuses,omitempty"`
	ErrorSamples    []string    `json:"error_samples,omitempty"`
	ElapsedMS       float64     `json:"elapsed_ms"`
	PerSecond       float64     `json:"per_second"`
	P50MS           float64     `json:"p50_ms"`
	P90MS           float64     `json:"p90_ms"`
	P99MS           float64     `json:"p99_ms"`
	MaxMS           float64     `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMS(f float64) time.Duration {
	return time.Duration(f*float64(time.Millisecond) + 0.5)
}

// MarshalJSON encodes r with snake_case keys and durations as
// (fractional) milliseconds: {"scenario":"create","requests":20000,
// "errors":0,...,"elapsed_ms":4310.2,"per_second":4640.3,"p50_ms":5.91,...}.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		Scenario: r.Scenario, Requests: r.Requests, Errors: r.Errors,
		HTTPErrors: r.HTTPErrors, TransportErrors: r.TransportErrors,
		Statuses: r.Statuses, ErrorSamples: r.ErrorSamples,
		ElapsedMS: ms(r.Elapsed), PerSecond: r.PerSecond,
		P50MS: ms(r.P50), P90MS: ms(r.P90), P99MS: ms(r.P99), MaxMS: ms(r.Max),
	})
}

// UnmarshalJSON is the inverse of MarshalJSON (to the nanosecond).
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result{
		Scenario: j.Scenario, Requests: j.Requests, Errors: j.Errors,
		HTTPErrors: j.HTTPErrors, TransportErrors: j.TransportErrors,
		Statuses: j.Statuses, ErrorSamples: j.ErrorSamples,
		Elapsed: fromMS(j.ElapsedMS), PerSecond: j.PerSecond,
		P50: fromMS(j.P50MS), P90: fromMS(j.P90MS), P99: fromMS(j.P99MS), Max: fromMS(j.MaxMS),
	}
	return nil
}

// Run benchmarks the server at o.BaseURL, writing progress and finally a
// table of results to out (nil for none). It refuses non-loopback hosts.
// Scenarios "append", "list" and "lookup" first create a few hundred
// tickets with known phone identities through the API. If ctx ends early,
// Run returns the results measured so far together with ctx's error.
func Run(ctx context.Context, o Options, out io.Writer) ([]Result, error) {
	if out == nil {
		out = io.Discard
	}
	base, err := CheckBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.Token) == "" {
		return nil, errors.New("bench: an API token is required")
	}
	scenarios, err := scenarioList(o.Scenario)
	if err != nil {
		return nil, err
	}
	if o.Concurrency < 0 || o.Requests < 0 || o.Duration < 0 || o.Warmup < 0 {
		return nil, errors.New("bench: concurrency, requests, duration and warmup must not be negative")
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Requests == 0 {
		o.Requests = DefaultRequests
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}

	r := &runner{base: base.String(), token: o.Token, seed: newSeed()}
	r.run = fmt.Sprintf("%016x", r.seed)
	if o.Client != nil {
		r.client = guardClient(o.Client)
	} else {
		c, tr := newClient(o.Concurrency)
		defer tr.CloseIdleConnections()
		r.client = c
		if base.Scheme == "http" { // the measured requests go over each worker's own wire
			port := base.Port()
			if port == "" {
				port = "80"
			}
			r.dial, r.addr = loopbackDialer().DialContext, net.JoinHostPort(base.Hostname(), port)
		}
	}

	var fx *fixtures
	for _, s := range scenarios {
		if s != "create" {
			fmt.Fprintf(out, "preparing %d tickets with known phone numbers...\n", fixtureTickets)
			t0 := time.Now()
			pctx, cancel := context.WithTimeout(ctx, max(o.Duration, 30*time.Second))
			fx, err = r.prepare(pctx, fixtureTickets, o.Concurrency)
			cancel()
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(out, "prepared in %s\n", time.Since(t0).Round(time.Millisecond))
			break
		}
	}

	var results []Result
	for _, s := range scenarios {
		op := r.op(s, fx)
		fmt.Fprintf(out, "%s: %d workers, up to %d requests or %s", s, min(o.Concurrency, o.Requests), o.Requests, o.Duration)
		if o.Warmup > 0 {
			fmt.Fprintf(out, " after %d warmup requests", o.Warmup)
			r.measure(ctx, s, op, 0, o.Warmup, o.Concurrency, o.Duration)
		}
		fmt.Fprintln(out, "...")
		if err := ctx.Err(); err != nil {
			break
		}
		res := r.measure(ctx, s, op, o.Warmup, o.Requests, o.Concurrency, o.Duration)
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(out)
	if err := WriteTable(out, results); err != nil {
		return results, err
	}
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("bench: interrupted: %w", context.Cause(ctx))
	}
	return results, nil
}

func scenarioList(s string) ([]string, error) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "", "all":
		return slices.Clone(Scenarios), nil
	case "create", "append", "list", "lookup":
		return []string{s}, nil
	}
	return nil, fmt.Errorf("bench: unknown scenario %q (want create, append, list, lookup or all)", s)
}

func newSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:])
}

// WriteTable prints results as an aligned table with latencies in
// milliseconds, followed by a description of any errors.
func WriteTable(w io.Writer, results []Result) error {
	// Numbers align right; scenario names are padded so they read left.
	width := len("scenario")
	for _, r := range results {
		width = max(width, len(r.Scenario))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\trequests\terrors\tnon-2xx\ttransport\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t\n", width, "scenario")
	for _, r := range results {
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			width, r.Scenario, r.Requests, r.Errors, r.HTTPErrors, r.TransportErrors, r.PerSecond,
			ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Errors == 0 {
			continue
		}
		pct := 100 * float64(r.Errors) / float64(max(r.Requests, 1))
		line := fmt.Sprintf("%s: %d errors (%.2f%%)", r.Scenario, r.Errors, pct)
		if len(r.Statuses) > 0 {
			codes := make([]int, 0, len(r.Statuses))
			for c := range r.Statuses {
				codes = append(codes, c)
			}
			sort.Ints(codes)
			var parts []string
			for _, c := range codes {
				parts = append(parts, fmt.Sprintf("%d×%d", c, r.Statuses[c]))
			}
			line += "; status " + strings.Join(parts, ", ")
		}
		if r.TransportErrors > 0 {
			line += fmt.Sprintf("; transport×%d", r.TransportErrors)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		for _, s := range r.ErrorSamples {
			if _, err := fmt.Fprintf(w, "  e.g. %s\n", s); err != nil {
				return err
			}
		}
	}
	return nil
}

// runner holds what all requests of one Run share.
type runner struct {
	base   string // scheme://host[:port][/prefix], no trailing slash
	token  string
	client *http.Client
	// dial, when set, connects each measuring worker's own wire to addr
	// (plain HTTP with the built-in client); otherwise they use client.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	addr string
	seed uint64
	run  string // per-run part of Idempotency-Keys
	keys atomic.Uint64
}

func (r *runner) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kefu-bench")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d", r.run, r.keys.Add(1)))
	}
	return req, nil
}

func is2xx(status int) bool { return status >= 200 && status < 300 }

// do sends req and reads the whole response, so the connection is reused.
// It keeps the body when keep is set or the status is not 2xx (then at most
// errorBodyLimit bytes). err is set only when there was no usable response.
func (r *runner) do(req *http.Request, keep bool) (int, []byte, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp, keep)
	return resp.StatusCode, body, err
}

// readBody reads resp's body to its end, so the connection can be reused,
// and returns it when keep is set or the status is not 2xx (then at most
// errorBodyLimit bytes).
func readBody(resp *http.Response, keep bool) ([]byte, error) {
	var body []byte
	var err error
	switch {
	case keep && is2xx(resp.StatusCode):
		body, err = io.ReadAll(resp.Body)
	case !is2xx(resp.StatusCode):
		body, err = io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
	default:
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %d response: %w", resp.StatusCode, err)
	}
	return body, nil
}

// describe renders a non-2xx response, using the API's error envelope
// {"error":{"code":"...","message":"..."}} when the body has one.
func describe(status int, body []byte) string {
	var env struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	s := fmt.Sprintf("HTTP %d", status)
	if json.Unmarshal(body, &env) == nil && (env.Error.Code != "" || env.Error.Message != "") {
		s += " " + env.Error.Code
		if env.Error.Message != "" {
			s += ": " + env.Error.Message
		}
		if len(env.Error.Fields) > 0 {
			keys := make([]string, 0, len(env.Error.Fields))
			for k := range env.Error.Fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, k+"="+env.Error.Fields[k])
			}
			s += " (" + strings.Join(parts, ", ") + ")"
		}
		return s
	}
	if t := strings.TrimSpace(string(body)); t != "" {
		if len(t) > 200 {
			t = t[:200] + "..."
		}
		s += ": " + strings.ToValidUTF8(t, "?")
	}
	return s
}

// fixtures are tickets created before the append, list and lookup
// scenarios; phones[i] is the phone identity of the customer of
// ticketIDs[i].
type fixtures struct {
	ticketIDs []string
	phones    []string
}

func (r *runner) prepare(ctx context.Context, n, concurrency int) (*fixtures, error) {
	f := &fixtures{ticketIDs: make([]string, n), phones: make([]string, n)}
	err := Seed(ctx, func(ctx context.Context, i int) error {
		p := phone(r.seed, i)
		req, err := r.newRequest(ctx, http.MethodPost, "/api/v1/tickets", newTicket(r.seed, i, p))
		if err != nil {
			return err
		}
		status, body, err := r.do(req, true)
		if err != nil {
			return fmt.Errorf("POST %s/api/v1/tickets: %w", r.base, err)
		}
		if !is2xx(status) {
			return fmt.Errorf("POST %s/api/v1/tickets: %s", r.base, describe(status, body))
		}
		var t struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &t); err != nil || t.ID == "" {
			return fmt.Errorf("POST %s/api/v1/tickets: response has no ticket id: %.200s", r.base, body)
		}
		f.ticketIDs[i], f.phones[i] = t.ID, p // distinct i per call: no race
		return nil
	}, n, min(concurrency, 32), nil)
	if err != nil {
		return nil, fmt.Errorf("bench: creating %d tickets to work on: %w", n, err)
	}
	return f, nil
}

// opFunc builds the i-th request of a scenario.
type opFunc func(ctx context.Context, i int) (*http.Request, error)

// newCustomerBase offsets create-scenario phone numbers from the fixtures'.
const newCustomerBase = 1_000_000

func (r *runner) op(scenario string, fx *fixtures) opFunc {
	switch scenario {
	case "create":
		return func(ctx context.Context, i int) (*http.Request, error) {
			h := mix(r.seed ^ uint64(i) ^ 0x5eed)
			n := newCustomerBase + i
			if i > 0 && h%5 == 0 { // a returning customer
				n = newCustomerBase + int((h>>8)%uint64(i))
			}
			return r.newRequest(ctx, http.MethodPost, "/api/v1/tickets", newTicket(r.seed, newCustomerBase+i, phone(r.seed, n)))
		}
	case "append":
		return func(ctx context.Context, i int) (*http.Request, error) {
			id := pick(fx.ticketIDs, mix(r.seed^uint64(i)))
			return r.newRequest(ctx, http.MethodPost, "/api/v1/tickets/"+url.PathEscape(id)+"/messages", agentReply(r.seed, i))
		}
	case "list":
		return func(ctx context.Context, i int) (*http.Request, error) {
			return r.newRequest(ctx, http.MethodGet, "/api/v1/tickets?status=open&limit=50", nil)
		}
	case "lookup":
		return func(ctx context.Context, i int) (*http.Request, error) {
			p := pick(fx.phones, mix(r.seed^uint64(i)))
			return r.newRequest(ctx, http.MethodGet, "/api/v1/customers/lookup?kind=phone&value="+url.QueryEscape(p), nil)
		}
	}
	panic("bench: unknown scenario " + scenario)
}

// workerStats is one worker's share of a scenario, merged at the end.
type workerStats struct {
	samples   []time.Duration
	requests  int
	httpErr   int
	transport int
	statuses  map[int]int
	errs      []string
}

func (w *workerStats) note(desc string) {
	if len(w.errs) < maxErrorSamples && !slices.Contains(w.errs, desc) {
		w.errs = append(w.errs, desc)
	}
}

// measure runs requests offset..offset+total-1 of op on up to concurrency
// workers, stopping early at duration or when ctx ends.
func (r *runner) measure(ctx context.Context, scenario string, op opFunc, offset, total, concurrency int, duration time.Duration) Result {
	workers := max(min(concurrency, total), 1)
	start := time.Now()
	stop := start.Add(duration)
	hard, cancel := context.WithDeadline(ctx, stop.Add(inflightGrace))
	defer cancel()

	stats := make([]workerStats, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range stats {
		st := &stats[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			do := r.do
			if r.dial != nil {
				wi := newWire(r.dial, r.addr)
				defer wi.close()
				do = wi.do
			}
			for {
				i := next.Add(1) - 1
				if i >= int64(total) || ctx.Err() != nil || !time.Now().Before(stop) {
					return
				}
				req, err := op(hard, offset+int(i))
				if err != nil { // cannot build the request: a bug, but count it
					st.requests++
					st.transport++
					st.note("building request: " + err.Error())
					continue
				}
				t0 := time.Now()
				status, body, err := do(req, false)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // the caller gave up; not the server's fault
					}
					st.requests++
					st.transport++
					st.note("transport: " + err.Error())
					continue
				}
				st.requests++
				st.samples = append(st.samples, d)
				if !is2xx(status) {
					st.httpErr++
					if st.statuses == nil {
						st.statuses = map[int]int{}
					}
					st.statuses[status]++
					st.note(describe(status, body))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{Scenario: scenario, Elapsed: elapsed}
	n := 0
	for _, st := range stats {
		n += len(st.samples)
	}
	samples := make([]time.Duration, 0, n)
	for _, st := range stats {
		samples = append(samples, st.samples...)
		res.Requests += st.requests
		res.HTTPErrors += st.httpErr
		res.TransportErrors += st.transport
		for c, k := range st.statuses {
			if res.Statuses == nil {
				res.Statuses = map[int]int{}
			}
			res.Statuses[c] += k
		}
		for _, e := range st.errs {
			if len(res.ErrorSamples) < maxErrorSamples && !slices.Contains(res.ErrorSamples, e) {
				res.ErrorSamples = append(res.ErrorSamples, e)
			}
		}
	}
	res.Errors = res.HTTPErrors + res.TransportErrors
	if elapsed > 0 {
		res.PerSecond = float64(res.Requests) / elapsed.Seconds()
	}
	summarize(&res, samples)
	return res
}
