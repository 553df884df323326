package webhook

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	want := []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour}
	var total time.Duration
	for i, base := range want {
		n := i + 1
		// r = 0.5 is the middle of the jitter: exactly the schedule.
		if got := backoff(n, 0.5); got != base {
			t.Errorf("backoff(%d) = %s, want %s", n, got, base)
		}
		lo, hi := backoff(n, 0), backoff(n, 0.999999)
		if lo != time.Duration(float64(base)*0.8) || hi <= base || hi > time.Duration(float64(base)*1.2) {
			t.Errorf("backoff(%d) jitter range [%s, %s] around %s", n, lo, hi, base)
		}
		total += base
	}
	// Eleven retries of the default twelve attempts span about two days.
	if total < 40*time.Hour || total > 56*time.Hour {
		t.Errorf("retry span = %s", total)
	}
	if backoff(0, 0.5) != 10*time.Second {
		t.Errorf("backoff(0) must behave as the first retry")
	}
}
