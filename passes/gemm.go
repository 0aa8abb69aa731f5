package passes

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// foldBNIntoGemm folds a BatchNormalization over features into the Gemm
// that reads it (RepViT's NormLinear head: BN1d -> Linear).
//
//	before: y = Gemm(BN(z), W, C?)      z of rank 2, transA = 0
//	after:  y = Gemm(z, W', C')         transB kept
//
// Algebra: BN(z) = z*s + t per feature k (s = gamma/sqrt(var+eps),
// t = beta - mean*s), so with Wn the [N,K] view of W,
// y = alpha*(z diag(s) + t) Wn^T + beta*C: W'n[n,k] = alpha*Wn[n,k]*s[k],
// C' = beta*C + alpha*Wn t; alpha and beta become 1.
// Preconditions: BN output read only by this Gemm; constant parameters;
// z known to be rank 2.
func foldBNIntoGemm(c *ctx) error {
	for _, g := range nodesSnapshot(c.g) {
		if !live(g) || !isOp(g, "Gemm") || len(g.Inputs) < 2 || g.AttrInt("transA", 0) != 0 || !isFloat32Const(g.Inputs[1], 2) {
			continue
		}
		bn := producedBy(g.Inputs[0], "BatchNormalization")
		if bn == nil {
			continue
		}
		if !singleUse(g.Inputs[0]) {
			c.leftAlone(bn, "output also used by %s", otherUser(g.Inputs[0], g))
			continue
		}
		s, t, why := bnParams(bn)
		if why != "" {
			c.leftAlone(bn, "%s", why)
			continue
		}
		if rankOf(bn.Inputs[0], 0) != 2 {
			c.leftAlone(bn, "input rank is not known to be 2")
			continue
		}
		wn, N, K, ok := gemmWeight(g)
		if !ok || K != len(s) {
			continue
		}
		bias, ok := gemmBias(g, N)
		if !ok {
			continue
		}
		for n := 0; n < N; n++ {
			acc := 0.0
			for k := 0; k < K; k++ {
				acc += wn[n*K+k] * t[k]
				wn[n*K+k] *= s[k]
			}
			bias[n] += acc
		}
		wv := c.addConst(g.Name+"_weight_bnfold", []int64{int64(N), int64(K)}, wn)
		bv := c.addConst(g.Name+"_bias_bnfold", []int64{int64(N)}, bias)
		ng := c.g.InsertNodeBefore(g, "Gemm", g.Name, []*ir.Value{bn.Inputs[0], wv, bv}, c.g.UniqueName(g.Outputs[0].Name+"_bnfold"))
		ng.SetAttr(intAttr("transB", 1))
		c.replace(g.Outputs[0], ng.Outputs[0], true)
		c.rewrote("folded BatchNormalization %q into Gemm %q", bn.Name, g.Name)
	}
	return nil
}

// gemmWeight returns alpha*W as an [N,K] row-major matrix (output rows).
func gemmWeight(g *ir.Node) (w []float64, N, K int, ok bool) {
	wt := g.Inputs[1].Const
	f, err := wt.Float64s()
	if err != nil {
		return nil, 0, 0, false
	}
	r, cc := int(wt.Dims[0]), int(wt.Dims[1])
	alpha := float64(g.AttrFloat("alpha", 1))
	if g.AttrInt("transB", 0) != 0 {
		N, K = r, cc
		w = f
	} else {
		N, K = cc, r
		w = make([]float64, N*K)
		for k := 0; k < K; k++ {
			for n := 0; n < N; n++ {
				w[n*K+k] = f[k*N+n]
			}
		}
	}
	for i := range w {
		w[i] *= alpha
	}
	return w, N, K, true
}

// gemmBias returns beta*C broadcast to [N] (C scalar, [N] or [1,N]), or
// zeros when C is absent.
func gemmBias(g *ir.Node, N int) ([]float64, bool) {
	b := make([]float64, N)
	if len(g.Inputs) < 3 || g.Inputs[2] == nil {
		return b, true
	}
	f, ok := channelConst(g.Inputs[2], 2)
	if !ok {
		return nil, false
	}
	f = expand(f, N)
	if f == nil {
		return nil, false
	}
	beta := float64(g.AttrFloat("beta", 1))
	for i := range b {
		b[i] = beta * f[i]
	}
	return b, true
}

