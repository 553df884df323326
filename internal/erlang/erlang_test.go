package erlang

import (
	"math"
	"math/big"
	"testing"
)

// exactC computes Erlang C straight from its definition with 200-bit
// floats: P(wait) = (A^N/N!)·N/(N−A) / (Σ_{k<N} A^k/k! + (A^N/N!)·N/(N−A)).
func exactC(n int, a float64) float64 {
	f, _ := exactCBig(n, a).Float64()
	return f
}

func exactCBig(n int, a float64) *big.Float {
	prec := uint(200)
	A := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1) // A^k/k!
	sum := new(big.Float).SetPrec(prec)
	for k := 0; k < n; k++ {
		sum.Add(sum, term)
		term.Mul(term, A)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k+1)))
	}
	nn := new(big.Float).SetPrec(prec).SetInt64(int64(n))
	gap := new(big.Float).SetPrec(prec).Sub(nn, A)
	last := new(big.Float).SetPrec(prec).Mul(term, nn)
	last.Quo(last, gap)
	den := new(big.Float).SetPrec(prec).Add(sum, last)
	return new(big.Float).SetPrec(prec).Quo(last, den)
}

// exactB is Erlang B from its definition, (A^N/N!) / Σ_{k≤N} A^k/k!.
func exactB(n int, a float64) float64 {
	prec := uint(200)
	A := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := 1; k <= n; k++ {
		term.Mul(term, A)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	f, _ := new(big.Float).Quo(term, sum).Float64()
	return f
}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestErlangCMatchesDefinition(t *testing.T) {
	for _, c := range []struct {
		n int
		a float64
	}{{1, 0.5}, {2, 1.5}, {11, 10}, {13, 10}, {50, 45}, {65, 20}, {300, 280}, {1000, 950}, {4000, 3900}, {4000, 3999.5}, {3000, 2000}} {
		got, want := C(c.n, c.a), exactC(c.n, c.a)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Errorf("C(%d, %g) = %.15g, want %.15g", c.n, c.a, got, want)
		}
	}
}

// B switches from its recursion to the Poisson-ratio form above 64 agents;
// both sides of the switch, light and heavy load, must agree with the
// definition.
func TestErlangBMatchesDefinition(t *testing.T) {
	for _, c := range []struct {
		n int
		a float64
	}{{1, 0.5}, {10, 30}, {64, 60}, {65, 60}, {65, 200}, {100, 1}, {500, 600}, {1000, 1000}, {2000, 1500}, {3000, 3100}} {
		got, want := B(c.n, c.a), exactB(c.n, c.a)
		if relErr(got, want) > 1e-12 {
			t.Errorf("B(%d, %g) = %.15g, want %.15g", c.n, c.a, got, want)
		}
	}
}

// NoWait is 1 − C computed without cancellation: near saturation C rounds
// to 1 and the complement must still be right to many digits.
func TestNoWaitIsPreciseNearOne(t *testing.T) {
	for _, c := range []struct {
		n int
		a float64
	}{{11, 10}, {100, 99.999999}, {1000, 999.9999999}, {2000, 1999.99999}} {
		one := new(big.Float).SetPrec(200).SetInt64(1)
		want, _ := new(big.Float).SetPrec(200).Sub(one, exactCBig(c.n, c.a)).Float64()
		if got := NoWait(c.n, c.a); relErr(got, want) > 1e-9 {
			t.Errorf("1−C(%d, %g) = %.12g, want %.12g", c.n, c.a, got, want)
		}
	}
	// A service level that prints as 1 still has its miss.
	if miss := ServiceLevelMiss(30, 5, 180, 60); miss <= 0 || miss > 1e-12 {
		t.Errorf("miss = %g", miss)
	}
}

