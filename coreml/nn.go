package coreml

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/x448/float16"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// ConvertNeuralNetwork converts m to a NeuralNetwork model (.mlmodel,
// specification version 4, exact N-D shape mapping). The graph is lowered
// to MIL ops in float32 first; each op then becomes one or two layers.
// With opt.FP16 weights are stored as float16. opt.Target must be empty.
func ConvertNeuralNetwork(m *ir.Model, opt Options) (*pb.Model, error) {
	if opt.Target != "" {
		return nil, fmt.Errorf("target %q applies to ML Programs only; NeuralNetwork models are specification version %d", opt.Target, NeuralNetworkSpecVersion)
	}
	if err := opt.check(); err != nil {
		return nil, err
	}
	lo := opt
	lo.FP16, lo.Image = false, nil
	lw, err := lower(m, &lo)
	if err != nil {
		return nil, err
	}
	nw := &nnWriter{fp16: opt.FP16, loaded: map[*mvar]bool{}}
	net := &pb.NeuralNetwork{ArrayInputShapeMapping: pb.NeuralNetworkMultiArrayShapeMapping_EXACT_ARRAY_MAPPING,
		ImageInputShapeMapping: pb.NeuralNetworkImageShapeMapping_RANK4_IMAGE_MAPPING}
	if im := opt.Image; im != nil {
		if len(lw.inputs) != 1 || len(lw.inputs[0].shape) != 4 || lw.inputs[0].shape[0] != 1 || lw.inputs[0].shape[1] != 3 {
			return nil, fmt.Errorf("--image-input needs one input of shape [1,3,H,W]")
		}
		net.Preprocessing = []*pb.NeuralNetworkPreprocessing{{FeatureName: lw.inputs[0].name,
			Preprocessor: &pb.NeuralNetworkPreprocessing_Scaler{Scaler: &pb.NeuralNetworkImageScaler{
				ChannelScale: im.Scale, RedBias: im.Bias[0], GreenBias: im.Bias[1], BlueBias: im.Bias[2]}}}}
	}
	for _, o := range lw.ops {
		if err := nw.op(o); err != nil {
			if o.src != nil {
				return nil, fmt.Errorf("node %q (%s): MIL op %s: %w", o.src.Name, o.src.OpType, o.typ, err)
			}
			return nil, fmt.Errorf("op %q (%s): %w", o.name, o.typ, err)
		}
	}
	net.Layers = nw.layers
	lw.image = opt.Image
	return &pb.Model{SpecificationVersion: NeuralNetworkSpecVersion, Description: describe(lw, &opt, "neuralnetwork", ""),
		Type: &pb.Model_NeuralNetwork{NeuralNetwork: net}}, nil
}

type nnWriter struct {
	fp16   bool
	layers []*pb.NeuralNetworkLayer
	loaded map[*mvar]bool
}

func (w *nnWriter) weights(f []float32) *pb.WeightParams {
	if !w.fp16 {
		return &pb.WeightParams{FloatValue: f}
	}
	b := make([]byte, 2*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint16(b[2*i:], float16.Fromfloat32(v).Bits())
	}
	return &pb.WeightParams{Float16Value: b}
}

