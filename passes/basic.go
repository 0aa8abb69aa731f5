package passes

import (
	"github.com/mconv/mconv/ir"
)

// eliminateIdentity removes Identity and inference Dropout.
//
//	before: y = Identity(x)        or  y = Dropout(x, ratio?, training_mode=false?)
//	after:  readers of y read x
//
// Preconditions: Dropout's mask output unused and training_mode absent or a
// constant false. When y is a graph output, x must be a node output of this
// graph that is not itself a graph output; x then takes y's name so the
// model's interface is unchanged. Otherwise the node is kept (reported).
func eliminateIdentity(c *ctx) error {
	for _, n := range nodesSnapshot(c.g) {
		if !live(n) || !(isOp(n, "Identity") || isOp(n, "Dropout")) || len(n.Inputs) == 0 || n.Inputs[0] == nil || n.Outputs[0] == nil {
			continue
		}
		if !n.Inputs[0].Type.IsTensor() && n.Inputs[0].Type.Kind != ir.KindUnknown {
			continue // sequences/optionals: keep
		}
		if isOp(n, "Dropout") {
			if len(n.Outputs) > 1 && n.Outputs[1] != nil && (len(n.Outputs[1].Uses) > 0 || n.Outputs[1].IsOutput) {
				c.leftAlone(n, "Dropout mask output is used")
				continue
			}
			if len(n.Inputs) > 2 && n.Inputs[2] != nil {
				f, ok := scalarConstAny(n.Inputs[2])
				if !ok || f != 0 {
					c.leftAlone(n, "Dropout training_mode is not a constant false")
					continue
				}
			}
		}
		x, y := n.Inputs[0], n.Outputs[0]
		if y.IsOutput && (x.Producer == nil || x.Owner != c.g || x.IsOutput) {
			c.leftAlone(n, "output %q is a graph output and input %q is a graph input, constant or output", y.Name, x.Name)
			continue
		}
		name := y.Name
		wasOut := y.IsOutput
		y.ReplaceAllUsesWith(x)
		c.removeDead(n)
		if wasOut && c.g.Lookup(name) == nil {
			_ = c.g.Rename(x, name)
		}
		c.rewrote("removed %s %q", n.OpType, n.Name)
	}
	return nil
}

// scalarConstAny reads a one-element numeric or bool constant.
func scalarConstAny(v *ir.Value) (float64, bool) {
	if !v.IsConst() {
		return 0, false
	}
	f, err := v.Const.Scalar()
	return f, err == nil
}

// eliminateDeadCode removes nodes none of whose outputs is read or a graph
// output, and initializers nothing reads (graph inputs are kept).
//
//	before: t = Op(...)  with t unused
//	after:  (nothing)
//
// Algebra: a value no graph output depends on cannot change an output, and
// ONNX ops have no side effects. Preconditions: none beyond that (graph
// inputs and outputs are never removed; subgraphs of removed nodes are
// detached with them).
func eliminateDeadCode(c *ctx) error {
	nodes, consts := 0, 0
	for i := len(c.g.Nodes) - 1; i >= 0; i-- {
		if i >= len(c.g.Nodes) {
			continue
		}
		n := c.g.Nodes[i]
		dead := true
		for _, o := range n.Outputs {
			if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
				dead = false
			}
		}
		if dead {
			detachSubgraphs(n)
			c.g.RemoveNode(n)
			nodes++
		}
	}
	for _, v := range append([]*ir.Value(nil), c.g.Initializers...) {
		if len(v.Uses) == 0 && !v.IsOutput && !v.IsInput {
			c.g.RemoveConst(v)
			consts++
		}
	}
	if nodes+consts > 0 {
		c.rewrote("removed %d unused nodes and %d unused initializers", nodes, consts)
	}
	return nil
}

// foldConvBN folds an inference BatchNormalization into the Conv before it.
//
//	before: y = BN(Conv(x, W, B?), gamma, beta, mean, var)
//	after:  y = Conv(x, W', B')
//
// Algebra, with s = gamma/sqrt(var+eps) per output channel o:
// W'[o] = s[o]*W[o], B' = s*(B - mean) + beta (B = 0 when absent). Any
// groups, strides, pads and dilations (the BN acts on output channels only).
// Preconditions: the Conv output feeds only the BN and is not a graph
// output; BN parameters constant; training_mode 0; float32 weights.
func foldConvBN(c *ctx) error {
	for _, bn := range nodesSnapshot(c.g) {
		if !live(bn) || !isOp(bn, "BatchNormalization") || len(bn.Inputs) < 5 {
			continue
		}
		conv := producedBy(bn.Inputs[0], "Conv")
		if conv == nil || len(conv.Inputs) < 2 || !isFloat32Const(conv.Inputs[1], -1) || len(conv.Inputs[1].Const.Dims) < 3 {
			continue
		}
		if len(conv.Inputs) > 2 && conv.Inputs[2] != nil && !isFloat32Const(conv.Inputs[2], 1) {
			c.leftAlone(bn, "Conv bias is not constant")
			continue
		}
		if !singleUse(bn.Inputs[0]) {
			c.leftAlone(bn, "Conv output %q also used by %s", bn.Inputs[0].Name, otherUser(bn.Inputs[0], bn))
			continue
		}
		s, t, why := bnParams(bn)
		if why != "" {
			c.leftAlone(bn, "%s", why)
			continue
		}
		wt := conv.Inputs[1].Const
		M := int(wt.Dims[0])
		if len(s) != M {
			c.leftAlone(bn, "BN has %d channels, Conv %d", len(s), M)
			continue
		}
		w, _ := wt.Float64s()
		per := len(w) / M
		for o := 0; o < M; o++ {
			for j := o * per; j < (o+1)*per; j++ {
				w[j] *= s[o]
			}
		}
		b := make([]float64, M)
		if len(conv.Inputs) > 2 && conv.Inputs[2] != nil {
			old, _ := conv.Inputs[2].Const.Float64s()
			if len(old) != M {
				continue
			}
			copy(b, old)
		}
		for o := range b {
			b[o] = s[o]*b[o] + t[o]
		}
		wv := c.addConst(conv.Inputs[1].Name+"_bnfold", wt.Dims, w)
		bv := c.addConst(conv.Name+"_bias_bnfold", []int64{int64(M)}, b)
		oldW, oldB := conv.Inputs[1], conv.Input(2)
		conv.SetInput(1, wv)
		conv.SetInput(2, bv)
		for _, v := range []*ir.Value{oldW, oldB} {
			if v != nil && len(v.Uses) == 0 && !v.IsInput && !v.IsOutput {
				c.g.RemoveConst(v)
			}
		}
		c.replace(bn.Outputs[0], conv.Outputs[0], true)
		c.rewrote("folded BatchNormalization %q into Conv %q", bn.Name, conv.Name)
	}
	return nil
}

