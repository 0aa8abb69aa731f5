package ir

import (
	"fmt"
	"math"
	"strings"
)

// Shape functions of ONNX ops, one small function per op (or per family of
// ops with identical shape rules), with ONNX's attribute defaults. Each
// tolerates unknown inputs by leaving outputs (or parts of them) unknown,
// and is deterministic, since Verify re-runs it (see checkShapes).

func init() {
	for _, op := range []string{
		"Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Selu",
		"Celu", "Gelu", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor",
		"Ceil", "Round", "Sign", "Softmax", "LogSoftmax", "Hardmax", "Softplus", "Softsign",
		"Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
		"Mish", "ThresholdedRelu", "Shrink", "Clip", "LRN", "InstanceNormalization",
		"MeanVarianceNormalization", "LpNormalization", "Not", "BitwiseNot", "CumSum",
		"Trilu", "ScatterND", "ScatterElements", "Scatter", "ReverseSequence",
	} {
		RegisterShapeFunc("", op, shapeSameAsInput)
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift",
		"BitwiseAnd", "BitwiseOr", "BitwiseXor", "Max", "Min", "Mean", "Sum"} {
		RegisterShapeFunc("", op, shapeBroadcast(false))
	}
	for _, op := range []string{"And", "Or", "Xor", "Equal", "Less", "Greater",
		"LessOrEqual", "GreaterOrEqual"} {
		RegisterShapeFunc("", op, shapeBroadcast(true))
	}
	for _, op := range []string{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
		"ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		RegisterShapeFunc("", op, shapeReduce)
	}
	for _, op := range []string{"IsNaN", "IsInf"} {
		RegisterShapeFunc("", op, shapeBoolLike)
	}
	for _, op := range []string{"MaxPool", "AveragePool", "LpPool"} {
		RegisterShapeFunc("", op, shapePool)
	}
	for _, op := range []string{"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"} {
		RegisterShapeFunc("", op, shapeGlobalPool)
	}
	for _, op := range []string{"RandomNormalLike", "RandomUniformLike", "EyeLike"} {
		RegisterShapeFunc("", op, shapeLike)
	}
	for _, op := range []string{"ArgMax", "ArgMin"} {
		RegisterShapeFunc("", op, shapeArgMax)
	}
	for _, op := range []string{"RandomNormal", "RandomUniform"} {
		RegisterShapeFunc("", op, shapeRandom)
	}
	for _, r := range []struct {
		op string
		f  ShapeFunc
	}{
		{"Identity", shapeIdentity},
		{"PRelu", shapePRelu},
		{"Dropout", shapeDropout},
		{"Where", shapeWhere},
		{"BatchNormalization", shapeBatchNorm},
		{"LayerNormalization", shapeLayerNorm},
		{"Conv", shapeConv},
		{"ConvTranspose", shapeConvTranspose},
		{"Gemm", shapeGemm},
		{"MatMul", shapeMatMul},
		{"Flatten", shapeFlatten},
		{"Reshape", shapeReshape},
		{"Transpose", shapeTranspose},
		{"Concat", shapeConcat},
		{"Split", shapeSplit},
		{"Slice", shapeSlice},
		{"Gather", shapeGather},
		{"GatherElements", shapeGatherElements},
		{"Squeeze", shapeSqueeze},
		{"Unsqueeze", shapeUnsqueeze},
		{"Shape", shapeShape},
		{"Size", shapeSize},
		{"Pad", shapePad},
		{"Resize", shapeResize},
		{"Upsample", shapeResize},
		{"Expand", shapeExpand},
		{"Tile", shapeTile},
		{"ConstantOfShape", shapeConstantOfShape},
		{"Constant", shapeConstant},
		{"Range", shapeRange},
		{"TopK", shapeTopK},
		{"DepthToSpace", shapeDepthToSpace},
		{"SpaceToDepth", shapeSpaceToDepth},
		{"NonZero", shapeNonZero},
		{"OneHot", shapeOneHot},
		{"Einsum", shapeEinsum},
	} {
		RegisterShapeFunc("", r.op, r.f)
	}
}

// shapeSameAsInput: output 0 has input 0's dtype and shape (activations,
// normalizations, Clip, Softmax, ...).
func shapeSameAsInput(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if o := n.Output(0); o != nil {
		o.Type = t.Clone()
	}
	return nil
}

// shapeIdentity copies input 0's type, whatever its kind.
func shapeIdentity(n *Node, _ int64) error {
	v := n.Input(0)
	if v == nil || v.Type.Kind == KindUnknown {
		return nil
	}
	if o := n.Output(0); o != nil {
		o.Type = v.Type.Clone()
	}
	return nil
}

// shapeBoolLike: bool output of input 0's shape (IsNaN, IsInf).
func shapeBoolLike(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, Bool, s, ok)
	return nil
}

// shapeLike: input 0's shape, dtype attribute or input 0's dtype.
func shapeLike(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	dt := DType(n.AttrInt("dtype", int64(t.DType)))
	setOutMaybe(n, 0, dt, t.Shape, t.HasShape)
	return nil
}

// shapeRandom: shape attribute, dtype attribute (default float32).
func shapeRandom(n *Node, _ int64) error {
	sh := n.AttrInts("shape", nil)
	for _, d := range sh {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", sh)
		}
	}
	setOut(n, 0, DType(n.AttrInt("dtype", int64(Float32))), S(sh...))
	return nil
}

