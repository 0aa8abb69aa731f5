package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		t.Run(tc.name, func(t *testing.T) {
			stdout := captureStdout(t, func() {
				if code := run(tc.args); code != tc.code {
					t.Errorf("exit %d, want %d", code, tc.code)
				}
			})
			if !strings.Contains(stdout, tc.want) {
				t.Errorf("output %q lacks %q", stdout, tc.want)
			}
		})
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
