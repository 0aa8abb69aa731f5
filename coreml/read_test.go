package coreml

import (
	"strings"
	"testing"

	"github.com/x448/float16"
	"google.golang.org/protobuf/proto"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// reparse round-trips a spec through its wire encoding.
func reparse(t *testing.T, spec *pb.Model) *pb.Model {
	t.Helper()
	data, err := marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	out := &pb.Model{}
	if err := proto.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// convWeights lists the constant weights of Conv nodes in order, keyed by
// their position.
func convWeights(t *testing.T, m *ir.Model) [][]float32 {
	t.Helper()
	var out [][]float32
	for _, n := range m.Graph.Nodes {
		if n.OpType != "Conv" && !(n.OpType == "SqueezeExcite" && n.Domain == ir.FusedDomain) {
			continue
		}
		idx := []int{1}
		if n.OpType == "SqueezeExcite" {
			idx = []int{1, 3} // SE expands into two 1x1 convs
		}
		for _, i := range idx {
			v := n.Inputs[i]
			if v.Const == nil {
				t.Fatalf("%s: weight %s is not constant", n, v.Name)
			}
			f, err := v.Const.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f)
		}
	}
	return out
}

// TestReadBackZoo: every zoo model written as ML Program (fp32, fp16) and
// NeuralNetwork and read back keeps its ONNX input/output names and the
// source's conv weights, exactly in fp32 and to float16 rounding in fp16.
func TestReadBackZoo(t *testing.T) {
	for name, mk := range zoo() {
		for _, format := range []string{"mlprogram", "neuralnetwork"} {
			for _, fp16 := range []bool{false, true} {
				src := mk()
				var back *ir.Model
				var err error
				if format == "mlprogram" {
					p, cerr := ConvertProgram(mk(), Options{FP16: fp16})
					if cerr != nil {
						t.Fatal(cerr)
					}
					back, err = ProgramToIR(reparse(t, p.Spec), p.Weights, ReadOptions{Float32: true})
				} else {
					spec, cerr := ConvertNeuralNetwork(mk(), Options{FP16: fp16})
					if cerr != nil {
						continue // shuffle's ceil-mode pool; tested in TestWriteZooNeuralNetworks
					}
					back, err = NeuralNetworkToIR(reparse(t, spec), ReadOptions{})
				}
				if err != nil {
					t.Fatalf("%s %s fp16=%v: %v", name, format, fp16, err)
				}
				var inNames, outNames, gotIn, gotOut []string
				for _, v := range src.Graph.Inputs {
					inNames = append(inNames, v.Name)
				}
				for _, v := range src.Graph.Outputs {
					outNames = append(outNames, v.Name)
				}
				for _, v := range back.Graph.Inputs {
					gotIn = append(gotIn, v.Name)
				}
				for _, v := range back.Graph.Outputs {
					gotOut = append(gotOut, v.Name)
				}
				if strings.Join(inNames, ",") != strings.Join(gotIn, ",") || strings.Join(outNames, ",") != strings.Join(gotOut, ",") {
					t.Errorf("%s %s: names in %v out %v, want %v %v", name, format, gotIn, gotOut, inNames, outNames)
				}
				want, got := convWeights(t, src), convWeights(t, back)
				if len(want) != len(got) {
					t.Fatalf("%s %s fp16=%v: %d convs read back, want %d", name, format, fp16, len(got), len(want))
				}
				for i := range want {
					if len(want[i]) != len(got[i]) {
						t.Fatalf("%s conv %d: %d weights, want %d", name, i, len(got[i]), len(want[i]))
					}
					for j, w := range want[i] {
						e := w
						if fp16 {
							e = float16.Fromfloat32(w).Float32()
						}
						if got[i][j] != e {
							t.Fatalf("%s %s fp16=%v conv %d weight %d = %v, want %v", name, format, fp16, i, j, got[i][j], e)
						}
					}
				}
				for _, v := range back.Graph.Outputs {
					if !v.Type.Static() || v.Type.DType != ir.Float32 {
						t.Errorf("%s: output %s has type %s", name, v.Name, v.Type)
					}
				}
			}
		}
	}
}

// TestReadBackShapes: the static shapes the writer computes match
// hand-computed output shapes of the zoo models.
func TestReadBackShapes(t *testing.T) {
	want := map[string][][]int64{
		// 16x16 -s2-> 8x8 -> ... -> GAP -> gemm 10 -> softmax
		"mobile": {{1, 10}},
		// 12x12 maxpool k3 s2 p1 -> 6x6; avgpool k3 s2 p1 ceil -> 4x4 (ceil((6+2-3)/2)+1 = 4)
		"shuffle": {{1, 5}, {1, 8, 6, 6}},
		// [1,16,8] sliced on axis 1 from 1 to the end in steps of 2 -> 8 rows
		"attention": {{1, 8, 8}},
	}
	for name, mk := range zoo() {
		p, err := ConvertProgram(mk(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]int64
		for _, o := range p.Spec.Description.Output {
			got = append(got, o.GetType().GetMultiArrayType().GetShape())
		}
		if len(got) != len(want[name]) {
			t.Fatalf("%s: %d outputs", name, len(got))
		}
		for i := range got {
			if fmtShape(got[i]) != fmtShape(want[name][i]) {
				t.Errorf("%s output %d: shape %v, want %v", name, i, got[i], want[name][i])
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	p, err := ConvertProgram(zooMobile(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(*pb.Model, []byte) []byte
		want   string
	}{
		{"truncated weights", func(m *pb.Model, w []byte) []byte { return w[:100] }, "100-byte weight file"},
		{"no main", func(m *pb.Model, w []byte) []byte { delete(m.GetMlProgram().Functions, "main"); return w }, "no main function"},
		{"undefined input", func(m *pb.Model, w []byte) []byte {
			for _, op := range m.GetMlProgram().Functions["main"].BlockSpecializations["CoreML5"].Operations {
				if op.Type == "relu" {
					op.Inputs["x"].Arguments[0].Binding = &pb.Argument_Binding_Name{Name: "nowhere"}
					break
				}
			}
			return w
		}, `reads undefined "nowhere"`},
		{"unknown op", func(m *pb.Model, w []byte) []byte {
			for _, op := range m.GetMlProgram().Functions["main"].BlockSpecializations["CoreML5"].Operations {
				if op.Type == "relu" {
					op.Type = "frobnicate"
					break
				}
			}
			return w
		}, "MIL op frobnicate is not read back"},
	}
	for _, c := range cases {
		spec := reparse(t, p.Spec)
		w := c.mutate(spec, append([]byte(nil), p.Weights...))
		_, err := ProgramToIR(spec, w, ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestLoad reads written files back through Load, by path.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p, err := ConvertProgram(zooMobile(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePackage(p, dir+"/m.mlpackage"); err != nil {
		t.Fatal(err)
	}
	spec, err := ConvertNeuralNetwork(zooMobile(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteModelFile(spec, dir+"/m.mlmodel"); err != nil {
		t.Fatal(err)
	}
	if err := WriteModelFile(p.Spec, dir+"/prog.mlmodel"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"m.mlpackage", "m.mlmodel"} {
		m, err := Load(dir+"/"+f, ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Graph.Inputs[0].Name != "input.1" || len(m.Graph.Outputs) != 1 {
			t.Errorf("%s: inputs %v outputs %d", f, m.Graph.Inputs[0].Name, len(m.Graph.Outputs))
		}
	}
	if _, err := Load(dir+"/prog.mlmodel", ReadOptions{}); err == nil || !strings.Contains(err.Error(), "needs its weights") {
		t.Errorf("ML Program as a bare .mlmodel: err = %v", err)
	}
	if _, err := Load(dir+"/missing.mlpackage", ReadOptions{}); err == nil {
		t.Error("missing path: no error")
	}
}
