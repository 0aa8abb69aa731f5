//go:build amd64 && !purego

package kernels

import "unsafe"

// Implemented in kern_rows8_avx512_amd64.s: 8x32 tiles of 6 rows of one
// A panel and 2 of the next (s6), or 4 and 4 (s4).

//go:noescape
func sgemm8x32s6(k int, a, a2, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm8x32s4(k int, a, a2, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

func init() {
	registerKernel(&rows8Kernel, PathAVX512, rows8KernelAVX512)
}

func rows8KernelAVX512(k, o int, a, a2, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	f := sgemm8x32s6
	switch o {
	case 0:
	case 2:
		f = sgemm8x32s4
	default:
		panic("kernels: 8-row tile must start at row 0 or 2 of a panel")
	}
	if k > 0 {
		_ = a[(k-1)*mr+mr-o-1]
		_ = a2[(k-1)*mr+2+o-1]
		_ = b[k*2*nr-1]
	}
	_ = c[7*ldc+2*nr-1]
	var bp *float32
	if flags&flagBias != 0 {
		_ = bias[7]
		bp = &bias[0]
	}
	f(k, unsafe.SliceData(a), unsafe.SliceData(a2), unsafe.SliceData(b), &c[0], ldc, flags, bp, lo, hi)
}
