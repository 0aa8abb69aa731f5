package coreml

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
)

// TestNormPadFixtures: the normalization and padding fixtures of
// testdata/normpad (tools/reference/export_coreml_fixtures.py: PyTorch
// modules exported by both exporters with PyTorch's outputs, and ONNX
// graphs with ONNX Runtime's) convert to ML Program and NeuralNetwork, fp32
// and fp16, as exported and fused; read back and run in the Go runtime they
// reproduce the stored outputs.
func TestNormPadFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "normpad", "*", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "normpad", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, more...)
	if len(paths) < 12 {
		t.Fatalf("found %d fixtures under testdata/normpad, want at least 12", len(paths))
	}
	for _, p := range paths {
		m, err := onnx.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		sets, err := filepath.Glob(filepath.Join(filepath.Dir(p), "test_data_set_*"))
		if err != nil || len(sets) == 0 {
			t.Fatalf("%s: no data set beside it", p)
		}
		label := strings.TrimPrefix(filepath.Dir(p), filepath.Join("testdata", "normpad")+string(filepath.Separator))
		checkRoundTrip(t, label, m, sets)
		fused := ir.CloneModel(m)
		if _, err := passes.Run(fused, passes.Options{}); err != nil {
			t.Fatalf("%s: passes: %v", label, err)
		}
		checkRoundTrip(t, label+" fused", fused, sets)
	}
}

// TestNormPadErrors: what Core ML cannot express fails naming the node,
// the op and the reason.
func TestNormPadErrors(t *testing.T) {
	pads := func(p ...int64) func(b *builder) []*ir.Value {
		return func(b *builder) []*ir.Value { return []*ir.Value{b.i64(p...)} }
	}
	lnStats := func() *ir.Model {
		b := newBuilder(3)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
		n := b.g.AddNode("LayerNormalization", "ln", []*ir.Value{x, b.w(8)}, "y", "mean")
		return b.model(n.Outputs[0], n.Outputs[1])
	}
	dynScale := func() *ir.Model {
		b := newBuilder(4)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
		s := b.g.AddInput("s", ir.TensorOf(ir.Float32, 3))
		n := b.g.AddNode("InstanceNormalization", "in", []*ir.Value{x, s, b.w(3)}, "y")
		return b.model(n.Outputs[0])
	}
	cases := []struct {
		name string
		m    *ir.Model
		want string
	}{
		{"pad wrap", oneOp("Pad", "", pads(0, 0, 1, 1, 0, 0, 1, 1), astr("mode", "wrap")), `node "the_node" (Pad): mode "wrap": not supported`},
		{"pad reflect channels", oneOp("Pad", "", pads(0, 1, 0, 0, 0, 1, 0, 0), astr("mode", "reflect")),
			`node "the_node" (Pad): mode "reflect" pads [0 1 0 0 0 1 0 0]: Core ML pads only the last two axes in this mode: not supported`},
		{"pad reflect too far", oneOp("Pad", "", pads(0, 0, 8, 0, 0, 0, 0, 0), astr("mode", "reflect")),
			`node "the_node" (Pad): mode "reflect" pads (8, 0) on axis 2 of size 8: Core ML allows at most 7: not supported`},
		{"pad crops everything", oneOp("Pad", "", pads(0, 0, -4, 0, 0, 0, -4, 0)),
			`node "the_node" (Pad): pads [0 0 -4 0 0 0 -4 0] leave nothing of axis 2 (size 8): not supported`},
		{"pad count", oneOp("Pad", "", pads(1, 1)), `node "the_node" (Pad): pads [1 1] for rank 4: want 8 entries`},
		{"layer norm statistics used", lnStats(), `node "ln" (LayerNormalization): output 1 (mean) is used; only the normalized tensor is converted: not supported`},
		{"instance norm scale computed", dynScale(), `node "in" (InstanceNormalization): scale and B (inputs 1, 2) must be constants of 3 elements: not supported`},
		{"group norm groups", oneOp("GroupNormalization", "", func(b *builder) []*ir.Value { return []*ir.Value{b.w(2), b.w(2)} }, aint("num_groups", 2)),
			`node "the_node" (GroupNormalization): num_groups 2 does not divide 3 channels`},
		{"group norm params", oneOp("GroupNormalization", "", func(b *builder) []*ir.Value { return []*ir.Value{b.w(2), b.w(2)} }, aint("num_groups", 3)),
			`node "the_node" (GroupNormalization): scale and bias must be constants of 3 (per group) or 3 (per channel) elements: not supported`},
		{"lp norm p 1", oneOp("LpNormalization", "", nil, aint("p", 1)), `node "the_node" (LpNormalization): p=1: only the L2 norm is converted: not supported`},
		{"instance norm rank 2", func() *ir.Model {
			b := newBuilder(6)
			x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 2, 3))
			return b.model(b.g.AddNode("InstanceNormalization", "in2", []*ir.Value{x, b.w(3), b.w(3)}, "y").Outputs[0])
		}(), `node "in2" (InstanceNormalization): input rank 2: instance_norm needs [N, C, spatial...]: not supported`},
	}
	for _, c := range cases {
		for _, nn := range []bool{false, true} {
			var err error
			if nn {
				_, err = ConvertNeuralNetwork(ir.CloneModel(c.m), Options{})
			} else {
				_, err = ConvertProgram(ir.CloneModel(c.m), Options{})
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (neuralnetwork %v):\n got %v\nwant %q", c.name, nn, err, c.want)
			}
		}
	}
}
