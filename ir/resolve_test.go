package ir

import (
	"slices"
	"testing"
)

// TestSliceAxisNumpy: ONNX Slice's clamping is Python's slice semantics;
// the expected first index and count are len/range(*slice(start, end,
// step).indices(dim)) from CPython (first not checked for empty slices).
func TestSliceAxisNumpy(t *testing.T) {
	for _, c := range [][6]int64{
		{0, 10, 1, 10, 0, 10},
		{-3, 100, 1, 10, 7, 3},
		{5, -100, -1, 10, 5, 6},
		{9, -11, -2, 10, 9, 5},
		{100, 0, -3, 10, 9, 3},
		{3, 3, 1, 10, -1, 0},
		{-100, 4, 2, 10, 0, 2},
		{2, 1, 1, 10, -1, 0},
	} {
		first, count := SliceAxis(c[0], c[1], c[2], c[3])
		if count != c[5] || count > 0 && first != c[4] {
			t.Errorf("SliceAxis(%d, %d, %d, %d) = %d, %d; Python gives %d, %d", c[0], c[1], c[2], c[3], first, count, c[4], c[5])
		}
	}
	if _, _, _, err := ResolveSlice([]int64{4, 4}, []int64{0, 0}, []int64{2, 2}, []int64{1, -1}, nil); err == nil {
		t.Error("ResolveSlice with axis 1 given twice (1 and -1): no error")
	}
	if _, _, _, err := ResolveSlice([]int64{4}, []int64{0}, []int64{2}, nil, []int64{0}); err == nil {
		t.Error("ResolveSlice with step 0: no error")
	}
}

// TestReshapeTarget: the test_reshape_* cases of the ONNX backend data
// (input [2,3,4]; expected shapes from their output tensors).
func TestReshapeTarget(t *testing.T) {
	in := []int64{2, 3, 4}
	for _, c := range []struct {
		target, want []int64
	}{
		{[]int64{4, 2, 3}, []int64{4, 2, 3}},        // reordered_all_dims
		{[]int64{2, 12}, []int64{2, 12}},            // reduced_dims
		{[]int64{-1}, []int64{24}},                  // one_dim
		{[]int64{2, -1, 2}, []int64{2, 6, 2}},       // negative_dim
		{[]int64{-1, 2, 3, 4}, []int64{1, 2, 3, 4}}, // negative_extended_dims
		{[]int64{2, 0, 4, 1}, []int64{2, 3, 4, 1}},  // zero_dim
		{[]int64{2, 0, 1, -1}, []int64{2, 3, 1, 4}}, // zero_and_negative_dim
	} {
		got, err := ReshapeTarget(in, c.target, false)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ReshapeTarget(%v, %v) = %v, %v; want %v", in, c.target, got, err, c.want)
		}
	}
	if got, err := ReshapeTarget([]int64{0, 3, 4}, []int64{3, 4, 0}, true); err != nil || !slices.Equal(got, []int64{3, 4, 0}) {
		t.Errorf("allowzero: %v, %v; want [3 4 0] (test_reshape_allowzero_reordered)", got, err)
	}
	for _, bad := range [][]int64{{-1, -1}, {5, -1}, {2, 3}, {0, 0, 0, 0}} {
		if got, err := ReshapeTarget(in, bad, false); err == nil {
			t.Errorf("ReshapeTarget(%v, %v) = %v, want an error", in, bad, got)
		}
	}
}

// TestSqueezeShape: an empty axes list squeezes every size-1 dimension, as
// ONNX Runtime 1.32.0 does for Squeeze-21 on [1,3,1] with an empty axes
// initializer (output [3]); explicit axes, negative ones included, drop
// only those.
func TestSqueezeShape(t *testing.T) {
	for _, c := range []struct{ in, axes, want []int64 }{
		{[]int64{1, 3, 1}, []int64{}, []int64{3}},
		{[]int64{1, 3, 1}, nil, []int64{3}},
		{[]int64{1, 3, 1}, []int64{-1}, []int64{1, 3}},
	} {
		got, err := SqueezeShape(c.in, c.axes)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SqueezeShape(%v, %v) = %v, %v; want %v", c.in, c.axes, got, err, c.want)
		}
	}
	if _, err := SqueezeShape([]int64{1, 3}, []int64{1}); err == nil {
		t.Error("squeezing a size-3 axis: no error")
	}
	if got, err := UnsqueezeShape([]int64{3, 4}, []int64{0, -1}); err != nil || !slices.Equal(got, []int64{1, 3, 4, 1}) {
		t.Errorf("UnsqueezeShape([3 4], [0 -1]) = %v, %v; want [1 3 4 1]", got, err)
	}
	if _, err := UnsqueezeShape([]int64{3}, []int64{0, 0}); err == nil {
		t.Error("a repeated unsqueeze axis: no error")
	}
}

// TestSplitSizes: the test_split_* cases of the ONNX backend data (part
// sizes from their output tensors).
func TestSplitSizes(t *testing.T) {
	for _, c := range []struct {
		name       string
		split      []int64
		dim        int64
		nout       int
		numOutputs int64
		want       []int64
	}{
		{"1d_uneven_split_opset18", nil, 7, 4, 4, []int64{2, 2, 2, 1}},
		{"2d_uneven_split_opset18", nil, 8, 3, 3, []int64{3, 3, 2}},
		{"equal_parts_1d_opset13", nil, 6, 3, 0, []int64{2, 2, 2}},
		{"variable_parts_1d_opset13", []int64{2, 4}, 6, 2, 0, []int64{2, 4}},
		{"zero_size_splits_opset13", []int64{0, 0, 0}, 0, 3, 0, []int64{0, 0, 0}},
	} {
		got, err := SplitSizes(c.split, c.dim, c.nout, c.numOutputs)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: SplitSizes = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []struct {
		split []int64
		dim   int64
		nout  int
	}{{[]int64{2, 3}, 6, 2}, {[]int64{-1, 7}, 6, 2}, {nil, 7, 3}, {[]int64{6}, 6, 2}} {
		if got, err := SplitSizes(bad.split, bad.dim, bad.nout, 0); err == nil {
			t.Errorf("SplitSizes(%v, %d, %d) = %v, want an error", bad.split, bad.dim, bad.nout, got)
		}
	}
}
