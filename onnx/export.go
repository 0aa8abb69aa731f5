package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mconv/mconv/internal/atomicfile"
	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// Save writes m to path as an ONNX file (see Encode), through a temporary
// file in the target folder that is renamed into place, so a failed write
// never leaves a partial file. A model whose protobuf would pass 2 GiB (the
// protobuf limit other ONNX tools enforce) is written with its large
// initializers in PATH.data beside it, as ONNX external data.
func Save(m *ir.Model, path string) error {
	mp, err := modelToProto(m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if proto.Size(mp) > externalThreshold {
		if err := moveToExternal(mp, path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data)
}

// externalThreshold is the encoded size above which Save moves tensors to
// an external data file (a variable so tests can lower it).
var externalThreshold = 2<<30 - 64<<20

// minExternalBytes is the smallest tensor Save moves to external data.
const minExternalBytes = 1024

// moveToExternal writes the raw data of every initializer of the main graph
// of at least minExternalBytes to PATH.data (64-byte aligned offsets) and
// points the tensors at it.
func moveToExternal(mp *ModelProto, path string) error {
	loc := filepath.Base(path) + ".data"
	var blob []byte
	for _, tp := range mp.Graph.Initializer {
		if len(tp.RawData) < minExternalBytes {
			continue
		}
		for len(blob)%64 != 0 {
			blob = append(blob, 0)
		}
		off := len(blob)
		blob = append(blob, tp.RawData...)
		tp.ExternalData = []*StringStringEntryProto{
			{Key: proto.String("location"), Value: proto.String(loc)},
			{Key: proto.String("offset"), Value: proto.String(strconv.Itoa(off))},
			{Key: proto.String("length"), Value: proto.String(strconv.Itoa(len(tp.RawData)))},
		}
		tp.DataLocation = proto.Int32(dataLocationExternal)
		tp.RawData = nil
	}
	return atomicfile.WriteFile(filepath.Join(filepath.Dir(path), loc), blob)
}

// SameFile reports whether a and b name the same existing file (commands
// use it to refuse -o equal to the input).
func SameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}

// Encode serializes m as an ONNX ModelProto. Everything the importer keeps
// is written back: names, doc strings, opsets, metadata, value_info of
// values that had it, sparse initializers, functions, training info.
// Tensors are written with raw_data (strings with string_data). mconv-domain
// fused ops are expanded to standard ONNX ops (ir.ExpandFused, on a copy:
// m is not changed).
func Encode(m *ir.Model) ([]byte, error) {
	mp, err := modelToProto(m)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}

func modelToProto(m *ir.Model) (*ModelProto, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	if hasFused(m.Graph) {
		// Expand mconv's fused ops to standard ONNX ops on a copy, so
		// that the file runs anywhere and m is left as it is.
		c := ir.CloneModel(m)
		if err := ir.ExpandFused(c); err != nil {
			return nil, fmt.Errorf("expanding mconv fused ops: %w", err)
		}
		if err := checkNoFused(c.Graph); err != nil {
			return nil, err
		}
		m = c
	}
	mp := &ModelProto{
		IrVersion:     proto.Int64(m.IRVersion),
		MetadataProps: kvsToProto(m.Metadata),
	}
	setStr(&mp.ProducerName, m.ProducerName)
	setStr(&mp.ProducerVersion, m.ProducerVersion)
	setStr(&mp.Domain, m.Domain)
	setStr(&mp.DocString, m.Doc)
	if m.ModelVersion != 0 {
		mp.ModelVersion = proto.Int64(m.ModelVersion)
	}
	for _, o := range m.Opsets {
		mp.OpsetImport = append(mp.OpsetImport, &OperatorSetIdProto{Domain: proto.String(o.Domain), Version: proto.Int64(o.Version)})
	}
	for _, b := range m.Opaque["functions"] {
		f := &FunctionProto{}
		if err := proto.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("stored function: %w", err)
		}
		mp.Functions = append(mp.Functions, f)
	}
	for _, b := range m.Opaque["training_info"] {
		ti := &TrainingInfoProto{}
		if err := proto.Unmarshal(b, ti); err != nil {
			return nil, fmt.Errorf("stored training_info: %w", err)
		}
		mp.TrainingInfo = append(mp.TrainingInfo, ti)
	}
	for _, b := range m.Opaque["configuration"] {
		c := &DeviceConfigurationProto{}
		if err := proto.Unmarshal(b, c); err != nil {
			return nil, fmt.Errorf("stored configuration: %w", err)
		}
		mp.Configuration = append(mp.Configuration, c)
	}
	g, err := graphToProto(m.Graph)
	if err != nil {
		return nil, err
	}
	mp.Graph = g
	return mp, nil
}

