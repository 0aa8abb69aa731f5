package ir

import (
	"errors"
	"fmt"
)

// ShapeFunc infers the output types of n from its input types (and constant
// inputs). It sets n.Outputs[i].Type for outputs it can infer and returns an
// error when the inputs are inconsistent. Registered per op type by
// RegisterShapeFunc; see shape*.go.
type ShapeFunc func(n *Node, opset int64) error

var shapeFuncs = map[string]ShapeFunc{}

// RegisterShapeFunc registers the shape function of an op in domain.
func RegisterShapeFunc(domain, op string, f ShapeFunc) { shapeFuncs[schemaKey(domain, op)] = f }

// LookupShapeFunc returns the shape function of an op, or nil.
func LookupShapeFunc(domain, op string) ShapeFunc { return shapeFuncs[schemaKey(domain, op)] }

// VerifyError is a broken invariant, naming the graph and node.
type VerifyError struct {
	Graph string
	Node  *Node
	Err   error
}

func (e *VerifyError) Error() string {
	if e.Node != nil {
		return fmt.Sprintf("graph %q: node %q (%s): %v", e.Graph, e.Node.Name, e.Node.OpType, e.Err)
	}
	return fmt.Sprintf("graph %q: %v", e.Graph, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks the model's invariants: every node input is defined before
// use (in this graph or an enclosing one), the node order is topological,
// use lists match the inputs, every value has one producer, constants match
// their types, node arity and attribute types match the op schema for the
// model's opset, and recorded shapes agree with shape inference.
func Verify(m *Model) error {
	if m.Graph == nil {
		return errors.New("model has no graph")
	}
	return verifyGraph(m, m.Graph, map[*Value]bool{})
}

func verifyGraph(m *Model, g *Graph, outer map[*Value]bool) error {
	fail := func(n *Node, format string, args ...any) error {
		return &VerifyError{Graph: g.Name, Node: n, Err: fmt.Errorf(format, args...)}
	}
	defined := map[*Value]bool{}
	for v := range outer {
		defined[v] = true
	}
	for _, v := range g.Inputs {
		if v == nil {
			return fail(nil, "nil graph input")
		}
		if v.Owner != g {
			return fail(nil, "input %q not owned by the graph", v.Name)
		}
		if v.Producer != nil {
			return fail(nil, "input %q has a producer", v.Name)
		}
		if !v.IsInput {
			return fail(nil, "input %q not flagged as input", v.Name)
		}
		if defined[v] {
			return fail(nil, "input %q listed twice", v.Name)
		}
		defined[v] = true
	}
	for _, v := range g.Initializers {
		if v.Const == nil {
			return fail(nil, "initializer %q has no data", v.Name)
		}
		if err := v.Const.Check(); err != nil {
			return fail(nil, "initializer %q: %v", v.Name, err)
		}
		if v.Producer != nil {
			return fail(nil, "initializer %q has a producer", v.Name)
		}
		if v.Type.Kind == KindTensor && v.Type.HasShape && !v.Type.Shape.Equal(S(v.Const.Dims...)) && !v.IsInput {
			return fail(nil, "initializer %q: type %s does not match data shape %v", v.Name, v.Type, v.Const.Dims)
		}
		defined[v] = true
	}
	for _, n := range g.Nodes {
		if n.Owner != g {
			return fail(n, "node not owned by graph")
		}
		for i, in := range n.Inputs {
			if in == nil {
				continue
			}
			if !defined[in] {
				if in.Producer != nil && in.Owner == g {
					return fail(n, "input %d %q is used before it is produced (order is not topological, or a cycle)", i, in.Name)
				}
				return fail(n, "input %d %q is not defined", i, in.Name)
			}
		}
		if err := checkSchema(m, n); err != nil {
			return fail(n, "%v", err)
		}
		for _, s := range n.Subgraphs() {
			if s.Parent != g {
				return fail(n, "subgraph %q has the wrong parent", s.Name)
			}
			if err := verifyGraph(m, s, defined); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
		for i, o := range n.Outputs {
			if o == nil {
				continue
			}
			if o.Producer != n || o.OutIndex != i {
				return fail(n, "output %d %q does not point back at its producer", i, o.Name)
			}
			if o.Owner != g {
				return fail(n, "output %q not owned by the graph", o.Name)
			}
			if defined[o] {
				return fail(n, "output %q is defined twice", o.Name)
			}
			if o.Const != nil {
				return fail(n, "output %q also has constant data", o.Name)
			}
			defined[o] = true
		}
		if err := checkShapes(m, n); err != nil {
			return fail(n, "%v", err)
		}
	}
	for _, o := range g.Outputs {
		if o == nil || !defined[o] {
			name := "<nil>"
			if o != nil {
				name = o.Name
			}
			return fail(nil, "graph output %q is not defined", name)
		}
		if !o.IsOutput && o.Owner == g {
			return fail(nil, "graph output %q not flagged as output", o.Name)
		}
	}
	for _, v := range g.AllValues() {
		if g.Lookup(v.Name) != v {
			return fail(nil, "value %q missing from the name index", v.Name)
		}
		seen := make(map[Use]bool, len(v.Uses))
		for _, u := range v.Uses {
			if u.Node == nil || u.Index >= len(u.Node.Inputs) || u.Node.Inputs[u.Index] != v {
				return fail(nil, "value %q: stale use", v.Name)
			}
			if seen[u] {
				return fail(nil, "value %q: use by node %q input %d is listed twice", v.Name, u.Node.Name, u.Index)
			}
			seen[u] = true
		}
	}
	// Every input of every node of g (including values of enclosing graphs
	// that g reads) is in that value's use list.
	listed := map[*Value]map[Use]bool{}
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == nil {
				continue
			}
			if listed[in] == nil {
				listed[in] = make(map[Use]bool, len(in.Uses))
				for _, u := range in.Uses {
					listed[in][u] = true
				}
			}
			if !listed[in][Use{n, i}] {
				return fail(n, "input %d %q: the value's use list lacks this use", i, in.Name)
			}
		}
	}
	return nil
}

func checkSchema(m *Model, n *Node) error {
	s := LookupSchema(n.Domain, n.OpType, m.Opset(n.Domain))
	if s == nil {
		if n.Domain == FusedDomain || !KnownOp(n.Domain, n.OpType) {
			return nil // fused ops and ops without tables are checked elsewhere
		}
		return fmt.Errorf("op not defined at opset %d", m.Opset(n.Domain))
	}
	nin := len(n.Inputs)
	if nin < s.MinInputs || (s.MaxInputs >= 0 && nin > s.MaxInputs) {
		return fmt.Errorf("has %d inputs, schema allows %s", nin, arity(s.MinInputs, s.MaxInputs))
	}
	nout := len(n.Outputs)
	if nout < s.MinOutputs || (s.MaxOutputs >= 0 && nout > s.MaxOutputs) {
		return fmt.Errorf("has %d outputs, schema allows %s", nout, arity(s.MinOutputs, s.MaxOutputs))
	}
	for _, a := range n.Attrs {
		want, ok := s.Attrs[a.Name]
		if !ok {
			return fmt.Errorf("unknown attribute %q", a.Name)
		}
		if a.RefName == "" && want != a.Type {
			return fmt.Errorf("attribute %q has type %s, want %s", a.Name, a.Type, want)
		}
	}
	for _, r := range s.Required {
		if n.Attr(r) == nil {
			return fmt.Errorf("missing required attribute %q", r)
		}
	}
	return nil
}

func arity(lo, hi int) string {
	if hi < 0 {
		return fmt.Sprintf("%d or more", lo)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// checkShapes re-runs shape inference on a scratch copy of n's outputs and
// compares with the recorded types where both are known.
func checkShapes(m *Model, n *Node) error {
	saved, ran, err := rerunShapeFunc(m, n)
	if !ran {
		return nil
	}
	var mismatch error
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		got := o.Type
		o.Type = saved[i]
		if err == nil && mismatch == nil && got.Kind == KindTensor && saved[i].Kind == KindTensor && got.HasShape && saved[i].HasShape {
			if got.DType != saved[i].DType && got.DType != Undefined && saved[i].DType != Undefined {
				mismatch = fmt.Errorf("output %q has dtype %s, inference gives %s", o.Name, saved[i].DType, got.DType)
			} else if !compatibleShape(got.Shape, saved[i].Shape) {
				mismatch = fmt.Errorf("output %q has shape %s, inference gives %s", o.Name, saved[i].Shape, got.Shape)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("shape inference: %w", err)
	}
	return mismatch
}

// compatibleShape reports whether two shapes can describe the same tensor:
// same rank, and equal sizes wherever both are known.
func compatibleShape(a, b Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Known() && b[i].Known() && a[i].Size != b[i].Size {
			return false
		}
	}
	return true
}
