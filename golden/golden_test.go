package golden

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

func named(t *ir.Tensor, name string) *ir.Tensor {
	t.Name = name
	return t
}

func TestWriteLoadSet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test_data_set_0")
	in0 := named(ir.NewFloat32([]int64{1, 2}, []float32{1, 2}), "x")
	in1 := named(ir.NewInt64([]int64{1}, []int64{7}), "k")
	out0 := named(ir.NewFloat32([]int64{2}, []float32{3, 4}), "y")
	if err := WriteSet(dir, []*ir.Tensor{in0, in1}, []*ir.Tensor{out0}); err != nil {
		t.Fatal(err)
	}
	// files are TensorProtos readable by the onnx package on their own
	tp, err := onnx.ReadTensorFile(filepath.Join(dir, "input_1.pb"))
	if err != nil || tp.Name != "k" || tp.DType != ir.Int64 {
		t.Fatalf("input_1.pb: %v %+v", err, tp)
	}
	s, err := LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Inputs) != 2 || len(s.Outputs) != 1 {
		t.Fatalf("loaded %d inputs %d outputs", len(s.Inputs), len(s.Outputs))
	}
	for i, w := range []*ir.Tensor{in0, in1, out0} {
		g := append(s.Inputs, s.Outputs...)[i]
		if g.Name != w.Name || g.DType != w.DType || !reflect.DeepEqual(g.Dims, w.Dims) || string(g.Raw) != string(w.Raw) {
			t.Errorf("tensor %d: got %+v want %+v", i, g, w)
		}
	}
	// rewriting with fewer tensors leaves exactly the new set
	if err := WriteSet(dir, []*ir.Tensor{in0}, []*ir.Tensor{out0}); err != nil {
		t.Fatal(err)
	}
	if s, err = LoadSet(dir); err != nil || len(s.Inputs) != 1 {
		t.Fatalf("after rewrite: %v, %d inputs", err, len(s.Inputs))
	}
}

