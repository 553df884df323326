package metrics_test

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/metrics"
)

func expose(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sample builds a small registry of every kind, registered out of order.
func sample() *metrics.Registry {
	r := metrics.NewRegistry()
	g := r.NewGauge("kefu_queue_depth", "Contacts waiting in queues.")
	g.Set(3)
	g.Dec()
	g.Add(0.5)

	req := r.NewCounterVec("kefu_http_requests_total", "HTTP requests by method and status.", "method", "code")
	req.WithLabelValues("POST", "201").Inc()
	req.WithLabelValues("GET", "200").Add(2)
	req.WithLabelValues("GET", "200").Inc()

	c := r.NewCounter("kefu_events_total", "Events recorded.\nIncludes C:\\ paths.")
	c.Add(1500000)
	c.Add(0.25)

	r.NewGaugeFunc("kefu_build_info", "Always 1.", func() float64 { return 1 })

	h := r.NewHistogram("kefu_webhook_seconds", "Webhook attempt durations.", []float64{0.1, 0.5, 1, math.Inf(1)})
	for _, v := range []float64{0.05, 0.1, 0.3, 2} {
		h.Observe(v)
	}

	hv := r.NewHistogramVec("kefu_http_request_duration_seconds", "HTTP request latency.", []float64{0.01, 0.1}, "route")
	hv.WithLabelValues("/api/v1/tickets").ObserveDuration(50 * time.Millisecond)
	hv.WithLabelValues("/api/v1/tickets").Observe(0.005)
	hv.WithLabelValues("/healthz").Observe(0.001)

	r.NewCounterVec("kefu_unused_total", "Never incremented: left out of the output.", "x")
	return r
}

func TestExposition(t *testing.T) {
	want := `# HELP kefu_build_info Always 1.
# TYPE kefu_build_info gauge
kefu_build_info 1
# HELP kefu_events_total Events recorded.\nIncludes C:\\ paths.
# TYPE kefu_events_total counter
kefu_events_total 1500000.25
# HELP kefu_http_request_duration_seconds HTTP request latency.
# TYPE kefu_http_request_duration_seconds histogram
kefu_http_request_duration_seconds_bucket{route="/api/v1/tickets",le="0.01"} 1
kefu_http_request_duration_seconds_bucket{route="/api/v1/tickets",le="0.1"} 2
kefu_http_request_duration_seconds_bucket{route="/api/v1/tickets",le="+Inf"} 2
kefu_http_request_duration_seconds_sum{route="/api/v1/tickets"} 0.055
kefu_http_request_duration_seconds_count{route="/api/v1/tickets"} 2
kefu_http_request_duration_seconds_bucket{route="/healthz",le="0.01"} 1
kefu_http_request_duration_seconds_bucket{route="/healthz",le="0.1"} 1
kefu_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1
kefu_http_request_duration_seconds_sum{route="/healthz"} 0.001
kefu_http_request_duration_seconds_count{route="/healthz"} 1
# HELP kefu_http_requests_total HTTP requests by method and status.
# TYPE kefu_http_requests_total counter
kefu_http_requests_total{method="GET",code="200"} 3
kefu_http_requests_total{method="POST",code="201"} 1
# HELP kefu_queue_depth Contacts waiting in queues.
# TYPE kefu_queue_depth gauge
kefu_queue_depth 2.5
# HELP kefu_webhook_seconds Webhook attempt durations.
# TYPE kefu_webhook_seconds histogram
kefu_webhook_seconds_bucket{le="0.1"} 2
kefu_webhook_seconds_bucket{le="0.5"} 3
kefu_webhook_seconds_bucket{le="1"} 3
kefu_webhook_seconds_bucket{le="+Inf"} 4
kefu_webhook_seconds_sum 2.45
kefu_webhook_seconds_count 4
`
	if got := expose(t, sample()); got != want {
		t.Fatalf("exposition differs\n--- got\n%s--- want\n%s", got, want)
	}
}

func TestNumberFormatting(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.NewCounter("big_total", "h")
	c.Add(1500000)
	r.NewGauge("tiny", "h").Set(1e-9)
	r.NewGauge("huge", "h").Set(2e22)
	r.NewGauge("zero", "h")
	g := r.NewGauge("neg", "h")
	g.Set(-42)
	n := r.NewGauge("nan", "h")
	n.Set(math.NaN())
	inf := r.NewGauge("inf", "h")
	inf.Set(math.Inf(-1))
	got := expose(t, r)
	for _, line := range []string{"big_total 1500000\n", "neg -42\n", "nan NaN\n", "inf -Inf\n",
		"tiny 1e-09\n", "huge 2e+22\n", "zero 0\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("missing %q in\n%s", line, got)
		}
	}
}

