package ir

// Shape functions of ONNX ops, one small function per op (or per family of
// ops with identical shape rules), with ONNX's attribute defaults. Each
// tolerates unknown inputs by leaving outputs (or parts of them) unknown,
// and is deterministic, since Verify re-runs it (see checkShapes).
//
// This file registers most of them and holds the shared helpers; the
// functions live in shape_<family>.go (elementwise, norm, conv, pool,
// linear, reduce, movement, indexing, pad, resize, generator, quant,
// control, rnn; cast, seq, loss and attention register their own).

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

func init() {
	for _, op := range []string{"Swish", "RMSNormalization", "GroupNormalization", "CumProd"} {
		RegisterShapeFunc("", op, shapeSameAsInput)
	}
	for _, r := range []struct {
		op string
		f  ShapeFunc
	}{
		{"QuantizeLinear", shapeQuantize},
		{"DequantizeLinear", shapeDequantize},
		{"DynamicQuantizeLinear", shapeDynamicQuantize},
		{"Bernoulli", shapeLike},
		{"GatherND", shapeGatherND},
		{"If", shapeIf},
		{"GridSample", shapeGridSample},
		{"AffineGrid", shapeAffineGrid},
		{"MatMulInteger", func(n *Node, _ int64) error { return matmulShape(n, 0, 1, Int32) }},
		{"QLinearMatMul", func(n *Node, _ int64) error { return matmulShape(n, 0, 3, inDType(n, 7)) }},
		{"ConvInteger", func(n *Node, _ int64) error { return convShape(n, 0, 1, -1, Int32) }},
		{"QLinearConv", func(n *Node, _ int64) error { return convShape(n, 0, 3, 8, inDType(n, 7)) }},
		{"HannWindow", shapeWindow},
		{"HammingWindow", shapeWindow},
		{"BlackmanWindow", shapeWindow},
		{"RoiAlign", shapeRoiAlign},
		{"NonMaxSuppression", shapeNMS},
		{"MaxUnpool", shapeMaxUnpool},
		{"Det", shapeDet},
		{"CenterCropPad", shapeCenterCropPad},
		{"Compress", shapeCompress},
		{"RNN", shapeRNN},
		{"GRU", shapeRNN},
		{"LSTM", shapeRNN},
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
