package coreml

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/x448/float16"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// NeuralNetworkToIR converts a NeuralNetwork model written by mconv back to
// an IR model (float32; fp16 weights are widened). Layers are first turned
// into MIL-level ops with computed shapes, then into IR nodes as in
// ProgramToIR. Input and output names are the recorded ONNX names.
func NeuralNetworkToIR(spec *pb.Model, opt ReadOptions) (*ir.Model, error) {
	net := spec.GetNeuralNetwork()
	if net == nil {
		return nil, errors.New("not a NeuralNetwork model")
	}
	l := &lowerer{ct: pb.DataType_FLOAT32, names: map[string]bool{}}
	vars := map[string]*mvar{}
	var inputs []*mvar
	for _, in := range spec.GetDescription().GetInput() {
		var shape []int64
		switch t := in.GetType().GetType().(type) {
		case *pb.FeatureType_MultiArrayType:
			shape = t.MultiArrayType.Shape
		case *pb.FeatureType_ImageType:
			shape = []int64{1, 3, t.ImageType.Height, t.ImageType.Width}
		default:
			return nil, fmt.Errorf("input %q: unsupported feature type", in.Name)
		}
		for _, d := range shape {
			if d <= 0 || d > ir.MaxElements {
				return nil, fmt.Errorf("input %q: bad shape %v", in.Name, shape)
			}
		}
		x := &mvar{name: in.Name, dt: pb.DataType_FLOAT32, shape: shape}
		l.names[in.Name] = true
		inputs = append(inputs, x)
		vars[in.Name] = x
	}
	for _, pp := range net.Preprocessing {
		sc := pp.GetScaler()
		x := vars[pp.FeatureName]
		if sc == nil || x == nil {
			return nil, fmt.Errorf("preprocessing for %q: only a scaler on an input is read", pp.FeatureName)
		}
		im := &ImageInput{ColorSpace: "rgb", Scale: sc.ChannelScale, Bias: [3]float32{sc.RedBias, sc.GreenBias, sc.BlueBias}}
		for _, in := range spec.Description.Input {
			if in.Name == pp.FeatureName && in.GetType().GetImageType().GetColorSpace() == pb.ImageFeatureType_BGR {
				im.ColorSpace = "bgr"
			}
		}
		vars[pp.FeatureName] = l.imagePreprocess(x, im)
	}
	for i, layer := range net.Layers {
		if err := l.readLayer(layer, vars); err != nil {
			return nil, fmt.Errorf("layer %d %q: %w", i, layer.Name, err)
		}
	}
	var outputs []string
	for _, o := range spec.GetDescription().GetOutput() {
		x := vars[o.Name]
		if x == nil {
			return nil, fmt.Errorf("output %q is not produced by any layer", o.Name)
		}
		outputs = append(outputs, x.name)
	}
	// Preprocessing renamed the input's consumers; block outputs are names.
	return buildIR(spec, l.ops, inputs, outputs, opt)
}

// weightFloats decodes WeightParams (float or float16) and checks the count.
func weightFloats(w *pb.WeightParams, n int64) ([]float32, error) {
	if w == nil {
		return nil, errors.New("missing weights")
	}
	var f []float32
	switch {
	case len(w.FloatValue) > 0:
		f = w.FloatValue
	case len(w.Float16Value) > 0:
		if len(w.Float16Value)%2 != 0 {
			return nil, errors.New("odd float16 byte count")
		}
		f = make([]float32, len(w.Float16Value)/2)
		for i := range f {
			f[i] = float16.Frombits(binary.LittleEndian.Uint16(w.Float16Value[2*i:])).Float32()
		}
	case len(w.RawValue) > 0:
		return nil, errors.New("raw (quantized) weights are not read")
	}
	if int64(len(f)) != n {
		return nil, fmt.Errorf("%d weights, want %d", len(f), n)
	}
	return f, nil
}

func edge(v *pb.ValidPadding) ([]int64, error) {
	if v == nil {
		return nil, errors.New("only valid padding is read")
	}
	ba := v.GetPaddingAmounts().GetBorderAmounts()
	if len(ba) == 0 {
		return []int64{0, 0, 0, 0}, nil
	}
	if len(ba) != 2 {
		return nil, fmt.Errorf("%d border amounts, want 2", len(ba))
	}
	return []int64{int64(ba[0].StartEdgeSize), int64(ba[0].EndEdgeSize), int64(ba[1].StartEdgeSize), int64(ba[1].EndEdgeSize)}, nil
}

func i64s(u []uint64) []int64 {
	out := make([]int64, len(u))
	for i, v := range u {
		out[i] = int64(v)
	}
	return out
}

// readLayer appends the MIL-level ops of one layer.
func (l *lowerer) readLayer(layer *pb.NeuralNetworkLayer, vars map[string]*mvar) error {
	r := &layerReader{l: l, layer: layer, vars: vars, base: layer.Name}
	for _, nm := range layer.Input {
		x := vars[nm]
		if x == nil {
			return fmt.Errorf("reads undefined blob %q", nm)
		}
		r.in = append(r.in, x)
	}
	f, ok := layerReaders[layerKind(layer)]
	if !ok {
		return fmt.Errorf("layer type %T is not read back by mconv: %w", layer.Layer, errUnsupported)
	}
	return f(r)
}

// layerKind returns the name of the field of layer's "layer" oneof that is
// set ("convolution", "loadConstantND", ...; as in Apple's
// NeuralNetwork.proto), or "" when none is.
func layerKind(layer *pb.NeuralNetworkLayer) string {
	m := layer.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("layer")); fd != nil {
		return string(fd.Name())
	}
	return ""
}
