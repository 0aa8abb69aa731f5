package passes

import (
	"github.com/mconv/mconv/ir"
)

// fuseSqueezeExcite replaces a Squeeze-and-Excite block with the fused op
// mconv.SqueezeExcite (see ir/fused.go).
//
//	before: s = GlobalAveragePool(x) | ReduceMean(x, axes=[2,3]) | AveragePool(x, kernel=[H,W])
//	        [Flatten/Reshape] -> h = Relu|mconv.SiLU(Conv1x1(s, W1, b1) | Gemm(s, W1, b1))
//	        z = Conv1x1(h, W2, b2) | Gemm(h, W2, b2)
//	        g = Sigmoid(z) | HardSigmoid(z) [-> Reshape to [N,C,1,1]]
//	        y = Mul(x, g) | Mul(g, x)
//	after:  y = mconv.SqueezeExcite(x, W1', b1, W2', b2) {gate, alpha, beta}
//
// W1' is [Cr,C,1,1] and W2' [C,Cr,1,1] (Gemm weights reshaped, alpha and
// beta of Gemm folded in); absent biases become zeros.
//
// Algebra: the three poolings compute the same per-channel mean s [N,C,1,1]
// (AveragePool only when its kernel is x's whole static H x W, unpadded); a
// 1x1 Conv on [N,C,1,1] is the Gemm s W^T + b on the flattened [N,C], so
// either form gives h and z = W2 h + b2; Flatten/Reshape between [N,C] and
// [N,C,1,1] only relabel the same N*C values; Mul is commutative. That is
// SqueezeExcite's definition with gate = Sigmoid or HardSigmoid{alpha,
// beta} (the node's own values) and act = relu or silu (EfficientNet's SE:
// SiLU, fused to mconv.SiLU by act-fuse in an earlier round, sits where
// MobileNetV3's Relu does). Preconditions:
// x is 4-D; each intermediate has one reader and is not a graph output;
// 1x1 Convs are plain (group 1, stride 1, no padding); weights constant.
func fuseSqueezeExcite(c *ctx) error {
	for _, m := range nodesSnapshot(c.g) {
		if !live(m) || !isOp(m, "Mul") || len(m.Inputs) != 2 {
			continue
		}
		for k := 0; k < 2; k++ {
			x, gv := m.Inputs[k], m.Inputs[1-k]
			if se := matchSE(x, gv); se != nil {
				c.emitSE(m, x, se)
				break
			}
		}
	}
	return nil
}

type seMatch struct {
	w1, b1, w2, b2 []float64
	C, Cr          int
	gate           string
	act            string // inner activation: "relu" or "silu"
	alpha, beta    float32
	nodes          int
}

