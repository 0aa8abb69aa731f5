package coreml

import (
	"encoding/binary"
	"fmt"

	"github.com/x448/float16"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// ConvertNeuralNetwork converts m to a NeuralNetwork model (.mlmodel,
// specification version 4, exact N-D shape mapping; 5 when a layer needs
// it, see nnWriter.needSpec). The graph is lowered
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
				if why := mlProgramOnly[lowererKey(o.src.Domain, o.src.OpType)]; why != "" {
					return nil, fmt.Errorf("node %q (%s): NeuralNetwork specification version %d cannot express it (%s); convert to an ML Program (.mlpackage) instead: %w",
						o.src.Name, o.src.OpType, NeuralNetworkSpecVersion, why, errUnsupported)
				}
				return nil, fmt.Errorf("node %q (%s): MIL op %s: %w", o.src.Name, o.src.OpType, o.typ, err)
			}
			return nil, fmt.Errorf("op %q (%s): %w", o.name, o.typ, err)
		}
	}
	net.Layers = nw.layers
	lw.image = opt.Image
	return &pb.Model{SpecificationVersion: max(NeuralNetworkSpecVersion, nw.spec), Description: describe(lw, &opt, "neuralnetwork", ""),
		Type: &pb.Model_NeuralNetwork{NeuralNetwork: net}}, nil
}

type nnWriter struct {
	fp16   bool
	layers []*pb.NeuralNetworkLayer
	loaded map[*mvar]bool
	// spec is the lowest specification version the written layers need
	// beyond NeuralNetworkSpecVersion (0: none; see needSpec).
	spec int32
}

// needSpec records that a layer needs specification version v (a layer
// field Core ML reads only from that version on).
func (w *nnWriter) needSpec(v int32) { w.spec = max(w.spec, v) }

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
	case *pb.UpsampleLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Upsample{Upsample: p}
	case *pb.ResizeBilinearLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ResizeBilinear{ResizeBilinear: p}
	case *pb.GatherLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Gather{Gather: p}
	case *pb.GatherNDLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_GatherND{GatherND: p}
	case *pb.TileLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Tile{Tile: p}
	case *pb.ReduceSumLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ReduceSum{ReduceSum: p}
	case *pb.ReduceL2LayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ReduceL2{ReduceL2: p}
	case *pb.LayerNormalizationLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_LayerNormalization{LayerNormalization: p}
	case *pb.PaddingLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_Padding{Padding: p}
	case *pb.ConstantPaddingLayerParams:
		layer.Layer = &pb.NeuralNetworkLayer_ConstantPad{ConstantPad: p}
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
