package ir

import (
	"strings"
	"testing"
)

func fusedModel(opset int64, op string, nin int, attrs ...*Attr) *Model {
	g := NewGraph("g")
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", opset}, {FusedDomain, 1}}, Graph: g}
	x := g.AddInput("x", TensorOf(Float32, 1, 4, 3, 3))
	ins := []*Value{x}
	for i := 1; i < nin; i++ {
		dims := [][]int64{nil, {2, 4, 1, 1}, {2}, {4, 2, 1, 1}, {4}}[i]
		ins = append(ins, g.AddConst("c"+string(rune('0'+i)), NewFloat32(dims, make([]float32, NumElements(dims)))))
	}
	n := g.AddNode(op, "f", ins, "y")
	n.Domain = FusedDomain
	for _, a := range attrs {
		n.SetAttr(a)
	}
	g.AddOutput(n.Outputs[0])
	return m
}

func ops(g *Graph) string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.OpType)
	}
	return strings.Join(s, ",")
}

func TestExpandFused(t *testing.T) {
	cases := []struct {
		name  string
		m     *Model
		want  string // op sequence after expansion
		check func(t *testing.T, g *Graph)
	}{
		{"gelu-opset17", fusedModel(17, "Gelu", 1, &Attr{Name: "approximate", Type: AttrString, S: []byte("none")}), "Div,Erf,Add,Mul,Mul", nil},
		{"gelu-opset20", fusedModel(20, "Gelu", 1), "Gelu", nil},
		{"silu", fusedModel(17, "SiLU", 1), "Sigmoid,Mul", nil},
		{"hardswish-opset13", fusedModel(13, "HardSwish", 1), "HardSigmoid,Mul", func(t *testing.T, g *Graph) {
			if a := g.Nodes[0].AttrFloat("alpha", 0); a != 1.0/6 {
				t.Errorf("HardSigmoid alpha %v", a)
			}
		}},
		{"hardswish-opset14", fusedModel(14, "HardSwish", 1), "HardSwish", nil},
		{"se-opset18", fusedModel(18, "SqueezeExcite", 5), "ReduceMean,Conv,Relu,Conv,Sigmoid,Mul", func(t *testing.T, g *Graph) {
			if rm := g.Nodes[0]; len(rm.Inputs) != 2 || !rm.Inputs[1].IsConst() || rm.Attr("axes") != nil {
				t.Errorf("opset 18 ReduceMean should take axes as a constant input")
			}
		}},
		{"se-sigmoid", fusedModel(17, "SqueezeExcite", 5, &Attr{Name: "gate", Type: AttrString, S: []byte("sigmoid")}),
			"ReduceMean,Conv,Relu,Conv,Sigmoid,Mul", nil},
		{"se-silu", fusedModel(17, "SqueezeExcite", 5, &Attr{Name: "act", Type: AttrString, S: []byte("silu")}),
			"ReduceMean,Conv,Sigmoid,Mul,Conv,Sigmoid,Mul", func(t *testing.T, g *Graph) {
				fc1, sig, mul := g.Nodes[1], g.Nodes[2], g.Nodes[3]
				if sig.Inputs[0] != fc1.Outputs[0] || mul.Inputs[0] != fc1.Outputs[0] || mul.Inputs[1] != sig.Outputs[0] || g.Nodes[4].Inputs[0] != mul.Outputs[0] {
					t.Error("SiLU inside SE is not fc1 * Sigmoid(fc1) feeding fc2")
				}
			}},
		{"se-hardsigmoid", fusedModel(17, "SqueezeExcite", 5, &Attr{Name: "gate", Type: AttrString, S: []byte("hardsigmoid")},
			&Attr{Name: "alpha", Type: AttrFloat, F: 1.0 / 6}, &Attr{Name: "beta", Type: AttrFloat, F: 0.5}),
			"ReduceMean,Conv,Relu,Conv,HardSigmoid,Mul", func(t *testing.T, g *Graph) {
				hs := g.Nodes[4]
				if hs.AttrFloat("alpha", 0) != 1.0/6 || hs.AttrFloat("beta", 0) != 0.5 {
					t.Errorf("HardSigmoid attrs alpha %v beta %v", hs.AttrFloat("alpha", 0), hs.AttrFloat("beta", 0))
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ExpandFused(c.m); err != nil {
				t.Fatal(err)
			}
			if err := Verify(c.m); err != nil {
				t.Fatal(err)
			}
			if got := ops(c.m.Graph); got != c.want {
				t.Errorf("ops %s, want %s", got, c.want)
			}
			if out := c.m.Graph.Outputs[0]; out.Name != "y" || out.Producer == nil {
				t.Errorf("graph output renamed to %q", out.Name)
			}
			if c.m.Opset(FusedDomain) != 0 {
				t.Error("mconv opset import kept")
			}
			if c.check != nil {
				c.check(t, c.m.Graph)
			}
		})
	}
}

func TestExpandFusedErrors(t *testing.T) {
	cases := []struct {
		name string
		m    *Model
		want string
	}{
		{"unknown-op", fusedModel(17, "Frobnicate", 1), "unknown fused op"},
		{"se-missing-inputs", fusedModel(17, "SqueezeExcite", 3), "want 5 inputs"},
		{"se-bad-gate", fusedModel(17, "SqueezeExcite", 5, &Attr{Name: "gate", Type: AttrString, S: []byte("tanh")}), "unknown gate"},
		{"se-bad-act", fusedModel(17, "SqueezeExcite", 5, &Attr{Name: "act", Type: AttrString, S: []byte("gelu")}), "unknown act"},
		{"gelu-tanh", fusedModel(17, "Gelu", 1, &Attr{Name: "approximate", Type: AttrString, S: []byte("tanh")}), "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ops(c.m.Graph)
			err := ExpandFused(c.m)
			if after := ops(c.m.Graph); after != before {
				t.Errorf("failed expansion changed the graph: %s -> %s", before, after)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `node "f"`) {
				t.Fatalf("error %v, want one naming node \"f\" and containing %q", err, c.want)
			}
		})
	}
}