// matchSE walks from the gate operand gv back to a pooling of x.
func matchSE(x, gv *ir.Value) *seMatch {
	if x == gv || !singleUse(gv) {
		return nil
	}
	se := &seMatch{}
	reshaped := false
	if r := producedBy(gv, "Reshape"); r != nil {
		if !isGateShape(r) || !singleUse(r.Inputs[0]) {
			return nil
		}
		gv, reshaped = r.Inputs[0], true
		se.nodes++
	}
	act := gv.Producer
	switch {
	case isOp(act, "Sigmoid"):
		se.gate = "sigmoid"
	case isOp(act, "HardSigmoid"):
		se.gate = "hardsigmoid"
		se.alpha, se.beta = act.AttrFloat("alpha", 0.2), act.AttrFloat("beta", 0.5)
	default:
		return nil
	}
	z := act.Inputs[0]
	if !singleUse(z) {
		return nil
	}
	fc2, gemm2 := z.Producer, false
	var ok bool
	switch {
	case isOp(fc2, "Conv"):
		se.w2, se.b2, se.C, se.Cr, ok = pointwise(fc2)
	case isOp(fc2, "Gemm"):
		se.w2, se.b2, se.C, se.Cr, ok = gemmPointwise(fc2)
		gemm2 = true
	}
	if !ok || (gemm2 && !reshaped) {
		return nil // a Gemm gate must be viewed back to [N,C,1,1]
	}
	h := fc2.Inputs[0]
	inner := h.Producer
	switch {
	case isOp(inner, "Relu"):
		se.act = "relu"
	case isFusedOp(inner, "SiLU"):
		se.act = "silu"
	default:
		return nil
	}
	if !singleUse(h) || len(inner.Inputs) != 1 || !singleUse(inner.Inputs[0]) {
		return nil
	}
	fc1 := inner.Inputs[0].Producer
	var C, Cr int
	gemm1 := false
	switch {
	case isOp(fc1, "Conv"):
		se.w1, se.b1, Cr, C, ok = pointwise(fc1)
	case isOp(fc1, "Gemm"):
		se.w1, se.b1, Cr, C, ok = gemmPointwise(fc1)
		gemm1 = true
	default:
		ok = false
	}
	if !ok || C != se.C || Cr != se.Cr || gemm1 != gemm2 {
		return nil
	}
	s := fc1.Inputs[0]
	if !singleUse(s) {
		return nil
	}
	flat := false
	if gemm1 {
		if f := s.Producer; (isOp(f, "Flatten") && f.AttrInt("axis", 1) == 1) || (isOp(f, "Reshape") && isFlatShape(f)) {
			s = f.Inputs[0]
			flat = true
			se.nodes++
			if !singleUse(s) {
				return nil
			}
		}
	}
	pool := s.Producer
	if pool == nil || pool.Inputs[0] != x {
		return nil
	}
	switch {
	case isOp(pool, "GlobalAveragePool"):
		if gemm1 && !flat {
			return nil
		}
	case isOp(pool, "ReduceMean"):
		if !isSpatialMean(pool) {
			return nil
		}
		keep := pool.AttrInt("keepdims", 1) != 0
		if (gemm1 && keep && !flat) || (!gemm1 && !keep) {
			return nil
		}
	case isOp(pool, "AveragePool"):
		if !isFullPool(pool, x) || (gemm1 && !flat) {
			return nil
		}
	default:
		return nil
	}
	if r := rankOf(x, 0); r != 4 && !(r < 0 && !gemm1) {
		return nil
	}
	if x.Type.HasShape && len(x.Type.Shape) == 4 && x.Type.Shape[1].Known() && x.Type.Shape[1].Size != int64(se.C) {
		return nil
	}
	se.nodes += 6
	return se
}

// pointwise reads a plain 1x1 Conv: W [M,K,1,1] and bias.
func pointwise(n *ir.Node) (w, b []float64, M, K int, ok bool) {
	if len(n.Inputs) < 2 || !isFloat32Const(n.Inputs[1], 4) || n.AttrInt("group", 1) != 1 {
		return
	}
	d := n.Inputs[1].Const.Dims
	if d[2] != 1 || d[3] != 1 {
		return
	}
	for _, a := range []string{"strides", "dilations"} {
		for _, v := range n.AttrInts(a, nil) {
			if v != 1 {
				return
			}
		}
	}
	for _, v := range n.AttrInts("pads", nil) {
		if v != 0 {
			return
		}
	}
	if ap := n.AttrString("auto_pad", "NOTSET"); ap != "NOTSET" && ap != "VALID" && ap != "" {
		return
	}
	M, K = int(d[0]), int(d[1])
	w, _ = n.Inputs[1].Const.Float64s()
	b = make([]float64, M)
	if len(n.Inputs) > 2 && n.Inputs[2] != nil {
		if !isFloat32Const(n.Inputs[2], 1) {
			return
		}
		f, _ := n.Inputs[2].Const.Float64s()
		if len(f) != M {
			return
		}
		copy(b, f)
	}
	return w, b, M, K, true
}

// gemmPointwise reads a Gemm as a 1x1 conv: W [N,K] and bias.
func gemmPointwise(n *ir.Node) (w, b []float64, N, K int, ok bool) {
	if len(n.Inputs) < 2 || n.AttrInt("transA", 0) != 0 || !isFloat32Const(n.Inputs[1], 2) {
		return
	}
	w, N, K, ok = gemmWeight(n)
	if !ok {
		return
	}
	b, ok = gemmBias(n, N)
	return
}

