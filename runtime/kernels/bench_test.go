package kernels

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"
)

// report adds GFLOP/s from wall time and, for one thread, "cpuGFLOP/s"
// from the thread's CPU time (start is threadCPU() before the loop; the
// goroutine is locked to its thread). On a loaded machine the latter is
// the kernel's speed when it has a core.
func report(b *testing.B, flops float64, threads int, start time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if threads == 1 && start >= 0 {
		if d := threadCPU() - start; d > 0 {
			g := flops * float64(b.N) / d.Seconds() / 1e9
			b.ReportMetric(g, "cpuGFLOP/s")
			if pk := peakGFLOPS(); pk > 0 {
				b.ReportMetric(100*g/pk, "%peak")
			}
		}
	}
}

// benchPaths runs fn as a sub-benchmark per supported kernel path (the
// path named in the sub-benchmark's name), restoring the selected one.
func benchPaths(b *testing.B, fn func(b *testing.B)) {
	for _, name := range KernelPaths() {
		prev, err := SetKernelPath(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, fn)
		SetKernelPath(prev)
	}
}

// BenchmarkPeak reports, per SIMD kernel path, the measured core clock,
// the vector FMAs the core retires per cycle at the path's width
// (measured: 12 independent chains) and the single-core FP32 peak, clock x
// FMAs per cycle x lanes x 2 flops; cpuGFLOP/s of the other benchmarks is
// reported against the peak of their path as %peak.
func BenchmarkPeak(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			coreGHz()
		}
		if selected == 0 {
			return
		}
		b.ReportMetric(coreGHz(), "GHz")
		b.ReportMetric(fmaPerCycle(selected), "FMA/cycle")
		b.ReportMetric(float64(pathLanes[selected]), "lanes")
		b.ReportMetric(peakGFLOPS(), "peakGFLOP/s")
	})
}

// Convolution shapes from the deploy forms of the networks this project
// targets, batch 1, 224x224 input.
var benchConvs = []struct {
	name string
	p    ConvParams
}{
	{"pw1x1_56x56_64to128", convCase(1, 64, 56, 56, 128, 1, 1, 1, 1, 0, 1)},
	{"MobileOneS0_stem3x3s2_224_3to48", convCase(1, 3, 224, 224, 48, 3, 3, 2, 1, 1, 1)},
	{"MobileOneS0_dw3x3s2_112_48", convCase(1, 48, 112, 112, 48, 3, 3, 2, 1, 1, 48)},
	{"MobileOneS0_dw3x3s1_28_128", convCase(1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 128)},
	{"MobileOneS0_pw1x1_28x28_128to128", convCase(1, 128, 28, 28, 128, 1, 1, 1, 1, 0, 1)},
	{"MobileOneS0_pw1x1_14x14_256to256", convCase(1, 256, 14, 14, 256, 1, 1, 1, 1, 0, 1)},
	{"MobileOneS0_pw1x1_7x7_256to1024", convCase(1, 256, 7, 7, 1024, 1, 1, 1, 1, 0, 1)},
	{"MobileNetV3_dw3x3s1_112_16", convCase(1, 16, 112, 112, 16, 3, 3, 1, 1, 1, 16)},
	{"MobileNetV3_dw5x5s2_56_72", convCase(1, 72, 56, 56, 72, 5, 5, 2, 1, 2, 72)},
	{"MobileNetV3_dw5x5s1_28_120", convCase(1, 120, 28, 28, 120, 5, 5, 1, 1, 2, 120)},
	{"FastViTT8_dw7x7s1_56_48", convCase(1, 48, 56, 56, 48, 7, 7, 1, 1, 3, 48)},
	{"MobileNetV3_pw1x1_56x56_24to72", convCase(1, 24, 56, 56, 72, 1, 1, 1, 1, 0, 1)},
	{"MobileNetV3_pw1x1_14x14_80to480", convCase(1, 80, 14, 14, 480, 1, 1, 1, 1, 0, 1)},
	{"MobileNetV3_pw1x1_7x7_160to960", convCase(1, 160, 7, 7, 960, 1, 1, 1, 1, 0, 1)},
	{"RepVGGA0_3x3_56x56_48to48", convCase(1, 48, 56, 56, 48, 3, 3, 1, 1, 1, 1)},
	{"RepVGGA0_3x3_28x28_96to96", convCase(1, 96, 28, 28, 96, 3, 3, 1, 1, 1, 1)},
	{"RepVGGA0_3x3_14x14_192to192", convCase(1, 192, 14, 14, 192, 3, 3, 1, 1, 1, 1)},
	{"MobileNetV4S_stem3x3s2_224_3to32", convCase(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1)},
	{"MobileNetV4S_3x3s2_112_32to32", convCase(1, 32, 112, 112, 32, 3, 3, 2, 1, 1, 1)},
	{"MobileNetV4S_3x3s2_56_32to96", convCase(1, 32, 56, 56, 96, 3, 3, 2, 1, 1, 1)},
	{"EfficientFormerV2S0_pw1x1_56x56_32to128", convCase(1, 32, 56, 56, 128, 1, 1, 1, 1, 0, 1)},
	{"EfficientFormerV2S0_pw1x1_56x56_128to32", convCase(1, 128, 56, 56, 32, 1, 1, 1, 1, 0, 1)},
	{"HGNetV2B0_stem3x3s2_112_32to16", convCase(1, 32, 112, 112, 16, 3, 3, 2, 1, 1, 1)},
	{"RepVGGA0_3x3s2_14x14_192to1280", convCase(1, 192, 14, 14, 1280, 3, 3, 2, 1, 1, 1)},
}

