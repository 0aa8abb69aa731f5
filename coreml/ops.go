package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// lowerers maps an ONNX op type ("mconv."-prefixed for mconv's fused ops)
// to its lowering into MIL ops. Each function applies the ONNX defaults of
// its op.
var lowerers map[string]func(*lowerer, *ir.Node) error

func init() {
	lowerers = map[string]func(*lowerer, *ir.Node) error{
		"Conv":                lowerConv,
		"Gemm":                lowerGemm,
		"MatMul":              lowerMatMul,
		"Relu":                unary("relu"),
		"Sigmoid":             unary("sigmoid"),
		"Tanh":                unary("tanh"),
		"Erf":                 unary("erf"),
		"CastLike":            lowerCastLike,
		"Expand":              needConst,
		"SplitToSequence":     lowerSplitToSequence,
		"SequenceAt":          lowerSequenceAt,
		"LeakyRelu":           lowerLeakyRelu,
		"HardSigmoid":         lowerHardSigmoid,
		"HardSwish":           lowerHardSwish,
		"Clip":                lowerClip,
		"Gelu":                lowerGelu,
		"mconv.Gelu":          lowerGelu,
		"mconv.SiLU":          unary("silu"),
		"mconv.HardSwish":     lowerHardSwish,
		"Add":                 binaryOp("add"),
		"Sub":                 binaryOp("sub"),
		"Mul":                 binaryOp("mul"),
		"Div":                 binaryOp("real_div"),
		"ReduceMean":          lowerReduceMean,
		"GlobalAveragePool":   lowerGlobalPool("reduce_mean"),
		"GlobalMaxPool":       lowerGlobalPool("reduce_max"),
		"AveragePool":         lowerPool("avg_pool"),
		"MaxPool":             lowerPool("max_pool"),
		"Softmax":             lowerSoftmax,
		"Concat":              lowerConcat,
		"Split":               lowerSplit,
		"Reshape":             lowerReshape,
		"Flatten":             lowerFlatten,
		"Squeeze":             lowerSqueeze,
		"Unsqueeze":           lowerUnsqueeze,
		"Transpose":           lowerTranspose,
		"Slice":               lowerSlice,
		"BatchNormalization":  lowerBatchNorm,
		"Identity":            lowerIdentity,
		"Dropout":             lowerIdentity,
		"Constant":            lowerConstant,
		"Shape":               lowerShape,
		"mconv.SqueezeExcite": lowerSqueezeExcite,
		"Gather":              needConst,
		"Cast":                needConst,
		"ConstantOfShape":     needConst,
	}
}

// needConst is for ops mconv only evaluates at conversion time (shape
// arithmetic on constants).
func needConst(l *lowerer, n *ir.Node) error {
	return fmt.Errorf("op %s is only supported on constant inputs (shape arithmetic): %w", n.OpType, errUnsupported)
}

func (l *lowerer) x0(n *ir.Node) (*mvar, error) { return l.in(n, 0) }

