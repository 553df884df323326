package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// RouteOptions configure the routing benchmark: tickets are created at a
// fixed rate (open loop, so a slow server cannot slow the arrivals down),
// and each one's time from the create request being sent to its offer
// arriving on an agent's event stream is measured.
type RouteOptions struct {
	BaseURL  string
	Token    string // an administrator's token in the tenant to load
	Rate     int    // tickets per second
	Duration time.Duration
	// Warmup creates tickets at Rate for this long first, unrecorded, as
	// kefu bench's warm-up requests: the node's first second (statements
	// prepared, pages read, connections opened) is not its steady state.
	Warmup time.Duration
	Agents int
	// Message gives each ticket the customer's first message, as a chat
	// arrives: the create then goes through intake's repeat check.
	Message bool
	Client  *http.Client
}

// RouteResult is what the routing benchmark measured.
type RouteResult struct {
	Rate         int     `json:"rate_per_second"`
	Created      int     `json:"created"`
	Offered      int     `json:"offered"`
	CreateErrors int     `json:"create_errors"`
	AchievedRate float64 `json:"achieved_rate_per_second"`
	OfferP50MS   float64 `json:"offer_p50_ms"`
	OfferP90MS   float64 `json:"offer_p90_ms"`
	OfferP99MS   float64 `json:"offer_p99_ms"`
	OfferMaxMS   float64 `json:"offer_max_ms"`
	// AfterAckP99MS is from the create's response to the offer (0 when
	// the offer came first): routing's own share.
	AfterAckP99MS float64 `json:"after_ack_p99_ms"`
	CreateP50MS   float64 `json:"create_p50_ms"`
	CreateP99MS   float64 `json:"create_p99_ms"`
	ErrorSample   string  `json:"error_sample,omitempty"`
	ElapsedMillis float64 `json:"elapsed_ms"`
}

