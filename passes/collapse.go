package passes

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// collapseBranches is the general structural-reparameterization pass.
//
// Pattern: a subgraph whose output r is linear (affine) in one tensor x,
// built only from
//
//	Conv(x, W, B?)           2-D, constant W/B, kernel centred: pads = (k-1)/2*dilation, odd k
//	                         (a non-centred Conv only as the single Conv, with per-channel
//	                         ops on top: layer scale after a patch-embedding Conv, say)
//	BatchNormalization(t)    inference, constant parameters
//	Add(t, u) / Sub(t, u)    of two such tensors, or of one and a per-channel constant
//	Sum(t1, ..., tk)         of such tensors
//	Mul(t, c) / Div(t, c)    by a per-channel (or scalar) constant, either operand order
//	x itself                 (the identity branch)
//
// where every intermediate tensor has exactly one consumer and is not a
// graph output, and at least one Conv is involved.
//
//	before: r = BN3( BN1(Conv3x3(x)) + BN2(Conv1x1(x)) + BN0(x) )  (any nesting / order)
//	after:  r = Conv(x, W', b')  with W' 3x3, same stride, pads 1
//
// Algebra: every tensor t is represented as an affine map of x,
// t = K_t * x + b_t, with K_t a convolution kernel [M, C/G, kh, kw] (G
// groups) and b_t a per-channel bias [M]. x is the centred delta kernel
// (depthwise: G = C, K[c,0,0,0] = 1). Conv(x) is its own (W, B). BN with
// s = gamma/sqrt(var+eps) maps (K, b) to (s[o]*K[o], s*(b - mean) + beta);
// Mul by c scales rows; Add of a constant adds to b. Add/Sub of two maps
// first brings both to the common group count gcd(G1, G2) (a G-grouped
// kernel is a block-diagonal gcd-grouped one, so depthwise stays depthwise
// when every branch is depthwise) and to the largest kernel, zero-padding
// smaller kernels symmetrically (they are centred, so taps align), then
// adds. Strides must agree; dilations must agree on axes where a kernel is
// larger than 1. Because the representation is canonical, summation order
// and Add nesting do not matter.
//
// Preconditions checked: float32 weights; equal output channel counts;
// identity only with stride 1. Near-misses (an intermediate used
// elsewhere, different strides or dilations, BN in training mode or with
// non-constant parameters, non-centred pads) are left alone and reported.
func collapseBranches(c *ctx) error {
	nodes := nodesSnapshot(c.g)
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		if !live(n) || len(n.Outputs) == 0 || n.Outputs[0] == nil {
			continue
		}
		switch {
		case isOp(n, "Add"), isOp(n, "Sub"), isOp(n, "Sum"), isOp(n, "BatchNormalization"), isOp(n, "Mul"), isOp(n, "Div"):
		default:
			continue
		}
		w := &linWalk{c: c}
		t := w.walk(n.Outputs[0], true)
		if w.failed || t == nil {
			if w.why == "" {
				// Report a shared intermediate only when it is itself a
				// branch of one of the subgraph's inputs (a real
				// near-miss, not an ordinary residual connection).
				for _, s := range w.shared {
					if len(s.Producer.Inputs) > 0 && w.leaves[s.Producer.Inputs[0]] {
						w.why = fmt.Sprintf("branch output %q also used by %s", s.Name, otherUser(s, nil))
						break
					}
				}
			}
			if w.why != "" && w.convs > 0 {
				c.leftAlone(n, "%s", w.why)
			}
			continue
		}
		if w.convs == 0 || len(w.nodes) < 2 || w.x == nil {
			continue
		}
		lm, err := t.eval(w.x)
		if err != nil {
			c.leftAlone(n, "%v", err)
			continue
		}
		c.emitConv(n, lm, w)
	}
	return nil
}

