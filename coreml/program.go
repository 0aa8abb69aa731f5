package coreml

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/x448/float16"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// blobMinElements: float tensors with at least this many elements go to
// weight.bin, smaller ones are written inline (as coremltools does).
const blobMinElements = 10

// weightFile is how a program refers to its weight file.
const weightFile = "@model_path/weights/weight.bin"

// Package is a converted ML Program: the spec and the contents of
// weights/weight.bin.
type Package struct {
	Spec    *pb.Model
	Weights []byte
	// Target is the deployment target the spec is written for:
	// Options.Target, or MinTarget when that is empty.
	Target string
	// MinTarget is the lowest target that can express the graph: the
	// latest of iOS15 and the targets of Needs.
	MinTarget string
	// Needs lists, in node order, the nodes that need a target above iOS15
	// and why.
	Needs []TargetNeed
	// FP32 lists, in node order, the nodes of an fp16 program that compute
	// in float32 because their values exceed FP16SafeMax (Options.Ranges).
	FP32 []FP32Node
}

// ConvertProgram converts m to an ML Program for opt.Target, or when that
// is empty for the lowest target whose MIL opset expresses every op the
// graph lowers to (the lowerers table's targets, and the needs of
// attribute values and dtypes that their lowerings record).
func ConvertProgram(m *ir.Model, opt Options) (*Package, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	lw, err := lower(m, &opt)
	if err != nil {
		return nil, err
	}
	minTarget := iOS15
	for _, n := range lw.needs {
		if laterTarget(n.Target, minTarget) {
			minTarget = n.Target
		}
	}
	target := opt.Target
	if target == "" {
		target = minTarget
	}
	if err := checkTarget(lw.needs, target); err != nil {
		return nil, err
	}
	tv := Targets[target]
	bw := NewBlobWriter()
	block := &pb.Block{}
	for _, o := range lw.ops {
		block.Operations = append(block.Operations, o.proto(bw))
	}
	fn := &pb.Function{Opset: tv.Opset, BlockSpecializations: map[string]*pb.Block{tv.Opset: block}}
	for _, in := range lw.inputs {
		fn.Inputs = append(fn.Inputs, &pb.NamedValueType{Name: in.name, Type: valueType(in.dt, in.shape)})
	}
	for _, o := range lw.outputs {
		block.Outputs = append(block.Outputs, o.name)
	}
	spec := &pb.Model{
		SpecificationVersion: tv.SpecVersion,
		Description:          describe(lw, &opt, "mlprogram", target),
		Type:                 &pb.Model_MlProgram{MlProgram: &pb.Program{Version: 1, Functions: map[string]*pb.Function{"main": fn}}},
	}
	return &Package{Spec: spec, Weights: bw.Bytes(), Target: target, MinTarget: minTarget, Needs: lw.needs, FP32: lw.fp32}, nil
}

// checkTarget fails, naming the first node and op, when a need is later
// than target.
func checkTarget(needs []TargetNeed, target string) error {
	var over []TargetNeed
	for _, n := range needs {
		if laterTarget(n.Target, target) {
			over = append(over, n)
		}
	}
	if len(over) == 0 {
		return nil
	}
	n := over[0]
	why := ""
	if n.Why != "" {
		why = ": " + n.Why
	}
	more := ""
	if len(over) > 1 {
		more = fmt.Sprintf(" (and %d more nodes need more than %s)", len(over)-1, target)
	}
	return fmt.Errorf("node %q (%s): needs ML Program target %s or later (MIL opset %s%s), but the target is %s%s",
		n.Node, n.Op, n.Target, Targets[n.Target].Opset, why, target, more)
}

// describe builds the ModelDescription: features keep the sanitized ONNX
// names; metadata records the original names, the source and mconv.
func describe(lw *lowered, opt *Options, format, target string) *pb.ModelDescription {
	d := &pb.ModelDescription{Metadata: &pb.Metadata{
		ShortDescription: opt.Description, VersionString: opt.Version, Author: opt.Author, License: opt.License,
		UserDefined: map[string]string{"mconv.format": format},
	}}
	ud := d.Metadata.UserDefined
	if opt.Name != "" {
		ud["mconv.name"] = opt.Name
	}
	if opt.Source != "" {
		ud["mconv.source"] = opt.Source
	}
	if opt.MconvVersion != "" {
		ud["mconv.version"] = opt.MconvVersion
	}
	if target != "" {
		ud["mconv.target"] = target
	}
	if opt.FP16 {
		ud["mconv.precision"] = "fp16"
	} else {
		ud["mconv.precision"] = "fp32"
	}
	for i, in := range lw.inputs {
		ud["mconv.input."+in.name] = lw.onnxIn[i]
		ft := &pb.FeatureType{Type: &pb.FeatureType_MultiArrayType{MultiArrayType: &pb.ArrayFeatureType{
			Shape: in.shape, DataType: pb.ArrayFeatureType_FLOAT32}}}
		if im := lw.image; im != nil {
			cs := pb.ImageFeatureType_RGB
			if im.ColorSpace == "bgr" || im.ColorSpace == "BGR" {
				cs = pb.ImageFeatureType_BGR
			}
			ft = &pb.FeatureType{Type: &pb.FeatureType_ImageType{ImageType: &pb.ImageFeatureType{
				Width: in.shape[3], Height: in.shape[2], ColorSpace: cs}}}
			ud["mconv.image.scale"] = fmt.Sprint(im.Scale)
			ud["mconv.image.bias"] = fmt.Sprintf("%v,%v,%v", im.Bias[0], im.Bias[1], im.Bias[2])
		}
		d.Input = append(d.Input, &pb.FeatureDescription{Name: in.name, Type: ft})
	}
	for i, o := range lw.outputs {
		ud["mconv.output."+o.name] = lw.onnxOut[i]
		d.Output = append(d.Output, &pb.FeatureDescription{Name: o.name, Type: &pb.FeatureType{Type: &pb.FeatureType_MultiArrayType{
			MultiArrayType: &pb.ArrayFeatureType{Shape: o.shape, DataType: pb.ArrayFeatureType_FLOAT32}}}})
	}
	return d
}

