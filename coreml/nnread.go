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
	var in []*mvar
	for _, nm := range layer.Input {
		x := vars[nm]
		if x == nil {
			return fmt.Errorf("reads undefined blob %q", nm)
		}
		in = append(in, x)
	}
	need := func(k int) error {
		if len(in) != k || len(layer.Output) != 1 {
			return fmt.Errorf("has %d inputs and %d outputs, want %d and 1", len(in), len(layer.Output), k)
		}
		return nil
	}
	outName := func(i int) string {
		nm := layer.Output[i]
		if _, dup := vars[nm]; dup {
			return l.uniq(nm)
		}
		l.names[nm] = true
		return nm
	}
	def := func(typ string, args []arg, shape []int64) {
		nm := outName(0)
		vars[layer.Output[0]] = l.emit1(typ, nm, args, pb.DataType_FLOAT32, shape, true)
	}
	unaryAct := func(typ string, extra ...arg) error {
		if err := need(1); err != nil {
			return err
		}
		def(typ, append([]arg{a("x", in[0])}, extra...), in[0].shape)
		return nil
	}
	base := layer.Name
	switch p := layer.Layer.(type) {
	case *pb.NeuralNetworkLayer_LoadConstantND:
		if len(layer.Output) != 1 {
			return errors.New("want one output")
		}
		shape := i64s(p.LoadConstantND.Shape)
		if ir.NumElements(shape) < 0 {
			return fmt.Errorf("bad shape %v", shape)
		}
		f, err := weightFloats(p.LoadConstantND.Data, numel(shape))
		if err != nil {
			return err
		}
		x := l.constOp(outName(0), pb.DataType_FLOAT32, shape, &constVal{f: f})
		vars[layer.Output[0]] = x
	case *pb.NeuralNetworkLayer_Convolution:
		c := p.Convolution
		if err := need(1); err != nil {
			return err
		}
		x := in[0]
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
		args := []arg{a("x", x), a("weight", l.constOp(base+"_weight", pb.DataType_FLOAT32, ws, &constVal{f: wf}))}
		if c.HasBias {
			bf, err := weightFloats(c.Bias, ws[0])
			if err != nil {
				return err
			}
			args = append(args, a("bias", l.constOp(base+"_bias", pb.DataType_FLOAT32, []int64{ws[0]}, &constVal{f: bf})))
		}
		args = append(args, l.geomArgs(base, g)...)
		args = append(args, a("dilations", l.cInts(base+"_dilations", g.d[0], g.d[1])), a("groups", l.cInt(base+"_groups", int64(c.NGroups))))
		def("conv", args, []int64{x.shape[0], ws[0], o[0], o[1]})
	case *pb.NeuralNetworkLayer_InnerProduct:
		c := p.InnerProduct
		if err := need(1); err != nil {
			return err
		}
		x := in[0]
		din, dout := int64(c.InputChannels), int64(c.OutputChannels)
		if len(x.shape) == 0 || x.shape[len(x.shape)-1] != din {
			return fmt.Errorf("input %v does not end in %d channels", x.shape, din)
		}
		wf, err := weightFloats(c.Weights, din*dout)
		if err != nil {
			return err
		}
		args := []arg{a("x", x), a("weight", l.constOp(base+"_weight", pb.DataType_FLOAT32, []int64{dout, din}, &constVal{f: wf}))}
		if c.HasBias {
			bf, err := weightFloats(c.Bias, dout)
			if err != nil {
				return err
			}
			args = append(args, a("bias", l.constOp(base+"_bias", pb.DataType_FLOAT32, []int64{dout}, &constVal{f: bf})))
		}
		s := append(append([]int64(nil), x.shape[:len(x.shape)-1]...), dout)
		def("linear", args, s)
	case *pb.NeuralNetworkLayer_BatchedMatmul:
		c := p.BatchedMatmul
		if c.TransposeA || c.TransposeB {
			return fmt.Errorf("transposed batched matmul: %w", errUnsupported)
		}
		var y *mvar
		switch {
		case len(in) == 1 && c.WeightMatrixFirstDimension > 0:
			rows, cols := int64(c.WeightMatrixFirstDimension), int64(c.WeightMatrixSecondDimension)
			wf, err := weightFloats(c.Weights, rows*cols)
			if err != nil {
				return err
			}
			y = l.constOp(base+"_weight", pb.DataType_FLOAT32, []int64{rows, cols}, &constVal{f: wf})
		case len(in) == 2:
			y = in[1]
		default:
			return errors.New("want two inputs or one input and weights")
		}
		s, err := matmulShape(in[0].shape, y.shape)
		if err != nil {
			return err
		}
		margs := []arg{a("x", in[0]), a("y", y), a("transpose_x", l.cBool(base+"_tx", false)), a("transpose_y", l.cBool(base+"_ty", false))}
		if !c.HasBias {
			def("matmul", margs, s)
			return nil
		}
		bf, err := weightFloats(c.Bias, s[len(s)-1])
		if err != nil {
			return err
		}
		mm := l.emit1("matmul", base+"_matmul", margs, pb.DataType_FLOAT32, s, false)
		def("add", []arg{a("x", mm), a("y", l.constOp(base+"_bias", pb.DataType_FLOAT32, []int64{s[len(s)-1]}, &constVal{f: bf}))}, s)
	case *pb.NeuralNetworkLayer_Activation:
		switch act := p.Activation.NonlinearityType.(type) {
		case *pb.ActivationParams_ReLU:
			return unaryAct("relu")
		case *pb.ActivationParams_Sigmoid:
			return unaryAct("sigmoid")
		case *pb.ActivationParams_Tanh:
			return unaryAct("tanh")
		case *pb.ActivationParams_LeakyReLU:
			return unaryAct("leaky_relu", a("alpha", l.cFloat(base+"_alpha", act.LeakyReLU.Alpha)))
		case *pb.ActivationParams_SigmoidHard:
			return unaryAct("sigmoid_hard", a("alpha", l.cFloat(base+"_alpha", act.SigmoidHard.Alpha)), a("beta", l.cFloat(base+"_beta", act.SigmoidHard.Beta)))
		case *pb.ActivationParams_Linear:
			if act.Linear.Alpha != 1 || act.Linear.Beta != 0 {
				return fmt.Errorf("linear activation other than identity: %w", errUnsupported)
			}
			return unaryAct("identity")
		default:
			return fmt.Errorf("activation %T: %w", act, errUnsupported)
		}
	case *pb.NeuralNetworkLayer_Clip:
		return unaryAct("clip", a("alpha", l.cFloat(base+"_lo", p.Clip.MinVal)), a("beta", l.cFloat(base+"_hi", p.Clip.MaxVal)))
	case *pb.NeuralNetworkLayer_Gelu:
		mode := "EXACT"
		if p.Gelu.Mode == pb.GeluLayerParams_TANH_APPROXIMATION {
			mode = "TANH_APPROXIMATION"
		} else if p.Gelu.Mode != pb.GeluLayerParams_EXACT {
			return fmt.Errorf("gelu mode %s: %w", p.Gelu.Mode, errUnsupported)
		}
		return unaryAct("gelu", a("mode", l.cStr(base+"_mode", mode)))
	case *pb.NeuralNetworkLayer_Erf:
		return unaryAct("erf")
	case *pb.NeuralNetworkLayer_Add, *pb.NeuralNetworkLayer_Multiply, *pb.NeuralNetworkLayer_AddBroadcastable,
		*pb.NeuralNetworkLayer_MultiplyBroadcastable, *pb.NeuralNetworkLayer_SubtractBroadcastable, *pb.NeuralNetworkLayer_DivideBroadcastable:
		if err := need(2); err != nil {
			return err
		}
		typ := map[string]string{"*pb.NeuralNetworkLayer_Add": "add", "*pb.NeuralNetworkLayer_Multiply": "mul",
			"*pb.NeuralNetworkLayer_AddBroadcastable": "add", "*pb.NeuralNetworkLayer_MultiplyBroadcastable": "mul",
			"*pb.NeuralNetworkLayer_SubtractBroadcastable": "sub", "*pb.NeuralNetworkLayer_DivideBroadcastable": "real_div"}[fmt.Sprintf("%T", p)]
		if ad := layer.GetAdd(); ad != nil && ad.Alpha != 0 {
			return fmt.Errorf("add with alpha: %w", errUnsupported)
		}
		if mu := layer.GetMultiply(); mu != nil && mu.Alpha != 0 && mu.Alpha != 1 {
			return fmt.Errorf("multiply with alpha: %w", errUnsupported)
		}
		s, err := ir.BroadcastShape(in[0].shape, in[1].shape)
		if err != nil {
			return err
		}
		def(typ, []arg{a("x", in[0]), a("y", in[1])}, s)
	case *pb.NeuralNetworkLayer_Pooling:
		c := p.Pooling
		if err := need(1); err != nil {
			return err
		}
		x := in[0]
		if len(x.shape) != 4 {
			return fmt.Errorf("pooling of a rank-%d tensor: %w", len(x.shape), errUnsupported)
		}
		typ := map[pb.PoolingLayerParams_PoolingType]string{pb.PoolingLayerParams_MAX: "max_pool", pb.PoolingLayerParams_AVERAGE: "avg_pool"}[c.Type]
		if typ == "" {
			return fmt.Errorf("pooling type %s: %w", c.Type, errUnsupported)
		}
		if c.GlobalPooling {
			red := map[string]string{"max_pool": "reduce_max", "avg_pool": "reduce_mean"}[typ]
			def(red, []arg{a("x", x), a("axes", l.cInts(base+"_axes", 2, 3)), a("keep_dims", l.cBool(base+"_keep", true))}, []int64{x.shape[0], x.shape[1], 1, 1})
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
		args := []arg{a("x", x), a("kernel_sizes", l.cInts(base+"_kernel_sizes", g.k[0], g.k[1]))}
		args = append(args, l.geomArgs(base, g)...)
		if typ == "avg_pool" {
			args = append(args, a("exclude_padding_from_average", l.cBool(base+"_exclude_pad", c.AvgPoolExcludePadding)))
		}
		args = append(args, a("ceil_mode", l.cBool(base+"_ceil_mode", false)))
		def(typ, args, []int64{x.shape[0], x.shape[1], o[0], o[1]})
	case *pb.NeuralNetworkLayer_ReduceMean:
		if err := need(1); err != nil {
			return err
		}
		c := p.ReduceMean
		if c.ReduceAll {
			return fmt.Errorf("reduceAll: %w", errUnsupported)
		}
		norm, s, err := reduceShape(in[0].shape, c.Axes, c.KeepDims)
		if err != nil {
			return err
		}
		def("reduce_mean", []arg{a("x", in[0]), a("axes", l.cInts(base+"_axes", norm...)), a("keep_dims", l.cBool(base+"_keep", c.KeepDims))}, s)
	case *pb.NeuralNetworkLayer_Softmax:
		if len(in) == 1 && len(in[0].shape) < 3 {
			return errors.New("softmax layer on rank < 3")
		}
		return unaryAct("softmax", a("axis", l.cInt(base+"_axis", int64(len(in[0].shape)-3))))
	case *pb.NeuralNetworkLayer_SoftmaxND:
		if len(in) != 1 {
			return need(1)
		}
		ax, err := normAxis(p.SoftmaxND.Axis, len(in[0].shape))
		if err != nil {
			return err
		}
		return unaryAct("softmax", a("axis", l.cInt(base+"_axis", ax)))
	case *pb.NeuralNetworkLayer_ConcatND:
		if len(in) == 0 || len(layer.Output) != 1 {
			return errors.New("want inputs and one output")
		}
		ax, err := normAxis(p.ConcatND.Axis, len(in[0].shape))
		if err != nil {
			return err
		}
		s := append([]int64(nil), in[0].shape...)
		s[ax] = 0
		for _, x := range in {
			if len(x.shape) != len(s) {
				return errors.New("inputs of different rank")
			}
			s[ax] += x.shape[ax]
		}
		def("concat", []arg{a("values", in...), a("axis", l.cInt(base+"_axis", ax)), a("interleave", l.cBool(base+"_interleave", p.ConcatND.Interleave))}, s)
	case *pb.NeuralNetworkLayer_SplitND:
		if len(in) != 1 || len(layer.Output) == 0 {
			return errors.New("want one input and outputs")
		}
		x := in[0]
		ax, err := normAxis(p.SplitND.Axis, len(x.shape))
		if err != nil {
			return err
		}
		sizes := i64s(p.SplitND.SplitSizes)
		if len(sizes) != len(layer.Output) {
			return fmt.Errorf("%d split sizes for %d outputs", len(sizes), len(layer.Output))
		}
		total := int64(0)
		for _, s := range sizes {
			total += s
		}
		if total != x.shape[ax] {
			return fmt.Errorf("split sizes %v do not sum to %d", sizes, x.shape[ax])
		}
		o := &mop{typ: "split", in: []arg{a("x", x), a("split_sizes", l.cInts(base+"_sizes", sizes...)), a("axis", l.cInt(base+"_axis", ax))}}
		for i := range layer.Output {
			s := append([]int64(nil), x.shape...)
			s[ax] = sizes[i]
			mv := &mvar{name: outName(i), dt: pb.DataType_FLOAT32, shape: s}
			o.out = append(o.out, mv)
			vars[layer.Output[i]] = mv
		}
		o.name = o.out[0].name
		l.ops = append(l.ops, o)
	case *pb.NeuralNetworkLayer_ReshapeStatic:
		if err := need(1); err != nil {
			return err
		}
		s, err := ir.ReshapeTarget(in[0].shape, p.ReshapeStatic.TargetShape, false)
		if err != nil {
			return err
		}
		if numel(s) != numel(in[0].shape) {
			return fmt.Errorf("cannot reshape %v to %v", in[0].shape, s)
		}
		def("reshape", []arg{a("x", in[0]), a("shape", l.cInts(base+"_shape", s...))}, s)
	case *pb.NeuralNetworkLayer_Transpose:
		if err := need(1); err != nil {
			return err
		}
		perm := i64s(p.Transpose.Axes)
		if len(perm) != len(in[0].shape) {
			return fmt.Errorf("perm %v for rank %d", perm, len(in[0].shape))
		}
		s := make([]int64, len(perm))
		seen := map[int64]bool{}
		for i, q := range perm {
			if q < 0 || q >= int64(len(perm)) || seen[q] {
				return fmt.Errorf("perm %v is not a permutation", perm)
			}
			seen[q] = true
			s[i] = in[0].shape[q]
		}
		def("transpose", []arg{a("x", in[0]), a("perm", l.cInts(base+"_perm", perm...))}, s)
	case *pb.NeuralNetworkLayer_SliceStatic:
		if err := need(1); err != nil {
			return err
		}
		c := p.SliceStatic
		x := in[0]
		r := len(x.shape)
		if len(c.BeginIds) != r || len(c.EndIds) != r || len(c.Strides) != r {
			return fmt.Errorf("slice of rank %d with %d/%d/%d bounds", r, len(c.BeginIds), len(c.EndIds), len(c.Strides))
		}
		for _, m := range [][]bool{c.BeginMasks, c.EndMasks, c.SqueezeMasks} {
			for _, b := range m {
				if b {
					return fmt.Errorf("slice masks: %w", errUnsupported)
				}
			}
		}
		s := make([]int64, r)
		for i := range s {
			b, e, st := c.BeginIds[i], c.EndIds[i], c.Strides[i]
			if st <= 0 || b < 0 || e > x.shape[i] || e <= b {
				return fmt.Errorf("slice bounds [%d:%d:%d] on axis %d of size %d: %w", b, e, st, i, x.shape[i], errUnsupported)
			}
			s[i] = (e - b + st - 1) / st
		}
		def("slice_by_index", []arg{a("x", x), a("begin", l.cInts(base+"_begin", c.BeginIds...)), a("end", l.cInts(base+"_end", c.EndIds...)),
			a("stride", l.cInts(base+"_stride", c.Strides...))}, s)
	case *pb.NeuralNetworkLayer_Batchnorm:
		if err := need(1); err != nil {
			return err
		}
		c := p.Batchnorm
		x := in[0]
		if len(x.shape) != 4 || int64(c.Channels) != x.shape[1] || c.ComputeMeanVar || c.InstanceNormalization {
			return fmt.Errorf("batchnorm of %v with %d channels: %w", x.shape, c.Channels, errUnsupported)
		}
		ps := map[string]*pb.WeightParams{"gamma": c.Gamma, "beta": c.Beta, "mean": c.Mean, "variance": c.Variance}
		args := []arg{a("x", x)}
		for _, k := range []string{"mean", "variance", "gamma", "beta"} {
			f, err := weightFloats(ps[k], int64(c.Channels))
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			args = append(args, a(k, l.constOp(base+"_"+k, pb.DataType_FLOAT32, []int64{int64(c.Channels)}, &constVal{f: f})))
		}
		def("batch_norm", append(args, a("epsilon", l.cFloat(base+"_eps", c.Epsilon))), x.shape)
	default:
		return fmt.Errorf("layer type %T is not read back by mconv: %w", layer.Layer, errUnsupported)
	}
	return nil
}