func unary(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		l.def(n.Outputs[0], typ, []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
}

func lowerIdentity(l *lowerer, n *ir.Node) error {
	if t := l.constOf(n, 0); t != nil {
		l.consts[n.Outputs[0]] = t
		return nil
	}
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if n.OpType == "Dropout" {
		for _, o := range n.Outputs[1:] {
			if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
				return fmt.Errorf("Dropout mask output is used: %w", errUnsupported)
			}
		}
	}
	if n.Outputs[0].IsOutput {
		l.def(n.Outputs[0], "identity", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	l.vars[n.Outputs[0]] = x
	return nil
}

func lowerConstant(l *lowerer, n *ir.Node) error {
	t, err := ir.ConstantValue(n)
	if err != nil || t.DType == ir.String {
		return fmt.Errorf("Constant without a numeric tensor value: %w", errUnsupported)
	}
	l.consts[n.Outputs[0]] = t
	return nil
}

// lowerShape folds Shape of a statically shaped tensor into a constant.
func lowerShape(l *lowerer, n *ir.Node) error {
	var shape []int64
	if x, ok := l.vars[n.Input(0)]; ok {
		shape = x.shape
	} else if t := l.constOf(n, 0); t != nil {
		shape = t.Dims
	} else {
		return fmt.Errorf("input unknown")
	}
	start, end := ir.ShapeStartEnd(n, len(shape))
	s := append([]int64(nil), shape[start:end]...)
	l.consts[n.Outputs[0]] = ir.NewInt64([]int64{int64(len(s))}, s)
	return nil
}

// normAxis is ir.NormAxis as an int64.
func normAxis(a int64, r int) (int64, error) {
	ax, err := ir.NormAxis(a, r)
	return int64(ax), err
}

func binaryOp(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.in(n, 0)
		if err != nil {
			return err
		}
		y, err := l.in(n, 1)
		if err != nil {
			return err
		}
		s, err := ir.BroadcastShape(x.shape, y.shape)
		if err != nil {
			return err
		}
		l.def(n.Outputs[0], typ, []arg{a("x", x), a("y", y)}, x.dt, s)
		return nil
	}
}

func lowerLeakyRelu(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	al := l.cFloat(n.Outputs[0].Name+"_alpha", n.AttrFloat("alpha", 0.01))
	l.def(n.Outputs[0], "leaky_relu", []arg{a("x", x), a("alpha", al)}, x.dt, x.shape)
	return nil
}

func lowerHardSigmoid(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	al := l.cFloat(base+"_alpha", n.AttrFloat("alpha", 0.2))
	be := l.cFloat(base+"_beta", n.AttrFloat("beta", 0.5))
	l.def(n.Outputs[0], "sigmoid_hard", []arg{a("x", x), a("alpha", al), a("beta", be)}, x.dt, x.shape)
	return nil
}

// lowerHardSwish: MIL has no hard swish; y = x * sigmoid_hard(x, 1/6, 1/2).
func lowerHardSwish(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	al := l.cFloat(base+"_alpha", 1.0/6)
	be := l.cFloat(base+"_beta", 0.5)
	h := l.emit1("sigmoid_hard", base+"_hsig", []arg{a("x", x), a("alpha", al), a("beta", be)}, x.dt, x.shape, false)
	l.def(n.Outputs[0], "mul", []arg{a("x", x), a("y", h)}, x.dt, x.shape)
	return nil
}

// lowerClip: Clip(min, max) -> clip(alpha=min, beta=max); min=0 without max
// is relu. Bounds come from inputs (opset >= 11) or attributes.
func lowerClip(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if l.opset > 0 && l.opset < 11 {
		lo, hi = n.AttrFloat("min", lo), n.AttrFloat("max", hi)
	} else {
		for i, p := range []*float32{&lo, &hi} {
			if n.Input(i+1) == nil {
				continue
			}
			_, f, err := l.floatsOf(n, i+1, []string{"min", "max"}[i])
			if err != nil {
				return err
			}
			if len(f) != 1 {
				return fmt.Errorf("clip bound has %d elements, want 1", len(f))
			}
			*p = f[0]
		}
	}
	if lo == 0 && math.IsInf(float64(hi), 1) {
		l.def(n.Outputs[0], "relu", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	lim := float32(math.MaxFloat32)
	if l.ct == pb.DataType_FLOAT16 {
		lim = 65504
	}
	lo, hi = max(lo, -lim), min(hi, lim)
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "clip", []arg{a("x", x), a("alpha", l.cFloat(base+"_lo", lo)), a("beta", l.cFloat(base+"_hi", hi))}, x.dt, x.shape)
	return nil
}

func lowerGelu(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	mode := "EXACT"
	switch ap := n.AttrString("approximate", "none"); ap {
	case "none":
	case "tanh":
		mode = "TANH_APPROXIMATION"
	default:
		return fmt.Errorf("Gelu approximate=%q: %w", ap, errUnsupported)
	}
	l.def(n.Outputs[0], "gelu", []arg{a("x", x), a("mode", l.cStr(n.Outputs[0].Name+"_mode", mode))}, x.dt, x.shape)
	return nil
}

// convGeom holds a 2-D window op's geometry in MIL order.
type convGeom struct {
	k, s, d [2]int64
	pad     [4]int64 // h_before, h_after, w_before, w_after
}

// geometry reads kernel_shape/strides/dilations/pads/auto_pad (ONNX
// defaults: strides and dilations 1, pads 0, auto_pad NOTSET) for input
// spatial size hw and kernel k.
func geometry(n *ir.Node, hw [2]int64, k [2]int64, dilated bool) (convGeom, error) {
	g := convGeom{k: k, s: [2]int64{1, 1}, d: [2]int64{1, 1}}
	if st := n.AttrInts("strides", nil); st != nil {
		if len(st) != 2 {
			return g, fmt.Errorf("strides %v: only 2-D windows are supported: %w", st, errUnsupported)
		}
		g.s = [2]int64{st[0], st[1]}
	}
	if dl := n.AttrInts("dilations", nil); dl != nil {
		if len(dl) != 2 {
			return g, fmt.Errorf("dilations %v: only 2-D windows are supported: %w", dl, errUnsupported)
		}
		g.d = [2]int64{dl[0], dl[1]}
		if !dilated && (dl[0] != 1 || dl[1] != 1) {
			return g, fmt.Errorf("dilations %v: %w", dl, errUnsupported)
		}
	}
	for i := 0; i < 2; i++ {
		if g.s[i] <= 0 || g.d[i] <= 0 || g.k[i] <= 0 {
			return g, fmt.Errorf("kernel %v, strides %v, dilations %v must be positive", g.k, g.s, g.d)
		}
	}
	switch ap := n.AttrString("auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
		if p := n.AttrInts("pads", nil); p != nil {
			if len(p) != 4 {
				return g, fmt.Errorf("pads %v: want 4 values for a 2-D window", p)
			}
			for _, v := range p {
				if v < 0 {
					return g, fmt.Errorf("negative pads %v: %w", p, errUnsupported)
				}
			}
			g.pad = [4]int64{p[0], p[2], p[1], p[3]}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for i := 0; i < 2; i++ {
			_, lo, hi, err := ir.WindowAxis(ap, hw[i], g.k[i], g.s[i], g.d[i], 0, 0, false)
			if err != nil {
				return g, err
			}
			g.pad[2*i], g.pad[2*i+1] = lo, hi
		}
	default:
		return g, fmt.Errorf("auto_pad %q: %w", ap, errUnsupported)
	}
	return g, nil
}

// outSize is the output spatial size of a window op (ir.WindowAxis with
// the resolved pads).
func (g convGeom) outSize(hw [2]int64, ceil bool) ([2]int64, error) {
	var o [2]int64
	for i := 0; i < 2; i++ {
		var err error
		o[i], _, _, err = ir.WindowAxis("NOTSET", hw[i], g.k[i], g.s[i], g.d[i], g.pad[2*i], g.pad[2*i+1], ceil)
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func (l *lowerer) geomArgs(base string, g convGeom) []arg {
	return []arg{
		a("strides", l.cInts(base+"_strides", g.s[0], g.s[1])),
		a("pad_type", l.cStr(base+"_pad_type", "custom")),
		a("pad", l.cInts(base+"_pad", g.pad[0], g.pad[1], g.pad[2], g.pad[3])),
	}
}

// lowerConv: Conv (2-D, constant weight and bias) -> conv with explicit
// pads, groups and dilations.
func lowerConv(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 4 {
		return fmt.Errorf("input rank %d: only 2-D convolution (rank-4 input) is supported: %w", len(x.shape), errUnsupported)
	}
	wt := l.constOf(n, 1)
	if wt == nil {
		return fmt.Errorf("weight must be a constant: %w", errUnsupported)
	}
	if len(wt.Dims) != 4 {
		return fmt.Errorf("weight shape %v: want [M, C/group, kH, kW]", wt.Dims)
	}
	group := n.AttrInt("group", 1)
	if group <= 0 || x.shape[1]%group != 0 || wt.Dims[0]%group != 0 || x.shape[1]/group != wt.Dims[1] {
		return fmt.Errorf("group %d does not fit input channels %d and weight %v", group, x.shape[1], wt.Dims)
	}
	k := [2]int64{wt.Dims[2], wt.Dims[3]}
	if ks := n.AttrInts("kernel_shape", nil); ks != nil && (len(ks) != 2 || ks[0] != k[0] || ks[1] != k[1]) {
		return fmt.Errorf("kernel_shape %v disagrees with weight %v", ks, wt.Dims)
	}
	hw := [2]int64{x.shape[2], x.shape[3]}
	g, err := geometry(n, hw, k, true)
	if err != nil {
		return err
	}
	o, err := g.outSize(hw, false)
	if err != nil {
		return err
	}
	w, err := l.in(n, 1)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	args := []arg{a("x", x), a("weight", w)}
	if n.Input(2) != nil {
		bt := l.constOf(n, 2)
		if bt == nil {
			return fmt.Errorf("bias must be a constant: %w", errUnsupported)
		}
		if bt.Len() != wt.Dims[0] {
			return fmt.Errorf("bias has %d elements, want %d", bt.Len(), wt.Dims[0])
		}
		b, err := l.in(n, 2)
		if err != nil {
			return err
		}
		args = append(args, a("bias", b))
	}
	args = append(args, l.geomArgs(base, g)...)
	args = append(args, a("dilations", l.cInts(base+"_dilations", g.d[0], g.d[1])), a("groups", l.cInt(base+"_groups", group)))
	l.def(n.Outputs[0], "conv", args, x.dt, []int64{x.shape[0], wt.Dims[0], o[0], o[1]})
	return nil
}

// lowerGemm: Y = alpha*A'*B' + beta*C. With constant B this is linear(x=A',
// weight=alpha*B' transposed to [N,K], bias=beta*C); otherwise matmul
// (transpose flags) followed by scaling and add.
func lowerGemm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 2 {
		return fmt.Errorf("A has rank %d, want 2", len(x.shape))
	}
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	base := n.Outputs[0].Name
	if transA {
		x = l.emit1("transpose", base+"_At", []arg{a("x", x), a("perm", l.cInts(base+"_At_perm", 1, 0))}, x.dt, []int64{x.shape[1], x.shape[0]}, false)
	}
	M, K := x.shape[0], x.shape[1]
	bt, bf, err := l.floatsOf(n, 1, "B")
	if err != nil {
		return err
	}
	if len(bt.Dims) != 2 {
		return fmt.Errorf("B has shape %v, want rank 2", bt.Dims)
	}
	var N int64
	w := make([]float32, len(bf))
	if transB { // B is [N, K] already
		N = bt.Dims[0]
		if bt.Dims[1] != K {
			return fmt.Errorf("B %v does not match A's K=%d", bt.Dims, K)
		}
		for i, v := range bf {
			w[i] = alpha * v
		}
	} else { // B is [K, N]
		N = bt.Dims[1]
		if bt.Dims[0] != K {
			return fmt.Errorf("B %v does not match A's K=%d", bt.Dims, K)
		}
		for kk := int64(0); kk < K; kk++ {
			for nn := int64(0); nn < N; nn++ {
				w[nn*K+kk] = alpha * bf[kk*N+nn]
			}
		}
	}
	args := []arg{a("x", x), a("weight", l.cFloats(base+"_weight", []int64{N, K}, w))}
	if n.Input(2) != nil && beta != 0 {
		ct, cf, err := l.floatsOf(n, 2, "C")
		if err != nil {
			return err
		}
		bias := make([]float32, N)
		switch {
		case len(cf) == 1:
			for i := range bias {
				bias[i] = beta * cf[0]
			}
		case len(cf) == int(N) && (len(ct.Dims) == 1 || (len(ct.Dims) == 2 && ct.Dims[0] == 1)):
			for i := range bias {
				bias[i] = beta * cf[i]
			}
		default:
			return fmt.Errorf("C of shape %v: only a bias broadcast over rows is supported: %w", ct.Dims, errUnsupported)
		}
		args = append(args, a("bias", l.cFloats(base+"_bias", []int64{N}, bias)))
	}
	l.def(n.Outputs[0], "linear", args, x.dt, []int64{M, N})
	return nil
}

// matmulShape is numpy matmul's output shape for ranks >= 2.
func matmulShape(x, y []int64) ([]int64, error) {
	if len(x) < 2 || len(y) < 2 {
		return nil, fmt.Errorf("MatMul of shapes %v and %v: rank-1 operands are not supported: %w", x, y, errUnsupported)
	}
	if x[len(x)-1] != y[len(y)-2] {
		return nil, fmt.Errorf("MatMul of shapes %v and %v: inner dimensions differ", x, y)
	}
	b, err := ir.BroadcastShape(x[:len(x)-2], y[:len(y)-2])
	if err != nil {
		return nil, err
	}
	return append(b, x[len(x)-2], y[len(y)-1]), nil
}

func lowerMatMul(l *lowerer, n *ir.Node) error {
	x, err := l.in(n, 0)
	if err != nil {
		return err
	}
	y, err := l.in(n, 1)
	if err != nil {
		return err
	}
	s, err := matmulShape(x.shape, y.shape)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "matmul", []arg{a("x", x), a("y", y),
		a("transpose_x", l.cBool(base+"_tx", false)), a("transpose_y", l.cBool(base+"_ty", false))}, x.dt, s)
	return nil
}

// reduceShape is ir.ReduceAxes' reduced axes in increasing order and
// ir.ReduceShape's output shape.
func reduceShape(shape []int64, axes []int64, keep bool) ([]int64, []int64, error) {
	red, err := ir.ReduceAxes(axes, len(shape))
	if err != nil {
		return nil, nil, err
	}
	var norm []int64
	for i, r := range red {
		if r {
			norm = append(norm, int64(i))
		}
	}
	out, err := ir.ReduceShape(shape, axes, keep)
	return norm, out, err
}

func lowerReduceMean(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	keep := n.AttrInt("keepdims", 1) != 0
	axes := n.AttrInts("axes", nil)
	if l.opset >= 18 || n.Input(1) != nil {
		axes = nil
		if n.Input(1) != nil {
			if axes, err = l.intsOf(n, 1, "axes"); err != nil {
				return err
			}
		}
		if len(axes) == 0 && n.AttrInt("noop_with_empty_axes", 0) != 0 {
			return lowerIdentity(l, n)
		}
	}
	norm, s, err := reduceShape(x.shape, axes, keep)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "reduce_mean", []arg{a("x", x), a("axes", l.cInts(base+"_axes", norm...)), a("keep_dims", l.cBool(base+"_keep_dims", keep))}, x.dt, s)
	return nil
}

func lowerGlobalPool(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		if len(x.shape) < 3 {
			return fmt.Errorf("input rank %d, want >= 3", len(x.shape))
		}
		var axes []int64
		for i := 2; i < len(x.shape); i++ {
			axes = append(axes, int64(i))
		}
		_, s, _ := reduceShape(x.shape, axes, true)
		base := n.Outputs[0].Name
		l.def(n.Outputs[0], typ, []arg{a("x", x), a("axes", l.cInts(base+"_axes", axes...)), a("keep_dims", l.cBool(base+"_keep_dims", true))}, x.dt, s)
		return nil
	}
}

// lowerPool: AveragePool/MaxPool (2-D) -> avg_pool/max_pool with explicit
// pads; count_include_pad=0 (ONNX default) is exclude_padding_from_average.
func lowerPool(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		if len(x.shape) != 4 {
			return fmt.Errorf("input rank %d: only 2-D pooling is supported: %w", len(x.shape), errUnsupported)
		}
		if len(n.Outputs) > 1 && n.Outputs[1] != nil {
			return fmt.Errorf("MaxPool indices output: %w", errUnsupported)
		}
		ks := n.AttrInts("kernel_shape", nil)
		if len(ks) != 2 {
			return fmt.Errorf("kernel_shape %v: want 2 values", ks)
		}
		hw := [2]int64{x.shape[2], x.shape[3]}
		g, err := geometry(n, hw, [2]int64{ks[0], ks[1]}, false)
		if err != nil {
			return err
		}
		ceil := n.AttrInt("ceil_mode", 0) != 0
		o, err := g.outSize(hw, ceil)
		if err != nil {
			return err
		}
		base := n.Outputs[0].Name
		args := []arg{a("x", x), a("kernel_sizes", l.cInts(base+"_kernel_sizes", ks[0], ks[1]))}
		args = append(args, l.geomArgs(base, g)...)
		if typ == "avg_pool" {
			args = append(args, a("exclude_padding_from_average", l.cBool(base+"_exclude_pad", n.AttrInt("count_include_pad", 0) == 0)))
		}
		args = append(args, a("ceil_mode", l.cBool(base+"_ceil_mode", ceil)))
		l.def(n.Outputs[0], typ, args, x.dt, []int64{x.shape[0], x.shape[1], o[0], o[1]})
		return nil
	}
}