// collapseGemms merges a subgraph linear in one rank-2 tensor x built from
// Gemm (and MatMul with a constant right operand), Add/Sub, Mul/Div by
// per-feature or scalar constants and BatchNormalization into one Gemm:
// averaged classifier heads and Gemm+BN.
//
//	before: y = Mul(Add(Gemm(x, W1, b1), Gemm(x, W2, b2)), 0.5)   (or Div by 2)
//	after:  y = Gemm(x, (W1+W2)/2, (b1+b2)/2)  transB = 1
//
//	before: y = BN(Gemm(x, W, b))
//	after:  y = Gemm(x, s*W, s*(b-mean)+beta)
//
// Algebra: each tensor is an affine map x -> x A^T + a with A [N,K]; sums
// add the maps, per-feature scales s scale rows of A and a, BN is a
// per-feature scale and shift. Preconditions: every intermediate has one
// reader and is not a graph output; transA = 0; constant weights; the
// same x in every leaf; MatMul leaves only when x is known to be rank 2.
func collapseGemms(c *ctx) error {
	nodes := nodesSnapshot(c.g)
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if !live(n) || len(n.Outputs) == 0 || n.Outputs[0] == nil {
			continue
		}
		if !(isOp(n, "Add") || isOp(n, "Sub") || isOp(n, "Mul") || isOp(n, "Div") || isOp(n, "BatchNormalization")) {
			continue
		}
		w := &gemmWalk{c: c}
		m := w.walk(n.Outputs[0], true)
		if m == nil || w.failed || w.leaves == 0 || len(w.nodes) < 2 {
			if w.why != "" && w.leaves > 0 {
				c.leftAlone(n, "%s", w.why)
			}
			continue
		}
		wv := c.addConst(n.Outputs[0].Name+"_weight", []int64{int64(m.N), int64(m.K)}, m.A)
		bv := c.addConst(n.Outputs[0].Name+"_bias", []int64{int64(m.N)}, m.a)
		g := c.g.InsertNodeBefore(n, "Gemm", n.Name+"_gemm", []*ir.Value{w.x, wv, bv}, c.g.UniqueName(n.Outputs[0].Name+"_gemm"))
		g.SetAttr(intAttr("transB", 1))
		c.replace(n.Outputs[0], g.Outputs[0], true)
		c.rewrote("merged %d nodes (%d Gemm/MatMul) into one Gemm producing %q", len(w.nodes), w.leaves, g.Outputs[0].Name)
	}
	return nil
}

// affine2 is x -> x A^T + a with A [N,K].
type affine2 struct {
	N, K int
	A, a []float64
}

type gemmWalk struct {
	c      *ctx
	x      *ir.Value
	nodes  []*ir.Node
	leaves int
	failed bool
	why    string
}

func (w *gemmWalk) fail(format string, args ...any) *affine2 {
	w.failed = true
	if w.why == "" {
		w.why = fmt.Sprintf(format, args...)
	}
	return nil
}

func (w *gemmWalk) setX(v *ir.Value) bool {
	if w.x == nil {
		w.x = v
	}
	if w.x != v {
		w.failed = true
		return false
	}
	return true
}

