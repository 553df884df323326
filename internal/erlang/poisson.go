package erlang

import "math"

// lnInvB returns l = ln(1/B(n, a)) and lm1 = ln(1/B(n, a) − 1) for a > 0.
//
// 1/B(n, a) = P(X ≤ n)/P(X = n) for X Poisson with mean a. Written as a sum
// of ratios to P(X = n) the terms fall off like a Gaussian of width √a on
// either side, so about 9√a terms reach full precision:
//
//   - n ≤ a: 1/B = Σ_{j=0..n} Π_{i<j} (n−i)/a, all terms ≤ 1 and falling;
//   - n > a: 1/B = (1 − P(X > n))/P(X = n) with
//     P(X > n)/P(X = n) = Σ_{j≥1} Π_{i=1..j} a/(n+i), and P(X > n) ≤ ½ or so,
//     so 1 − P(X > n) loses nothing.
//
// lm1 matters when a ≫ n, where 1/B is 1 + (a tiny amount) and the waiting
// probability of Erlang A depends on that tiny amount.
func lnInvB(n int, a float64) (l, lm1 float64) {
	if n <= 0 {
		return 0, math.Inf(-1)
	}
	nf := float64(n)
	if nf <= a {
		sum, term := 0.0, 1.0
		for i := 0; i < n; i++ {
			term *= (nf - float64(i)) / a
			sum += term
			if term < 1e-17*sum {
				break
			}
		}
		return math.Log1p(sum), math.Log(sum)
	}
	lp := lnPoisson(n, a)
	s, term := 0.0, 1.0
	for i := 1; ; i++ {
		term *= a / (nf + float64(i))
		s += term
		if term < 1e-17*s || i > 1<<20 {
			break
		}
	}
	l = math.Log1p(-math.Exp(lp)*s) - lp
	// 1/B > 1 + n/a > 2 here, so ln(1/B − 1) = l + ln(1 − e^{−l}) is safe.
	return l, l + math.Log(-math.Expm1(-l))
}

// lnPoisson is ln P(X = n) for X Poisson with mean a > 0, in Loader's
// saddle-point form (the one R's dpois uses): for n > 15,
// P = exp(−stirlerr(n) − bd0(n, a)) / √(2πn), which keeps full relative
// precision where −a + n·ln a − ln n! would cancel to a few digits.
func lnPoisson(n int, a float64) float64 {
	if n == 0 {
		return -a
	}
	nf := float64(n)
	if n <= 15 {
		lg, _ := math.Lgamma(nf + 1)
		return -a + nf*math.Log(a) - lg
	}
	return -stirlerr(nf) - bd0(nf, a) - 0.5*math.Log(2*math.Pi*nf)
}

// stirlerr is ln(n!) − ln(√(2πn)·(n/e)^n) for n > 15, from its asymptotic
// series (the next term is below 1e-16 at n = 16).
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	nn := n * n
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0 is x·ln(x/np) + np − x, the deviance term, evaluated by its series
// when x is close to np, where the direct form cancels.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		ej := 2 * x * v
		v2 := v * v
		for j := 1; j < 1000; j++ {
			ej *= v2
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/np) + np - x
}
