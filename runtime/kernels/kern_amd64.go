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
func hardSwishAVX2(v *float32, n int)

//go:noescape
func dw9(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride int, bias float32)

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

func init() {
	if hasAVX2FMA() {
		microKernel = kernelAVX2
		microKernel8 = kernelAVX2x8
		dwKernel = dwKernelAVX2
		clampVec = func(v []float32, lo, hi float32) int {
			n := len(v) &^ 7
			if n > 0 {
				clampAVX2(&v[0], n, lo, hi)
			}
			return n
		}
		hardSwishVec = func(v []float32) int {
			n := len(v) &^ 7
			if n > 0 {
				hardSwishAVX2(&v[0], n)
			}
			return n
		}
		deinterleave2Vec = func(even, odd, src []float32) int {
			n := min(len(even), len(odd), len(src)/2) &^ 7
			if n > 0 {
				deinterleave2AVX2(&even[0], &odd[0], &src[0], n)
			}
			return n
		}
		packRowsVec = func(dst, x []float32, offs []int, j0, np int) {
			if np > 0 && len(offs) > 0 {
				_ = dst[np*len(offs)*nr-1]
				packRows16(&dst[0], &x[j0], &offs[0], len(offs), np)
			}
		}
		// The transcendental activations run their tails through a padded
		// vector too, so that an element's result does not depend on where
		// its slice starts (GEMM epilogues split rows by thread).
		geluVec = func(v []float32) int {
			n := len(v) &^ 7
			if n > 0 {
				geluAVX2(&v[0], &v[0], n)
			}
			if n < len(v) {
				var buf [8]float32
				copy(buf[:], v[n:])
				geluAVX2(&buf[0], &buf[0], 8)
				copy(v[n:], buf[:])
			}
			return len(v)
		}
		copyRows = func(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
			if rows <= 0 || n <= 0 {
				return
			}
			_ = dst[(rows-1)*dstStride+n-1]
			_ = src[(rows-1)*srcStride+n-1]
			copyRowsAVX2(&dst[0], dstStride, &src[0], srcStride, rows, n)
		}
		sigmoidVec = func(v []float32, silu bool) int {
			n := len(v) &^ 7
			s := 0
			if silu {
				s = 1
			}
			if n > 0 {
				sigmoidAVX2(&v[0], &v[0], n, s)
			}
			if n < len(v) {
				var buf [8]float32
				copy(buf[:], v[n:])
				sigmoidAVX2(&buf[0], &buf[0], 8, s)
				copy(v[n:], buf[:])
			}
			return len(v)
		}
		Kernel = "avx2-fma"
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
		dw9(&y[0], &x[0], &offs[0], &w[0], n, rows, inStride, outStride, bias)
		return
	}
	dwPlane8(&y[0], &x[0], &offs[0], &w[0], len(offs), n, rows, inStride, outStride, bias)
}
