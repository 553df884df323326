package metrics

import (
	"math"
	"sync/atomic"
)

// Gauge is a value that goes up and down (open connections, queue length).
type Gauge struct {
	bits atomic.Uint64 // float64 bits
}

// Set replaces the value.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds v, which may be negative.
func (g *Gauge) Add(v float64) { addFloat(&g.bits, v) }

// Sub subtracts v.
func (g *Gauge) Sub(v float64) { addFloat(&g.bits, -v) }

// Inc adds one.
func (g *Gauge) Inc() { addFloat(&g.bits, 1) }

// Dec subtracts one.
func (g *Gauge) Dec() { addFloat(&g.bits, -1) }

// Value reads the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// NewGauge registers a gauge.
func (r *Registry) NewGauge(name, help string) *Gauge {
	g := &Gauge{}
	r.register(&family{name: name, help: help, typ: "gauge", write: func(e *expo) bool {
		e.sample(name, nil, nil, "", "", g.Value())
		return true
	}})
	return g
}

// NewGaugeFunc registers a gauge whose value f computes at each scrape, for
// values that already live elsewhere (pool sizes, runtime statistics). f
// runs on the scraping goroutine, possibly concurrently, and should be quick.
func (r *Registry) NewGaugeFunc(name, help string, f func() float64) {
	r.register(&family{name: name, help: help, typ: "gauge", write: func(e *expo) bool {
		e.sample(name, nil, nil, "", "", f())
		return true
	}})
}
