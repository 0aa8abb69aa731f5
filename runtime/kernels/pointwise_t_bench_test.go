package kernels

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
)

// packPointwiseAs packs the pointwise convolution p in the given
// orientation, whatever usePointwiseT says.
func packPointwiseAs(p *ConvParams, w []float32, transposed bool) *PackedConv {
	pk := PackConvWeights(p, w)
	if transposed {
		packPointwiseT(pk, w)
		return pk
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	pk.kind, pk.a, pk.bt = convPointwise, nil, nil
	for g := 0; g < p.Group; g++ {
		pk.a = append(pk.a, PackA(false, mg, cg, w[g*mg*cg:(g+1)*mg*cg], cg))
	}
	return pk
}

// pointwiseShapes are the 1x1 convolutions on small planes of
// EfficientNet-B0, MobileNetV3/V4, LCNet and the like (M outputs, K
// inputs, plane side), batch 1.
var pointwiseShapes = []struct{ m, k, side int }{
	{1152, 192, 7}, {320, 1152, 7}, {192, 1152, 7}, {1280, 320, 7}, {960, 128, 7}, {128, 512, 7},
	{576, 96, 7}, {96, 576, 7}, {48, 288, 7}, {32, 128, 7},
	{672, 112, 14}, {112, 672, 14}, {480, 80, 14}, {80, 480, 14}, {40, 240, 14}, {256, 256, 14},
	{240, 40, 28}, {40, 240, 28}, {128, 128, 28},
}

// BenchmarkPointwiseOrientation times each pointwise shape in the plain
// (Y = W X) and the transposed (Y^T = X^T W^T) orientation, one thread,
// bias + ReLU (in the micro-kernel) or bias + SiLU (a pass after it): the
// measurements behind usePointwiseT.
func BenchmarkPointwiseOrientation(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		for _, s := range pointwiseShapes {
			for _, tr := range []bool{false, true} {
				for _, act := range []Act{ActRelu, ActSiLU} {
					b.Run(fmt.Sprintf("m%d_k%d_%dx%d/%v/t=%v", s.m, s.k, s.side, s.side, act, tr), func(b *testing.B) {
						p := convCase(1, s.k, s.side, s.side, s.m, 1, 1, 1, 1, 0, 1)
						p.Act = act
						r := rand.New(rand.NewSource(1))
						x := randSlice(r, p.C*p.H*p.W)
						w := randSlice(r, p.M*p.C)
						bias := randSlice(r, p.M)
						y := make([]float32, p.M*p.OH*p.OW)
						na, nct := pointwiseTSizes(&p)
						ws := make([]float32, max(na+nct, packBSize(&p, p.OH*p.OW)))
						pk := packPointwiseAs(&p, w, tr)
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						Conv2D(&p, pk, x, bias, nil, y, ws, 1)
						b.ResetTimer()
						start := threadCPU()
						for b.Loop() {
							Conv2D(&p, pk, x, bias, nil, y, ws, 1)
						}
						report(b, p.FLOPs(), 1, start)
					})
				}
			}
		}
	})
}