// emitConv replaces root's output with one Conv computing lm.
func (c *ctx) emitConv(root *ir.Node, lm *linMap, w *linWalk) {
	out := root.Outputs[0]
	base := out.Name
	wv := c.addConst(base+"_weight", []int64{int64(lm.M), int64(lm.C / lm.G), int64(lm.kh), int64(lm.kw)}, lm.K)
	bv := c.addConst(base+"_bias", []int64{int64(lm.M)}, lm.b)
	conv := c.g.InsertNodeBefore(root, "Conv", root.Name+"_reparam", []*ir.Value{w.x, wv, bv}, c.g.UniqueName(base+"_reparam"))
	if lm.raw != nil {
		for _, a := range lm.raw.Attrs {
			ac := *a
			conv.SetAttr(&ac)
		}
		c.replace(out, conv.Outputs[0], true)
		c.rewrote("folded %d per-channel ops into Conv %q (pads kept) producing %q", len(w.nodes)-1, lm.raw.Name, conv.Outputs[0].Name)
		return
	}
	dil := []int64{max(lm.dil[0], 1), max(lm.dil[1], 1)}
	conv.SetAttr(intsAttr("dilations", dil...))
	conv.SetAttr(intAttr("group", int64(lm.G)))
	conv.SetAttr(intsAttr("kernel_shape", int64(lm.kh), int64(lm.kw)))
	ph, pw := int64(lm.kh-1)/2*dil[0], int64(lm.kw-1)/2*dil[1]
	conv.SetAttr(intsAttr("pads", ph, pw, ph, pw))
	conv.SetAttr(intsAttr("strides", lm.stride[0], lm.stride[1]))
	c.replace(out, conv.Outputs[0], true)
	c.rewrote("collapsed %d nodes (%d Conv) into one %dx%d Conv (group %d) producing %q", len(w.nodes), w.convs, lm.kh, lm.kw, lm.G, conv.Outputs[0].Name)
}

// linWalk finds the linear subgraph below a root value.
type linWalk struct {
	c      *ctx
	x      *ir.Value
	nodes  []*ir.Node
	convs  int
	failed bool
	why    string
	shared []*ir.Value // Conv/BN outputs used outside the subgraph, met as leaves
	leaves map[*ir.Value]bool
}

func (w *linWalk) fail(format string, args ...any) *linTerm {
	w.failed = true
	if w.why == "" {
		w.why = fmt.Sprintf(format, args...)
	}
	return nil
}

// leaf records v as the tensor the subgraph is linear in.
func (w *linWalk) leaf(v *ir.Value) *linTerm {
	if w.leaves == nil {
		w.leaves = map[*ir.Value]bool{}
	}
	w.leaves[v] = true
	if w.x == nil {
		w.x = v
	}
	if v != w.x {
		w.failed = true
		return nil
	}
	return &linTerm{kind: termIdentity}
}

