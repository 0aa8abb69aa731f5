package ir

import "testing"

// TestWindowAxisORT pins WindowAxis to ONNX Runtime 1.32.0: each row's
// output size is the MaxPool output ORT computed (and ONNX 1.23.2 shape
// inference agreed) for a [1,1,in,in] input with the row's attributes.
func TestWindowAxisORT(t *testing.T) {
	for _, c := range []struct {
		autoPad                    string
		in, kernel, stride, dil, p int64
		ceil                       bool
		want                       int64
	}{
		{"VALID", 5, 2, 2, 1, 0, true, 3}, // ceil_mode applies under VALID
		{"VALID", 5, 2, 2, 1, 0, false, 2},
		{"VALID", 6, 3, 2, 1, 0, true, 3},
		{"VALID", 4, 3, 2, 1, 0, true, 2},
		{"VALID", 4, 1, 2, 1, 0, true, 2}, // last window would start past the input
		{"VALID", 4, 1, 3, 1, 0, true, 2},
		{"VALID", 7, 2, 2, 2, 0, true, 3},
		{"VALID", 7, 2, 3, 2, 0, true, 3},
		{"SAME_UPPER", 5, 2, 2, 1, 0, true, 3},
		{"NOTSET", 5, 3, 2, 1, 1, true, 3},
		{"NOTSET", 6, 3, 2, 1, 1, true, 4},
		{"NOTSET", 4, 1, 2, 1, 0, true, 2},
	} {
		got, _, _, err := WindowAxis(c.autoPad, c.in, c.kernel, c.stride, c.dil, c.p, c.p, c.ceil)
		if err != nil || got != c.want {
			t.Errorf("WindowAxis(%s, in %d, k %d, s %d, d %d, pads %d, ceil %v) = %d, %v; ONNX Runtime gives %d",
				c.autoPad, c.in, c.kernel, c.stride, c.dil, c.p, c.ceil, got, err, c.want)
		}
	}
}

// TestWindowAxisSamePads checks SAME_UPPER/SAME_LOWER pads against the ONNX
// spec's rule (total = (out-1)*stride + dk - in, the odd pad at the end for
// SAME_UPPER and at the beginning for SAME_LOWER): in 6, kernel 4, stride 1
// gives out 6 and a total pad of 3.
func TestWindowAxisSamePads(t *testing.T) {
	if o, b, e, err := WindowAxis("SAME_UPPER", 6, 4, 1, 1, 0, 0, false); err != nil || o != 6 || b != 1 || e != 2 {
		t.Errorf("SAME_UPPER: %d %d %d %v, want 6 1 2", o, b, e, err)
	}
	if o, b, e, err := WindowAxis("SAME_LOWER", 6, 4, 1, 1, 0, 0, false); err != nil || o != 6 || b != 2 || e != 1 {
		t.Errorf("SAME_LOWER: %d %d %d %v, want 6 2 1", o, b, e, err)
	}
	if _, _, _, err := WindowAxis("VALID", 2, 3, 1, 1, 0, 0, false); err == nil {
		t.Error("VALID kernel larger than the input: no error")
	}
	if _, _, _, err := WindowAxis("BOGUS", 2, 1, 1, 1, 0, 0, false); err == nil {
		t.Error("unknown auto_pad: no error")
	}
}

// TestTransposeWindowAxisORT pins TransposeWindowAxis to ONNX Runtime
// 1.32.0's ConvTranspose over a [1,1,in] input of ones with a kernel of
// ones: the output size, and the begin pad read off the output values
// (the output is the unpadded result shifted by it).
func TestTransposeWindowAxisORT(t *testing.T) {
	for _, c := range []struct {
		autoPad                                     string
		in, k, s, d, outPad, pb, pe, outShape, want int64
		begin                                       int64
	}{
		{"NOTSET", 4, 3, 2, 1, 0, 0, 0, -1, 9, 0},
		{"NOTSET", 4, 3, 2, 1, 0, 1, 1, -1, 7, 1},
		{"NOTSET", 4, 3, 2, 1, 1, 1, 2, -1, 7, 1},
		{"VALID", 4, 3, 2, 1, 0, 0, 0, -1, 9, 0},
		{"SAME_UPPER", 4, 3, 2, 1, 0, 0, 0, -1, 8, 0},
		{"SAME_LOWER", 4, 3, 2, 1, 0, 0, 0, -1, 8, 1},
		{"NOTSET", 3, 3, 2, 2, 0, 0, 0, -1, 9, 0},
		{"NOTSET", 4, 3, 2, 1, 0, 0, 0, 8, 8, 1},
		{"SAME_UPPER", 4, 3, 2, 1, 0, 0, 0, 8, 8, 0},
		{"SAME_LOWER", 4, 3, 2, 1, 0, 0, 0, 8, 8, 1},
		{"NOTSET", 4, 3, 2, 1, 0, 0, 0, 10, 10, 0},
	} {
		out, b, _, err := TransposeWindowAxis(c.autoPad, c.in, c.k, c.s, c.d, c.outPad, c.pb, c.pe, c.outShape)
		if err != nil || out != c.want || b != c.begin {
			t.Errorf("TransposeWindowAxis(%s, in %d, k %d, s %d, d %d, output_padding %d, pads %d,%d, output_shape %d) = %d, begin %d, %v; ONNX Runtime gives %d, begin %d",
				c.autoPad, c.in, c.k, c.s, c.d, c.outPad, c.pb, c.pe, c.outShape, out, b, err, c.want, c.begin)
		}
	}
}
