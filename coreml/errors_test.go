package coreml

import (
	"errors"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// oneOp builds input [1,3,8,8] -> op -> output.
func oneOp(op, domain string, extra func(b *builder) []*ir.Value, attrs ...*ir.Attr) *ir.Model {
	b := newBuilder(7)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
	in := []*ir.Value{x}
	if extra != nil {
		in = append(in, extra(b)...)
	}
	n := b.g.AddNode(op, "the_node", in, "y")
	n.Domain = domain
	n.Attrs = attrs
	return b.model(n.Outputs[0])
}

func TestConvertErrors(t *testing.T) {
	symbolic := func() *ir.Model {
		b := newBuilder(8)
		x := b.g.AddInput("x", ir.Type{Kind: ir.KindTensor, DType: ir.Float32, HasShape: true, Shape: ir.Shape{{Size: 1}, {Size: 3}, {Size: -1, Param: "h"}, {Size: 8}}})
		return b.model(b.op("Relu", []*ir.Value{x}))
	}
	dynConv := func() *ir.Model {
		b := newBuilder(9)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
		w := b.g.AddInput("w", ir.TensorOf(ir.Float32, 4, 3, 1, 1))
		n := b.g.AddNode("Conv", "dyn_conv", []*ir.Value{x, w}, "y")
		return b.model(n.Outputs[0])
	}
	twoInputs := func() *ir.Model {
		b := newBuilder(10)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
		z := b.g.AddInput("z", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
		return b.model(b.op("Add", []*ir.Value{x, z}))
	}
	img := &ImageInput{ColorSpace: "rgb", Scale: 1}
	cases := []struct {
		name        string
		m           *ir.Model
		opt         Options
		nn          bool
		want        string
		unsupported bool
	}{
		{"unknown op", oneOp("LSTM", "", nil), Options{}, false, `node "the_node" (LSTM): op LSTM has no Core ML mapping in mconv: not supported`, true},
		{"unknown op nn", oneOp("Einsum", "", nil), Options{}, true, `node "the_node" (Einsum): op Einsum has no Core ML mapping`, true},
		{"foreign domain", oneOp("Relu", "com.microsoft", nil), Options{}, false, `node "the_node" (Relu): op domain "com.microsoft": not supported`, true},
		{"unknown fused op", oneOp("Frob", ir.FusedDomain, nil), Options{}, false, `node "the_node" (Frob): op Frob has no Core ML mapping`, true},
		{"conv weight not constant", dynConv(), Options{}, false, `node "dyn_conv" (Conv): weight must be a constant: not supported`, true},
		{"3-D pooling", oneOp("MaxPool", "", nil, ints("kernel_shape", 2, 2, 2)), Options{}, false, `node "the_node" (MaxPool): kernel_shape [2 2 2]: want 2 values`, false},
		{"gelu approximation", oneOp("Gelu", "", nil, astr("approximate", "fast")), Options{}, false, `node "the_node" (Gelu): Gelu approximate="fast": not supported`, true},
		{"negative slice step", oneOp("Slice", "", func(b *builder) []*ir.Value { return []*ir.Value{b.i64(5), b.i64(0), b.i64(3), b.i64(-1)} }), Options{},
			false, `node "the_node" (Slice): step -1: only positive steps are supported`, true},
		{"symbolic dim", symbolic(), Options{}, false, `input "x": dimension 2 (h) is symbolic; give a size with --input-shape`, false},
		{"bad input shape override", oneOp("Relu", "", nil), Options{InputShapes: map[string][]int64{"x": {1, 3, 8}}}, false, `input "x": shape [1 3 8] given, but the model says rank 4`, false},
		{"bad target", oneOp("Relu", "", nil), Options{Target: "iOS14"}, false, `unknown target "iOS14" (want one of iOS15, iOS16, iOS17, iOS18)`, false},
		{"target on neural network", oneOp("Relu", "", nil), Options{Target: "iOS16"}, true, `target "iOS16" applies to ML Programs only`, false},
		{"image color space", oneOp("Relu", "", nil), Options{Image: &ImageInput{ColorSpace: "yuv", Scale: 1}}, false, `image input color space "yuv": want rgb or bgr`, false},
		{"image scale zero", oneOp("Relu", "", nil), Options{Image: &ImageInput{ColorSpace: "rgb"}}, false, `image input scale 0: want a finite non-zero number`, false},
		{"image two inputs", twoInputs(), Options{Image: img}, false, `--image-input needs a model with exactly one input, this one has 2`, false},
		{"image wrong channels", oneOp("Relu", "", nil), Options{Image: img, InputShapes: map[string][]int64{"x": {1, 3, 8, 8}}}, false, "", false},
		{"nn ceil pool", oneOp("AveragePool", "", nil, ints("kernel_shape", 3, 3), ints("strides", 2, 2), aint("ceil_mode", 1)), Options{}, true,
			`node "the_node" (AveragePool): MIL op avg_pool: ceil_mode pooling with output [1 3 4 4] (floor mode gives 3 on axis 2): not supported`, true},
	}
	for _, c := range cases {
		var err error
		if c.nn {
			_, err = ConvertNeuralNetwork(c.m, c.opt)
		} else {
			_, err = ConvertProgram(c.m, c.opt)
		}
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.name, err, c.want)
			continue
		}
		if errors.Is(err, errUnsupported) != c.unsupported {
			t.Errorf("%s: errors.Is(err, errUnsupported) = %v", c.name, !c.unsupported)
		}
	}
}