// TestFusedLinearShapes: the runtime's fused linear ops infer the output
// type of the op they extend (Conv, Gemm, MatMul) whatever extra epilogue
// inputs follow, and Verify accepts their epilogue attributes.
func TestFusedLinearShapes(t *testing.T) {
	epi := []*Attr{
		{Name: "epilogue", Type: AttrStrings, Strings: [][]byte{[]byte("affine"), []byte("add"), []byte("Relu")}},
		{Name: "epilogue_alpha", Type: AttrFloats, Floats: []float32{0, 0, 0}},
		{Name: "epilogue_beta", Type: AttrFloats, Floats: []float32{0, 0, 0}},
	}
	cases := []struct {
		op    string
		a, b  Type
		attrs []*Attr
		want  string
	}{
		{"FusedConv", TensorOf(Float32, 1, 3, 8, 8), TensorOf(Float32, 6, 3, 3, 3),
			[]*Attr{{Name: "pads", Type: AttrInts, Ints: []int64{1, 1, 1, 1}}, {Name: "strides", Type: AttrInts, Ints: []int64{2, 2}}}, "float32[1,6,4,4]"},
		{"FusedGemm", TensorOf(Float32, 5, 7), TensorOf(Float32, 9, 7), []*Attr{{Name: "transB", Type: AttrInt, I: 1}}, "float32[5,9]"},
		{"FusedMatMul", TensorOf(Float32, 2, 5, 7), TensorOf(Float32, 7, 3), nil, "float32[2,5,3]"},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			g := NewGraph("g")
			m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 17}, {FusedDomain, 1}}, Graph: g}
			a := g.AddInput("a", c.a)
			b := g.AddConst("b", NewFloat32(c.b.Shape.Sizes(), make([]float32, NumElements(c.b.Shape.Sizes()))))
			ins := []*Value{a, b}
			if c.op != "FusedMatMul" {
				ins = append(ins, nil) // omitted bias
			}
			ins = append(ins, g.AddConst("scale", NewFloat32([]int64{6}, make([]float32, 6))), g.AddConst("shift", NewFloat32([]int64{6}, make([]float32, 6))), g.AddInput("r", Type{}))
			n := g.AddNode(c.op, "f", ins, "y")
			n.Domain = FusedDomain
			for _, at := range append(append([]*Attr(nil), c.attrs...), epi...) {
				n.SetAttr(at)
			}
			g.AddOutput(n.Outputs[0])
			if err := InferShapes(m); err != nil {
				t.Fatal(err)
			}
			if got := n.Outputs[0].Type.String(); got != c.want {
				t.Errorf("output %s, want %s", got, c.want)
			}
			if err := Verify(m); err != nil {
				t.Fatal(err)
			}
		})
	}
}
