//go:build amd64 && !purego

package kernels

// Implemented in pool_amd64.s; n is a positive multiple of 8; rows and w
// are positive (w >= 8 for upsample2AVX2).

//go:noescape
func maxIntoAVX2(dst, a, b *float32, n int)

//go:noescape
func addIntoAVX2(dst, a, b *float32, n int)

//go:noescape
func lerpIntoAVX2(dst, a, b *float32, n int, wa, wb float32)

//go:noescape
func divIntoAVX2(dst, a, b *float32, n int)

//go:noescape
func repeat2AVX2(dst, src *float32, n int)

//go:noescape
func upsample2AVX2(dst, src *float32, rows, w int)

//go:noescape
func upsample2AVX512(dst, src *float32, rows, w int)

func init() {
	registerKernel(&maxVec, PathAVX2, func(dst, a, b []float32) int {
		n := len(dst) &^ 7
		if n > 0 {
			maxIntoAVX2(&dst[0], &a[0], &b[0], n)
		}
		return n
	})
	registerKernel(&addVec, PathAVX2, func(dst, a, b []float32) int {
		n := len(dst) &^ 7
		if n > 0 {
			addIntoAVX2(&dst[0], &a[0], &b[0], n)
		}
		return n
	})
	registerKernel(&divVec, PathAVX2, func(dst, a, b []float32) int {
		n := len(dst) &^ 7
		if n > 0 {
			divIntoAVX2(&dst[0], &a[0], &b[0], n)
		}
		return n
	})
	registerKernel(&lerpVec, PathAVX2, func(dst, a, b []float32, wa, wb float32) int {
		n := len(dst) &^ 7
		if n > 0 {
			lerpIntoAVX2(&dst[0], &a[0], &b[0], n, wa, wb)
		}
		return n
	})
	registerKernel(&repeat2Vec, PathAVX2, func(dst, src []float32) int {
		n := len(src) &^ 7
		if n > 0 {
			repeat2AVX2(&dst[0], &src[0], n)
		}
		return n
	})
	registerKernel(&upsample2Vec, PathAVX2, func(dst, src []float32, rows, w int) int {
		if w < 8 {
			return 0
		}
		upsample2AVX2(&dst[0], &src[0], rows, w)
		return rows
	})
	registerKernel(&upsample2Vec, PathAVX512, func(dst, src []float32, rows, w int) int {
		upsample2AVX512(&dst[0], &src[0], rows, w)
		return rows
	})
}
