package coreml

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/x448/float16"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// lowered is a model lowered to MIL operations.
type lowered struct {
	inputs  []*mvar // function inputs, fp32, in ONNX input order
	outputs []*mvar // block outputs, fp32
	ops     []*mop
	onnxIn  []string // ONNX names of inputs, parallel to inputs
	onnxOut []string // ONNX names of outputs, parallel to outputs
	image   *ImageInput
	ct      pb.DataType // compute dtype
	// needs lists, in node order, what needs an ML Program target above
	// iOS15 (lowerer.need).
	needs []TargetNeed
	// fp32 lists, in node order, the nodes of an fp16 program that compute
	// in float32 (see fp32Nodes).
	fp32 []FP32Node
}

// lowerer converts one IR graph.
type lowerer struct {
	m      *ir.Model
	opset  int64
	ct     pb.DataType
	ops    []*mop
	vars   map[*ir.Value]*mvar
	consts map[*ir.Value]*ir.Tensor // known constant tensors (initializers, Constant, folded)
	names  map[string]bool
	cache  map[dtKey]*mvar       // constants materialized as const ops, per dtype
	casts  map[castKey]*mvar     // float variables cast to another dtype (see in)
	seqs   map[*ir.Value][]*mvar // tensor sequences made by SplitToSequence
	cur    *ir.Node              // node being lowered
	// outNames holds each graph output's feature name, reserved up front
	// and unique even when two ONNX names sanitize alike.
	outNames map[*ir.Value]string
	// budget bounds the constants folding computes (Options.MaxMemory).
	budget *engine.Budget
	// rangeErr is an integer parameter of the node being lowered that
	// int32 cannot hold (see int32).
	rangeErr error
	needs    []TargetNeed // see lowered.needs
	// fp32 maps the nodes of an fp16 program that compute in float32 to
	// the largest |value| among their inputs and outputs (fp32Nodes).
	fp32     map[*ir.Node]float32
	fp32used []FP32Node // see lowered.fp32
}

// dtKey is a constant ONNX value materialized in one dtype.
type dtKey struct {
	v  *ir.Value
	dt pb.DataType
}

// castKey is a MIL variable cast to another dtype.
type castKey struct {
	x  *mvar
	dt pb.DataType
}

// errUnsupported marks a node the target cannot express.
var errUnsupported = errors.New("not supported")