// walk builds the term for v. Values that cannot be decomposed (or are used
// elsewhere) are leaves.
func (w *linWalk) walk(v *ir.Value, root bool) *linTerm {
	n := v.Producer
	if v.IsConst() || v.IsInput || n == nil || n.Owner != w.c.g || v.OutIndex != 0 {
		return w.leaf(v)
	}
	decomposable := isOp(n, "Conv") || isOp(n, "BatchNormalization") || isOp(n, "Add") || isOp(n, "Sub") || isOp(n, "Sum") || isOp(n, "Mul") || isOp(n, "Div")
	if !decomposable {
		return w.leaf(v)
	}
	if !root && !singleUse(v) {
		// A shared intermediate can only be the leaf x itself.
		if isOp(n, "Conv") || isOp(n, "BatchNormalization") {
			w.shared = append(w.shared, v)
		}
		return w.leaf(v)
	}
	switch {
	case isOp(n, "Conv"):
		return w.conv(n)
	case isOp(n, "BatchNormalization"):
		s, t, why := bnParams(n)
		if why != "" {
			w.why = why
			return w.leaf(v)
		}
		in := w.walk(n.Inputs[0], false)
		if in == nil {
			return nil
		}
		w.nodes = append(w.nodes, n)
		return &linTerm{kind: termAffine, a: in, scale: s, bias: t}
	case isOp(n, "Add"), isOp(n, "Sub"):
		if len(n.Inputs) != 2 {
			return w.leaf(v)
		}
		sign := 1.0
		if isOp(n, "Sub") {
			sign = -1
		}
		a, b := n.Inputs[0], n.Inputs[1]
		if b.IsConst() || a.IsConst() {
			// t + c, t - c, c + t, c - t
			cv, tv, first := b, a, false
			if a.IsConst() {
				cv, tv, first = a, b, true
			}
			cf, ok := channelConst(cv, 4)
			if !ok {
				return w.leaf(v)
			}
			in := w.walk(tv, false)
			if in == nil {
				return nil
			}
			w.nodes = append(w.nodes, n)
			bias := make([]float64, len(cf))
			sc := []float64{1}
			for i, x := range cf {
				bias[i] = x
				if !first {
					bias[i] = sign * x
				}
			}
			if first && sign < 0 {
				sc = []float64{-1}
			}
			return &linTerm{kind: termAffine, a: in, scale: sc, bias: bias}
		}
		ta := w.walk(a, false)
		if ta == nil {
			return nil
		}
		tb := w.walk(b, false)
		if tb == nil {
			return nil
		}
		w.nodes = append(w.nodes, n)
		return &linTerm{kind: termSum, a: ta, b: tb, sign: sign}
	case isOp(n, "Sum"):
		// Sum(t1, ..., tk) of tensors (no constants) is nested Adds.
		var acc *linTerm
		for _, in := range n.Inputs {
			if in == nil || in.IsConst() {
				return w.leaf(v)
			}
		}
		for _, in := range n.Inputs {
			t := w.walk(in, false)
			if t == nil {
				return nil
			}
			if acc == nil {
				acc = t
			} else {
				acc = &linTerm{kind: termSum, a: acc, b: t, sign: 1}
			}
		}
		w.nodes = append(w.nodes, n)
		return acc
	case isOp(n, "Mul"), isOp(n, "Div"):
		if len(n.Inputs) != 2 {
			return w.leaf(v)
		}
		a, b := n.Inputs[0], n.Inputs[1]
		cv, tv := b, a
		if isOp(n, "Mul") && a.IsConst() {
			cv, tv = a, b
		}
		cf, ok := channelConst(cv, 4)
		if !ok || tv.IsConst() {
			return w.leaf(v)
		}
		if isOp(n, "Div") {
			inv := make([]float64, len(cf))
			for i, x := range cf {
				if x == 0 {
					return w.leaf(v)
				}
				inv[i] = 1 / x
			}
			cf = inv
		}
		in := w.walk(tv, false)
		if in == nil {
			return nil
		}
		w.nodes = append(w.nodes, n)
		return &linTerm{kind: termAffine, a: in, scale: cf}
	}
	return w.leaf(v)
}

// conv makes a leaf term for a Conv applied to x.
func (w *linWalk) conv(n *ir.Node) *linTerm {
	if len(n.Inputs) < 2 || !isFloat32Const(n.Inputs[1], 4) || (len(n.Inputs) > 2 && n.Inputs[2] != nil && !isFloat32Const(n.Inputs[2], 1)) {
		return w.leaf(n.Outputs[0])
	}
	wd := n.Inputs[1].Const.Dims
	kh, kw := int(wd[2]), int(wd[3])
	strides := n.AttrInts("strides", []int64{1, 1})
	dil := n.AttrInts("dilations", []int64{1, 1})
	pads := n.AttrInts("pads", []int64{0, 0, 0, 0})
	if len(strides) != 2 || len(dil) != 2 || len(pads) != 4 {
		return w.leaf(n.Outputs[0])
	}
	if ks := n.AttrInts("kernel_shape", nil); ks != nil && (len(ks) != 2 || ks[0] != wd[2] || ks[1] != wd[3]) {
		return w.leaf(n.Outputs[0])
	}
	centred := kh%2 == 1 && kw%2 == 1
	ph, pw := int64(kh-1)/2*dil[0], int64(kw-1)/2*dil[1]
	switch ap := n.AttrString("auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
		centred = centred && pads[0] == ph && pads[2] == ph && pads[1] == pw && pads[3] == pw
	case "SAME_UPPER", "SAME_LOWER":
		centred = centred && strides[0] == 1 && strides[1] == 1
	case "VALID":
		centred = kh == 1 && kw == 1
	default:
		centred = false
	}
	var raw *ir.Node
	if !centred {
		// Usable only as the single Conv of the subgraph (per-channel
		// scales and shifts on top); it cannot be summed with others.
		raw = n
	}
	t := w.leaf(n.Inputs[0])
	if t == nil {
		return nil
	}
	w.nodes = append(w.nodes, n)
	w.convs++
	var bias *ir.Value
	if len(n.Inputs) > 2 {
		bias = n.Inputs[2]
	}
	d := [2]int64{dil[0], dil[1]}
	if kh == 1 {
		d[0] = 0
	}
	if kw == 1 {
		d[1] = 0
	}
	return &linTerm{kind: termConv, conv: n, w: n.Inputs[1], bv: bias, raw: raw,
		group: int(n.AttrInt("group", 1)), stride: [2]int64{strides[0], strides[1]}, dil: d}
}

