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
	// Two inputs: uniform on [-6, 6] (a wide range: every kernel branch,
	// GELU's erfc path on most vectors) and standard normal (normalized
	// activations: GELU's table path on nearly every vector).
	wide := randSlice(r, 4096)
	for i := range wide {
		wide[i] *= 6
	}
	normal := make([]float32, 4096)
	for i := range normal {
		normal[i] = float32(r.NormFloat64())
	}
	v := make([]float32, len(wide))
	for _, a := range allActs {
		for _, in := range []struct {
			name string
			src  []float32
		}{{"uniform6", wide}, {"normal", normal}} {
			b.Run(fmt.Sprintf("%v/%s", a.act, in.name), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				start := threadCPU()
				for b.Loop() {
					copy(v, in.src)
					ApplyAct(v, a.act, a.alpha, a.beta)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(v)), "ns/elem")
				if start >= 0 {
					b.ReportMetric(float64((threadCPU()-start).Nanoseconds())/float64(b.N)/float64(len(v)), "cpu-ns/elem")
				}
			})
		}
	}
}
