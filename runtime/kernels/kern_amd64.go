//go:build amd64 && !purego

package kernels

import "unsafe"

// Implemented in kern_amd64.s.

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv0() (eax, edx uint32)

// addChain runs n iterations of 8 dependent one-cycle adds (8n cycles);
// BenchmarkPeak uses it to measure the clock (clock_amd64.s).
//
//go:noescape
func addChain(n int)

// fmaLoop256 and fmaLoop512 run n iterations of 12 independent YMM or ZMM
// fused multiply-adds; BenchmarkPeak uses them to measure how many the
// core retires per cycle (clock_amd64.s). fmaLoop512 needs AVX-512F.
//
//go:noescape
func fmaLoop256(n int)

//go:noescape
func fmaLoop512(n int)

//go:noescape
func sgemm6x8(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm6x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)

//go:noescape
func clampAVX2(v *float32, n int, lo, hi float32)

//go:noescape
func deinterleave2AVX2(even, odd, src *float32, n int)

//go:noescape
func packRows16(dst, src *float32, offs *int, kcb, np int)

//go:noescape
func copyRowsAVX2(dst *float32, dstStride int, src *float32, srcStride int, rows, n int)

//go:noescape
func dw9(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride int, bias float32)

//go:noescape
func dw9x2(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride int, bias float32)

//go:noescape
func dwPlane8x2(y, base *float32, offs *int, w *float32, taps, n, rows, inStride, outStride int, bias float32)

//go:noescape
func dwPlane8(y, base *float32, offs *int, w *float32, taps, n, rows, inStride, outStride int, bias float32)

