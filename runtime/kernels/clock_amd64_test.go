//go:build amd64 && !purego

package kernels

import (
	"runtime"
	"sync"
)

var (
	clockOnce sync.Once
	clockGHz  float64
)

// coreGHz estimates the core clock from a chain of dependent integer adds
// (one cycle each) timed with the thread's CPU time; 0 if unavailable.
func coreGHz() float64 {
	clockOnce.Do(func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		const n = 20_000_000
		best := 0.0
		for i := 0; i < 5; i++ {
			t0 := threadCPU()
			addChain(n)
			d := threadCPU() - t0
			if t0 < 0 || d <= 0 {
				return
			}
			best = max(best, 8*n/d.Seconds()/1e9)
		}
		clockGHz = best
	})
	return clockGHz
}

// peakGFLOPS is the single-core FP32 peak the AVX2 kernels can reach:
// clock x 2 FMA pipes x 8 lanes x 2 flops (two 256-bit FMA pipes, as on
// AMD Zen 2-4 and Intel since Haswell).
func peakGFLOPS() float64 {
	if Kernel != "avx2-fma" {
		return 0
	}
	return coreGHz() * 2 * 8 * 2
}
