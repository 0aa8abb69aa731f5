package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
)

// Reading the NeuralNetwork resampling layers (upsample, resizeBilinear)
// into the MIL ops nn_resize.go writes them from.

// layerUpsample reads upsample: NN mode as upsample_nearest_neighbor
// (integer factors), BILINEAR with ALIGN_CORNERS_TRUE or _FALSE as
// upsample_bilinear. The output size is floor(in * factor).
func layerUpsample(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	p := r.layer.GetUpsample()
	x := r.in[0]
	n := len(x.shape)
	if n < 3 {
		return fmt.Errorf("upsample of a rank-%d input", n)
	}
	var f [2]float64
	var sh, sw *mvar
	switch {
	case len(p.ScalingFactor) == 2 && len(p.FractionalScalingFactor) == 0:
		for j := range 2 {
			if p.ScalingFactor[j] == 0 || p.ScalingFactor[j] > math.MaxInt32 {
				return fmt.Errorf("scaling factor %v", p.ScalingFactor)
			}
			f[j] = float64(p.ScalingFactor[j])
		}
		sh, sw = r.l.cInt(r.base+"_scale_h", int64(f[0])), r.l.cInt(r.base+"_scale_w", int64(f[1]))
	case len(p.FractionalScalingFactor) == 2 && len(p.ScalingFactor) == 0 && p.Mode == pb.UpsampleLayerParams_BILINEAR:
		for j := range 2 {
			f[j] = float64(p.FractionalScalingFactor[j])
			if !(f[j] > 0) || math.IsInf(f[j], 0) {
				return fmt.Errorf("fractional scaling factor %v", p.FractionalScalingFactor)
			}
		}
		sh = r.l.constOp(r.base+"_scale_h", pb.DataType_FLOAT32, nil, &constVal{f: []float32{float32(f[0])}})
		sw = r.l.constOp(r.base+"_scale_w", pb.DataType_FLOAT32, nil, &constVal{f: []float32{float32(f[1])}})
	default:
		return fmt.Errorf("upsample with scalingFactor %v and fractionalScalingFactor %v: %w", p.ScalingFactor, p.FractionalScalingFactor, errUnsupported)
	}
	out := append([]int64(nil), x.shape...)
	for j := range 2 {
		out[n-2+j] = int64(math.Floor(float64(x.shape[n-2+j]) * f[j]))
		if out[n-2+j] <= 0 {
			return fmt.Errorf("upsample to an empty output %v", out)
		}
	}
	args := []arg{a("x", x), a("scale_factor_height", sh), a("scale_factor_width", sw)}
	switch {
	case p.Mode == pb.UpsampleLayerParams_NN:
		r.def("upsample_nearest_neighbor", args, out)
	case p.LinearUpsampleMode == pb.UpsampleLayerParams_ALIGN_CORNERS_TRUE || p.LinearUpsampleMode == pb.UpsampleLayerParams_ALIGN_CORNERS_FALSE:
		ac := p.LinearUpsampleMode == pb.UpsampleLayerParams_ALIGN_CORNERS_TRUE
		r.def("upsample_bilinear", append(args, a("align_corners", r.l.cBool(r.base+"_align_corners", ac))), out)
	default:
		return fmt.Errorf("bilinear upsample mode %s: %w", p.LinearUpsampleMode, errUnsupported)
	}
	return nil
}

// layerResizeBilinear reads resizeBilinear as resize_bilinear with the
// sampling mode of its method.
func layerResizeBilinear(r *layerReader) error {
	if err := r.need(1); err != nil {
		return err
	}
	p := r.layer.GetResizeBilinear()
	x := r.in[0]
	n := len(x.shape)
	if n < 3 || len(p.TargetSize) != 2 {
		return fmt.Errorf("resizeBilinear of a rank-%d input to %v", n, p.TargetSize)
	}
	var sm string
	for k, v := range resizeSamplingMethods {
		if v == p.GetMode().GetSamplingMethod() {
			sm = k
		}
	}
	out := append([]int64(nil), x.shape...)
	for j := range 2 {
		if p.TargetSize[j] == 0 || p.TargetSize[j] > math.MaxInt32 {
			return fmt.Errorf("target size %v", p.TargetSize)
		}
		out[n-2+j] = int64(p.TargetSize[j])
	}
	r.def("resize_bilinear", []arg{a("x", x), a("target_size_height", r.l.cInt(r.base+"_h", out[n-2])),
		a("target_size_width", r.l.cInt(r.base+"_w", out[n-1])), a("sampling_mode", r.l.cStr(r.base+"_sampling_mode", sm))}, out)
	return nil
}
