package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestConvActivationEpilogues: a Conv followed by each activation of the
// mobile networks (ReLU6 as Clip, LeakyRelu, HardSigmoid with PyTorch's
// 1/6, HardSwish, Sigmoid, Tanh, SiLU as mconv::SiLU, Elu, Softplus), alone,
// before a residual Add, and after one, is a single fused step on the plain
// path and on package kernels, and matches the activation's ONNX formula
// applied in float64 to a direct convolution.
func TestConvActivationEpilogues(t *testing.T) {
	acts := []struct {
		op    string
		attrs []*ir.Attr
		clip  bool // Clip bounds as constant inputs (opset >= 11)
		f     func(float64) float64
	}{
		{"Relu", nil, false, func(x float64) float64 { return math.Max(x, 0) }},
		{"Clip", nil, true, func(x float64) float64 { return math.Min(math.Max(x, 0), 6) }},
		{"LeakyRelu", []*ir.Attr{{Name: "alpha", Type: ir.AttrFloat, F: 0.1}}, false, func(x float64) float64 {
			if x < 0 {
				return 0.1 * x
			}
			return x
		}},
		{"HardSigmoid", []*ir.Attr{{Name: "alpha", Type: ir.AttrFloat, F: float32(1.0 / 6)}, {Name: "beta", Type: ir.AttrFloat, F: 0.5}}, false,
			func(x float64) float64 { return math.Max(0, math.Min(1, float64(float32(1.0/6))*x+0.5)) }},
		{"HardSwish", nil, false, func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }},
		{"Sigmoid", nil, false, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"Tanh", nil, false, math.Tanh},
		{"SiLU", nil, false, func(x float64) float64 { return x / (1 + math.Exp(-x)) }},
		{"Elu", nil, false, func(x float64) float64 {
			if x < 0 {
				return math.Exp(x) - 1
			}
			return x
		}},
		{"Softplus", nil, false, func(x float64) float64 { return math.Log1p(math.Exp(x)) }},
	}
	const N, C, M, H, W = 2, 5, 6, 7, 6
	r := rand.New(rand.NewSource(41))
	xv, wv, bv := randF32(r, N*C*H*W), randF32(r, M*C*9), randF32(r, M)
	// Scale the inputs so that the conv outputs span the interesting
	// ranges of the activations (beyond ReLU6's 6 and HardSwish's +-3).
	for i := range xv {
		xv[i] *= 2
	}
	rv := randF32(r, N*M*H*W)
	conv, _, _ := refConv(xv, N, C, H, W, wv, M, 3, 3, bv, 1, 1, 1)
	for _, a := range acts {
		for _, form := range []string{"act", "act_then_add", "add_then_act"} {
			for _, fast := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/kernels=%v", a.op, form, fast), func(t *testing.T) {
					useKernels = fast
					defer func() { useKernels = true }()
					m, g := newModel()
					x := g.AddInput("x", ir.TensorOf(ir.Float32, N, C, H, W))
					res := g.AddInput("r", ir.TensorOf(ir.Float32, N, M, H, W))
					cv := g.AddNode("Conv", "conv", []*ir.Value{x, g.AddConst("w", ir.NewFloat32(ints64(M, C, 3, 3), wv)), g.AddConst("b", ir.NewFloat32(ints64(M), bv))}, "c")
					cv.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
					addAct := func(in *ir.Value) *ir.Value {
						ins := []*ir.Value{in}
						if a.clip {
							ins = append(ins, g.AddConst("lo", ir.NewFloat32(nil, []float32{0})), g.AddConst("hi", ir.NewFloat32(nil, []float32{6})))
						}
						n := g.AddNode(a.op, "act", ins, "a")
						if a.op == "SiLU" {
							n.Domain = ir.FusedDomain
							m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
						}
						for _, at := range a.attrs {
							n.SetAttr(at)
						}
						return n.Outputs[0]
					}
					var y *ir.Value
					switch form {
					case "act":
						y = addAct(cv.Outputs[0])
					case "act_then_add":
						y = g.AddNode("Add", "add", []*ir.Value{addAct(cv.Outputs[0]), res}, "s").Outputs[0]
					case "add_then_act":
						y = addAct(g.AddNode("Add", "add", []*ir.Value{res, cv.Outputs[0]}, "s").Outputs[0])
					}
					g.AddOutput(y)
					p := mustCompile(t, m, Options{Threads: 2})
					if len(p.steps) != 1 {
						t.Errorf("%d steps, want 1 (activation and Add fused into the Conv)", len(p.steps))
					}
					out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(N, C, H, W), xv), "r": ir.NewFloat32(ints64(N, M, H, W), rv)})
					if err != nil {
						t.Fatal(err)
					}
					got, _ := out[y.Name].Float32s()
					want := make([]float32, len(conv))
					for i, c := range conv {
						v := float64(c)
						switch form {
						case "act":
							v = a.f(v)
						case "act_then_add":
							v = a.f(v) + float64(rv[i])
						case "add_then_act":
							v = a.f(v + float64(rv[i]))
						}
						want[i] = float32(v)
					}
					maxDiff(t, got, want, 1e-5, 1e-4)
				})
			}
		}
	}
}

// TestReluClipSpecialValues: Relu and Clip keep NaN (as numpy's maximum
// and clip in the ONNX reference do), and Clip with min > max gives max
// everywhere (ONNX Clip-13: "When 'min' is greater than 'max', the clip
// operator sets all the 'input' values to the value of 'max'").
func TestReluClipSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	in := []float32{nan, -1, 0.5, 2, 7}
	cases := []struct {
		op     string
		lo, hi float32
		want   []float32
	}{
		{"Relu", 0, 0, []float32{nan, 0, 0.5, 2, 7}},
		{"Clip", 0, 6, []float32{nan, 0, 0.5, 2, 6}},
		{"Clip", 5, 1, []float32{nan, 1, 1, 1, 1}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_%g_%g", tc.op, tc.lo, tc.hi), func(t *testing.T) {
			m, g := newModel()
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 5))
			ins := []*ir.Value{x}
			if tc.op == "Clip" {
				ins = append(ins, g.AddConst("lo", ir.NewFloat32(nil, []float32{tc.lo})), g.AddConst("hi", ir.NewFloat32(nil, []float32{tc.hi})))
			}
			g.AddOutput(g.AddNode(tc.op, "n", ins, "y").Outputs[0])
			p := mustCompile(t, m, Options{Threads: 1})
			out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(5), in)})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := out["y"].Float32s()
			for i, w := range tc.want {
				if math.IsNaN(float64(w)) != math.IsNaN(float64(got[i])) || !math.IsNaN(float64(w)) && got[i] != w {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
