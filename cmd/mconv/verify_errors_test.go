package main

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyErrors: bad --golden folders and mismatched models give errors
// that name the folder or say what differs; a mismatch is errMismatch
// (exit 1), not a usage error.
func TestVerifyErrors(t *testing.T) {
	empty := t.TempDir()
	model := filepath.Join(goldenNet, "model.onnx")
	other := "../../testdata/golden/mnv3_net/torchscript/model.onnx"
	cases := []struct {
		name     string
		o        verifyOptions
		want     string
		mismatch bool
	}{
		{"no data sets", verifyOptions{Golden: empty, Models: []string{model}}, empty + ": no data sets", false},
		{"missing folder", verifyOptions{Golden: filepath.Join(empty, "nope"), Models: []string{model}}, "nope", false},
		{"missing model", verifyOptions{Golden: filepath.Join(goldenNet, "test_data_set_0"), Models: []string{filepath.Join(empty, "m.onnx")}}, "m.onnx", false},
		{"other network's outputs", verifyOptions{Golden: filepath.Join(goldenNet, "test_data_set_0"), Models: []string{other}}, "outputs differ", true},
		{"negative rtol", verifyOptions{Golden: empty, Models: []string{model}, RTol: -1}, "--rtol", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.Inputs == 0 {
				tc.o.Inputs = 1
			}
			if tc.o.RTol == 0 {
				tc.o.RTol, tc.o.ATol = 1e-4, 1e-5
			}
			err := tc.o.run(io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if got := errors.Is(err, errMismatch); got != tc.mismatch {
				t.Errorf("errors.Is(err, errMismatch) = %v, want %v", got, tc.mismatch)
			}
		})
	}
}