func TestStableAtTenThousandAgents(t *testing.T) {
	c := C(10000, 9900)
	if math.IsNaN(c) || c <= 0 || c >= 1 {
		t.Fatalf("C(10000, 9900) = %v", c)
	}
	if sl := ServiceLevel(10000, 9900, 180, 20); sl <= 0 || sl >= 1 {
		t.Fatalf("SL = %v", sl)
	}
	if C(10, 10) != 1 || ServiceLevel(10, 12, 180, 20) != 0 || !math.IsInf(ASA(10, 10, 180), 1) {
		t.Fatal("overloaded pools must report certain waiting")
	}
	// From 1 to 10,000 agents at 95 % load, every figure is finite, in
	// range, and the waiting probability falls as the pool grows (pooling).
	prev := 1.0
	for _, n := range []int{1, 2, 5, 10, 50, 64, 65, 100, 500, 1000, 2000, 5000, 10000} {
		a := 0.95 * float64(n)
		c := C(n, a)
		if math.IsNaN(c) || c <= 0 || c >= prev {
			t.Errorf("C(%d, %g) = %v after %v", n, a, c, prev)
		}
		prev = c
		for _, p := range []float64{0, 60, 300} {
			m := Queue{Agents: n, Erlangs: a, AHT: 180, Patience: p}.Eval(20, 5)
			for name, v := range map[string]float64{"p_wait": m.PWait, "p_abandon": m.PAbandon, "sl": m.AnsweredWithin, "occ": m.Occupancy} {
				if math.IsNaN(v) || v < 0 || v > 1 {
					t.Errorf("N=%d patience %g: %s = %v", n, p, name, v)
				}
			}
			if d := math.Abs(m.PWait + m.PNoWait - 1); d > 1e-13 {
				t.Errorf("N=%d patience %g: p_wait + p_no_wait − 1 = %g", n, p, d)
			}
			if d := math.Abs(m.AnsweredWithin + m.NotAnsweredWithin - 1); d > 1e-13 {
				t.Errorf("N=%d patience %g: SL + miss − 1 = %g", n, p, d)
			}
		}
	}
}

// Published reference values, each with its source.
func TestPublishedErlangC(t *testing.T) {
	for _, c := range []struct {
		src                        string
		volume, aht, interval, t   float64
		sl, maxOcc, shrink         float64
		agents, scheduled          int
		wantSL, wantOcc, wantPWait float64
		digits                     float64 // compared to ±½ unit of the last published digit
	}{
		// pyworkforce (github.com/rodrigo-arenas/pyworkforce),
		// pyworkforce/queuing/tests/test_erlang.py, test_expected_erlangc_results:
		// ErlangC(transactions=100, asa=0.33, aht=3, interval=30, shrinkage=0.3)
		// .required_positions(service_level=0.8, max_occupancy=0.85) →
		// raw_positions 14, positions 20, service_level 0.888,
		// occupancy 0.714, waiting_probability 0.174. The scenario is the
		// Call Centre Helper worked example (callcentrehelper.com,
		// "Erlang C formula – made simple with an easy worked example"):
		// 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s.
		{"pyworkforce test_expected_erlangc_results", 100, 180, 1800, 19.8, 0.8, 0.85, 0.3, 14, 20, 0.888, 0.714, 0.174, 1e-3},
		// Same file, test_over_occupancy_erlangc: max_occupancy=0.7 →
		// raw 15, positions 22, service level 0.941, occupancy 0.667,
		// waiting probability 0.102.
		{"pyworkforce test_over_occupancy_erlangc", 100, 180, 1800, 19.8, 0.8, 0.7, 0.3, 15, 22, 0.941, 0.667, 0.102, 1e-3},
	} {
		a := Erlangs(c.volume, c.aht, c.interval)
		m, err := Agents(a, c.aht, 0, Target{SL: c.sl, SLSeconds: c.t, MaxOccupancy: c.maxOcc})
		if err != nil {
			t.Fatal(c.src, err)
		}
		if m.Agents != c.agents || Scheduled(m.Agents, c.shrink) != c.scheduled {
			t.Errorf("%s: agents %d scheduled %d, want %d and %d", c.src, m.Agents, Scheduled(m.Agents, c.shrink), c.agents, c.scheduled)
		}
		for _, v := range []struct {
			name      string
			got, want float64
		}{{"service level", m.AnsweredWithin, c.wantSL}, {"occupancy", m.Occupancy, c.wantOcc}, {"p(wait)", m.PWait, c.wantPWait}} {
			if math.Abs(v.got-v.want) > c.digits/2 {
				t.Errorf("%s: %s %.6f, published %.3f", c.src, v.name, v.got, v.want)
			}
		}
	}

	// The worked example to 4 significant digits at the stated 20 s:
	// 14 agents, A = 10 erlangs. P(wait) 0.1741 and SL 0.8884, ASA 7.836 s;
	// Call Centre Helper's article prints 17.4 %, 88.8 % and 7.8 s; the
	// values below are also the 200-bit evaluation of the definition.
	if pw := C(14, 10); math.Abs(pw-0.1741) > 0.00005 || relErr(pw, exactC(14, 10)) > 1e-12 {
		t.Errorf("P(wait) 14 agents, 10 E = %.6f, want 0.1741", pw)
	}
	if sl := ServiceLevel(14, 10, 180, 20); math.Abs(sl-0.8884) > 0.00005 {
		t.Errorf("SL 14 agents, 10 E, 80/20 = %.6f, want 0.8884", sl)
	}
	if asa := ASA(14, 10, 180); math.Abs(asa-7.836) > 0.0005 {
		t.Errorf("ASA 14 agents, 10 E = %.4f s, want 7.836", asa)
	}

	// PRODYNA/exciting-algorithms tests/numberofagentsforasa_test.go:
	// NumberOfAgentsForAsa(200 calls, 180 s AHT, 60 min, 120 s ASA) = 12
	// (11 agents give 122.8 s).
	if n, err := AgentsForASA(Erlangs(200, 180, 3600), 180, 120); err != nil || n != 12 {
		t.Errorf("agents for ASA 120 s at 10 E = %d, %v; want 12", n, err)
	}
}

