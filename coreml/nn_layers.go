package coreml

import (
	"fmt"
	"strings"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// nnLayers maps a MIL op type to the NeuralNetwork layers that compute it,
// one function per op. MIL ops missing here (or refused by their function)
// have no NeuralNetwork form in mconv.
var nnLayers = map[string]func(*nnWriter, *mop) error{
	"const":          func(*nnWriter, *mop) error { return nil }, // materialized on first use as a tensor
	"conv":           nnConv,
	"linear":         nnLinear,
	"matmul":         nnMatmul,
	"relu":           nnUnary(reluAct),
	"sigmoid":        nnUnary(sigmoidAct),
	"tanh":           nnUnary(tanhAct),
	"identity":       nnUnary(linearAct),
	"erf":            nnUnary(newOf[pb.ErfLayerParams]),
	"leaky_relu":     nnLeakyRelu,
	"sigmoid_hard":   nnHardSigmoid,
	"silu":           nnSilu,
	"clip":           nnClip,
	"gelu":           nnGelu,
	"add":            nnBinary(newOf[pb.AddLayerParams], newOf[pb.AddBroadcastableLayerParams]),
	"mul":            nnBinary(newOf[pb.MultiplyLayerParams], newOf[pb.MultiplyBroadcastableLayerParams]),
	"sub":            nnBinary(nil, newOf[pb.SubtractBroadcastableLayerParams]),
	"real_div":       nnBinary(nil, newOf[pb.DivideBroadcastableLayerParams]),
	"reduce_mean":    nnReduce,
	"reduce_max":     nnReduce,
	"reduce_sum":     nnReduce,
	"reduce_l2_norm": nnReduce,
	"avg_pool":       nnPool,
	"max_pool":       nnPool,
	"softmax":        nnSoftmax,
	"concat":         nnConcat,
	"split":          nnSplit,
	"reshape":        nnReshape,
	"transpose":      nnTranspose,
	"tile":           nnTile,
	"slice_by_index": nnSlice,
	"batch_norm":     nnBatchNorm,
	// nn_resize.go
	"upsample_nearest_neighbor": nnUpsampleNearest,
	"upsample_bilinear":         nnUpsampleBilinear,
	"resize_bilinear":           nnResizeBilinear,
	"resize_nearest_neighbor":   nnResizeNearest,
	// nn_gather.go
	"gather":        nnGather,
	"gather_nd":     nnGatherND,
	"layer_norm":    nnLayerNorm,
	"instance_norm": nnInstanceNorm,
	"pad":           nnPad,
}

// op maps one MIL op to NeuralNetwork layers.
func (w *nnWriter) op(o *mop) error {
	f, ok := nnLayers[o.typ]
	if !ok {
		return fmt.Errorf("no NeuralNetwork layer for MIL op %s (layers exist for %s): %w", o.typ, strings.Join(nnLayerOps, ", "), errUnsupported)
	}
	return f(w, o)
}

// newOf returns a new zero T (layer parameters without fields to set).
func newOf[T any]() any { return new(T) }

// outNames returns the names of o's outputs.
func outNames(o *mop) []string {
	out := make([]string, len(o.out))
	for i, x := range o.out {
		out[i] = x.name
	}
	return out
}

// xin returns the blob of o's input x as a layer's input list.
func (w *nnWriter) xin(o *mop) []string { return []string{w.tensor(o.input("x"))} }

// nnUnary writes o as one layer on x with the parameters mk makes.
func nnUnary(mk func() any) func(*nnWriter, *mop) error {
	return func(w *nnWriter, o *mop) error {
		w.add(o.name, w.xin(o), outNames(o), mk())
		return nil
	}
}

// reluAct makes the parameters of a ReLU activation layer.
func reluAct() any {
	return &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_ReLU{ReLU: &pb.ActivationReLU{}}}
}

// sigmoidAct makes the parameters of a sigmoid activation layer.
func sigmoidAct() any {
	return &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Sigmoid{Sigmoid: &pb.ActivationSigmoid{}}}
}

// tanhAct makes the parameters of a tanh activation layer.
func tanhAct() any {
	return &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Tanh{Tanh: &pb.ActivationTanh{}}}
}

// linearAct makes the parameters of the identity (linear, alpha 1)
// activation layer.
func linearAct() any {
	return &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Linear{Linear: &pb.ActivationLinear{Alpha: 1}}}
}