func lowerSoftmax(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	def := int64(-1)
	if l.opset > 0 && l.opset < 13 {
		def = 1
	}
	ax, err := normAxis(n.AttrInt("axis", def), len(x.shape))
	if err != nil {
		return err
	}
	if l.opset > 0 && l.opset < 13 && ax != int64(len(x.shape)-1) {
		// Old Softmax flattens to 2-D at axis; equal to a per-axis softmax
		// only when the trailing dimensions are 1.
		for _, d := range x.shape[ax+1:] {
			if d != 1 {
				return fmt.Errorf("Softmax-%d over flattened axes %d..: %w", l.opset, ax, errUnsupported)
			}
		}
	}
	l.def(n.Outputs[0], "softmax", []arg{a("x", x), a("axis", l.cInt(n.Outputs[0].Name+"_axis", ax))}, x.dt, x.shape)
	return nil
}

func lowerConcat(l *lowerer, n *ir.Node) error {
	var xs []*mvar
	for i := range n.Inputs {
		x, err := l.in(n, i)
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	if len(xs) == 0 {
		return fmt.Errorf("no inputs")
	}
	shapes := make([][]int64, len(xs))
	for i, x := range xs {
		shapes[i] = x.shape
	}
	s, ax, err := ir.ConcatShape(shapes, n.AttrInt("axis", 0))
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "concat", []arg{a("values", xs...), a("axis", l.cInt(base+"_axis", int64(ax))), a("interleave", l.cBool(base+"_interleave", false))}, xs[0].dt, s)
	return nil
}

