package erlang

import (
	"math"
	"sync"
)

// Queue is one staffing question: Agents agents, Erlangs of offered load
// (arrival rate × AHT), a mean handle time of AHT seconds and, for Erlang
// A, a mean patience of Patience seconds. Patience 0 (or +Inf) means
// callers never hang up: Erlang C.
type Queue struct {
	Agents   int
	Erlangs  float64
	AHT      float64
	Patience float64
}

// Metrics are the expected figures of a Queue in steady state. Shares are
// of offered contacts unless the name says otherwise; times are seconds.
type Metrics struct {
	Agents int `json:"agents"`
	// Stable is false for Erlang C with Erlangs ≥ Agents: the queue grows
	// without bound, waits are infinite, nobody is answered in time.
	Stable bool `json:"stable"`
	// PWait is the share that finds every agent busy; PNoWait = 1 − PWait,
	// computed directly.
	PWait   float64 `json:"p_wait"`
	PNoWait float64 `json:"p_no_wait"`
	// PAbandon is the share that hangs up before an answer (0 in Erlang C).
	PAbandon float64 `json:"p_abandon"`
	// AnsweredWithin is the share answered within the threshold t: the
	// service level over offered contacts. NotAnsweredWithin = 1 − it,
	// computed directly (abandoned, or answered after t).
	AnsweredWithin    float64 `json:"answered_within"`
	NotAnsweredWithin float64 `json:"not_answered_within"`
	// AbandonedWithin is the share that hangs up within t; AbandonedShort
	// the share that hangs up within the short-abandon time s.
	AbandonedWithin float64 `json:"abandoned_within"`
	AbandonedShort  float64 `json:"abandoned_short"`
	// VirtualWithin is P(V ≤ t) for the offered wait V — the wait an
	// infinitely patient caller would have had ("virtual service level").
	VirtualWithin float64 `json:"virtual_within"`
	// ASA is the mean wait over all offered contacts: answered at once
	// count 0, abandoned count their time to hang up. It is what Little's
	// law gives as E[queue]/λ, and equals Erlang C's ASA when nobody
	// abandons. ASAAnswered is the mean wait of answered contacts only,
	// ASAWaiting the mean wait of those who wait at all.
	ASA         float64 `json:"asa_seconds"`
	ASAAnswered float64 `json:"asa_answered_seconds"`
	ASAWaiting  float64 `json:"asa_waiting_seconds"`
	// Occupancy is the share of agent time busy: served load / agents.
	Occupancy float64 `json:"occupancy"`
}

// Eval computes the metrics of q for a service-level threshold of t
// seconds and a short-abandon time of s seconds.
func (q Queue) Eval(t, s float64) Metrics {
	if q.Erlangs <= 0 || q.Agents <= 0 {
		return q.empty()
	}
	if q.Patience <= 0 || math.IsInf(q.Patience, 1) {
		return q.evalC(t)
	}
	return q.evalA(t, s)
}

// empty is a queue with no traffic, or with traffic and no agents.
func (q Queue) empty() Metrics {
	if q.Erlangs <= 0 {
		return Metrics{Agents: q.Agents, Stable: true, PNoWait: 1, AnsweredWithin: 1, VirtualWithin: 1}
	}
	m := Metrics{Agents: 0, PWait: 1, NotAnsweredWithin: 1, ASA: math.Inf(1), ASAAnswered: math.Inf(1), ASAWaiting: math.Inf(1)}
	if q.Patience > 0 && !math.IsInf(q.Patience, 1) {
		// Everybody waits until they give up.
		m.Stable = true
		m.PAbandon, m.AbandonedWithin, m.AbandonedShort = 1, 1, 1
		m.ASA, m.ASAWaiting = q.Patience, q.Patience
	}
	return m
}

func (q Queue) evalC(t float64) Metrics {
	n, a := q.Agents, q.Erlangs
	if a >= float64(n) {
		m := Metrics{Agents: n, PWait: 1, NotAnsweredWithin: 1, Occupancy: 1}
		m.ASA, m.ASAAnswered, m.ASAWaiting = math.Inf(1), math.Inf(1), math.Inf(1)
		return m
	}
	l, lm1 := lnInvB(n, a)
	return metricsC(n, a, q.AHT, t, l, lm1)
}

// metricsC is the Erlang C metrics of a stable pool given l = ln(1/B) and
// lm1 = ln(1/B − 1).
func metricsC(n int, a, aht, t, l, lm1 float64) Metrics {
	m := Metrics{Agents: n, Stable: true}
	nf := float64(n)
	if math.IsInf(l, 1) {
		// B below the smallest float64: nobody waits.
		m.PNoWait, m.AnsweredWithin, m.VirtualWithin = 1, 1, 1
		m.ASAWaiting, m.Occupancy = aht/(nf-a), a/nf
		return m
	}
	lc := lnC(n, a, l)
	m.PWait = math.Exp(lc)
	m.PNoWait = math.Exp(math.Log((nf-a)/nf) + lm1 + lc)
	m.NotAnsweredWithin = m.PWait * math.Exp(-(nf-a)*t/aht)
	m.AnsweredWithin = 1 - m.NotAnsweredWithin
	m.VirtualWithin = m.AnsweredWithin
	m.ASAWaiting = aht / (nf - a)
	m.ASA = m.PWait * m.ASAWaiting
	m.ASAAnswered = m.ASA
	m.Occupancy = a / nf
	return m
}

