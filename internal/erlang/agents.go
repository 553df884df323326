package erlang

import (
	"errors"
	"fmt"
	"math"
)

// Target is what a staffing answer must meet; zero fields are no
// constraint. The smallest number of agents meeting all of them at once is
// the answer.
type Target struct {
	// SL is the share to answer within SLSeconds (0.8 for 80/20). By
	// default it is measured over offered contacts (Metrics.AnsweredWithin);
	// SLOf picks another definition.
	SL        float64
	SLSeconds float64
	// SLOf, if set, computes the service level to hold against SL from the
	// metrics (e.g. over answered contacts, or counting short abandons as
	// met). It must not decrease when agents are added.
	SLOf func(Metrics) float64
	// ShortAbandonSeconds is the s of Metrics.AbandonedShort, for SLOf.
	ShortAbandonSeconds float64
	// ASA is the largest mean wait over all contacts, in seconds.
	ASA float64
	// MaxOccupancy is the largest share of agent time busy.
	MaxOccupancy float64
	// MaxAbandon is the largest share of contacts abandoning (Erlang A).
	// With abandonment a service-level target alone can be "met" by
	// letting callers hang up; this cap stops that.
	MaxAbandon float64
}

// Validate reports a target that no number of agents can meet.
func (tg Target) Validate() error {
	switch {
	case tg.SL < 0 || tg.SL >= 1:
		return fmt.Errorf("service level target %g: want 0 ≤ SL < 1", tg.SL)
	case tg.SLSeconds < 0:
		return fmt.Errorf("service level threshold %g s is negative", tg.SLSeconds)
	case tg.ASA < 0:
		return fmt.Errorf("ASA target %g s is negative", tg.ASA)
	case tg.MaxOccupancy < 0 || tg.MaxOccupancy > 1:
		return fmt.Errorf("maximum occupancy %g: want 0 < occupancy ≤ 1", tg.MaxOccupancy)
	case tg.MaxAbandon < 0 || tg.MaxAbandon >= 1:
		return fmt.Errorf("maximum abandonment %g: want 0 < abandon < 1", tg.MaxAbandon)
	}
	return nil
}

// Met tells whether m meets the target.
func (tg Target) Met(m Metrics) bool {
	if !m.Stable {
		return false
	}
	if tg.SL > 0 {
		if tg.SLOf != nil {
			if tg.SLOf(m) < tg.SL {
				return false
			}
		} else if m.NotAnsweredWithin > 1-tg.SL {
			// Compared as a miss so that 0.99999 targets are decided on
			// the precise complement, not on a value rounded to 1.
			return false
		}
	}
	if tg.ASA > 0 && m.ASA > tg.ASA {
		return false
	}
	if tg.MaxOccupancy > 0 && m.Occupancy > tg.MaxOccupancy {
		return false
	}
	if tg.MaxAbandon > 0 && m.PAbandon > tg.MaxAbandon {
		return false
	}
	return true
}

// ErrUnreachable is returned when no staff size up to the search limit
// meets a target.
var ErrUnreachable = errors.New("erlang: target cannot be met")

// Agents returns the smallest number of agents for which the queue with
// erlangs of load, aht and patience (0 for Erlang C) meets tg, with the
// metrics at that number. No traffic needs no agents.
func Agents(erlangs, aht, patience float64, tg Target) (Metrics, error) {
	if err := tg.Validate(); err != nil {
		return Metrics{}, err
	}
	if erlangs <= 0 {
		return Queue{Erlangs: 0, AHT: aht, Patience: patience}.Eval(tg.SLSeconds, tg.ShortAbandonSeconds), nil
	}
	if aht <= 0 {
		return Metrics{}, fmt.Errorf("erlang: handle time %g s is not positive", aht)
	}
	if patience <= 0 || math.IsInf(patience, 1) {
		return agentsC(erlangs, aht, tg)
	}
	return agentsA(erlangs, aht, patience, tg)
}

// limit is the largest staff the searches try: far beyond any sane answer
// (the square-root staffing rule needs a + 10√a for a 1e-20 miss).
func limit(a float64) int { return int(2*a+100*math.Sqrt(a)) + 1000 }

// agentsC scans upward from the smallest stable pool, carrying Erlang B
// with its forward recursion, so the whole search costs one O(√a) start
// plus one step per agent added — about 2 µs for 10,000 agents.
func agentsC(a, aht float64, tg Target) (Metrics, error) {
	n := int(math.Floor(a)) + 1
	if tg.MaxOccupancy > 0 {
		if k := int(math.Ceil(a/tg.MaxOccupancy - 1e-9)); k > n {
			n = k
		}
	}
	t := tg.SLSeconds
	l, _ := lnInvB(n, a)
	b := math.Exp(-l)
	for max := limit(a); n <= max; n++ {
		nf := float64(n)
		// C = 1/(ρ + (1−ρ)/B); a B that underflowed gives C = 0, which is
		// the truth to within 1e-308.
		c := 1 / (a/nf + (nf-a)/nf/b)
		ok := true
		if tg.SL > 0 && tg.SLOf == nil && c*math.Exp(-(nf-a)*t/aht) > 1-tg.SL {
			ok = false
		}
		if ok && tg.ASA > 0 && c*aht/(nf-a) > tg.ASA {
			ok = false
		}
		if ok {
			// The cheap checks pass (or cannot be made cheaply): confirm
			// on the full metrics, which also serve as the answer.
			lb := -math.Log(b)
			m := metricsC(n, a, aht, t, lb, lb+math.Log(-math.Expm1(-lb)))
			if tg.Met(m) {
				return m, nil
			}
		}
		b = a * b / (float64(n+1) + a*b)
	}
	return Metrics{}, ErrUnreachable
}

