package coreml

import (
	"fmt"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
)

// TestResizeGatherRoundTrip: Resize in the sampling modes exported
// networks use, with sizes that are not integer multiples, and Gather /
// GatherND with constant indices on computed data (a scalar index too),
// pick the MIL op whose documented grid matches ONNX's and, written to
// either format and read back, compute in the Go runtime what the ONNX
// node computes there (the runtime's Resize, Gather and GatherND are
// checked against the ONNX backend tests in runtime/engine). The MIL op
// chosen is checked too (the grids are stated in lower_resize.go).
func TestResizeGatherRoundTrip(t *testing.T) {
	resize := func(mode, ctm string, sizes ...int64) func(b *builder, x *ir.Value) *ir.Value {
		return func(b *builder, x *ir.Value) *ir.Value {
			return b.op("Resize", []*ir.Value{x, nil, nil, b.i64(sizes...)}, astr("mode", mode),
				astr("coordinate_transformation_mode", ctm), astr("nearest_mode", "floor"))
		}
	}
	for _, tc := range []struct {
		name  string
		milOp string
		mk    func(b *builder, x *ir.Value) *ir.Value
	}{
		{"linear half_pixel 9x8->13x11", "upsample_bilinear", resize("linear", "half_pixel", 1, 3, 13, 11)},
		{"linear pytorch_half_pixel 9x8->18x16", "upsample_bilinear", resize("linear", "pytorch_half_pixel", 1, 3, 18, 16)},
		{"linear align_corners 9x8->13x11", "resize_bilinear", resize("linear", "align_corners", 1, 3, 13, 11)},
		{"linear asymmetric 9x8->13x11", "resize_bilinear", resize("linear", "asymmetric", 1, 3, 13, 11)},
		{"nearest asymmetric floor 9x8->13x11", "resize_nearest_neighbor", resize("nearest", "asymmetric", 1, 3, 13, 11)},
		{"nearest asymmetric floor x2", "upsample_nearest_neighbor", resize("nearest", "asymmetric", 1, 3, 18, 16)},
		{"gather scalar index", "gather", func(b *builder, x *ir.Value) *ir.Value {
			return b.op("Gather", []*ir.Value{x, b.g.AddConst(b.name("i"), ir.NewInt64(nil, []int64{-2}))}, aint("axis", 2))
		}},
		{"gather 2-D indices", "gather", func(b *builder, x *ir.Value) *ir.Value {
			return b.op("Gather", []*ir.Value{x, b.g.AddConst(b.name("i"), ir.NewInt64([]int64{2, 2}, []int64{7, 0, -1, 3}))}, aint("axis", 3))
		}},
		{"gathernd", "gather_nd", func(b *builder, x *ir.Value) *ir.Value {
			return b.op("GatherND", []*ir.Value{x, b.g.AddConst(b.name("i"), ir.NewInt64([]int64{4, 2}, []int64{0, 2, 0, 0, 0, 1, 0, -1}))})
		}},
	} {
		mk := func() *ir.Model {
			b := newBuilder(9)
			x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 9, 8))
			return b.model(b.op("Relu", []*ir.Value{tc.mk(b, x)}))
		}
		src := mk()
		l, err := lower(mk(), &Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		found := false
		for _, o := range l.ops {
			found = found || o.typ == tc.milOp
		}
		if !found {
			t.Errorf("%s: no MIL op %s", tc.name, tc.milOp)
		}
		in := randInput(src, 3)
		want := runModel(t, src, in)
		for _, format := range []string{"mlprogram", "neuralnetwork"} {
			for _, fp16 := range []bool{false, true} {
				label := fmt.Sprintf("%s %s fp16=%v", tc.name, format, fp16)
				back, err := roundTrip(mk(), format, fp16, nil)
				if err != nil {
					t.Errorf("%s: %v", label, err)
					continue
				}
				got := runModel(t, back, in)
				tol := tolFP32
				if fp16 {
					tol = tolFP16
				}
				for _, o := range src.Graph.Outputs {
					if r := golden.Compare(got[o.Name], want[o.Name], tol); !r.OK() {
						t.Errorf("%s: %s", label, r)
					}
				}
			}
		}
	}
}

// TestNeuralNetworkUpsampleSpecVersion: a bilinear upsample layer's
// linearUpsampleMode is read by Core ML from specification version 5
// (iOS 14) on (NeuralNetwork.proto; coremltools' builder raises the
// version for it), so a model with one is written as version 5;
// align_corners (a resizeBilinear layer) and nearest upsampling stay
// version 4.
func TestNeuralNetworkUpsampleSpecVersion(t *testing.T) {
	for _, tc := range []struct {
		mode, ctm string
		want      int32
	}{{"linear", "half_pixel", 5}, {"linear", "align_corners", 4}, {"nearest", "asymmetric", 4}} {
		b := newBuilder(10)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 4, 4))
		y := b.op("Resize", []*ir.Value{x, nil, b.g.AddConst("scales", ir.NewFloat32([]int64{4}, []float32{1, 1, 2, 2}))},
			astr("mode", tc.mode), astr("coordinate_transformation_mode", tc.ctm), astr("nearest_mode", "floor"))
		s, err := ConvertNeuralNetwork(b.model(y), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.SpecificationVersion != tc.want {
			t.Errorf("%s %s: specification version %d, want %d", tc.mode, tc.ctm, s.SpecificationVersion, tc.want)
		}
	}
}