func lowerSplit(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	ax, err := normAxis(n.AttrInt("axis", 0), len(x.shape))
	if err != nil {
		return err
	}
	sizes := n.AttrInts("split", nil)
	if n.Input(1) != nil {
		if sizes, err = l.intsOf(n, 1, "split"); err != nil {
			return err
		}
	}
	if len(sizes) == 0 {
		sizes = nil
	}
	if sizes, err = ir.SplitSizes(sizes, x.shape[ax], len(n.Outputs), n.AttrInt("num_outputs", 0)); err != nil {
		return err
	}
	for _, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("split sizes %v: zero or negative parts are not supported: %w", sizes, errUnsupported)
		}
	}
	base := n.Outputs[0].Name
	o := &mop{typ: "split", in: []arg{a("x", x), a("split_sizes", l.cInts(base+"_sizes", sizes...)), a("axis", l.cInt(base+"_axis", ax))}}
	for i, v := range n.Outputs {
		s := append([]int64(nil), x.shape...)
		s[ax] = sizes[i]
		name, _ := l.outName(v)
		mv := &mvar{name: name, dt: x.dt, shape: s}
		o.out = append(o.out, mv)
		l.vars[v] = mv
	}
	o.name = o.out[0].name
	o.src = l.cur
	l.ops = append(l.ops, o)
	return nil
}

