//go:build amd64 && !purego

package kernels

import (
	"math"
	"runtime"
	"sync"
)

var (
	clockOnce sync.Once
	clockGHz  float64
	fmaOnce   [numPaths]sync.Once
	fmaPorts  [numPaths]float64
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

// fmaPerCycle measures how many vector fused multiply-adds of path l's
// width the core retires per cycle (12 independent chains, best of 5,
// rounded to a whole number: 2 on Zen 2-4 and Intel cores for YMM; for
// ZMM 1 on Zen 4, which splits them into two 256-bit halves, 2 on Intel
// Xeons with two 512-bit FMA units); 0 if unavailable.
func fmaPerCycle(l pathLevel) float64 {
	if l == 0 || !pathSupported(l) || coreGHz() == 0 {
		return 0
	}
	fmaOnce[l].Do(func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		const n = 5_000_000
		best := 0.0
		for i := 0; i < 5; i++ {
			t0 := threadCPU()
			if l == 2 {
				fmaLoop512(n)
			} else {
				fmaLoop256(n)
			}
			d := threadCPU() - t0
			if t0 < 0 || d <= 0 {
				return
			}
			best = max(best, 12*n/d.Seconds()/1e9/coreGHz())
		}
		fmaPorts[l] = math.Round(best)
	})
	return fmaPorts[l]
}

// peakGFLOPS is the single-core FP32 peak of the kernel path in use:
// clock x FMAs per cycle x lanes x 2 flops.
func peakGFLOPS() float64 {
	l := selected
	return coreGHz() * fmaPerCycle(l) * float64(pathLanes[l]) * 2
}
