package onnx

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// richModel exercises the parts of the format that the importer keeps for
// lossless export: old-IR graph inputs that are also initializers, value_info,
// doc strings, metadata (model, graph, node), an If whose branches read outer
// values, a Constant node, an attribute without a type (old IR), a
// sequence-typed output, and a model-local function.
func richModel() *ModelProto {
	m := goodModel()
	m.IrVersion = proto.Int64(8)
	m.DocString = proto.String("model doc")
	m.Domain = proto.String("org.example")
	m.ModelVersion = proto.Int64(3)
	m.ProducerVersion = proto.String("1.2")
	m.MetadataProps = []*StringStringEntryProto{{Key: proto.String("k"), Value: proto.String("v")}}
	m.OpsetImport = append(m.OpsetImport, &OperatorSetIdProto{Domain: proto.String("org.example.fn"), Version: proto.Int64(1)})
	m.Functions = []*FunctionProto{{
		Name: proto.String("Twice"), Domain: proto.String("org.example.fn"),
		Input: []string{"a"}, Output: []string{"b"},
		Node:        []*NodeProto{node("", "Add", []string{"a", "a"}, []string{"b"})},
		OpsetImport: []*OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
	}}
	g := m.Graph
	g.DocString = proto.String("graph doc")
	g.MetadataProps = []*StringStringEntryProto{{Key: proto.String("gk"), Value: proto.String("gv")}}
	// Old IR style: the initializer "bias" is also a graph input.
	g.Initializer = []*TensorProto{{Name: proto.String("bias"), DataType: proto.Int32(1), Dims: []int64{1, 2, 1, 1}, FloatData: []float32{0.5, -0.5}}}
	g.Input = append(g.Input, vi("bias", 1, 2, 1, 1))
	cond := &TensorProto{DataType: proto.Int32(9), Dims: []int64{}, Int32Data: []int32{1}}
	branch := func(name, op string) *GraphProto {
		return &GraphProto{
			Name:   proto.String(name),
			Node:   []*NodeProto{node(name+"_n", op, []string{"sum"}, []string{name + "_out"})},
			Output: []*ValueInfoProto{vi(name+"_out", 1, 2, 4, 4)},
		}
	}
	relu := node("relu", "Relu", []string{"x"}, []string{"r"})
	relu.DocString = proto.String("node doc")
	relu.MetadataProps = []*StringStringEntryProto{{Key: proto.String("nk"), Value: proto.String("nv")}}
	g.Node = []*NodeProto{
		relu,
		node("add", "Add", []string{"r", "bias"}, []string{"sum"}),
		node("cond", "Constant", nil, []string{"c"}, &AttributeProto{Name: proto.String("value"), Type: proto.Int32(4), T: cond}),
		node("if", "If", []string{"c"}, []string{"y"},
			&AttributeProto{Name: proto.String("then_branch"), Type: proto.Int32(5), G: branch("then", "Relu")},
			&AttributeProto{Name: proto.String("else_branch"), Type: proto.Int32(5), G: branch("else", "Neg")}),
		// Old-IR attribute without a type field.
		node("lrelu", "LeakyRelu", []string{"y"}, []string{"z"}, &AttributeProto{Name: proto.String("alpha"), F: proto.Float32(0.25)}),
		{Name: proto.String("fn"), OpType: proto.String("Twice"), Domain: proto.String("org.example.fn"), Input: []string{"z"}, Output: []string{"w"}},
		node("seq", "SequenceConstruct", []string{"w", "z"}, []string{"s"}),
	}
	g.ValueInfo = []*ValueInfoProto{vi("r", 1, 2, 4, 4), vi("sum", 1, 2, 4, 4)}
	g.ValueInfo[0].DocString = proto.String("r doc")
	seqType := &TypeProto{Value: &TypeProto_SequenceType{SequenceType: &TypeProto_Sequence{ElemType: vi("", 1, 2, 4, 4).Type}}}
	g.Output = []*ValueInfoProto{vi("w", 1, 2, 4, 4), {Name: proto.String("s"), Type: seqType}}
	return m
}

