package engine

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestFloat16Weights: a model that stores its Conv weights as float16
// initializers and casts them to float32 (as a half-precision export that
// keeps float32 activations does) gets the weights converted once at plan
// time: no Cast step is run, the Conv runs on package kernels, and the
// output equals a direct convolution with the same weights. The weights
// are multiples of 1/8 in [-2, 2], exactly representable in float16, so
// the expected values need no float16 rounding.
func TestFloat16Weights(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	const C, M, H, W = 3, 4, 6, 6
	xv := randF32(r, C*H*W)
	wv := make([]float32, M*C*9)
	w64 := make([]float64, len(wv))
	for i := range wv {
		wv[i] = float32(r.Intn(33)-16) / 8
		w64[i] = float64(wv[i])
	}
	wt, err := ir.NewFromFloat64(ir.Float16, ints64(M, C, 3, 3), w64)
	if err != nil {
		t.Fatal(err)
	}
	if len(wt.Raw) != 2*len(wv) {
		t.Fatalf("float16 tensor has %d bytes, want %d", len(wt.Raw), 2*len(wv))
	}
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
	cast := g.AddNode("Cast", "cast_w", []*ir.Value{g.AddConst("w16", wt)}, "w32")
	cast.SetAttr(&ir.Attr{Name: "to", Type: ir.AttrInt, I: int64(ir.Float32)})
	cv := g.AddNode("Conv", "conv", []*ir.Value{x, cast.Outputs[0]}, "y")
	cv.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
	g.AddOutput(cv.Outputs[0])
	p := mustCompile(t, m, Options{Threads: 2})
	if len(p.steps) != 1 || p.steps[0].node == nil || p.steps[0].node.OpType != "Conv" || !p.steps[0].kernels {
		var ops []string
		for _, s := range p.steps {
			if s.node != nil {
				ops = append(ops, fmt.Sprintf("%s(kernels=%v)", s.node.OpType, s.kernels))
			}
		}
		t.Errorf("steps %v, want one Conv on package kernels (the Cast evaluated at plan time)", ops)
	}
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, C, H, W), xv)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out["y"].Float32s()
	want, _, _ := refConv(xv, 1, C, H, W, wv, M, 3, 3, nil, 1, 1, 1)
	maxDiff(t, got, want, 1e-5, 1e-5)
}

// TestGoldenNetsAllocateNothing: for every whole-network fixture of
// testdata/golden (training and deploy forms: SE blocks, HardSwish,
// channel shuffles, attention-free token mixers, ...), RunInto allocates
// nothing once the plan is compiled, with 1 and 2 threads.
func TestGoldenNetsAllocateNothing(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatal(err)
	}
	nets := 0
	for _, fx := range fixtures {
		if !strings.HasSuffix(fx.Name, "_net") {
			continue
		}
		for _, f := range []struct{ path, set string }{{fx.Model, fx.Sets[0]}, {fx.Deploy, fx.DeploySets[0]}} {
			nets++
			m, err := onnx.Load(f.path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := golden.LoadSet(f.set)
			if err != nil {
				t.Fatal(err)
			}
			in, err := golden.BindInputs(m, s)
			if err != nil {
				t.Fatal(err)
			}
			shapes := golden.InputShapes(in)
			for _, th := range []int{1, 2} {
				p, err := compileFull(m, Options{Threads: th, InputShapes: shapes})
				if err != nil {
					t.Fatalf("%s: %v", f.path, err)
				}
				out, err := p.Run(in)
				if err != nil {
					t.Fatalf("%s: %v", f.path, err)
				}
				allocs := testing.AllocsPerRun(5, func() {
					if err := p.RunInto(in, out); err != nil {
						t.Fatal(err)
					}
				})
				p.Close()
				if allocs != 0 {
					t.Errorf("%s (%d threads): RunInto allocates %v times per run", f.path, th, allocs)
				}
			}
		}
	}
	if nets < 8 {
		t.Fatalf("only %d whole-network fixture files", nets)
	}
	t.Logf("%d whole-network fixture files: no allocation per run", nets)
}