func lower(m *ir.Model, opt *Options) (*lowered, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	l := &lowerer{
		m: m, opset: m.Opset(""), ct: pb.DataType_FLOAT32,
		vars: map[*ir.Value]*mvar{}, consts: map[*ir.Value]*ir.Tensor{},
		names: map[string]bool{}, cache: map[dtKey]*mvar{}, casts: map[castKey]*mvar{},
		budget: engine.NewBudget(opt.MaxMemory),
	}
	if opt.FP16 {
		l.ct = pb.DataType_FLOAT16
		l.fp32 = fp32Nodes(m.Graph, opt.Ranges)
	}
	g := m.Graph
	out := &lowered{ct: l.ct, image: opt.Image}
	for _, v := range g.Initializers {
		if !v.IsInput {
			l.consts[v] = v.Const
		}
	}
	// Inputs and outputs keep their (sanitized) ONNX names: reserve them.
	var feeds []*ir.Value
	for _, v := range g.Inputs {
		if v.IsConst() || (v.Const != nil && v.IsInput) {
			// An old-IR input with a default: treat as a constant.
			l.consts[v] = v.Const
			continue
		}
		feeds = append(feeds, v)
	}
	if opt.Image != nil && len(feeds) != 1 {
		return nil, fmt.Errorf("--image-input needs a model with exactly one input, this one has %d", len(feeds))
	}
	// Every input and output gets its own MIL identifier, even when two
	// ONNX names sanitize alike ("input.1", "input_1"): later ones get a
	// suffix; the metadata maps them back. An input that is also an output
	// gets a second name (the output is an identity of it).
	inNames := map[*ir.Value]string{}
	for _, v := range feeds {
		inNames[v] = l.uniq(v.Name)
	}
	l.outNames = map[*ir.Value]string{}
	for _, v := range g.Outputs {
		if _, ok := l.outNames[v]; !ok {
			l.outNames[v] = l.uniq(v.Name)
		}
	}
	for _, v := range feeds {
		shape, err := inputShape(v, opt.InputShapes)
		if err != nil {
			return nil, err
		}
		if v.Type.DType != ir.Float32 && v.Type.DType != ir.Float16 {
			return nil, fmt.Errorf("input %q has type %s; Core ML conversion supports float inputs only", v.Name, v.Type.DType)
		}
		in := &mvar{name: inNames[v], dt: pb.DataType_FLOAT32, shape: shape}
		out.inputs = append(out.inputs, in)
		out.onnxIn = append(out.onnxIn, v.Name)
		x := in
		if opt.Image != nil {
			if len(shape) != 4 || shape[0] != 1 || shape[1] != 3 {
				return nil, fmt.Errorf("--image-input needs input %q of shape [1,3,H,W], got %v", v.Name, shape)
			}
			x = l.imagePreprocess(x, opt.Image)
		}
		// An fp16 program casts the input where a node first reads it
		// (in); a node that computes in float32 reads it as it is.
		l.vars[v] = x
	}
	for _, n := range g.Nodes {
		l.cur = n
		if err := l.nodeAt(n); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
	}
	l.cur = nil
	seen := map[*ir.Value]bool{}
	for _, v := range g.Outputs {
		x, ok := l.vars[v]
		if !ok {
			return nil, fmt.Errorf("output %q is a constant or not computed; Core ML outputs must be computed tensors", v.Name)
		}
		want := l.outNames[v]
		if seen[v] {
			return nil, fmt.Errorf("output %q is listed twice", v.Name)
		}
		seen[v] = true
		if !isFloat(x.dt) {
			return nil, fmt.Errorf("output %q has type %s; only float outputs are supported", v.Name, dtName(x.dt))
		}
		if x.dt != pb.DataType_FLOAT32 {
			x = l.castNamed(x, pb.DataType_FLOAT32, want)
		} else if x.name != want {
			x = l.emit1("identity", want, []arg{{"x", []*mvar{x}}}, x.dt, x.shape, true)
		}
		out.outputs = append(out.outputs, x)
		out.onnxOut = append(out.onnxOut, v.Name)
	}
	out.ops = l.ops
	out.needs = l.needs
	out.fp32 = l.fp32used
	return out, nil
}

// inputShape is v's static shape: dimension 0 defaults to 1 when symbolic;
// overrides come from shapes.
func inputShape(v *ir.Value, shapes map[string][]int64) ([]int64, error) {
	if s, ok := shapes[v.Name]; ok {
		if v.Type.HasShape && len(s) != len(v.Type.Shape) {
			return nil, fmt.Errorf("input %q: shape %v given, but the model says rank %d", v.Name, s, len(v.Type.Shape))
		}
		for i, d := range s {
			if d <= 0 {
				return nil, fmt.Errorf("input %q: dimension %d of given shape %v must be positive", v.Name, i, s)
			}
			if v.Type.HasShape && v.Type.Shape[i].Known() && v.Type.Shape[i].Size != d {
				return nil, fmt.Errorf("input %q: given shape %v contradicts the model's %v", v.Name, s, v.Type.Shape)
			}
		}
		return append([]int64(nil), s...), nil
	}
	if !v.Type.HasShape {
		return nil, fmt.Errorf("input %q has no shape; give one with --input-shape", v.Name)
	}
	s := make([]int64, len(v.Type.Shape))
	for i, d := range v.Type.Shape {
		switch {
		case d.Known():
			s[i] = d.Size
		case i == 0:
			s[i] = 1
		default:
			return nil, fmt.Errorf("input %q: dimension %d (%s) is symbolic; give a size with --input-shape", v.Name, i, d)
		}
	}
	return s, nil
}

