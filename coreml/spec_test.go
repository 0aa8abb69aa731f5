package coreml

import (
	"regexp"
	"testing"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// milIdent is the MIL identifier syntax (coremltools'
// converters/mil/mil/var.py and the milproto loader accept names of this
// form): a letter or underscore, then letters, digits, underscores or @.
var milIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_@]*$`)

// TestFP16ComputesInFloat16: with FP16 the program takes and returns
// float32 (the features are FLOAT32 multi-arrays), casts the input to
// float16 once, computes every op in float16 and casts each output back:
// the only float32 values are the function inputs and the final casts.
func TestFP16ComputesInFloat16(t *testing.T) {
	for name, mk := range zoo() {
		p, err := ConvertProgram(mk(), Options{FP16: true})
		if err != nil {
			t.Fatal(err)
		}
		fn := p.Spec.GetMlProgram().Functions["main"]
		outs := map[string]bool{}
		for _, o := range fn.BlockSpecializations[fn.Opset].Outputs {
			outs[o] = true
		}
		for _, in := range fn.Inputs {
			if dt := in.Type.GetTensorType().GetDataType(); dt != pb.DataType_FLOAT32 {
				t.Errorf("%s: function input %s is %s, want FLOAT32", name, in.Name, dt)
			}
		}
		casts, computed := 0, 0
		for _, op := range fn.BlockSpecializations[fn.Opset].Operations {
			for _, o := range op.Outputs {
				dt := o.Type.GetTensorType().GetDataType()
				if dt != pb.DataType_FLOAT32 && dt != pb.DataType_FLOAT16 {
					continue // shapes, axes, strings
				}
				switch {
				case op.Type == "cast" && outs[o.Name]:
					casts++
					if dt != pb.DataType_FLOAT32 {
						t.Errorf("%s: output cast %s is %s", name, o.Name, dt)
					}
				case dt != pb.DataType_FLOAT16:
					t.Errorf("%s: %s op %s computes in %s, want FLOAT16", name, op.Type, o.Name, dt)
				case op.Type != "const":
					computed++
				}
			}
		}
		if casts != len(outs) || computed == 0 {
			t.Errorf("%s: %d output casts for %d outputs, %d float16 ops", name, casts, len(outs), computed)
		}
	}
}

// TestFeatureNamesAreMILIdentifiers: inputs and outputs keep their ONNX
// names made MIL identifiers (checked with an independent regexp), the
// originals are recorded in the metadata, and two ONNX names that sanitize
// alike still give distinct features (or a clear error).
func TestFeatureNamesAreMILIdentifiers(t *testing.T) {
	b := newBuilder(21)
	x := b.g.AddInput("input.1", ir.TensorOf(ir.Float32, 1, 3, 4, 4))
	z := b.g.AddInput("input_1", ir.TensorOf(ir.Float32, 1, 3, 4, 4))
	y := b.op("Add", []*ir.Value{x, z})
	r := b.g.AddNode("Relu", "relu", []*ir.Value{y}, "logits:0")
	m := b.model(r.Outputs[0])
	writeOut(t, "names_collision", m) // for xcheck_coreml.py
	for _, format := range []string{"mlprogram", "neuralnetwork"} {
		var d *pb.ModelDescription
		if format == "mlprogram" {
			p, err := ConvertProgram(ir.CloneModel(m), Options{})
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			d = p.Spec.Description
		} else {
			s, err := ConvertNeuralNetwork(ir.CloneModel(m), Options{})
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			d = s.Description
		}
		ud := d.Metadata.UserDefined
		seen := map[string]bool{}
		var orig []string
		for _, f := range append(append([]*pb.FeatureDescription{}, d.Input...), d.Output...) {
			if !milIdent.MatchString(f.Name) {
				t.Errorf("%s: feature %q is not a MIL identifier", format, f.Name)
			}
			if seen[f.Name] {
				t.Errorf("%s: feature name %q used twice", format, f.Name)
			}
			seen[f.Name] = true
			o := ud["mconv.input."+f.Name]
			if o == "" {
				o = ud["mconv.output."+f.Name]
			}
			orig = append(orig, o)
		}
		if len(orig) != 3 || orig[0] != "input.1" || orig[1] != "input_1" || orig[2] != "logits:0" {
			t.Errorf("%s: metadata names %q, want [input.1 input_1 logits:0]", format, orig)
		}
	}
}

// TestInputAlsoOutput: a graph input listed as a graph output becomes an
// identity of the input under its own feature name; read back and run it
// returns the input unchanged next to the computed output.
func TestInputAlsoOutput(t *testing.T) {
	mk := func() *ir.Model {
		b := newBuilder(22)
		x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 2, 3, 3))
		r := b.g.AddNode("Relu", "relu", []*ir.Value{x}, "y")
		return b.model(x, r.Outputs[0])
	}
	writeOut(t, "input_is_output", mk()) // for xcheck_coreml.py
	in := randInput(mk(), 3)
	xs, _ := in["x"].Float32s()
	for _, format := range []string{"mlprogram", "neuralnetwork"} {
		back, err := roundTrip(mk(), format, false, nil)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		got := runModel(t, back, in)
		gx, _ := got["x"].Float32s()
		gy, _ := got["y"].Float32s()
		if len(gx) != len(xs) || len(gy) != len(xs) {
			t.Fatalf("%s: outputs %v", format, got)
		}
		for i, v := range xs {
			if gx[i] != v || gy[i] != max(v, 0) {
				t.Fatalf("%s: element %d: x %v y %v, want %v %v", format, i, gx[i], gy[i], v, max(v, 0))
			}
		}
	}
}
