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