type termKind int

const (
	termIdentity termKind = iota
	termConv
	termAffine // scale*a + bias, per output channel
	termSum    // a + sign*b
)

// linTerm is the expression tree of a linear subgraph.
type linTerm struct {
	kind        termKind
	a, b        *linTerm
	sign        float64
	scale, bias []float64 // termAffine: length 1 or M (nil: 1 / 0)
	conv        *ir.Node
	raw         *ir.Node // a non-centred Conv: kept with its own attributes
	w, bv       *ir.Value
	group       int
	stride      [2]int64
	dil         [2]int64
}

// linMap is an affine map of x: K * x + b, K [M][C/G][kh][kw].
type linMap struct {
	M, C, G int
	kh, kw  int
	K       []float64
	b       []float64
	stride  [2]int64
	dil     [2]int64 // 0 on axes where any dilation fits (kernel size 1)
	// raw is set when the map is one non-centred Conv (scaled and
	// shifted): its padding attributes are kept as they are.
	raw *ir.Node
}

// eval computes the map of a term; x's channel count comes from a Conv
// leaf or, for a bare identity, from the consumer.
func (t *linTerm) eval(x *ir.Value) (*linMap, error) {
	c := t.inChannels()
	if c <= 0 {
		return nil, fmt.Errorf("cannot tell the channel count of %q", x.Name)
	}
	return t.evalC(c)
}

func (t *linTerm) inChannels() int {
	switch t.kind {
	case termConv:
		return int(t.w.Const.Dims[1]) * t.group
	case termAffine:
		return t.a.inChannels()
	case termSum:
		if c := t.a.inChannels(); c > 0 {
			return c
		}
		return t.b.inChannels()
	}
	return 0
}

