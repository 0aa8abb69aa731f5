//go:build amd64 && !purego

package kernels

import "unsafe"

// sgemv32AVX2 and sgemv32AVX512 are gemvKernel (gemv_amd64.s): acc is 0
// or 1. The AVX-512 one needs AVX-512F.
//
//go:noescape
func sgemv32AVX2(k int, x, b, c *float32, acc int)

//go:noescape
func sgemv32AVX512(k int, x, b, c *float32, acc int)

func init() {
	registerKernel(&gemvKernel, PathAVX2, gemvAsm(sgemv32AVX2))
	registerKernel(&gemvKernel, PathAVX512, gemvAsm(sgemv32AVX512))
}

func gemvAsm(f func(k int, x, b, c *float32, acc int)) func(k int, x, b, c []float32, acc bool) {
	return func(k int, x, b, c []float32, acc bool) {
		if k > 0 {
			_ = x[k-1]
			_ = b[k*gemvW-1]
		}
		_ = c[gemvW-1]
		a := 0
		if acc {
			a = 1
		}
		f(k, unsafe.SliceData(x), unsafe.SliceData(b), &c[0], a)
	}
}
