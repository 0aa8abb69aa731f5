package ir

import (
	"fmt"
	"math"
)

// init registers the schemas of the fused ops described here.
//
// Fused ops of the mconv domain (FusedDomain), produced by package passes
// and run by the Go runtime as single kernels. ExpandFused rewrites the
// first four back to standard ONNX ops so exported files run anywhere.
//
//	SqueezeExcite(x [N,C,H,W], w1 [Cr,C,1,1], b1 [Cr], w2 [C,Cr,1,1], b2 [C]) -> y [N,C,H,W]
//	    attrs: gate = "sigmoid" | "hardsigmoid", alpha, beta (HardSigmoid's,
//	    ONNX defaults 0.2 / 0.5; PyTorch's Hardsigmoid is 1/6 / 0.5),
//	    act = "relu" (default; MobileNetV3, RepViT, MobileOne) | "silu"
//	    (EfficientNet: SiLU inside the block)
//	    s = mean over H,W of x; h = act(w1*s + b1); g = gate(w2*h + b2); y = x*g
//	Gelu(x) -> y    attr approximate = "none": y = x/2 * (1 + erf(x/sqrt 2))
//	SiLU(x) -> y    y = x * sigmoid(x)
//	HardSwish(x) -> y   y = x * max(0, min(1, x/6 + 1/2)) (for opsets before 14)
//
// The runtime's lowering (package runtime) also writes, for its own plans
// only, linear ops with an explicit epilogue:
//
//	FusedConv(X, W, [B], extra...)   Conv's attributes
//	FusedGemm(A, B, [C], extra...)   Gemm's attributes
//	FusedMatMul(A, B, extra...)
//	    y = epilogue(op(inputs)); attr epilogue lists the steps in order:
//	    "affine" (y = y*scale[c] + shift[c] per channel, axis 1: reads the
//	    next two extra inputs, scale and shift, float32 [C]), "add" (y +=
//	    the next extra input, of y's shape: a residual) or an activation
//	    named by its op type (Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid,
//	    HardSwish, SiLU, Tanh, Gelu, GeluTanh, Elu, Celu, Selu, Softplus,
//	    Softsign, Mish, ThresholdedRelu) with its parameters in
//	    epilogue_alpha / epilogue_beta (one entry per step: Clip's min/max,
//	    LeakyRelu's alpha, HardSigmoid's alpha/beta, ...).
func init() {
	for _, op := range fusedOps {
		RegisterSchema(&OpSchema{Domain: FusedDomain, Name: op.name, Since: 1,
			MinInputs: op.minIn, MaxInputs: op.maxIn, MinOutputs: 1, MaxOutputs: 1, Attrs: op.attrs})
		RegisterShapeFunc(FusedDomain, op.name, op.shape)
	}
}

// fusedOps is THE table of mconv-domain ops: arity, attributes and shape
// function of each (see the list above for their semantics).
var fusedOps = []struct {
	name         string
	minIn, maxIn int // maxIn < 0: no limit
	attrs        map[string]AttrType
	shape        ShapeFunc
}{
	{"SqueezeExcite", 5, 5, map[string]AttrType{"gate": AttrString, "alpha": AttrFloat, "beta": AttrFloat, "act": AttrString}, shapeSameAsInput},
	{"Gelu", 1, 1, map[string]AttrType{"approximate": AttrString}, shapeSameAsInput},
	{"SiLU", 1, 1, map[string]AttrType{}, shapeSameAsInput},
	{"HardSwish", 1, 1, map[string]AttrType{}, shapeSameAsInput},
	{"FusedConv", 2, -1, epilogueAttrs(map[string]AttrType{"auto_pad": AttrString, "dilations": AttrInts,
		"group": AttrInt, "kernel_shape": AttrInts, "pads": AttrInts, "strides": AttrInts}), shapeConv},
	{"FusedGemm", 2, -1, epilogueAttrs(map[string]AttrType{"alpha": AttrFloat, "beta": AttrFloat,
		"transA": AttrInt, "transB": AttrInt}), shapeGemm},
	{"FusedMatMul", 2, -1, epilogueAttrs(map[string]AttrType{}), shapeMatMul},
}

// epilogueAttrs adds the epilogue attributes of the Fused linear ops to a.
func epilogueAttrs(a map[string]AttrType) map[string]AttrType {
	a["epilogue"] = AttrStrings
	a["epilogue_alpha"] = AttrFloats
	a["epilogue_beta"] = AttrFloats
	return a
}

