package coreml

import (
	"fmt"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// NeuralNetwork layers (specification version 4) of MIL's layer_norm,
// instance_norm and pad, and their reading back.

// nnLayerNorm writes layer_norm over trailing axes as a layerNormalization
// layer (gamma and beta of the normalized shape; ones and zeros when
// absent). NeuralNetwork.proto lists the layer (field 1350) among those of
// specification version 4 (iOS 13), before the version-5 ones, so the
// writer's version can express it.
func nnLayerNorm(w *nnWriter, o *mop) error {
	x := o.input("x")
	axes, err := constInts(o, "axes")
	if err != nil {
		return err
	}
	r := len(x.shape)
	for i, ax := range axes {
		if ax != int64(r-len(axes)+i) {
			return fmt.Errorf("layer_norm over axes %v of a rank-%d tensor: the layer normalizes trailing axes only: %w", axes, r, errUnsupported)
		}
	}
	eps, err := constFloat(o, "epsilon")
	if err != nil {
		return err
	}
	norm := x.shape[r-len(axes):]
	k := numel(norm)
	w.add(o.name, w.xin(o), outNames(o), &pb.LayerNormalizationLayerParams{NormalizedShape: norm, Eps: eps,
		Gamma: w.weights(paramOr(o, "gamma", k, 1)), Beta: w.weights(paramOr(o, "beta", k, 0))})
	return nil
}

// paramOr returns the values of o's constant parameter p, or k copies of
// def when o has none.
func paramOr(o *mop, p string, k int64, def float32) []float32 {
	if x := o.input(p); x != nil && x.konst != nil {
		return x.konst.f
	}
	f := make([]float32, k)
	for i := range f {
		f[i] = def
	}
	return f
}

// nnInstanceNorm writes instance_norm as a batchnorm layer computing
// per-instance statistics (instanceNormalization, computeMeanVar), which
// normalizes the last two axes of [N, C, H, W]: a rank-3 input [N, C, L]
// is reshaped to [N, C, 1, L] and back around it, as coremltools does.
func nnInstanceNorm(w *nnWriter, o *mop) error {
	x := o.input("x")
	eps, err := constFloat(o, "epsilon")
	if err != nil {
		return err
	}
	if len(x.shape) != 3 && len(x.shape) != 4 {
		return fmt.Errorf("instance_norm of a rank-%d tensor: %w", len(x.shape), errUnsupported)
	}
	c := x.shape[1]
	in, out := w.xin(o), outNames(o)
	if len(x.shape) == 3 {
		r := o.name + "__in4"
		w.add(r, in, []string{r}, &pb.ReshapeStaticLayerParams{TargetShape: []int64{x.shape[0], c, 1, x.shape[2]}})
		in, out = []string{r}, []string{o.name + "__in_out"}
	}
	w.add(o.name, in, out, &pb.BatchnormLayerParams{Channels: uint64(c), Epsilon: eps, ComputeMeanVar: true, InstanceNormalization: true,
		Gamma: w.weights(paramOr(o, "gamma", c, 1)), Beta: w.weights(paramOr(o, "beta", c, 0))})
	if len(x.shape) == 3 {
		w.add(o.name+"__in_reshape", out, outNames(o), &pb.ReshapeStaticLayerParams{TargetShape: x.shape})
	}
	return nil
}

// nnPad writes pad with constant amounts as a padding layer when only the
// last two axes are padded (any mode), else in constant mode as a
// constantPad layer over every axis. Reflect and replicate padding of
// other axes has no layer.
func nnPad(w *nnWriter, o *mop) error {
	x := o.input("x")
	pad, err := constInts(o, "pad")
	if err != nil {
		return err
	}
	r := len(x.shape)
	if len(pad)%2 != 0 || len(pad) > 2*r {
		return fmt.Errorf("pad %v for rank %d", pad, r)
	}
	full := append(make([]int64, 2*r-len(pad)), pad...)
	mode := constStr(o, "mode")
	var cval float32
	if o.input("constant_val") != nil {
		if cval, err = constFloat(o, "constant_val"); err != nil {
			return err
		}
	}
	lead := true
	for _, p := range full[:max(0, 2*r-4)] {
		lead = lead && p == 0
	}
	if r >= 2 && lead {
		p := &pb.PaddingLayerParams{PaddingAmounts: &pb.BorderAmounts{BorderAmounts: []*pb.BorderAmounts_EdgeSizes{
			{StartEdgeSize: uint64(full[2*r-4]), EndEdgeSize: uint64(full[2*r-3])},
			{StartEdgeSize: uint64(full[2*r-2]), EndEdgeSize: uint64(full[2*r-1])}}}}
		switch mode {
		case "constant", "":
			p.PaddingType = &pb.PaddingLayerParams_Constant{Constant: &pb.PaddingLayerParams_PaddingConstant{Value: cval}}
		case "reflect":
			p.PaddingType = &pb.PaddingLayerParams_Reflection{Reflection: &pb.PaddingLayerParams_PaddingReflection{}}
		case "replicate":
			p.PaddingType = &pb.PaddingLayerParams_Replication{Replication: &pb.PaddingLayerParams_PaddingReplication{}}
		default:
			return fmt.Errorf("pad mode %q: %w", mode, errUnsupported)
		}
		w.add(o.name, w.xin(o), outNames(o), p)
		return nil
	}
	if mode != "constant" && mode != "" {
		return fmt.Errorf("pad mode %q on axes before the last two: %w", mode, errUnsupported)
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.ConstantPaddingLayerParams{Value: cval, PadAmounts: u64s(full...)})
	return nil
}

// layerLayerNorm reads layerNormalization over the trailing axes
// normalizedShape as layer_norm with gamma and beta of that shape.
func layerLayerNorm(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	c := r.layer.GetLayerNormalization()
	x := r.in[0]
	k := len(c.NormalizedShape)
	if k == 0 || k > len(x.shape) || fmtShape(x.shape[len(x.shape)-k:]) != fmtShape(c.NormalizedShape) {
		return fmt.Errorf("normalized shape %v is not the tail of input %v", c.NormalizedShape, x.shape)
	}
	axes := make([]int64, k)
	for i := range axes {
		axes[i] = int64(len(x.shape) - k + i)
	}
	g, err := r.weightConst("_gamma", c.Gamma, c.NormalizedShape...)
	if err != nil {
		return fmt.Errorf("gamma: %w", err)
	}
	b, err := r.weightConst("_beta", c.Beta, c.NormalizedShape...)
	if err != nil {
		return fmt.Errorf("beta: %w", err)
	}
	r.def("layer_norm", []arg{a("x", x), a("axes", r.l.cInts(r.base+"_axes", axes...)), a("gamma", g), a("beta", b),
		a("epsilon", r.l.cFloat(r.base+"_eps", c.Eps))}, x.shape)
	return nil
}

// layerInstanceNorm reads a batchnorm layer with instanceNormalization
// and computeMeanVar (rank-4 input) as instance_norm.
func layerInstanceNorm(r *layerReader) error {
	c := r.layer.GetBatchnorm()
	x := r.in[0]
	if len(x.shape) != 4 || int64(c.Channels) != x.shape[1] {
		return fmt.Errorf("instance normalization of %v with %d channels: %w", x.shape, c.Channels, errUnsupported)
	}
	g, err := r.weightConst("_gamma", c.Gamma, x.shape[1])
	if err != nil {
		return fmt.Errorf("gamma: %w", err)
	}
	b, err := r.weightConst("_beta", c.Beta, x.shape[1])
	if err != nil {
		return fmt.Errorf("beta: %w", err)
	}
	r.def("instance_norm", []arg{a("x", x), a("gamma", g), a("beta", b), a("epsilon", r.l.cFloat(r.base+"_eps", c.Epsilon))}, x.shape)
	return nil
}

// layerPadding reads padding (the last two axes) as pad.
func layerPadding(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	c := r.layer.GetPadding()
	x := r.in[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("padding of a rank-%d tensor", len(x.shape))
	}
	ba := c.GetPaddingAmounts().GetBorderAmounts()
	if len(ba) != 2 {
		return fmt.Errorf("%d border amounts, want 2", len(ba))
	}
	pad := []int64{int64(ba[0].StartEdgeSize), int64(ba[0].EndEdgeSize), int64(ba[1].StartEdgeSize), int64(ba[1].EndEdgeSize)}
	args := []arg{a("x", x), a("pad", r.l.cInts(r.base+"_pad", pad...))}
	switch t := c.PaddingType.(type) {
	case *pb.PaddingLayerParams_Constant:
		args = append(args, a("mode", r.l.cStr(r.base+"_mode", "constant")), a("constant_val", r.l.cFloat(r.base+"_value", t.Constant.Value)))
	case *pb.PaddingLayerParams_Reflection:
		args = append(args, a("mode", r.l.cStr(r.base+"_mode", "reflect")))
	case *pb.PaddingLayerParams_Replication:
		args = append(args, a("mode", r.l.cStr(r.base+"_mode", "replicate")))
	default:
		return fmt.Errorf("padding type %T: %w", t, errUnsupported)
	}
	s, err := paddedShape(x.shape, pad)
	if err != nil {
		return err
	}
	r.def("pad", args, s)
	return nil
}

// layerConstantPad reads constantPad with an amount pair per axis as pad
// in constant mode.
func layerConstantPad(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	c := r.layer.GetConstantPad()
	x := r.in[0]
	if c.PadToGivenOutputSizeMode || len(c.PadAmounts) != 2*len(x.shape) {
		return fmt.Errorf("constant padding %v of a rank-%d tensor (output size mode %v): %w", c.PadAmounts, len(x.shape), c.PadToGivenOutputSizeMode, errUnsupported)
	}
	pad := i64s(c.PadAmounts)
	s, err := paddedShape(x.shape, pad)
	if err != nil {
		return err
	}
	r.def("pad", []arg{a("x", x), a("pad", r.l.cInts(r.base+"_pad", pad...)), a("mode", r.l.cStr(r.base+"_mode", "constant")),
		a("constant_val", r.l.cFloat(r.base+"_value", c.Value))}, s)
	return nil
}

// paddedShape is shape with MIL pad amounts (before, after pairs for the
// last len(pad)/2 axes) added.
func paddedShape(shape, pad []int64) ([]int64, error) {
	k := len(pad) / 2
	if len(pad)%2 != 0 || k > len(shape) {
		return nil, fmt.Errorf("pad %v for shape %v", pad, shape)
	}
	s := append([]int64(nil), shape...)
	for i := 0; i < k; i++ {
		ax := len(shape) - k + i
		if pad[2*i] < 0 || pad[2*i+1] < 0 || pad[2*i] > ir.MaxElements || pad[2*i+1] > ir.MaxElements {
			return nil, fmt.Errorf("pad %v out of range", pad)
		}
		s[ax] += pad[2*i] + pad[2*i+1]
	}
	if ir.NumElements(s) < 0 {
		return nil, fmt.Errorf("padded shape %v too large", s)
	}
	return s, nil
}
