package coreml

import (
	"errors"
	"fmt"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// layerReaders maps a NeuralNetwork layer kind (the name of the field set
// in the layer's "layer" oneof, see layerKind) to its reading into
// MIL-level ops with computed shapes, one function per layer kind.
var layerReaders = map[string]func(*layerReader) error{
	"loadConstantND":        layerLoadConstant,
	"convolution":           layerConvolution,
	"innerProduct":          layerInnerProduct,
	"batchedMatmul":         layerBatchedMatmul,
	"activation":            layerActivation,
	"clip":                  layerClip,
	"gelu":                  layerGelu,
	"erf":                   func(r *layerReader) error { return r.unary("erf") },
	"add":                   layerBinary("add"),
	"multiply":              layerBinary("mul"),
	"addBroadcastable":      layerBinary("add"),
	"multiplyBroadcastable": layerBinary("mul"),
	"subtractBroadcastable": layerBinary("sub"),
	"divideBroadcastable":   layerBinary("real_div"),
	"pooling":               layerPooling,
	"reduceMean":            layerReduce("reduce_mean"),
	"reduceSum":             layerReduce("reduce_sum"),
	"reduceL2":              layerReduce("reduce_l2_norm"),
	"softmax":               layerSoftmax,
	"softmaxND":             layerSoftmaxND,
	"concatND":              layerConcatND,
	"splitND":               layerSplitND,
	"reshapeStatic":         layerReshapeStatic,
	"transpose":             layerTranspose,
	"tile":                  layerTile,
	"sliceStatic":           layerSliceStatic,
	"batchnorm":             layerBatchnorm,
	// nn_read_resize.go
	"upsample":       layerUpsample,
	"resizeBilinear": layerResizeBilinear,
	// nn_read_gather.go
	"gather":             layerGather,
	"gatherND":           layerGatherND,
	"layerNormalization": layerLayerNorm,
	"padding":            layerPadding,
	"constantPad":        layerConstantPad,
}

// layerReader is one NeuralNetwork layer being read: its inputs resolved,
// the blob map (updated with its outputs) and the lowerer that collects
// the MIL-level ops.
type layerReader struct {
	l     *lowerer
	layer *pb.NeuralNetworkLayer
	vars  map[string]*mvar
	in    []*mvar
	base  string // the layer's name, the prefix of its constants
}

// need checks that the layer has k inputs and one output.
func (r *layerReader) need(k int) error {
	if len(r.in) != k || len(r.layer.Output) != 1 {
		return fmt.Errorf("has %d inputs and %d outputs, want %d and 1", len(r.in), len(r.layer.Output), k)
	}
	return nil
}

// outName returns the MIL name of output i: the blob name, or a fresh name
// when a blob of that name is already defined.
func (r *layerReader) outName(i int) string {
	nm := r.layer.Output[i]
	if _, dup := r.vars[nm]; dup {
		return r.l.uniq(nm)
	}
	r.l.names[nm] = true
	return nm
}

// def emits the layer's single output as MIL op typ.
func (r *layerReader) def(typ string, args []arg, shape []int64) {
	nm := r.outName(0)
	r.vars[r.layer.Output[0]] = r.l.emit1(typ, nm, args, pb.DataType_FLOAT32, shape, true)
}

// unary emits a one-input layer as MIL op typ on x with extra arguments,
// of x's shape.
func (r *layerReader) unary(typ string, extra ...arg) error {
	if err := r.need(1); err != nil {
		return err
	}
	r.def(typ, append([]arg{a("x", r.in[0])}, extra...), r.in[0].shape)
	return nil
}

// weightConst returns weights w, which must hold numel(shape) values, as a
// float32 constant of that shape named base+suffix.
func (r *layerReader) weightConst(suffix string, w *pb.WeightParams, shape ...int64) (*mvar, error) {
	f, err := weightFloats(w, numel(shape))
	if err != nil {
		return nil, err
	}
	return r.l.constOp(r.base+suffix, pb.DataType_FLOAT32, shape, &constVal{f: f}), nil
}

// withBias returns args with a "bias" argument of n weights w appended
// when has is set.
func (r *layerReader) withBias(args []arg, has bool, w *pb.WeightParams, n int64) ([]arg, error) {
	if !has {
		return args, nil
	}
	b, err := r.weightConst("_bias", w, n)
	if err != nil {
		return nil, err
	}
	return append(args, a("bias", b)), nil
}

// layerLoadConstant reads loadConstantND as a const.
func layerLoadConstant(r *layerReader) error {
	p := r.layer.GetLoadConstantND()
	if len(r.layer.Output) != 1 {
		return errors.New("want one output")
	}
	shape := i64s(p.Shape)
	if ir.NumElements(shape) < 0 {
		return fmt.Errorf("bad shape %v", shape)
	}
	f, err := weightFloats(p.Data, numel(shape))
	if err != nil {
		return err
	}
	r.vars[r.layer.Output[0]] = r.l.constOp(r.outName(0), pb.DataType_FLOAT32, shape, &constVal{f: f})
	return nil
}

// layerConvolution reads a 2-D convolution with valid padding amounts as
// conv with custom pads.
func layerConvolution(r *layerReader) error {
	c := r.layer.GetConvolution()
	if err := r.need(1); err != nil {
		return err
	}
	x := r.in[0]
	if len(x.shape) != 4 || len(c.KernelSize) != 2 || len(c.Stride) != 2 || len(c.DilationFactor) != 2 || c.IsDeconvolution || c.NGroups == 0 {
		return fmt.Errorf("only 2-D convolutions of rank-4 inputs with explicit sizes are read: %w", errUnsupported)
	}
	pad, err := edge(c.GetValid())
	if err != nil {
		return err
	}
	ws := []int64{int64(c.OutputChannels), int64(c.KernelChannels), int64(c.KernelSize[0]), int64(c.KernelSize[1])}
	wf, err := weightFloats(c.Weights, numel(ws))
	if err != nil {
		return err
	}
	g := convGeom{k: [2]int64{ws[2], ws[3]}, s: [2]int64{int64(c.Stride[0]), int64(c.Stride[1])}, d: [2]int64{int64(c.DilationFactor[0]), int64(c.DilationFactor[1])},
		pad: [4]int64{pad[0], pad[1], pad[2], pad[3]}}
	o, err := g.outSize([2]int64{x.shape[2], x.shape[3]}, false)
	if err != nil {
		return err
	}
	args := []arg{a("x", x), a("weight", r.l.constOp(r.base+"_weight", pb.DataType_FLOAT32, ws, &constVal{f: wf}))}
	args, err = r.withBias(args, c.HasBias, c.Bias, ws[0])
	if err != nil {
		return err
	}
	args = append(args, r.l.geomArgs(r.base, g)...)
	args = append(args, a("dilations", r.l.cInts(r.base+"_dilations", g.d[0], g.d[1])), a("groups", r.l.cInt(r.base+"_groups", int64(c.NGroups))))
	r.def("conv", args, []int64{x.shape[0], ws[0], o[0], o[1]})
	return nil
}

// layerInnerProduct reads innerProduct as linear on the last axis.
func layerInnerProduct(r *layerReader) error {
	c := r.layer.GetInnerProduct()
	if err := r.need(1); err != nil {
		return err
	}
	x := r.in[0]
	din, dout := int64(c.InputChannels), int64(c.OutputChannels)
	if len(x.shape) == 0 || x.shape[len(x.shape)-1] != din {
		return fmt.Errorf("input %v does not end in %d channels", x.shape, din)
	}
	wt, err := r.weightConst("_weight", c.Weights, dout, din)
	if err != nil {
		return err
	}
	args, err := r.withBias([]arg{a("x", x), a("weight", wt)}, c.HasBias, c.Bias, dout)
	if err != nil {
		return err
	}
	s := append(append([]int64(nil), x.shape[:len(x.shape)-1]...), dout)
	r.def("linear", args, s)
	return nil
}

// layerBatchedMatmul reads batchedMatmul (two inputs, or one and a weight
// matrix) as matmul, plus add for a bias.
func layerBatchedMatmul(r *layerReader) error {
	c := r.layer.GetBatchedMatmul()
	if c.TransposeA || c.TransposeB {
		return fmt.Errorf("transposed batched matmul: %w", errUnsupported)
	}
	var y *mvar
	switch {
	case len(r.in) == 1 && c.WeightMatrixFirstDimension > 0:
		var err error
		y, err = r.weightConst("_weight", c.Weights, int64(c.WeightMatrixFirstDimension), int64(c.WeightMatrixSecondDimension))
		if err != nil {
			return err
		}
	case len(r.in) == 2:
		y = r.in[1]
	default:
		return errors.New("want two inputs or one input and weights")
	}
	s, err := matmulShape(r.in[0].shape, y.shape)
	if err != nil {
		return err
	}
	margs := []arg{a("x", r.in[0]), a("y", y), a("transpose_x", r.l.cBool(r.base+"_tx", false)), a("transpose_y", r.l.cBool(r.base+"_ty", false))}
	if !c.HasBias {
		r.def("matmul", margs, s)
		return nil
	}
	bf, err := weightFloats(c.Bias, s[len(s)-1])
	if err != nil {
		return err
	}
	mm := r.l.emit1("matmul", r.base+"_matmul", margs, pb.DataType_FLOAT32, s, false)
	r.def("add", []arg{a("x", mm), a("y", r.l.constOp(r.base+"_bias", pb.DataType_FLOAT32, []int64{s[len(s)-1]}, &constVal{f: bf}))}, s)
	return nil
}

// layerActivation reads the activations mconv writes (ReLU, sigmoid, tanh,
// leaky ReLU, hard sigmoid, and linear as the identity).
func layerActivation(r *layerReader) error {
	base := r.base
	switch act := r.layer.GetActivation().NonlinearityType.(type) {
	case *pb.ActivationParams_ReLU:
		return r.unary("relu")
	case *pb.ActivationParams_Sigmoid:
		return r.unary("sigmoid")
	case *pb.ActivationParams_Tanh:
		return r.unary("tanh")
	case *pb.ActivationParams_LeakyReLU:
		return r.unary("leaky_relu", a("alpha", r.l.cFloat(base+"_alpha", act.LeakyReLU.Alpha)))
	case *pb.ActivationParams_SigmoidHard:
		return r.unary("sigmoid_hard", a("alpha", r.l.cFloat(base+"_alpha", act.SigmoidHard.Alpha)), a("beta", r.l.cFloat(base+"_beta", act.SigmoidHard.Beta)))
	case *pb.ActivationParams_Linear:
		if act.Linear.Alpha != 1 || act.Linear.Beta != 0 {
			return fmt.Errorf("linear activation other than identity: %w", errUnsupported)
		}
		return r.unary("identity")
	default:
		return fmt.Errorf("activation %T: %w", act, errUnsupported)
	}
}

// layerClip reads clip as clip (bounds alpha, beta).
func layerClip(r *layerReader) error {
	p := r.layer.GetClip()
	return r.unary("clip", a("alpha", r.l.cFloat(r.base+"_lo", p.MinVal)), a("beta", r.l.cFloat(r.base+"_hi", p.MaxVal)))
}

// layerGelu reads gelu (exact or tanh approximation) as gelu.
func layerGelu(r *layerReader) error {
	p := r.layer.GetGelu()
	mode := "EXACT"
	if p.Mode == pb.GeluLayerParams_TANH_APPROXIMATION {
		mode = "TANH_APPROXIMATION"
	} else if p.Mode != pb.GeluLayerParams_EXACT {
		return fmt.Errorf("gelu mode %s: %w", p.Mode, errUnsupported)
	}
	return r.unary("gelu", a("mode", r.l.cStr(r.base+"_mode", mode)))
}

// layerBinary reads an elementwise two-input layer (same-shape or
// broadcasting) as MIL op typ; add and multiply only without alpha.
func layerBinary(typ string) func(*layerReader) error {
	return func(r *layerReader) error {
		if err := r.need(2); err != nil {
			return err
		}
		if ad := r.layer.GetAdd(); ad != nil && ad.Alpha != 0 {
			return fmt.Errorf("add with alpha: %w", errUnsupported)
		}
		if mu := r.layer.GetMultiply(); mu != nil && mu.Alpha != 0 && mu.Alpha != 1 {
			return fmt.Errorf("multiply with alpha: %w", errUnsupported)
		}
		s, err := ir.BroadcastShape(r.in[0].shape, r.in[1].shape)
		if err != nil {
			return err
		}
		r.def(typ, []arg{a("x", r.in[0]), a("y", r.in[1])}, s)
		return nil
	}
}

// layerPooling reads global pooling as reduce_mean/reduce_max over the
// spatial axes, other 2-D pooling with valid padding amounts as
// avg_pool/max_pool with custom pads.
func layerPooling(r *layerReader) error {
	c := r.layer.GetPooling()
	base := r.base
	if err := r.need(1); err != nil {
		return err
	}
	x := r.in[0]
	if len(x.shape) != 4 {
		return fmt.Errorf("pooling of a rank-%d tensor: %w", len(x.shape), errUnsupported)
	}
	typ := map[pb.PoolingLayerParams_PoolingType]string{pb.PoolingLayerParams_MAX: "max_pool", pb.PoolingLayerParams_AVERAGE: "avg_pool"}[c.Type]
	if typ == "" {
		return fmt.Errorf("pooling type %s: %w", c.Type, errUnsupported)
	}
	if c.GlobalPooling {
		red := map[string]string{"max_pool": "reduce_max", "avg_pool": "reduce_mean"}[typ]
		r.def(red, []arg{a("x", x), a("axes", r.l.cInts(base+"_axes", 2, 3)), a("keep_dims", r.l.cBool(base+"_keep", true))}, []int64{x.shape[0], x.shape[1], 1, 1})
		return nil
	}
	pad, err := edge(c.GetValid())
	if err != nil {
		return err
	}
	if len(c.KernelSize) != 2 || len(c.Stride) != 2 {
		return errors.New("want 2-D kernel and stride")
	}
	g := convGeom{k: [2]int64{int64(c.KernelSize[0]), int64(c.KernelSize[1])}, s: [2]int64{int64(c.Stride[0]), int64(c.Stride[1])}, d: [2]int64{1, 1},
		pad: [4]int64{pad[0], pad[1], pad[2], pad[3]}}
	if g.s[0] <= 0 || g.s[1] <= 0 {
		return errors.New("zero stride")
	}
	o, err := g.outSize([2]int64{x.shape[2], x.shape[3]}, false)
	if err != nil {
		return err
	}
	args := []arg{a("x", x), a("kernel_sizes", r.l.cInts(base+"_kernel_sizes", g.k[0], g.k[1]))}
	args = append(args, r.l.geomArgs(base, g)...)
	if typ == "avg_pool" {
		args = append(args, a("exclude_padding_from_average", r.l.cBool(base+"_exclude_pad", c.AvgPoolExcludePadding)))
	}
	args = append(args, a("ceil_mode", r.l.cBool(base+"_ceil_mode", false)))
	r.def(typ, args, []int64{x.shape[0], x.shape[1], o[0], o[1]})
	return nil
}

// reduceParams is what the reduceMean, reduceSum and reduceL2 layer
// parameters share.
type reduceParams interface {
	GetAxes() []int64
	GetKeepDims() bool
	GetReduceAll() bool
}

// layerReduce reads a reduction layer over given axes as MIL op typ.
func layerReduce(typ string) func(*layerReader) error {
	return func(r *layerReader) error {
		if err := r.need(1); err != nil {
			return err
		}
		var c reduceParams
		switch typ {
		case "reduce_mean":
			c = r.layer.GetReduceMean()
		case "reduce_sum":
			c = r.layer.GetReduceSum()
		default:
			c = r.layer.GetReduceL2()
		}
		if c.GetReduceAll() {
			return fmt.Errorf("reduceAll: %w", errUnsupported)
		}
		norm, s, err := reduceShape(r.in[0].shape, c.GetAxes(), c.GetKeepDims())
		if err != nil {
			return err
		}
		r.def(typ, []arg{a("x", r.in[0]), a("axes", r.l.cInts(r.base+"_axes", norm...)), a("keep_dims", r.l.cBool(r.base+"_keep", c.GetKeepDims()))}, s)
		return nil
	}
}

// layerSoftmax reads softmax (over the channel axis, rank - 3) as softmax.
func layerSoftmax(r *layerReader) error {
	if len(r.in) == 1 && len(r.in[0].shape) < 3 {
		return errors.New("softmax layer on rank < 3")
	}
	return r.unary("softmax", a("axis", r.l.cInt(r.base+"_axis", int64(len(r.in[0].shape)-3))))
}

// layerSoftmaxND reads softmaxND as softmax.
func layerSoftmaxND(r *layerReader) error {
	if len(r.in) != 1 {
		return r.need(1)
	}
	ax, err := normAxis(r.layer.GetSoftmaxND().Axis, len(r.in[0].shape))
	if err != nil {
		return err
	}
	return r.unary("softmax", a("axis", r.l.cInt(r.base+"_axis", ax)))
}

// layerConcatND reads concatND as concat.
func layerConcatND(r *layerReader) error {
	p := r.layer.GetConcatND()
	if len(r.in) == 0 || len(r.layer.Output) != 1 {
		return errors.New("want inputs and one output")
	}
	ax, err := normAxis(p.Axis, len(r.in[0].shape))
	if err != nil {
		return err
	}
	s := append([]int64(nil), r.in[0].shape...)
	s[ax] = 0
	for _, x := range r.in {
		if len(x.shape) != len(s) {
			return errors.New("inputs of different rank")
		}
		s[ax] += x.shape[ax]
	}
	r.def("concat", []arg{a("values", r.in...), a("axis", r.l.cInt(r.base+"_axis", ax)), a("interleave", r.l.cBool(r.base+"_interleave", p.Interleave))}, s)
	return nil
}

// layerSplitND reads splitND with explicit sizes as one split op with an
// output per layer output.
func layerSplitND(r *layerReader) error {
	p := r.layer.GetSplitND()
	if len(r.in) != 1 || len(r.layer.Output) == 0 {
		return errors.New("want one input and outputs")
	}
	x := r.in[0]
	ax, err := normAxis(p.Axis, len(x.shape))
	if err != nil {
		return err
	}
	sizes := i64s(p.SplitSizes)
	if len(sizes) != len(r.layer.Output) {
		return fmt.Errorf("%d split sizes for %d outputs", len(sizes), len(r.layer.Output))
	}
	total := int64(0)
	for _, s := range sizes {
		total += s
	}
	if total != x.shape[ax] {
		return fmt.Errorf("split sizes %v do not sum to %d", sizes, x.shape[ax])
	}
	o := &mop{typ: "split", in: []arg{a("x", x), a("split_sizes", r.l.cInts(r.base+"_sizes", sizes...)), a("axis", r.l.cInt(r.base+"_axis", ax))}}
	for i := range r.layer.Output {
		s := append([]int64(nil), x.shape...)
		s[ax] = sizes[i]
		mv := &mvar{name: r.outName(i), dt: pb.DataType_FLOAT32, shape: s}
		o.out = append(o.out, mv)
		r.vars[r.layer.Output[i]] = mv
	}
	o.name = o.out[0].name
	r.l.ops = append(r.l.ops, o)
	return nil
}

// layerReshapeStatic reads reshapeStatic as reshape to the resolved shape.
func layerReshapeStatic(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	s, err := ir.ReshapeTarget(r.in[0].shape, r.layer.GetReshapeStatic().TargetShape, false)
	if err != nil {
		return err
	}
	if numel(s) != numel(r.in[0].shape) {
		return fmt.Errorf("cannot reshape %v to %v", r.in[0].shape, s)
	}
	r.def("reshape", []arg{a("x", r.in[0]), a("shape", r.l.cInts(r.base+"_shape", s...))}, s)
	return nil
}

// layerTranspose reads transpose as transpose.
func layerTranspose(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	perm := i64s(r.layer.GetTranspose().Axes)
	if len(perm) != len(r.in[0].shape) {
		return fmt.Errorf("perm %v for rank %d", perm, len(r.in[0].shape))
	}
	s := make([]int64, len(perm))
	seen := map[int64]bool{}
	for i, q := range perm {
		if q < 0 || q >= int64(len(perm)) || seen[q] {
			return fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[q] = true
		s[i] = r.in[0].shape[q]
	}
	r.def("transpose", []arg{a("x", r.in[0]), a("perm", r.l.cInts(r.base+"_perm", perm...))}, s)
	return nil
}

// layerSliceStatic reads sliceStatic without masks and with in-range
// positive-step bounds on every axis as slice_by_index.
func layerSliceStatic(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	c := r.layer.GetSliceStatic()
	x := r.in[0]
	rank := len(x.shape)
	if len(c.BeginIds) != rank || len(c.EndIds) != rank || len(c.Strides) != rank {
		return fmt.Errorf("slice of rank %d with %d/%d/%d bounds", rank, len(c.BeginIds), len(c.EndIds), len(c.Strides))
	}
	for _, m := range [][]bool{c.BeginMasks, c.EndMasks, c.SqueezeMasks} {
		for _, b := range m {
			if b {
				return fmt.Errorf("slice masks: %w", errUnsupported)
			}
		}
	}
	s := make([]int64, rank)
	for i := range s {
		b, e, st := c.BeginIds[i], c.EndIds[i], c.Strides[i]
		if st <= 0 || b < 0 || e > x.shape[i] || e <= b {
			return fmt.Errorf("slice bounds [%d:%d:%d] on axis %d of size %d: %w", b, e, st, i, x.shape[i], errUnsupported)
		}
		s[i] = (e - b + st - 1) / st
	}
	r.def("slice_by_index", []arg{a("x", x), a("begin", r.l.cInts(r.base+"_begin", c.BeginIds...)), a("end", r.l.cInts(r.base+"_end", c.EndIds...)),
		a("stride", r.l.cInts(r.base+"_stride", c.Strides...))}, s)
	return nil
}

// layerBatchnorm reads batchnorm of a rank-4 tensor with given statistics
// as batch_norm, with per-instance statistics as instance_norm.
func layerBatchnorm(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	c := r.layer.GetBatchnorm()
	if c.InstanceNormalization && c.ComputeMeanVar {
		return layerInstanceNorm(r)
	}
	x := r.in[0]
	if len(x.shape) != 4 || int64(c.Channels) != x.shape[1] || c.ComputeMeanVar || c.InstanceNormalization {
		return fmt.Errorf("batchnorm of %v with %d channels: %w", x.shape, c.Channels, errUnsupported)
	}
	ps := map[string]*pb.WeightParams{"gamma": c.Gamma, "beta": c.Beta, "mean": c.Mean, "variance": c.Variance}
	args := []arg{a("x", x)}
	for _, k := range []string{"mean", "variance", "gamma", "beta"} {
		v, err := r.weightConst("_"+k, ps[k], int64(c.Channels))
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		args = append(args, a(k, v))
	}
	r.def("batch_norm", append(args, a("epsilon", r.l.cFloat(r.base+"_eps", c.Epsilon))), x.shape)
	return nil
}

// layerTile reads tile (one positive repetition count per axis) as tile.
func layerTile(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	reps := i64s(r.layer.GetTile().Reps)
	x := r.in[0]
	if len(reps) != len(x.shape) {
		return fmt.Errorf("tile reps %v for rank %d", reps, len(x.shape))
	}
	s := make([]int64, len(reps))
	for i, k := range reps {
		if k <= 0 || x.shape[i] <= 0 || k > ir.MaxElements/x.shape[i] {
			return fmt.Errorf("tile reps %v for shape %v", reps, x.shape)
		}
		s[i] = x.shape[i] * k
	}
	if ir.NumElements(s) < 0 {
		return fmt.Errorf("tiled shape %v too large", s)
	}
	r.def("tile", []arg{a("x", x), a("reps", r.l.cInts(r.base+"_reps", reps...))}, s)
	return nil
}
