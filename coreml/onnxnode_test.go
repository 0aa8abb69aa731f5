package coreml

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestONNXNodeResizeGather converts ONNX backend test cases of Resize,
// Upsample, Gather and GatherND (the ONNX project's models and expected
// outputs) with every input after the first made a constant (as scales,
// sizes and indices are in exported networks), to both Core ML formats;
// the model read back must compute the ONNX test's expected output
// (within 1e-5). Cases whose sampling no Core ML op reproduces (a
// downsampling scale that is not in/out, half_pixel_symmetric, cubic)
// must be refused as unsupported, naming the node.
func TestONNXNodeResizeGather(t *testing.T) {
	root := testenv.ONNXTests(t)
	for _, tc := range []struct {
		name    string
		refused string // "": converts; else a substring of the error
	}{
		{"test_resize_upsample_scales_linear", ""},                                             // half_pixel, x2
		{"test_resize_upsample_scales_linear_align_corners", ""},                               // align_corners, x2
		{"test_resize_upsample_scales_nearest", ""},                                            // half_pixel round_prefer_floor, x2 x3
		{"test_resize_upsample_sizes_nearest", ""},                                             // 2x2 -> 7x8, half_pixel round_prefer_floor
		{"test_resize_upsample_sizes_nearest_floor_align_corners", "align_corners"},            // 4x4 -> 8x8 picks other rows
		{"test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric", "picks"},           // round_prefer_ceil
		{"test_resize_downsample_scales_linear", "no Core ML resampling op"},                   // scale 0.6: grid 1/0.6, not in/out
		{"test_resize_downsample_sizes_linear_pytorch_half_pixel", "no Core ML resampling op"}, // output size 1
		{"test_resize_upsample_scales_linear_half_pixel_symmetric", "half_pixel_symmetric"},
		{"test_resize_upsample_scales_cubic", "mode \"cubic\""},
		{"test_upsample_nearest", ""}, // Upsample-9, x2 x3
		{"test_gather_0", ""},
		{"test_gather_1", ""},
		{"test_gather_2d_indices", ""},
		{"test_gather_negative_indices", ""},
		{"test_gathernd_example_float32", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, "node", tc.name)
			set, err := golden.LoadSet(filepath.Join(dir, "test_data_set_0"))
			if err != nil {
				t.Fatal(err)
			}
			load := func() *ir.Model {
				m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range m.Graph.Inputs[1:] {
					v.Const = set.Inputs[i+1]
				}
				return m
			}
			x := set.Inputs[0]
			x.Name = load().Graph.Inputs[0].Name
			want := set.Outputs[0]
			for _, format := range []string{"mlprogram", "neuralnetwork"} {
				back, err := roundTrip(load(), format, false, nil)
				if tc.refused != "" {
					if err == nil || !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), tc.refused) || !strings.HasPrefix(err.Error(), "node ") {
						t.Errorf("%s: got error %v, want an unsupported error naming the node and %q", format, err, tc.refused)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				got := runModel(t, back, map[string]*ir.Tensor{x.Name: x})
				var out *ir.Tensor
				for _, o := range got {
					out = o
				}
				if r := golden.Compare(out, want, golden.Tolerance{RTol: 1e-5, ATol: 1e-6}); !r.OK() {
					t.Errorf("%s: %s", format, r)
				}
			}
		})
	}
}
