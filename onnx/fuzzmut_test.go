package onnx

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// mutOps are op types the structural fuzzer swaps in: the ops of mobile
// CNNs, whose shape functions Verify runs, plus a few with subgraphs.
var mutOps = []string{
	"Conv", "Relu", "Add", "Mul", "BatchNormalization", "MaxPool", "AveragePool",
	"GlobalAveragePool", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose",
	"Concat", "Split", "Slice", "Gather", "Squeeze", "Unsqueeze", "Shape", "Cast",
	"Pad", "Resize", "Softmax", "Erf", "Where", "Expand", "ReduceMean", "Sigmoid",
	"HardSigmoid", "HardSwish", "Clip", "Constant", "ConstantOfShape", "Identity",
	"If", "Loop", "Sub", "Div", "Range", "Tile", "TopK", "ArgMax", "Einsum",
	"ConvTranspose", "InstanceNormalization", "LayerNormalization", "PRelu",
}

// byteReader hands out fuzz bytes; it returns zeros when they run out.
type byteReader struct{ b []byte }

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) int(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.byte()) % n
}

func (r *byteReader) i64() int64 {
	var buf [8]byte
	k := r.int(9)
	for i := 0; i < k; i++ {
		buf[i] = r.byte()
	}
	v := int64(binary.LittleEndian.Uint64(buf[:]))
	switch r.int(4) {
	case 0:
		return v % 8
	case 1:
		return v % 70000
	case 2:
		return -v % 4
	}
	return v
}

// mutate applies fuzz-chosen structural edits to a model: op types, input
// names, dims, attribute values and types, initializer shapes and dtypes,
// node deletion and duplication, opset versions.
func mutate(m *ModelProto, r *byteReader) {
	g := m.Graph
	names := func() []string {
		var ns []string
		for _, v := range g.Input {
			ns = append(ns, v.GetName())
		}
		for _, t := range g.Initializer {
			ns = append(ns, t.GetName())
		}
		for _, n := range g.Node {
			ns = append(ns, n.Output...)
		}
		return append(ns, "", "undefined_name")
	}
	steps := 1 + r.int(6)
	for s := 0; s < steps && len(r.b) > 0; s++ {
		if len(g.Node) == 0 {
			return
		}
		n := g.Node[r.int(len(g.Node))]
		switch r.int(12) {
		case 0:
			n.OpType = proto.String(mutOps[r.int(len(mutOps))])
		case 1:
			if len(n.Input) > 0 {
				ns := names()
				n.Input[r.int(len(n.Input))] = ns[r.int(len(ns))]
			} else {
				n.Input = append(n.Input, names()[0])
			}
		case 2:
			if len(n.Input) > 0 && r.int(2) == 0 {
				n.Input = n.Input[:len(n.Input)-1]
			} else {
				ns := names()
				n.Input = append(n.Input, ns[r.int(len(ns))])
			}
		case 3:
			vis := append(append(append([]*ValueInfoProto{}, g.Input...), g.Output...), g.ValueInfo...)
			if len(vis) > 0 {
				if tt := vis[r.int(len(vis))].GetType().GetTensorType(); tt != nil && tt.Shape != nil {
					if len(tt.Shape.Dim) > 0 && r.int(3) > 0 {
						tt.Shape.Dim[r.int(len(tt.Shape.Dim))].Value = &TensorShapeProto_Dimension_DimValue{DimValue: r.i64()}
					} else if r.int(2) == 0 {
						tt.Shape.Dim = append(tt.Shape.Dim, &TensorShapeProto_Dimension{Value: &TensorShapeProto_Dimension_DimParam{DimParam: "n"}})
					} else {
						tt.ElemType = proto.Int32(int32(r.int(30)))
					}
				}
			}
		case 4:
			if len(n.Attribute) > 0 {
				a := n.Attribute[r.int(len(n.Attribute))]
				switch r.int(4) {
				case 0:
					a.Ints = append(a.Ints, r.i64())
				case 1:
					if len(a.Ints) > 0 {
						a.Ints[r.int(len(a.Ints))] = r.i64()
					}
				case 2:
					a.I = proto.Int64(r.i64())
				case 3:
					a.Type = proto.Int32(int32(r.int(15)))
				}
			}
		case 5:
			names := []string{"axis", "axes", "perm", "kernel_shape", "pads", "strides", "group", "dilations", "keepdims", "to", "alpha", "mode", "auto_pad"}
			name := names[r.int(len(names))]
			switch r.int(4) {
			case 0:
				n.Attribute = append(n.Attribute, &AttributeProto{Name: proto.String(name), Type: proto.Int32(2), I: proto.Int64(r.i64())})
			case 1:
				n.Attribute = append(n.Attribute, &AttributeProto{Name: proto.String(name), Type: proto.Int32(7), Ints: []int64{r.i64(), r.i64()}})
			case 2:
				n.Attribute = append(n.Attribute, &AttributeProto{Name: proto.String(name), Type: proto.Int32(3), S: []byte("SAME_UPPER")})
			case 3:
				n.Attribute = append(n.Attribute, &AttributeProto{Name: proto.String(name), Type: proto.Int32(1), F: proto.Float32(float32(r.i64()))})
			}
		case 6:
			if len(g.Initializer) > 0 {
				t := g.Initializer[r.int(len(g.Initializer))]
				if len(t.Dims) > 0 && r.int(2) == 0 {
					t.Dims[r.int(len(t.Dims))] = r.i64()
				} else {
					t.DataType = proto.Int32(int32(r.int(24)))
				}
			}
		case 7:
			i := r.int(len(g.Node))
			g.Node = append(g.Node[:i], g.Node[i+1:]...)
		case 8:
			c := proto.Clone(n).(*NodeProto)
			g.Node = append(g.Node, c)
		case 9:
			if len(m.OpsetImport) > 0 {
				m.OpsetImport[0].Version = proto.Int64(int64(1 + r.int(28)))
			}
		case 10:
			// An int64 constant feeding shape-like inputs.
			vals := []int64{r.i64(), r.i64(), r.i64()}
			name := "k" + string(rune('a'+r.int(26)))
			g.Initializer = append(g.Initializer, &TensorProto{Name: proto.String(name), DataType: proto.Int32(7), Dims: []int64{int64(1 + r.int(3))}, Int64Data: vals[:1+r.int(3)]})
			if len(n.Input) > 0 {
				n.Input[r.int(len(n.Input))] = name
			}
		case 11:
			if len(g.Output) > 0 && len(n.Output) > 0 {
				g.Output[r.int(len(g.Output))].Name = proto.String(n.Output[0])
			}
		}
	}
}