func (w *nnWriter) add(name string, in []string, out []string, l any) {
	layer := &pb.NeuralNetworkLayer{Name: name, Input: in, Output: out}
	switch p := l.(type) {
	case *pb.ConvolutionLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Convolution{Convolution: p}
	case *pb.PoolingLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Pooling{Pooling: p}
	case *pb.ActivationParams:
		layer.Layer = &pb.NeuralNetworkLayer_Activation{Activation: p}
	case *pb.InnerProductLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_InnerProduct{InnerProduct: p}
	case *pb.BatchnormLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Batchnorm{Batchnorm: p}
	case *pb.SoftmaxLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Softmax{Softmax: p}
	case *pb.AddLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Add{Add: p}
	case *pb.MultiplyLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Multiply{Multiply: p}
	case *pb.ClipLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Clip{Clip: p}
	case *pb.GeluLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Gelu{Gelu: p}
	case *pb.AddBroadcastableLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_AddBroadcastable{AddBroadcastable: p}
	case *pb.SubtractBroadcastableLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_SubtractBroadcastable{SubtractBroadcastable: p}
	case *pb.MultiplyBroadcastableLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_MultiplyBroadcastable{MultiplyBroadcastable: p}
	case *pb.DivideBroadcastableLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_DivideBroadcastable{DivideBroadcastable: p}
	case *pb.SoftmaxNDLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_SoftmaxND{SoftmaxND: p}
	case *pb.SplitNDLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_SplitND{SplitND: p}
	case *pb.ConcatNDLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ConcatND{ConcatND: p}
	case *pb.TransposeLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Transpose{Transpose: p}
	case *pb.SliceStaticLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_SliceStatic{SliceStatic: p}
	case *pb.LoadConstantNDLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_LoadConstantND{LoadConstantND: p}
	case *pb.BatchedMatMulLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_BatchedMatmul{BatchedMatmul: p}
	case *pb.ReshapeStaticLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ReshapeStatic{ReshapeStatic: p}
	case *pb.ErfLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Erf{Erf: p}
	case *pb.ReduceMeanLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ReduceMean{ReduceMean: p}
	default:
		panic(fmt.Sprintf("coreml: layer params %T", l))
	}
	w.layers = append(w.layers, layer)
}

// tensor returns the blob name of x, adding a loadConstantND layer the first
// time a constant is used as a tensor operand.
func (w *nnWriter) tensor(x *mvar) string {
	if x.konst != nil && !w.loaded[x] {
		w.loaded[x] = true
		shape := make([]uint64, len(x.shape))
		for i, d := range x.shape {
			shape[i] = uint64(d)
		}
		if len(shape) == 0 {
			shape = []uint64{1}
		}
		w.add(x.name, nil, []string{x.name}, &pb.LoadConstantNDLayerParams{Shape: shape, Data: w.weights(x.konst.f)})
	}
	return x.name
}

