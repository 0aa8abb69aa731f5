package passes

import (
	"math"

	"github.com/mconv/mconv/ir"
)

// live reports whether n is still in a graph.
func live(n *ir.Node) bool { return n != nil && n.Owner != nil }

// isOp reports whether n is the default-domain op op.
func isOp(n *ir.Node, op string) bool {
	return n != nil && n.OpType == op && (n.Domain == "" || n.Domain == "ai.onnx")
}

// isFusedOp reports whether n is mconv's fused op op (domain ir.FusedDomain;
// such ops are not listed in passOps, which is about ai.onnx ops).
func isFusedOp(n *ir.Node, op string) bool {
	return n != nil && n.OpType == op && n.Domain == ir.FusedDomain
}

// producedBy returns v's producer if it is the default-domain op op.
func producedBy(v *ir.Value, op string) *ir.Node {
	if v == nil || v.Producer == nil || !isOp(v.Producer, op) {
		return nil
	}
	return v.Producer
}

// singleUse reports whether v feeds exactly one node input and is not a
// graph output: a value a rewrite may absorb.
func singleUse(v *ir.Value) bool { return v != nil && len(v.Uses) == 1 && !v.IsOutput }

// otherUser names a consumer of v other than n, for near-miss reports.
func otherUser(v *ir.Value, n *ir.Node) string {
	if v.IsOutput {
		return "the graph output"
	}
	for _, u := range v.Uses {
		if u.Node != n {
			return "node " + quote(u.Node.Name) + " (" + u.Node.OpType + ")"
		}
	}
	return "another input of the same node"
}

func quote(s string) string { return "\"" + s + "\"" }

// constData returns the data of a float32/float64/float16 constant as
// float64, with its dims.
func constData(v *ir.Value) ([]float64, []int64, bool) {
	if !v.IsConst() {
		return nil, nil, false
	}
	switch v.Const.DType {
	case ir.Float32, ir.Float64, ir.Float16:
	default:
		return nil, nil, false
	}
	f, err := v.Const.Float64s()
	if err != nil {
		return nil, nil, false
	}
	return f, v.Const.Dims, true
}

// scalarConst returns the value of a one-element float constant.
func scalarConst(v *ir.Value) (float64, bool) {
	f, _, ok := constData(v)
	if !ok || len(f) != 1 {
		return 0, false
	}
	return f[0], true
}

// isFloat32Const reports whether v is a float32 constant of the given rank
// (rank < 0: any).
func isFloat32Const(v *ir.Value, rank int) bool {
	return v.IsConst() && v.Const.DType == ir.Float32 && (rank < 0 || len(v.Const.Dims) == rank)
}

// channelConst reads a constant that, broadcast against a rank-r tensor,
// varies at most along axis 1 (the channel axis): a scalar, or dims like
// [1,M,1,1] / [M,1,1] for r = 4, [M] / [1,M] for r = 2. It returns the values
// (length 1 or M) or false.
func channelConst(v *ir.Value, r int) ([]float64, bool) {
	f, dims, ok := constData(v)
	if !ok || len(dims) > r {
		return nil, false
	}
	ch := len(dims) - (r - 1) // index of the channel axis in dims
	for i, d := range dims {
		if i != ch && d != 1 {
			return nil, false
		}
	}
	return f, true
}

// expand returns f broadcast to length m (f has length 1 or m), or nil.
func expand(f []float64, m int) []float64 {
	if len(f) == m {
		return f
	}
	if len(f) != 1 {
		return nil
	}
	out := make([]float64, m)
	for i := range out {
		out[i] = f[0]
	}
	return out
}

// f32Tensor builds a float32 tensor from float64 values.
func f32Tensor(dims []int64, f []float64) *ir.Tensor {
	d := make([]float32, len(f))
	for i, x := range f {
		d[i] = float32(x)
	}
	return ir.NewFloat32(dims, d)
}

// addConst adds a float32 initializer named after base.
func (c *ctx) addConst(base string, dims []int64, f []float64) *ir.Value {
	t := f32Tensor(dims, f)
	v := c.g.AddConst(c.g.UniqueName(base), t)
	t.Name = v.Name
	return v
}

