package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestRunClassifierTop5: `mconv run --data` on a golden fixture prints the
// top-5 classes in the order of PyTorch's stored output and writes an
// output_0.pb that matches it (rtol 1e-4 / atol 1e-5 of the output's scale).
func TestRunClassifierTop5(t *testing.T) {
	fx := "../../testdata/golden/mnv3_net/torchscript"
	set := filepath.Join(fx, "test_data_set_0")
	want, err := onnx.ReadTensorFile(filepath.Join(set, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Dims) != 2 || want.Dims[0] != 1 {
		t.Fatalf("fixture output is %v, want [1, K]", want.Dims)
	}
	f, _ := want.Float32s()
	idx := make([]int, len(f))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return f[idx[a]] > f[idx[b]] })
	var top []string
	for _, i := range idx[:5] {
		top = append(top, fmt.Sprintf("%d (", i))
	}
	out := t.TempDir()
	stdout := captureStdout(t, func() {
		if code := run([]string{"run", filepath.Join(fx, "model.onnx"), "--data", set, "--out", out, "--threads", "2"}); code != 0 {
			t.Errorf("exit %d", code)
		}
	})
	line := ""
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "top-5:") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no top-5 line in %q", stdout)
	}
	// The classes must appear in PyTorch's order.
	pos := 0
	for _, c := range top {
		i := strings.Index(line[pos:], c)
		if i < 0 {
			t.Fatalf("top-5 line %q: want classes in the order %v", line, top)
		}
		pos += i + len(c)
	}
	got, err := onnx.ReadTensorFile(filepath.Join(out, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if r := golden.Compare(got, want, golden.Tolerance{RTol: 1e-4, ATol: 1e-5}); !r.OK() {
		t.Errorf("written output_0.pb differs from PyTorch's: %s", r)
	}
}

// TestRunInputBinding: input_K.pb files are matched to graph inputs by name
// when every file names a graph input (here in the reverse order), else by
// position. The model computes y = a - b, so the two bindings give results
// of opposite sign.
func TestRunInputBinding(t *testing.T) {
	dir := t.TempDir()
	g := ir.NewGraph("sub")
	a := g.AddInput("a", ir.TensorOf(ir.Float32, 3))
	b := g.AddInput("b", ir.TensorOf(ir.Float32, 3))
	n := g.AddNode("Sub", "sub", []*ir.Value{a, b}, "y")
	n.Outputs[0].Type = ir.TensorOf(ir.Float32, 3)
	g.AddOutput(n.Outputs[0])
	model := filepath.Join(dir, "sub.onnx")
	if err := onnx.Save(&ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Version: 17}}, Graph: g}, model); err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, sub string, names [2]string) string {
		d := filepath.Join(dir, sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		first := ir.NewFloat32([]int64{3}, []float32{10, 20, 30})
		second := ir.NewFloat32([]int64{3}, []float32{1, 2, 3})
		first.Name, second.Name = names[0], names[1]
		if err := onnx.WriteTensorFile(filepath.Join(d, "input_0.pb"), first); err != nil {
			t.Fatal(err)
		}
		if err := onnx.WriteTensorFile(filepath.Join(d, "input_1.pb"), second); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name  string
		names [2]string
		want  []float32
	}{
		// input_0 is named "b", input_1 "a": y = [1 2 3] - [10 20 30].
		{"by name", [2]string{"b", "a"}, []float32{-9, -18, -27}},
		// Unnamed: input_0 -> a, input_1 -> b.
		{"by position (no names)", [2]string{"", ""}, []float32{9, 18, 27}},
		// One name is not a graph input: all by position.
		{"by position (unknown name)", [2]string{"b", "zzz"}, []float32{9, 18, 27}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := write(t, strings.ReplaceAll(tc.name, " ", "_"), tc.names)
			out := filepath.Join(data, "out")
			captureStdout(t, func() {
				if code := run([]string{"run", model, "--data", data, "--out", out}); code != 0 {
					t.Fatalf("exit %d", code)
				}
			})
			got, err := onnx.ReadTensorFile(filepath.Join(out, "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			f, _ := got.Float32s()
			for i := range tc.want {
				if f[i] != tc.want[i] {
					t.Fatalf("y = %v, want %v", f, tc.want)
				}
			}
			if got.Name != "y" {
				t.Errorf("output_0.pb names %q, want the graph output name y", got.Name)
			}
		})
	}
}

// TestRunSeed: without --data the inputs are seeded random numbers: the
// same --seed gives the same outputs, another seed different ones; the
// random inputs are standard normal, so Relu keeps about half of them.
func TestRunSeed(t *testing.T) {
	dir := t.TempDir()
	model := writeReluModel(t, dir)
	outputs := map[string][]float32{}
	for _, tc := range []struct{ name, seed string }{{"a", "5"}, {"b", "5"}, {"c", "6"}} {
		out := filepath.Join(dir, tc.name)
		captureStdout(t, func() {
			if code := run([]string{"run", model, "--seed", tc.seed, "--out", out}); code != 0 {
				t.Fatalf("seed %s: exit %d", tc.seed, code)
			}
		})
		got, err := onnx.ReadTensorFile(filepath.Join(out, "output_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		outputs[tc.name], _ = got.Float32s()
	}
	same := func(x, y []float32) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return len(x) == len(y)
	}
	if !same(outputs["a"], outputs["b"]) {
		t.Errorf("seed 5 twice: %v and %v", outputs["a"], outputs["b"])
	}
	if same(outputs["a"], outputs["c"]) {
		t.Errorf("seeds 5 and 6 gave the same outputs %v", outputs["a"])
	}
	zeros := 0
	for _, v := range append(outputs["a"], outputs["c"]...) {
		if v == 0 {
			zeros++
		} else if v < 0 {
			t.Fatalf("Relu output %v < 0", v)
		}
	}
	if zeros == 0 || zeros == 12 {
		t.Errorf("%d of 12 outputs are 0: inputs do not look standard normal", zeros)
	}
}