func (t *linTerm) evalC(C int) (*linMap, error) {
	switch t.kind {
	case termIdentity:
		lm := &linMap{M: C, C: C, G: C, kh: 1, kw: 1, K: make([]float64, C), b: make([]float64, C), stride: [2]int64{1, 1}}
		for i := range lm.K {
			lm.K[i] = 1
		}
		return lm, nil
	case termConv:
		wd := t.w.Const.Dims
		M := int(wd[0])
		if t.group <= 0 || C%t.group != 0 || M%t.group != 0 || int(wd[1])*t.group != C {
			return nil, fmt.Errorf("Conv %q: weight %v does not fit %d input channels in %d groups", t.conv.Name, wd, C, t.group)
		}
		k, err := t.w.Const.Float64s()
		if err != nil {
			return nil, err
		}
		lm := &linMap{M: M, C: C, G: t.group, kh: int(wd[2]), kw: int(wd[3]), K: k, b: make([]float64, M), stride: t.stride, dil: t.dil, raw: t.raw}
		if t.bv != nil {
			b, err := t.bv.Const.Float64s()
			if err != nil {
				return nil, err
			}
			if len(b) != M {
				return nil, fmt.Errorf("Conv %q: bias has %d values for %d channels", t.conv.Name, len(b), M)
			}
			copy(lm.b, b)
		}
		return lm, nil
	case termAffine:
		lm, err := t.a.evalC(C)
		if err != nil {
			return nil, err
		}
		s, b := []float64{1}, []float64{0}
		if t.scale != nil {
			s = t.scale
		}
		if t.bias != nil {
			b = t.bias
		}
		se, be := expand(s, lm.M), expand(b, lm.M)
		if se == nil || be == nil {
			return nil, fmt.Errorf("per-channel constant of length %d does not match %d channels", max(len(s), len(b)), lm.M)
		}
		per := len(lm.K) / lm.M
		for o := 0; o < lm.M; o++ {
			for j := o * per; j < (o+1)*per; j++ {
				lm.K[j] *= se[o]
			}
			lm.b[o] = lm.b[o]*se[o] + be[o]
		}
		return lm, nil
	case termSum:
		a, err := t.a.evalC(C)
		if err != nil {
			return nil, err
		}
		b, err := t.b.evalC(C)
		if err != nil {
			return nil, err
		}
		return addMaps(a, b, t.sign)
	}
	return nil, fmt.Errorf("bad term")
}

// addMaps returns a + sign*b.
func addMaps(a, b *linMap, sign float64) (*linMap, error) {
	if a.M != b.M || a.C != b.C {
		return nil, fmt.Errorf("branches have different shapes (%d vs %d channels)", a.M, b.M)
	}
	for _, m := range []*linMap{a, b} {
		if m.raw != nil {
			return nil, fmt.Errorf("Conv %q kernel %v is not centred (pads %v), so its taps do not align with the other branches",
				m.raw.Name, m.raw.Inputs[1].Const.Dims[2:], m.raw.AttrInts("pads", []int64{0, 0, 0, 0}))
		}
	}
	if a.stride != b.stride {
		return nil, fmt.Errorf("different strides %v and %v", a.stride[:], b.stride[:])
	}
	var dil [2]int64
	for i := 0; i < 2; i++ {
		switch {
		case a.dil[i] == 0:
			dil[i] = b.dil[i]
		case b.dil[i] == 0 || a.dil[i] == b.dil[i]:
			dil[i] = a.dil[i]
		default:
			return nil, fmt.Errorf("different dilations %v and %v", a.dil[:], b.dil[:])
		}
	}
	G := gcd(a.G, b.G)
	kh, kw := max(a.kh, b.kh), max(a.kw, b.kw)
	a, b = a.reshape(G, kh, kw), b.reshape(G, kh, kw)
	for i := range a.K {
		a.K[i] += sign * b.K[i]
	}
	for i := range a.b {
		a.b[i] += sign * b.b[i]
	}
	a.dil = dil
	return a, nil
}

// reshape re-expresses m with G2 groups (G2 divides m.G) and a kh2 x kw2
// kernel (at least as large, same parity), zero-filling around the
// centred original taps.
func (m *linMap) reshape(G2, kh2, kw2 int) *linMap {
	if G2 == m.G && kh2 == m.kh && kw2 == m.kw {
		return m
	}
	cg, cg2 := m.C/m.G, m.C/G2
	mg, mg2 := m.M/m.G, m.M/G2
	oy, ox := (kh2-m.kh)/2, (kw2-m.kw)/2
	K := make([]float64, m.M*cg2*kh2*kw2)
	for o := 0; o < m.M; o++ {
		off := (o/mg)*cg - (o/mg2)*cg2
		for ci := 0; ci < cg; ci++ {
			for y := 0; y < m.kh; y++ {
				for x := 0; x < m.kw; x++ {
					K[((o*cg2+off+ci)*kh2+y+oy)*kw2+x+ox] = m.K[((o*cg+ci)*m.kh+y)*m.kw+x]
				}
			}
		}
	}
	n := *m
	n.G, n.kh, n.kw, n.K = G2, kh2, kw2, K
	return &n
}