// ExpandFused rewrites every mconv-domain op (in the main graph and in
// subgraphs) into standard ONNX ops valid at the model's default-domain
// opset, keeping value names, and drops the mconv opset import when no
// mconv op is left:
//
//	SqueezeExcite -> ReduceMean(H,W), Conv, Relu|(Sigmoid, Mul), Conv, Sigmoid|HardSigmoid, Mul
//	Gelu          -> Gelu (opset >= 20) or Div, Erf, Add, Mul, Mul
//	SiLU          -> Sigmoid, Mul
//	HardSwish     -> HardSwish (opset >= 14) or HardSigmoid{1/6, 0.5}, Mul
func ExpandFused(m *Model) error {
	if m == nil || m.Graph == nil {
		return fmt.Errorf("model has no graph")
	}
	if err := expandFusedGraph(m, m.Graph); err != nil {
		return err
	}
	if !hasFused(m.Graph) {
		for i, o := range m.Opsets {
			if o.Domain == FusedDomain {
				m.Opsets = append(m.Opsets[:i], m.Opsets[i+1:]...)
				break
			}
		}
	}
	return nil
}

func hasFused(g *Graph) bool {
	for _, n := range g.Nodes {
		if n.Domain == FusedDomain {
			return true
		}
		for _, s := range n.Subgraphs() {
			if hasFused(s) {
				return true
			}
		}
	}
	return false
}

func expandFusedGraph(m *Model, g *Graph) error {
	opset := m.Opset("")
	for _, n := range append([]*Node(nil), g.Nodes...) {
		for _, s := range n.Subgraphs() {
			if err := expandFusedGraph(m, s); err != nil {
				return err
			}
		}
		if n.Domain != FusedDomain {
			continue
		}
		var err error
		switch n.OpType {
		case "SqueezeExcite":
			err = expandSE(m, g, n)
		case "Gelu":
			err = expandGelu(g, n, opset)
		case "SiLU":
			err = expandSiLU(g, n)
		case "HardSwish":
			err = expandHardSwish(g, n, opset)
		default:
			err = fmt.Errorf("unknown fused op")
		}
		if err != nil {
			return fmt.Errorf("node %q (%s.%s): %w", n.Name, n.Domain, n.OpType, err)
		}
	}
	return nil
}

// fusedScalar adds a one-element constant of x's float type.
func fusedScalar(g *Graph, x *Value, name string, f float64) (*Value, error) {
	dt := x.Type.DType
	if dt == Undefined {
		dt = Float32
	}
	if !dt.IsFloat() || dt.Size() == 0 {
		return nil, fmt.Errorf("input %q has non-float type %s", x.Name, dt)
	}
	t, err := NewFromFloat64(dt, nil, []float64{f})
	if err != nil {
		return nil, err
	}
	v := g.AddConst(g.UniqueName(name), t)
	t.Name = v.Name
	return v, nil
}

// replaceFused moves n's output to last's output: readers and the name.
func replaceFused(g *Graph, n, last *Node) {
	old := n.Outputs[0]
	name := old.Name
	nw := last.Outputs[0]
	nw.Type = old.Type.Clone()
	old.ReplaceAllUsesWith(nw)
	g.RemoveNode(n)
	_ = g.Rename(nw, name)
}

func expandSE(m *Model, g *Graph, n *Node) error {
	if len(n.Inputs) != 5 || len(n.Outputs) != 1 {
		return fmt.Errorf("want 5 inputs and 1 output")
	}
	for i, v := range n.Inputs {
		if v == nil {
			return fmt.Errorf("input %d missing", i)
		}
	}
	gt := n.AttrString("gate", "sigmoid")
	if gt != "sigmoid" && gt != "hardsigmoid" {
		return fmt.Errorf("unknown gate %q", gt)
	}
	inner := n.AttrString("act", "relu")
	if inner != "relu" && inner != "silu" {
		return fmt.Errorf("unknown act %q", inner)
	}
	x := n.Inputs[0]
	base := n.Outputs[0].Name
	// ReduceMean over H,W (keepdims) as timm writes x.mean((2, 3), keepdim=True):
	// axes as an input from opset 18, as an attribute before.
	var pool *Node
	if m.Opset("") >= 18 {
		axes := NewInt64([]int64{2}, []int64{2, 3})
		av := g.AddConst(g.UniqueName(base+"/axes"), axes)
		axes.Name = av.Name
		pool = g.InsertNodeBefore(n, "ReduceMean", n.Name+"/pool", []*Value{x, av}, g.UniqueName(base+"/pool"))
	} else {
		pool = g.InsertNodeBefore(n, "ReduceMean", n.Name+"/pool", []*Value{x}, g.UniqueName(base+"/pool"))
		pool.SetAttr(&Attr{Name: "axes", Type: AttrInts, Ints: []int64{2, 3}})
	}
	pool.SetAttr(&Attr{Name: "keepdims", Type: AttrInt, I: 1})
	fc1 := g.InsertNodeBefore(n, "Conv", n.Name+"/fc1", []*Value{pool.Outputs[0], n.Inputs[1], n.Inputs[2]}, g.UniqueName(base+"/fc1"))
	var h *Node
	if inner == "silu" { // x * sigmoid(x), as PyTorch exports SiLU
		sig := g.InsertNodeBefore(n, "Sigmoid", n.Name+"/act_sigmoid", []*Value{fc1.Outputs[0]}, g.UniqueName(base+"/act_sigmoid"))
		h = g.InsertNodeBefore(n, "Mul", n.Name+"/act", []*Value{fc1.Outputs[0], sig.Outputs[0]}, g.UniqueName(base+"/act"))
	} else {
		h = g.InsertNodeBefore(n, "Relu", n.Name+"/relu", []*Value{fc1.Outputs[0]}, g.UniqueName(base+"/relu"))
	}
	fc2 := g.InsertNodeBefore(n, "Conv", n.Name+"/fc2", []*Value{h.Outputs[0], n.Inputs[3], n.Inputs[4]}, g.UniqueName(base+"/fc2"))
	var gate *Node
	switch gt {
	case "sigmoid":
		gate = g.InsertNodeBefore(n, "Sigmoid", n.Name+"/gate", []*Value{fc2.Outputs[0]}, g.UniqueName(base+"/gate"))
	case "hardsigmoid":
		gate = g.InsertNodeBefore(n, "HardSigmoid", n.Name+"/gate", []*Value{fc2.Outputs[0]}, g.UniqueName(base+"/gate"))
		gate.SetAttr(&Attr{Name: "alpha", Type: AttrFloat, F: n.AttrFloat("alpha", 0.2)})
		gate.SetAttr(&Attr{Name: "beta", Type: AttrFloat, F: n.AttrFloat("beta", 0.5)})
	}
	mul := g.InsertNodeBefore(n, "Mul", n.Name+"/mul", []*Value{x, gate.Outputs[0]}, g.UniqueName(base+"/mul"))
	replaceFused(g, n, mul)
	return nil
}

