package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// repvggBlock builds a RepVGG training-form block as PyTorch exports it:
// y = Relu(BN1(Conv3x3(x)) + BN2(Conv1x1(x)) + BN3(x)), the branches in
// timm's node order (identity BN, 1x1, 3x3) or 3x3 first, the Adds'
// operands in order or swapped.
func repvggBlock(timmOrder, swapped bool) *ir.Model {
	const C, H, W = 4, 5, 6
	r := rand.New(rand.NewSource(3))
	f32 := func(n int, lo float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = lo + r.Float32()
		}
		return v
	}
	g := ir.NewGraph("block")
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
	bn := func(name string, in *ir.Value) *ir.Value {
		ins := []*ir.Value{in}
		for _, p := range []string{"s", "b", "m", "v"} {
			ins = append(ins, g.AddConst(name+"_"+p, ir.NewFloat32([]int64{C}, f32(C, 0.25))))
		}
		return g.AddNode("BatchNormalization", name, ins, name+"_y").Outputs[0]
	}
	conv := func(name string, k int64) *ir.Value {
		c := g.AddNode("Conv", name, []*ir.Value{x, g.AddConst(name+"_w", ir.NewFloat32([]int64{C, C, k, k}, f32(int(C*C*k*k), -0.5)))}, name+"_y")
		if k == 3 {
			c.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
		}
		return bn(name+"_bn", c.Outputs[0])
	}
	add := func(name string, p, q *ir.Value) *ir.Value {
		if swapped {
			p, q = q, p
		}
		return g.AddNode("Add", name, []*ir.Value{p, q}, name+"_y").Outputs[0]
	}
	var a2 *ir.Value
	if timmOrder {
		id := bn("bnid", x)
		b1 := conv("conv1", 1)
		b3 := conv("conv3", 3)
		a2 = add("add2", add("add1", b1, b3), id)
	} else {
		b3 := conv("conv3", 3)
		b1 := conv("conv1", 1)
		id := bn("bnid", x)
		a2 = add("add2", add("add1", b3, b1), id)
	}
	g.AddOutput(g.AddNode("Relu", "relu", []*ir.Value{a2}, "y").Outputs[0])
	return m
}

// TestLowerResidualOrder: the lowering alone (no graph passes) fuses each
// branch's BN into its Conv and both residual Adds and the Relu into the
// Conv listed last, whatever the order of the branches in the node list
// and of the Adds' operands (what the engine's hoist.go did during
// planning), keeps the IR valid after every pass, and computes what the
// unlowered graph computes (planned by the engine op by op).
func TestLowerResidualOrder(t *testing.T) {
	for _, timm := range []bool{true, false} {
		for _, swapped := range []bool{false, true} {
			t.Run(fmt.Sprintf("timm_order=%v/swapped=%v", timm, swapped), func(t *testing.T) {
				m := repvggBlock(timm, swapped)
				if err := ir.InferShapes(m); err != nil {
					t.Fatal(err)
				}
				lm := ir.CloneModel(m)
				err := lower(lm, func(phase string, lm *ir.Model) error {
					if err := ir.Verify(lm); err != nil {
						return fmt.Errorf("after %s: %w", phase, err)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, n := range lm.Graph.Nodes {
					s := n.OpType
					if e := n.Attr("epilogue"); e != nil {
						s += fmt.Sprintf("%q", e.Strings)
					}
					got = append(got, s)
				}
				last := `FusedConv["affine" "add" "add" "Relu"]`
				want := []string{"BatchNormalization", `FusedConv["affine"]`, last}
				if !slices.Equal(got, want) && !slices.Equal(got, []string{`FusedConv["affine"]`, "BatchNormalization", last}) {
					t.Errorf("lowered nodes %v, want %v (any order of the first two)", got, want)
				}
				xv := make([]float32, 4*5*6)
				for i := range xv {
					xv[i] = float32(math.Sin(float64(i)))
				}
				in := map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{1, 4, 5, 6}, xv)}
				run := func(m *ir.Model) []float32 {
					p, err := engine.Compile(m, engine.Options{Threads: 1})
					if err != nil {
						t.Fatal(err)
					}
					defer p.Close()
					out, err := p.Run(in)
					if err != nil {
						t.Fatal(err)
					}
					f, _ := out["y"].Float32s()
					return f
				}
				a, b := run(lm), run(m)
				for i := range a {
					if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(b[i]))) {
						t.Fatalf("element %d: lowered %v, unlowered %v", i, a[i], b[i])
					}
				}
			})
		}
	}
}

