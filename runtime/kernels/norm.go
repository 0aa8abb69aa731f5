package kernels

import "math"

// Row kernels of the normalizations (LayerNormalization,
// InstanceNormalization, GroupNormalization, BatchNormalization): mean and
// variance by two vector passes (the sum, then the sum of squared
// deviations from the mean, which keeps the variance accurate when the
// mean is large against the spread), and the fused normalize-scale-shift.

// MeanVarF32 returns the mean of v and its biased variance (mean of the
// squared deviations), both 0 for an empty v. The summation order depends
// on len(v) only.
func MeanVarF32(v []float32) (mean, variance float32) {
	if len(v) == 0 {
		return 0, 0
	}
	n := float32(len(v))
	mean = SumF32(v) / n
	return mean, sumSqDevImpl(v, mean) / n
}

// NormAffineF32 sets dst[i] = ((src[i] - m) * k) * s[i] + b[i] for i <
// len(dst), the last multiply-add fused (one rounding).
func NormAffineF32(dst, src, s, b []float32, m, k float32) {
	normAffineImpl(dst, src[:len(dst)], s[:len(dst)], b[:len(dst)], m, k)
}

// NormScaleF32 sets dst[i] = (src[i] - m) * k + c for i < len(dst), the
// multiply-add fused (one rounding); dst may be src.
func NormScaleF32(dst, src []float32, m, k, c float32) {
	normScaleImpl(dst, src[:len(dst)], m, k, c)
}

// AffineF32 sets dst[i] = src[i]*a + c for i < len(dst), fused (one
// rounding); dst may be src.
func AffineF32(dst, src []float32, a, c float32) {
	affineImpl(dst, src[:len(dst)], a, c)
}

// The implementations in use.
var (
	sumSqDevImpl   = sumSqDevRef
	normAffineImpl = normAffineRef
	affineImpl     = affineRef
	normScaleImpl  = normScaleRef
)

func sumSqDevRef(v []float32, m float32) float32 {
	var s float32
	for _, x := range v {
		d := x - m
		s = fma32(d, d, s)
	}
	return s
}

func normAffineRef(dst, src, s, b []float32, m, k float32) {
	for i, x := range src {
		dst[i] = fma32((x-m)*k, s[i], b[i])
	}
}

func normScaleRef(dst, src []float32, m, k, c float32) {
	for i, x := range src {
		dst[i] = fma32(x-m, k, c)
	}
}

func affineRef(dst, src []float32, a, c float32) {
	for i, x := range src {
		dst[i] = fma32(x, a, c)
	}
}

// fma32 is x*y + z rounded once to float32 (the float32 product is exact
// in float64; the float64 sum is rounded twice only when it lies within
// 2^-29 ulp of a float32 tie).
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}
