package metrics

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// HTTPBuckets are upper bounds in seconds for request durations: fine
// steps where interactive requests land, coarse ones for slow outliers.
var HTTPBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram counts observations into fixed buckets.
type Histogram struct {
	*buckets                 // shared by a vector's children
	count    []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum      atomic.Uint64   // float64 bits
}

// buckets are a histogram's bounds, with their "le" label values formatted
// once rather than at every scrape.
type buckets struct {
	upper []float64 // sorted, without +Inf
	le    []string  // formatted upper, then "+Inf"
}

func newHistogram(b *buckets) *Histogram {
	return &Histogram{buckets: b, count: make([]atomic.Uint64, len(b.upper)+1)}
}

// Observe records one value, e.g. a duration in seconds.
func (h *Histogram) Observe(v float64) {
	// Binary search for the first bound >= v (a bucket counts v <= le).
	lo, hi := 0, len(h.upper)
	if math.IsNaN(v) {
		lo = hi // in no finite bucket, only in +Inf
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if h.upper[mid] < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	h.count[lo].Add(1)
	addFloat(&h.sum, v)
}

// ObserveDuration records d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(d.Seconds()) }

// write emits the cumulative buckets, _sum and _count. _count is the +Inf
// bucket rather than a separate counter, so the two always agree even when
// observations race with the scrape.
func (h *Histogram) write(e *expo, name string, labels, values []string) {
	var cum uint64
	bucket := name + "_bucket"
	for i := range h.count {
		cum += h.count[i].Load()
		e.sample(bucket, labels, values, "le", h.le[i], float64(cum))
	}
	e.sample(name+"_sum", labels, values, "", "", math.Float64frombits(h.sum.Load()))
	e.sample(name+"_count", labels, values, "", "", float64(cum))
}

// newBuckets validates bounds (finite, strictly increasing) and drops a
// trailing +Inf, which every histogram has implicitly.
func newBuckets(name string, bounds []float64) *buckets {
	b := &buckets{upper: slices.Clone(bounds)}
	if n := len(b.upper); n > 0 && math.IsInf(b.upper[n-1], 1) {
		b.upper = b.upper[:n-1]
	}
	for i, v := range b.upper {
		if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && v <= b.upper[i-1]) {
			panic(fmt.Sprintf("metrics: histogram %s: buckets must be finite and strictly increasing, got %v", name, bounds))
		}
		b.le = append(b.le, string(appendFloat(nil, v)))
	}
	b.le = append(b.le, "+Inf")
	return b
}

func histogramNames(name string) []string {
	return []string{name + "_bucket", name + "_sum", name + "_count"}
}

// NewHistogram registers a histogram with the given bucket upper bounds.
func (r *Registry) NewHistogram(name, help string, bounds []float64) *Histogram {
	h := newHistogram(newBuckets(name, bounds))
	r.register(&family{name: name, help: help, typ: "histogram", write: func(e *expo) bool {
		h.write(e, name, nil, nil)
		return true
	}}, histogramNames(name)...)
	return h
}

// HistogramVec is a histogram per combination of label values, all with
// the same buckets.
type HistogramVec struct{ v *vec[Histogram] }

// NewHistogramVec registers a histogram family with the given label names.
func (r *Registry) NewHistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	mustValidLabels(labels, true)
	b := newBuckets(name, bounds)
	hv := &HistogramVec{v: newVec(labels, func() *Histogram { return newHistogram(b) })}
	r.register(&family{name: name, help: help, typ: "histogram", write: func(e *expo) bool {
		kids := hv.v.sorted()
		for _, k := range kids {
			k.m.write(e, name, hv.v.labels, k.values)
		}
		return len(kids) > 0
	}}, histogramNames(name)...)
	return hv
}

// WithLabelValues returns the histogram for these values, in label order.
func (hv *HistogramVec) WithLabelValues(values ...string) *Histogram { return hv.v.with(values) }
