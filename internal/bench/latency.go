package bench

import (
	"math"
	"slices"
	"time"
)

// Latencies are recorded exactly: every sample is kept (8 bytes each; the
// request count per scenario is bounded) and percentiles are computed on
// the sorted samples by the nearest-rank method, so there is no histogram
// bucketing error at all.

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, an ascending slice: the smallest sample such that at least p% of
// all samples are less than or equal to it, i.e. sorted[ceil(p/100*n)-1].
// It returns 0 for an empty slice; p <= 0 gives the minimum.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p*n is exact for the percentiles in use and n < 2^53, and a
	// correctly rounded k/100 is an integer only when it truly is, so the
	// ceiling is exact (no 0.9*10 = 9.000000000000002 surprises).
	rank := int(math.Ceil(p * float64(n) / 100))
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

// summarize fills the latency fields of r from samples (sorted in place).
func summarize(r *Result, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	r.P50 = Percentile(samples, 50)
	r.P90 = Percentile(samples, 90)
	r.P99 = Percentile(samples, 99)
	r.Max = samples[len(samples)-1]
}