func (w *gemmWalk) walk(v *ir.Value, root bool) *affine2 {
	n := v.Producer
	if n == nil || n.Owner != w.c.g || v.OutIndex != 0 || (!root && !singleUse(v)) {
		w.failed = true
		return nil
	}
	switch {
	case isOp(n, "Gemm"):
		if len(n.Inputs) < 2 || n.AttrInt("transA", 0) != 0 || !isFloat32Const(n.Inputs[1], 2) {
			return w.fail("")
		}
		A, N, K, ok := gemmWeight(n)
		if !ok {
			return w.fail("")
		}
		a, ok := gemmBias(n, N)
		if !ok || !w.setX(n.Inputs[0]) {
			return w.fail("")
		}
		w.nodes = append(w.nodes, n)
		w.leaves++
		return &affine2{N: N, K: K, A: A, a: a}
	case isOp(n, "MatMul"):
		if len(n.Inputs) != 2 || !isFloat32Const(n.Inputs[1], 2) || rankOf(n.Inputs[0], 0) != 2 || !w.setX(n.Inputs[0]) {
			return w.fail("")
		}
		wt := n.Inputs[1].Const
		f, _ := wt.Float64s()
		K, N := int(wt.Dims[0]), int(wt.Dims[1])
		A := make([]float64, N*K)
		for k := 0; k < K; k++ {
			for j := 0; j < N; j++ {
				A[j*K+k] = f[k*N+j]
			}
		}
		w.nodes = append(w.nodes, n)
		w.leaves++
		return &affine2{N: N, K: K, A: A, a: make([]float64, N)}
	case isOp(n, "BatchNormalization"):
		s, t, why := bnParams(n)
		if why != "" {
			return w.fail("%s", why)
		}
		in := w.walk(n.Inputs[0], false)
		if in == nil || in.N != len(s) {
			return w.fail("")
		}
		w.nodes = append(w.nodes, n)
		return in.affine(s, t)
	case isOp(n, "Add"), isOp(n, "Sub"):
		if len(n.Inputs) != 2 {
			return w.fail("")
		}
		sign := 1.0
		if isOp(n, "Sub") {
			sign = -1
		}
		a, b := n.Inputs[0], n.Inputs[1]
		if a.IsConst() || b.IsConst() {
			cv, tv, first := b, a, false
			if a.IsConst() {
				cv, tv, first = a, b, true
			}
			cf, ok := channelConst(cv, 2)
			if !ok {
				return w.fail("")
			}
			in := w.walk(tv, false)
			if in == nil {
				return nil
			}
			cf = expand(cf, in.N)
			if cf == nil {
				return w.fail("")
			}
			w.nodes = append(w.nodes, n)
			sc, bias := []float64{1}, make([]float64, len(cf))
			for i, x := range cf {
				bias[i] = x
				if !first {
					bias[i] = sign * x
				}
			}
			if first && sign < 0 {
				sc = []float64{-1}
			}
			return in.affine(expand(sc, in.N), bias)
		}
		ta := w.walk(a, false)
		if ta == nil {
			return nil
		}
		tb := w.walk(b, false)
		if tb == nil {
			return nil
		}
		if ta.N != tb.N || ta.K != tb.K {
			return w.fail("heads have different shapes")
		}
		w.nodes = append(w.nodes, n)
		for i := range ta.A {
			ta.A[i] += sign * tb.A[i]
		}
		for i := range ta.a {
			ta.a[i] += sign * tb.a[i]
		}
		return ta
	case isOp(n, "Mul"), isOp(n, "Div"):
		if len(n.Inputs) != 2 {
			return w.fail("")
		}
		a, b := n.Inputs[0], n.Inputs[1]
		cv, tv := b, a
		if isOp(n, "Mul") && a.IsConst() {
			cv, tv = a, b
		}
		cf, ok := channelConst(cv, 2)
		if !ok || tv.IsConst() {
			return w.fail("")
		}
		in := w.walk(tv, false)
		if in == nil {
			return nil
		}
		cf = expand(cf, in.N)
		if cf == nil {
			return w.fail("")
		}
		s := make([]float64, in.N)
		for i, x := range cf {
			if isOp(n, "Div") {
				if x == 0 {
					return w.fail("")
				}
				x = 1 / x
			}
			s[i] = x
		}
		w.nodes = append(w.nodes, n)
		return in.affine(s, make([]float64, in.N))
	}
	w.failed = true
	return nil
}

// affine applies y -> y*s + t per output feature.
func (m *affine2) affine(s, t []float64) *affine2 {
	for n := 0; n < m.N; n++ {
		for k := 0; k < m.K; k++ {
			m.A[n*m.K+k] *= s[n]
		}
		m.a[n] = m.a[n]*s[n] + t[n]
	}
	return m
}
