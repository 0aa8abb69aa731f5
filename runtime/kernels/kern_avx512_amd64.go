//go:build amd64 && !purego

package kernels

import "unsafe"

// AVX-512 kernels (kern_avx512_amd64.s), registered for PathAVX512. Each
// computes every output element with the same sequence of floating-point
// operations as the AVX2 kernel it replaces, 16 lanes at a time, so the
// avx512 and avx2 paths give the same bits (the tests check this).

//go:noescape
func sgemm12x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm6x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm1x32(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

func init() {
	registerKernel(&wideKernel, PathAVX512, wideKernelAVX512)
	registerKernel(&wideRowKernel, PathAVX512, wideRowKernelAVX512)
}

func wideRowKernelAVX512(k int, a, b, c []float32, flags int, bias []float32, lo, hi float32) {
	if k > 0 {
		_ = a[k*mr-1]
		_ = b[k*2*nr-1]
	}
	_ = c[2*nr-1]
	var bp *float32
	if flags&flagBias != 0 {
		bp = &bias[0]
	}
	sgemm1x32(k, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], 2*nr, flags, bp, lo, hi)
}

func wideKernelAVX512(rows, cols, k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	f := sgemm12x32
	switch {
	case rows == 2*mr && cols == 2*nr:
	case rows == mr && cols == 2*nr:
		f = sgemm6x32
	default:
		panic("kernels: wide micro-kernel tile must be 12x32 or 6x32")
	}
	if k > 0 {
		_ = a[k*rows-1]
		_ = b[k*cols-1]
	}
	_ = c[(rows-1)*ldc+cols-1]
	var bp *float32
	if flags&flagBias != 0 {
		_ = bias[rows-1]
		bp = &bias[0]
	}
	f(k, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, flags, bp, lo, hi)
}

//go:noescape
func dw9AVX512(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride, mask int, bias float32)

//go:noescape
func dwPlane16(y, base *float32, offs *int, w *float32, taps, n, rows, inStride, outStride, mask int, bias float32)

//go:noescape
func packRows16AVX512(dst, src *float32, offs *int, kcb, np int)

func init() {
	if !zmmHalfRate() {
		registerKernel(&dwKernel, PathAVX512, dwKernelAVX512)
	}
	registerKernel(&packRowsVec, PathAVX512, packRowsAsm(packRows16AVX512))
}

func dwKernelAVX512(y, x []float32, offs []int, w []float32, n, rows, inStride, outStride int, bias float32) {
	if n <= 0 || rows <= 0 {
		panic("kernels: bad depthwise plane geometry")
	}
	checkDWPlane(y, x, offs, w, n, rows, inStride, outStride)
	mask := 1<<(n%16) - 1
	if len(offs) == 9 {
		dw9AVX512(&y[0], &x[0], &offs[0], &w[0], n, rows, inStride, outStride, mask, bias)
		return
	}
	dwPlane16(&y[0], &x[0], &offs[0], &w[0], len(offs), n, rows, inStride, outStride, mask, bias)
}