// FuzzGraphMutation is a structure-aware companion of FuzzImport: the fuzz
// bytes choose edits of valid models (the bad-input base model, the rich
// model, the testdata RepVGG/MobileOne model), so that the importer,
// Verify and the shape functions see well-formed protobuf with wrong
// semantics. Same invariants as FuzzImport.
//
//	GOMAXPROCS=1 go test -run='^$' -fuzz=FuzzGraphMutation -fuzztime=5m ./onnx
func FuzzGraphMutation(f *testing.F) {
	tiny, err := os.ReadFile("../testdata/repvgg_mobileone_tiny.onnx")
	if err != nil {
		f.Fatal(err)
	}
	bases := [][]byte{marshal(f, goodModel()), marshal(f, richModel()), tiny}
	for i := range bases {
		f.Add([]byte{byte(i)})
		f.Add([]byte{byte(i), 0, 3, 1, 7, 2, 9, 4, 200, 5, 6, 1})
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		r := &byteReader{b: ops}
		var m ModelProto
		if err := proto.Unmarshal(bases[r.int(len(bases))], &m); err != nil {
			t.Fatal(err)
		}
		mutate(&m, r)
		data, err := proto.Marshal(&m)
		if err != nil {
			return
		}
		checkImport(t, data)
	})
}

// checkImport is the invariant of both fuzz targets: no panic (Decode turns
// one into an internal error), and a model that imports verifies and
// round-trips.
func checkImport(t *testing.T, data []byte) {
	m, err := Decode(data, "fuzz.onnx", "")
	if err != nil {
		if strings.Contains(err.Error(), internalError) {
			t.Fatal(err)
		}
		return
	}
	roundTripChecks(t, m)
}