func TestLabelEscaping(t *testing.T) {
	r := metrics.NewRegistry()
	cv := r.NewCounterVec("escapes_total", `Help with "quotes" stays, \ and newline
are escaped.`, "v")
	cv.WithLabelValues(`say "hi"`).Inc()
	cv.WithLabelValues(`C:\dir`).Inc()
	cv.WithLabelValues("line1\nline2").Inc()
	cv.WithLabelValues("退款 ✓").Inc()
	cv.WithLabelValues("").Inc()
	want := `# HELP escapes_total Help with "quotes" stays, \\ and newline\nare escaped.
# TYPE escapes_total counter
escapes_total{v=""} 1
escapes_total{v="C:\\dir"} 1
escapes_total{v="line1\nline2"} 1
escapes_total{v="say \"hi\""} 1
escapes_total{v="退款 ✓"} 1
`
	if got := expose(t, r); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// Label sets that would collide under a naive separator stay apart.
func TestLabelSetsDoNotCollide(t *testing.T) {
	r := metrics.NewRegistry()
	cv := r.NewCounterVec("pairs_total", "h", "a", "b")
	cv.WithLabelValues("x,y", "z").Inc()
	cv.WithLabelValues("x", "y,z").Inc()
	if a, b := cv.WithLabelValues("x,y", "z"), cv.WithLabelValues("x", "y,z"); a == b || a.Value() != 1 || b.Value() != 1 {
		t.Fatal("distinct label sets share a counter")
	}
}

func TestConcurrentUpdatesAndScrapes(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.NewCounter("c_total", "h")
	cv := r.NewCounterVec("cv_total", "h", "k")
	g := r.NewGauge("g", "h")
	h := r.NewHistogram("h_seconds", "h", metrics.HTTPBuckets)
	hv := r.NewHistogramVec("hv_seconds", "h", metrics.HTTPBuckets, "k")
	metrics.RegisterRuntime(r)

	const workers, n = 8, 2000
	stop := make(chan struct{})
	var scrapes sync.WaitGroup
	scrapes.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = r.WriteTo(io.Discard)
			}
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			key := strconv.Itoa(w % 3)
			for i := range n {
				c.Inc()
				c.Add(0.5)
				cv.WithLabelValues(key).Inc()
				g.Inc()
				g.Sub(1)
				h.Observe(float64(i%20) / 100)
				hv.WithLabelValues(key).Observe(0.25)
			}
		})
	}
	wg.Wait()
	close(stop)
	scrapes.Wait()

	if got, want := c.Value(), float64(workers*n)*1.5; got != want {
		t.Errorf("counter = %v, want %v", got, want)
	}
	if g.Value() != 0 {
		t.Errorf("gauge = %v, want 0", g.Value())
	}
	var sum float64
	for k := range 3 {
		sum += cv.WithLabelValues(strconv.Itoa(k)).Value()
	}
	if sum != workers*n {
		t.Errorf("vector total = %v, want %d", sum, workers*n)
	}
	out := expose(t, r)
	for _, line := range []string{
		"h_seconds_count " + strconv.Itoa(workers*n) + "\n",
		`h_seconds_bucket{le="+Inf"} ` + strconv.Itoa(workers*n) + "\n",
		// i%20/100 ≤ 0.1 for i%20 in 0..10: 11 of every 20.
		`h_seconds_bucket{le="0.1"} ` + strconv.Itoa(workers*n*11/20) + "\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("missing %q", line)
		}
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	r := metrics.NewRegistry()
	c := r.NewCounter("c_total", "h")
	cv := r.NewCounterVec("cv_total", "h", "method", "code")
	g := r.NewGauge("g", "h")
	hv := r.NewHistogramVec("hv_seconds", "h", metrics.HTTPBuckets, "route")
	cv.WithLabelValues("GET", "200")
	hv.WithLabelValues("/api/v1/tickets")
	for name, f := range map[string]func(){
		"Counter.Inc":                 c.Inc,
		"Counter.Add":                 func() { c.Add(0.5) },
		"Gauge.Add":                   func() { g.Add(1) },
		"CounterVec existing child":   func() { cv.WithLabelValues("GET", "200").Inc() },
		"HistogramVec existing child": func() { hv.WithLabelValues("/api/v1/tickets").Observe(0.02) },
	} {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}

