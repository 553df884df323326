// Package clock gives every time-driven part of kefu one injectable source
// of time, so tests and demos advance time instead of sleeping.
package clock

import (
	"sync"
	"time"
)

// Clock is the source of "now".
type Clock interface {
	Now() time.Time
}

// System is the real wall clock.
type System struct{}

func (System) Now() time.Time { return time.Now() }

// Manual is a clock that only moves when told; safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual starts a manual clock at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d and returns the new time.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Dev is the clock of `kefu serve --dev`: the wall clock plus an offset that
// only grows, so a demo or a test can jump ahead ("advance 48h") and watch
// promises slip, while time otherwise flows as usual. Safe for concurrent use.
type Dev struct {
	mu     sync.Mutex
	offset time.Duration
}

func (d *Dev) Now() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Now().Add(d.offset)
}

// Advance moves the clock forward by d (never back: timers already fired
// stay fired) and returns the new time.
func (d *Dev) Advance(by time.Duration) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if by > 0 {
		d.offset += by
	}
	return time.Now().Add(d.offset)
}

// Advancer is a clock that can be moved forward (Manual and Dev).
type Advancer interface {
	Clock
	Advance(time.Duration) time.Time
}