func hasFused(g *ir.Graph) bool {
	return checkNoFused(g) != nil
}

func checkNoFused(g *ir.Graph) error {
	for _, n := range g.Nodes {
		if n.Domain == ir.FusedDomain {
			return fmt.Errorf("node %q (%s): mconv fused op has no standard ONNX expansion", n.Name, n.OpType)
		}
		for _, s := range n.Subgraphs() {
			if err := checkNoFused(s); err != nil {
				return err
			}
		}
	}
	return nil
}

func setStr(dst **string, s string) {
	if s != "" {
		*dst = proto.String(s)
	}
}

func kvsToProto(kvs []ir.KV) []*StringStringEntryProto {
	var out []*StringStringEntryProto
	for _, kv := range kvs {
		out = append(out, &StringStringEntryProto{Key: proto.String(kv.Key), Value: proto.String(kv.Value)})
	}
	return out
}

func graphToProto(g *ir.Graph) (*GraphProto, error) {
	gp := &GraphProto{MetadataProps: kvsToProto(g.Meta)}
	gp.Name = proto.String(g.Name)
	setStr(&gp.DocString, g.Doc)
	sparse := map[*ir.Value]*ir.SparseTensor{}
	for _, si := range g.SparseInits {
		sparse[si.Value] = si.Sparse
	}
	for _, v := range g.Initializers {
		if st, ok := sparse[v]; ok {
			sp, err := sparseToProto(st)
			if err != nil {
				return nil, fmt.Errorf("sparse initializer %q: %w", v.Name, err)
			}
			sp.Values.Name = proto.String(v.Name)
			gp.SparseInitializer = append(gp.SparseInitializer, sp)
			continue
		}
		tp, err := tensorToProto(v.Const)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", v.Name, err)
		}
		tp.Name = proto.String(v.Name)
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, v := range g.Inputs {
		gp.Input = append(gp.Input, valueInfo(v))
	}
	for _, v := range g.Outputs {
		gp.Output = append(gp.Output, valueInfo(v))
	}
	for _, n := range g.Nodes {
		np, err := nodeToProto(n)
		if err != nil {
			return nil, err
		}
		gp.Node = append(gp.Node, np)
		for _, o := range n.Outputs {
			if o != nil && o.HasInfo {
				gp.ValueInfo = append(gp.ValueInfo, valueInfo(o))
			}
		}
	}
	for _, b := range g.Quant {
		qa := &TensorAnnotation{}
		if err := proto.Unmarshal(b, qa); err != nil {
			return nil, fmt.Errorf("stored quantization_annotation: %w", err)
		}
		gp.QuantizationAnnotation = append(gp.QuantizationAnnotation, qa)
	}
	return gp, nil
}

func valueInfo(v *ir.Value) *ValueInfoProto {
	vi := &ValueInfoProto{Name: proto.String(v.Name), Type: typeToProto(v.Type)}
	setStr(&vi.DocString, v.Doc)
	return vi
}

func nodeToProto(n *ir.Node) (*NodeProto, error) {
	np := &NodeProto{OpType: proto.String(n.OpType), MetadataProps: kvsToProto(n.Meta)}
	setStr(&np.Name, n.Name)
	setStr(&np.Domain, n.Domain)
	setStr(&np.Overload, n.Overload)
	setStr(&np.DocString, n.Doc)
	for _, in := range n.Inputs {
		if in == nil {
			np.Input = append(np.Input, "")
		} else {
			np.Input = append(np.Input, in.Name)
		}
	}
	for _, o := range n.Outputs {
		if o == nil {
			np.Output = append(np.Output, "")
		} else {
			np.Output = append(np.Output, o.Name)
		}
	}
	for _, a := range n.Attrs {
		ap, err := attrToProto(a)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): attribute %q: %w", n.Name, n.OpType, a.Name, err)
		}
		np.Attribute = append(np.Attribute, ap)
	}
	return np, nil
}