func expandGelu(g *Graph, n *Node, opset int64) error {
	if len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 {
		return fmt.Errorf("want 1 input and 1 output")
	}
	if a := n.AttrString("approximate", "none"); a != "none" {
		return fmt.Errorf("approximate=%q not supported", a)
	}
	x := n.Inputs[0]
	base := n.Outputs[0].Name
	if opset >= 20 {
		gl := g.InsertNodeBefore(n, "Gelu", n.Name, []*Value{x}, g.UniqueName(base+"/gelu"))
		replaceFused(g, n, gl)
		return nil
	}
	sqrt2, err := fusedScalar(g, x, base+"/sqrt2", math.Sqrt2)
	if err != nil {
		return err
	}
	one, _ := fusedScalar(g, x, base+"/one", 1)
	half, _ := fusedScalar(g, x, base+"/half", 0.5)
	div := g.InsertNodeBefore(n, "Div", n.Name+"/div", []*Value{x, sqrt2}, g.UniqueName(base+"/div"))
	erf := g.InsertNodeBefore(n, "Erf", n.Name+"/erf", []*Value{div.Outputs[0]}, g.UniqueName(base+"/erf"))
	add := g.InsertNodeBefore(n, "Add", n.Name+"/add", []*Value{erf.Outputs[0], one}, g.UniqueName(base+"/add"))
	mul := g.InsertNodeBefore(n, "Mul", n.Name+"/mul", []*Value{x, add.Outputs[0]}, g.UniqueName(base+"/mul"))
	mul2 := g.InsertNodeBefore(n, "Mul", n.Name+"/half", []*Value{mul.Outputs[0], half}, g.UniqueName(base+"/mul2"))
	replaceFused(g, n, mul2)
	return nil
}

func expandSiLU(g *Graph, n *Node) error {
	if len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 {
		return fmt.Errorf("want 1 input and 1 output")
	}
	x := n.Inputs[0]
	base := n.Outputs[0].Name
	sig := g.InsertNodeBefore(n, "Sigmoid", n.Name+"/sigmoid", []*Value{x}, g.UniqueName(base+"/sigmoid"))
	mul := g.InsertNodeBefore(n, "Mul", n.Name+"/mul", []*Value{x, sig.Outputs[0]}, g.UniqueName(base+"/mul"))
	replaceFused(g, n, mul)
	return nil
}

func expandHardSwish(g *Graph, n *Node, opset int64) error {
	if len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 {
		return fmt.Errorf("want 1 input and 1 output")
	}
	x := n.Inputs[0]
	base := n.Outputs[0].Name
	if opset >= 14 {
		hs := g.InsertNodeBefore(n, "HardSwish", n.Name, []*Value{x}, g.UniqueName(base+"/hardswish"))
		replaceFused(g, n, hs)
		return nil
	}
	hsig := g.InsertNodeBefore(n, "HardSigmoid", n.Name+"/hardsigmoid", []*Value{x}, g.UniqueName(base+"/hardsigmoid"))
	hsig.SetAttr(&Attr{Name: "alpha", Type: AttrFloat, F: 1.0 / 6})
	hsig.SetAttr(&Attr{Name: "beta", Type: AttrFloat, F: 0.5})
	mul := g.InsertNodeBefore(n, "Mul", n.Name+"/mul", []*Value{x, hsig.Outputs[0]}, g.UniqueName(base+"/mul"))
	replaceFused(g, n, mul)
	return nil
}