// agentsA searches the staff size with a bracketing secant method (regula
// falsi, Illinois variant) on margin, a smooth measure of how far the
// metrics are from the target that is ≥ 0 where the target is met. Every
// Erlang A measure used in a target is monotone in the number of agents, so
// a bracket [lo fails, hi meets] only shrinks, and the answer is hi when
// hi − lo = 1. Starting from the Erlang C answer (close for patient
// callers) it takes 5–8 evaluations where bisection takes 15–25.
func agentsA(a, aht, patience float64, tg Target) (Metrics, error) {
	t, s := tg.SLSeconds, tg.ShortAbandonSeconds
	type point struct {
		n  int
		g  float64
		ok bool
		m  Metrics
	}
	eval := func(n int) point {
		m := Queue{Agents: n, Erlangs: a, AHT: aht, Patience: patience}.Eval(t, s)
		return point{n: n, g: tg.margin(m), ok: tg.Met(m), m: m}
	}
	guess := int(math.Ceil(a))
	if tg.SL > 0 || tg.ASA > 0 {
		// The guess ignores SLOf: a cheap Erlang C scan is near enough.
		ct := Target{SL: tg.SL, SLSeconds: tg.SLSeconds, ASA: tg.ASA, MaxOccupancy: tg.MaxOccupancy}
		if m, err := agentsC(a, aht, ct); err == nil {
			guess = m.Agents
		}
	}
	guess = max(guess, 1)
	limitN := limit(a)

	// Find a bracket, stepping by secant extrapolation of the margin.
	p := eval(guess)
	var lo, hi point
	lo.n = 0 // no agents never meets a target with traffic
	if p.ok {
		hi = p
	} else {
		lo = p
	}
	step := max(1, int(math.Sqrt(a)/8))
	prev := p
	for hi.n == 0 || (lo.n == 0 && hi.n > 1) {
		var c int
		if hi.n == 0 {
			c = lo.n + step
		} else {
			c = hi.n - step
		}
		if c < 1 {
			c = 1
		}
		if c > limitN {
			c = limitN
		}
		q := eval(c)
		if q.ok {
			hi = q
			if c == 1 {
				return q.m, nil
			}
		} else {
			lo = q
			if c == limitN {
				return Metrics{}, ErrUnreachable
			}
		}
		// Next step: where the secant through the last two margins
		// crosses zero, at least double the last, at most 4× it.
		if d := q.g - prev.g; d != 0 && q.n != prev.n {
			slope := d / float64(q.n-prev.n)
			if est := math.Abs(q.g/slope) * 1.2; est > 0 && !math.IsInf(est, 0) && !math.IsNaN(est) {
				step = max(1, min(int(math.Ceil(est)), 4*step))
			} else {
				step *= 2
			}
		} else {
			step *= 2
		}
		prev = q
	}
	if lo.n == 0 {
		return hi.m, nil
	}

	// Shrink the bracket.
	gl, gh := lo.g, hi.g
	side := 0
	for hi.n-lo.n > 1 {
		c := lo.n + (hi.n-lo.n)/2
		if gh > gl && !math.IsInf(gl, 0) && !math.IsInf(gh, 0) {
			f := -gl / (gh - gl)
			c = lo.n + int(math.Round(f*float64(hi.n-lo.n)))
		}
		c = min(max(c, lo.n+1), hi.n-1)
		q := eval(c)
		if q.ok {
			hi, gh = q, q.g
			if side == 1 {
				gl /= 2 // Illinois: stop one end from sticking
			}
			side = 1
		} else {
			lo, gl = q, q.g
			if side == -1 {
				gh /= 2
			}
			side = -1
		}
	}
	return hi.m, nil
}

// margin is how far m is inside the target (≥ 0 when met), in log units
// so that the secant search sees a near-linear function of the staff.
func (tg Target) margin(m Metrics) float64 {
	g := math.Inf(1)
	if tg.SL > 0 {
		sl := 1 - m.NotAnsweredWithin
		if tg.SLOf != nil {
			sl = tg.SLOf(m)
		}
		g = math.Min(g, logit(sl)-logit(tg.SL))
	}
	if tg.ASA > 0 {
		g = math.Min(g, math.Log(tg.ASA)-math.Log(m.ASA))
	}
	if tg.MaxOccupancy > 0 {
		g = math.Min(g, math.Log(tg.MaxOccupancy)-math.Log(m.Occupancy))
	}
	if tg.MaxAbandon > 0 {
		g = math.Min(g, math.Log(tg.MaxAbandon)-math.Log(m.PAbandon))
	}
	return g
}

func logit(p float64) float64 { return math.Log(p) - math.Log1p(-p) }

// AgentsForSL is the smallest Erlang C staff answering a share sl of
// contacts within t seconds.
func AgentsForSL(erlangs, aht, sl, t float64) (int, error) {
	m, err := Agents(erlangs, aht, 0, Target{SL: sl, SLSeconds: t})
	return m.Agents, err
}

// AgentsForASA is the smallest Erlang C staff with a mean wait of at most
// asa seconds.
func AgentsForASA(erlangs, aht, asa float64) (int, error) {
	m, err := Agents(erlangs, aht, 0, Target{ASA: asa})
	return m.Agents, err
}

// AgentsForOccupancy is the smallest staff kept at or below occupancy
// maxOcc: ceil(erlangs/maxOcc), and always more than erlangs (Erlang C is
// unstable at 100 %).
func AgentsForOccupancy(erlangs, maxOcc float64) (int, error) {
	m, err := Agents(erlangs, 1, 0, Target{MaxOccupancy: maxOcc})
	return m.Agents, err
}
