package kernels

//go:generate go run gen_gelu.go

import "math"

// Float32 versions of the transcendental activations for the fused
// epilogues (ApplyAct). They avoid the float64 math library calls (the
// arguments are reduced in float64, the exponential's polynomial is
// float32) and agree with the float64 definitions in act.go (RefAct):
// relative error below 2e-6 wherever the result's magnitude is at least
// 1e-30, absolute error below 1e-35 elsewhere (TestFastActAccuracy sweeps
// [-30, 30] and the extremes).

// expd is e^a rounded to float32, for a float64 argument: a = n*ln2 + r,
// |r| <= ln2/2 (reduced in float64), e^r by the Cephes expf polynomial,
// times 2^n. +Inf above 88.72, 0 below -104.
func expd(a float64) float32 {
	switch {
	case a != a:
		return float32(a)
	case a > 88.72283905206835:
		return float32(math.Inf(1))
	case a < -104:
		return 0
	}
	// n = round(a / ln2) without a branch (a mispredicted branch per
	// element would cost more than the whole polynomial): adding 1.5*2^52
	// rounds to an integer held in the low mantissa bits.
	const magic = 6755399441055744.0
	r := a*math.Log2E + magic
	n := int32(math.Float64bits(r))
	x := float32(a - (r-magic)*math.Ln2)
	xx := x * x
	p := (((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x+5.0000001201e-1)*xx + x + 1
	if n > 127 {
		p *= 2
		n--
	}
	if n < -126 {
		p *= 1.1754943508222875e-38 // 2^-126
		n += 126
	}
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// expf is e^x.
func expf(x float32) float32 { return expd(float64(x)) }

// sigmoidf is 1 / (1 + e^-x).
//
// Not inlined: inlined into a loop, its float conversions chained each
// element to the previous one (measured 2-3x slower).
//
//go:noinline
func sigmoidf(x float32) float32 { return 1 / (1 + expd(-float64(x))) }

// tanhf is tanh(x): the Cephes tanhf polynomial for |x| < 0.625, else
// 1 - 2 / (e^(2|x|) + 1) with the sign of x.
//
// Not inlined: inlined into a loop, its float conversions chained each
// element to the previous one (measured 2-3x slower).
//
//go:noinline
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case a != a:
		return x
	case a < 0.625:
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	case a > 9.1:
		if x < 0 {
			return -1
		}
		return 1
	}
	r := 1 - 2/(expd(2*float64(a))+1)
	if x < 0 {
		return -r
	}
	return r
}

// erfcPos returns erfc(u) for u >= 0 by the Numerical Recipes erfcc
// approximation (fractional error below 1.2e-7), in float64 up to the
// exponential.
//
//go:noinline
func erfcPos(u float64) float64 {
	t := 1 / (1 + 0.5*u)
	// -1.26551223 + 1.00002368 t + ... + 0.17087277 t^9 by Estrin's scheme
	// (a shorter dependency chain than Horner's).
	t2 := t * t
	t4 := t2 * t2
	q01 := -1.26551223 + 1.00002368*t
	q23 := 0.37409196 + 0.09678418*t
	q45 := -0.18628806 + 0.27886807*t
	q67 := -1.13520398 + 1.48851587*t
	q89 := -0.82215223 + 0.17087277*t
	p := (q01 + q23*t2) + (q45+q67*t2)*t4 + q89*(t4*t4)
	return t * float64(expd(-u*u+p))
}

// erff is erf(x) for |x| <= 4 by the float32 rational approximation Eigen
// uses (an odd polynomial over an even one in x).
func erff(x float32) float32 {
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = x2*p + -2.10102402082508e-06
	p = x2*p + -5.69250639462346e-05
	p = x2*p + -7.34990630326855e-04
	p = x2*p + -2.95459980854025e-03
	p = x2*p + -1.60960333262415e-02
	q := x2*-1.45660718464996e-05 + -2.13374055278905e-04
	q = x2*q + -1.68282697438203e-03
	q = x2*q + -7.37332916720468e-03
	q = x2*q + -1.42647390514189e-02
	return x * p / q
}

// geluf is x/2 * (1 + erf(x/sqrt(2))). For x >= -1, where 1 + erf stays
// above 0.3, through erff; below, as x/2 * erfc(-x/sqrt(2)) so that the
// tiny negative outputs keep their relative accuracy.
//
// Not inlined (see sigmoidf).
//
//go:noinline
func geluf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 5.6: // 1 + erf(3.96) = 2 to float32 precision
		return x
	case x >= -1:
		return 0.5 * x * (1 + erff(x*0.70710678118654752))
	}
	return float32(0.5 * float64(x) * erfcPos(-float64(x)*(1/math.Sqrt2)))
}

// geluTanhf is x/2 * (1 + tanh(z)), z = sqrt(2/pi) * (x + 0.044715 x^3),
// computed as x / (1 + e^(-2z)) (the same value, without the
// cancellation of 1 + tanh(z) for negative z).
//
// Not inlined: inlined into a loop, its float conversions chained each
// element to the previous one (measured 2-3x slower).
//
//go:noinline
func geluTanhf(x float32) float32 {
	d := float64(x)
	return float32(d / (1 + float64(expd(-2*0.7978845608028654*(d+0.044715*d*d*d)))))
}