// Erlang A (Palm's M/M/N+M queue).
//
// With λ the arrival rate, μ = 1/AHT, θ = 1/patience, x = λ/θ and
// y = Nμ/θ, the stationary probability of N + k in system is
// π_N·t_k with t_k = Π_{i=1..k} x/(y+i), and J = Σ_k t_k; by PASTA
// P(wait) = π_N·J and π_N = 1/(1/B − 1 + J) with B = Erlang B(N, A)
// (Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to
// call centers", 2005; Garnett, Mandelbaum & Reiman 2002).
//
// A caller who finds k others queued is answered after the offered wait
// V = Σ_{i=0..k} Exp(Nμ + iθ) unless its own patience τ ~ Exp(θ) runs out
// first. With u = θV, −ln of a Beta(y, k+1) variable is exactly
// Σ_{i=0..k} Exp(y+i), and summing over k with weights t_k gives the
// unnormalised density of u over waiting callers in closed form:
//
//	g(u) = y·exp(φ(u)),  φ(u) = x(1 − e^{−u}) − y·u,  ∫₀^∞ g = J.
//
// Every measure is then an integral of g against a simple factor: P(τ > V)
// = e^{−u} (answered), 1 − e^{−min(u, θt)} (abandoned within t), u·e^{−u}
// (wait of answered callers) and so on. φ is concave, so g is log-concave
// with its peak at u* = max(0, ln(x/y)); we integrate it with 16-point
// Gauss–Legendre on panels laid out from the peak outward so that ln g
// falls by about 4k−2 across the k-th panel, until it is 46 below the peak
// (e^{−46} ≈ 1e-20). All of it is done relative to the peak value, so
// nothing overflows even when J is e^{5000}. This is the J-function
// integral of Mandelbaum & Zeltyn evaluated directly, and it is exact up
// to quadrature error (≈1e-14 relative), not the diffusion approximation.
func (q Queue) evalA(t, s float64) Metrics {
	n, a := q.Agents, q.Erlangs
	nf := float64(n)
	x := a * q.Patience / q.AHT
	y := nf * q.Patience / q.AHT
	tauT, tauS := t/q.Patience, s/q.Patience

	ustar, phiStar := 0.0, 0.0
	if x > y {
		ustar = math.Log(x / y)
		e := (x - y) / y
		phiStar = y * (e - math.Log1p(e)) // x − y − y·ln(x/y), without cancellation
	}
	phi := func(u float64) float64 { return -x*math.Expm1(-u) - y*u - phiStar }

	pts := breakpoints(x, y, ustar, phi, tauT, tauS)
	var i0, iSrv, iAb, iWSrv, iSrvT, iSrvOver, iAbT, iAbS, iVOver float64
	emT, emS := -math.Expm1(-tauT), -math.Expm1(-tauS)
	nodes, weights := glNodes()
	for p := 0; p+1 < len(pts); p++ {
		lo, hi := pts[p], pts[p+1]
		half, mid := (hi-lo)/2, (hi+lo)/2
		belowT := hi <= tauT*(1+1e-15)
		belowS := hi <= tauS*(1+1e-15)
		for k, z := range nodes {
			u := mid + half*z
			// e^{−u} and 1 − e^{−u}, each computed the way that keeps
			// its relative precision, with one transcendental call.
			var ep, em float64
			if u < 0.7 {
				em = -math.Expm1(-u)
				ep = 1 - em
			} else {
				ep = math.Exp(-u)
				em = 1 - ep
			}
			w := weights[k] * half * math.Exp(x*em-y*u-phiStar)
			i0 += w
			iSrv += w * ep
			iAb += w * em
			iWSrv += w * u * ep
			if belowT {
				iSrvT += w * ep
				iAbT += w * em
			} else {
				iSrvOver += w * ep
				iAbT += w * emT
				iVOver += w
			}
			if belowS {
				iAbS += w * em
			} else {
				iAbS += w * emS
			}
		}
	}

	_, lm1 := lnInvB(n, a)
	lnScale := math.Log(y) + phiStar
	lnJ := lnScale + math.Log(i0)
	lnD := logAddExp(lm1, lnJ)
	k := math.Exp(lnScale - lnD) // π_N·y·e^{φ*}: turns an integral into a share

	m := Metrics{Agents: n, Stable: true}
	m.PWait = math.Exp(lnJ - lnD)
	m.PNoWait = math.Exp(lm1 - lnD)
	m.PAbandon = k * iAb
	m.AnsweredWithin = m.PNoWait + k*iSrvT
	m.NotAnsweredWithin = k * (iAb + iSrvOver)
	m.AbandonedWithin = k * iAbT
	m.AbandonedShort = k * iAbS
	m.VirtualWithin = 1 - k*iVOver
	m.ASA = m.PAbandon * q.Patience // Little: E[W] = E[Q]/λ = P(ab)/θ
	if m.PAbandon < 1 {
		m.ASAAnswered = k * iWSrv * q.Patience / (1 - m.PAbandon)
	}
	if m.PWait > 0 {
		m.ASAWaiting = m.ASA / m.PWait
	}
	m.Occupancy = math.Min(a*(1-m.PAbandon)/nf, 1)
	return m
}