func u64s(v ...int64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

func constInts(o *mop, p string) ([]int64, error) {
	x := o.input(p)
	if x == nil || x.konst == nil {
		return nil, fmt.Errorf("parameter %s must be a constant", p)
	}
	out := make([]int64, len(x.konst.i))
	for i, v := range x.konst.i {
		out[i] = int64(v)
	}
	return out, nil
}

func constFloat(o *mop, p string) (float32, error) {
	x := o.input(p)
	if x == nil || x.konst == nil || len(x.konst.f) != 1 {
		return 0, fmt.Errorf("parameter %s must be a scalar constant", p)
	}
	return x.konst.f[0], nil
}

func constBool(o *mop, p string) bool {
	x := o.input(p)
	return x != nil && x.konst != nil && len(x.konst.b) == 1 && x.konst.b[0]
}

func constStr(o *mop, p string) string {
	x := o.input(p)
	if x == nil || x.konst == nil || len(x.konst.s) != 1 {
		return ""
	}
	return x.konst.s[0]
}

func validPad(pad []int64) *pb.ValidPadding {
	return &pb.ValidPadding{PaddingAmounts: &pb.BorderAmounts{BorderAmounts: []*pb.BorderAmounts_EdgeSizes{
		{StartEdgeSize: uint64(pad[0]), EndEdgeSize: uint64(pad[1])},
		{StartEdgeSize: uint64(pad[2]), EndEdgeSize: uint64(pad[3])}}}}
}

func act(p *pb.ActivationParams) *pb.ActivationParams { return p }

// op maps one MIL op to NeuralNetwork layers.
func (w *nnWriter) op(o *mop) error {
	out := make([]string, len(o.out))
	for i, x := range o.out {
		out[i] = x.name
	}
	y := o.out[0]
	x := o.input("x")
	xin := func() []string { return []string{w.tensor(x)} }
	switch o.typ {
	case "const":
		return nil // materialized on first use as a tensor
	case "conv":
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
		w.add(o.name, xin(), out, p)
	case "linear":
		wt, b := o.input("weight"), o.input("bias")
		dout, din := wt.shape[0], wt.shape[1]
		if len(x.shape) >= 1 && len(x.shape) <= 3 {
			p := &pb.InnerProductLayerParams{InputChannels: uint64(din), OutputChannels: uint64(dout), Weights: w.weights(wt.konst.f)}
			if b != nil {
				p.HasBias, p.Bias = true, w.weights(b.konst.f)
			}
			w.add(o.name, xin(), out, p)
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
		w.add(o.name, xin(), out, p)
	case "matmul":
		yv := o.input("y")
		if constBool(o, "transpose_x") || constBool(o, "transpose_y") {
			return fmt.Errorf("transposed matmul operands: %w", errUnsupported)
		}
		if yv.konst != nil && len(yv.shape) == 2 {
			w.add(o.name, xin(), out, &pb.BatchedMatMulLayerParams{WeightMatrixFirstDimension: uint64(yv.shape[0]),
				WeightMatrixSecondDimension: uint64(yv.shape[1]), Weights: w.weights(yv.konst.f)})
			return nil
		}
		w.add(o.name, []string{w.tensor(x), w.tensor(yv)}, out, &pb.BatchedMatMulLayerParams{})
	case "relu":
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_ReLU{ReLU: &pb.ActivationReLU{}}}))
	case "sigmoid":
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Sigmoid{Sigmoid: &pb.ActivationSigmoid{}}}))
	case "tanh":
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Tanh{Tanh: &pb.ActivationTanh{}}}))
	case "erf":
		w.add(o.name, xin(), out, &pb.ErfLayerParams{})
	case "identity":
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Linear{Linear: &pb.ActivationLinear{Alpha: 1}}}))
	case "leaky_relu":
		al, err := constFloat(o, "alpha")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_LeakyReLU{LeakyReLU: &pb.ActivationLeakyReLU{Alpha: al}}}))
	case "sigmoid_hard":
		al, err := constFloat(o, "alpha")
		if err != nil {
			return err
		}
		be, err := constFloat(o, "beta")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_SigmoidHard{SigmoidHard: &pb.ActivationSigmoidHard{Alpha: al, Beta: be}}}))
	case "silu":
		sig := o.name + "__silu_sigmoid"
		w.add(sig, xin(), []string{sig}, act(&pb.ActivationParams{NonlinearityType: &pb.ActivationParams_Sigmoid{Sigmoid: &pb.ActivationSigmoid{}}}))
		w.add(o.name, []string{x.name, sig}, out, &pb.MultiplyLayerParams{})
	case "clip":
		lo, err := constFloat(o, "alpha")
		if err != nil {
			return err
		}
		hi, err := constFloat(o, "beta")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, &pb.ClipLayerParams{MinVal: lo, MaxVal: hi})
	case "gelu":
		mode := pb.GeluLayerParams_EXACT
		if constStr(o, "mode") == "TANH_APPROXIMATION" {
			mode = pb.GeluLayerParams_TANH_APPROXIMATION
		}
		w.add(o.name, xin(), out, &pb.GeluLayerParams{Mode: mode})
	case "add", "sub", "mul", "real_div":
		yv := o.input("y")
		in := []string{w.tensor(x), w.tensor(yv)}
		same := fmtShape(x.shape) == fmtShape(yv.shape)
		switch {
		case o.typ == "add" && same:
			w.add(o.name, in, out, &pb.AddLayerParams{})
		case o.typ == "mul" && same:
			w.add(o.name, in, out, &pb.MultiplyLayerParams{})
		case o.typ == "add":
			w.add(o.name, in, out, &pb.AddBroadcastableLayerParams{})
		case o.typ == "mul":
			w.add(o.name, in, out, &pb.MultiplyBroadcastableLayerParams{})
		case o.typ == "sub":
			w.add(o.name, in, out, &pb.SubtractBroadcastableLayerParams{})
		default:
			w.add(o.name, in, out, &pb.DivideBroadcastableLayerParams{})
		}
	case "reduce_mean", "reduce_max":
		axes, err := constInts(o, "axes")
		if err != nil {
			return err
		}
		keep := constBool(o, "keep_dims")
		if len(x.shape) == 4 && keep && fmtShape(axes) == "[2 3]" {
			t := pb.PoolingLayerParams_AVERAGE
			if o.typ == "reduce_max" {
				t = pb.PoolingLayerParams_MAX
			}
			w.add(o.name, xin(), out, &pb.PoolingLayerParams{Type: t, GlobalPooling: true, KernelSize: u64s(1, 1), Stride: u64s(1, 1),
				PoolingPaddingType: &pb.PoolingLayerParams_Valid{Valid: validPad([]int64{0, 0, 0, 0})}})
			return nil
		}
		if o.typ == "reduce_max" {
			return fmt.Errorf("reduce_max over %v: %w", axes, errUnsupported)
		}
		w.add(o.name, xin(), out, &pb.ReduceMeanLayerParams{Axes: axes, KeepDims: keep})
	case "avg_pool", "max_pool":
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
		// Valid padding gives floor((H + pads - k)/s) + 1; a ceil_mode pool
		// whose output size differs from that cannot be expressed.
		for i := 0; i < 2; i++ {
			fl := (x.shape[2+i]+pad[2*i]+pad[2*i+1]-ks[i])/st[i] + 1
			if fl != y.shape[2+i] {
				return fmt.Errorf("ceil_mode pooling with output %v (floor mode gives %d on axis %d): %w", y.shape, fl, 2+i, errUnsupported)
			}
		}
		p.PoolingPaddingType = &pb.PoolingLayerParams_Valid{Valid: validPad(pad)}
		w.add(o.name, xin(), out, p)
	case "softmax":
		ax, err := constInts(o, "axis")
		if err != nil {
			return err
		}
		if ax[0] == int64(len(x.shape)-3) {
			w.add(o.name, xin(), out, &pb.SoftmaxLayerParams{})
		} else {
			w.add(o.name, xin(), out, &pb.SoftmaxNDLayerParams{Axis: ax[0]})
		}
	case "concat":
		ax, err := constInts(o, "axis")
		if err != nil {
			return err
		}
		var in []string
		for _, v := range o.inputs("values") {
			in = append(in, w.tensor(v))
		}
		w.add(o.name, in, out, &pb.ConcatNDLayerParams{Axis: ax[0]})
	case "split":
		ax, err := constInts(o, "axis")
		if err != nil {
			return err
		}
		sz, err := constInts(o, "split_sizes")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, &pb.SplitNDLayerParams{Axis: ax[0], NumSplits: uint64(len(sz)), SplitSizes: u64s(sz...)})
	case "reshape":
		s, err := constInts(o, "shape")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, &pb.ReshapeStaticLayerParams{TargetShape: s})
	case "transpose":
		p, err := constInts(o, "perm")
		if err != nil {
			return err
		}
		w.add(o.name, xin(), out, &pb.TransposeLayerParams{Axes: u64s(p...)})
	case "slice_by_index":
		b, _ := constInts(o, "begin")
		e, _ := constInts(o, "end")
		s, err := constInts(o, "stride")
		if err != nil {
			return err
		}
		f := make([]bool, len(b))
		w.add(o.name, xin(), out, &pb.SliceStaticLayerParams{BeginIds: b, EndIds: e, Strides: s, BeginMasks: f, EndMasks: f, SqueezeMasks: f})
	case "batch_norm":
		eps, err := constFloat(o, "epsilon")
		if err != nil {
			return err
		}
		in, bnOut := xin(), out
		if len(x.shape) != 4 {
			// The batchnorm layer wants [N, C, H, W]: reshape to [N, C, S, 1]
			// and back.
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
	default:
		return fmt.Errorf("no NeuralNetwork layer for MIL op %s (layers exist for %s): %w", o.typ, strings.Join(nnLayerOps, ", "), errUnsupported)
	}
	return nil
}
