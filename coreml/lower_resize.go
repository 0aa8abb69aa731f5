package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// Lowering of resampling to MIL: Resize (opset 10+) and Upsample, modes
// nearest and linear over the last two axes. Every MIL op used here exists
// from iOS15 (CoreML5), so no Resize needs a later target.
//
// ONNX and MIL describe resampling differently (ONNX: a coordinate
// transformation mode, a scale and a nearest rounding mode; MIL: a handful
// of ops with fixed sampling grids), so the lowering computes, per resized
// axis, the source coordinate of every output index as ONNX defines it and
// picks the first MIL op whose documented grid (coremltools
// mil/ops/defs/iOS15/image_resizing.py) gives the same coordinates:
//
//	nearest: upsample_nearest_neighbor by integer factors, else
//	         resize_nearest_neighbor: source index floor(i * in / out)
//	linear:  upsample_bilinear, align_corners=false: (i+0.5)*in/out - 0.5
//	         resize_bilinear STRICT_ALIGN_CORNERS: i*(in-1)/(out-1)
//	         resize_bilinear DEFAULT: i*in/out
//
// (linear coordinates clamped to [0, in-1] on both sides, as ONNX Runtime
// and Core ML do). A Resize no MIL op reproduces is refused with the
// reason.

// resizeGrid is one MIL sampling grid: the source coordinate of output
// index i on an axis resized from in to out (NaN where undefined).
type resizeGrid func(i, in, out int64) float64

// milResizeGrids are the grids of the linear MIL resampling ops, in order
// of preference: the op, its sampling mode (resize_bilinear) or
// align_corners (upsample_bilinear), and the grid.
var milResizeGrids = []struct {
	op, mode string
	grid     resizeGrid
}{
	{"upsample_bilinear", "", func(i, in, out int64) float64 {
		return (float64(i)+0.5)*float64(in)/float64(out) - 0.5
	}},
	{"resize_bilinear", "STRICT_ALIGN_CORNERS", func(i, in, out int64) float64 {
		if out == 1 {
			return math.NaN()
		}
		return float64(i) * float64(in-1) / float64(out-1)
	}},
	{"resize_bilinear", "DEFAULT", func(i, in, out int64) float64 { return float64(i) * float64(in) / float64(out) }},
}

// onnxResizeCoord is ONNX Resize's source coordinate of output index i on
// an axis resized from in to out with scale s (the scales input, or
// out/in when sizes are given).
func onnxResizeCoord(ctm string, i, in, out int64, s float64) (float64, error) {
	x := float64(i)
	switch ctm {
	case "half_pixel":
		return (x+0.5)/s - 0.5, nil
	case "pytorch_half_pixel":
		if out <= 1 {
			return 0, nil
		}
		return (x+0.5)/s - 0.5, nil
	case "align_corners":
		if out <= 1 {
			return 0, nil
		}
		return x * float64(in-1) / float64(out-1), nil
	case "asymmetric":
		return x / s, nil
	}
	return 0, fmt.Errorf("coordinate_transformation_mode %q: %w", ctm, errUnsupported)
}

// onnxNearest is ONNX Resize's nearest_mode rounding of coordinate x
// ("simple": Upsample and Resize-10, floor when upsampling).
func onnxNearest(mode string, x float64, s float64) (int64, error) {
	switch mode {
	case "round_prefer_floor":
		if x == math.Floor(x)+0.5 {
			return int64(math.Floor(x)), nil
		}
		return int64(math.Round(x)), nil
	case "round_prefer_ceil":
		return int64(math.Floor(x + 0.5)), nil
	case "floor":
		return int64(math.Floor(x)), nil
	case "ceil":
		return int64(math.Ceil(x)), nil
	case "simple":
		if s < 1 {
			return int64(math.Ceil(x)), nil
		}
		return int64(math.Floor(x)), nil
	}
	return 0, fmt.Errorf("nearest_mode %q: %w", mode, errUnsupported)
}

// resizeAxis is one resized axis: input and output sizes and ONNX's scale.
type resizeAxis struct {
	in, out int64
	scale   float64
}