func (l *lowerer) reshapeTo(n *ir.Node, x *mvar, s []int64) error {
	if numel(s) != numel(x.shape) {
		return fmt.Errorf("cannot reshape %v to %v", x.shape, s)
	}
	l.def(n.Outputs[0], "reshape", []arg{a("x", x), a("shape", l.cInts(n.Outputs[0].Name+"_shape", s...))}, x.dt, s)
	return nil
}

// lowerReshape resolves 0 (copy, unless allowzero) and -1 against the
// static input shape and emits reshape with the explicit shape.
func lowerReshape(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	var shape []int64
	if n.Input(1) != nil {
		if shape, err = l.intsOf(n, 1, "shape"); err != nil {
			return err
		}
	} else {
		shape = n.AttrInts("shape", nil)
	}
	s, err := ir.ReshapeTarget(x.shape, shape, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, s)
}

func lowerFlatten(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	ax, err := ir.FlattenAxis(n, len(x.shape))
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, []int64{numel(x.shape[:ax]), numel(x.shape[ax:])})
}

func (l *lowerer) axesArg(n *ir.Node) ([]int64, error) {
	if n.Input(1) != nil {
		return l.intsOf(n, 1, "axes")
	}
	return n.AttrInts("axes", nil), nil
}

func lowerSqueeze(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	axes, err := l.axesArg(n)
	if err != nil {
		return err
	}
	s, err := ir.SqueezeShape(x.shape, axes)
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, s)
}

