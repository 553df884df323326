package metrics

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Counter is a value that only goes up (requests served, errors seen).
type Counter struct {
	// Whole increments (the common case) go to ints with one atomic add;
	// fractions go to a float updated by compare-and-swap. The value is
	// their sum.
	ints atomic.Uint64
	frac atomic.Uint64 // float64 bits
	name string        // for panic messages only
}

// Inc adds one.
func (c *Counter) Inc() { c.ints.Add(1) }

// Add adds v, which must not be negative or NaN: a counter that goes down
// breaks rate(), so that is a bug in the caller.
func (c *Counter) Add(v float64) {
	if !(v >= 0) {
		panic(fmt.Sprintf("metrics: counter %s: Add(%v) would not increase it", c.name, v))
	}
	if v < 1<<53 && v == math.Trunc(v) {
		c.ints.Add(uint64(v))
		return
	}
	addFloat(&c.frac, v)
}

// Value reads the current count.
func (c *Counter) Value() float64 {
	return float64(c.ints.Load()) + math.Float64frombits(c.frac.Load())
}

// addFloat adds v to the float64 whose bits are in a.
func addFloat(a *atomic.Uint64, v float64) {
	for {
		old := a.Load()
		if a.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// NewCounter registers a counter. By convention its name ends in _total.
func (r *Registry) NewCounter(name, help string) *Counter {
	c := &Counter{name: name}
	r.register(&family{name: name, help: help, typ: "counter", write: func(e *expo) bool {
		e.sample(name, nil, nil, "", "", c.Value())
		return true
	}})
	return c
}

// CounterVec is a counter per combination of label values.
type CounterVec struct{ v *vec[Counter] }

// NewCounterVec registers a counter family with the given label names.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	mustValidLabels(labels, false)
	cv := &CounterVec{v: newVec(labels, func() *Counter { return &Counter{name: name} })}
	r.register(&family{name: name, help: help, typ: "counter", write: func(e *expo) bool {
		kids := cv.v.sorted()
		for _, k := range kids {
			e.sample(name, cv.v.labels, k.values, "", "", k.m.Value())
		}
		return len(kids) > 0
	}})
	return cv
}

// WithLabelValues returns the counter for these values, in label order.
func (cv *CounterVec) WithLabelValues(values ...string) *Counter { return cv.v.with(values) }
