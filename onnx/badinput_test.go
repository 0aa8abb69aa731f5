package onnx

import (
	"bytes"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

var update = flag.Bool("update", false, "rewrite onnx/testdata/bad/*.onnx from the bad-input table")

// Builders for small models, written with the protobuf types directly so
// that the bad inputs need no importer code to make.

func vi(name string, dims ...int64) *ValueInfoProto {
	sh := &TensorShapeProto{}
	for _, d := range dims {
		sh.Dim = append(sh.Dim, &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &ValueInfoProto{Name: proto.String(name), Type: &TypeProto{Value: &TypeProto_TensorType{TensorType: &TypeProto_Tensor{ElemType: proto.Int32(1), Shape: sh}}}}
}

func node(name, op string, in, out []string, attrs ...*AttributeProto) *NodeProto {
	return &NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func intsAttr(name string, v ...int64) *AttributeProto {
	return &AttributeProto{Name: proto.String(name), Type: proto.Int32(7), Ints: v}
}

func floatAttr(name string, f float32) *AttributeProto {
	return &AttributeProto{Name: proto.String(name), Type: proto.Int32(1), F: proto.Float32(f)}
}

// goodModel is x[1,2,4,4] -> Relu -> y, opset 17, IR 8.
func goodModel() *ModelProto {
	return &ModelProto{
		IrVersion:    proto.Int64(8),
		ProducerName: proto.String("mconv-test"),
		OpsetImport:  []*OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph: &GraphProto{
			Name:   proto.String("g"),
			Input:  []*ValueInfoProto{vi("x", 1, 2, 4, 4)},
			Output: []*ValueInfoProto{vi("y", 1, 2, 4, 4)},
			Node:   []*NodeProto{node("relu", "Relu", []string{"x"}, []string{"y"})},
		},
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func extTensor(name, loc string, offset, length string) *TensorProto {
	tp := &TensorProto{Name: proto.String(name), DataType: proto.Int32(1), Dims: []int64{2, 1, 1}, DataLocation: proto.Int32(1),
		ExternalData: []*StringStringEntryProto{{Key: proto.String("location"), Value: proto.String(loc)}}}
	if offset != "" {
		tp.ExternalData = append(tp.ExternalData, &StringStringEntryProto{Key: proto.String("offset"), Value: proto.String(offset)})
	}
	if length != "" {
		tp.ExternalData = append(tp.ExternalData, &StringStringEntryProto{Key: proto.String("length"), Value: proto.String(length)})
	}
	return tp
}

// withInit returns goodModel with an Add of an initializer w.
func withInit(w *TensorProto) *ModelProto {
	m := goodModel()
	g := m.Graph
	g.Initializer = []*TensorProto{w}
	g.Node = []*NodeProto{node("add", "Add", []string{"x", w.GetName()}, []string{"y"})}
	return m
}

type badCase struct {
	name string
	data func(t testing.TB) []byte
	want []string // substrings of the error, besides the file name
}

func badCases() []badCase {
	mut := func(f func(m *ModelProto)) func(t testing.TB) []byte {
		return func(t testing.TB) []byte {
			m := goodModel()
			f(m)
			return marshal(t, m)
		}
	}
	return []badCase{
		{"truncated", func(t testing.TB) []byte {
			b := marshal(t, goodModel())
			return b[:len(b)-7]
		}, []string{"not an ONNX model", "protobuf"}},
		{"random_bytes", func(t testing.TB) []byte {
			r := rand.New(rand.NewSource(1))
			b := make([]byte, 512)
			r.Read(b)
			return b
		}, []string{"not an ONNX model"}},
		{"empty_file", func(t testing.TB) []byte { return nil }, []string{"not an ONNX model"}},
		{"tensor_not_model", func(t testing.TB) []byte {
			return marshal(t, &TensorProto{Name: proto.String("t"), DataType: proto.Int32(1), Dims: []int64{3}, FloatData: []float32{1, 2, 3}})
		}, []string{"not an ONNX model"}},
		{"no_graph", mut(func(m *ModelProto) { m.Graph = nil }), []string{"not an ONNX model (no graph)"}},
		{"ir_version_too_new", mut(func(m *ModelProto) { m.IrVersion = proto.Int64(99) }), []string{"ONNX IR version 99 not supported"}},
		{"ir_version_too_old", mut(func(m *ModelProto) { m.IrVersion = proto.Int64(2) }), []string{"ONNX IR version 2 not supported"}},
		{"opset_too_new", mut(func(m *ModelProto) { m.OpsetImport[0].Version = proto.Int64(999) }), []string{"opset 999 of the default domain is newer than the newest"}},
		{"unknown_op", mut(func(m *ModelProto) { m.Graph.Node[0].OpType = proto.String("FrobNicate") }), []string{`node "relu" (FrobNicate): unknown op`}},
		{"unknown_domain", mut(func(m *ModelProto) {
			m.Graph.Node[0].Domain = proto.String("com.example")
			m.OpsetImport = append(m.OpsetImport, &OperatorSetIdProto{Domain: proto.String("com.example"), Version: proto.Int64(1)})
		}), []string{`node "relu" (Relu)`, `unknown op domain "com.example"`}},
		{"domain_not_imported", mut(func(m *ModelProto) { m.Graph.Node[0].Domain = proto.String("ai.onnx.ml") }), []string{`node "relu" (Relu)`, `domain "ai.onnx.ml" is not imported`}},
		{"op_not_in_opset", mut(func(m *ModelProto) { m.Graph.Node[0].OpType = proto.String("Gelu") }), []string{`node "relu" (Gelu): op is not defined in opset 17`}},
		{"undefined_input", mut(func(m *ModelProto) { m.Graph.Node[0].Input = []string{"nope"} }), []string{`node "relu" (Relu): input 0 "nope" is not defined`}},
		{"undefined_output", mut(func(m *ModelProto) { m.Graph.Output[0].Name = proto.String("nope") }), []string{`graph output "nope" is not defined`}},
		{"duplicate_output", mut(func(m *ModelProto) {
			m.Graph.Node = append(m.Graph.Node, node("relu2", "Relu", []string{"x"}, []string{"y"}))
		}), []string{`node "relu2" (Relu): output "y" is already defined`}},
		{"cycle", mut(func(m *ModelProto) {
			m.Graph.Node = []*NodeProto{
				node("a", "Relu", []string{"b_out"}, []string{"a_out"}),
				node("b", "Relu", []string{"a_out"}, []string{"b_out"}),
				node("c", "Relu", []string{"x"}, []string{"y"}),
			}
		}), []string{"has a cycle through node", "(Relu)"}},
		{"wrong_attr_type", mut(func(m *ModelProto) {
			m.Graph.Node = []*NodeProto{node("pool", "MaxPool", []string{"x"}, []string{"y"}, floatAttr("kernel_shape", 2))}
		}), []string{`node "pool" (MaxPool): attribute "kernel_shape" has type float, want ints`}},
		{"unknown_attr", mut(func(m *ModelProto) {
			m.Graph.Node[0].Attribute = []*AttributeProto{intsAttr("bogus", 1)}
		}), []string{`node "relu" (Relu): unknown attribute "bogus"`}},
		{"missing_required_attr", mut(func(m *ModelProto) {
			m.Graph.Node = []*NodeProto{node("pool", "MaxPool", []string{"x"}, []string{"y"})}
		}), []string{`node "pool" (MaxPool): missing required attribute "kernel_shape"`}},
		{"wrong_arity", mut(func(m *ModelProto) { m.Graph.Node[0].Input = []string{"x", "x"} }), []string{`node "relu" (Relu): has 2 inputs, schema allows 1`}},
		{"attr_type_unknown", mut(func(m *ModelProto) {
			m.Graph.Node[0].Attribute = []*AttributeProto{{Name: proto.String("alpha"), Type: proto.Int32(42)}}
		}), []string{`node "relu" (Relu): attribute "alpha": unknown attribute type 42`}},
		{"huge_value_info", mut(func(m *ModelProto) {
			m.Graph.ValueInfo = []*ValueInfoProto{vi("y", 1<<20, 1<<20, 2)}
		}), []string{`value_info "y": shape has more than 2^40 elements`}},
		{"huge_input_shape", mut(func(m *ModelProto) { m.Graph.Input[0] = vi("x", 1<<30, 1<<30, 1<<30) }), []string{`graph input "x": shape has more than 2^40 elements`}},
		{"huge_initializer", func(t testing.TB) []byte {
			return marshal(t, withInit(&TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{1 << 21, 1 << 21}, RawData: []byte{0, 0, 0, 0}}))
		}, []string{`initializer: tensor "w": shape [2097152 2097152] has more than 2^40 elements`}},
		{"initializer_short_data", func(t testing.TB) []byte {
			return marshal(t, withInit(&TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{1, 2, 4, 4}, RawData: []byte{0, 0, 0, 0}}))
		}, []string{`tensor "w": raw_data has 4 bytes, shape [1 2 4 4] of float32 needs 128`}},
		{"huge_constant", mut(func(m *ModelProto) {
			m.Graph.Node = []*NodeProto{node("k", "Constant", nil, []string{"y"}, &AttributeProto{Name: proto.String("value"), Type: proto.Int32(4),
				T: &TensorProto{DataType: proto.Int32(1), Dims: []int64{1 << 40, 2}}})}
		}), []string{`node "k" (Constant): attribute "value": tensor: shape [1099511627776 2] has more than 2^40 elements`}},
		{"external_absolute", func(t testing.TB) []byte {
			return marshal(t, withInit(extTensor("w", "/etc/passwd", "", "")))
		}, []string{`tensor "w": external data location "/etc/passwd" is an absolute path`}},
		{"external_escape", func(t testing.TB) []byte {
			return marshal(t, withInit(extTensor("w", "../../secret.bin", "", "")))
		}, []string{`tensor "w": external data location "../../secret.bin" leaves the model's folder`}},
	}
}

// TestBadInput decodes each bad input and checks the error names the file
// and says what is wrong. It also keeps onnx/testdata/bad/*.onnx (fuzz
// seeds) in sync with the table (go test ./onnx -run TestBadInput -update).
func TestBadInput(t *testing.T) {
	for _, c := range badCases() {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			name := "bad/" + c.name + ".onnx"
			_, err := Decode(data, name, "")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, name+": ") {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			seed := filepath.Join("testdata", "bad", c.name+".onnx")
			if *update {
				if err := os.MkdirAll(filepath.Dir(seed), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(seed, data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if old, err := os.ReadFile(seed); err != nil || !bytes.Equal(old, data) {
				t.Errorf("%s is missing or stale: run go test ./onnx -run TestBadInput -update", seed)
			}
		})
	}
}

// TestExternalDataFiles exercises external data on disk: a good file, an
// offset/length past the end, a ".." escape, an absolute path, and a
// symbolic link leading out of the model's folder.
func TestExternalDataFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "model")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Two float32: 1.0 and 2.0, after 4 bytes of padding.
	payload := []byte{9, 9, 9, 9, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}
	if err := os.WriteFile(filepath.Join(dir, "sub", "w.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "outside.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		w    *TensorProto
		want string // "" = success
	}{
		{"ok", extTensor("w", "sub/w.bin", "4", "8"), ""},
		{"ok_no_length", extTensor("w", "sub/w.bin", "4", ""), ""},
		{"past_end", extTensor("w", "sub/w.bin", "8", "8"), `external data "sub/w.bin": offset 8 + length 8 is past the end of the file (12 bytes)`},
		{"offset_past_end", extTensor("w", "sub/w.bin", "100", ""), "offset 100 is past the end"},
		{"wrong_length", extTensor("w", "sub/w.bin", "0", "12"), "length 12, shape [2 1 1] of float32 needs 8 bytes"},
		{"bad_offset", extTensor("w", "sub/w.bin", "-3", ""), `bad offset "-3"`},
		{"dotdot", extTensor("w", "../outside.bin", "4", "8"), `external data location "../outside.bin" leaves the model's folder`},
		{"dotdot_inner", extTensor("w", "sub/../../outside.bin", "4", "8"), "leaves the model's folder"},
		{"absolute", extTensor("w", filepath.Join(root, "outside.bin"), "4", "8"), "is an absolute path"},
		{"symlink", extTensor("w", "link.bin", "4", "8"), `external data location "link.bin" leads out of the model's folder`},
		{"missing", extTensor("w", "nope.bin", "", ""), "nope.bin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".onnx")
			if err := os.WriteFile(p, marshal(t, withInit(c.w)), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(p)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				f, err := m.Graph.Lookup("w").Const.Float32s()
				if err != nil || len(f) != 2 || f[0] != 1 || f[1] != 2 {
					t.Fatalf("read %v, %v; want [1 2]", f, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q, want the file name and %q", err, c.want)
			}
		})
	}
}
