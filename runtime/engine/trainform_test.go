package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestTrainFormBlockOnKernels builds a RepVGG training-form block as
// PyTorch exports it: y = Relu(BN1(Conv3x3(x)) + BN2(Conv1x1(x)) + BN3(x)),
// both convolutions without bias. Each convolution and the BatchNormalization
// after it must run as one step on package kernels, not on the plain
// reference path (the metrics team measured such convs 15x slower when they
// fell off the fast path), and the result must match a direct float64
// computation. Whatever the order of the branches in the node list (timm's:
// identity BN, 1x1, 3x3, as in the exported RepVGG-A0; or 3x3 first) and of
// the Adds' operands, runtime.Compile's graph passes collapse the three
// branches into one Conv and its lowering fuses the Relu: 1 step, no BN, Add
// or Relu step. (The lowering alone, which fuses the residual Adds whatever
// the orders, is tested in package runtime: TestLowerResidualOrder.)
func TestTrainFormBlockOnKernels(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	const C, H, W = 8, 9, 7
	xv := randF32(r, C*H*W)
	w3, w1 := randF32(r, C*C*9), randF32(r, C*C)
	type bnp struct{ s, b, mean, vr []float32 }
	mk := func() bnp {
		p := bnp{randF32(r, C), randF32(r, C), randF32(r, C), make([]float32, C)}
		for i := range p.vr {
			p.vr[i] = 0.25 + r.Float32()
		}
		return p
	}
	bn := [3]bnp{mk(), mk(), mk()}
	for _, tc := range []struct {
		fast, timmOrder, swapped bool
		steps                    int
	}{
		{false, true, false, 1}, {true, true, false, 1}, {false, false, false, 1}, {true, false, false, 1},
		{false, true, true, 1}, {true, true, true, 1}, {false, false, true, 1}, {true, false, true, 1},
	} {
		fast := tc.fast
		t.Run(fmt.Sprintf("kernels=%v/timm_order=%v/swapped_add_operands=%v", fast, tc.timmOrder, tc.swapped), func(t *testing.T) {
			useKernels = fast
			defer func() { useKernels = true }()
			m, g := newModel()
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
			addBN := func(name string, in *ir.Value, p bnp) *ir.Value {
				return g.AddNode("BatchNormalization", name, []*ir.Value{in,
					g.AddConst(name+"_s", ir.NewFloat32(ints64(C), p.s)), g.AddConst(name+"_b", ir.NewFloat32(ints64(C), p.b)),
					g.AddConst(name+"_m", ir.NewFloat32(ints64(C), p.mean)), g.AddConst(name+"_v", ir.NewFloat32(ints64(C), p.vr))}, name+"_y").Outputs[0]
			}
			conv3 := func() *ir.Value {
				c3 := g.AddNode("Conv", "conv3", []*ir.Value{x, g.AddConst("w3", ir.NewFloat32(ints64(C, C, 3, 3), w3))}, "c3")
				c3.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
				return addBN("bn3", c3.Outputs[0], bn[0])
			}
			conv1 := func() *ir.Value {
				c1 := g.AddNode("Conv", "conv1", []*ir.Value{x, g.AddConst("w1", ir.NewFloat32(ints64(C, C, 1, 1), w1))}, "c1")
				return addBN("bn1", c1.Outputs[0], bn[1])
			}
			// add adds its operands in the given order, or swapped.
			add := func(name string, p, q *ir.Value) *ir.Node {
				if tc.swapped {
					p, q = q, p
				}
				return g.AddNode("Add", name, []*ir.Value{p, q}, name+"_y")
			}
			var a2 *ir.Node
			if tc.timmOrder {
				// timm: id = BN(x); y = conv_1x1(x) ... + conv_kxk(x) + id
				bi := addBN("bnid", x, bn[2])
				b1 := conv1()
				b3 := conv3()
				a1 := add("add1", b1, b3)
				a2 = add("add2", a1.Outputs[0], bi)
			} else {
				b3 := conv3()
				b1 := conv1()
				bi := addBN("bnid", x, bn[2])
				a1 := add("add1", b3, b1)
				a2 = add("add2", a1.Outputs[0], bi)
			}
			y := g.AddNode("Relu", "relu", []*ir.Value{a2.Outputs[0]}, "y")
			g.AddOutput(y.Outputs[0])
			p := mustCompile(t, m, Options{Threads: 2})
			convs := 0
			for _, s := range p.steps {
				if s.node == nil {
					continue
				}
				switch s.node.OpType {
				case "Conv", "FusedConv":
					convs++
					if s.kernels != fast {
						t.Errorf("Conv %q: on package kernels = %v, want %v", s.node.Name, s.kernels, fast)
					}
				default:
					t.Errorf("%s %q runs as its own step; want it fused into a Conv epilogue", s.node.OpType, s.node.Name)
				}
			}
			// One conv (the three branches collapsed) with the Relu fused.
			if convs != 1 || len(p.steps) != tc.steps {
				t.Errorf("%d steps with %d Conv, want %d steps with 1 Conv", len(p.steps), convs, tc.steps)
			}
			out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, C, H, W), xv)})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := out["y"].Float32s()
			r3, _, _ := refConv(xv, 1, C, H, W, w3, C, 3, 3, nil, 1, 1, 1)
			r1, _, _ := refConv(xv, 1, C, H, W, w1, C, 1, 1, nil, 1, 0, 1)
			norm := func(v float32, ch int, p bnp) float64 {
				return (float64(v)-float64(p.mean[ch]))/math.Sqrt(float64(p.vr[ch])+1e-5)*float64(p.s[ch]) + float64(p.b[ch])
			}
			want := make([]float32, C*H*W)
			for i := range want {
				ch := i / (H * W)
				z := norm(r3[i], ch, bn[0]) + norm(r1[i], ch, bn[1]) + norm(xv[i], ch, bn[2])
				want[i] = float32(math.Max(z, 0))
			}
			maxDiff(t, got, want, 1e-5, 1e-4)
		})
	}
}
