package onnx

import (
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// TestVersionBounds checks the accepted IR version and opset ranges at
// their edges: the newest accepted version imports, the next one is refused
// with a message that names the version, the range and that mconv is too
// old. The bounds are those of the package comment: IR 3..14, and per
// domain the newest opset of the generated schema table (onnx 1.23.2:
// ai.onnx 28, ai.onnx.ml 5), written here by hand so that a silent change of
// the table shows up.
func TestVersionBounds(t *testing.T) {
	if MinIRVersion != 3 || MaxIRVersion != 14 || MinOpset != 1 {
		t.Fatalf("bounds are IR %d..%d, opset from %d; the README and package comment say IR 3..14, opset from 1", MinIRVersion, MaxIRVersion, MinOpset)
	}
	if v := ir.SchemaOpsetVersions[""]; v != 28 {
		t.Fatalf("newest ai.onnx opset in the schema table is %d, want 28 (onnx 1.23.2)", v)
	}
	mlModel := func(opset int64) *ModelProto {
		m := goodModel()
		m.OpsetImport = append(m.OpsetImport, &OperatorSetIdProto{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(opset)})
		m.Graph.Node = []*NodeProto{node("norm", "Normalizer", []string{"x"}, []string{"y"},
			&AttributeProto{Name: proto.String("norm"), Type: proto.Int32(3), S: []byte("MAX")})}
		m.Graph.Node[0].Domain = proto.String("ai.onnx.ml")
		m.Graph.Input[0] = vi("x", 2, 3)
		m.Graph.Output[0] = vi("y", 2, 3)
		return m
	}
	cases := []struct {
		name string
		m    func() *ModelProto
		want string // "" = imports
	}{
		{"IR 3", func() *ModelProto { m := goodModel(); m.IrVersion = proto.Int64(3); return m }, ""},
		{"IR 14", func() *ModelProto { m := goodModel(); m.IrVersion = proto.Int64(14); return m }, ""},
		{"IR 15", func() *ModelProto { m := goodModel(); m.IrVersion = proto.Int64(15); return m }, "ONNX IR version 15 not supported (mconv reads IR versions 3 to 14)"},
		{"IR 2", func() *ModelProto { m := goodModel(); m.IrVersion = proto.Int64(2); return m }, "ONNX IR version 2 not supported (mconv reads IR versions 3 to 14)"},
		{"opset 1", func() *ModelProto { m := goodModel(); m.OpsetImport[0].Version = proto.Int64(1); return m }, ""},
		{"opset 28", func() *ModelProto { m := goodModel(); m.OpsetImport[0].Version = proto.Int64(28); return m }, ""},
		{"opset 29", func() *ModelProto { m := goodModel(); m.OpsetImport[0].Version = proto.Int64(29); return m }, "opset 29 of the default domain is newer than the newest this mconv knows (28); update mconv"},
		{"opset 0", func() *ModelProto { m := goodModel(); m.OpsetImport[0].Version = proto.Int64(0); return m }, "opset 0 of the default domain not supported (mconv reads opsets 1 to 28)"},
		{"ai.onnx opset 29 spelled ai.onnx", func() *ModelProto {
			m := goodModel()
			m.OpsetImport[0].Domain = proto.String("ai.onnx")
			m.OpsetImport[0].Version = proto.Int64(29)
			return m
		}, "newer than the newest this mconv knows (28)"},
		{"ai.onnx.ml opset 5", func() *ModelProto { return mlModel(5) }, ""},
		{"ai.onnx.ml opset 6", func() *ModelProto { return mlModel(6) }, `opset 6 of domain "ai.onnx.ml" is newer than the newest this mconv knows (5); update mconv`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(marshal(t, c.m()), "v.onnx", "")
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("imported; want an error containing %q", c.want)
			case c.want != "" && !strings.HasPrefix(err.Error(), "v.onnx: ") || c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q; want the file name and %q", err, c.want)
			}
		})
	}
}