func TestRegistrationMistakesPanic(t *testing.T) {
	cases := map[string]func(r *metrics.Registry){
		"duplicate":                func(r *metrics.Registry) { r.NewCounter("x_total", "h"); r.NewGauge("x_total", "h") },
		"clash with histogram sum": func(r *metrics.Registry) { r.NewHistogram("x", "h", nil); r.NewGauge("x_sum", "h") },
		"bad metric name":          func(r *metrics.Registry) { r.NewCounter("1x", "h") },
		"dash in name":             func(r *metrics.Registry) { r.NewCounter("x-total", "h") },
		"bad label":                func(r *metrics.Registry) { r.NewCounterVec("x_total", "h", "a:b") },
		"reserved label":           func(r *metrics.Registry) { r.NewCounterVec("x_total", "h", "__x") },
		"repeated label":           func(r *metrics.Registry) { r.NewCounterVec("x_total", "h", "a", "a") },
		"le on histogram":          func(r *metrics.Registry) { r.NewHistogramVec("x", "h", nil, "le") },
		"unsorted buckets":         func(r *metrics.Registry) { r.NewHistogram("x", "h", []float64{1, 0.5}) },
		"NaN bucket":               func(r *metrics.Registry) { r.NewHistogram("x", "h", []float64{math.NaN()}) },
		"wrong label count": func(r *metrics.Registry) {
			r.NewCounterVec("x_total", "h", "a", "b").WithLabelValues("only one")
		},
		"negative add": func(r *metrics.Registry) { r.NewCounter("x_total", "h").Add(-1) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f(metrics.NewRegistry())
		})
	}
}

func TestHandler(t *testing.T) {
	r := sample()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != metrics.ContentType {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if string(body) != expose(t, r) {
		t.Fatalf("handler body differs from WriteTo:\n%s", body)
	}
}

func TestRuntimeMetrics(t *testing.T) {
	r := metrics.NewRegistry()
	metrics.RegisterRuntime(r)
	out := expose(t, r)
	names := []string{"go_goroutines", "go_memstats_heap_alloc_bytes"}
	if _, err := os.Stat("/proc/self/statm"); err == nil {
		names = append(names, "process_resident_memory_bytes")
	}
	for _, name := range names {
		v := valueOf(t, out, name)
		if !(v > 0) {
			t.Errorf("%s = %v", name, v)
		}
	}
}

func valueOf(t *testing.T, out, name string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("%s missing from\n%s", name, out)
	return 0
}

// promtool, when installed, checks the output against Prometheus's own
// parser and linter; the tests above do not depend on it.
func TestPromtoolAcceptsOutput(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	r := sample()
	metrics.RegisterRuntime(r)
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(expose(t, r))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