// shapeBroadcast: multidirectional broadcasting of all inputs; bool output
// for comparisons and logic ops, input 0's dtype otherwise. Before opset 7
// (opset 8 for the variadic Sum/Max/Min/Mean) ONNX broadcast only B into A
// (attributes broadcast and axis), so the output has A's shape.
func shapeBroadcast(boolOut bool) ShapeFunc {
	return func(n *Node, opset int64) error {
		dt := inDType(n, 0)
		if boolOut {
			dt = Bool
		}
		legacy := opset > 0 && opset < 7
		switch n.OpType {
		case "Sum", "Max", "Min", "Mean":
			legacy = opset > 0 && opset < 8
		}
		if legacy {
			s, ok := inShape(n, 0)
			setOutMaybe(n, 0, dt, s, ok)
			return nil
		}
		var s Shape
		for i := range n.Inputs {
			si, ok := inShape(n, i)
			if !ok {
				setOutNoShape(n, 0, dt)
				return nil
			}
			if i == 0 {
				s = si
				continue
			}
			var err error
			if s, err = broadcastShapes(s, si); err != nil {
				return err
			}
		}
		if len(n.Inputs) == 0 {
			return nil
		}
		setOut(n, 0, dt, s)
		return nil
	}
}

// shapePRelu: X's shape; from opset 7 slope must broadcast
// unidirectionally to X (before, a [C] slope applied per channel).
func shapePRelu(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	if s, ok := inShape(n, 1); ok && t.HasShape && opset >= 7 {
		b, err := broadcastShapes(t.Shape, s)
		if err != nil {
			return fmt.Errorf("slope: %w", err)
		}
		if !compatibleShape(b, t.Shape) {
			return fmt.Errorf("slope %s does not broadcast to %s", s, t.Shape)
		}
	}
	return nil
}

// shapeWhere: broadcast of condition, X and Y; X's dtype.
func shapeWhere(n *Node, _ int64) error {
	dt := inDType(n, 1)
	if dt == Undefined {
		dt = inDType(n, 2)
	}
	var s Shape
	for i := range 3 {
		si, ok := inShape(n, i)
		if !ok {
			setOutNoShape(n, 0, dt)
			return nil
		}
		if i == 0 {
			s = si
			continue
		}
		var err error
		if s, err = broadcastShapes(s, si); err != nil {
			return err
		}
	}
	setOut(n, 0, dt, s)
	return nil
}

// shapeDropout: output 0 like input 0; optional mask of the same shape
// (bool from opset 10, the input's dtype before).
func shapeDropout(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	mask := Bool
	if opset > 0 && opset < 10 {
		mask = t.DType
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	setOutMaybe(n, 1, mask, t.Shape, t.HasShape)
	return nil
}

// channelDim checks that input i (a per-channel vector) has shape [C].
func channelCheck(n *Node, i int, c Dim, what string) error {
	s, ok := inShape(n, i)
	if !ok || !c.Known() {
		return nil
	}
	if len(s) != 1 {
		return fmt.Errorf("%s must be 1-D, has shape %s", what, s)
	}
	if s[0].Known() && s[0].Size != c.Size {
		return fmt.Errorf("%s has %d elements, input has %d channels", what, s[0].Size, c.Size)
	}
	return nil
}

// shapeBatchNorm: Y like X; scale, B, mean, var must be [C]; training-mode
// outputs running_mean/var (and older saved_mean/var) are [C].
func shapeBatchNorm(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	c := Dim{Size: -1}
	if t.HasShape {
		if len(t.Shape) < 2 {
			if len(t.Shape) == 1 {
				c = t.Shape[0]
			}
		} else {
			c = t.Shape[1]
		}
	}
	for i, what := range []string{"", "scale", "B", "input_mean", "input_var"} {
		if i == 0 {
			continue
		}
		if err := channelCheck(n, i, c, what); err != nil {
			return err
		}
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	for i := 1; i < len(n.Outputs); i++ {
		dt := inDType(n, 3)
		if dt == Undefined {
			dt = t.DType
		}
		setOut(n, i, dt, Shape{c})
	}
	return nil
}

// shapeLayerNorm: Y like X; Mean and InvStdDev keep the dims before axis
// (default -1) and have size 1 from axis on.
func shapeLayerNorm(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	if !t.HasShape {
		return nil
	}
	r := len(t.Shape)
	ax := normAxis(n.AttrInt("axis", -1), r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", n.AttrInt("axis", -1), r)
	}
	stat := append(Shape{}, t.Shape[:ax]...)
	for range r - ax {
		stat = append(stat, Dim{Size: 1})
	}
	dt := DType(n.AttrInt("stash_type", int64(Float32)))
	setOut(n, 1, dt, stat)
	setOut(n, 2, dt, stat)
	return nil
}

// shapeConv: Y [N, M, out...] for X [N, C, in...] and W [M, C/group, k...].
func shapeConv(n *Node, _ int64) error {
	return convShape(n, 0, 1, 2, inDType(n, 0))
}

// convShape is Conv's shape rule for data input xi, weight wi and bias bi
// (-1 for none), shared with ConvInteger and QLinearConv; dt is the output
// dtype.
func convShape(n *Node, xi, wi, bi int, dt DType) error {
	xt, ok := inType(n, xi)
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), has shape %s", x)
	}
	k := len(x) - 2
	w, wok := inShape(n, wi)
	if wok && len(w) != len(x) {
		return fmt.Errorf("weight shape %s has rank %d, input %s has rank %d", w, len(w), x, len(x))
	}
	group := n.AttrInt("group", 1)
	if group < 1 {
		return fmt.Errorf("group %d must be positive", group)
	}
	kernel := n.AttrInts("kernel_shape", nil)
	if kernel == nil {
		if !wok {
			setOut(n, 0, dt, append(Shape{x[0], {Size: -1}}, unknownDims(k)...))
			return nil
		}
		for _, d := range w[2:] {
			if !d.Known() {
				setOut(n, 0, dt, append(Shape{x[0], {Size: -1}}, unknownDims(k)...))
				return nil
			}
			kernel = append(kernel, d.Size)
		}
	}
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	m := Dim{Size: -1}
	if wok {
		m = w[0]
		for i, kd := range kernel {
			if w[2+i].Known() && w[2+i].Size != kd {
				return fmt.Errorf("kernel_shape %v does not match weight shape %s", kernel, w)
			}
			if kd < 1 {
				return fmt.Errorf("kernel_shape %v must be positive", kernel)
			}
		}
		if x[1].Known() && w[1].Known() && x[1].Size != w[1].Size*group {
			return fmt.Errorf("input has %d channels, weight %s with group %d expects %d", x[1].Size, w, group, w[1].Size*group)
		}
		if w[0].Known() && w[0].Size%group != 0 {
			return fmt.Errorf("weight %s: %d output channels not divisible by group %d", w, w[0].Size, group)
		}
	}
	if b, ok := inShape(n, bi); ok && bi >= 0 && m.Known() {
		if len(b) != 1 || (b[0].Known() && b[0].Size != m.Size) {
			return fmt.Errorf("bias shape %s does not match %d output channels", b, m.Size)
		}
	}
	sp, err := windowDims(n, x, kernel, false)
	if err != nil {
		return err
	}
	setOut(n, 0, dt, append(Shape{x[0], m}, sp...))
	return nil
}

