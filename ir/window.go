package ir

import "fmt"

// WindowAxis resolves one spatial axis of a sliding window (Conv,
// ConvInteger, QLinearConv, MaxPool, AveragePool, LpPool): the output size
// and the begin/end pads actually applied, for input size in, kernel size
// kernel, stride, dilation dil, the pads attribute's padBegin/padEnd and
// ceil_mode, with dk = (kernel-1)*dil+1 the dilated kernel extent:
//
//   - SAME_UPPER / SAME_LOWER: out = ceil(in/stride) whatever ceil_mode;
//     total pad max(0, (out-1)*stride+dk-in), the odd one at the end
//     (SAME_UPPER) or the beginning (SAME_LOWER).
//   - VALID: explicit pads of 0, then as NOTSET (ceil_mode applies, as in
//     ONNX shape inference and ONNX Runtime: MaxPool VALID kernel 2 stride
//     2 over 5 gives 3 with ceil_mode).
//   - NOTSET: out = floor((in+pads-dk)/stride)+1, or with ceil_mode the
//     ceiling, less a last window that would start in the end padding
//     ((out-1)*stride >= in+padBegin), as ONNX Runtime and PyTorch do.
//
// A kernel extent larger than the padded input is an error.
func WindowAxis(autoPad string, in, kernel, stride, dil, padBegin, padEnd int64, ceil bool) (out, begin, end int64, err error) {
	if kernel < 1 || stride < 1 || dil < 1 {
		return 0, 0, 0, fmt.Errorf("kernel %d, stride %d and dilation %d must be positive", kernel, stride, dil)
	}
	if padBegin < 0 || padEnd < 0 {
		return 0, 0, 0, fmt.Errorf("negative pads %d, %d", padBegin, padEnd)
	}
	dk := (kernel-1)*dil + 1
	switch autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		out = (in + stride - 1) / stride
		total := max(0, (out-1)*stride+dk-in)
		begin = total / 2
		if autoPad == "SAME_LOWER" {
			begin = total - total/2
		}
		return out, begin, total - begin, nil
	case "VALID":
		padBegin, padEnd = 0, 0
	case "NOTSET", "":
	default:
		return 0, 0, 0, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	padded := in + padBegin + padEnd
	if padded < dk {
		return 0, 0, 0, fmt.Errorf("kernel extent %d larger than padded input size %d", dk, padded)
	}
	if ceil {
		out = (padded-dk+stride-1)/stride + 1
		if (out-1)*stride >= in+padBegin {
			out--
		}
	} else {
		out = (padded-dk)/stride + 1
	}
	return out, padBegin, padEnd, nil
}

// Window is the resolved geometry of a sliding window over the spatial axes
// of its input (one entry per spatial axis), from ResolveWindow.
type Window struct {
	Out, Strides, Dilations, PadBegin, PadEnd []int64
}

// ResolveWindow reads n's strides, dilations, pads and auto_pad attributes
// (ONNX defaults: 1, 1, 0, NOTSET) and resolves each spatial axis of input
// sizes in with kernel sizes kernel by WindowAxis; ceil is ceil_mode.
func ResolveWindow(n *Node, in, kernel []int64, ceil bool) (Window, error) {
	k := len(in)
	if len(kernel) != k {
		return Window{}, fmt.Errorf("kernel %v does not match %d spatial dimensions", kernel, k)
	}
	strides, dil, pads, err := spatialAttrs(n, k)
	if err != nil {
		return Window{}, err
	}
	w := Window{Strides: strides, Dilations: dil, Out: make([]int64, k), PadBegin: make([]int64, k), PadEnd: make([]int64, k)}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	for i := range k {
		w.Out[i], w.PadBegin[i], w.PadEnd[i], err = WindowAxis(autoPad, in[i], kernel[i], strides[i], dil[i], pads[i], pads[i+k], ceil)
		if err != nil {
			return Window{}, err
		}
	}
	return w, nil
}

// spatialAttrs reads n's strides, dilations and pads for k spatial axes,
// defaulting to ones and zeros, and checks their lengths and signs.
func spatialAttrs(n *Node, k int) (strides, dilations, pads []int64, err error) {
	strides = n.AttrInts("strides", nil)
	dilations = n.AttrInts("dilations", nil)
	pads = n.AttrInts("pads", nil)
	if strides == nil {
		strides = ones(k)
	}
	if dilations == nil {
		dilations = ones(k)
	}
	if pads == nil {
		pads = make([]int64, 2*k)
	}
	if len(strides) != k || len(dilations) != k || len(pads) != 2*k {
		return nil, nil, nil, fmt.Errorf("strides %v, dilations %v, pads %v do not match %d spatial dimensions", strides, dilations, pads, k)
	}
	for i := range k {
		if strides[i] < 1 || dilations[i] < 1 {
			return nil, nil, nil, fmt.Errorf("strides %v and dilations %v must be positive", strides, dilations)
		}
		if pads[i] < 0 || pads[i+k] < 0 {
			return nil, nil, nil, fmt.Errorf("negative pads %v", pads)
		}
	}
	return strides, dilations, pads, nil
}