// uniq returns a fresh MIL identifier based on base.
func (l *lowerer) uniq(base string) string {
	base = sanitize(base)
	if !l.names[base] {
		l.names[base] = true
		return base
	}
	for i := 1; ; i++ {
		s := base + "_" + strconv.Itoa(i)
		if !l.names[s] {
			l.names[s] = true
			return s
		}
	}
}

// emit1 appends an op with one output of the given name, dtype and shape.
// When exact is set the op's name is used verbatim (it was reserved).
func (l *lowerer) emit1(typ, name string, in []arg, dt pb.DataType, shape []int64, exact bool) *mvar {
	if !exact {
		name = l.uniq(name)
	}
	o := &mvar{name: name, dt: dt, shape: shape}
	l.ops = append(l.ops, &mop{typ: typ, name: name, in: in, out: []*mvar{o}, src: l.cur})
	return o
}

// outName is the MIL name for ONNX value v: its own name when it is a graph
// output in the compute dtype already, else a fresh name.
func (l *lowerer) outName(v *ir.Value) (string, bool) {
	if want, ok := l.outNames[v]; ok && l.ct == pb.DataType_FLOAT32 && !l.reservedUsed(want) {
		return want, true
	}
	if v.IsOutput {
		return l.uniq(v.Name + "_" + dtName(l.ct)), false
	}
	return l.uniq(v.Name), false
}

// reservedUsed reports whether the reserved output name want is already
// taken by an op or a variable (e.g. an input that is also an output).
func (l *lowerer) reservedUsed(want string) bool {
	for _, o := range l.ops {
		for _, x := range o.out {
			if x.name == want {
				return true
			}
		}
	}
	for _, x := range l.vars {
		if x.name == want {
			return true
		}
	}
	return false
}

// def emits op typ computing ONNX value v.
func (l *lowerer) def(v *ir.Value, typ string, in []arg, dt pb.DataType, shape []int64) *mvar {
	name, _ := l.outName(v) // already unique
	x := l.emit1(typ, name, in, dt, shape, true)
	l.vars[v] = x
	return x
}

func a(param string, vs ...*mvar) arg { return arg{param, vs} }

// --- constants ---

func (l *lowerer) constOp(base string, dt pb.DataType, shape []int64, c *constVal) *mvar {
	name := l.uniq(base)
	o := &mvar{name: name, dt: dt, shape: shape, konst: c}
	l.ops = append(l.ops, &mop{typ: "const", name: name, out: []*mvar{o}})
	return o
}

func (l *lowerer) cInts(base string, v ...int64) *mvar {
	c := &constVal{i: make([]int32, len(v))}
	for i, x := range v {
		c.i[i] = l.int32(base, x)
	}
	return l.constOp(base, pb.DataType_INT32, []int64{int64(len(v))}, c)
}

func (l *lowerer) cInt(base string, v int64) *mvar {
	return l.constOp(base, pb.DataType_INT32, nil, &constVal{i: []int32{l.int32(base, v)}})
}

// int32 converts v for an int32 constant; a value outside int32's range
// (Core ML's integer parameters are int32) is recorded in l.rangeErr,
// which fails the node being lowered.
func (l *lowerer) int32(base string, v int64) int32 {
	if v != int64(int32(v)) && l.rangeErr == nil {
		l.rangeErr = fmt.Errorf("%s: value %d is outside the int32 range of Core ML's integer parameters: %w", base, v, errUnsupported)
	}
	return int32(v)
}

func (l *lowerer) cBool(base string, v bool) *mvar {
	return l.constOp(base, pb.DataType_BOOL, nil, &constVal{b: []bool{v}})
}

func (l *lowerer) cBools(base string, v []bool) *mvar {
	return l.constOp(base, pb.DataType_BOOL, []int64{int64(len(v))}, &constVal{b: v})
}

func (l *lowerer) cStr(base string, s string) *mvar {
	return l.constOp(base, pb.DataType_STRING, nil, &constVal{s: []string{s}})
}

// cFloat is a scalar in the compute dtype.
func (l *lowerer) cFloat(base string, f float32) *mvar {
	return l.cFloats(base, nil, []float32{f})
}