func TestLoadSetErrors(t *testing.T) {
	root := t.TempDir()
	write := func(dir, name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, err := onnx.EncodeTensor(ir.NewFloat32([]int64{1}, []float32{1}))
	if err != nil {
		t.Fatal(err)
	}
	gap := filepath.Join(root, "gap")
	write(gap, "input_0.pb", good)
	write(gap, "input_2.pb", good)
	empty := filepath.Join(root, "empty")
	write(empty, "README", []byte("x"))
	garbage := filepath.Join(root, "garbage")
	write(garbage, "input_0.pb", []byte{0xff, 0xff, 0xff})
	for _, tc := range []struct{ dir, has string }{
		{gap, "input_1.pb missing"},
		{empty, "not a test data set"},
		{garbage, "input_0.pb"},
		{filepath.Join(root, "nope"), "nope"},
	} {
		if _, err := LoadSet(tc.dir); err == nil || !strings.Contains(err.Error(), tc.has) {
			t.Errorf("LoadSet(%s) = %v, want error containing %q", tc.dir, err, tc.has)
		}
	}
}

func TestFindSets(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"test_data_set_10", "test_data_set_2", "test_data_set_0", "deploy_data_set_0", "other"} {
		mk(d)
	}
	rel := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i], _ = filepath.Rel(root, p)
		}
		return out
	}
	sets, err := FindSets(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rel(sets), []string{"test_data_set_0", "test_data_set_2", "test_data_set_10"}; !reflect.DeepEqual(got, want) {
		t.Errorf("FindSets = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		model string
		want  []string
	}{
		{"model.onnx", []string{"test_data_set_0", "test_data_set_2", "test_data_set_10"}},
		{"deploy.onnx", []string{"deploy_data_set_0"}},
	} {
		sets, err := SetsFor(filepath.Join(root, tc.model))
		if err != nil {
			t.Fatal(err)
		}
		if got := rel(sets); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SetsFor(%s) = %v, want %v", tc.model, got, tc.want)
		}
	}
	// a folder that is itself a set
	one := filepath.Join(root, "test_data_set_0")
	if err := WriteSet(one, []*ir.Tensor{ir.NewFloat32([]int64{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	if sets, err := FindSets(one); err != nil || len(sets) != 1 || sets[0] != one {
		t.Errorf("FindSets(set folder) = %v, %v", sets, err)
	}
}

// model with inputs a [N,3] float (symbolic batch), b [2] int64, and an
// initializer-backed input w (old IR style).
func bindModel() *ir.Model {
	g := ir.NewGraph("g")
	a := g.AddInput("a", ir.Type{Kind: ir.KindTensor, DType: ir.Float32, HasShape: true, Shape: ir.Shape{{Size: -1, Param: "N"}, {Size: 3}}})
	g.AddInput("b", ir.TensorOf(ir.Int64, 2))
	w := g.AddInput("w", ir.TensorOf(ir.Float32, 1))
	w.Const = ir.NewFloat32([]int64{1}, []float32{0.5})
	g.Initializers = append(g.Initializers, w)
	g.AddOutput(a)
	return &ir.Model{Graph: g}
}

func TestBindInputs(t *testing.T) {
	a := func(name string, n int64) *ir.Tensor {
		return named(ir.NewFloat32([]int64{n, 3}, make([]float32, 3*n)), name)
	}
	b := func(name string) *ir.Tensor { return named(ir.NewInt64([]int64{2}, []int64{1, 2}), name) }
	w := func(name string) *ir.Tensor { return named(ir.NewFloat32([]int64{1}, []float32{2}), name) }
	for _, tc := range []struct {
		name   string
		inputs []*ir.Tensor
		want   []string // graph input name bound to each tensor, in order
		errHas string
	}{
		{name: "by name, any order", inputs: []*ir.Tensor{b("b"), a("a", 4)}, want: []string{"b", "a"}},
		{name: "by name with initializer override", inputs: []*ir.Tensor{b("b"), a("a", 1), w("w")}, want: []string{"b", "a", "w"}},
		{name: "by position, no names", inputs: []*ir.Tensor{a("", 2), b("")}, want: []string{"a", "b"}},
		{name: "by position, foreign names", inputs: []*ir.Tensor{a("input.1", 2), b("1")}, want: []string{"a", "b"}},
		{name: "by position incl. initializer input", inputs: []*ir.Tensor{a("", 2), b(""), w("")}, want: []string{"a", "b", "w"}},
		{name: "too few", inputs: []*ir.Tensor{a("", 2)}, errHas: "1 input files for a model with 2 inputs to feed"},
		{name: "named but one missing", inputs: []*ir.Tensor{a("a", 2), w("w")}, errHas: `no input file for graph input "b"`},
		{name: "too many", inputs: []*ir.Tensor{a("", 2), b(""), w(""), w("")}, errHas: "4 input files"},
		{name: "wrong dtype", inputs: []*ir.Tensor{a("a", 1), named(ir.NewFloat32([]int64{2}, []float32{1, 2}), "b")}, errHas: `graph input "b": file has float32 data, input wants int64`},
		{name: "wrong static dim", inputs: []*ir.Tensor{named(ir.NewFloat32([]int64{1, 4}, make([]float32, 4)), "a"), b("b")}, errHas: "file has shape [1 4], input wants [N,3]"},
		{name: "wrong rank", inputs: []*ir.Tensor{named(ir.NewFloat32([]int64{3}, make([]float32, 3)), ""), b("")}, errHas: "file has shape [3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BindInputs(bindModel(), &Set{Dir: "set", Inputs: tc.inputs})
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("bound %d inputs, want %d", len(got), len(tc.want))
			}
			for i, name := range tc.want {
				if got[name] != tc.inputs[i] {
					t.Errorf("input %q not bound to tensor %d", name, i)
				}
			}
			shapes := InputShapes(got)
			for name, tt := range got {
				if !reflect.DeepEqual(shapes[name], tt.Dims) {
					t.Errorf("InputShapes[%q] = %v, want %v", name, shapes[name], tt.Dims)
				}
			}
		})
	}
}

func TestBindOutputs(t *testing.T) {
	m := bindModel()
	y := named(ir.NewFloat32([]int64{1, 3}, make([]float32, 3)), "")
	got, err := BindOutputs(m, &Set{Outputs: []*ir.Tensor{y}})
	if err != nil || got["a"] != y {
		t.Errorf("by position: %v %v", got, err)
	}
	if _, err := BindOutputs(m, &Set{Dir: "s", Outputs: []*ir.Tensor{y, y}}); err == nil || !strings.Contains(err.Error(), "2 output files for a model with 1 outputs") {
		t.Errorf("count mismatch: %v", err)
	}
}

func TestCheckSets(t *testing.T) {
	// model y = x (an Identity), one set whose output matches x and one off by 1 in one element
	g := ir.NewGraph("g")
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3))
	n := g.AddNode("Identity", "id", []*ir.Value{x}, "y")
	g.AddOutput(n.Outputs[0])
	m := &ir.Model{Graph: g}
	root := t.TempDir()
	in := named(ir.NewFloat32([]int64{1, 3}, []float32{1, 2, 3}), "x")
	good := named(ir.NewFloat32([]int64{1, 3}, []float32{1, 2, 3}), "y")
	bad := named(ir.NewFloat32([]int64{1, 3}, []float32{1, 2, 4}), "y")
	s0, s1 := filepath.Join(root, "test_data_set_0"), filepath.Join(root, "test_data_set_1")
	if err := WriteSet(s0, []*ir.Tensor{in}, []*ir.Tensor{good}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSet(s1, []*ir.Tensor{in}, []*ir.Tensor{bad}); err != nil {
		t.Fatal(err)
	}
	sets, err := FindSets(root)
	if err != nil {
		t.Fatal(err)
	}
	identity := func(in map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
		return map[string]*ir.Tensor{"y": in["x"]}, nil
	}
	reps, err := CheckSets(m, sets, identity, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || !reps[0].OK() || reps[1].OK() {
		t.Fatalf("want set 0 ok and set 1 failing, got %v", reps)
	}
	if r := reps[1].Results[0]; r.Bad != 1 || r.MaxAbs != 1 || !strings.Contains(reps[1].String(), "test_data_set_1: y: FAIL") {
		t.Errorf("set 1 report: %s", reps[1])
	}
	failing := func(map[string]*ir.Tensor) (map[string]*ir.Tensor, error) { return nil, os.ErrInvalid }
	if _, err := CheckSets(m, sets, failing, DefaultTolerance); err == nil || !strings.Contains(err.Error(), "test_data_set_0") {
		t.Errorf("run error not reported with the set: %v", err)
	}
}
