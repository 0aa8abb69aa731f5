package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Reading the MIL resampling ops back as ONNX Resize (opset 20): each
// op's documented sampling grid is the Resize coordinate transformation
// named here, with the output sizes (the grids use in/out, not a given
// scale).

// resizeSamplingModes maps resize_bilinear's sampling modes to Resize's
// coordinate_transformation_mode (ALIGN_CORNERS differs from
// align_corners only for an output of size 1, refused below).
var resizeSamplingModes = map[string]string{
	"STRICT_ALIGN_CORNERS": "align_corners",
	"ALIGN_CORNERS":        "align_corners",
	"DEFAULT":              "asymmetric",
	"UNALIGN_CORNERS":      "half_pixel",
}

// readResize reads upsample_nearest_neighbor, resize_nearest_neighbor,
// upsample_bilinear and resize_bilinear as Resize with sizes.
func readResize(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	x, y := o.input("x"), o.out[0]
	r := len(y.shape)
	if r < 3 || len(x.shape) != r {
		return fmt.Errorf("%s of rank %d: want rank 3 or more", o.typ, r)
	}
	attrs := []*ir.Attr{attrStr("mode", "linear")}
	switch o.typ {
	case "upsample_nearest_neighbor":
		k, _, ok, err := upsampleFactors(o)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("nearest upsampling by a fractional factor: %w", errUnsupported)
		}
		for j := range 2 {
			if y.shape[r-2+j] != x.shape[r-2+j]*int64(k[j]) {
				return fmt.Errorf("upsample_nearest_neighbor output %v is not input %v times %v", y.shape, x.shape, k)
			}
		}
		attrs = []*ir.Attr{attrStr("mode", "nearest"), attrStr("coordinate_transformation_mode", "asymmetric"), attrStr("nearest_mode", "floor")}
	case "resize_nearest_neighbor":
		attrs = []*ir.Attr{attrStr("mode", "nearest"), attrStr("coordinate_transformation_mode", "asymmetric"), attrStr("nearest_mode", "floor")}
	case "upsample_bilinear":
		ctm := "half_pixel"
		if constBool(o, "align_corners") {
			ctm = "align_corners"
		}
		attrs = append(attrs, attrStr("coordinate_transformation_mode", ctm))
	default:
		sm := constStr(o, "sampling_mode")
		ctm, ok := resizeSamplingModes[sm]
		if !ok || (sm == "ALIGN_CORNERS" && (y.shape[r-2] == 1 || y.shape[r-1] == 1)) {
			return fmt.Errorf("resize_bilinear sampling mode %q to %v: %w", sm, y.shape[r-2:], errUnsupported)
		}
		attrs = append(attrs, attrStr("coordinate_transformation_mode", ctm))
	}
	_, err = b.node("Resize", y, []*ir.Value{vs[0], nil, nil, b.i64(o.name+"_sizes", y.shape...)}, attrs...)
	return err
}