// isGateShape reports whether a Reshape's constant shape views [N,C] or
// [N,C,1,1] as [N,C,1,1] (like [-1,C,1,1] or [0,C,1,1] or [1,C,1,1]).
func isGateShape(r *ir.Node) bool {
	if len(r.Inputs) < 2 || !r.Inputs[1].IsConst() {
		return false
	}
	s, err := r.Inputs[1].Const.Int64s()
	return err == nil && len(s) == 4 && s[1] > 0 && s[2] == 1 && s[3] == 1 && (s[0] == -1 || s[0] == 0 || s[0] == 1)
}

// isFlatShape reports whether a Reshape flattens [N,C,1,1] to [N,C].
func isFlatShape(r *ir.Node) bool {
	if len(r.Inputs) < 2 || !r.Inputs[1].IsConst() {
		return false
	}
	s, err := r.Inputs[1].Const.Int64s()
	return err == nil && len(s) == 2 && (s[0] == -1 || s[0] == 0 || s[0] == 1) && (s[1] > 0 || s[1] == -1 && s[0] != -1)
}

// isSpatialMean reports whether ReduceMean averages over axes 2 and 3 of a
// 4-D tensor (attribute or constant input; negative axes allowed).
func isSpatialMean(n *ir.Node) bool {
	axes := n.AttrInts("axes", nil)
	if len(n.Inputs) > 1 && n.Inputs[1] != nil {
		if !n.Inputs[1].IsConst() {
			return false
		}
		a, err := n.Inputs[1].Const.Int64s()
		if err != nil {
			return false
		}
		axes = a
	}
	if len(axes) != 2 {
		return false
	}
	has := map[int64]bool{}
	for _, a := range axes {
		if a < 0 {
			a += 4
		}
		has[a] = true
	}
	return has[2] && has[3]
}

// isFullPool reports whether an AveragePool covers x's whole (static)
// spatial extent without padding.
func isFullPool(n *ir.Node, x *ir.Value) bool {
	if !x.Type.HasShape || len(x.Type.Shape) != 4 || !x.Type.Shape.Static() {
		return false
	}
	k := n.AttrInts("kernel_shape", nil)
	if len(k) != 2 || k[0] != x.Type.Shape[2].Size || k[1] != x.Type.Shape[3].Size {
		return false
	}
	for _, p := range n.AttrInts("pads", nil) {
		if p != 0 {
			return false
		}
	}
	ap := n.AttrString("auto_pad", "NOTSET")
	return ap == "NOTSET" || ap == "VALID" || ap == ""
}

// emitSE replaces Mul m (reading x) with SqueezeExcite.
func (c *ctx) emitSE(m *ir.Node, x *ir.Value, se *seMatch) {
	out := m.Outputs[0]
	w1 := c.addConst(out.Name+"_se_w1", []int64{int64(se.Cr), int64(se.C), 1, 1}, se.w1)
	b1 := c.addConst(out.Name+"_se_b1", []int64{int64(se.Cr)}, se.b1)
	w2 := c.addConst(out.Name+"_se_w2", []int64{int64(se.C), int64(se.Cr), 1, 1}, se.w2)
	b2 := c.addConst(out.Name+"_se_b2", []int64{int64(se.C)}, se.b2)
	n := c.g.InsertNodeBefore(m, "SqueezeExcite", m.Name+"_se", []*ir.Value{x, w1, b1, w2, b2}, c.g.UniqueName(out.Name+"_se"))
	n.Domain = ir.FusedDomain
	n.SetAttr(stringAttr("gate", se.gate))
	if se.act != "relu" {
		n.SetAttr(stringAttr("act", se.act))
	}
	if se.gate == "hardsigmoid" {
		n.SetAttr(floatAttr("alpha", se.alpha))
		n.SetAttr(floatAttr("beta", se.beta))
	}
	c.useFusedDomain()
	c.replace(out, n.Outputs[0], true)
	c.rewrote("fused Squeeze-and-Excite (%d nodes, C=%d, Cr=%d, %s) into SqueezeExcite %q", se.nodes, se.C, se.Cr, se.act+"/"+se.gate, n.Outputs[0].Name)
}

// useFusedDomain adds the mconv opset import if missing.
func (c *ctx) useFusedDomain() {
	if c.m.Opset(ir.FusedDomain) == 0 {
		c.m.Opsets = append(c.m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
	}
}