// RunRoute sets up a queue and agents through the API, opens every agent's
// event stream, loads the server and reports create→offer latency.
func RunRoute(ctx context.Context, o RouteOptions, out io.Writer) (RouteResult, error) {
	res := RouteResult{Rate: o.Rate}
	base, err := CheckBaseURL(o.BaseURL)
	if err != nil {
		return res, err
	}
	if o.Rate <= 0 || o.Duration <= 0 || o.Agents <= 0 || o.Warmup < 0 {
		return res, errors.New("bench route: rate, duration and agents must be positive, and warm-up not negative")
	}
	warm := int(float64(o.Rate) * o.Warmup.Seconds())
	slots := (o.Rate*int(o.Duration/time.Second+1)+warm)/o.Agents + 1
	if slots > 1000 {
		return res, fmt.Errorf("bench route: %d agents cannot hold %d tickets (at most 1000 each); add agents", o.Agents, o.Rate*int(o.Duration/time.Second))
	}
	r := &runner{base: base.String(), token: o.Token, seed: newSeed()}
	r.run = fmt.Sprintf("%016x", r.seed)
	if o.Client != nil {
		r.client = guardClient(o.Client)
	} else {
		c, tr := newClient(256)
		defer tr.CloseIdleConnections()
		r.client = c
	}
	call := func(method, path string, body any, into any) error {
		req, err := r.newRequest(ctx, method, path, body)
		if err != nil {
			return err
		}
		status, b, err := r.do(req, true)
		if err != nil {
			return err
		}
		if !is2xx(status) {
			return fmt.Errorf("%s %s: %s", method, path, describe(status, b))
		}
		if into != nil {
			return json.Unmarshal(b, into)
		}
		return nil
	}
	fmt.Fprintf(out, "setting up a queue and %d agents (capacity %d chats each)...\n", o.Agents, slots)
	var q struct{ ID string }
	if err := call("POST", "/api/v1/queues", map[string]any{"name": "bench-route-" + r.run, "channel": "chat"}, &q); err != nil {
		return res, err
	}
	// A skill of this run only, so agents of earlier runs (still signed in,
	// with no stream open) are not offered this run's tickets.
	skill := "bench-" + r.run
	if err := call("PUT", "/api/v1/queues/"+q.ID+"/routing", map[string]any{"offer_timeout_seconds": 3600,
		"skills": []map[string]any{{"skill": skill, "min_level": 1}}}, nil); err != nil {
		return res, err
	}
	var roles struct{ Items []struct{ ID, Name string } }
	if err := call("GET", "/api/v1/roles", nil, &roles); err != nil {
		return res, err
	}
	role := ""
	for _, x := range roles.Items {
		if x.Name == "agent" {
			role = x.ID
		}
	}
	if role == "" {
		return res, errors.New("bench route: the tenant has no \"agent\" role")
	}
	type agentConn struct{ id, token string }
	agents := make([]agentConn, o.Agents)
	for i := range agents {
		var u struct{ ID string }
		if err := call("POST", "/api/v1/users", map[string]any{"email": fmt.Sprintf("bench-%s-%d@bench.invalid", r.run, i), "name": fmt.Sprintf("bench %d", i),
			"kind": "agent", "tier": "junior", "grants": []map[string]any{{"role_id": role}}}, &u); err != nil {
			return res, err
		}
		var tk struct{ Token string }
		if err := call("POST", "/api/v1/tokens", map[string]any{"name": "bench", "user_id": u.ID}, &tk); err != nil {
			return res, err
		}
		if err := call("PUT", "/api/v1/users/"+u.ID+"/routing", map[string]any{"capacity": map[string]int{"chat": slots}, "skills": map[string]int{skill: 1}}, nil); err != nil {
			return res, err
		}
		agents[i] = agentConn{u.ID, tk.Token}
	}

	var mu sync.Mutex
	offeredAt := map[string]time.Time{}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	var streams sync.WaitGroup
	ready := make(chan error, len(agents))
	for _, a := range agents {
		streams.Add(1)
		go func() {
			defer streams.Done()
			req, _ := http.NewRequestWithContext(streamCtx, "GET", r.base+"/api/v1/routing/stream", nil)
			req.Header.Set("Authorization", "Bearer "+a.token)
			resp, err := (&http.Client{Transport: r.client.Transport}).Do(req)
			if err != nil {
				ready <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				ready <- fmt.Errorf("stream: HTTP %d", resp.StatusCode)
				return
			}
			ready <- nil
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			event := ""
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					event = line[7:]
				case strings.HasPrefix(line, "data: ") && event == "offer":
					now := time.Now()
					var o struct {
						TicketID string `json:"ticket_id"`
					}
					if json.Unmarshal([]byte(line[6:]), &o) == nil {
						mu.Lock()
						offeredAt[o.TicketID] = now
						mu.Unlock()
					}
				}
			}
		}()
	}
	for range agents {
		if err := <-ready; err != nil {
			return res, err
		}
	}
	for _, a := range agents {
		if err := call("PUT", "/api/v1/users/"+a.id+"/presence", map[string]any{"state": "available"}, nil); err != nil {
			return res, err
		}
	}

	if warm > 0 {
		fmt.Fprintf(out, "creating %d tickets/s for %s after %s of warm-up...\n", o.Rate, o.Duration, o.Warmup)
	} else {
		fmt.Fprintf(out, "creating %d tickets/s for %s...\n", o.Rate, o.Duration)
	}
	type sent struct {
		at, answered time.Time
		id           string
		err          string
	}
	total := o.Rate * int(o.Duration/time.Second)
	results := make([]sent, total)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 512)
	begin := time.Now()
	start := begin.Add(time.Duration(warm) * time.Second / time.Duration(o.Rate)) // of the recorded ones
	interval := time.Second / time.Duration(o.Rate)
	for i := range warm + total {
		due := begin.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var s sent // a warm-up ticket's is dropped
			if i >= warm {
				defer func() { results[i-warm] = s }()
			}
			body := map[string]any{"subject": "bench route", "channel": "chat", "queue_id": q.ID,
				"customer": map[string]any{"name": "bench", "identities": []map[string]any{{"kind": "phone", "value": fmt.Sprintf("137%08d", i%100000)}}}}
			if o.Message {
				body["message"] = map[string]any{"kind": "customer", "body": fill(pick(customerBodies, mix(r.seed^uint64(i))), uint64(i))}
			}
			req, err := r.newRequest(ctx, "POST", "/api/v1/tickets", body)
			if err != nil {
				s.err = err.Error()
				return
			}
			s.at = time.Now()
			status, b, err := r.do(req, true)
			s.answered = time.Now()
			switch {
			case err != nil:
				s.err = err.Error()
			case !is2xx(status):
				s.err = describe(status, b)
			default:
				var t struct{ ID string }
				json.Unmarshal(b, &t)
				s.id = t.ID
			}
		}()
	}
	wg.Wait()
	res.ElapsedMillis = ms(time.Since(start))
	time.Sleep(500 * time.Millisecond) // the last offers in flight
	stopStreams()
	streams.Wait()

	var offers, creates, afterAck []time.Duration
	for _, s := range results {
		if s.err != "" {
			res.CreateErrors++
			if res.ErrorSample == "" {
				res.ErrorSample = s.err
			}
			continue
		}
		if s.id == "" {
			continue
		}
		res.Created++
		creates = append(creates, s.answered.Sub(s.at))
		if at, ok := offeredAt[s.id]; ok {
			res.Offered++
			offers = append(offers, at.Sub(s.at))
			afterAck = append(afterAck, max(at.Sub(s.answered), 0))
		}
	}
	res.AchievedRate = float64(res.Created) / (res.ElapsedMillis / 1000)
	var lat Result
	summarize(&lat, offers)
	res.OfferP50MS, res.OfferP90MS, res.OfferP99MS, res.OfferMaxMS = ms(lat.P50), ms(lat.P90), ms(lat.P99), ms(lat.Max)
	summarize(&lat, creates)
	res.CreateP50MS, res.CreateP99MS = ms(lat.P50), ms(lat.P99)
	summarize(&lat, afterAck)
	res.AfterAckP99MS = ms(lat.P99)
	fmt.Fprintf(out, "created %d (%.0f/s, %d errors), offered %d: create→offer p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; the create request alone p50 %.1f ms, p99 %.1f ms; from its response to the offer p99 %.1f ms\n",
		res.Created, res.AchievedRate, res.CreateErrors, res.Offered, res.OfferP50MS, res.OfferP90MS, res.OfferP99MS, res.OfferMaxMS, res.CreateP50MS, res.CreateP99MS, res.AfterAckP99MS)
	if res.ErrorSample != "" {
		fmt.Fprintf(out, "first error: %s\n", res.ErrorSample)
	}
	return res, nil
}
