package sla

import (
	"sort"
	"time"
)

// Breach prediction: how likely an open target is to be missed, from how
// long the same kind of target has taken this tenant lately. Targets still
// open (or released) tell only that they took longer than they have run so
// far, so the estimate is Kaplan–Meier's, which counts them as censored
// instead of pretending they finished or ignoring them.

// Sample is one past target: D is how long it ran; Done is true when it
// was met (kept) at D, false when at D it was still open or was released.
type Sample struct {
	D    time.Duration
	Done bool
}

// Survival is the estimated P(a target takes longer than x).
type Survival struct {
	at []time.Duration // times a target was met, ascending
	s  []float64       // P(T > at[i])
	n  int             // samples behind the estimate
}

// NewSurvival estimates from samples.
func NewSurvival(samples []Sample) Survival {
	xs := append([]Sample(nil), samples...)
	// At equal times, count the met ones before the censored ones (the
	// usual convention: a censored target was still running at that time).
	sort.Slice(xs, func(i, j int) bool {
		if xs[i].D != xs[j].D {
			return xs[i].D < xs[j].D
		}
		return xs[i].Done && !xs[j].Done
	})
	sv := Survival{n: len(xs)}
	atRisk, p := len(xs), 1.0
	for i := 0; i < len(xs); {
		d, met, gone := xs[i].D, 0, 0
		for ; i < len(xs) && xs[i].D == d; i++ {
			if xs[i].Done {
				met++
			}
			gone++
		}
		if met > 0 {
			p *= 1 - float64(met)/float64(atRisk)
			sv.at, sv.s = append(sv.at, d), append(sv.s, p)
		}
		atRisk -= gone
	}
	return sv
}

// N is how many past targets the estimate stands on.
func (s Survival) N() int { return s.n }

// P is the estimated probability that a target takes longer than x.
func (s Survival) P(x time.Duration) float64 {
	i := sort.Search(len(s.at), func(i int) bool { return s.at[i] > x })
	if i == 0 {
		return 1
	}
	return s.s[i-1]
}

// BreachRisk is the probability that a target which has run for elapsed
// and is still open is not met within budget: P(T > budget | T > elapsed).
// When nothing of the past ran as long as this one has, the estimate has
// nothing to say and the answer is 1 (it has already outlasted them all).
func (s Survival) BreachRisk(elapsed, budget time.Duration) float64 {
	if elapsed >= budget {
		return 1
	}
	alive := s.P(elapsed)
	if alive <= 0 {
		return 1
	}
	return s.P(budget) / alive
}