// shapeConvTranspose: Y [N, W[1]*group, out...], out = stride*(in-1) +
// output_padding + (k-1)*dilation + 1 - pads (NOTSET/VALID), in*stride
// (SAME_*), or the output_shape attribute when given.
func shapeConvTranspose(n *Node, _ int64) error {
	xt, ok := inType(n, 0)
	dt := xt.DType
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3, has shape %s", x)
	}
	k := len(x) - 2
	group := n.AttrInt("group", 1)
	if group < 1 {
		return fmt.Errorf("group %d must be positive", group)
	}
	w, wok := inShape(n, 1)
	if wok && len(w) != len(x) {
		return fmt.Errorf("weight shape %s does not match input rank %d", w, len(x))
	}
	m := Dim{Size: -1}
	if wok {
		if x[1].Known() && w[0].Known() && x[1].Size != w[0].Size {
			return fmt.Errorf("input has %d channels, weight %s expects %d", x[1].Size, w, w[0].Size)
		}
		if w[1].Known() {
			m = Dim{Size: w[1].Size * group}
		}
	}
	kernel := n.AttrInts("kernel_shape", nil)
	if kernel == nil && wok {
		for _, d := range w[2:] {
			if !d.Known() {
				kernel = nil
				break
			}
			kernel = append(kernel, d.Size)
		}
	}
	strides, dil, pads, outPad, outShape, err := transposeAttrs(n, k)
	if err != nil {
		return err
	}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	out := Shape{x[0], m}
	for i := range k {
		switch {
		case outShape != nil:
			out = append(out, Dim{Size: outShape[i]})
		case len(kernel) != k || !x[2+i].Known():
			out = append(out, Dim{Size: -1})
		default:
			o, _, _, err := TransposeWindowAxis(autoPad, x[2+i].Size, kernel[i], strides[i], dil[i], outPad[i], pads[i], pads[i+k], -1)
			if err != nil {
				return fmt.Errorf("spatial axis %d: %w", i, err)
			}
			out = append(out, Dim{Size: o})
		}
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapePool: MaxPool/AveragePool/LpPool with kernel_shape, strides, pads,
// dilations, auto_pad and ceil_mode; MaxPool's optional Indices are int64.
func shapePool(n *Node, _ int64) error {
	xt, ok := inType(n, 0)
	dt := xt.DType
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		setOutNoShape(n, 1, Int64)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3, has shape %s", x)
	}
	k := len(x) - 2
	kernel := n.AttrInts("kernel_shape", nil)
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	for _, kd := range kernel {
		if kd < 1 {
			return fmt.Errorf("kernel_shape %v must be positive", kernel)
		}
	}
	sp, err := windowDims(n, x, kernel, n.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return err
	}
	out := append(Shape{x[0], x[1]}, sp...)
	setOut(n, 0, dt, out)
	setOut(n, 1, Int64, out)
	return nil
}