func lowerUnsqueeze(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	axes, err := l.axesArg(n)
	if err != nil {
		return err
	}
	s, err := ir.UnsqueezeShape(x.shape, axes)
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, s)
}

func lowerTranspose(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	perm, err := ir.TransposePerm(n, len(x.shape))
	if err != nil {
		return err
	}
	s := make([]int64, len(perm))
	for i, p := range perm {
		s[i] = x.shape[p]
	}
	l.def(n.Outputs[0], "transpose", []arg{a("x", x), a("perm", l.cInts(n.Outputs[0].Name+"_perm", perm...))}, x.dt, s)
	return nil
}

// lowerSlice: Slice with constant starts/ends/axes/steps (inputs, opset >=
// 10; attributes before) -> slice_by_index with clamped explicit bounds on
// every axis. Only positive steps.
func lowerSlice(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	r := len(x.shape)
	var starts, ends, axes, steps []int64
	if n.Input(1) != nil {
		if starts, err = l.intsOf(n, 1, "starts"); err != nil {
			return err
		}
		if ends, err = l.intsOf(n, 2, "ends"); err != nil {
			return err
		}
		if n.Input(3) != nil {
			if axes, err = l.intsOf(n, 3, "axes"); err != nil {
				return err
			}
		}
		if n.Input(4) != nil {
			if steps, err = l.intsOf(n, 4, "steps"); err != nil {
				return err
			}
		}
	} else {
		starts, ends, axes = n.AttrInts("starts", nil), n.AttrInts("ends", nil), n.AttrInts("axes", nil)
	}
	begin, s, stride, err := ir.ResolveSlice(x.shape, starts, ends, axes, steps)
	if err != nil {
		return err
	}
	end := make([]int64, r)
	for i := range s {
		if stride[i] <= 0 {
			return fmt.Errorf("step %d: only positive steps are supported: %w", stride[i], errUnsupported)
		}
		if s[i] == 0 {
			return fmt.Errorf("slice is empty on axis %d: %w", i, errUnsupported)
		}
		end[i] = begin[i] + (s[i]-1)*stride[i] + 1
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "slice_by_index", []arg{a("x", x), a("begin", l.cInts(base+"_begin", begin...)),
		a("end", l.cInts(base+"_end", end...)), a("stride", l.cInts(base+"_stride", stride...))}, x.dt, s)
	return nil
}