// nnBinary writes an elementwise binary op as the layer same makes when
// both operands have the same shape (nil: no such layer), else as the
// broadcasting layer bcast makes.
func nnBinary(same, bcast func() any) func(*nnWriter, *mop) error {
	return func(w *nnWriter, o *mop) error {
		x, yv := o.input("x"), o.input("y")
		in := []string{w.tensor(x), w.tensor(yv)}
		if same != nil && fmtShape(x.shape) == fmtShape(yv.shape) {
			w.add(o.name, in, outNames(o), same())
		} else {
			w.add(o.name, in, outNames(o), bcast())
		}
		return nil
	}
}

// nnConv writes conv (constant weights, explicit pads) as a convolution
// layer with valid padding amounts.
func nnConv(w *nnWriter, o *mop) error {
	wt, b := o.input("weight"), o.input("bias")
	pad, err := constInts(o, "pad")
	if err != nil {
		return err
	}
	st, _ := constInts(o, "strides")
	dl, _ := constInts(o, "dilations")
	g, _ := constInts(o, "groups")
	p := &pb.ConvolutionLayerParams{OutputChannels: uint64(wt.shape[0]), KernelChannels: uint64(wt.shape[1]), NGroups: uint64(g[0]),
		KernelSize: u64s(wt.shape[2], wt.shape[3]), Stride: u64s(st...), DilationFactor: u64s(dl...),
		ConvolutionPaddingType: &pb.ConvolutionLayerParams_Valid{Valid: validPad(pad)}, Weights: w.weights(wt.konst.f)}
	if b != nil {
		p.HasBias, p.Bias = true, w.weights(b.konst.f)
	}
	w.add(o.name, w.xin(o), outNames(o), p)
	return nil
}

// nnLinear writes linear as an innerProduct layer on inputs of rank 1 to
// 3, else as a batchedMatmul layer with the transposed weight matrix.
func nnLinear(w *nnWriter, o *mop) error {
	x := o.input("x")
	wt, b := o.input("weight"), o.input("bias")
	dout, din := wt.shape[0], wt.shape[1]
	if len(x.shape) >= 1 && len(x.shape) <= 3 {
		p := &pb.InnerProductLayerParams{InputChannels: uint64(din), OutputChannels: uint64(dout), Weights: w.weights(wt.konst.f)}
		if b != nil {
			p.HasBias, p.Bias = true, w.weights(b.konst.f)
		}
		w.add(o.name, w.xin(o), outNames(o), p)
		return nil
	}
	tw := make([]float32, len(wt.konst.f))
	for i := int64(0); i < dout; i++ {
		for j := int64(0); j < din; j++ {
			tw[j*dout+i] = wt.konst.f[i*din+j]
		}
	}
	p := &pb.BatchedMatMulLayerParams{WeightMatrixFirstDimension: uint64(din), WeightMatrixSecondDimension: uint64(dout), Weights: w.weights(tw)}
	if b != nil {
		p.HasBias, p.Bias = true, w.weights(b.konst.f)
	}
	w.add(o.name, w.xin(o), outNames(o), p)
	return nil
}

// nnMatmul writes matmul (operands not transposed) as a batchedMatmul
// layer, with y as its weights when y is a constant matrix.
func nnMatmul(w *nnWriter, o *mop) error {
	x, yv := o.input("x"), o.input("y")
	if constBool(o, "transpose_x") || constBool(o, "transpose_y") {
		return fmt.Errorf("transposed matmul operands: %w", errUnsupported)
	}
	if yv.konst != nil && len(yv.shape) == 2 {
		w.add(o.name, w.xin(o), outNames(o), &pb.BatchedMatMulLayerParams{WeightMatrixFirstDimension: uint64(yv.shape[0]),
			WeightMatrixSecondDimension: uint64(yv.shape[1]), Weights: w.weights(yv.konst.f)})
		return nil
	}
	w.add(o.name, []string{w.tensor(x), w.tensor(yv)}, outNames(o), &pb.BatchedMatMulLayerParams{})
	return nil
}

// nnLeakyRelu writes leaky_relu as a leakyReLU activation.
func nnLeakyRelu(w *nnWriter, o *mop) error {
	al, err := constFloat(o, "alpha")
	if err != nil {
		return err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_LeakyReLU{LeakyReLU: &pb.ActivationLeakyReLU{Alpha: al}}})
	return nil
}

// nnHardSigmoid writes sigmoid_hard as a sigmoidHard activation.
func nnHardSigmoid(w *nnWriter, o *mop) error {
	p := mparams{o: o}
	al, be := p.float("alpha"), p.float("beta")
	if p.err != nil {
		return p.err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.ActivationParams{NonlinearityType: &pb.ActivationParams_SigmoidHard{SigmoidHard: &pb.ActivationSigmoidHard{Alpha: al, Beta: be}}})
	return nil
}

