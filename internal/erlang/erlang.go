// Package erlang is the queueing math of staffing: Erlang B and Erlang C
// for a pool of N agents offered A erlangs of traffic.
//
// Everything runs on the Erlang B recursion B(n) = A·B(n−1) / (n + A·B(n−1)),
// which stays in [0, 1] for any N, so it is stable from 1 to 10,000 agents
// and more; A^N/N! is never formed.
package erlang

import "math"

// B is the Erlang B blocking probability of n servers offered a erlangs.
func B(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
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
	b := B(n, a)
	return float64(n) * b / (float64(n) - a*(1-b))
}

// ServiceLevel is the share of contacts answered within t seconds, for n
// agents, a erlangs and a mean handle time of aht seconds (M/M/n, FCFS).
func ServiceLevel(n int, a, aht, t float64) float64 {
	if a >= float64(n) {
		return 0
	}
	return 1 - C(n, a)*math.Exp(-(float64(n)-a)*t/aht)
}

// ASA is the mean wait over all contacts, in the unit of aht.
func ASA(n int, a, aht float64) float64 {
	if a >= float64(n) {
		return math.Inf(1)
	}
	return C(n, a) * aht / (float64(n) - a)
}

// Occupancy is the share of agent time spent on contacts.
func Occupancy(n int, a float64) float64 {
	if n == 0 {
		return 0
	}
	return math.Min(a/float64(n), 1)
}
