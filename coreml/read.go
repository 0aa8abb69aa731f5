package coreml

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/x448/float16"
	"google.golang.org/protobuf/proto"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// ReadOpset is the ONNX opset of models made by ProgramToIR and
// NeuralNetworkToIR (Gelu is standard from 20).
const ReadOpset = 20

// ReadOptions controls reading Core ML back into IR.
type ReadOptions struct {
	// Float32 upcasts float16 constants to float32 and turns casts between
	// float types into Identity, so that an fp16 model runs in a float32
	// runtime with its fp16-rounded weights.
	Float32 bool
}

// irBuilder turns MIL-level ops into IR nodes.
type irBuilder struct {
	g     *ir.Graph
	vals  map[string]*ir.Value
	konst map[string]*mvar
	f32   bool
	n     int
}

func (b *irBuilder) irDType(dt pb.DataType) (ir.DType, error) {
	switch dt {
	case pb.DataType_FLOAT32:
		return ir.Float32, nil
	case pb.DataType_FLOAT16:
		if b.f32 {
			return ir.Float32, nil
		}
		return ir.Float16, nil
	case pb.DataType_INT32:
		return ir.Int32, nil
	case pb.DataType_BOOL:
		return ir.Bool, nil
	}
	return 0, fmt.Errorf("MIL dtype %s has no IR tensor mapping here", dt)
}

// value returns the IR value for MIL variable x; constants become
// initializers.
func (b *irBuilder) value(x *mvar) (*ir.Value, error) {
	if v, ok := b.vals[x.name]; ok {
		return v, nil
	}
	if x.konst == nil {
		return nil, fmt.Errorf("variable %q is used before it is defined", x.name)
	}
	dt, err := b.irDType(x.dt)
	if err != nil {
		return nil, err
	}
	var t *ir.Tensor
	switch {
	case isFloat(x.dt):
		f64 := make([]float64, len(x.konst.f))
		for i, f := range x.konst.f {
			f64[i] = float64(f)
		}
		t, err = ir.NewFromFloat64(dt, x.shape, f64)
	case x.dt == pb.DataType_INT32:
		iv := make([]int64, len(x.konst.i))
		for i, v := range x.konst.i {
			iv[i] = int64(v)
		}
		t = ir.NewInt64(x.shape, iv)
	default:
		return nil, fmt.Errorf("constant %q of type %s used as a tensor", x.name, dtName(x.dt))
	}
	if err != nil {
		return nil, err
	}
	v := b.g.AddConst(x.name, t)
	b.vals[x.name] = v
	return v, nil
}

func (b *irBuilder) i64(name string, v ...int64) *ir.Value {
	return b.g.AddConst(b.g.UniqueName(name), ir.NewInt64([]int64{int64(len(v))}, v))
}

func (b *irBuilder) f32c(name string, f float32) *ir.Value {
	return b.g.AddConst(b.g.UniqueName(name), ir.NewFloat32(nil, []float32{f}))
}

// node adds an IR node whose single output is MIL variable out.
func (b *irBuilder) node(op string, out *mvar, in []*ir.Value, attrs ...*ir.Attr) (*ir.Node, error) {
	return b.nodeN(op, []*mvar{out}, in, attrs...)
}

func (b *irBuilder) nodeN(op string, outs []*mvar, in []*ir.Value, attrs ...*ir.Attr) (*ir.Node, error) {
	b.n++
	names := make([]string, len(outs))
	for i, o := range outs {
		names[i] = o.name
	}
	n := b.g.AddNode(op, fmt.Sprintf("%s_%d", op, b.n), in, names...)
	n.Attrs = attrs
	for i, o := range outs {
		dt, err := b.irDType(o.dt)
		if err != nil {
			return nil, err
		}
		n.Outputs[i].Type = ir.TensorOf(dt, o.shape...)
		b.vals[o.name] = n.Outputs[i]
	}
	return n, nil
}

// inter makes an intermediate MIL-like variable for multi-node expansions.
func (b *irBuilder) inter(like *mvar, suffix string, shape []int64) *mvar {
	if shape == nil {
		shape = like.shape
	}
	return &mvar{name: b.g.UniqueName(like.name + suffix), dt: like.dt, shape: shape}
}

func attrInts(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}
func attrInt(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }
func attrFloat(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}
func attrStr(name, v string) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrString, S: []byte(v)} }

