//go:build amd64 && !purego

package kernels

// Implemented in pool_amd64.s; n is a positive multiple of 8.

//go:noescape
func maxIntoAVX2(dst, a, b *float32, n int)

//go:noescape
func addIntoAVX2(dst, a, b *float32, n int)

//go:noescape
func lerpIntoAVX2(dst, a, b *float32, n int, wa, wb float32)

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
	registerKernel(&lerpVec, PathAVX2, func(dst, a, b []float32, wa, wb float32) int {
		n := len(dst) &^ 7
		if n > 0 {
			lerpIntoAVX2(&dst[0], &a[0], &b[0], n, wa, wb)
		}
		return n
	})
}