// cFloats is a float tensor in the compute dtype (rounded to fp16 if needed).
func (l *lowerer) cFloats(base string, shape []int64, f []float32) *mvar {
	if l.ct == pb.DataType_FLOAT16 {
		r := make([]float32, len(f))
		for i, x := range f {
			r[i] = float16.Fromfloat32(x).Float32()
		}
		f = r
	}
	return l.constOp(base, l.ct, shape, &constVal{f: f})
}

func (l *lowerer) cast(x *mvar, dt pb.DataType, name string) *mvar {
	return l.emit1("cast", name, []arg{a("x", x), a("dtype", l.cStr(name+"_dtype", dtName(dt)))}, dt, x.shape, false)
}

func (l *lowerer) castNamed(x *mvar, dt pb.DataType, name string) *mvar {
	d := l.cStr(name+"_dtype", dtName(dt))
	return l.emit1("cast", name, []arg{a("x", x), a("dtype", d)}, dt, x.shape, true)
}

func (l *lowerer) imagePreprocess(x *mvar, im *ImageInput) *mvar {
	s := l.constOp(x.name+"_scale", pb.DataType_FLOAT32, nil, &constVal{f: []float32{im.Scale}})
	y := l.emit1("mul", x.name+"_scaled", []arg{a("x", x), a("y", s)}, x.dt, x.shape, false)
	bb := im.biasInChannelOrder()
	b := l.constOp(x.name+"_bias", pb.DataType_FLOAT32, []int64{1, 3, 1, 1}, &constVal{f: bb[:]})
	return l.emit1("add", x.name+"_biased", []arg{a("x", y), a("y", b)}, x.dt, x.shape, false)
}

// constOf returns the constant tensor at input i of n, or nil.
func (l *lowerer) constOf(n *ir.Node, i int) *ir.Tensor {
	v := n.Input(i)
	if v == nil {
		return nil
	}
	return l.consts[v]
}

// in returns the MIL variable for input i of n in the compute dtype of
// the node being lowered: a float variable of the other float dtype (at
// the edge of an fp32 region of an fp16 program) is cast, and a float
// constant becomes a const op in the compute dtype.
func (l *lowerer) in(n *ir.Node, i int) (*mvar, error) {
	v := n.Input(i)
	if v == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if x, ok := l.vars[v]; ok {
		return l.toCompute(x), nil
	}
	t := l.consts[v]
	if t == nil {
		return nil, fmt.Errorf("input %q is not computed before this node", v.Name)
	}
	if x, ok := l.cache[dtKey{v, l.ct}]; ok {
		return x, nil
	}
	if !t.DType.IsFloat() {
		return nil, fmt.Errorf("constant input %q of type %s used as a tensor; only float tensors are supported here", v.Name, t.DType)
	}
	f, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	x := l.cFloats(v.Name, t.Dims, f)
	l.cache[dtKey{v, l.ct}] = x
	return x, nil
}

// floatsOf reads a float constant input; an error when it is not constant.
func (l *lowerer) floatsOf(n *ir.Node, i int, what string) (*ir.Tensor, []float32, error) {
	t := l.constOf(n, i)
	if t == nil {
		return nil, nil, fmt.Errorf("%s (input %d) must be a constant: %w", what, i, errUnsupported)
	}
	f, err := t.Float32s()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return t, f, nil
}

