//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestDepthwiseAVX512 checks the AVX-512 depthwise plane kernels against
// the AVX2 ones bit for bit (same operations per element) and leaves y
// alone past n, on every tap count and row length class, whether or not
// the avx512 path uses them on this CPU (see zmmHalfRate).
func TestDepthwiseAVX512(t *testing.T) {
	if cpuLevel < 2 {
		t.Logf("kernel path avx512 not supported by this CPU: its depthwise kernels not tested here")
		return
	}
	t.Logf("avx512 path uses the AVX-512 depthwise kernels: %v", !zmmHalfRate())
	r := rand.New(rand.NewSource(12))
	for _, taps := range []int{1, 4, 5, 9, 25, 49, 70} {
		for _, n := range []int{1, 7, 8, 13, 15, 16, 17, 24, 29, 31, 32, 33, 40, 48, 56, 64, 112} {
			const rows, inStride, outStride = 3, 180, 130
			x, w, offs, want, got := dwPlaneCase(r, taps, n, rows, inStride, outStride)
			dwKernelAVX2(want, x, offs, w, n, rows, inStride, outStride, 0.25)
			dwKernelAVX512(got, x, offs, w, n, rows, inStride, outStride, 0.25)
			sameBits(t, fmt.Sprintf("dw taps=%d n=%d: avx512 vs avx2", taps, n), got, want)
		}
	}
}
