//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestDW9x2 checks the two-row 3x3 depthwise kernel (dwKernelAVX2 on a
// stride-1 tap layout) against dw9 one row at a time bit for bit (the
// same operations per element), against the Go kernel within rounding,
// and that y is left alone past n and between rows, for every row count
// parity and row length class.
func TestDW9x2(t *testing.T) {
	if cpuLevel < 1 {
		t.Logf("kernel path avx2 not supported by this CPU: dw9x2 not tested here")
		return
	}
	r := rand.New(rand.NewSource(21))
	for _, rows := range []int{2, 3, 4, 5, 8} {
		for _, n := range []int{1, 3, 4, 6, 7, 8, 9, 13, 16, 28, 31, 56, 112} {
			inStride, outStride := roundUp(n, 8)+2+r.Intn(5), n+r.Intn(3)
			off := r.Intn(4)
			offs := make([]int, 9)
			for kh := 0; kh < 3; kh++ {
				for kw := 0; kw < 3; kw++ {
					offs[kh*3+kw] = off + kh*inStride + kw
				}
			}
			if !dw3Rows(offs, inStride) {
				t.Fatalf("offsets %v (inStride %d) not taken by dw9x2", offs, inStride)
			}
			x := randSlice(r, (rows+2)*inStride+off+2+roundUp(n, 8))
			w := randSlice(r, 9)
			got, want, ref := make([]float32, rows*outStride+8), make([]float32, rows*outStride+8), make([]float32, rows*outStride+8)
			for i := range got {
				got[i], want[i], ref[i] = 42, 42, 42
			}
			dwKernelAVX2(got, x, offs, w, n, rows, inStride, outStride, 0.25)
			for i := 0; i < rows; i++ {
				dw9(&want[i*outStride], &x[i*inStride], &offs[0], &w[0], n, 1, inStride, outStride, 0.25)
			}
			what := fmt.Sprintf("rows=%d n=%d", rows, n)
			sameBits(t, what+": dw9x2 vs dw9", got, want)
			dwKernelGo(ref, x, offs, w, n, rows, inStride, outStride, 0.25)
			closeTo(t, what+": dw9x2 vs Go", got, ref, 9)
		}
	}
}

// TestDWPlane8x2 checks dwKernelAVX2 on tap counts other than 9 (32-column
// blocks in dwPlane8, the rest on pairs of rows in dwPlane8x2) against
// dwPlane8 one row at a time bit for bit, and that y is left alone past n
// and between rows.
func TestDWPlane8x2(t *testing.T) {
	if cpuLevel < 1 {
		t.Logf("kernel path avx2 not supported by this CPU: dwPlane8x2 not tested here")
		return
	}
	r := rand.New(rand.NewSource(22))
	for _, taps := range []int{1, 3, 4, 5, 25, 49, 70} {
		for _, rows := range []int{2, 3, 5} {
			for _, n := range []int{1, 5, 7, 8, 13, 14, 28, 31, 32, 33, 56, 63, 64, 70} {
				const inStride, outStride = 120, 75
				x, w, offs, want, got := dwPlaneCase(r, taps, n, rows, inStride, outStride)
				dwKernelAVX2(got, x, offs, w, n, rows, inStride, outStride, 0.25)
				for i := 0; i < rows; i++ {
					dwPlane8(&want[i*outStride], &x[i*inStride], &offs[0], &w[0], taps, n, 1, inStride, outStride, 0.25)
				}
				sameBits(t, fmt.Sprintf("taps=%d rows=%d n=%d: dwPlane8x2 vs dwPlane8", taps, rows, n), got, want)
			}
		}
	}
}