// approx compares two constants with a relative tolerance of 1e-5.
func approx(a, b float64) bool {
	return math.Abs(a-b) <= 1e-5*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// replace makes every reader of old read nw, deletes the nodes that become
// dead, and, when old was a graph output or nw is fresh, gives nw old's name
// so graph outputs keep their names.
func (c *ctx) replace(old, nw *ir.Value, fresh bool) {
	name := old.Name
	wasOut := old.IsOutput
	if nw.Type.Kind == ir.KindUnknown {
		nw.Type = old.Type.Clone()
	}
	old.ReplaceAllUsesWith(nw)
	c.removeDead(old.Producer)
	if (wasOut || fresh) && !nw.IsInput && nw.Owner == c.g && c.g.Lookup(name) == nil {
		_ = c.g.Rename(nw, name)
	}
}

// removeDead deletes n if none of its outputs is used, then the producers of
// its inputs that became dead, and initializers left unused.
func (c *ctx) removeDead(n *ir.Node) {
	if !live(n) || n.Owner != c.g {
		return
	}
	for _, o := range n.Outputs {
		if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
			return
		}
	}
	ins := append([]*ir.Value(nil), n.Inputs...)
	detachSubgraphs(n)
	c.g.RemoveNode(n)
	for _, v := range ins {
		if v == nil || len(v.Uses) > 0 || v.IsOutput {
			continue
		}
		if v.Producer != nil {
			c.removeDead(v.Producer)
		} else if v.IsConst() && v.Owner == c.g {
			c.g.RemoveConst(v)
		}
	}
}

// detachSubgraphs drops the uses that nodes inside n's subgraphs hold on
// values, so that n can be removed.
func detachSubgraphs(n *ir.Node) {
	for _, s := range n.Subgraphs() {
		for _, m := range s.Nodes {
			detachSubgraphs(m)
			m.SetInputs(nil)
		}
	}
}

// intsAttr builds an ints attribute.
func intsAttr(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: append([]int64(nil), v...)}
}

// intAttr builds an int attribute.
func intAttr(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

// floatAttr builds a float attribute.
func floatAttr(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}

// stringAttr builds a string attribute.
func stringAttr(name, v string) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrString, S: []byte(v)}
}

// nodesSnapshot copies the node list so passes may edit the graph while
// walking it.
func nodesSnapshot(g *ir.Graph) []*ir.Node { return append([]*ir.Node(nil), g.Nodes...) }

// bnParams reads an inference BatchNormalization's constants and returns
// its per-channel scale s = gamma/sqrt(var+eps) and shift t = beta - mean*s.
// why explains a refusal.
func bnParams(n *ir.Node) (s, t []float64, why string) {
	if len(n.Inputs) < 5 {
		return nil, nil, "BN has fewer than 5 inputs"
	}
	if n.AttrInt("training_mode", 0) != 0 {
		return nil, nil, "BN training_mode=1"
	}
	for _, o := range n.Outputs[1:] {
		if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
			return nil, nil, "BN running statistics outputs are used (training form)"
		}
	}
	if n.Attr("spatial") != nil && n.AttrInt("spatial", 1) == 0 {
		return nil, nil, "BN spatial=0 (per-activation statistics)"
	}
	if n.Attr("is_test") != nil && n.AttrInt("is_test", 0) == 0 {
		return nil, nil, "BN is_test=0 (training form)"
	}
	var p [4][]float64
	for i := 0; i < 4; i++ {
		f, dims, ok := constData(n.Inputs[i+1])
		if !ok || len(dims) != 1 {
			return nil, nil, "BN params not constant"
		}
		p[i] = f
	}
	m := len(p[0])
	for i := 1; i < 4; i++ {
		if len(p[i]) != m {
			return nil, nil, "BN params have different lengths"
		}
	}
	eps := float64(n.AttrFloat("epsilon", 1e-5))
	s = make([]float64, m)
	t = make([]float64, m)
	for c := 0; c < m; c++ {
		s[c] = p[0][c] / math.Sqrt(p[3][c]+eps)
		t[c] = p[1][c] - p[2][c]*s[c]
	}
	return s, t, ""
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