func TestRichModelRoundTrip(t *testing.T) {
	data := marshal(t, richModel())
	m, err := Decode(data, "rich.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	bias := g.Lookup("bias")
	if bias == nil || !bias.IsInput || bias.Const == nil || bias.IsConst() {
		t.Fatalf("bias should be a graph input with a default: %+v", bias)
	}
	if a := g.Nodes[4].Attr("alpha"); a == nil || a.Type != ir.AttrFloat || a.F != 0.25 {
		t.Fatalf("untyped attribute: %+v", a)
	}
	ifn := g.Nodes[3]
	if ifn.OpType != "If" || len(ifn.Subgraphs()) != 2 || ifn.Subgraphs()[0].Nodes[0].Inputs[0] != g.Lookup("sum") {
		t.Fatalf("If branch should read the outer value sum")
	}
	if s := g.Lookup("s"); s.Type.Kind != ir.KindSequence || s.Type.Elem == nil || !s.Type.Elem.Static() {
		t.Fatalf("sequence output type: %s", s.Type)
	}
	if r := g.Lookup("r"); !r.HasInfo || r.Doc != "r doc" || !r.Type.Static() {
		t.Fatalf("value_info of r lost: %+v", r)
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(out, "rich2.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(m, m2); d != "" {
		t.Fatal(d)
	}
	// Field-level checks on the exported protobuf.
	var mp ModelProto
	if err := proto.Unmarshal(out, &mp); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"doc", mp.GetDocString(), "model doc"},
		{"domain", mp.GetDomain(), "org.example"},
		{"model_version", mp.GetModelVersion(), int64(3)},
		{"metadata", mp.MetadataProps[0].GetValue(), "v"},
		{"functions", len(mp.Functions), 1},
		{"graph doc", mp.Graph.GetDocString(), "graph doc"},
		{"graph metadata", mp.Graph.MetadataProps[0].GetKey(), "gk"},
		{"node doc", mp.Graph.Node[0].GetDocString(), "node doc"},
		{"node metadata", mp.Graph.Node[0].MetadataProps[0].GetValue(), "nv"},
		{"inputs", len(mp.Graph.Input), 2},
		{"initializers", len(mp.Graph.Initializer), 1},
		{"value_info", len(mp.Graph.ValueInfo), 2},
		{"opsets", len(mp.OpsetImport), 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestTestdataRoundTrip round-trips every model under testdata/ through
// Load -> Save -> Load.
func TestTestdataRoundTrip(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".onnx") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no models under testdata/: %v", err)
	}
	for _, f := range files {
		m, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.onnx")
		if err := Save(m, out); err != nil {
			t.Fatal(err)
		}
		m2, err := Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if d := modelDiff(m, m2); d != "" {
			t.Errorf("%s: %s", f, d)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	m, err := Decode(marshal(t, goodModel()), "good.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	err = Save(m, filepath.Join(t.TempDir(), "missing-dir", "out.onnx"))
	if err == nil || !strings.Contains(err.Error(), "out.onnx") {
		t.Fatalf("save into a missing folder: %v", err)
	}
	// A fused op without an expansion cannot be exported.
	m.Graph.Nodes[0].Domain = ir.FusedDomain
	m.Graph.Nodes[0].OpType = "NoSuchFusedOp"
	if _, err := Encode(m); err == nil || !strings.Contains(err.Error(), `node "relu"`) || !strings.Contains(err.Error(), "NoSuchFusedOp") {
		t.Fatalf("encode with an unknown fused op: %v", err)
	}
	if !SameFile("../testdata/repvgg_mobileone_tiny.onnx", "../testdata/../testdata/repvgg_mobileone_tiny.onnx") {
		t.Error("SameFile misses the same file")
	}
	if _, err := os.Stat("../testdata/repvgg_mobileone_tiny.onnx"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDecode measures importing the testdata model (with Verify).
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("../testdata/repvgg_mobileone_tiny.onnx")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, "tiny.onnx", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode measures exporting the testdata model.
func BenchmarkEncode(b *testing.B) {
	m, err := Load("../testdata/repvgg_mobileone_tiny.onnx")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSaveExternalData lowers the size threshold so that Save writes the
// testdata model's large initializers to MODEL.data, then loads it back.
func TestSaveExternalData(t *testing.T) {
	old := externalThreshold
	externalThreshold = 0
	defer func() { externalThreshold = old }()
	m, err := Load("../testdata/repvgg_mobileone_tiny.onnx")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "ext.onnx")
	if err := Save(m, out); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out + ".data")
	if err != nil {
		t.Fatalf("no external data file: %v", err)
	}
	// The 3x3 convs of the stage (8*8*3*3*4 = 2304 bytes) are at least 1 KiB.
	if st.Size() < 2304 {
		t.Fatalf("external data file has %d bytes", st.Size())
	}
	var mp ModelProto
	data, _ := os.ReadFile(out)
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	ext := 0
	for _, tp := range mp.Graph.Initializer {
		if tp.GetDataLocation() == dataLocationExternal {
			ext++
		}
	}
	if ext == 0 {
		t.Fatal("no initializer was moved to external data")
	}
	m2, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(m, m2); d != "" {
		t.Fatal(d)
	}
}

// TestEncodeExpandsFused exports a model holding mconv's fused SiLU: the
// file has only standard ops (Sigmoid, Mul) and no mconv opset, and the
// model in memory keeps its fused node.
func TestEncodeExpandsFused(t *testing.T) {
	m, err := Decode(marshal(t, goodModel()), "good.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	n := m.Graph.Nodes[0]
	n.Domain, n.OpType = ir.FusedDomain, "SiLU"
	m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
	data, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(data, "expanded.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range m2.Graph.Nodes {
		if n.Domain != "" {
			t.Errorf("exported node %s in domain %q", n, n.Domain)
		}
		ops[n.OpType]++
	}
	if ops["Sigmoid"] != 1 || ops["Mul"] != 1 || len(ops) != 2 {
		t.Errorf("SiLU expanded to %v, want one Sigmoid and one Mul", ops)
	}
	if m2.Opset(ir.FusedDomain) != 0 {
		t.Error("exported model still imports the mconv opset")
	}
	if m.Graph.Nodes[0].OpType != "SiLU" || m.Opset(ir.FusedDomain) != 1 {
		t.Error("Encode changed the model in memory")
	}
	if m2.Graph.Outputs[0].Name != "y" {
		t.Errorf("output renamed to %q", m2.Graph.Outputs[0].Name)
	}
}

// TestConstantsAndSparse covers every form of the Constant op (value,
// value_float(s), value_int(s), value_string(s), sparse_value) and sparse
// initializers with linear and [NNZ, rank] indices: they import (Constant
// nodes stay nodes), the sparse initializers densify to the values worked
// out by hand, and the model round-trips with its sparse form kept.
func TestConstantsAndSparse(t *testing.T) {
	m := goodModel()
	g := m.Graph
	i64 := func(dims []int64, v ...int64) *TensorProto {
		return &TensorProto{DataType: proto.Int32(7), Dims: dims, Int64Data: v}
	}
	f32 := func(name string, v ...float32) *TensorProto {
		return &TensorProto{Name: proto.String(name), DataType: proto.Int32(1), Dims: []int64{int64(len(v))}, FloatData: v}
	}
	konst := func(out string, a *AttributeProto) *NodeProto {
		return node("const_"+out, "Constant", nil, []string{out}, a)
	}
	g.Node = append(g.Node,
		konst("c_value", &AttributeProto{Name: proto.String("value"), Type: proto.Int32(4), T: f32("", 1, 2)}),
		konst("c_float", &AttributeProto{Name: proto.String("value_float"), Type: proto.Int32(1), F: proto.Float32(0.5)}),
		konst("c_floats", &AttributeProto{Name: proto.String("value_floats"), Type: proto.Int32(6), Floats: []float32{1, 2, 3}}),
		konst("c_int", &AttributeProto{Name: proto.String("value_int"), Type: proto.Int32(2), I: proto.Int64(7)}),
		konst("c_ints", &AttributeProto{Name: proto.String("value_ints"), Type: proto.Int32(7), Ints: []int64{4, 5}}),
		konst("c_string", &AttributeProto{Name: proto.String("value_string"), Type: proto.Int32(3), S: []byte("hi")}),
		konst("c_strings", &AttributeProto{Name: proto.String("value_strings"), Type: proto.Int32(8), Strings: [][]byte{[]byte("a"), []byte("b")}}),
		konst("c_sparse", &AttributeProto{Name: proto.String("sparse_value"), Type: proto.Int32(11),
			SparseTensor: &SparseTensorProto{Values: f32("", 9), Indices: i64([]int64{1}, 2), Dims: []int64{4}}}),
		node("use", "Add", []string{"lin", "coo"}, []string{"sum"}),
	)
	g.SparseInitializer = []*SparseTensorProto{
		// 2x3 with 5 at linear index 4 (row 1, col 1) and 6 at index 0.
		{Values: f32("lin", 5, 6), Indices: i64([]int64{2}, 4, 0), Dims: []int64{2, 3}},
		// Same shape, [NNZ, rank] indices: 7 at (0, 2).
		{Values: f32("coo", 7), Indices: i64([]int64{1, 2}, 0, 2), Dims: []int64{2, 3}},
	}
	g.Output = append(g.Output, vi("sum", 2, 3))
	im, err := Decode(marshal(t, m), "consts.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	consts := 0
	for _, n := range im.Graph.Nodes {
		if n.OpType == "Constant" {
			consts++
		}
	}
	if consts != 8 {
		t.Errorf("%d Constant nodes kept, want 8", consts)
	}
	want := map[string][]float32{"lin": {6, 0, 0, 0, 5, 0}, "coo": {0, 0, 7, 0, 0, 0}}
	for name, w := range want {
		f, err := im.Graph.Lookup(name).Const.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if f[i] != w[i] {
				t.Fatalf("%s densified to %v, want %v", name, f, w)
			}
		}
	}
	out, err := Encode(im)
	if err != nil {
		t.Fatal(err)
	}
	var mp ModelProto
	if err := proto.Unmarshal(out, &mp); err != nil {
		t.Fatal(err)
	}
	if len(mp.Graph.SparseInitializer) != 2 || len(mp.Graph.Initializer) != 0 {
		t.Errorf("exported %d sparse and %d dense initializers, want 2 and 0", len(mp.Graph.SparseInitializer), len(mp.Graph.Initializer))
	}
	im2, err := Decode(out, "consts2.onnx", "")
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(im, im2); d != "" {
		t.Fatal(d)
	}
	// Bad sparse data.
	bad := []struct {
		sp   *SparseTensorProto
		want string
	}{
		{&SparseTensorProto{Values: f32("s", 1), Indices: i64([]int64{1}, 6), Dims: []int64{2, 3}}, "sparse index 6 out of range"},
		{&SparseTensorProto{Values: f32("s", 1), Indices: i64([]int64{1, 2}, 0, 3), Dims: []int64{2, 3}}, "sparse index 3 out of range for dimension 1"},
		{&SparseTensorProto{Values: f32("s", 1), Dims: []int64{2}}, "without values or indices"},
		{&SparseTensorProto{Values: f32("s", 1), Indices: i64([]int64{1}, 0), Dims: []int64{1 << 20, 1 << 20}}, "too large"},
	}
	for _, c := range bad {
		m := goodModel()
		m.Graph.SparseInitializer = []*SparseTensorProto{c.sp}
		_, err := Decode(marshal(t, m), "sparse.onnx", "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// TestInferAttrType: attributes written without a type field (allowed
// before IR 3 writers set it) get the type of the field that is set.
func TestInferAttrType(t *testing.T) {
	cases := []struct {
		ap   *AttributeProto
		want ir.AttrType
	}{
		{&AttributeProto{F: proto.Float32(0)}, ir.AttrFloat},
		{&AttributeProto{I: proto.Int64(0)}, ir.AttrInt},
		{&AttributeProto{S: []byte{}}, ir.AttrString},
		{&AttributeProto{T: &TensorProto{}}, ir.AttrTensor},
		{&AttributeProto{G: &GraphProto{}}, ir.AttrGraph},
		{&AttributeProto{SparseTensor: &SparseTensorProto{}}, ir.AttrSparseTensor},
		{&AttributeProto{Tp: &TypeProto{}}, ir.AttrTypeProto},
		{&AttributeProto{Floats: []float32{1}}, ir.AttrFloats},
		{&AttributeProto{Ints: []int64{1}}, ir.AttrInts},
		{&AttributeProto{Strings: [][]byte{nil}}, ir.AttrStrings},
		{&AttributeProto{Tensors: []*TensorProto{{}}}, ir.AttrTensors},
		{&AttributeProto{Graphs: []*GraphProto{{}}}, ir.AttrGraphs},
		{&AttributeProto{SparseTensors: []*SparseTensorProto{{}}}, ir.AttrSparseTensors},
		{&AttributeProto{TypeProtos: []*TypeProto{{}}}, ir.AttrTypeProtos},
		{&AttributeProto{}, ir.AttrUndefined},
	}
	for _, c := range cases {
		// Through the wire, as a file would carry it.
		var ap AttributeProto
		if err := proto.Unmarshal(marshal(t, c.ap), &ap); err != nil {
			t.Fatal(err)
		}
		if got := inferAttrType(&ap); got != c.want {
			t.Errorf("%v: inferred %s, want %s", c.ap, got, c.want)
		}
	}
}
