package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of Pad to MIL: negative pads crop (slice_by_index), positive
// ones pad (pad, modes constant, reflect and replicate). Both ops exist
// from iOS15 (opset CoreML5): no higher target is needed.

// padModes maps ONNX Pad modes to MIL pad modes; "wrap" has none.
var padModes = map[string]string{"constant": "constant", "reflect": "reflect", "edge": "replicate"}

// lowerPad: Pad with constant pads (opset 11+: input 1, optional
// constant_value input 2 and axes input 3; before: the pads/paddings and
// value attributes).
func lowerPad(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	r := len(x.shape)
	onnxMode := n.AttrString("mode", "constant")
	mode, ok := padModes[onnxMode]
	if !ok {
		return fmt.Errorf("mode %q: %w", onnxMode, errUnsupported)
	}
	var pads, axes []int64
	var cval float32
	if l.opset > 0 && l.opset < 11 {
		pads = n.AttrInts("pads", n.AttrInts("paddings", nil))
		cval = n.AttrFloat("value", 0)
	} else {
		if pads, err = l.intsOf(n, 1, "pads"); err != nil {
			return err
		}
		if n.Input(2) != nil {
			_, f, err := l.floatsOf(n, 2, "constant_value")
			if err != nil {
				return err
			}
			if len(f) != 1 {
				return fmt.Errorf("constant_value has %d elements, want 1", len(f))
			}
			cval = f[0]
		}
		if n.Input(3) != nil {
			if axes, err = l.intsOf(n, 3, "axes"); err != nil {
				return err
			}
		}
	}
	full, err := ir.FullPads(pads, axes, r)
	if err != nil {
		return err
	}
	// Crop first: slice_by_index over every axis, bounds from the
	// negative pads.
	begin, end := make([]int64, r), append([]int64(nil), x.shape...)
	crop, grow := false, false
	pos := make([]int64, 2*r) // MIL pad: (before, after) per axis
	for i := 0; i < r; i++ {
		b, e := full[i], full[i+r]
		if b < 0 {
			begin[i], crop = -b, true
		} else if b > 0 {
			pos[2*i], grow = b, true
		}
		if e < 0 {
			end[i], crop = x.shape[i]+e, true
		} else if e > 0 {
			pos[2*i+1], grow = e, true
		}
		if end[i] <= begin[i] {
			return fmt.Errorf("pads %v leave nothing of axis %d (size %d): %w", full, i, x.shape[i], errUnsupported)
		}
	}
	base := n.Outputs[0].Name
	y := x
	if crop {
		s := make([]int64, r)
		stride := make([]int64, r)
		for i := range s {
			s[i], stride[i] = end[i]-begin[i], 1
		}
		args := []arg{a("x", x), a("begin", l.cInts(base+"_begin", begin...)), a("end", l.cInts(base+"_end", end...)),
			a("stride", l.cInts(base+"_stride", stride...))}
		if !grow {
			l.def(n.Outputs[0], "slice_by_index", args, x.dt, s)
			return nil
		}
		y = l.emit1("slice_by_index", base+"_crop", args, x.dt, s, false)
	}
	if !grow {
		if !crop {
			return lowerIdentity(l, n)
		}
		return nil
	}
	// MIL pad takes the pads of the last k axes; reflect and replicate
	// pad the last two axes only (as Core ML's padding layer).
	k := r
	for k > 0 && pos[2*(r-k)] == 0 && pos[2*(r-k)+1] == 0 {
		k--
	}
	if mode != "constant" {
		if k > 2 {
			return fmt.Errorf("mode %q pads %v: Core ML pads only the last two axes in this mode: %w", onnxMode, full, errUnsupported)
		}
		k = min(2, r)
	}
	out := append([]int64(nil), y.shape...)
	for i := r - k; i < r; i++ {
		b, e := pos[2*i], pos[2*i+1]
		lim := y.shape[i]
		if mode == "reflect" {
			lim--
		}
		if mode != "constant" && (b > lim || e > lim) {
			return fmt.Errorf("mode %q pads (%d, %d) on axis %d of size %d: Core ML allows at most %d: %w", onnxMode, b, e, i, y.shape[i], lim, errUnsupported)
		}
		out[i] += b + e
	}
	if err := l.fitsBudget(n.Outputs[0].Name, out, y.dt); err != nil {
		return err
	}
	args := []arg{a("x", y), a("pad", l.cInts(base+"_pad", pos[2*(r-k):]...)), a("mode", l.cStr(base+"_mode", mode))}
	if mode == "constant" {
		args = append(args, a("constant_val", l.cFloat(base+"_value", cval)))
	}
	l.def(n.Outputs[0], "pad", args, x.dt, out)
	return nil
}