// shapeGlobalPool: [N, C, 1, ...].
func shapeGlobalPool(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok || !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	if len(t.Shape) < 2 {
		return fmt.Errorf("input must have rank >= 2, has shape %s", t.Shape)
	}
	out := Shape{t.Shape[0], t.Shape[1]}
	for range len(t.Shape) - 2 {
		out = append(out, Dim{Size: 1})
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// sameDim reports a conflict between two dims that must be equal, and
// returns the better known one.
func sameDim(a, b Dim) (Dim, bool) {
	switch {
	case a.Known() && b.Known():
		return a, a.Size == b.Size
	case a.Known():
		return a, true
	case b.Known():
		return b, true
	case a.Param != "" && a.Param == b.Param:
		return a, true
	case a.Param != "":
		return a, true
	}
	return b, true
}

// shapeGemm: Y [M, N] for A [M,K] (or [K,M] with transA) and B [K,N] (or
// [N,K] with transB); C must broadcast to [M, N].
func shapeGemm(n *Node, _ int64) error {
	a, aok := inShape(n, 0)
	b, bok := inShape(n, 1)
	dt := inDType(n, 0)
	if !aok || !bok {
		setOutMaybe(n, 0, dt, unknownDims(2), true)
		return nil
	}
	if len(a) != 2 || len(b) != 2 {
		return fmt.Errorf("A %s and B %s must be 2-D", a, b)
	}
	m, ka := a[0], a[1]
	if n.AttrInt("transA", 0) != 0 {
		m, ka = a[1], a[0]
	}
	kb, nn := b[0], b[1]
	if n.AttrInt("transB", 0) != 0 {
		kb, nn = b[1], b[0]
	}
	if _, ok := sameDim(ka, kb); !ok {
		return fmt.Errorf("inner dimensions differ: A %s (transA=%d), B %s (transB=%d)", a, n.AttrInt("transA", 0), b, n.AttrInt("transB", 0))
	}
	out := Shape{m, nn}
	if c, ok := inShape(n, 2); ok {
		bc, err := broadcastShapes(out, c)
		if err != nil {
			return fmt.Errorf("C: %w", err)
		}
		if len(bc) != 2 || (bc[0].Known() && m.Known() && bc[0].Size != m.Size) || (bc[1].Known() && nn.Known() && bc[1].Size != nn.Size) {
			return fmt.Errorf("C %s does not broadcast to [%s,%s]", c, m, nn)
		}
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeMatMul: numpy matmul: 1-D A is [1,K] and 1-D B is [K,1] with the
// added dimension removed afterwards; batch dimensions broadcast.
func shapeMatMul(n *Node, _ int64) error {
	return matmulShape(n, 0, 1, inDType(n, 0))
}

// matmulShape is MatMul's shape rule for inputs ai and bi, shared with
// MatMulInteger and QLinearMatMul; dt is the output dtype.
func matmulShape(n *Node, ai, bi int, dt DType) error {
	a, aok := inShape(n, ai)
	b, bok := inShape(n, bi)
	if !aok || !bok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	if len(a) == 0 || len(b) == 0 {
		return fmt.Errorf("MatMul inputs must not be scalars (shapes %s and %s)", a, b)
	}
	a1, b1 := len(a) == 1, len(b) == 1
	aa, bb := a, b
	if a1 {
		aa = Shape{{Size: 1}, a[0]}
	}
	if b1 {
		bb = Shape{b[0], {Size: 1}}
	}
	if _, ok := sameDim(aa[len(aa)-1], bb[len(bb)-2]); !ok {
		return fmt.Errorf("inner dimensions differ: %s x %s", a, b)
	}
	batch, err := broadcastShapes(aa[:len(aa)-2], bb[:len(bb)-2])
	if err != nil {
		return fmt.Errorf("batch dimensions: %w", err)
	}
	out := append(Shape{}, batch...)
	if !a1 {
		out = append(out, aa[len(aa)-2])
	}
	if !b1 {
		out = append(out, bb[len(bb)-1])
	}
	setOut(n, 0, dt, out)
	return nil
}

// reduceAxes returns the axes of a Reduce* node: the attribute, or (since
// opset 13 for ReduceSum, 18 for the others) input 1. ok is false when the
// axes input is present but unknown.
func reduceAxes(n *Node) ([]int64, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true
	}
	if n.Input(1) == nil {
		return nil, true
	}
	return knownInts(n, 1)
}

// shapeReduce: Reduce* with keepdims (default 1) and noop_with_empty_axes
// (default 0).
func shapeReduce(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	keep := n.AttrInt("keepdims", 1) != 0
	axes, aok := reduceAxes(n)
	if !t.HasShape || !aok {
		if t.HasShape && keep {
			setOut(n, 0, t.DType, unknownDims(len(t.Shape)))
		} else {
			setOutNoShape(n, 0, t.DType)
		}
		return nil
	}
	if len(axes) == 0 && n.AttrInt("noop_with_empty_axes", 0) != 0 {
		setOut(n, 0, t.DType, t.Shape)
		return nil
	}
	s, err := reduceShape(t.Shape, axes, keep)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeArgMax: int64 output reduced along axis (default 0), keepdims 1.
func shapeArgMax(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		return nil
	}
	out, err := reduceShape(s, []int64{n.AttrInt("axis", 0)}, n.AttrInt("keepdims", 1) != 0)
	if err != nil {
		return err
	}
	setOut(n, 0, Int64, out)
	return nil
}

// shapeFlatten: [prod(dims[:axis]), prod(dims[axis:])], axis default 1.
func shapeFlatten(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if !t.HasShape {
		setOut(n, 0, t.DType, unknownDims(2))
		return nil
	}
	ax, err := FlattenAxis(n, len(t.Shape))
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, Shape{productDim(t.Shape[:ax]), productDim(t.Shape[ax:])})
	return nil
}

// shapeReshape: target from the shape input (opset >= 5) or attribute
// (opset < 5), with 0 (copy, unless allowzero) and -1 (infer).
func shapeReshape(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	var target []elem
	if a := n.Attr("shape"); a != nil && n.Input(1) == nil {
		for _, v := range a.Ints {
			target = append(target, elem{i: v, known: true})
		}
	} else {
		var ok bool
		if target, ok = valueElems(n, 1); !ok {
			setOutNoShape(n, 0, t.DType)
			return nil
		}
	}
	in := t.Shape
	if !t.HasShape {
		// Without the input shape only explicit sizes are known.
		out := make(Shape, len(target))
		for i, e := range target {
			if e.known && e.i > 0 {
				out[i] = Dim{Size: e.i}
			} else if e.known && e.i < -1 {
				return fmt.Errorf("reshape target %s has invalid size %d", elemsString(target), e.i)
			} else {
				out[i] = Dim{Size: -1, Param: e.param}
			}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	out, err := reshapeShape(in, target, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapedInput0 returns input 0's type when it has a shape. Otherwise it
// gives output 0 input 0's dtype without a shape (nothing when input 0's
// type is unknown) and reports false: the caller is done.
func shapedInput0(n *Node) (Type, bool) {
	t, ok := inType(n, 0)
	if !ok {
		return t, false
	}
	if !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return t, false
	}
	return t, true
}

// shapeTranspose: dims permuted by perm (default: reversed).
func shapeTranspose(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	perm, err := TransposePerm(n, len(t.Shape))
	if err != nil {
		return err
	}
	out := make(Shape, len(perm))
	for i, p := range perm {
		out[i] = t.Shape[p]
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeConcat: inputs agree except along axis (default 1 before opset 4,
// required since), whose sizes add up.
// concatShapes is the shape of concatenating shapes along axis a
// (negative counting from the end): equal ranks, dims off the axis that
// agree (sameDim), and along the axis their sum (unknown when one is);
// it also returns the normalised axis.
func concatShapes(shapes []Shape, a int64) (Shape, int, error) {
	r := len(shapes[0])
	ax, err := NormAxis(a, r)
	if err != nil {
		return nil, 0, err
	}
	out := append(Shape{}, shapes[0]...)
	sum := int64(0)
	known := true
	for _, s := range shapes {
		if len(s) != r {
			return nil, 0, fmt.Errorf("inputs have different ranks: %s and %s", shapes[0], s)
		}
		for d := range r {
			if d == ax {
				continue
			}
			m, ok := sameDim(out[d], s[d])
			if !ok {
				return nil, 0, fmt.Errorf("inputs differ in dimension %d: %s and %s", d, shapes[0], s)
			}
			out[d] = m
		}
		if s[ax].Known() {
			sum += s[ax].Size
		} else {
			known = false
		}
	}
	out[ax] = Dim{Size: -1}
	if known {
		out[ax] = Dim{Size: sum}
	}
	return out, ax, nil
}

// ConcatShape is Concat's output for static input shapes along axis
// (concatShapes' rule), with the normalised axis.
func ConcatShape(shapes [][]int64, axis int64) ([]int64, int, error) {
	if len(shapes) == 0 {
		return nil, 0, fmt.Errorf("no inputs")
	}
	ss := make([]Shape, len(shapes))
	for i, s := range shapes {
		ss[i] = S(s...)
	}
	out, ax, err := concatShapes(ss, axis)
	if err != nil {
		return nil, 0, err
	}
	return out.Sizes(), ax, nil
}

func shapeConcat(n *Node, opset int64) error {
	dt := Undefined
	var shapes []Shape
	all := true
	for i := range n.Inputs {
		t, ok := inType(n, i)
		if dt == Undefined {
			dt = t.DType
		}
		if !ok || !t.HasShape {
			all = false
			continue
		}
		shapes = append(shapes, t.Shape)
	}
	if len(shapes) == 0 {
		setOutNoShape(n, 0, dt)
		return nil
	}
	def := int64(0)
	if opset > 0 && opset < 4 {
		def = 1
	}
	out, ax, err := concatShapes(shapes, n.AttrInt("axis", def))
	if err != nil {
		return err
	}
	if !all {
		out[ax] = Dim{Size: -1}
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeSplit: split sizes from the attribute (opset < 13) or input 1
// (opset >= 13); else num_outputs (opset 18: ceil-sized chunks, the last
// smaller) or the number of outputs (equal parts).
func shapeSplit(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	nout := len(n.Outputs)
	if !t.HasShape {
		for i := range nout {
			setOutNoShape(n, i, t.DType)
		}
		return nil
	}
	r := len(t.Shape)
	a := n.AttrInt("axis", 0)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	var split []int64
	if s := n.Attr("split"); s != nil {
		split = s.Ints
	} else if n.Input(1) != nil {
		v, ok := knownInts(n, 1)
		if !ok {
			for i := range nout {
				sh := append(Shape{}, t.Shape...)
				sh[ax] = Dim{Size: -1}
				setOut(n, i, t.DType, sh)
			}
			return nil
		}
		split = v
	}
	dim := t.Shape[ax].Size
	if !t.Shape[ax].Known() {
		dim = -1
	}
	split, err := SplitSizes(split, dim, nout, n.AttrInt("num_outputs", 0))
	if err != nil {
		return err
	}
	for i := range nout {
		sh := append(Shape{}, t.Shape...)
		if split != nil {
			sh[ax] = Dim{Size: split[i]}
		} else {
			sh[ax] = Dim{Size: -1}
		}
		setOut(n, i, t.DType, sh)
	}
	return nil
}

// shapeSlice: starts/ends/axes/steps from attributes (opset < 10) or
// inputs; starts and ends are clamped, negative values count from the end.
func shapeSlice(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	in := func(i int) *symTensor { return symValue(n.Input(i)) }
	starts, ends, axes, steps, ok := sliceParams(n, in, opset)
	if !ok {
		// Axes known but not the bounds: those axes become unknown.
		out := append(Shape{}, t.Shape...)
		axesKnown := false
		if opset >= 10 && n.Input(3) != nil {
			if ax, ok := knownInts(n, 3); ok {
				axesKnown = true
				for _, a := range ax {
					if k := normAxis(a, r); k >= 0 {
						out[k] = Dim{Size: -1}
					}
				}
			}
		}
		if !axesKnown {
			out = unknownDims(r)
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	out := append(Shape{}, t.Shape...)
	seen := make([]bool, r)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		if seen[ax] {
			return fmt.Errorf("axis %d repeated", a)
		}
		seen[ax] = true
		if steps[i] == 0 {
			return fmt.Errorf("step 0 on axis %d", a)
		}
		d := t.Shape[ax]
		if !d.Known() {
			// Whole-axis slices keep a symbolic dimension.
			if steps[i] == 1 && starts[i] == 0 && ends[i] >= math.MaxInt32 {
				continue
			}
			out[ax] = Dim{Size: -1}
			continue
		}
		_, cnt := SliceAxis(starts[i], ends[i], steps[i], d.Size)
		out[ax] = Dim{Size: cnt}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeGather: data[:axis] + indices + data[axis+1:], axis default 0.
func shapeGather(n *Node, _ int64) error {
	dt, ok := inType(n, 0)
	if !ok {
		return nil
	}
	it, iok := inType(n, 1)
	if !dt.HasShape || !iok || !it.HasShape {
		setOutNoShape(n, 0, dt.DType)
		return nil
	}
	r := len(dt.Shape)
	a := n.AttrInt("axis", 0)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	out := append(append(append(Shape{}, dt.Shape[:ax]...), it.Shape...), dt.Shape[ax+1:]...)
	setOut(n, 0, dt.DType, out)
	return nil
}

// shapeGatherElements: indices' shape, data's dtype.
func shapeGatherElements(n *Node, _ int64) error {
	dt := inDType(n, 0)
	s, ok := inShape(n, 1)
	if d, dok := inShape(n, 0); ok && dok && len(d) != len(s) {
		return fmt.Errorf("data %s and indices %s have different ranks", d, s)
	}
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// squeezeAxes returns Squeeze/Unsqueeze axes: attribute (opset < 13) or
// input 1 (opset >= 13). ok is false when the input is there but unknown.
func squeezeAxes(n *Node) ([]int64, bool, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true, true
	}
	if n.Input(1) == nil {
		return nil, false, true
	}
	v, ok := knownInts(n, 1)
	return v, true, ok
}

// shapeSqueeze: removes the given size-1 axes, or all size-1 dimensions.
func shapeSqueeze(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	axes, _, aok := squeezeAxes(n)
	if !t.HasShape || !aok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	s, err := squeezeDims(t.Shape, axes)
	if err == errUnknown {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeUnsqueeze: inserts size-1 axes (required attribute before opset
// 13, input since).
func shapeUnsqueeze(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	axes, have, aok := squeezeAxes(n)
	if !have {
		return fmt.Errorf("missing axes")
	}
	if !t.HasShape || !aok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	s, err := unsqueezeDims(t.Shape, axes)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeShape: 1-D int64 of length end-start (start 0, end rank by default,
// opset 15).
func shapeShape(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		if n.Input(0) != nil {
			setOut(n, 0, Int64, unknownDims(1))
		}
		return nil
	}
	st, e := ShapeStartEnd(n, len(s))
	setOut(n, 0, Int64, S(int64(e-st)))
	return nil
}

// shapeSize: int64 scalar.
func shapeSize(n *Node, _ int64) error {
	setOut(n, 0, Int64, Shape{})
	return nil
}

// shapePad: each dim grows by its begin and end pads, from the pads
// attribute (opset 2-10; "paddings" in opset 1) or input 1 (opset >= 11),
// optionally restricted to the axes of input 3 (opset 18).
func shapePad(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	var pads []int64
	if a := n.Attr("pads"); a != nil {
		pads = a.Ints
	} else if a := n.Attr("paddings"); a != nil {
		pads = a.Ints // Pad-1
	} else {
		var ok bool
		if pads, ok = knownInts(n, 1); !ok {
			setOut(n, 0, t.DType, unknownDims(r))
			return nil
		}
	}
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	if n.Input(3) != nil {
		var ok bool
		if axes, ok = knownInts(n, 3); !ok {
			setOut(n, 0, t.DType, unknownDims(r))
			return nil
		}
	}
	k := len(axes)
	if len(pads) != 2*k {
		return fmt.Errorf("pads %v should have %d entries", pads, 2*k)
	}
	out := append(Shape{}, t.Shape...)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		if !out[ax].Known() {
			if pads[i] != 0 || pads[i+k] != 0 {
				out[ax] = Dim{Size: -1}
			}
			continue
		}
		d := out[ax].Size + pads[i] + pads[i+k]
		if d < 0 {
			return fmt.Errorf("pads %v make dimension %d negative", pads, ax)
		}
		out[ax] = Dim{Size: d}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeResize handles Resize and Upsample: output sizes from `sizes`
// (Resize >= 11, possibly with axes and keep_aspect_ratio_policy, opset
// 18), else floor(in * scale) with scales from the attribute (Upsample < 9)
// or the scales input (input 1 for Upsample and Resize-10, input 2 from
// Resize-11).
func shapeResize(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	x := t.Shape
	axes := n.AttrInts("axes", nil)
	if axes == nil {
		for i := range r {
			axes = append(axes, int64(i))
		}
	}
	for _, a := range axes {
		if normAxis(a, r) < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
	}
	out := append(Shape{}, x...)
	unknown := func() error {
		for _, a := range axes {
			out[normAxis(a, r)] = Dim{Size: -1}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	scalesIdx, sizesIdx := 1, -1
	if n.OpType == "Resize" && (opset >= 11 || len(n.Inputs) > 2) {
		scalesIdx, sizesIdx = 2, 3
	}
	var scales []float64
	if n.OpType == "Upsample" && n.Attr("scales") != nil {
		for _, f := range n.AttrFloats("scales", nil) {
			scales = append(scales, float64(f))
		}
	} else if sv := n.Input(scalesIdx); sv != nil {
		if s, ok := knownFloats(n, scalesIdx); ok {
			scales = s
		} else if !(sv.Type.HasShape && len(sv.Type.Shape) == 1 && sv.Type.Shape[0].Size == 0) {
			return unknown()
		}
	}
	if len(scales) == 0 && sizesIdx >= 0 && n.Input(sizesIdx) != nil {
		sizes, ok := knownInts(n, sizesIdx)
		if !ok {
			return unknown()
		}
		if len(sizes) != len(axes) {
			return fmt.Errorf("sizes %v has %d entries for %d axes", sizes, len(sizes), len(axes))
		}
		for _, s := range sizes {
			if s < 0 {
				return fmt.Errorf("negative sizes %v", sizes)
			}
		}
		policy := n.AttrString("keep_aspect_ratio_policy", "stretch")
		if policy == "stretch" {
			for i, a := range axes {
				out[normAxis(a, r)] = Dim{Size: sizes[i]}
			}
			setOut(n, 0, t.DType, out)
			return nil
		}
		// not_larger / not_smaller: one scale for all axes.
		scale := 0.0
		for i, a := range axes {
			d := x[normAxis(a, r)]
			if !d.Known() || d.Size == 0 {
				return unknown()
			}
			s := float64(sizes[i]) / float64(d.Size)
			if i == 0 || (policy == "not_larger" && s < scale) || (policy == "not_smaller" && s > scale) {
				scale = s
			}
		}
		if policy != "not_larger" && policy != "not_smaller" {
			return fmt.Errorf("unknown keep_aspect_ratio_policy %q", policy)
		}
		for _, a := range axes {
			k := normAxis(a, r)
			out[k] = Dim{Size: int64(math.Round(scale * float64(x[k].Size)))}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	if len(scales) == 0 {
		return fmt.Errorf("neither scales nor sizes given")
	}
	if len(scales) != len(axes) {
		return fmt.Errorf("scales %v has %d entries for %d axes", scales, len(scales), len(axes))
	}
	for i, a := range axes {
		k := normAxis(a, r)
		if scales[i] <= 0 || math.IsNaN(scales[i]) || math.IsInf(scales[i], 0) {
			return fmt.Errorf("scales %v must be positive", scales)
		}
		if !x[k].Known() {
			if scales[i] != 1 {
				out[k] = Dim{Size: -1}
			}
			continue
		}
		// ONNX computes in float32: floor(float(in) * scale).
		v := math.Floor(float64(float32(x[k].Size) * float32(scales[i])))
		if v > float64(MaxElements) {
			return fmt.Errorf("scale %v makes dimension %d larger than 2^40", scales[i], k)
		}
		out[k] = Dim{Size: int64(v)}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeExpand: broadcast of the input shape and the shape input.
func shapeExpand(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	es, eok := valueElems(n, 1)
	if !eok || !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	target, err := elemDims(es)
	if err != nil {
		return err
	}
	out, err := broadcastShapes(t.Shape, target)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeTile: each dim times its repeat.
func shapeTile(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	rep, ok := knownInts(n, 1)
	if !ok {
		setOut(n, 0, t.DType, unknownDims(r))
		return nil
	}
	if len(rep) != r {
		return fmt.Errorf("repeats %v do not match rank %d", rep, r)
	}
	out := make(Shape, r)
	for i, d := range t.Shape {
		if rep[i] < 0 {
			return fmt.Errorf("negative repeats %v", rep)
		}
		switch {
		case rep[i] == 1:
			out[i] = d
		case !d.Known():
			out[i] = Dim{Size: -1}
		default:
			if d.Size != 0 && rep[i] > MaxElements/d.Size {
				return fmt.Errorf("repeats %v make dimension %d larger than 2^40", rep, i)
			}
			out[i] = Dim{Size: d.Size * rep[i]}
		}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeConstantOfShape: shape from input 0's value, dtype of the value
// attribute (float32 zero by default).
func shapeConstantOfShape(n *Node, _ int64) error {
	dt := Float32
	if a := n.Attr("value"); a != nil && a.T != nil {
		dt = a.T.DType
	}
	es, ok := valueElems(n, 0)
	if !ok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	s, err := elemDims(es)
	if err != nil {
		return err
	}
	setOut(n, 0, dt, s)
	return nil
}

// shapeConstant: the type of the value attribute (value, value_float(s),
// value_int(s), value_string(s), sparse_value).
func shapeConstant(n *Node, _ int64) error {
	if a := n.Attr("sparse_value"); a != nil {
		if a.Sparse != nil && a.Sparse.Values != nil {
			setOut(n, 0, a.Sparse.Values.DType, S(a.Sparse.Dims...))
		}
		return nil
	}
	t, err := ConstantValue(n)
	if err != nil {
		if n.Attr("value") != nil {
			return err // a value attribute without a tensor
		}
		return nil
	}
	setOut(n, 0, t.DType, S(t.Dims...))
	return nil
}

// shapeRange: 1-D of max(ceil((limit-start)/delta), 0) elements.
func shapeRange(n *Node, _ int64) error {
	dt := inDType(n, 0)
	for i := range 3 {
		if s, ok := inShape(n, i); ok && (len(s) > 1 || (len(s) == 1 && s[0].Known() && s[0].Size != 1)) {
			return fmt.Errorf("input %d must be a scalar, has shape %s", i, s)
		}
	}
	st, ok1 := knownFloats(n, 0)
	li, ok2 := knownFloats(n, 1)
	de, ok3 := knownFloats(n, 2)
	if !ok1 || !ok2 || !ok3 || len(st) != 1 || len(li) != 1 || len(de) != 1 {
		setOut(n, 0, dt, unknownDims(1))
		return nil
	}
	if de[0] == 0 {
		return fmt.Errorf("delta is 0")
	}
	c := rangeCount(st[0], li[0], de[0])
	if c < 0 {
		return fmt.Errorf("range of %v to %v by %v has more than 2^40 elements", st[0], li[0], de[0])
	}
	setOut(n, 0, dt, S(c))
	return nil
}

// shapeTopK: values and int64 indices with K elements along axis (default
// -1); K from the attribute (opset < 10) or input 1.
func shapeTopK(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		setOutNoShape(n, 1, Int64)
		return nil
	}
	if !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		setOutNoShape(n, 1, Int64)
		return nil
	}
	r := len(t.Shape)
	a := n.AttrInt("axis", -1)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	out := append(Shape{}, t.Shape...)
	if k := n.Attr("k"); k != nil && n.Input(1) == nil {
		out[ax] = Dim{Size: k.I}
	} else if kv, ok := knownInts(n, 1); ok && len(kv) == 1 {
		out[ax] = Dim{Size: kv[0]}
	} else {
		out[ax] = Dim{Size: -1}
	}
	if out[ax].Known() {
		if out[ax].Size < 0 {
			return fmt.Errorf("negative k %d", out[ax].Size)
		}
		if d := t.Shape[ax]; d.Known() && out[ax].Size > d.Size {
			return fmt.Errorf("k %d larger than axis size %d", out[ax].Size, d.Size)
		}
	}
	setOut(n, 0, t.DType, out)
	setOut(n, 1, Int64, out)
	return nil
}

// shapeDepthToSpace: [N, C/(b*b), H*b, W*b].
func shapeDepthToSpace(n *Node, _ int64) error {
	return spaceDepth(n, false)
}

// shapeSpaceToDepth: [N, C*b*b, H/b, W/b].
func shapeSpaceToDepth(n *Node, _ int64) error {
	return spaceDepth(n, true)
}

func spaceDepth(n *Node, toDepth bool) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if !t.HasShape {
		setOut(n, 0, t.DType, unknownDims(4))
		return nil
	}
	if len(t.Shape) != 4 {
		return fmt.Errorf("input must be 4-D, has shape %s", t.Shape)
	}
	b := n.AttrInt("blocksize", 0)
	if b < 1 {
		return fmt.Errorf("blocksize %d must be positive", b)
	}
	x := t.Shape
	mul := func(d Dim, k int64) Dim {
		if !d.Known() {
			return Dim{Size: -1}
		}
		return Dim{Size: d.Size * k}
	}
	div := func(d Dim, k int64, what string) (Dim, error) {
		if !d.Known() {
			return Dim{Size: -1}, nil
		}
		if d.Size%k != 0 {
			return Dim{}, fmt.Errorf("%s %d not divisible by %d", what, d.Size, k)
		}
		return Dim{Size: d.Size / k}, nil
	}
	var out Shape
	if toDepth {
		h, err := div(x[2], b, "height")
		if err != nil {
			return err
		}
		w, err := div(x[3], b, "width")
		if err != nil {
			return err
		}
		out = Shape{x[0], mul(x[1], b*b), h, w}
	} else {
		c, err := div(x[1], b*b, "channels")
		if err != nil {
			return err
		}
		out = Shape{x[0], c, mul(x[2], b), mul(x[3], b)}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeNonZero: int64 [rank, number of non-zeros (unknown)].
func shapeNonZero(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		return nil
	}
	setOut(n, 0, Int64, Shape{{Size: int64(len(s))}, {Size: -1}})
	return nil
}

// shapeOneHot: indices' shape with depth inserted at axis (default -1);
// dtype of values.
func shapeOneHot(n *Node, _ int64) error {
	dt := inDType(n, 2)
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	r := len(s) + 1
	ax := normAxis(n.AttrInt("axis", -1), r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for output rank %d", n.AttrInt("axis", -1), r)
	}
	depth := Dim{Size: -1}
	if d, ok := knownFloats(n, 1); ok && len(d) == 1 && d[0] >= 0 && d[0] <= float64(MaxElements) {
		depth = Dim{Size: int64(d[0])}
	}
	out := append(append(append(Shape{}, s[:ax]...), depth), s[ax:]...)
	setOut(n, 0, dt, out)
	return nil
}

// shapeEinsum: equations ("ij,jk->ik", or implicit "ij,jk" whose output is
// the labels used once, sorted) whose letters map to input dims; ellipses
// leave the shape unknown.
func shapeEinsum(n *Node, _ int64) error {
	dt := inDType(n, 0)
	eq := n.AttrString("equation", "")
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, found := strings.Cut(eq, "->")
	if strings.Contains(eq, ".") {
		setOutNoShape(n, 0, dt)
		return nil
	}
	if !found {
		rhs = einsumImplicit(lhs)
	}
	terms := strings.Split(lhs, ",")
	if len(terms) != len(n.Inputs) {
		return fmt.Errorf("equation %q has %d operands, node has %d inputs", eq, len(terms), len(n.Inputs))
	}
	dims := map[rune]Dim{}
	for i, term := range terms {
		s, ok := inShape(n, i)
		if !ok {
			setOutNoShape(n, 0, dt)
			return nil
		}
		letters := []rune(term)
		if len(letters) != len(s) {
			return fmt.Errorf("equation term %q does not match input %d shape %s", term, i, s)
		}
		for j, c := range letters {
			if d, ok := dims[c]; ok {
				m, ok := sameDim(d, s[j])
				if !ok && !(d.Known() && d.Size == 1) && !(s[j].Known() && s[j].Size == 1) {
					return fmt.Errorf("label %q has sizes %s and %s", c, d, s[j])
				}
				if d.Known() && d.Size == 1 {
					m = s[j]
				}
				dims[c] = m
			} else {
				dims[c] = s[j]
			}
		}
	}
	var out Shape
	for _, c := range rhs {
		d, ok := dims[c]
		if !ok {
			return fmt.Errorf("output label %q not in the inputs of %q", c, eq)
		}
		out = append(out, d)
	}
	setOut(n, 0, dt, out)
	return nil
}
