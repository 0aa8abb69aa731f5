package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
)

// NeuralNetwork layers of the MIL resampling ops lower_resize.go emits
// (coremltools' MIL-to-NeuralNetwork mapping does the same).

// scaleFactor reads an upsample scale factor parameter: an int32 or a
// float32 scalar constant.
func scaleFactor(o *mop, p string) (float64, error) {
	x := o.input(p)
	switch {
	case x == nil || x.konst == nil:
		return 0, fmt.Errorf("parameter %s must be a scalar constant", p)
	case len(x.konst.i) == 1:
		return float64(x.konst.i[0]), nil
	case len(x.konst.f) == 1:
		return float64(x.konst.f[0]), nil
	}
	return 0, fmt.Errorf("parameter %s must be a scalar constant", p)
}

// upsampleFactors reads the two scale factors of an upsample op as
// integers (ok false when either is fractional) and as floats.
func upsampleFactors(o *mop) (ints []uint64, fs []float32, ok bool, err error) {
	ok = true
	for _, p := range []string{"scale_factor_height", "scale_factor_width"} {
		f, err := scaleFactor(o, p)
		if err != nil {
			return nil, nil, false, err
		}
		if !(f > 0) {
			return nil, nil, false, fmt.Errorf("%s %v must be positive", p, f)
		}
		if f != math.Trunc(f) {
			ok = false
		}
		ints = append(ints, uint64(f))
		fs = append(fs, float32(f))
	}
	return ints, fs, ok, nil
}

// nnUpsampleNearest writes upsample_nearest_neighbor (integer factors) as
// an upsample layer in NN mode.
func nnUpsampleNearest(w *nnWriter, o *mop) error {
	k, _, ok, err := upsampleFactors(o)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("nearest upsampling by a fractional factor: %w", errUnsupported)
	}
	w.add(o.name, w.xin(o), outNames(o), &pb.UpsampleLayerParams{ScalingFactor: k, Mode: pb.UpsampleLayerParams_NN})
	return nil
}

// nnUpsampleBilinear writes upsample_bilinear as a bilinear upsample
// layer, ALIGN_CORNERS_TRUE or ALIGN_CORNERS_FALSE as align_corners says,
// with fractional factors where they are not integers. Core ML reads
// linearUpsampleMode and fractionalScalingFactor from specification
// version 5 (iOS 14) on; before, the layer samples as DEFAULT
// (coremltools' builder raises the version the same way), so the model
// is written as version 5.
func nnUpsampleBilinear(w *nnWriter, o *mop) error {
	k, f, ok, err := upsampleFactors(o)
	if err != nil {
		return err
	}
	p := &pb.UpsampleLayerParams{Mode: pb.UpsampleLayerParams_BILINEAR, LinearUpsampleMode: pb.UpsampleLayerParams_ALIGN_CORNERS_FALSE}
	if constBool(o, "align_corners") {
		p.LinearUpsampleMode = pb.UpsampleLayerParams_ALIGN_CORNERS_TRUE
	}
	w.needSpec(nnSpecIOS14)
	if ok {
		p.ScalingFactor = k
	} else {
		p.FractionalScalingFactor = f
	}
	w.add(o.name, w.xin(o), outNames(o), p)
	return nil
}

// nnSpecIOS14 is the specification version of iOS 14 (Core ML 4).
const nnSpecIOS14 = 5

// resizeSamplingMethods maps resize_bilinear's sampling modes to the
// resizeBilinear layer's (coremltools' mapping; UNALIGN_CORNERS has none).
var resizeSamplingMethods = map[string]pb.SamplingMode_Method{
	"STRICT_ALIGN_CORNERS": pb.SamplingMode_STRICT_ALIGN_ENDPOINTS_MODE,
	"ALIGN_CORNERS":        pb.SamplingMode_ALIGN_ENDPOINTS_MODE,
	"DEFAULT":              pb.SamplingMode_UPSAMPLE_MODE,
	"OFFSET_CORNERS":       pb.SamplingMode_ROI_ALIGN_MODE,
}

// nnResizeBilinear writes resize_bilinear as a resizeBilinear layer.
func nnResizeBilinear(w *nnWriter, o *mop) error {
	sm := constStr(o, "sampling_mode")
	m, ok := resizeSamplingMethods[sm]
	if !ok {
		return fmt.Errorf("resize_bilinear sampling mode %q: %w", sm, errUnsupported)
	}
	y := o.out[0]
	r := len(y.shape)
	w.add(o.name, w.xin(o), outNames(o), &pb.ResizeBilinearLayerParams{TargetSize: u64s(y.shape[r-2], y.shape[r-1]),
		Mode: &pb.SamplingMode{SamplingMethod: m}})
	return nil
}