func attrToProto(a *ir.Attr) (*AttributeProto, error) {
	ap := &AttributeProto{Name: proto.String(a.Name), Type: proto.Int32(int32(a.Type))}
	setStr(&ap.DocString, a.Doc)
	setStr(&ap.RefAttrName, a.RefName)
	if a.RefName != "" {
		return ap, nil
	}
	switch a.Type {
	case ir.AttrFloat:
		ap.F = proto.Float32(a.F)
	case ir.AttrInt:
		ap.I = proto.Int64(a.I)
	case ir.AttrString:
		ap.S = append([]byte{}, a.S...)
	case ir.AttrTensor:
		if a.T == nil {
			return nil, fmt.Errorf("no tensor")
		}
		tp, err := tensorToProto(a.T)
		if err != nil {
			return nil, err
		}
		ap.T = tp
	case ir.AttrGraph:
		if a.G == nil {
			return nil, fmt.Errorf("no graph")
		}
		gp, err := graphToProto(a.G)
		if err != nil {
			return nil, err
		}
		ap.G = gp
	case ir.AttrSparseTensor:
		if a.Sparse == nil {
			return nil, fmt.Errorf("no sparse tensor")
		}
		sp, err := sparseToProto(a.Sparse)
		if err != nil {
			return nil, err
		}
		ap.SparseTensor = sp
	case ir.AttrTypeProto:
		if a.TP == nil {
			return nil, fmt.Errorf("no type")
		}
		ap.Tp = typeToProto(*a.TP)
	case ir.AttrFloats:
		ap.Floats = append([]float32{}, a.Floats...)
	case ir.AttrInts:
		ap.Ints = append([]int64{}, a.Ints...)
	case ir.AttrStrings:
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, append([]byte{}, s...))
		}
	case ir.AttrTensors:
		for _, t := range a.Tensors {
			tp, err := tensorToProto(t)
			if err != nil {
				return nil, err
			}
			ap.Tensors = append(ap.Tensors, tp)
		}
	case ir.AttrGraphs:
		for _, g := range a.Graphs {
			gp, err := graphToProto(g)
			if err != nil {
				return nil, err
			}
			ap.Graphs = append(ap.Graphs, gp)
		}
	case ir.AttrSparseTensors:
		for _, st := range a.Sparses {
			sp, err := sparseToProto(st)
			if err != nil {
				return nil, err
			}
			ap.SparseTensors = append(ap.SparseTensors, sp)
		}
	case ir.AttrTypeProtos:
		for _, t := range a.TPs {
			ap.TypeProtos = append(ap.TypeProtos, typeToProto(*t))
		}
	default:
		return nil, fmt.Errorf("unknown attribute type %s", a.Type)
	}
	return ap, nil
}

func sparseToProto(st *ir.SparseTensor) (*SparseTensorProto, error) {
	vals, err := tensorToProto(st.Values)
	if err != nil {
		return nil, err
	}
	idx, err := tensorToProto(st.Indices)
	if err != nil {
		return nil, err
	}
	return &SparseTensorProto{Values: vals, Indices: idx, Dims: append([]int64{}, st.Dims...)}, nil
}

// typeToProto converts t; an unknown type gives nil (no type written).
func typeToProto(t ir.Type) *TypeProto {
	tp := &TypeProto{}
	setStr(&tp.Denotation, t.Denot)
	switch t.Kind {
	case ir.KindTensor:
		tt := &TypeProto_Tensor{ElemType: proto.Int32(int32(t.DType))}
		if t.HasShape {
			tt.Shape = shapeToProto(t.Shape)
		}
		tp.Value = &TypeProto_TensorType{TensorType: tt}
	case ir.KindSparse:
		tt := &TypeProto_SparseTensor{ElemType: proto.Int32(int32(t.DType))}
		if t.HasShape {
			tt.Shape = shapeToProto(t.Shape)
		}
		tp.Value = &TypeProto_SparseTensorType{SparseTensorType: tt}
	case ir.KindSequence:
		s := &TypeProto_Sequence{}
		if t.Elem != nil {
			s.ElemType = typeToProto(*t.Elem)
		}
		tp.Value = &TypeProto_SequenceType{SequenceType: s}
	case ir.KindOptional:
		o := &TypeProto_Optional{}
		if t.Elem != nil {
			o.ElemType = typeToProto(*t.Elem)
		}
		tp.Value = &TypeProto_OptionalType{OptionalType: o}
	case ir.KindMap:
		mt := &TypeProto_Map{KeyType: proto.Int32(int32(t.KeyType))}
		if t.Elem != nil {
			mt.ValueType = typeToProto(*t.Elem)
		}
		tp.Value = &TypeProto_MapType{MapType: mt}
	default:
		if t.Denot == "" {
			return nil
		}
	}
	return tp
}

func shapeToProto(s ir.Shape) *TensorShapeProto {
	sp := &TensorShapeProto{Dim: make([]*TensorShapeProto_Dimension, 0, len(s))}
	for _, d := range s {
		dp := &TensorShapeProto_Dimension{}
		setStr(&dp.Denotation, d.Doc)
		switch {
		case d.Known():
			dp.Value = &TensorShapeProto_Dimension_DimValue{DimValue: d.Size}
		case d.Param != "":
			dp.Value = &TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
		}
		sp.Dim = append(sp.Dim, dp)
	}
	return sp
}