func tensorType(dt pb.DataType, shape []int64) *pb.TensorType {
	t := &pb.TensorType{DataType: dt, Rank: int64(len(shape))}
	for _, d := range shape {
		t.Dimensions = append(t.Dimensions, &pb.Dimension{Dimension: &pb.Dimension_Constant{Constant: &pb.Dimension_ConstantDimension{Size: uint64(d)}}})
	}
	return t
}

func valueType(dt pb.DataType, shape []int64) *pb.ValueType {
	return &pb.ValueType{Type: &pb.ValueType_TensorType{TensorType: tensorType(dt, shape)}}
}

func strValue(s string) *pb.Value {
	return &pb.Value{Type: valueType(pb.DataType_STRING, nil), Value: &pb.Value_ImmediateValue_{ImmediateValue: &pb.Value_ImmediateValue{
		Value: &pb.Value_ImmediateValue_Tensor{Tensor: &pb.TensorValue{Value: &pb.TensorValue_Strings{Strings: &pb.TensorValue_RepeatedStrings{Values: []string{s}}}}}}}}
}

// constValue serializes a const op's value: large float tensors into the
// blob file, everything else inline.
func constValue(x *mvar, bw *BlobWriter) *pb.Value {
	v := &pb.Value{Type: valueType(x.dt, x.shape)}
	c := x.konst
	imm := func(tv *pb.TensorValue) {
		v.Value = &pb.Value_ImmediateValue_{ImmediateValue: &pb.Value_ImmediateValue{Value: &pb.Value_ImmediateValue_Tensor{Tensor: tv}}}
	}
	switch x.dt {
	case pb.DataType_FLOAT32, pb.DataType_FLOAT16:
		var raw []byte
		if x.dt == pb.DataType_FLOAT32 {
			raw = make([]byte, 4*len(c.f))
			for i, f := range c.f {
				binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
			}
		} else {
			raw = make([]byte, 2*len(c.f))
			for i, f := range c.f {
				binary.LittleEndian.PutUint16(raw[2*i:], float16.Fromfloat32(f).Bits())
			}
		}
		switch {
		case bw != nil && len(c.f) >= blobMinElements:
			dt := BlobFloat32
			if x.dt == pb.DataType_FLOAT16 {
				dt = BlobFloat16
			}
			off := bw.Add(dt, raw)
			v.Value = &pb.Value_BlobFileValue_{BlobFileValue: &pb.Value_BlobFileValue{FileName: weightFile, Offset: off}}
		case x.dt == pb.DataType_FLOAT32:
			imm(&pb.TensorValue{Value: &pb.TensorValue_Floats{Floats: &pb.TensorValue_RepeatedFloats{Values: c.f}}})
		default:
			imm(&pb.TensorValue{Value: &pb.TensorValue_Bytes{Bytes: &pb.TensorValue_RepeatedBytes{Values: raw}}})
		}
	case pb.DataType_INT32:
		imm(&pb.TensorValue{Value: &pb.TensorValue_Ints{Ints: &pb.TensorValue_RepeatedInts{Values: c.i}}})
	case pb.DataType_BOOL:
		imm(&pb.TensorValue{Value: &pb.TensorValue_Bools{Bools: &pb.TensorValue_RepeatedBools{Values: c.b}}})
	case pb.DataType_STRING:
		imm(&pb.TensorValue{Value: &pb.TensorValue_Strings{Strings: &pb.TensorValue_RepeatedStrings{Values: c.s}}})
	default:
		panic(fmt.Sprintf("coreml: const %s of dtype %s", x.name, x.dt))
	}
	return v
}

// proto serializes o; const values go through bw.
func (o *mop) proto(bw *BlobWriter) *pb.Operation {
	op := &pb.Operation{Type: o.typ, Attributes: map[string]*pb.Value{"name": strValue(o.name)}}
	for _, x := range o.out {
		op.Outputs = append(op.Outputs, &pb.NamedValueType{Name: x.name, Type: valueType(x.dt, x.shape)})
	}
	if o.typ == "const" {
		op.Attributes["val"] = constValue(o.out[0], bw)
		return op
	}
	op.Inputs = map[string]*pb.Argument{}
	for _, in := range o.in {
		ar := &pb.Argument{}
		for _, x := range in.vars {
			ar.Arguments = append(ar.Arguments, &pb.Argument_Binding{Binding: &pb.Argument_Binding_Name{Name: x.name}})
		}
		op.Inputs[in.param] = ar
	}
	return op
}

// sortedKeys returns m's keys in order (deterministic output).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
