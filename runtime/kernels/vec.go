package kernels

// SumF32 returns the float32 sum of v in a fixed order that depends on
// len(v) only (the same on every CPU, with or without assembly): 32
// partial sums acc[j] += v[i+j] over the leading multiple of 32 elements,
// combined as 8 lanes a[l] = (acc[l] + acc[8+l]) + (acc[16+l] + acc[24+l]),
// then a[l] + a[l+4], then (l=0,1) + (l=2,3), then lane 0 + lane 1; then the
// remaining elements added in order. RefSumF32 is the plain version.
func SumF32(v []float32) float32 {
	s, n := sumVec(v)
	if n == 0 {
		n = len(v) &^ 31
		s = refSumHead(v[:n])
	}
	return sumTail(s, v[n:])
}

// ScaleF32 sets dst[i] = src[i] * g for i < len(dst) (dst may be src).
func ScaleF32(dst, src []float32, g float32) {
	src = src[:len(dst)]
	n := scaleVec(dst, src, g)
	dst, src = dst[n:], src[n:]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		s := src[i : i+4 : i+4]
		d := dst[i : i+4 : i+4]
		d[0] = s[0] * g
		d[1] = s[1] * g
		d[2] = s[2] * g
		d[3] = s[3] * g
	}
	for ; i < len(dst); i++ {
		dst[i] = src[i] * g
	}
}

// sumVec returns, computed with the vector unit, the head sum of SumF32
// (the combined 32 partial sums of the leading multiple of 32 elements)
// and that count; the default does none (0, 0).
var sumVec = func(v []float32) (float32, int) { return 0, 0 }

// scaleVec scales the leading multiple of 8 elements with the vector unit
// and returns how many it did; the default does none.
var scaleVec = func(dst, src []float32, g float32) int { return 0 }

func sumTail(s float32, tail []float32) float32 {
	for _, x := range tail {
		s += x
	}
	return s
}

// refSumHead is the head sum of SumF32 (len(v) a multiple of 32) in Go.
func refSumHead(v []float32) float32 {
	if len(v) == 0 {
		return 0
	}
	var acc [32]float32
	for i := 0; i+32 <= len(v); i += 32 {
		w := v[i : i+32 : i+32]
		for j := range acc {
			acc[j] += w[j]
		}
	}
	var a [8]float32
	for l := range a {
		a[l] = (acc[l] + acc[8+l]) + (acc[16+l] + acc[24+l])
	}
	var h [4]float32
	for l := range h {
		h[l] = a[l] + a[l+4]
	}
	return (h[0] + h[2]) + (h[1] + h[3])
}

// RefSumF32 is the plain Go version of SumF32 (same order, same result).
func RefSumF32(v []float32) float32 {
	return sumTail(refSumHead(v[:len(v)&^31]), v[len(v)&^31:])
}