// lowerBatchNorm rewrites a BatchNormalization that no other pass could
// absorb into a per-channel scale and shift.
//
//	before: y = BN(x, gamma, beta, mean, var)           x of rank r >= 2
//	after:  y = Add(Mul(x, s), t)   s, t of shape [C, 1, ..., 1] (r-2 ones)
//
// Algebra: s = gamma/sqrt(var+eps), t = beta - mean*s.
// Preconditions: inference BN with constant parameters; the rank of x is
// known (from its type or its producer).
func lowerBatchNorm(c *ctx) error {
	for _, bn := range nodesSnapshot(c.g) {
		if !live(bn) || !isOp(bn, "BatchNormalization") || len(bn.Inputs) < 5 {
			continue
		}
		if !isFloat32Const(bn.Inputs[1], 1) {
			continue // the scale and shift are written as float32
		}
		s, t, why := bnParams(bn)
		if why != "" {
			c.leftAlone(bn, "%s", why)
			continue
		}
		r := rankOf(bn.Inputs[0], 0)
		if r < 2 {
			c.leftAlone(bn, "rank of input %q unknown", bn.Inputs[0].Name)
			continue
		}
		dims := []int64{int64(len(s))}
		for i := 2; i < r; i++ {
			dims = append(dims, 1)
		}
		out := bn.Outputs[0]
		sv := c.addConst(bn.Name+"_scale", dims, s)
		tv := c.addConst(bn.Name+"_shift", dims, t)
		mul := c.g.InsertNodeBefore(bn, "Mul", bn.Name+"_mul", []*ir.Value{bn.Inputs[0], sv}, c.g.UniqueName(out.Name+"_scaled"))
		mul.Outputs[0].Type = out.Type.Clone()
		add := c.g.InsertNodeBefore(bn, "Add", bn.Name+"_add", []*ir.Value{mul.Outputs[0], tv}, c.g.UniqueName(out.Name+"_shifted"))
		c.replace(out, add.Outputs[0], true)
		c.rewrote("BatchNormalization %q -> Mul + Add", bn.Name)
	}
	return nil
}

// rankOf returns v's rank from its type or, failing that, from its
// producer (Conv: weight rank; elementwise: its inputs; Gemm/Flatten: 2),
// or -1.
func rankOf(v *ir.Value, depth int) int {
	if v == nil || depth > 64 {
		return -1
	}
	if v.Type.IsTensor() && v.Type.HasShape {
		return len(v.Type.Shape)
	}
	if v.IsConst() {
		return len(v.Const.Dims)
	}
	n := v.Producer
	if n == nil || (n.Domain != "" && n.Domain != ir.FusedDomain) {
		return -1
	}
	switch n.OpType {
	case "Conv":
		if len(n.Inputs) > 1 && n.Inputs[1] != nil {
			if n.Inputs[1].IsConst() {
				return len(n.Inputs[1].Const.Dims)
			}
			return rankOf(n.Inputs[0], depth+1)
		}
	case "Gemm", "Flatten":
		return 2
	case "ReduceMean", "ReduceSum", "ReduceMax":
		r := rankOf(n.Inputs[0], depth+1)
		if r < 0 || n.AttrInt("keepdims", 1) != 0 {
			return r
		}
		axes := n.AttrInts("axes", nil)
		if len(n.Inputs) > 1 && n.Inputs[1] != nil {
			if !n.Inputs[1].IsConst() {
				return -1
			}
			return r - int(n.Inputs[1].Const.Len())
		}
		if axes == nil {
			return 0
		}
		return r - len(axes)
	case "Reshape":
		if len(n.Inputs) > 1 && n.Inputs[1].IsConst() && len(n.Inputs[1].Const.Dims) == 1 {
			return int(n.Inputs[1].Const.Dims[0])
		}
	case "BatchNormalization", "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Gelu", "SiLU", "Erf", "Tanh", "Clip",
		"GlobalAveragePool", "GlobalMaxPool", "MaxPool", "AveragePool", "Identity", "Dropout", "Neg", "Sqrt",
		"LeakyRelu", "Elu", "Softmax", "SqueezeExcite", "Pad":
		return rankOf(n.Inputs[0], depth+1)
	case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum":
		r := -1
		for _, in := range n.Inputs {
			ri := rankOf(in, depth+1)
			if ri < 0 {
				return -1
			}
			r = max(r, ri)
		}
		return r
	}
	return -1
}