// lowerBatchNorm: inference BatchNormalization with constant parameters ->
// batch_norm(x, mean, variance, gamma, beta, epsilon).
func lowerBatchNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if n.AttrInt("training_mode", 0) != 0 {
		return fmt.Errorf("training_mode=1: %w", errUnsupported)
	}
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d", len(x.shape))
	}
	var ps [4]*mvar
	for i := 1; i <= 4; i++ {
		t := l.constOf(n, i)
		if t == nil {
			return fmt.Errorf("parameter %d must be a constant: %w", i, errUnsupported)
		}
		if t.Len() != x.shape[1] {
			return fmt.Errorf("parameter %d has %d elements, want %d", i, t.Len(), x.shape[1])
		}
		if ps[i-1], err = l.in(n, i); err != nil {
			return err
		}
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "batch_norm", []arg{a("x", x), a("mean", ps[2]), a("variance", ps[3]), a("gamma", ps[0]), a("beta", ps[1]),
		a("epsilon", l.cFloat(base+"_eps", n.AttrFloat("epsilon", 1e-5)))}, x.dt, x.shape)
	return nil
}

// lowerSqueezeExcite expands mconv's fused SqueezeExcite(x, w1, b1, w2, b2):
// s = reduce_mean(x, [2,3]); h = relu|silu(conv(s, w1, b1));
// g = gate(conv(h, w2, b2)); y = x * g.
func lowerSqueezeExcite(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 4 {
		return fmt.Errorf("input rank %d, want 4", len(x.shape))
	}
	C := x.shape[1]
	var p [4]*mvar
	for i := 1; i <= 4; i++ {
		if l.constOf(n, i) == nil {
			return fmt.Errorf("parameter %d must be a constant: %w", i, errUnsupported)
		}
		if p[i-1], err = l.in(n, i); err != nil {
			return err
		}
	}
	w1, w2 := l.constOf(n, 1), l.constOf(n, 3)
	if len(w1.Dims) != 4 || w1.Dims[1] != C || w1.Dims[2] != 1 || w1.Dims[3] != 1 || len(w2.Dims) != 4 || w2.Dims[0] != C || w2.Dims[1] != w1.Dims[0] {
		return fmt.Errorf("weights %v and %v do not fit %d channels", w1.Dims, w2.Dims, C)
	}
	if l.constOf(n, 2).Len() != w1.Dims[0] || l.constOf(n, 4).Len() != C {
		return fmt.Errorf("bias lengths do not fit weights %v, %v", w1.Dims, w2.Dims)
	}
	Cr := w1.Dims[0]
	base := n.Outputs[0].Name
	N := x.shape[0]
	s := l.emit1("reduce_mean", base+"_squeeze", []arg{a("x", x), a("axes", l.cInts(base+"_squeeze_axes", 2, 3)), a("keep_dims", l.cBool(base+"_squeeze_keep", true))}, x.dt, []int64{N, C, 1, 1}, false)
	conv := func(in, w, b *mvar, cout int64, nm string) *mvar {
		g := convGeom{k: [2]int64{1, 1}, s: [2]int64{1, 1}, d: [2]int64{1, 1}}
		args := []arg{a("x", in), a("weight", w), a("bias", b)}
		args = append(args, l.geomArgs(base+nm, g)...)
		args = append(args, a("dilations", l.cInts(base+nm+"_dilations", 1, 1)), a("groups", l.cInt(base+nm+"_groups", 1)))
		return l.emit1("conv", base+nm, args, x.dt, []int64{N, cout, 1, 1}, false)
	}
	h := conv(s, p[0], p[1], Cr, "_reduce")
	inner := n.AttrString("act", "relu")
	if inner != "relu" && inner != "silu" {
		return fmt.Errorf("act %q: %w", inner, errUnsupported)
	}
	h = l.emit1(inner, base+"_"+inner, []arg{a("x", h)}, x.dt, h.shape, false)
	e := conv(h, p[2], p[3], C, "_expand")
	var gt *mvar
	switch gate := n.AttrString("gate", "sigmoid"); gate {
	case "sigmoid":
		gt = l.emit1("sigmoid", base+"_gate", []arg{a("x", e)}, x.dt, e.shape, false)
	case "hardsigmoid":
		al := l.cFloat(base+"_gate_alpha", n.AttrFloat("alpha", 0.2))
		be := l.cFloat(base+"_gate_beta", n.AttrFloat("beta", 0.5))
		gt = l.emit1("sigmoid_hard", base+"_gate", []arg{a("x", e), a("alpha", al), a("beta", be)}, x.dt, e.shape, false)
	default:
		return fmt.Errorf("gate %q: %w", gate, errUnsupported)
	}
	l.def(n.Outputs[0], "mul", []arg{a("x", x), a("y", gt)}, x.dt, x.shape)
	return nil
}

