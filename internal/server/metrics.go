package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kefu-project/kefu/internal/metrics"
	"github.com/kefu-project/kefu/internal/store"
)

// nodeMetrics are the node's Prometheus series.
type nodeMetrics struct {
	reg      *metrics.Registry
	requests *metrics.CounterVec
	duration *metrics.HistogramVec
}

func newMetrics(s *store.Store) *nodeMetrics {
	reg := metrics.NewRegistry()
	metrics.RegisterRuntime(reg)
	m := &nodeMetrics{
		reg:      reg,
		requests: reg.NewCounterVec("kefu_http_requests_total", "API requests by route and status code.", "route", "code"),
		duration: reg.NewHistogramVec("kefu_http_request_duration_seconds", "API request latency by route.", metrics.HTTPBuckets, "route"),
	}
	reg.NewGaugeFunc("kefu_store_write_batches", "Group-commit batches committed since start.", func() float64 { return float64(s.WriteStats().Batches) })
	reg.NewGaugeFunc("kefu_store_write_ops", "Write operations committed since start.", func() float64 { return float64(s.WriteStats().Ops) })
	reg.NewGaugeFunc("kefu_store_search_pending_pages_merged", "PostgreSQL: pages of the search indexes' pending lists merged in the background since start.",
		func() float64 { return float64(s.WriteStats().SearchPendingMerged) })
	return m
}

func (m *nodeMetrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).ObserveDuration(d)
}

func (m *nodeMetrics) handler() http.Handler { return m.reg.Handler() }
