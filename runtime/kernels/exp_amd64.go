//go:build amd64 && !purego

package kernels

// Implemented in exp_amd64.s; n is a multiple of 8.

//go:noescape
func expAVX2(dst, src *float32, n int)

//go:noescape
func tanhAVX2(dst, src *float32, n int)

//go:noescape
func geluTanhAVX2(dst, src *float32, n int)

//go:noescape
func erfAVX2(dst, src *float32, n int)

//go:noescape
func maxAVX2(v *float32, n int) float32

//go:noescape
func expSubSumAVX2(dst, src *float32, n int, m float32) float32

//go:noescape
func sumSqDevAVX2(v *float32, n int, m float32) float32

//go:noescape
func normAffineAVX2(dst, src, s, b *float32, n int, m, k float32)

//go:noescape
func normScaleAVX2(dst, src *float32, n int, m, k, c float32)

//go:noescape
func axpbAVX2(dst, src *float32, n int, a, c float32)

//go:noescape
func softmaxRowAVX2(dst, src *float32, n int)

func init() {
	registerKernel(&expImpl, PathAVX2, func(dst, src []float32) { vecUnary(dst, src, 0, 0, opExp) })
	registerKernel(&tanhImpl, PathAVX2, func(dst, src []float32) { vecUnary(dst, src, 0, 0, opTanh) })
	registerKernel(&erfImpl, PathAVX2, func(dst, src []float32) { vecUnary(dst, src, 0, 0, opErf) })
	registerKernel(&geluTanhImpl, PathAVX2, func(dst, src []float32) { vecUnary(dst, src, 0, 0, opGeluTanh) })
	registerKernel(&maxImpl, PathAVX2, maxRowVec)
	registerKernel(&expSubSumImpl, PathAVX2, expSubSumVec)
	registerKernel(&softmaxRowImpl, PathAVX2, func(dst, src []float32) {
		_ = src[len(dst)-1]
		softmaxRowAVX2(&dst[0], &src[0], len(dst))
	})
	registerKernel(&sumSqDevImpl, PathAVX2, sumSqDevVec)
	registerKernel(&normAffineImpl, PathAVX2, normAffineVec)
	registerKernel(&affineImpl, PathAVX2, affineVec)
	registerKernel(&normScaleImpl, PathAVX2, normScaleVec)
}

// maxRowVec is the 8-lane maximum of the leading multiple of 8 elements,
// then the rest in order.
func maxRowVec(v []float32) float32 {
	n := len(v) &^ 7
	if n == 0 {
		return maxRef(v)
	}
	m := maxAVX2(&v[0], n)
	for _, x := range v[n:] {
		if x > m || m != m {
			m = x
		}
	}
	return m
}

// expSubSumVec: the tail goes through a buffer padded with -Inf (whose
// exponentials are 0), and its lanes are added to the head's sum.
func expSubSumVec(dst, src []float32, m float32) float32 {
	n := len(src) &^ 7
	var s float32
	if n > 0 {
		s = expSubSumAVX2(&dst[0], &src[0], n, m)
	}
	if n < len(src) {
		buf := [8]float32{-inff, -inff, -inff, -inff, -inff, -inff, -inff, -inff}
		copy(buf[:], src[n:])
		s += expSubSumAVX2(&buf[0], &buf[0], 8, m)
		copy(dst[n:], buf[:])
	}
	return s
}

func sumSqDevVec(v []float32, m float32) float32 {
	n := len(v) &^ 7
	var s float32
	if n > 0 {
		s = sumSqDevAVX2(&v[0], n, m)
	}
	if n < len(v) {
		buf := [8]float32{m, m, m, m, m, m, m, m} // zero deviations
		copy(buf[:], v[n:])
		s += sumSqDevAVX2(&buf[0], 8, m)
	}
	return s
}

func normAffineVec(dst, src, s, b []float32, m, k float32) {
	n := len(src) &^ 7
	if n > 0 {
		normAffineAVX2(&dst[0], &src[0], &s[0], &b[0], n, m, k)
	}
	if n < len(src) {
		var x, ss, bb [8]float32
		copy(x[:], src[n:])
		copy(ss[:], s[n:])
		copy(bb[:], b[n:])
		normAffineAVX2(&x[0], &x[0], &ss[0], &bb[0], 8, m, k)
		copy(dst[n:], x[:])
	}
}

func affineVec(dst, src []float32, a, c float32) { vecUnary(dst, src, a, c, opAffine) }

func normScaleVec(dst, src []float32, m, k, c float32) {
	n := len(src) &^ 7
	if n > 0 {
		normScaleAVX2(&dst[0], &src[0], n, m, k, c)
	}
	if n < len(src) {
		var buf [8]float32
		copy(buf[:], src[n:])
		normScaleAVX2(&buf[0], &buf[0], 8, m, k, c)
		copy(dst[n:], buf[:])
	}
}

// Operations of vecUnary.
const (
	opExp = iota
	opTanh
	opErf
	opGeluTanh
	opAffine // x*a + c
)

// vecUnary runs the kernel of op over all of src: the leading multiple of
// 8 in place, the rest through a padded buffer, so that every element is
// computed by the same lane code. (A switch, not a function value: the
// buffer then stays on the stack.)
func vecUnary(dst, src []float32, a, c float32, op int) {
	run := func(d, s *float32, n int) {
		switch op {
		case opExp:
			expAVX2(d, s, n)
		case opTanh:
			tanhAVX2(d, s, n)
		case opErf:
			erfAVX2(d, s, n)
		case opGeluTanh:
			geluTanhAVX2(d, s, n)
		case opAffine:
			axpbAVX2(d, s, n, a, c)
		}
	}
	n := len(src) &^ 7
	if n > 0 {
		run(&dst[0], &src[0], n)
	}
	if n < len(src) {
		var buf [8]float32
		copy(buf[:], src[n:])
		run(&buf[0], &buf[0], 8)
		copy(dst[n:], buf[:])
	}
}

// Tile activations (exp_amd64.s): rows x cols floats in place, rows ldc
// floats apart; rows, cols > 0. The avx512 kernels give each element the
// bits the avx2 kernels give it.

//go:noescape
func sigmoidTileAVX2(c *float32, rows, cols, ldc int, silu int)

//go:noescape
func sigmoidTileAVX512(c *float32, rows, cols, ldc int, silu int)

//go:noescape
func geluTileAVX2(c *float32, rows, cols, ldc int)

//go:noescape
func geluTileAVX512(c *float32, rows, cols, ldc int)

//go:noescape
func hardSwishTileAVX2(c *float32, rows, cols, ldc int)

//go:noescape
func hardSwishTileAVX512(c *float32, rows, cols, ldc int)

//go:noescape
func hardSigmoidTileAVX2(c *float32, rows, cols, ldc int, a, b float32)

//go:noescape
func hardSigmoidTileAVX512(c *float32, rows, cols, ldc int, a, b float32)

//go:noescape
func leakyReluTileAVX2(c *float32, rows, cols, ldc int, a float32)

//go:noescape
func leakyReluTileAVX512(c *float32, rows, cols, ldc int, a float32)

// tanhTileAVX2 and geluTanhTileAVX2 serve both paths (no 16-lane
// versions).

//go:noescape
func tanhTileAVX2(c *float32, rows, cols, ldc int)

//go:noescape
func geluTanhTileAVX2(c *float32, rows, cols, ldc int)

//go:noescape
func clampTileAVX2(c *float32, rows, cols, ldc int, lo, hi float32)

//go:noescape
func clampTileAVX512(c *float32, rows, cols, ldc int, lo, hi float32)