// lowerCastLike: CastLike of a constant folds to the dtype of the second
// input; a float tensor cast to a float type is the identity here (the
// converter computes in one float dtype).
func lowerCastLike(l *lowerer, n *ir.Node) error {
	to := ir.Float32
	if v := n.Input(1); v != nil && v.Type.DType != ir.Undefined {
		to = v.Type.DType
	} else if t := l.constOf(n, 1); t != nil {
		to = t.DType
	}
	if t := l.constOf(n, 0); t != nil {
		f, err := t.Float64s()
		if err != nil {
			return err
		}
		c, err := ir.NewFromFloat64(to, t.Dims, f)
		if err != nil {
			return err
		}
		l.consts[n.Outputs[0]] = c
		return nil
	}
	if !to.IsFloat() {
		return fmt.Errorf("cast of a tensor to %s: %w", to, errUnsupported)
	}
	return lowerIdentity(l, n)
}

// lowerSplitToSequence: SplitToSequence with a constant split (dynamo's
// torch.split/chunk) becomes split; SequenceAt then picks an output.
func lowerSplitToSequence(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	ax, err := normAxis(n.AttrInt("axis", 0), len(x.shape))
	if err != nil {
		return err
	}
	d := x.shape[ax]
	var sizes []int64
	if n.Input(1) == nil {
		if n.AttrInt("keepdims", 1) == 0 {
			return fmt.Errorf("SplitToSequence with keepdims=0: %w", errUnsupported)
		}
		for i := int64(0); i < d; i++ {
			sizes = append(sizes, 1)
		}
	} else {
		t := l.constOf(n, 1)
		if t == nil {
			return fmt.Errorf("split must be a constant: %w", errUnsupported)
		}
		v, err := t.Int64s()
		if err != nil {
			return err
		}
		if len(t.Dims) == 0 {
			if v[0] <= 0 {
				return fmt.Errorf("split size %d", v[0])
			}
			for i := int64(0); i < d; i += v[0] {
				sizes = append(sizes, min(v[0], d-i))
			}
		} else {
			sizes = v
		}
	}
	total := int64(0)
	for _, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("split sizes %v: %w", sizes, errUnsupported)
		}
		total += s
	}
	if total != d {
		return fmt.Errorf("split sizes %v do not sum to %d", sizes, d)
	}
	base := n.Outputs[0].Name
	o := &mop{typ: "split", name: l.uniq(base), in: []arg{a("x", x), a("split_sizes", l.cInts(base+"_sizes", sizes...)), a("axis", l.cInt(base+"_axis", ax))}}
	var seq []*mvar
	for i, sz := range sizes {
		s := append([]int64(nil), x.shape...)
		s[ax] = sz
		name := o.name
		if i > 0 {
			name = l.uniq(base + "_" + itoa(i))
		}
		seq = append(seq, &mvar{name: name, dt: x.dt, shape: s})
	}
	o.out = seq
	o.src = l.cur
	l.ops = append(l.ops, o)
	if l.seqs == nil {
		l.seqs = map[*ir.Value][]*mvar{}
	}
	l.seqs[n.Outputs[0]] = seq
	return nil
}

func lowerSequenceAt(l *lowerer, n *ir.Node) error {
	seq, ok := l.seqs[n.Input(0)]
	if !ok {
		return fmt.Errorf("sequence input is not a split: %w", errUnsupported)
	}
	idx, err := l.intsOf(n, 1, "position")
	if err != nil {
		return err
	}
	if len(idx) != 1 {
		return fmt.Errorf("position has %d elements", len(idx))
	}
	i, err := ir.SequencePosition(idx[0], len(seq))
	if err != nil {
		return err
	}
	x := seq[i]
	if n.Outputs[0].IsOutput {
		l.def(n.Outputs[0], "identity", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	l.vars[n.Outputs[0]] = x
	return nil
}

func itoa(i int) string { return fmt.Sprint(i) }
