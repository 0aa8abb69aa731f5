package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// writeReluModel saves y = Relu(x) with x float32[2,3] to dir/relu.onnx.
func writeReluModel(t *testing.T, dir string) string {
	t.Helper()
	g := ir.NewGraph("relu")
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 2, 3))
	n := g.AddNode("Relu", "r", []*ir.Value{x}, "y")
	n.Outputs[0].Type = ir.TensorOf(ir.Float32, 2, 3)
	g.AddOutput(n.Outputs[0])
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Version: 17}}, Graph: g}
	p := filepath.Join(dir, "relu.onnx")
	if err := onnx.Save(m, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	model := writeReluModel(t, dir)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	in := ir.NewFloat32([]int64{2, 3}, []float32{-1, 2, -3, 4, 0, -0.5})
	if err := onnx.WriteTensorFile(filepath.Join(data, "input_0.pb"), in); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"data", []string{"run", model, "--data", data, "--out", out, "--threads", "1"}, 0, `output "y": float32[2 3]`},
		{"random", []string{"run", model, "--seed", "7"}, 0, `output "y"`},
		{"repeat", []string{"run", model, "--repeat", "5"}, 0, "latency: median"},
		{"bad repeat", []string{"run", model, "--repeat", "-1"}, 2, ""},
		{"tiny repvgg random", []string{"run", tinyModel}, 0, "output"},
		{"missing model", []string{"run", filepath.Join(dir, "nope.onnx")}, 1, ""},
		{"missing data", []string{"run", model, "--data", filepath.Join(dir, "empty")}, 1, ""},
		{"bad flag", []string{"run", model, "--threads", "x"}, 2, ""},
		{"no model", []string{"run"}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkRun(t, tc.args, tc.code, tc.want) })
	}
	got, err := onnx.ReadTensorFile(filepath.Join(out, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := got.Float32s()
	want := []float32{0, 2, 0, 4, 0, 0}
	for i := range want {
		if f[i] != want[i] {
			t.Fatalf("output_0.pb = %v, want %v", f, want)
		}
	}
}

// checkRun runs the command line args and checks the exit code and that
// stdout contains want.
func checkRun(t *testing.T, args []string, code int, want string) {
	t.Helper()
	out := captureStdout(t, func() {
		if got := run(args); got != code {
			t.Errorf("exit %d, want %d", got, code)
		}
	})
	if !strings.Contains(out, want) {
		t.Errorf("output %q lacks %q", out, want)
	}
}

// captureStdout runs f with os.Stdout redirected and returns what it wrote.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.String()
	}()
	f()
	w.Close()
	os.Stdout = old
	return <-done
}

// TestRunDataSets: --data reads the ONNX test-data layout through package
// golden. A fixture's PyTorch input gives PyTorch's output (within mconv's
// float32 tolerance), and files that do not fit the graph's inputs are
// errors naming the input and the mismatch.
func TestRunDataSets(t *testing.T) {
	fix := filepath.Join(golden.Dir(), "repvgg_ident", "torchscript")
	outDir := filepath.Join(t.TempDir(), "out")
	o := runOptions{Model: filepath.Join(fix, "model.onnx"), Data: filepath.Join(fix, "test_data_set_0"), Out: outDir, planOpts: planOpts{Threads: 1}}
	var buf bytes.Buffer
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := onnx.ReadTensorFile(filepath.Join(outDir, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := onnx.ReadTensorFile(filepath.Join(fix, "test_data_set_0", "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if r := golden.Compare(got, want, golden.DefaultTolerance); !r.OK() {
		t.Errorf("mconv run vs PyTorch: %s", r)
	}

	dir := t.TempDir()
	model := writeReluModel(t, dir) // x float32[2,3]
	set := func(name string, ts ...*ir.Tensor) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, x := range ts {
			if err := onnx.WriteTensorFile(filepath.Join(d, fmt.Sprintf("input_%d.pb", i)), x); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	named := func(x *ir.Tensor, n string) *ir.Tensor { x.Name = n; return x }
	for _, tc := range []struct {
		name, data, errHas string
	}{
		{"by name", set("byname", named(ir.NewFloat32([]int64{2, 3}, make([]float32, 6)), "x")), ""},
		{"wrong shape", set("shape", ir.NewFloat32([]int64{3, 2}, make([]float32, 6))), `graph input "x": file has shape [3 2], input wants [2,3]`},
		{"wrong dtype", set("dtype", ir.NewInt64([]int64{2, 3}, make([]int64, 6))), `graph input "x": file has int64 data, input wants float32`},
		{"too many files", set("many", ir.NewFloat32([]int64{2, 3}, make([]float32, 6)), ir.NewFloat32([]int64{2, 3}, make([]float32, 6))), "2 input files for a model with 1 inputs"},
		{"no files", set("none"), "not a test data set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := runOptions{Model: model, Data: tc.data, planOpts: planOpts{Threads: 1}}
			err := o.run(io.Discard)
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.errHas)
			}
		})
	}
}
