package kernels

import "math"

// Vectorized elementwise math on float32 slices: e^x, tanh, erf and the
// tanh form of GELU. Each operation is a package-level function variable
// (expImpl, ...) that holds the plain Go reference (expRef, ...) and is
// replaced at start-up by a vector version where the CPU has one
// (exp_amd64.go); a vector version computes every element by the same
// lane code, tails included (padded to a full vector), so a result never
// depends on where a slice starts or on how a tensor is split into parts.
//
// Accuracy against the float64 definitions (TestElemAccuracy sweeps
// [-30, 30] and the extremes): relative error below 2e-6 where the
// result's magnitude is at least 1e-30, absolute error below 1e-35
// elsewhere, except GeluTanh: relative error below 2e-5 (its exponent
// -2 sqrt(2/pi) (x + 0.044715 x^3) is rounded to float32 before e^a, which
// for a near 60 costs about 60 * 6e-8 relative). The vector exponential
// returns 0 below -86 (true values below 4.5e-38).

// ExpF32 sets dst[i] = e^src[i] for i < len(dst) (dst may be src).
func ExpF32(dst, src []float32) { expImpl(dst, src[:len(dst)]) }

// TanhF32 sets dst[i] = tanh(src[i]) for i < len(dst) (dst may be src).
func TanhF32(dst, src []float32) { tanhImpl(dst, src[:len(dst)]) }

// ErfF32 sets dst[i] = erf(src[i]) for i < len(dst) (dst may be src).
func ErfF32(dst, src []float32) { erfImpl(dst, src[:len(dst)]) }

// GeluTanhF32 sets dst[i] = x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))),
// x = src[i], for i < len(dst) (dst may be src).
func GeluTanhF32(dst, src []float32) { geluTanhImpl(dst, src[:len(dst)]) }

// The implementations in use; len(src) == len(dst).
var (
	expImpl      = expRef
	tanhImpl     = tanhRef
	erfImpl      = erfRef
	geluTanhImpl = geluTanhRef
)

func expRef(dst, src []float32) {
	for i, x := range src {
		dst[i] = expf(x)
	}
}

func tanhRef(dst, src []float32) {
	for i, x := range src {
		dst[i] = tanhf(x)
	}
}

func erfRef(dst, src []float32) {
	for i, x := range src {
		dst[i] = erfClamped(x)
	}
}

func geluTanhRef(dst, src []float32) {
	for i, x := range src {
		dst[i] = geluTanhf(x)
	}
}

// erfClamped is erf(x) by erff with x clamped to [-4, 4] (where erf is
// +-1 to float32 precision); NaN stays NaN.
func erfClamped(x float32) float32 {
	if x > 4 {
		x = 4
	} else if x < -4 {
		x = -4
	}
	return erff(x)
}

// log32 is the float32 natural logarithm (through float64).
func log32(x float32) float32 { return float32(math.Log(float64(x))) }

// inff is float32 +Inf.
var inff = float32(math.Inf(1))