// ProgramToIR converts an ML Program written by mconv (its spec and the
// contents of weights/weight.bin) back to an IR model. Input and output
// names are the original ONNX names recorded in the metadata.
func ProgramToIR(spec *pb.Model, weights []byte, opt ReadOptions) (*ir.Model, error) {
	prog := spec.GetMlProgram()
	if prog == nil {
		return nil, errors.New("not an ML Program")
	}
	fn := prog.Functions["main"]
	if fn == nil {
		return nil, errors.New("ML Program has no main function")
	}
	block := fn.BlockSpecializations[fn.Opset]
	if block == nil {
		return nil, fmt.Errorf("main function has no block for its opset %q", fn.Opset)
	}
	ops, inputs, err := parseProgram(fn, block, weights)
	if err != nil {
		return nil, err
	}
	return buildIR(spec, ops, inputs, block.Outputs, opt)
}

// parseProgram decodes MIL operations into mops with resolved inputs.
func parseProgram(fn *pb.Function, block *pb.Block, weights []byte) ([]*mop, []*mvar, error) {
	vars := map[string]*mvar{}
	var inputs []*mvar
	for _, in := range fn.Inputs {
		dt, shape, err := decodeType(in.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
		x := &mvar{name: in.Name, dt: dt, shape: shape}
		vars[in.Name] = x
		inputs = append(inputs, x)
	}
	var ops []*mop
	for i, op := range block.Operations {
		o := &mop{typ: op.Type}
		if nv := op.Attributes["name"]; nv != nil {
			if s := nv.GetImmediateValue().GetTensor().GetStrings(); s != nil && len(s.Values) == 1 {
				o.name = s.Values[0]
			}
		}
		if o.name == "" {
			return nil, nil, fmt.Errorf("operation %d (%s) has no name", i, op.Type)
		}
		for _, out := range op.Outputs {
			dt, shape, err := decodeType(out.Type)
			if err != nil {
				return nil, nil, fmt.Errorf("op %q: output %q: %w", o.name, out.Name, err)
			}
			x := &mvar{name: out.Name, dt: dt, shape: shape}
			o.out = append(o.out, x)
		}
		if len(o.out) == 0 {
			return nil, nil, fmt.Errorf("op %q (%s) has no outputs", o.name, o.typ)
		}
		if op.Type == "const" {
			c, err := decodeConst(op.Attributes["val"], o.out[0], weights)
			if err != nil {
				return nil, nil, fmt.Errorf("const %q: %w", o.name, err)
			}
			o.out[0].konst = c
		} else {
			for _, p := range sortedKeys(op.Inputs) {
				ar := arg{param: p}
				for _, bnd := range op.Inputs[p].Arguments {
					nm := bnd.GetName()
					x, ok := vars[nm]
					if !ok {
						return nil, nil, fmt.Errorf("op %q (%s): input %s reads undefined %q", o.name, o.typ, p, nm)
					}
					ar.vars = append(ar.vars, x)
				}
				o.in = append(o.in, ar)
			}
		}
		for _, x := range o.out {
			vars[x.name] = x
		}
		ops = append(ops, o)
	}
	for _, nm := range block.Outputs {
		if _, ok := vars[nm]; !ok {
			return nil, nil, fmt.Errorf("block output %q is not defined", nm)
		}
	}
	return ops, inputs, nil
}

func decodeType(t *pb.ValueType) (pb.DataType, []int64, error) {
	tt := t.GetTensorType()
	if tt == nil {
		return 0, nil, errors.New("not a tensor type")
	}
	if int(tt.Rank) != len(tt.Dimensions) {
		return 0, nil, fmt.Errorf("rank %d with %d dimensions", tt.Rank, len(tt.Dimensions))
	}
	shape := make([]int64, len(tt.Dimensions))
	for i, d := range tt.Dimensions {
		c := d.GetConstant()
		if c == nil {
			return 0, nil, errors.New("symbolic dimension")
		}
		if c.Size > uint64(ir.MaxElements) {
			return 0, nil, fmt.Errorf("dimension %d too large", c.Size)
		}
		shape[i] = int64(c.Size)
	}
	if ir.NumElements(shape) < 0 {
		return 0, nil, fmt.Errorf("shape %v too large", shape)
	}
	return tt.DataType, shape, nil
}

func decodeConst(v *pb.Value, x *mvar, weights []byte) (*constVal, error) {
	if v == nil {
		return nil, errors.New("no val attribute")
	}
	n := int(numel(x.shape))
	c := &constVal{}
	if bf := v.GetBlobFileValue(); bf != nil {
		dt, data, err := ReadBlob(weights, bf.Offset)
		if err != nil {
			return nil, err
		}
		switch {
		case x.dt == pb.DataType_FLOAT32 && dt == BlobFloat32 && len(data) == 4*n:
			c.f = make([]float32, n)
			for i := range c.f {
				c.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
		case x.dt == pb.DataType_FLOAT16 && dt == BlobFloat16 && len(data) == 2*n:
			c.f = make([]float32, n)
			for i := range c.f {
				c.f[i] = float16.Frombits(binary.LittleEndian.Uint16(data[2*i:])).Float32()
			}
		default:
			return nil, fmt.Errorf("blob of type %d and %d bytes does not hold %s%v", dt, len(data), dtName(x.dt), x.shape)
		}
		return c, nil
	}
	tv := v.GetImmediateValue().GetTensor()
	if tv == nil {
		return nil, errors.New("value is neither immediate nor in the blob file")
	}
	switch x.dt {
	case pb.DataType_FLOAT32:
		c.f = tv.GetFloats().GetValues()
	case pb.DataType_FLOAT16:
		raw := tv.GetBytes().GetValues()
		if len(raw) != 2*n {
			return nil, fmt.Errorf("fp16 immediate has %d bytes, want %d", len(raw), 2*n)
		}
		c.f = make([]float32, n)
		for i := range c.f {
			c.f[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		}
	case pb.DataType_INT32:
		c.i = tv.GetInts().GetValues()
	case pb.DataType_BOOL:
		c.b = tv.GetBools().GetValues()
	case pb.DataType_STRING:
		c.s = tv.GetStrings().GetValues()
	default:
		return nil, fmt.Errorf("immediate of type %s", dtName(x.dt))
	}
	if l := len(c.f) + len(c.i) + len(c.b) + len(c.s); l != n {
		return nil, fmt.Errorf("%d values for shape %v", l, x.shape)
	}
	return c, nil
}

// buildIR turns parsed ops into an IR model.
func buildIR(spec *pb.Model, ops []*mop, inputs []*mvar, outputs []string, opt ReadOptions) (*ir.Model, error) {
	g := ir.NewGraph("coreml")
	b := &irBuilder{g: g, vals: map[string]*ir.Value{}, konst: map[string]*mvar{}, f32: opt.Float32}
	ud := map[string]string{}
	if md := spec.GetDescription().GetMetadata(); md != nil {
		ud = md.UserDefined
	}
	for _, in := range inputs {
		dt, err := b.irDType(in.dt)
		if err != nil {
			return nil, err
		}
		v := g.AddInput(in.name, ir.TensorOf(dt, in.shape...))
		b.vals[in.name] = v
	}
	for _, o := range ops {
		if o.typ == "const" {
			continue
		}
		if err := b.op(o); err != nil {
			return nil, fmt.Errorf("op %q (%s): %w", o.name, o.typ, err)
		}
	}
	for _, nm := range outputs {
		v := b.vals[nm]
		if v == nil {
			return nil, fmt.Errorf("output %q is not computed", nm)
		}
		g.AddOutput(v)
	}
	// Restore the ONNX names recorded by the writer.
	for _, v := range append(append([]*ir.Value(nil), g.Inputs...), g.Outputs...) {
		pre := "mconv.input."
		if v.IsOutput {
			pre = "mconv.output."
		}
		if orig, ok := ud[pre+v.Name]; ok && orig != v.Name {
			// An ONNX graph input that is also a graph output was written
			// as an identity under a second feature name: make the input
			// itself the output again.
			if w := g.Lookup(orig); v.IsOutput && w != nil && w.IsInput && v.Producer != nil &&
				v.Producer.OpType == "Identity" && v.Producer.Inputs[0] == w && len(v.Uses) == 0 {
				id := v.Producer
				v.ReplaceAllUsesWith(w)
				g.RemoveNode(id)
				continue
			}
			if err := g.Rename(v, orig); err != nil {
				return nil, fmt.Errorf("restoring name %q: %w", orig, err)
			}
		}
	}
	return &ir.Model{IRVersion: 9, ProducerName: "mconv-coreml-reader", Opsets: []ir.OpsetImport{{Domain: "", Version: ReadOpset}}, Graph: g}, nil
}

func decodeSpec(data []byte) (*pb.Model, error) {
	spec := &pb.Model{}
	if err := proto.Unmarshal(data, spec); err != nil {
		return nil, fmt.Errorf("decoding Core ML spec: %w", err)
	}
	return spec, nil
}