func TestAgentsSearches(t *testing.T) {
	for _, c := range []struct {
		name string
		a    float64
		pat  float64
		tg   Target
	}{
		{"SL", 10, 0, Target{SL: 0.8, SLSeconds: 20}},
		{"ASA", 10, 0, Target{ASA: 15}},
		{"occupancy", 10, 0, Target{MaxOccupancy: 0.85}},
		{"all at once", 10, 0, Target{SL: 0.8, SLSeconds: 20, ASA: 5, MaxOccupancy: 0.9}},
		{"large SL", 9500, 0, Target{SL: 0.95, SLSeconds: 10}},
		{"tight SL", 3, 0, Target{SL: 0.999999, SLSeconds: 2}},
		{"A SL", 10, 300, Target{SL: 0.8, SLSeconds: 20}},
		{"A SL+abandon", 10, 60, Target{SL: 0.5, SLSeconds: 20, MaxAbandon: 0.01}},
		{"A large", 9500, 120, Target{SL: 0.9, SLSeconds: 20, MaxAbandon: 0.02}},
		{"A overload allowed", 50, 30, Target{SL: 0.3, SLSeconds: 20}},
		{"A ASA", 200, 90, Target{ASA: 5}},
	} {
		m, err := Agents(c.a, 180, c.pat, c.tg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.tg.Met(m) {
			t.Errorf("%s: %d agents do not meet the target: %+v", c.name, m.Agents, m)
		}
		if m.Agents > 1 {
			below := Queue{Agents: m.Agents - 1, Erlangs: c.a, AHT: 180, Patience: c.pat}.Eval(c.tg.SLSeconds, 0)
			if c.tg.Met(below) {
				t.Errorf("%s: %d agents already meet the target", c.name, m.Agents-1)
			}
		}
	}
	if n, _ := AgentsForOccupancy(10, 0.85); n != 12 {
		t.Errorf("occupancy 85 %% at 10 E: %d agents, want 12", n)
	}
	if n, _ := AgentsForSL(10, 180, 0.8, 20); n != 14 {
		t.Errorf("80/20 at 10 E: %d agents, want 14", n)
	}
	if _, err := Agents(10, 180, 0, Target{SL: 1, SLSeconds: 20}); err == nil {
		t.Error("a 100 % service level cannot be promised")
	}
	if m, err := Agents(0, 180, 0, Target{SL: 0.8, SLSeconds: 20}); err != nil || m.Agents != 0 {
		t.Errorf("no traffic needs no agents: %+v %v", m, err)
	}
}

// Scheduled staff is needed/(1 − shrinkage), rounded up, and an exact
// quotient stays exact.
func TestScheduled(t *testing.T) {
	for _, c := range []struct {
		needed int
		shrink float64
		want   int
	}{{14, 0.3, 20}, {15, 0.3, 22}, {100, 0.3, 143}, {13, 0.3, 19}, {10, 0, 10}, {0, 0.3, 0}, {7, 0.5, 14}, {4000, 0.35, 6154}} {
		if got := Scheduled(c.needed, c.shrink); got != c.want {
			t.Errorf("Scheduled(%d, %g) = %d, want %d", c.needed, c.shrink, got, c.want)
		}
	}
}
