package kernels

import (
	"math/rand"
	"runtime"
	"testing"
)

// benchDepthwise are depthwise shapes of MobileNetV4-conv-small,
// EfficientNet-B0, MobileNetV2, FastViT and StarNet (batch 1, 224x224
// input) on which mconv trailed ONNX Runtime (issue 11).
var benchDepthwise = []struct {
	name string
	p    ConvParams
}{
	{"MNV4S_dw3x3s2_14_576", convCase(1, 576, 14, 14, 576, 3, 3, 2, 1, 1, 576)},
	{"MNV4S_dw5x5s2_28_192", convCase(1, 192, 28, 28, 192, 5, 5, 2, 1, 2, 192)},
	{"MNV4S_dw5x5s1_7_512", convCase(1, 512, 7, 7, 512, 5, 5, 1, 1, 2, 512)},
	{"EffB0_dw5x5s2_14_672", convCase(1, 672, 14, 14, 672, 5, 5, 2, 1, 2, 672)},
	{"EffB0_dw5x5s1_7_1152", convCase(1, 1152, 7, 7, 1152, 5, 5, 1, 1, 2, 1152)},
	{"EffB0_dw3x3s2_28_240", convCase(1, 240, 28, 28, 240, 3, 3, 2, 1, 1, 240)},
	{"EffB0_dw5x5s1_28_240", convCase(1, 240, 28, 28, 240, 5, 5, 1, 1, 2, 240)},
	{"EffB0_dw3x3s2_112_96", convCase(1, 96, 112, 112, 96, 3, 3, 2, 1, 1, 96)},
	{"MNV2_dw3x3s1_7_960", convCase(1, 960, 7, 7, 960, 3, 3, 1, 1, 1, 960)},
	{"MNV2_dw3x3s1_14_384", convCase(1, 384, 14, 14, 384, 3, 3, 1, 1, 1, 384)},
	{"MNV2_dw3x3s1_28_192", convCase(1, 192, 28, 28, 192, 3, 3, 1, 1, 1, 192)},
	{"MNV2_dw3x3s1_56_144", convCase(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 144)},
	{"MNV2_dw3x3s2_56_144", convCase(1, 144, 56, 56, 144, 3, 3, 2, 1, 1, 144)},
	{"FastViT_dw7x7s1_7_384", convCase(1, 384, 7, 7, 384, 7, 7, 1, 1, 3, 384)},
	{"FastViT_dw7x7s1_14_192", convCase(1, 192, 14, 14, 192, 7, 7, 1, 1, 3, 192)},
	{"FastViT_dw7x7s1_28_96", convCase(1, 96, 28, 28, 96, 7, 7, 1, 1, 3, 96)},
	{"FastViT_dw7x7s1_56_48", convCase(1, 48, 56, 56, 48, 7, 7, 1, 1, 3, 48)},
}

// BenchmarkDepthwise reports cpuGFLOP/s (2 x MACs, one thread; bias +
// ReLU epilogue not counted) of the depthwise shapes above on every
// kernel path, on the plane path ("planes"), the channel-blocked one
// ("blocked") and the one the rule picks ("rule").
func BenchmarkDepthwise(b *testing.B) { benchPaths(b, benchDepthwiseShapes) }

func benchDepthwiseShapes(b *testing.B) {
	for _, c := range benchDepthwise {
		for _, pol := range []int{-1, 1, 0} {
			name := map[int]string{-1: "planes", 1: "blocked", 0: "rule"}[pol]
			b.Run(c.name+"/"+name, func(b *testing.B) { benchDepthwiseShape(b, c.p, pol) })
		}
	}
}

func benchDepthwiseShape(b *testing.B, p ConvParams, pol int) {
	old := dwBlockedPolicy
	dwBlockedPolicy = pol
	defer func() { dwBlockedPolicy = old }()
	{
		{
			p.Act = ActRelu
			r := rand.New(rand.NewSource(1))
			x := randSlice(r, p.N*p.C*p.H*p.W)
			w := randSlice(r, p.M*p.KH*p.KW)
			bias := randSlice(r, p.M)
			y := make([]float32, p.N*p.M*p.OH*p.OW)
			ws := make([]float32, WorkspaceSize(&p))
			pk := PackConvWeights(&p, w)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			Conv2D(&p, pk, x, bias, nil, y, ws, 1)
			b.ResetTimer()
			start := threadCPU()
			for b.Loop() {
				Conv2D(&p, pk, x, bias, nil, y, ws, 1)
			}
			report(b, p.FLOPs(), 1, start)
		}
	}
}
