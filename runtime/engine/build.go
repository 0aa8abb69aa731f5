package engine

import (
	"fmt"
	"sort"

	"github.com/mconv/mconv/ir"
)

// opFunc prepares one node: it checks inputs and attributes, fixes the
// output dtypes and shapes (ctx.setOut) and returns the kernel that computes
// the outputs from the inputs' storage. A nil kernel means every output was
// made a constant at plan time (ctx.setConst).
type opFunc func(c *ctx) (func(), error)

var opTable = map[string]opFunc{}

func opKey(domain, op string) string {
	if domain == "ai.onnx" {
		domain = ""
	}
	return domain + "::" + op
}

func register(domain, op string, f opFunc) { opTable[opKey(domain, op)] = f }

// Supported reports whether the runtime has a kernel for op in domain.
func Supported(domain, op string) bool { return opTable[opKey(domain, op)] != nil }

// SupportedOps lists the supported ops as "domain::op" ("::Conv" for ai.onnx).
func SupportedOps() []string {
	var out []string
	for k := range opTable {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type builder struct {
	m     *ir.Model
	vals  map[*ir.Value]*tval
	steps []step
	all   []*tval // every non-constant value in creation order
	pool  *pool
	// budget bounds what planning allocates (Options.MaxMemory).
	budget *Budget

	pendingScratch []*tval // scratch requested by the op being planned
}

// ctx is what an op sees while it is prepared.
type ctx struct {
	b     *builder
	n     *ir.Node
	opset int64
	in    []*tval // nil for omitted inputs
	out   []*tval
	// isView: the outputs share the input's storage; no step is needed
	isView bool
	// kernels: the step runs a package kernels kernel (not the plain Go
	// reference path)
	kernels bool
}

// input returns input i or nil when omitted.
func (c *ctx) input(i int) *tval {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

// setOut fixes dtype and shape of output i.
func (c *ctx) setOut(i int, dt ir.DType, shape []int64) (*tval, error) {
	t := c.out[i]
	n := ir.NumElements(shape)
	if n < 0 {
		return nil, fmt.Errorf("output %d: invalid or too large shape %v", i, shape)
	}
	if dt.Size() == 0 {
		return nil, fmt.Errorf("output %d: unsupported data type %s", i, dt)
	}
	// An output alone over the whole budget is refused here, before the
	// op allocates anything sized by it; what the plan holds in all is
	// counted where storage is allocated (alloc, allocate).
	if bytes := n * int64(dt.Size()); bytes > c.b.budget.Max() {
		return nil, &BudgetError{Need: bytes, Max: c.b.budget.Max()}
	}
	t.dt, t.shape, t.n = dt, append([]int64{}, shape...), int(n)
	return t, nil
}

// setConst makes output i a plan-time constant with the given raw data.
func (c *ctx) setConst(i int, dt ir.DType, shape []int64, raw []byte) error {
	t, err := c.setOut(i, dt, shape)
	if err != nil {
		return err
	}
	if int64(len(raw)) != t.bytes() {
		return fmt.Errorf("output %d: %d bytes for %s%v", i, len(raw), dt, shape)
	}
	if t.buf, err = c.b.alloc(t.bytes()); err != nil {
		return err
	}
	copy(t.buf, raw)
	t.konst = true
	return nil
}

// newScratch requests a temporary buffer that lives only during this step.
func (c *ctx) newScratch(dt ir.DType, n int) *tval {
	t := &tval{name: c.n.Name + "#scratch", dt: dt, shape: []int64{int64(n)}, n: n, scratch: true}
	c.b.pendingScratch = append(c.b.pendingScratch, t)
	return t
}

// constInts reads input i as a list of integers; it must be constant.
func (c *ctx) constInts(i int) ([]int64, error) {
	t := c.input(i)
	if t == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if !t.konst {
		return nil, fmt.Errorf("input %d (%s) must be constant at plan time (it is computed at run time)", i, t.name)
	}
	return t.ints()
}

// ints decodes a constant integer tensor.
func (t *tval) ints() ([]int64, error) {
	out := make([]int64, t.n)
	switch t.dt {
	case ir.Int64:
		copy(out, t.i64())
	case ir.Int32:
		for i, v := range t.i32() {
			out[i] = int64(v)
		}
	default:
		return nil, fmt.Errorf("%s: want int64 or int32 data, have %s", t.name, t.dt)
	}
	return out, nil
}

// floats decodes a constant float tensor as float64.
func (t *tval) floats() ([]float64, error) {
	out := make([]float64, t.n)
	switch t.dt {
	case ir.Float32:
		for i, v := range t.f32() {
			out[i] = float64(v)
		}
	case ir.Float64:
		copy(out, t.f64())
	case ir.Int64:
		for i, v := range t.i64() {
			out[i] = float64(v)
		}
	case ir.Int32:
		for i, v := range t.i32() {
			out[i] = float64(v)
		}
	default:
		tt := &ir.Tensor{DType: t.dt, Dims: t.shape, Raw: t.buf}
		return tt.Float64s()
	}
	return out, nil
}

// Compile builds a plan for m. It does not modify m.
func Compile(m *ir.Model, opt Options) (*Plan, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("runtime: model has no graph")
	}
	g := m.Graph
	threads := defaultThreads(opt.Threads)
	b := &builder{m: m, vals: map[*ir.Value]*tval{}, pool: newPool(threads), budget: NewBudget(opt.MaxMemory)}
	plan := &Plan{pool: b.pool, threads: threads}
	ok := false
	defer func() {
		if !ok {
			b.pool.close()
		}
	}()

	for name := range opt.InputShapes {
		v := g.Lookup(name)
		if v == nil || !v.IsInput {
			return nil, fmt.Errorf("runtime: InputShapes names %q, which is not a graph input", name)
		}
	}
	// Constants.
	for _, v := range g.Initializers {
		if v.IsInput {
			if _, given := opt.InputShapes[v.Name]; given {
				continue // fed at run time
			}
		}
		t, err := b.konstFrom(v.Name, v.Const)
		if err != nil {
			return nil, fmt.Errorf("runtime: initializer %q: %w", v.Name, err)
		}
		b.vals[v] = t
	}
	// Inputs.
	for name, t := range opt.ConstInputs {
		v := g.Lookup(name)
		if v == nil || !v.IsInput {
			return nil, fmt.Errorf("runtime: ConstInputs names %q, which is not a graph input", name)
		}
		if v.Type.Kind == ir.KindTensor && v.Type.DType != ir.Undefined && v.Type.DType != t.DType {
			return nil, fmt.Errorf("runtime: ConstInputs[%q] is %s, the input is %s", name, t.DType, v.Type.DType)
		}
		ct, err := b.konstFrom(name, t)
		if err != nil {
			return nil, fmt.Errorf("runtime: ConstInputs[%q]: %w", name, err)
		}
		b.vals[v] = ct
	}
	for _, v := range g.Inputs {
		if b.vals[v] != nil {
			continue
		}
		shape, given := opt.InputShapes[v.Name]
		if !given {
			if !v.Type.Static() {
				return nil, fmt.Errorf("runtime: input %q has shape %s; give its static shape in Options.InputShapes", v.Name, v.Type.Shape)
			}
			shape = v.Type.Shape.Sizes()
		} else if v.Type.HasShape {
			if len(shape) != len(v.Type.Shape) {
				return nil, fmt.Errorf("runtime: input %q: shape %v has rank %d, the model says %s", v.Name, shape, len(shape), v.Type.Shape)
			}
			for i, d := range v.Type.Shape {
				if d.Known() && d.Size != shape[i] {
					return nil, fmt.Errorf("runtime: input %q: shape %v conflicts with the model's %s", v.Name, shape, v.Type.Shape)
				}
			}
		}
		if v.Type.Kind != ir.KindTensor || v.Type.DType.Size() == 0 {
			return nil, fmt.Errorf("runtime: input %q: unsupported type %s", v.Name, v.Type)
		}
		n := ir.NumElements(shape)
		if n < 0 {
			return nil, fmt.Errorf("runtime: input %q: invalid shape %v", v.Name, shape)
		}
		t := &tval{name: v.Name, dt: v.Type.DType, shape: append([]int64{}, shape...), n: int(n), isInput: true, first: -1}
		b.vals[v] = t
		b.all = append(b.all, t)
		plan.inputs = append(plan.inputs, t)
	}
	// Nodes, one step each (or none: a view or a plan-time constant).
	// Dead nodes (no output reaches a graph output) are not planned.
	live := liveNodes(g)
	for _, n := range g.Nodes {
		if !live[n] {
			continue
		}
		if err := b.planNode(n); err != nil {
			return nil, fmt.Errorf("runtime: node %q (%s): %w", n.Name, n.OpType, err)
		}
	}
	// Outputs.
	for _, v := range g.Outputs {
		t := b.vals[v]
		if t == nil {
			return nil, fmt.Errorf("runtime: graph output %q is not computed", v.Name)
		}
		if t.seq != nil {
			return nil, fmt.Errorf("runtime: graph output %q: unsupported: sequence outputs", v.Name)
		}
		if t.isInput || t.konst || containsTval(plan.outputs, t) {
			// Give the output its own storage so storeOutputs copies from
			// a stable place.
			c := &tval{name: v.Name, dt: t.dt, shape: t.shape, n: t.n, first: len(b.steps)}
			src := t
			b.steps = append(b.steps, step{node: nil, run: func() { copy(c.buf, src.buf) }})
			src.last = len(b.steps) - 1
			b.all = append(b.all, c)
			t = c
		}
		t.name = v.Name
		t.isOut = true
		plan.outputs = append(plan.outputs, t)
	}
	if err := b.allocate(plan); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	plan.steps = b.steps
	ok = true
	return plan, nil
}

// liveNodes marks the nodes of g some output of which reaches a graph
// output (g.Nodes in topological order).
func liveNodes(g *ir.Graph) map[*ir.Node]bool {
	needed := map[*ir.Value]bool{}
	for _, v := range g.Outputs {
		needed[v] = true
	}
	live := map[*ir.Node]bool{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			live[n] = live[n] || (o != nil && needed[o])
		}
		if !live[n] {
			continue
		}
		for _, in := range n.Inputs {
			if in != nil {
				needed[in] = true
			}
		}
	}
	return live
}

func containsTval(list []*tval, t *tval) bool {
	for _, u := range list {
		if u == t {
			return true
		}
	}
	return false
}

// allEmpty reports whether every output is a tensor of no element.
func allEmpty(out []*tval) bool {
	for _, t := range out {
		if t.seq != nil || t.n != 0 || t.dt == ir.Undefined {
			return false
		}
	}
	return len(out) > 0
}

// konstFrom is constFromTensor with the copy counted in b's budget.
func (b *builder) konstFrom(name string, t *ir.Tensor) (*tval, error) {
	if t == nil {
		return nil, fmt.Errorf("no data")
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	if err := b.budget.Reserve(int64(len(t.Raw))); err != nil {
		return nil, err
	}
	return constFromTensor(name, t)
}

// constFromTensor copies t into a plan-time constant (not counted in a
// budget: callers copy tensors no larger than ones already counted).
func constFromTensor(name string, t *ir.Tensor) (*tval, error) {
	if t == nil {
		return nil, fmt.Errorf("no data")
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	if t.DType.Size() == 0 {
		return nil, fmt.Errorf("unsupported data type %s", t.DType)
	}
	v := &tval{name: name, dt: t.DType, shape: append([]int64{}, t.Dims...), n: int(t.Len()), konst: true}
	v.buf = alignedBytes(v.bytes())
	copy(v.buf, t.Raw)
	return v, nil
}

func (b *builder) planNode(n *ir.Node) (err error) {
	// Ops validate their inputs; this is the safety net for a malformed
	// node that an op failed to reject (an omitted required input, say).
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid node (%v)", r)
		}
	}()
	f := opTable[opKey(n.Domain, n.OpType)]
	if f == nil {
		d := n.Domain
		if d == "" {
			d = "ai.onnx"
		}
		return fmt.Errorf("unsupported op %s (domain %s)", n.OpType, d)
	}
	if len(n.Subgraphs()) > 0 {
		return fmt.Errorf("unsupported: ops with subgraphs")
	}
	if n.OpType != "Constant" && n.OpType != "SequenceEmpty" && (len(n.Inputs) == 0 || n.Inputs[0] == nil) {
		return fmt.Errorf("input 0 is missing")
	}
	c := &ctx{b: b, n: n, opset: b.m.Opset(n.Domain)}
	if c.opset == 0 && n.Domain == "" {
		c.opset = 25
	}
	allConst := true
	for i, v := range n.Inputs {
		if v == nil {
			c.in = append(c.in, nil)
			continue
		}
		t := b.vals[v]
		if t == nil {
			return fmt.Errorf("input %d (%q) is not computed before this node", i, v.Name)
		}
		if !t.konst {
			allConst = false
		}
		c.in = append(c.in, t)
	}
	for i, o := range n.Outputs {
		name := fmt.Sprintf("%s#out%d", n.Name, i)
		if o != nil {
			name = o.Name
		}
		c.out = append(c.out, &tval{name: name, producedBy: n})
	}
	b.pendingScratch = nil
	run, err := f(c)
	if err != nil {
		return err
	}
	for i, t := range c.out {
		if t.dt == ir.Undefined && t.alias == nil && t.seq == nil {
			return fmt.Errorf("internal: op did not set output %d", i)
		}
	}
	if err := checkPlannedShapes(c); err != nil {
		return err
	}
	if run != nil && allEmpty(c.out) {
		// Nothing to compute: kernels need not handle empty tensors
		// (an empty batch), whose size they may divide by or index.
		run = func() {}
	}
	if run == nil {
		for i, t := range c.out {
			if !t.konst {
				return fmt.Errorf("internal: output %d neither computed nor constant", i)
			}
		}
	} else if allConst {
		// Constant folding: run the kernel now on temporary storage,
		// counted in the budget before anything is allocated (scratch
		// is given back after the run).
		var need, scratch int64
		for _, t := range c.out {
			need += t.bytes()
			for _, e := range t.seq {
				need += e.bytes()
			}
		}
		for _, s := range b.pendingScratch {
			scratch += s.bytes()
		}
		if err := b.budget.Reserve(need + scratch); err != nil {
			return err
		}
		for _, t := range c.out {
			if t.alias != nil {
				t.buf = t.root().buf
			} else {
				t.buf = alignedBytes(t.bytes())
			}
		}
		for _, s := range b.pendingScratch {
			s.buf = alignedBytes(s.bytes())
		}
		for _, t := range c.out {
			for _, e := range t.seq {
				e.buf = alignedBytes(e.bytes())
				e.konst = true
			}
		}
		run()
		for _, s := range b.pendingScratch {
			s.buf = nil
		}
		b.budget.Release(scratch)
		for _, t := range c.out {
			if t.alias != nil {
				buf := alignedBytes(t.bytes())
				copy(buf, t.buf)
				t.buf, t.alias = buf, nil
			}
			t.konst = true
		}
		run = nil
	}
	// Bind values.
	for i, o := range n.Outputs {
		if i < len(c.out) && o != nil {
			b.vals[o] = c.out[i]
		}
	}
	if run == nil {
		return nil
	}
	idx := len(b.steps)
	for _, t := range c.in {
		if t != nil && !t.konst {
			t.root().last = max(t.root().last, idx)
			t.last = max(t.last, idx)
		}
	}
	for _, t := range c.out {
		t.first, t.last = idx, idx
		if t.alias != nil {
			r := t.root()
			r.last = max(r.last, idx)
		}
		b.all = append(b.all, t)
		for _, e := range t.seq {
			e.first, e.last = idx, idx
			b.all = append(b.all, e)
		}
	}
	for _, s := range b.pendingScratch {
		s.first, s.last = idx, idx
		b.all = append(b.all, s)
	}
	if !c.isView {
		b.steps = append(b.steps, step{node: n, run: run, kernels: c.kernels})
	}
	return nil
}