// breakpoints lays out the quadrature panels of exp(φ) (see evalA):
// outward from the peak u*, each panel ends where a local quadratic model
// of φ says φ has fallen to the next level −2k², so that the log of the
// integrand changes by about 4k−2 across panel k; panels are at most 2 wide
// while e^{−u} (the answered factor) still matters; the thresholds t and s
// become panel ends, since the integrands have a kink there.
func breakpoints(x, y, ustar float64, phi func(float64) float64, cuts ...float64) []float64 {
	const floor = -46.0
	// Levels −2k²: for a Gaussian-like peak each panel is two standard
	// deviations wide, which 16-point Gauss–Legendre integrates to ~1e-16.
	level := func(k int) float64 { return math.Max(-2*float64(k*k), floor-4) }
	var left []float64
	if ustar > 0 {
		u := ustar
		for k := 1; u > 0 && k < 400; k++ {
			target := level(k)
			f := phi(u)
			d := f - target
			if d <= 0 {
				d = 0.5
				target = f - d
			}
			slope := x*math.Exp(-u) - y // φ′(u) ≥ 0 left of the peak
			curv := x * math.Exp(-u)
			step := 2 * d / (slope + math.Sqrt(slope*slope+2*curv*d))
			if step > 2 {
				step = 2
			}
			nu := math.Max(u-step, 0)
			// Left of the peak φ bends harder than the model, so the step
			// can overshoot; halve it until the fall is close to the level.
			for phi(nu) < target-2 && u-nu > 1e-12*(1+u) {
				nu = u - (u-nu)/2
			}
			left = append(left, nu)
			u = nu
			if phi(u) <= floor {
				break
			}
		}
	}
	pts := make([]float64, 0, len(left)+40)
	for i := len(left) - 1; i >= 0; i-- {
		pts = append(pts, left[i])
	}
	pts = append(pts, ustar)
	u := ustar
	for k := 1; k < 400; k++ {
		target := level(k)
		f := phi(u)
		d := f - target
		if d <= 0 {
			d = 0.5
		}
		slope := y - x*math.Exp(-u) // −φ′(u) ≥ 0 right of the peak
		curv := x * math.Exp(-u)
		step := 2 * d / (slope + math.Sqrt(slope*slope+2*curv*d))
		if u < 40 && step > 2 {
			step = 2
		}
		u += step
		pts = append(pts, u)
		if phi(u) <= floor {
			break
		}
	}
	for _, c := range cuts {
		if c > pts[0] && c < pts[len(pts)-1] {
			pts = insertSorted(pts, c)
		}
	}
	return pts
}

func insertSorted(pts []float64, c float64) []float64 {
	i := 0
	for i < len(pts) && pts[i] < c {
		i++
	}
	if i < len(pts) && pts[i] == c {
		return pts
	}
	pts = append(pts, 0)
	copy(pts[i+1:], pts[i:])
	pts[i] = c
	return pts
}

func logAddExp(p, q float64) float64 {
	if p < q {
		p, q = q, p
	}
	if math.IsInf(q, -1) {
		return p
	}
	return p + math.Log1p(math.Exp(q-p))
}

var (
	glOnce             sync.Once
	glX, glW           []float64
	glOrder            = 16
	glNewtonIterations = 100
)

// glNodes returns the nodes and weights of Gauss–Legendre quadrature on
// [−1, 1], computed once by Newton's method on the Legendre polynomial
// (Golub–Welsch would do too; this is shorter and exact to the last bit).
func glNodes() ([]float64, []float64) {
	glOnce.Do(func() {
		n := glOrder
		glX, glW = make([]float64, n), make([]float64, n)
		for i := 0; i < (n+1)/2; i++ {
			z := math.Cos(math.Pi * (float64(i) + 0.75) / (float64(n) + 0.5))
			var dp float64
			for it := 0; it < glNewtonIterations; it++ {
				p1, p2 := 1.0, 0.0
				for j := 1; j <= n; j++ {
					p1, p2 = ((2*float64(j)-1)*z*p1-(float64(j)-1)*p2)/float64(j), p1
				}
				dp = float64(n) * (z*p1 - p2) / (z*z - 1)
				dz := p1 / dp
				z -= dz
				if math.Abs(dz) < 1e-16 {
					break
				}
			}
			p1, p2 := 1.0, 0.0
			for j := 1; j <= n; j++ {
				p1, p2 = ((2*float64(j)-1)*z*p1-(float64(j)-1)*p2)/float64(j), p1
			}
			dp = float64(n) * (z*p1 - p2) / (z*z - 1)
			w := 2 / ((1 - z*z) * dp * dp)
			glX[i], glX[n-1-i] = -z, z
			glW[i], glW[n-1-i] = w, w
		}
	})
	return glX, glW
}
