package webhook

import "time"

// schedule is the wait after the n-th failed attempt (n from 1); later
// attempts reuse the last entry. With the default 12 attempts a delivery is
// retried for about two days, long enough to outlast a weekend outage at
// the subscriber without queueing forever.
var schedule = [...]time.Duration{
	10 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	time.Hour,
	3 * time.Hour,
	6 * time.Hour,
	12 * time.Hour,
}

// jitterSpread is the ± fraction applied to each wait, so that deliveries
// that failed together (a subscriber outage) do not all retry in the same
// second and knock the subscriber over again.
const jitterSpread = 0.2

// backoff returns the wait after failed attempt n (1-based); r in [0,1)
// picks the jitter.
func backoff(n int, r float64) time.Duration {
	if n < 1 {
		n = 1
	}
	base := schedule[min(n, len(schedule))-1]
	return time.Duration(float64(base) * (1 - jitterSpread + 2*jitterSpread*r))
}