// BenchmarkConv2D reports GFLOP/s (2 x MACs, epilogue bias + ReLU not
// counted) per shape and thread count.
func BenchmarkConv2D(b *testing.B) { benchPaths(b, benchConv2D) }

func benchConv2D(b *testing.B) {
	for _, c := range benchConvs {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", c.name, th), func(b *testing.B) {
				p := c.p
				p.Act = ActRelu
				benchConv(b, p, th)
			})
		}
	}
}

// benchConv times Conv2D of p (random data, a bias, p's activation) with
// th threads and reports its GFLOP/s.
func benchConv(b *testing.B, p ConvParams, th int) {
	r := rand.New(rand.NewSource(1))
	x := randSlice(r, p.N*p.C*p.H*p.W)
	w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
	bias := randSlice(r, p.M)
	y := make([]float32, p.N*p.M*p.OH*p.OW)
	ws := make([]float32, WorkspaceSize(&p))
	pk := PackConvWeights(&p, w)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	Conv2D(&p, pk, x, bias, nil, y, ws, th)
	b.ReportAllocs()
	b.ResetTimer()
	start := threadCPU()
	for b.Loop() {
		Conv2D(&p, pk, x, bias, nil, y, ws, th)
	}
	report(b, p.FLOPs(), th, start)
}

// BenchmarkGemm: square-ish GEMMs and the classifier layer (1 x 1280 ->
// 1000, packed weights: GemmPackedB and Gemv), weights in cache (see
// BenchmarkGemvCold for them out of cache).
func BenchmarkGemm(b *testing.B) { benchPaths(b, benchGemm) }

func benchGemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{256, 256, 256}, {512, 512, 512}, {128, 3136, 64}} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s.m, s.n, s.k, th), func(b *testing.B) {
				r := rand.New(rand.NewSource(1))
				A, B, C := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				start := threadCPU()
				for b.Loop() {
					Gemm(false, false, s.m, s.n, s.k, 1, A, s.k, B, s.n, 0, C, s.n, th)
				}
				report(b, 2*float64(s.m*s.n*s.k), th, start)
			})
		}
	}
	b.Run("fc_1x1280to1000_packed", func(b *testing.B) {
		r := rand.New(rand.NewSource(1))
		x, W, y := randSlice(r, 1280), randSlice(r, 1000*1280), make([]float32, 1000)
		pb := PackB(true, 1280, 1000, W, 1280)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := threadCPU()
		for b.Loop() {
			GemmPackedB(false, 1, 1, x, 1280, pb, 0, y, 1000, nil, 1)
		}
		report(b, 2*1280*1000, 1, start)
	})
	b.Run("fc_1x1280to1000_gemv", func(b *testing.B) {
		r := rand.New(rand.NewSource(1))
		x, W, y := randSlice(r, 1280), randSlice(r, 1000*1280), make([]float32, 1000)
		pg := PackGemv(true, 1280, 1000, W, 1280)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := threadCPU()
		for b.Loop() {
			Gemv(pg, x, y, nil, 1)
		}
		report(b, 2*1280*1000, 1, start)
	})
}

// BenchmarkMicroKernel measures the micro-kernels alone on L1-resident
// panels, per kernel path: the ceiling for everything above. "6x16" is
// microKernel, "wide12x32" the path's wide kernel (where it has one).
func BenchmarkMicroKernel(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		r := rand.New(rand.NewSource(1))
		const k = 256
		a, bb, c := randSlice(r, 2*k*mr), randSlice(r, 2*k*nr), make([]float32, 4*mr*nr)
		b.Run("6x16", func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU()
			for b.Loop() {
				microKernel(k, a, bb, c, nr, 0, nil, 0, 0)
			}
			report(b, 2*mr*nr*k, 1, start)
		})
		if wideKernel == nil {
			return
		}
		b.Run("wide12x32", func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU()
			for b.Loop() {
				wideKernel(2*mr, 2*nr, k, a, bb, c, 2*nr, 0, nil, 0, 0)
			}
			report(b, 2*2*mr*2*nr*k, 1, start)
		})
	})
}

// BenchmarkPackAPanel packs a row-major left operand into mr-row panels
// per kc block, as a GEMM with an unpacked A (activations: LeViT's
// linear layers, attention) does on every call: ns per element.
func BenchmarkPackAPanel(b *testing.B) {
	for _, s := range []struct{ m, k int }{{196, 128}, {196, 16}, {49, 256}} {
		b.Run(fmt.Sprintf("%dx%d", s.m, s.k), func(b *testing.B) {
			A := randSlice(rand.New(rand.NewSource(1)), s.m*s.k)
			dst := make([]float32, roundUp(s.m, mr)*s.k)
			for b.Loop() {
				packAInto(dst, false, s.m, s.k, A, s.k)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s.m*s.k), "ns/elem")
		})
	}
}
