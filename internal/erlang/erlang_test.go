package erlang

import (
	"math"
	"math/big"
	"testing"
)

// exactC computes Erlang C straight from its definition with 200-bit
// floats: P(wait) = (A^N/N!)·N/(N−A) / (Σ_{k<N} A^k/k! + (A^N/N!)·N/(N−A)).
func exactC(n int, a float64) float64 {
	prec := uint(200)
	A := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1) // A^k/k!
	sum := new(big.Float).SetPrec(prec)
	for k := 0; k < n; k++ {
		sum.Add(sum, term)
		term.Mul(term, A)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k+1)))
	}
	last := new(big.Float).SetPrec(prec).Mul(term, new(big.Float).SetFloat64(float64(n)/(float64(n)-a)))
	den := new(big.Float).SetPrec(prec).Add(sum, last)
	f, _ := new(big.Float).Quo(last, den).Float64()
	return f
}

func TestErlangCMatchesDefinition(t *testing.T) {
	for _, c := range []struct {
		n int
		a float64
	}{{1, 0.5}, {2, 1.5}, {11, 10}, {13, 10}, {50, 45}, {300, 280}, {1000, 950}, {4000, 3900}} {
		got, want := C(c.n, c.a), exactC(c.n, c.a)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Errorf("C(%d, %g) = %.15g, want %.15g", c.n, c.a, got, want)
		}
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
}