// TestCompileSortsNodes: a Constant node listed after the node reading it
// (as some exporters write) compiles: Compile sorts the clone
// topologically before planning.
func TestCompileSortsNodes(t *testing.T) {
	g := ir.NewGraph("late")
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 2))
	k := g.NewValue("k", ir.Type{})
	add := g.AddNode("Add", "add", []*ir.Value{x, k}, "y")
	c := g.AddNode("Constant", "const", nil)
	c.Outputs = []*ir.Value{k}
	k.Producer = c
	c.SetAttr(&ir.Attr{Name: "value", Type: ir.AttrTensor, T: ir.NewFloat32([]int64{2}, []float32{1, 2})})
	g.AddOutput(add.Outputs[0])
	p, err := Compile(m, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{2}, []float32{10, 20})})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := out["y"].Float32s(); !slices.Equal(got, []float32{11, 22}) {
		t.Errorf("y = %v, want [11 22]", got)
	}
	if g.Nodes[0] != add {
		t.Error("Compile reordered its input model's nodes")
	}
}

// TestMeanToGlobalPool: a spatial ReduceMean (axes as attribute at opset 17
// or as a constant input at opset 18, negative axes too, keepdims 1 or 0)
// runs as one GlobalAveragePool step and computes what the engine's
// ReduceMean kernel computes; a mean over other axes is left alone.
func TestMeanToGlobalPool(t *testing.T) {
	for _, tc := range []struct {
		opset    int64
		axes     []int64
		keepdims int64
		want     string
	}{
		{17, []int64{2, 3}, 1, "GlobalAveragePool"},
		{17, []int64{-1, -2}, 0, "GlobalAveragePool"},
		{18, []int64{2, 3}, 0, "GlobalAveragePool"},
		{18, []int64{3, -2}, 1, "GlobalAveragePool"},
		{17, []int64{1, 2}, 1, "ReduceMean"},
		{17, []int64{2}, 1, "ReduceMean"},
	} {
		t.Run(fmt.Sprintf("opset%d_axes%v_keep%d", tc.opset, tc.axes, tc.keepdims), func(t *testing.T) {
			g := ir.NewGraph("mean")
			m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: tc.opset}}, Graph: g}
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 2, 3, 5, 7))
			ins := []*ir.Value{x}
			if tc.opset >= 18 {
				ins = append(ins, g.AddConst("axes", ir.NewInt64([]int64{int64(len(tc.axes))}, tc.axes)))
			}
			r := g.AddNode("ReduceMean", "mean", ins, "y")
			if tc.opset < 18 {
				r.SetAttr(&ir.Attr{Name: "axes", Type: ir.AttrInts, Ints: tc.axes})
			}
			r.SetAttr(&ir.Attr{Name: "keepdims", Type: ir.AttrInt, I: tc.keepdims})
			g.AddOutput(r.Outputs[0])
			if err := ir.InferShapes(m); err != nil {
				t.Fatal(err)
			}
			xv := make([]float32, 2*3*5*7)
			for i := range xv {
				xv[i] = float32(math.Sin(float64(i)))
			}
			in := map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{2, 3, 5, 7}, xv)}
			ref, err := engine.Compile(m, engine.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			want, err := ref.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(m, Options{Threads: 1, CheckPhases: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if k := p.StepKinds(); !slices.Equal(k, []string{tc.want}) {
				t.Errorf("steps %v, want [%s]", k, tc.want)
			}
			got, err := p.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got["y"].Dims, want["y"].Dims) {
				t.Fatalf("shape %v, want %v", got["y"].Dims, want["y"].Dims)
			}
			gv, _ := got["y"].Float32s()
			wv, _ := want["y"].Float32s()
			for i := range wv {
				if math.Abs(float64(gv[i]-wv[i])) > 1e-6 {
					t.Fatalf("element %d: %g, want %g", i, gv[i], wv[i])
				}
			}
		})
	}
}