// intsOf reads an integer constant input.
func (l *lowerer) intsOf(n *ir.Node, i int, what string) ([]int64, error) {
	t := l.constOf(n, i)
	if t == nil {
		return nil, fmt.Errorf("%s (input %d) must be a constant: %w", what, i, errUnsupported)
	}
	v, err := t.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// node lowers one IR node.
func (l *lowerer) node(n *ir.Node) error {
	if n.Domain != "" && n.Domain != "ai.onnx" && n.Domain != ir.FusedDomain {
		return fmt.Errorf("op domain %q: %w", n.Domain, errUnsupported)
	}
	key := n.OpType
	if n.Domain == ir.FusedDomain {
		key = "mconv." + n.OpType
	}
	lw, ok := lowerers[key]
	if !ok && !engine.Folded(key) {
		return fmt.Errorf("op %s has no Core ML mapping in mconv: %w", n.OpType, errUnsupported)
	}
	// Fold nodes whose inputs are all constants (shape arithmetic, weight
	// transposes and casts), whether or not the op has a lowering: the
	// Sqrt of a Cast of a sliced Shape (attention scales under the
	// TorchScript exporter) is a constant once the input shapes are static.
	if ins, cok := l.constInputs(n); cok && engine.Folded(key) {
		if l.budget == nil {
			l.budget = engine.NewBudget(0)
		}
		ts, err := engine.Eval(n, l.m.Opset(n.Domain), ins, l.budget)
		if err != nil {
			return errors.Unwrap(err) // lower names the node itself
		}
		for _, t := range ts {
			if t == nil {
				continue
			}
			if err := l.budget.Reserve(int64(len(t.Raw))); err != nil {
				return err
			}
		}
		for i, t := range ts {
			if o := n.Output(i); o != nil {
				l.consts[o] = t
			}
		}
		return nil
	}
	if !ok {
		lw = lowering{needConst, iOS15}
	}
	l.rangeErr = nil
	if err := lw.fn(l, n); err != nil {
		return err
	}
	l.need(lw.target, "")
	if l.rangeErr != nil {
		return l.rangeErr
	}
	return l.checkOutputSizes(n)
}

// checkOutputSizes refuses a node one of whose outputs alone would pass
// the memory budget (--max-memory) on the device: a Resize by 2^16, say,
// which converts to a valid file that no device could run.
func (l *lowerer) checkOutputSizes(n *ir.Node) error {
	for _, o := range n.Outputs {
		if x := l.vars[o]; x != nil {
			if err := l.fitsBudget(o.Name, x.shape, x.dt); err != nil {
				return err
			}
		}
	}
	return nil
}

// fitsBudget checks that a tensor of the given shape and dtype alone fits
// the memory budget (Options.MaxMemory), naming it in the error. Lowerings
// of ops that can make a value far larger than their input (Resize, Pad,
// Expand) call it before emitting; checkOutputSizes calls it for every
// node after.
func (l *lowerer) fitsBudget(name string, shape []int64, dt pb.DataType) error {
	if l.budget == nil {
		return nil
	}
	size := int64(4)
	if dt == pb.DataType_FLOAT16 {
		size = 2
	}
	need := ir.NumElements(shape)
	if need >= 0 && need <= math.MaxInt64/size {
		need *= size
	} else {
		need = -1
	}
	if need < 0 || need > l.budget.Max() {
		return fmt.Errorf("output %q of shape %v: %w", name, shape, &engine.BudgetError{Need: need, Max: l.budget.Max()})
	}
	return nil
}

// need records that the node being lowered needs ML Program target (why:
// the MIL op or feature that first exists there; "" for the op's lowering
// as a whole). Needs at iOS15, the first ML Program target, are not
// recorded.
func (l *lowerer) need(target, why string) {
	if l.cur == nil || !laterTarget(target, iOS15) {
		return
	}
	op := l.cur.OpType
	if l.cur.Domain == ir.FusedDomain {
		op = "mconv." + op
	}
	for _, n := range l.needs {
		if n.Node == l.cur.Name && n.Op == op && n.Target == target && n.Why == why {
			return
		}
	}
	l.needs = append(l.needs, TargetNeed{Node: l.cur.Name, Op: op, Target: target, Why: why})
}

// constInputs returns n's inputs when all are known constants (nil for an
// omitted input).
func (l *lowerer) constInputs(n *ir.Node) ([]*ir.Tensor, bool) {
	ins := make([]*ir.Tensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		if ins[i] = l.consts[v]; ins[i] == nil {
			return nil, false
		}
	}
	return ins, true
}

func f32bits(f float32) uint32 { return math.Float32bits(f) }
