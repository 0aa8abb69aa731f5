package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

const goldenNet = "../../testdata/golden/repvgg_net/torchscript"

// copySet copies a data set folder's .pb files to dst.
func copySet(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(src, "*.pb"))
	if len(files) == 0 {
		t.Fatalf("no .pb files in %s", src)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyGoldenPerturbed: verify passes on the fixture's own PyTorch
// outputs and exits 1 once one expected value is moved by 1% of the
// output's scale (far beyond rtol 1e-4).
func TestVerifyGoldenPerturbed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good", "test_data_set_0")
	bad := filepath.Join(dir, "bad", "test_data_set_0")
	copySet(t, filepath.Join(goldenNet, "test_data_set_0"), good)
	copySet(t, filepath.Join(goldenNet, "test_data_set_0"), bad)
	p := filepath.Join(bad, "output_0.pb")
	want, err := onnx.ReadTensorFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := want.Float32s()
	scale := float32(0)
	for _, v := range f {
		scale = max(scale, v, -v)
	}
	f[3] += 0.01 * scale
	pt := ir.NewFloat32(want.Dims, f)
	pt.Name = want.Name
	if err := onnx.WriteTensorFile(p, pt); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(goldenNet, "model.onnx")
	deploy := filepath.Join(goldenNet, "deploy.onnx")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"golden ok (one set)", []string{"verify", "--golden", good, model}, 0, "all outputs within tolerance"},
		{"golden ok (folder of sets)", []string{"verify", "--golden", filepath.Dir(good), deploy}, 0, "cosine"},
		{"golden perturbed", []string{"verify", "--golden", bad, model}, 1, "FAIL"},
		{"golden perturbed, loose tolerance", []string{"verify", "--golden", bad, model, "--rtol", "0.05"}, 0, "ok"},
		{"pair equal", []string{"verify", model, deploy, "--inputs", "2", "--seed", "3"}, 0, "top-1"},
		{"pair different", []string{"verify", model, "../../testdata/golden/repvgg_ident/torchscript/model.onnx"}, 1, ""},
		{"golden needs one model", []string{"verify", "--golden", good, model, deploy}, 2, ""},
		{"pair needs two models", []string{"verify", model}, 2, ""},
		{"bad inputs", []string{"verify", model, deploy, "--inputs", "0"}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc.args, tc.code, tc.want) })
	}
}
