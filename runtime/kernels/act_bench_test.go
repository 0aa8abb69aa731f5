package kernels

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
)

// BenchmarkApplyAct: ns per element of the fused-epilogue activations, per
// kernel path.
func BenchmarkApplyAct(b *testing.B) { benchPaths(b, benchApplyAct) }

func benchApplyAct(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	src := randSlice(r, 4096)
	for i := range src {
		src[i] *= 6
	}
	v := make([]float32, len(src))
	for _, a := range allActs {
		b.Run(fmt.Sprint(a.act), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU()
			for b.Loop() {
				copy(v, src)
				ApplyAct(v, a.act, a.alpha, a.beta)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(v)), "ns/elem")
			if start >= 0 {
				b.ReportMetric(float64((threadCPU()-start).Nanoseconds())/float64(b.N)/float64(len(v)), "cpu-ns/elem")
			}
		})
	}
}
