package onnx

import (
	"errors"
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Import of node attributes.

// attr converts an AttributeProto of a node in graph g.
func (im *importer) attr(ap *AttributeProto, g *ir.Graph) (*ir.Attr, error) {
	name := ap.GetName()
	if name == "" {
		return nil, errors.New("attribute without a name")
	}
	a := &ir.Attr{Name: name, Doc: ap.GetDocString(), RefName: ap.GetRefAttrName()}
	typ := ir.AttrType(ap.GetType())
	if ap.Type == nil || typ == ir.AttrUndefined {
		typ = inferAttrType(ap)
		if typ == ir.AttrUndefined {
			return nil, fmt.Errorf("attribute %q has no type and no value", name)
		}
	}
	a.Type = typ
	fail := func(err error) (*ir.Attr, error) { return nil, fmt.Errorf("attribute %q: %w", name, err) }
	switch typ {
	case ir.AttrFloat:
		a.F = ap.GetF()
	case ir.AttrInt:
		a.I = ap.GetI()
	case ir.AttrString:
		a.S = append([]byte{}, ap.S...)
	case ir.AttrTensor:
		if ap.T == nil {
			return fail(errors.New("tensor attribute without a tensor"))
		}
		t, err := tensorFromProto(ap.T, im.dir)
		if err != nil {
			return fail(err)
		}
		a.T = t
	case ir.AttrGraph:
		if ap.G == nil {
			return fail(errors.New("graph attribute without a graph"))
		}
		sg, err := im.graph(ap.G, g)
		if err != nil {
			return fail(err)
		}
		a.G = sg
	case ir.AttrSparseTensor:
		if ap.SparseTensor == nil {
			return fail(errors.New("sparse tensor attribute without a tensor"))
		}
		st, err := im.sparse(ap.SparseTensor)
		if err != nil {
			return fail(err)
		}
		a.Sparse = st
	case ir.AttrTypeProto:
		if ap.Tp == nil {
			return fail(errors.New("type attribute without a type"))
		}
		t, err := typeFromProto(ap.Tp)
		if err != nil {
			return fail(err)
		}
		a.TP = &t
	case ir.AttrFloats:
		a.Floats = append([]float32{}, ap.Floats...)
	case ir.AttrInts:
		a.Ints = append([]int64{}, ap.Ints...)
	case ir.AttrStrings:
		for _, s := range ap.Strings {
			a.Strings = append(a.Strings, append([]byte{}, s...))
		}
	case ir.AttrTensors:
		for _, tp := range ap.Tensors {
			t, err := tensorFromProto(tp, im.dir)
			if err != nil {
				return fail(err)
			}
			a.Tensors = append(a.Tensors, t)
		}
	case ir.AttrGraphs:
		for _, gp := range ap.Graphs {
			sg, err := im.graph(gp, g)
			if err != nil {
				return fail(err)
			}
			a.Graphs = append(a.Graphs, sg)
		}
	case ir.AttrSparseTensors:
		for _, sp := range ap.SparseTensors {
			st, err := im.sparse(sp)
			if err != nil {
				return fail(err)
			}
			a.Sparses = append(a.Sparses, st)
		}
	case ir.AttrTypeProtos:
		for _, tp := range ap.TypeProtos {
			t, err := typeFromProto(tp)
			if err != nil {
				return fail(err)
			}
			a.TPs = append(a.TPs, &t)
		}
	default:
		return fail(fmt.Errorf("unknown attribute type %d", ap.GetType()))
	}
	return a, nil
}

// inferAttrType guesses the type of an attribute written without one
// (allowed by old IR versions) from the field that is set.
func inferAttrType(ap *AttributeProto) ir.AttrType {
	switch {
	case ap.F != nil:
		return ir.AttrFloat
	case ap.I != nil:
		return ir.AttrInt
	case ap.S != nil:
		return ir.AttrString
	case ap.T != nil:
		return ir.AttrTensor
	case ap.G != nil:
		return ir.AttrGraph
	case ap.SparseTensor != nil:
		return ir.AttrSparseTensor
	case ap.Tp != nil:
		return ir.AttrTypeProto
	case len(ap.Floats) > 0:
		return ir.AttrFloats
	case len(ap.Ints) > 0:
		return ir.AttrInts
	case len(ap.Strings) > 0:
		return ir.AttrStrings
	case len(ap.Tensors) > 0:
		return ir.AttrTensors
	case len(ap.Graphs) > 0:
		return ir.AttrGraphs
	case len(ap.SparseTensors) > 0:
		return ir.AttrSparseTensors
	case len(ap.TypeProtos) > 0:
		return ir.AttrTypeProtos
	}
	return ir.AttrUndefined
}