// resizeParams reads a Resize or Upsample node's sampling: mode ("nearest"
// or "linear"), coordinate transformation and nearest rounding, and the
// output size and scale of every axis of x's shape.
func (l *lowerer) resizeParams(n *ir.Node, shape []int64) (mode, ctm, nm string, axes []resizeAxis, err error) {
	mode = n.AttrString("mode", "nearest")
	if mode == "bilinear" {
		mode = "linear"
	}
	ctm = n.AttrString("coordinate_transformation_mode", "half_pixel")
	nm = n.AttrString("nearest_mode", "round_prefer_floor")
	if n.OpType == "Upsample" || l.opset < 11 {
		ctm, nm = "asymmetric", "simple"
	}
	if mode != "nearest" && mode != "linear" {
		return "", "", "", nil, fmt.Errorf("mode %q: only nearest and linear: %w", mode, errUnsupported)
	}
	if n.AttrInt("antialias", 0) != 0 {
		return "", "", "", nil, fmt.Errorf("antialias=1: %w", errUnsupported)
	}
	if p := n.AttrString("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
		return "", "", "", nil, fmt.Errorf("keep_aspect_ratio_policy %q: %w", p, errUnsupported)
	}
	r := len(shape)
	which := make([]int, 0, r) // the axes the scales or sizes name
	if ax := n.AttrInts("axes", nil); ax != nil {
		for _, a := range ax {
			k, err := ir.NormAxis(a, r)
			if err != nil {
				return "", "", "", nil, err
			}
			which = append(which, k)
		}
	} else {
		for k := range r {
			which = append(which, k)
		}
	}
	var scales []float64
	var sizes []int64
	switch {
	case n.OpType == "Upsample" && n.Attr("scales") != nil:
		for _, f := range n.AttrFloats("scales", nil) {
			scales = append(scales, float64(f))
		}
	case n.OpType == "Upsample" || l.opset < 11:
		if scales, err = l.resizeFloats(n, 1, "scales"); err != nil {
			return "", "", "", nil, err
		}
	default:
		if n.Input(2) != nil {
			if scales, err = l.resizeFloats(n, 2, "scales"); err != nil {
				return "", "", "", nil, err
			}
		}
		if len(scales) == 0 && n.Input(3) != nil {
			if sizes, err = l.intsOf(n, 3, "sizes"); err != nil {
				return "", "", "", nil, err
			}
		}
	}
	axes = make([]resizeAxis, r)
	for k, d := range shape {
		axes[k] = resizeAxis{in: d, out: d, scale: 1}
	}
	switch {
	case len(scales) > 0:
		if len(scales) != len(which) {
			return "", "", "", nil, fmt.Errorf("scales %v for %d axes", scales, len(which))
		}
		for i, k := range which {
			s := scales[i]
			if !(s > 0) || math.IsInf(s, 0) {
				return "", "", "", nil, fmt.Errorf("scales %v must be positive", scales)
			}
			// ONNX computes the output size in float32 (as ir's shape
			// inference does): floor(float(in) * scale).
			axes[k].out = int64(math.Floor(float64(float32(shape[k]) * float32(s))))
			axes[k].scale = s
		}
	case len(sizes) > 0:
		if len(sizes) != len(which) {
			return "", "", "", nil, fmt.Errorf("sizes %v for %d axes", sizes, len(which))
		}
		for i, k := range which {
			axes[k].out = sizes[i]
			axes[k].scale = float64(sizes[i]) / float64(shape[k])
		}
	default:
		return "", "", "", nil, fmt.Errorf("neither scales nor sizes given")
	}
	for k, ax := range axes {
		if ax.out <= 0 {
			return "", "", "", nil, fmt.Errorf("output size %d on axis %d: %w", ax.out, k, errUnsupported)
		}
		if k < r-2 && (ax.out != ax.in) {
			return "", "", "", nil, fmt.Errorf("resizes axis %d of %d: Core ML resamples only the last two axes: %w", k, r, errUnsupported)
		}
	}
	return mode, ctm, nm, axes, nil
}

// resizeFloats reads a float constant input of Resize (scales); an empty
// tensor reads as none.
func (l *lowerer) resizeFloats(n *ir.Node, i int, what string) ([]float64, error) {
	t := l.constOf(n, i)
	if t == nil {
		return nil, fmt.Errorf("%s (input %d) must be a constant: %w", what, i, errUnsupported)
	}
	return t.Float64s()
}

