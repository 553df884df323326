package sla

import (
	"math"
	"testing"
	"time"
)

func TestSurvivalHandWorked(t *testing.T) {
	m := time.Minute
	// Met at 10, 20, 20, 40 minutes; one still running at 30 (censored),
	// one released at 50. By hand:
	//   at 10: 6 at risk, 1 met → S = 5/6
	//   at 20: 5 at risk, 2 met → S = 5/6 · 3/5 = 1/2
	//   at 30: one censored (4 → 3 at risk)
	//   at 40: 2 at risk, 1 met → S = 1/2 · 1/2 = 1/4
	s := NewSurvival([]Sample{{10 * m, true}, {20 * m, true}, {20 * m, true}, {30 * m, false}, {40 * m, true}, {50 * m, false}})
	cases := []struct {
		x    time.Duration
		want float64
	}{{0, 1}, {9 * m, 1}, {10 * m, 5.0 / 6}, {25 * m, 0.5}, {39 * m, 0.5}, {40 * m, 0.25}, {99 * m, 0.25}}
	for _, c := range cases {
		if got := s.P(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("P(T > %v) = %v, want %v", c.x, got, c.want)
		}
	}
	// A target open for 15 minutes with 30 to run: P(T > 30 | T > 15) =
	// (1/2) / (5/6) = 0.6.
	if got := s.BreachRisk(15*m, 30*m); math.Abs(got-0.6) > 1e-12 {
		t.Errorf("risk = %v, want 0.6", got)
	}
	if got := s.BreachRisk(45*m, 60*m); got != 1 {
		t.Errorf("past every met target: risk %v, want 1", got)
	}
	if got := s.BreachRisk(31*m, 30*m); got != 1 {
		t.Errorf("already late: risk %v, want 1", got)
	}
	if s.N() != 6 {
		t.Errorf("n = %d", s.N())
	}
	if got := NewSurvival(nil).BreachRisk(0, m); got != 1 {
		t.Errorf("no history: risk %v, want 1 (the caller must check N)", got)
	}
}
