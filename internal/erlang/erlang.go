// Package erlang is the queueing math of staffing: Erlang B, Erlang C
// (M/M/N) and Erlang A (M/M/N+M, callers with exponential patience) for a
// pool of N agents offered A erlangs of traffic.
//
// Nothing here forms A^N/N!. Erlang B comes either from its recursion
// B(n) = A·B(n−1) / (n + A·B(n−1)), which stays in [0, 1], or — for large N,
// where the recursion costs O(N) — from 1/B = P(X ≤ N)/P(X = N) for a
// Poisson X with mean A, summed outward from N in O(√A) terms with the
// Poisson probability in Loader's saddle-point form. Both are accurate to a
// few units in the last place from 1 to 10,000 agents and beyond, and the
// second makes "agents needed" searches cheap enough to plan a day of 96
// intervals in well under a millisecond.
//
// Probabilities that round to 1 are also offered as their complement
// (NoWait, ServiceLevelMiss, Metrics.NotAnsweredWithin), computed directly
// rather than as 1 − x, so 1 − 1e-12 is still told apart from 1 − 1e-9.
package erlang

import "math"

// recursionMax is the pool size up to which B uses its plain recursion;
// above it the O(√A) Poisson-ratio form is cheaper.
const recursionMax = 64

// B is the Erlang B blocking probability of n servers offered a erlangs.
func B(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if n <= recursionMax {
		b := 1.0
		for k := 1; k <= n; k++ {
			b = a * b / (float64(k) + a*b)
		}
		return b
	}
	l, _ := lnInvB(n, a)
	return math.Exp(-l)
}

// C is the Erlang C probability that a contact waits, for n agents and a
// erlangs; 1 when the traffic is at or above the agents (the queue grows
// without bound).
func C(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if a >= float64(n) {
		return 1
	}
	l, _ := lnInvB(n, a)
	return math.Exp(lnC(n, a, l))
}

// lnC is ln C(n, a) given l = ln(1/B(n, a)), from
// C = 1 / (ρ + (1−ρ)/B) with ρ = a/n, kept in logs so that a B too small
// for a float64 still gives the right (tiny) C.
func lnC(n int, a, l float64) float64 {
	nf := float64(n)
	return -(l + math.Log((nf-a)/nf+a/nf*math.Exp(-l)))
}

// NoWait is 1 − C(n, a), the share of contacts answered at once, computed
// without cancellation: 1 − C = (1−ρ)(1/B − 1)·C.
func NoWait(n int, a float64) float64 {
	if a <= 0 {
		return 1
	}
	if a >= float64(n) {
		return 0
	}
	l, lm1 := lnInvB(n, a)
	nf := float64(n)
	return math.Exp(math.Log((nf-a)/nf) + lm1 + lnC(n, a, l))
}

// ServiceLevel is the share of contacts answered within t seconds, for n
// agents, a erlangs and a mean handle time of aht seconds (M/M/n, FCFS).
func ServiceLevel(n int, a, aht, t float64) float64 {
	if a >= float64(n) {
		return 0
	}
	return 1 - ServiceLevelMiss(n, a, aht, t)
}

// ServiceLevelMiss is 1 − ServiceLevel: the share of contacts that wait
// longer than t seconds, C·e^{−(n−a)t/aht}. It stays precise when the
// service level itself rounds to 1.
func ServiceLevelMiss(n int, a, aht, t float64) float64 {
	if a >= float64(n) {
		return 1
	}
	return C(n, a) * math.Exp(-(float64(n)-a)*t/aht)
}

// ASA is the mean wait over all contacts (those answered at once count as
// zero), in the unit of aht.
func ASA(n int, a, aht float64) float64 {
	if a >= float64(n) {
		return math.Inf(1)
	}
	return C(n, a) * aht / (float64(n) - a)
}

// ASAWaiting is the mean wait of the contacts that wait at all, aht/(n−a):
// in M/M/n the wait of a delayed contact is exponential with rate (n−a)/aht.
func ASAWaiting(n int, a, aht float64) float64 {
	if a >= float64(n) {
		return math.Inf(1)
	}
	return aht / (float64(n) - a)
}

// Occupancy is the share of agent time spent on contacts.
func Occupancy(n int, a float64) float64 {
	if n == 0 {
		return 0
	}
	return math.Min(a/float64(n), 1)
}

// Erlangs is the offered load of volume contacts of aht seconds each
// arriving over interval seconds.
func Erlangs(volume, aht, interval float64) float64 {
	if interval <= 0 {
		return 0
	}
	return volume * aht / interval
}

// Scheduled is the staff to schedule so that needed agents are actually
// available when a share shrinkage of paid time is lost (breaks, training,
// absence): ceil(needed / (1 − shrinkage)). It is not needed·(1+shrinkage),
// which under-staffs: 100 needed at 30 % shrinkage is 143, not 130.
func Scheduled(needed int, shrinkage float64) int {
	if needed <= 0 {
		return 0
	}
	if shrinkage <= 0 {
		return needed
	}
	if shrinkage >= 1 {
		return math.MaxInt32
	}
	v := float64(needed) / (1 - shrinkage)
	// 14/(1−0.3) is 20.000000000000004 in binary floating point; an exact
	// quotient must not round up to 21.
	if r := math.Round(v); math.Abs(v-r) <= 1e-9*v {
		return int(r)
	}
	return int(math.Ceil(v))
}
