package engine

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// repvggBlockModel is one RepVGG block on x [1, C, H, W] as timm exports
// it: the training form Relu(BN(x) + BN(Conv1x1(x)) + BN(Conv3x3(x))) with
// bias-free convolutions, or the deploy form Relu(Conv3x3(x) + b).
func repvggBlockModel(C, H, W int, train bool) *ir.Model {
	r := rand.New(rand.NewSource(8))
	m, g := newModel()
	c, h, w := int64(C), int64(H), int64(W)
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, c, h, w))
	k := func(name string, n int) *ir.Value { return g.AddConst(name, ir.NewFloat32(ints64(c), randF32(r, n))) }
	bn := func(name string, in *ir.Value) *ir.Value {
		vr := randF32(r, C)
		for i := range vr {
			vr[i] = 0.5 + vr[i]*vr[i]
		}
		return g.AddNode("BatchNormalization", name, []*ir.Value{in, k(name+"_s", C), k(name+"_b", C), k(name+"_m", C),
			g.AddConst(name+"_v", ir.NewFloat32(ints64(c), vr))}, name+"_y").Outputs[0]
	}
	conv := func(name string, K int64, bias bool) *ir.Value {
		ins := []*ir.Value{x, g.AddConst(name+"_w", ir.NewFloat32(ints64(c, c, K, K), randF32(r, C*C*int(K*K))))}
		if bias {
			ins = append(ins, k(name+"_b", C))
		}
		n := g.AddNode("Conv", name, ins, name+"_y")
		p := K / 2
		n.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{p, p, p, p}})
		return n.Outputs[0]
	}
	var y *ir.Value
	if train {
		id := bn("bnid", x)
		one := bn("bn1", conv("conv1", 1, false))
		three := bn("bn3", conv("conv3", 3, false))
		s := g.AddNode("Add", "add1", []*ir.Value{one, three}, "s1").Outputs[0]
		y = g.AddNode("Add", "add2", []*ir.Value{s, id}, "s2").Outputs[0]
	} else {
		y = conv("conv3", 3, true)
	}
	g.AddOutput(g.AddNode("Relu", "relu", []*ir.Value{y}, "out").Outputs[0])
	return m
}

// BenchmarkRepVGGBlockForms runs a RepVGG-A0 stage-2 block (96 channels,
// 28x28) in its training and deploy forms, 1 thread, on package kernels;
// GFLOP/s counts the 3x3 convolution's FLOPs only, so the two forms are
// comparable (the training form also does a 1x1 conv and three BNs).
func BenchmarkRepVGGBlockForms(b *testing.B) {
	const C, H, W = 96, 28, 28
	for _, train := range []bool{true, false} {
		b.Run(fmt.Sprintf("train=%v", train), func(b *testing.B) {
			p, err := compileFull(repvggBlockModel(C, H, W, train), Options{Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			in := map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, C, H, W), randF32(rand.New(rand.NewSource(1)), C*H*W))}
			benchRunInto(b, p, in)
			b.ReportMetric(2*float64(C*C*9*H*W)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