// nnSilu writes silu as a sigmoid activation and a multiply layer.
func nnSilu(w *nnWriter, o *mop) error {
	sig := o.name + "__silu_sigmoid"
	w.add(sig, w.xin(o), []string{sig}, sigmoidAct())
	w.add(o.name, []string{o.input("x").name, sig}, outNames(o), &pb.MultiplyLayerParams{})
	return nil
}

// nnClip writes clip (bounds alpha, beta) as a clip layer.
func nnClip(w *nnWriter, o *mop) error {
	p := mparams{o: o}
	lo, hi := p.float("alpha"), p.float("beta")
	if p.err != nil {
		return p.err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.ClipLayerParams{MinVal: lo, MaxVal: hi})
	return nil
}

// nnGelu writes gelu as a gelu layer of the same mode.
func nnGelu(w *nnWriter, o *mop) error {
	mode := pb.GeluLayerParams_EXACT
	if constStr(o, "mode") == "TANH_APPROXIMATION" {
		mode = pb.GeluLayerParams_TANH_APPROXIMATION
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.GeluLayerParams{Mode: mode})
	return nil
}

// nnReduce writes reduce_mean and reduce_max over the spatial axes of a
// rank-4 tensor (dims kept) as global pooling; other reduce_mean,
// reduce_sum and reduce_l2_norm as reduceMean, reduceSum and reduceL2
// layers. Other reduce_max has no layer here.
func nnReduce(w *nnWriter, o *mop) error {
	x := o.input("x")
	axes, err := constInts(o, "axes")
	if err != nil {
		return err
	}
	keep := constBool(o, "keep_dims")
	if len(x.shape) == 4 && keep && fmtShape(axes) == "[2 3]" && (o.typ == "reduce_mean" || o.typ == "reduce_max") {
		t := pb.PoolingLayerParams_AVERAGE
		if o.typ == "reduce_max" {
			t = pb.PoolingLayerParams_MAX
		}
		w.add(o.name, w.xin(o), outNames(o), &pb.PoolingLayerParams{Type: t, GlobalPooling: true, KernelSize: u64s(1, 1), Stride: u64s(1, 1),
			PoolingPaddingType: &pb.PoolingLayerParams_Valid{Valid: validPad([]int64{0, 0, 0, 0})}})
		return nil
	}
	switch o.typ {
	case "reduce_mean":
		w.add(o.name, w.xin(o), outNames(o), &pb.ReduceMeanLayerParams{Axes: axes, KeepDims: keep})
	case "reduce_sum":
		w.add(o.name, w.xin(o), outNames(o), &pb.ReduceSumLayerParams{Axes: axes, KeepDims: keep})
	case "reduce_l2_norm":
		w.add(o.name, w.xin(o), outNames(o), &pb.ReduceL2LayerParams{Axes: axes, KeepDims: keep})
	default:
		return fmt.Errorf("%s over %v: %w", o.typ, axes, errUnsupported)
	}
	return nil
}

// nnPool writes avg_pool and max_pool as a pooling layer with valid
// padding amounts; a ceil_mode pool whose output differs from floor mode's
// is refused.
func nnPool(w *nnWriter, o *mop) error {
	x, y := o.input("x"), o.out[0]
	ks, _ := constInts(o, "kernel_sizes")
	st, _ := constInts(o, "strides")
	pad, err := constInts(o, "pad")
	if err != nil {
		return err
	}
	t := pb.PoolingLayerParams_MAX
	if o.typ == "avg_pool" {
		t = pb.PoolingLayerParams_AVERAGE
	}
	p := &pb.PoolingLayerParams{Type: t, KernelSize: u64s(ks...), Stride: u64s(st...), AvgPoolExcludePadding: constBool(o, "exclude_padding_from_average")}
	// Valid padding gives floor mode's size (ir.WindowAxis without
	// ceil_mode); a ceil_mode pool whose output differs cannot be expressed.
	for i := 0; i < 2; i++ {
		fl, _, _, err := ir.WindowAxis("NOTSET", x.shape[2+i], ks[i], st[i], 1, pad[2*i], pad[2*i+1], false)
		if err != nil {
			return err
		}
		if fl != y.shape[2+i] {
			return fmt.Errorf("ceil_mode pooling with output %v (floor mode gives %d on axis %d): %w", y.shape, fl, 2+i, errUnsupported)
		}
	}
	p.PoolingPaddingType = &pb.PoolingLayerParams_Valid{Valid: validPad(pad)}
	w.add(o.name, w.xin(o), outNames(o), p)
	return nil
}