// lowerResize lowers Resize and Upsample (see the comment at the top of
// this file).
func lowerResize(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	r := len(x.shape)
	if r < 3 {
		return fmt.Errorf("input of rank %d: Core ML resamples inputs of rank 3 or more: %w", r, errUnsupported)
	}
	mode, ctm, nm, axes, err := l.resizeParams(n, x.shape)
	if err != nil {
		return err
	}
	hw := axes[r-2:]
	out := append([]int64(nil), x.shape...)
	out[r-2], out[r-1] = hw[0].out, hw[1].out
	// Checked before the per-pixel grid comparisons below.
	if err := l.fitsBudget(n.Outputs[0].Name, out, x.dt); err != nil {
		return err
	}
	for _, ax := range hw {
		if ax.out > math.MaxInt32 || ax.in > math.MaxInt32 {
			return fmt.Errorf("resize from %d to %d: sizes outside the int32 range of Core ML's sizes: %w", ax.in, ax.out, errUnsupported)
		}
	}
	base := n.Outputs[0].Name
	if mode == "nearest" {
		var k [2]int64
		integral := true
		for j, ax := range hw {
			k[j] = ax.out / ax.in
			integral = integral && ax.out%ax.in == 0
			for i := range ax.out {
				c, err := onnxResizeCoord(ctm, i, ax.in, ax.out, ax.scale)
				if err != nil {
					return err
				}
				src, err := onnxNearest(nm, c, ax.scale)
				if err != nil {
					return err
				}
				src = min(max(src, 0), ax.in-1)
				if g := nearestSource(i, ax.in, ax.out); src != g {
					return fmt.Errorf("nearest resize (%s, %s) from %d to %d picks input %d for output %d, Core ML's nearest resampling picks %d: %w",
						ctm, nm, ax.in, ax.out, src, i, g, errUnsupported)
				}
			}
		}
		if !integral {
			l.def(n.Outputs[0], "resize_nearest_neighbor", []arg{a("x", x), a("target_size_height", l.cInt(base+"_h", hw[0].out)),
				a("target_size_width", l.cInt(base+"_w", hw[1].out))}, x.dt, out)
			return nil
		}
		l.def(n.Outputs[0], "upsample_nearest_neighbor", []arg{a("x", x),
			a("scale_factor_height", l.cInt(base+"_scale_h", k[0])), a("scale_factor_width", l.cInt(base+"_scale_w", k[1]))}, x.dt, out)
		return nil
	}
	for _, g := range milResizeGrids {
		if !gridMatches(g.grid, ctm, hw) {
			continue
		}
		if g.op == "upsample_bilinear" {
			sh, err := l.upsampleScale(base+"_scale_h", hw[0])
			if err != nil {
				return err
			}
			sw, err := l.upsampleScale(base+"_scale_w", hw[1])
			if err != nil {
				return err
			}
			l.def(n.Outputs[0], "upsample_bilinear", []arg{a("x", x), a("scale_factor_height", sh), a("scale_factor_width", sw),
				a("align_corners", l.cBool(base+"_align_corners", false))}, x.dt, out)
			return nil
		}
		l.def(n.Outputs[0], "resize_bilinear", []arg{a("x", x), a("target_size_height", l.cInt(base+"_h", hw[0].out)),
			a("target_size_width", l.cInt(base+"_w", hw[1].out)), a("sampling_mode", l.cStr(base+"_sampling_mode", g.mode))}, x.dt, out)
		return nil
	}
	return fmt.Errorf("linear resize (%s) from %dx%d to %dx%d with scales %v, %v: no Core ML resampling op samples the same points: %w",
		ctm, hw[0].in, hw[1].in, hw[0].out, hw[1].out, hw[0].scale, hw[1].scale, errUnsupported)
}

// gridMatches reports whether grid gives ONNX's clamped source coordinates
// (mode ctm) on both axes, within 1e-5 of a pixel.
func gridMatches(grid resizeGrid, ctm string, hw []resizeAxis) bool {
	for _, ax := range hw {
		lim := float64(ax.in - 1)
		for i := range ax.out {
			want, err := onnxResizeCoord(ctm, i, ax.in, ax.out, ax.scale)
			if err != nil {
				return false
			}
			got := grid(i, ax.in, ax.out)
			if math.IsNaN(got) || math.Abs(min(max(got, 0), lim)-min(max(want, 0), lim)) > 1e-5 {
				return false
			}
		}
	}
	return true
}

// upsampleScale is upsample_bilinear's scale factor for ax: an int32 for
// an integer factor, else the float32 out/in, which must give
// floor(in*scale) = out as Core ML computes the output size.
func (l *lowerer) upsampleScale(name string, ax resizeAxis) (*mvar, error) {
	if ax.out%ax.in == 0 {
		return l.cInt(name, ax.out/ax.in), nil
	}
	f := float32(float64(ax.out) / float64(ax.in))
	if int64(math.Floor(float64(f)*float64(ax.in))) != ax.out {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	if int64(math.Floor(float64(f)*float64(ax.in))) != ax.out {
		return nil, fmt.Errorf("no float32 scale factor makes %d from %d: %w", ax.out, ax.in, errUnsupported)
	}
	return l.constOp(name, pb.DataType_FLOAT32, nil, &constVal{f: []float32{f}}), nil
}
