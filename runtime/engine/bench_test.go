package engine

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// convModel is one Conv (+ optional Relu) on x [1, C, H, W].
func convModel(C, H, W, M, K, stride, group int, relu bool) *ir.Model {
	r := rand.New(rand.NewSource(3))
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, int64(C), int64(H), int64(W)))
	w := g.AddConst("w", ir.NewFloat32(ints64(int64(M), int64(C/group), int64(K), int64(K)), randF32(r, M*C/group*K*K)))
	b := g.AddConst("b", ir.NewFloat32(ints64(int64(M)), randF32(r, M)))
	n := g.AddNode("Conv", "conv", []*ir.Value{x, w, b}, "y")
	p := int64(K / 2)
	n.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{p, p, p, p}})
	n.SetAttr(&ir.Attr{Name: "strides", Type: ir.AttrInts, Ints: []int64{int64(stride), int64(stride)}})
	n.SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: int64(group)})
	out := n.Outputs[0]
	if relu {
		out = g.AddNode("Relu", "relu", []*ir.Value{out}, "r").Outputs[0]
	}
	g.AddOutput(out)
	return m
}

// benchRunInto runs p once to allocate the outputs, then b.N times into
// them with the timer reset (what every benchmark here times).
func benchRunInto(b *testing.B, p *Plan, in map[string]*ir.Tensor) {
	b.Helper()
	out, err := p.Run(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.RunInto(in, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConv measures single convolutions of mobile-network sizes with
// the plain Go path and package kernels, reporting GFLOP/s (2 FLOPs per
// multiply-add).
func BenchmarkConv(b *testing.B) {
	cases := []struct {
		name                       string
		C, H, W, M, K, stride, grp int
	}{
		{"3x3_64x56x56_to64", 64, 56, 56, 64, 3, 1, 1},
		{"1x1_64x56x56_to256", 64, 56, 56, 256, 1, 1, 1},
		{"3x3s2_3x224x224_to32", 3, 224, 224, 32, 3, 2, 1},
		{"dw3x3_96x112x112", 96, 112, 112, 96, 3, 1, 96},
		{"dw3x3s2_144x56x56", 144, 56, 56, 144, 3, 2, 144},
		{"1x1_320x7x7_to1280", 320, 7, 7, 1280, 1, 1, 1},
	}
	for _, tc := range cases {
		for _, fast := range []bool{false, true} {
			for _, th := range []int{1, 2} {
				name := fmt.Sprintf("%s/plain/threads=%d", tc.name, th)
				if fast {
					name = fmt.Sprintf("%s/kernels/threads=%d", tc.name, th)
				}
				b.Run(name, func(b *testing.B) {
					useKernels = fast
					defer func() { useKernels = true }()
					m := convModel(tc.C, tc.H, tc.W, tc.M, tc.K, tc.stride, tc.grp, true)
					p, err := compileFull(m, Options{Threads: th})
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					in := map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, int64(tc.C), int64(tc.H), int64(tc.W)), randF32(rand.New(rand.NewSource(1)), tc.C*tc.H*tc.W))}
					o := p.Outputs()[0].Shape
					flops := 2 * float64(o[1]*o[2]*o[3]) * float64(tc.C/tc.grp*tc.K*tc.K)
					benchRunInto(b, p, in)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkGemm measures fully connected layers (Gemm with transB, bias)
// on both paths, reporting GFLOP/s.
func BenchmarkGemm(b *testing.B) {
	for _, tc := range []struct{ M, N, K int }{{1, 1000, 1280}, {8, 1000, 1280}, {64, 256, 256}} {
		for _, fast := range []bool{false, true} {
			for _, th := range []int{1, 2} {
				path := "plain"
				if fast {
					path = "kernels"
				}
				b.Run(fmt.Sprintf("%dx%dx%d/%s/threads=%d", tc.M, tc.N, tc.K, path, th), func(b *testing.B) {
					useKernels = fast
					defer func() { useKernels = true }()
					r := rand.New(rand.NewSource(4))
					m, g := newModel()
					a := g.AddInput("a", ir.TensorOf(ir.Float32, int64(tc.M), int64(tc.K)))
					w := g.AddConst("w", ir.NewFloat32(ints64(int64(tc.N), int64(tc.K)), randF32(r, tc.N*tc.K)))
					bias := g.AddConst("b", ir.NewFloat32(ints64(int64(tc.N)), randF32(r, tc.N)))
					n := g.AddNode("Gemm", "fc", []*ir.Value{a, w, bias}, "y")
					n.SetAttr(&ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
					g.AddOutput(n.Outputs[0])
					p, err := compileFull(m, Options{Threads: th})
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					in := map[string]*ir.Tensor{"a": ir.NewFloat32(ints64(int64(tc.M), int64(tc.K)), randF32(r, tc.M*tc.K))}
					benchRunInto(b, p, in)
					b.ReportMetric(2*float64(tc.M*tc.N*tc.K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkElementwise measures a broadcast Mul (Squeeze-and-Excite scaling)
// and a HardSwish on a 1x96x56x56 tensor, reporting GB/s of output.
func BenchmarkElementwise(b *testing.B) {
	for _, op := range []string{"Mul", "HardSwish"} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", op, th), func(b *testing.B) {
				r := rand.New(rand.NewSource(6))
				m, g := newModel()
				x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 96, 56, 56))
				ins := []*ir.Value{x}
				if op == "Mul" {
					ins = append(ins, g.AddInput("s", ir.TensorOf(ir.Float32, 1, 96, 1, 1)))
				}
				g.AddOutput(g.AddNode(op, "op", ins, "y").Outputs[0])
				p, err := compileFull(m, Options{Threads: th})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				in := map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, 96, 56, 56), randF32(r, 96*56*56)), "s": ir.NewFloat32(ints64(1, 96, 1, 1), randF32(r, 96))}
				if op != "Mul" {
					delete(in, "s")
				}
				benchRunInto(b, p, in)
				b.ReportMetric(4*96*56*56*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkAttentionRowOps times the small row ops of EfficientViT-B0's
// ReLU linear attention on its [1, 8, 196, 16] values: Pad of the last
// axis by one column of ones, and Div by a per-row [1, 8, 196, 1] divisor
// (the plan's steps only).
func BenchmarkAttentionRowOps(b *testing.B) {
	shape := ints64(1, 8, 196, 16)
	for _, op := range []string{"Pad", "Div"} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", op, th), func(b *testing.B) {
				r := rand.New(rand.NewSource(7))
				m, g := newModel()
				x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
				in := map[string]*ir.Tensor{"x": ir.NewFloat32(shape, randF32(r, 8*196*16))}
				var n *ir.Node
				if op == "Pad" {
					n = g.AddNode("Pad", "op", []*ir.Value{x, g.AddConst("pads", ir.NewInt64(ints64(8), []int64{0, 0, 0, 0, 0, 0, 0, 1})), g.AddConst("v", ir.NewFloat32(nil, []float32{1}))}, "y")
				} else {
					d := g.AddInput("d", ir.TensorOf(ir.Float32, 1, 8, 196, 1))
					in["d"] = ir.NewFloat32(ints64(1, 8, 196, 1), randF32(r, 8*196))
					n = g.AddNode("Div", "op", []*ir.Value{x, d}, "y")
				}
				g.AddOutput(n.Outputs[0])
				p, err := compileFull(m, Options{Threads: th})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Run(in); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for _, s := range p.steps {
						s.run()
					}
				}
			})
		}
	}
}