// nnSoftmax writes softmax over the channel axis (rank - 3) as a softmax
// layer, over any other axis as softmaxND.
func nnSoftmax(w *nnWriter, o *mop) error {
	ax, err := constInts(o, "axis")
	if err != nil {
		return err
	}
	if ax[0] == int64(len(o.input("x").shape)-3) {
		w.add(o.name, w.xin(o), outNames(o), &pb.SoftmaxLayerParams{})
	} else {
		w.add(o.name, w.xin(o), outNames(o), &pb.SoftmaxNDLayerParams{Axis: ax[0]})
	}
	return nil
}

// nnConcat writes concat as a concatND layer.
func nnConcat(w *nnWriter, o *mop) error {
	ax, err := constInts(o, "axis")
	if err != nil {
		return err
	}
	var in []string
	for _, v := range o.inputs("values") {
		in = append(in, w.tensor(v))
	}
	w.add(o.name, in, outNames(o), &pb.ConcatNDLayerParams{Axis: ax[0]})
	return nil
}

// nnSplit writes split with split_sizes as a splitND layer.
func nnSplit(w *nnWriter, o *mop) error {
	ax, err := constInts(o, "axis")
	if err != nil {
		return err
	}
	sz, err := constInts(o, "split_sizes")
	if err != nil {
		return err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.SplitNDLayerParams{Axis: ax[0], NumSplits: uint64(len(sz)), SplitSizes: u64s(sz...)})
	return nil
}

// nnReshape writes reshape as a reshapeStatic layer.
func nnReshape(w *nnWriter, o *mop) error {
	s, err := constInts(o, "shape")
	if err != nil {
		return err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.ReshapeStaticLayerParams{TargetShape: s})
	return nil
}

// nnTranspose writes transpose as a transpose layer.
func nnTranspose(w *nnWriter, o *mop) error {
	p, err := constInts(o, "perm")
	if err != nil {
		return err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.TransposeLayerParams{Axes: u64s(p...)})
	return nil
}

// nnSlice writes slice_by_index as a sliceStatic layer without masks.
func nnSlice(w *nnWriter, o *mop) error {
	b, _ := constInts(o, "begin")
	e, _ := constInts(o, "end")
	s, err := constInts(o, "stride")
	if err != nil {
		return err
	}
	f := make([]bool, len(b))
	w.add(o.name, w.xin(o), outNames(o), &pb.SliceStaticLayerParams{BeginIds: b, EndIds: e, Strides: s, BeginMasks: f, EndMasks: f, SqueezeMasks: f})
	return nil
}

// nnBatchNorm writes batch_norm as a batchnorm layer, which wants
// [N, C, H, W]: other ranks (at least 2) are reshaped to [N, C, S, 1] and
// back around it.
func nnBatchNorm(w *nnWriter, o *mop) error {
	x := o.input("x")
	out := outNames(o)
	eps, err := constFloat(o, "epsilon")
	if err != nil {
		return err
	}
	in, bnOut := w.xin(o), out
	if len(x.shape) != 4 {
		if len(x.shape) < 2 {
			return fmt.Errorf("batch norm of a rank-%d tensor: %w", len(x.shape), errUnsupported)
		}
		r := o.name + "__bn_in"
		w.add(r, in, []string{r}, &pb.ReshapeStaticLayerParams{TargetShape: []int64{x.shape[0], x.shape[1], numel(x.shape[2:]), 1}})
		in, bnOut = []string{r}, []string{o.name + "__bn_out"}
	}
	w.add(o.name, in, bnOut, &pb.BatchnormLayerParams{Channels: uint64(x.shape[1]), Epsilon: eps,
		Gamma: w.weights(o.input("gamma").konst.f), Beta: w.weights(o.input("beta").konst.f),
		Mean: w.weights(o.input("mean").konst.f), Variance: w.weights(o.input("variance").konst.f)})
	if len(x.shape) != 4 {
		w.add(o.name+"__bn_reshape", bnOut, out, &pb.ReshapeStaticLayerParams{TargetShape: x.shape})
	}
	return nil
}

// nnTile writes tile as a tile layer.
func nnTile(w *nnWriter, o *mop) error {
	reps, err := constInts(o, "reps")
	if err != nil {
		return err
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.TileLayerParams{Reps: u64s(reps...)})
	return nil
}