func ones(k int) []int64 {
	s := make([]int64, k)
	for i := range s {
		s[i] = 1
	}
	return s
}

// windowDims is the spatial output size of a sliding window (Conv,
// pooling) of the given kernel over x's spatial axes (WindowAxis; unknown
// input sizes give unknown output sizes), ceil being ceil_mode.
func windowDims(n *Node, x Shape, kernel []int64, ceil bool) (Shape, error) {
	k := len(x) - 2
	strides, dil, pads, err := spatialAttrs(n, k)
	if err != nil {
		return nil, err
	}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	var out Shape
	for i := range k {
		if !x[2+i].Known() {
			out = append(out, Dim{Size: -1})
			continue
		}
		o, _, _, err := WindowAxis(autoPad, x[2+i].Size, kernel[i], strides[i], dil[i], pads[i], pads[i+k], ceil)
		if err != nil {
			return nil, err
		}
		out = append(out, Dim{Size: o})
	}
	return out, nil
}

// TransposeWindowAxis resolves one spatial axis of ConvTranspose: the
// output size and the begin/end pads for input size in, kernel, stride,
// dilation dil, output_padding outPad, the pads attribute's
// padBegin/padEnd and the output_shape entry outShape (-1: none). With
// full = stride*(in-1) + outPad + (kernel-1)*dil + 1:
//
//   - output_shape given: out = outShape, total pad full-out (it may be
//     negative) split in floor halves, the odd one at the end for
//     SAME_UPPER and at the beginning otherwise, as the ONNX definition
//     says;
//   - SAME_UPPER / SAME_LOWER: out = in*stride, total pad max(0, full-out)
//     split the same way;
//   - VALID: out = full, no pads; NOTSET: out = full - pads.
//
// An output size below 0 is an error.
func TransposeWindowAxis(autoPad string, in, kernel, stride, dil, outPad, padBegin, padEnd, outShape int64) (out, begin, end int64, err error) {
	full := stride*(in-1) + outPad + (kernel-1)*dil + 1
	split := func(total int64) (int64, int64) {
		h := total >> 1 // floor, also for a negative total
		if autoPad == "SAME_UPPER" {
			return h, total - h
		}
		return total - h, h
	}
	switch {
	case outShape >= 0:
		out = outShape
		begin, end = split(full - out)
	case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
		out = in * stride
		begin, end = split(max(0, full-out))
	case autoPad == "VALID":
		out = full
	case autoPad == "NOTSET" || autoPad == "":
		out, begin, end = full-padBegin-padEnd, padBegin, padEnd
	default:
		return 0, 0, 0, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	if out < 0 {
		return 0, 0, 0, fmt.Errorf("output size %d is negative", out)
	}
	return out, begin, end, nil
}

// transposeAttrs reads ConvTranspose's window attributes for k spatial
// axes: strides, dilations and pads (spatialAttrs), output_padding
// (default 0) and output_shape (nil when absent; k or k+2 entries, the
// spatial ones returned).
func transposeAttrs(n *Node, k int) (strides, dil, pads, outPad, outShape []int64, err error) {
	if strides, dil, pads, err = spatialAttrs(n, k); err != nil {
		return
	}
	outPad = n.AttrInts("output_padding", make([]int64, k))
	if len(outPad) != k {
		return nil, nil, nil, nil, nil, fmt.Errorf("output_padding %v does not match %d spatial dimensions", outPad, k)
	}
	if outShape = n.AttrInts("output_shape", nil); outShape != nil {
		if len(outShape) == k+2 {
			outShape = outShape[2:]
		}
		if len(outShape) != k {
			return nil, nil, nil, nil, nil, fmt.Errorf("output_shape %v does not match %d spatial dimensions", outShape, k)
		}
		for _, d := range outShape {
			if d < 0 {
				return nil, nil, nil, nil, nil, fmt.Errorf("negative output_shape %v", outShape)
			}
		}
	}
	return strides, dil, pads, outPad, outShape, nil
}

// ResolveTransposeWindow reads n's ConvTranspose window attributes and
// resolves each spatial axis of input sizes in with kernel sizes kernel by
// TransposeWindowAxis.
func ResolveTransposeWindow(n *Node, in, kernel []int64) (Window, error) {
	k := len(in)
	if len(kernel) != k {
		return Window{}, fmt.Errorf("kernel %v does not match %d spatial dimensions", kernel, k)
	}
	strides, dil, pads, outPad, outShape, err := transposeAttrs(n, k)
	if err != nil {
		return Window{}, err
	}
	w := Window{Strides: strides, Dilations: dil, Out: make([]int64, k), PadBegin: make([]int64, k), PadEnd: make([]int64, k)}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	for i := range k {
		os := int64(-1)
		if outShape != nil {
			os = outShape[i]
		}
		w.Out[i], w.PadBegin[i], w.PadEnd[i], err = TransposeWindowAxis(autoPad, in[i], kernel[i], strides[i], dil[i], outPad[i], pads[i], pads[i+k], os)
		if err != nil {
			return Window{}, err
		}
	}
	return w, nil
}