// hasAVX2FMA reports whether the CPU supports AVX2 and FMA and the OS
// saves the YMM registers.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// hasAVX512F reports whether, on top of AVX2 and FMA, the CPU supports
// AVX-512 Foundation and the OS saves the opmask and ZMM registers (XCR0
// bits 5, 6, 7). The AVX-512 kernels use AVX-512F instructions only.
func hasAVX512F() bool {
	if !hasAVX2FMA() {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&0xe6 != 0xe6 { // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX512F
}

// zmmHalfRate reports an AMD Zen 4 core (family 19h with AVX-512: Zen 3,
// the other family 19h cores, has none), which executes each 512-bit
// operation as two 256-bit halves: AVX-512 adds no FMA or load bandwidth
// there, and the load-bound AVX-512 depthwise kernels measured 10-20%
// slower than the AVX2 ones, so the avx512 path keeps those.
func zmmHalfRate() bool {
	_, ebx, ecx, edx := cpuid(0, 0)
	if ebx != 0x68747541 || edx != 0x69746e65 || ecx != 0x444d4163 { // "AuthenticAMD"
		return false
	}
	eax, _, _, _ := cpuid(1, 0)
	family := (eax >> 8) & 0xf
	if family == 0xf {
		family += (eax >> 20) & 0xff
	}
	return family == 0x19
}

// cpuLevel is the highest kernel path this CPU and OS support.
var cpuLevel = func() pathLevel {
	switch {
	case hasAVX512F():
		return 2
	case hasAVX2FMA():
		return 1
	}
	return 0
}()

func pathSupported(l pathLevel) bool { return l <= cpuLevel }

func init() {
	registerKernel(&microKernel, PathAVX2, kernelAVX2)
	registerKernel(&microKernel8, PathAVX2, kernelAVX2x8)
	registerKernel(&dwKernel, PathAVX2, dwKernelAVX2)
	registerKernel(&deinterleave2Vec, PathAVX2, func(even, odd, src []float32) int {
		n := min(len(even), len(odd), len(src)/2) &^ 7
		if n > 0 {
			deinterleave2AVX2(&even[0], &odd[0], &src[0], n)
		}
		return n
	})
	registerKernel(&packRowsVec, PathAVX2, packRowsAsm(packRows16))
	registerKernel(&copyRows, PathAVX2, func(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
		if rows <= 0 || n <= 0 {
			return
		}
		_ = dst[(rows-1)*dstStride+n-1]
		_ = src[(rows-1)*srcStride+n-1]
		copyRowsAVX2(&dst[0], dstStride, &src[0], srcStride, rows, n)
	})
}

// packRowsAsm wraps an assembly packRows16 as packRowsVec.
func packRowsAsm(f func(dst, src *float32, offs *int, kcb, np int)) func(dst, x []float32, offs []int, j0, np int) {
	return func(dst, x []float32, offs []int, j0, np int) {
		if np > 0 && len(offs) > 0 {
			_ = dst[np*len(offs)*nr-1]
			f(&dst[0], &x[j0], &offs[0], len(offs), np)
		}
	}
}

func kernelAVX2(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	// Bounds: the packed panels hold k steps; the tile is mr rows of nr.
	if k > 0 {
		_ = a[k*mr-1]
		_ = b[k*nr-1]
	}
	_ = c[(mr-1)*ldc+nr-1]
	var bp *float32
	if flags&flagBias != 0 {
		_ = bias[mr-1]
		bp = &bias[0]
	}
	sgemm6x16(k, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, flags, bp, lo, hi)
}

func kernelAVX2x8(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	if k > 0 {
		_ = a[k*mr-1]
		_ = b[(k-1)*nr+7]
	}
	_ = c[(mr-1)*ldc+7]
	var bp *float32
	if flags&flagBias != 0 {
		_ = bias[mr-1]
		bp = &bias[0]
	}
	sgemm6x8(k, unsafe.SliceData(a), unsafe.SliceData(b), &c[0], ldc, flags, bp, lo, hi)
}

func dwKernelAVX2(y, x []float32, offs []int, w []float32, n, rows, inStride, outStride int, bias float32) {
	if n <= 0 || rows <= 0 {
		panic("kernels: bad depthwise plane geometry")
	}
	checkDWPlane(y, x, offs, w, n, rows, inStride, outStride)
	if len(offs) == 9 {
		if rows >= 2 && dw3Rows(offs, inStride) {
			// Pairs of rows in dw9x2 (the same operations per output).
			pairs := rows &^ 1
			dw9x2(&y[0], &x[0], &offs[0], &w[0], n, pairs, inStride, outStride, bias)
			if rows == pairs {
				return
			}
			y, x, rows = y[pairs*outStride:], x[pairs*inStride:], 1
		}
		dw9(&y[0], &x[0], &offs[0], &w[0], n, rows, inStride, outStride, bias)
		return
	}
	// dwPlane8 computes columns [0, n32) 32 at a time and the rest 8 at a
	// time; the 8-column loop runs on pairs of rows in dwPlane8x2 (the same
	// operations per output).
	n32 := n &^ 31
	if rows < 2 || n32 == n {
		dwPlane8(&y[0], &x[0], &offs[0], &w[0], len(offs), n, rows, inStride, outStride, bias)
		return
	}
	if n32 > 0 {
		dwPlane8(&y[0], &x[0], &offs[0], &w[0], len(offs), n32, rows, inStride, outStride, bias)
	}
	pairs := rows &^ 1
	dwPlane8x2(&y[n32], &x[n32], &offs[0], &w[0], len(offs), n-n32, pairs, inStride, outStride, bias)
	if pairs < rows {
		dwPlane8(&y[pairs*outStride+n32], &x[pairs*inStride+n32], &offs[0], &w[0], len(offs), n-n32, 1, inStride, outStride, bias)
	}
}

// dw3Rows reports whether the 9 taps offs are three kernel rows of three
// taps, each row inStride after the one before (stride and dilation 1
// vertically), the layout dw9x2 shares input rows in.
func dw3Rows(offs []int, inStride int) bool {
	for t := 3; t < 9; t++ {
		if offs[t] != offs[t-3]+inStride {
			return false
		}
	}
	return true
}

// AVX-512 clamp (kern_amd64.s): n floats, n a multiple of 8.

//go:noescape
func clampAVX512(v *float32, n int, lo, hi float32)

func init() {
	registerClamp(PathAVX2, clampAVX2)
	registerClamp(PathAVX512, clampAVX512)
}

// registerClamp registers k as path's clampVec on the leading multiple of
// 8 elements. (The other activations' vector kernels are the tile kernels
// of act_tile_amd64.go.)
func registerClamp(path string, k func(v *float32, n int, lo, hi float32)) {
	registerKernel(&clampVec, path, func(v []float32, lo, hi float32) int {
		n := len(v) &^ 7
		if n > 0 {
			k(&v[0], n, lo, hi)
		}
		return n
	})
}
