//go:build amd64 && !purego

package kernels

// Implemented in vec_amd64.s.

// sumAVX2 returns the head sum of SumF32 of v[0:n], n a multiple of 32.
//
//go:noescape
func sumAVX2(v *float32, n int) float32

// scaleAVX2 sets dst[i] = src[i] * k for i in [0, n), n a multiple of 8.
//
//go:noescape
func scaleAVX2(dst, src *float32, n int, k float32)

func init() {
	registerKernel(&sumVec, PathAVX2, func(v []float32) (float32, int) {
		n := len(v) &^ 31
		if n == 0 {
			return 0, 0
		}
		return sumAVX2(&v[0], n), n
	})
	registerKernel(&scaleVec, PathAVX2, func(dst, src []float32, g float32) int {
		n := min(len(dst), len(src)) &^ 7
		if n > 0 {
			scaleAVX2(&dst[0], &src[0], n, g)
		}
		return n
	})
}
