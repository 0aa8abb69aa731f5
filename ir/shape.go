package ir

import (
	"errors"
	"fmt"
	"strings"
)

// InferShapes fills in the type of every node output of m's graphs
// (subgraphs first, then the node holding them), in node order, with the
// shape functions registered by RegisterShapeFunc. Values computed from
// shapes (Shape -> Gather -> Concat -> Reshape, ...) are evaluated as
// symbolic shape values (symValue) where the input shapes allow it. Ops without a
// shape function keep whatever type their outputs had. A type recorded
// before (from the file's value_info) is refined where it agrees with the
// inferred one and replaced where it does not. Inconsistent inputs are an
// error naming the node: "node %q (%s): ...".
func InferShapes(m *Model) error {
	if m == nil || m.Graph == nil {
		return errors.New("infer shapes: model has no graph")
	}
	return inferGraph(m, m.Graph)
}

func inferGraph(m *Model, g *Graph) error {
	for _, v := range g.Initializers {
		if v.Const != nil && v.Type.Kind == KindUnknown {
			v.Type = TensorOf(v.Const.DType, v.Const.Dims...)
		}
	}
	for _, v := range g.Inputs {
		if err := checkSize(v.Type); err != nil {
			return fmt.Errorf("graph %q: input %q: %w", g.Name, v.Name, err)
		}
	}
	for _, n := range g.Nodes {
		for _, s := range n.Subgraphs() {
			if err := inferGraph(m, s); err != nil {
				return fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
			}
		}
		if err := InferNode(m, n); err != nil {
			return err
		}
	}
	return nil
}

// InferNode runs the shape function of n (if one is registered) and records
// the output types, as InferShapes does for each node. Passes that add
// nodes call it to type the new outputs.
func InferNode(m *Model, n *Node) error {
	saved, ran, err := rerunShapeFunc(m, n)
	if !ran {
		return nil
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		o.Type = mergeType(o.Type, saved[i])
		if err == nil {
			if e := checkSize(o.Type); e != nil {
				err = fmt.Errorf("output %q: %w", o.Name, e)
			}
		}
	}
	if err != nil {
		for i, o := range n.Outputs {
			if o != nil {
				o.Type = saved[i]
			}
		}
		return fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
	}
	return nil
}

// rerunShapeFunc runs n's registered shape function (ran false when there
// is none) with n's output types cleared first; it returns the types they
// had before, which the caller merges, compares or restores.
func rerunShapeFunc(m *Model, n *Node) (saved []Type, ran bool, err error) {
	f := LookupShapeFunc(n.Domain, n.OpType)
	if f == nil {
		return nil, false, nil
	}
	saved = make([]Type, len(n.Outputs))
	for i, o := range n.Outputs {
		if o != nil {
			saved[i] = o.Type
			o.Type = Type{}
		}
	}
	return saved, true, f(n, m.Opset(n.Domain))
}

// mergeType combines an inferred type with the one recorded before: the
// inferred one wins, but unknown parts (dtype, rank, symbolic dims) are
// taken from the recorded type when the two agree elsewhere.
func mergeType(got, old Type) Type {
	if got.Kind == KindUnknown {
		return old
	}
	if got.Kind != KindTensor || old.Kind != KindTensor {
		return got
	}
	if got.DType == Undefined {
		got.DType = old.DType
	} else if old.DType != Undefined && old.DType != got.DType {
		return got
	}
	if !old.HasShape {
		return got
	}
	if !got.HasShape {
		got.Shape, got.HasShape = append(Shape(nil), old.Shape...), true
		return got
	}
	if !compatibleShape(got.Shape, old.Shape) {
		return got
	}
	s := append(Shape(nil), got.Shape...)
	for i := range s {
		if !s[i].Known() && (old.Shape[i].Known() || s[i].Param == "") {
			s[i] = old.Shape[i]
		}
	}
	got.Shape = s
	return got
}

// checkSize fails when the known dimensions of t multiply past MaxElements.
func checkSize(t Type) error {
	if t.Kind != KindTensor || !t.HasShape {
		return nil
	}
	n := int64(1)
	for _, d := range t.Shape {
		if !d.Known() {
			continue
		}
		if d.Size != 0 && n > MaxElements/d.Size {
			return fmt.Errorf("shape %s has more than 2^40 elements", t.Shape)
		}
		n *= d.Size
	}
	return nil
}

// SetInputShapes fixes the dimensions of the named graph inputs to the given
// sizes (replacing symbolic ones such as a batch dimension, or known ones),
// clears the types inferred for node outputs and infers them again. On
// error (an unknown input name, a rank mismatch, a shape the model cannot
// take) every type is left as it was.
func SetInputShapes(m *Model, shapes map[string][]int64) error {
	if m == nil || m.Graph == nil {
		return errors.New("set input shapes: model has no graph")
	}
	saved := saveTypes(m.Graph, map[*Value]Type{})
	if err := setInputShapes(m, shapes); err != nil {
		for v, t := range saved {
			v.Type = t
		}
		return err
	}
	return nil
}

// saveTypes records the types of g's inputs and node outputs, subgraphs
// included.
func saveTypes(g *Graph, into map[*Value]Type) map[*Value]Type {
	for _, v := range g.Inputs {
		into[v] = v.Type.Clone()
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				into[o] = o.Type.Clone()
			}
		}
		for _, s := range n.Subgraphs() {
			saveTypes(s, into)
		}
	}
	return into
}

func setInputShapes(m *Model, shapes map[string][]int64) error {
	g := m.Graph
	for name, sizes := range shapes {
		var in *Value
		for _, v := range g.Inputs {
			if v.Name == name {
				in = v
			}
		}
		if in == nil {
			var names []string
			for _, v := range g.Inputs {
				if !v.IsConst() && v.Const == nil {
					names = append(names, v.Name)
				}
			}
			return fmt.Errorf("set input shapes: no graph input %q (inputs: %s)", name, strings.Join(names, ", "))
		}
		if in.Type.Kind != KindTensor && in.Type.Kind != KindUnknown {
			return fmt.Errorf("set input shapes: input %q is not a tensor (%s)", name, in.Type)
		}
		if in.Type.HasShape && len(in.Type.Shape) != len(sizes) {
			return fmt.Errorf("set input shapes: input %q has rank %d, got %d sizes %v", name, len(in.Type.Shape), len(sizes), sizes)
		}
		for _, s := range sizes {
			if s < 0 {
				return fmt.Errorf("set input shapes: input %q: negative size in %v", name, sizes)
			}
		}
		if NumElements(sizes) < 0 {
			return fmt.Errorf("set input shapes: input %q: shape %v has more than 2^40 elements", name, sizes)
		}
		t := in.Type.Clone()
		t.Kind = KindTensor
		t.Shape, t.HasShape = S(sizes...), true
		if in.Type.HasShape {
			for i := range t.Shape {
				t.Shape[i].Doc = in.Type.Shape[i].Doc
			}
		}
		in.Type = t
	}
	clearInferred(g)
	return InferShapes(m)
}

// clearInferred forgets the types of all node outputs in g and its
// subgraphs.
func clearInferred(g *Graph) {
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				o.Type = Type{}
			}
		}
		for _, s := range n.Subgraphs() {
			clearInferred(s)
		}
	}
}

// ---- helpers for shape functions ----

// errUnknown tells a shape helper's caller that the result cannot be known
// from what is known (not an error in the model).
var errUnknown = errors.New("unknown")

// inType returns input i's type when it is a tensor.
func inType(n *Node, i int) (Type, bool) {
	v := n.Input(i)
	if v == nil || v.Type.Kind != KindTensor {
		return Type{}, false
	}
	return v.Type, true
}

// inShape returns input i's shape when its rank is known.
func inShape(n *Node, i int) (Shape, bool) {
	t, ok := inType(n, i)
	if !ok || !t.HasShape {
		return nil, false
	}
	return t.Shape, true
}

// inDType returns input i's dtype (Undefined when unknown).
func inDType(n *Node, i int) DType {
	t, _ := inType(n, i)
	return t.DType
}

// setOut records output i as a tensor of dtype dt and shape s.
func setOut(n *Node, i int, dt DType, s Shape) {
	if o := n.Output(i); o != nil {
		o.Type = TensorShaped(dt, s)
		if o.Type.Shape == nil {
			o.Type.Shape = Shape{}
		}
	}
}

// setOutNoShape records output i as a tensor of dtype dt and unknown rank
// (nothing is recorded when dt is unknown too).
func setOutNoShape(n *Node, i int, dt DType) {
	if o := n.Output(i); o != nil && dt != Undefined {
		o.Type = Type{Kind: KindTensor, DType: dt}
	}
}

// setOutMaybe records output i with dtype dt and shape s, or with unknown
// rank when known is false.
func setOutMaybe(n *Node, i int, dt DType, s Shape, known bool) {
	if known {
		setOut(n, i, dt, s)
	} else {
		setOutNoShape(n, i, dt)
	}
}

// unknownDims is a shape of rank r with all dimensions unknown.
func unknownDims(r int) Shape {
	s := make(Shape, r)
	for i := range s {
		s[i] = Dim{Size: -1}
	}
	return s
}

// broadcastShapes applies ONNX multidirectional (numpy) broadcasting.
// Symbolic dimensions: a symbol against 1 stays, a symbol against a known
// size > 1 becomes that size, two equal symbols stay, other pairs are
// unknown.
func broadcastShapes(a, b Shape) (Shape, error) {
	r := max(len(a), len(b))
	out := make(Shape, r)
	for i := range r {
		da, db := Dim{Size: 1}, Dim{Size: 1}
		if k := i - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := i - (r - len(b)); k >= 0 {
			db = b[k]
		}
		switch {
		case da.Known() && db.Known():
			switch {
			case da.Size == db.Size || db.Size == 1:
				out[i] = Dim{Size: da.Size}
			case da.Size == 1:
				out[i] = Dim{Size: db.Size}
			default:
				return nil, fmt.Errorf("cannot broadcast shapes %s and %s (dimension %d: %d vs %d)", a, b, i, da.Size, db.Size)
			}
		case da.Known():
			if da.Size == 1 {
				out[i] = Dim{Size: -1, Param: db.Param}
			} else {
				out[i] = Dim{Size: da.Size}
			}
		case db.Known():
			if db.Size == 1 {
				out[i] = Dim{Size: -1, Param: da.Param}
			} else {
				out[i] = Dim{Size: db.Size}
			}
		default:
			if da.Param != "" && da.Param == db.Param {
				out[i] = Dim{Size: -1, Param: da.Param}
			} else {
				out[i] = Dim{Size: -1}
			}
		}
	}
	return out, nil
}

// BroadcastShape is the ONNX multidirectional (numpy) broadcast of static
// shapes: broadcastShapes' rule for known sizes, over any number of shapes.
func BroadcastShape(shapes ...[]int64) ([]int64, error) {
	out := Shape{}
	for _, s := range shapes {
		var err error
		if out, err = broadcastShapes(out, S(s...)); err != nil {
			return nil, err
		}
	}
	return out.Sizes(), nil
}

// unsqueezeDims inserts size-1 dimensions at axes (indices into the
// output, negative counted from its end).
func unsqueezeDims(s Shape, axes []int64) (Shape, error) {
	r := len(s) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return nil, fmt.Errorf("unsqueeze axis %d out of range for output rank %d", a, r)
		}
		if ins[ax] {
			return nil, fmt.Errorf("unsqueeze axis %d repeated", a)
		}
		ins[ax] = true
	}
	out := make(Shape, 0, r)
	k := 0
	for i := range r {
		if ins[i] {
			out = append(out, Dim{Size: 1})
		} else {
			out = append(out, s[k])
			k++
		}
	}
	return out, nil
}

// squeezeDims removes the dimensions at axes (each must have size 1), or,
// with no axes, every dimension of size 1 (errUnknown if a dimension is
// symbolic then).
func squeezeDims(s Shape, axes []int64) (Shape, error) {
	drop := make([]bool, len(s))
	if len(axes) == 0 {
		for i, d := range s {
			if !d.Known() {
				return nil, errUnknown
			}
			drop[i] = d.Size == 1
		}
	}
	for _, a := range axes {
		ax := normAxis(a, len(s))
		if ax < 0 {
			return nil, fmt.Errorf("squeeze axis %d out of range for rank %d", a, len(s))
		}
		if s[ax].Known() && s[ax].Size != 1 {
			return nil, fmt.Errorf("squeeze axis %d has size %d, not 1", a, s[ax].Size)
		}
		drop[ax] = true
	}
	out := Shape{}
	for i, d := range s {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

// ReduceAxes is the mask of the axes a reduction over axes reduces in a
// rank-r input: negative axes count from the end, a repeated axis counts
// once, and no axes means every axis.
func ReduceAxes(axes []int64, r int) ([]bool, error) {
	red := make([]bool, r)
	for _, a := range axes {
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		red[ax] = true
	}
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	return red, nil
}

// ReduceShape is the output shape of reducing the static shape in over
// axes (ReduceAxes), a reduced axis kept as size 1 when keep is set.
func ReduceShape(in, axes []int64, keep bool) ([]int64, error) {
	s, err := reduceShape(S(in...), axes, keep)
	if err != nil {
		return nil, err
	}
	return s.Sizes(), nil
}

// reduceShape is the shape of reducing s over axes (ReduceAxes).
func reduceShape(s Shape, axes []int64, keep bool) (Shape, error) {
	red, err := ReduceAxes(axes, len(s))
	if err != nil {
		return nil, err
	}
	out := Shape{}
	for i, d := range s {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, Dim{Size: 1})
		}
	}
	return out, nil
}

// productDim multiplies dimensions: known when all are known; a single
// named symbol times known sizes of product 1 keeps the symbol.
func productDim(ds Shape) Dim {
	p := int64(1)
	var sym *Dim
	for i, d := range ds {
		if !d.Known() {
			if sym != nil || d.Param == "" {
				return Dim{Size: -1}
			}
			sym = &ds[i]
			continue
		}
		if d.Size != 0 && p > MaxElements/d.Size {
			return Dim{Size: -1}
		}
		p *= d.Size
	}
	if sym == nil {
		return Dim{Size: p}
	}
	if p == 1 {
		return Dim{Size: -1, Param: sym.Param}
	}
	return Dim{Size: -1}
}

// reshapeShape is Reshape's output shape for input shape in and target
// elements (0 copies the input dimension unless allowzero, one -1 is
// inferred; unknown elements become symbolic dimensions).
func reshapeShape(in Shape, target []elem, allowzero bool) (Shape, error) {
	out := make(Shape, len(target))
	infer := -1
	for i, e := range target {
		switch {
		case !e.known:
			out[i] = Dim{Size: -1, Param: e.param}
		case e.i == 0 && !allowzero:
			if i >= len(in) {
				return nil, fmt.Errorf("reshape target %s copies dimension %d (0) but the input has rank %d", elemsString(target), i, len(in))
			}
			out[i] = in[i]
		case e.i == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("reshape target %s has more than one -1", elemsString(target))
			}
			infer = i
		case e.i < -1:
			return nil, fmt.Errorf("reshape target %s has invalid size %d", elemsString(target), e.i)
		default:
			out[i] = Dim{Size: e.i}
		}
	}
	// Element counts as a known product times a multiset of named symbols.
	type count struct {
		known   int64
		syms    map[string]int
		unnamed bool
		over    bool
	}
	tally := func(ds Shape, skip int) count {
		c := count{known: 1, syms: map[string]int{}}
		for i, d := range ds {
			if i == skip {
				continue
			}
			switch {
			case d.Known():
				if d.Size != 0 && c.known > MaxElements/d.Size {
					c.over = true
				} else {
					c.known *= d.Size
				}
			case d.Param == "":
				c.unnamed = true
			default:
				c.syms[d.Param]++
			}
		}
		return c
	}
	ci, co := tally(in, -1), tally(out, infer)
	if ci.over || co.over {
		return nil, fmt.Errorf("reshape of %s to %s: more than 2^40 elements", in, elemsString(target))
	}
	if ci.unnamed || co.unnamed {
		if infer >= 0 {
			out[infer] = Dim{Size: -1}
		}
		return out, nil
	}
	for p, k := range co.syms {
		m := min(k, ci.syms[p])
		co.syms[p] -= m
		ci.syms[p] -= m
	}
	left := func(c count) []string {
		var ps []string
		for p, k := range c.syms {
			for range k {
				ps = append(ps, p)
			}
		}
		return ps
	}
	li, lo := left(ci), left(co)
	if infer < 0 {
		if len(li) == 0 && len(lo) == 0 && ci.known != co.known {
			return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s (%d elements)", in, ci.known, out, co.known)
		}
		return out, nil
	}
	switch {
	case len(lo) > 0:
		out[infer] = Dim{Size: -1}
	case len(li) == 1 && ci.known == co.known:
		out[infer] = Dim{Size: -1, Param: li[0]}
	case len(li) > 0:
		out[infer] = Dim{Size: -1}
	case co.known == 0:
		if ci.known != 0 {
			return nil, fmt.Errorf("cannot infer -1 in reshape of %s to %s: other dimensions multiply to 0", in, elemsString(target))
		}
		out[infer] = Dim{Size: -1}
	case ci.known%co.known != 0:
		return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s", in, ci.known, elemsString(target))
	default:
		out[infer] = Dim{Size: ci.known / co.known}
	}
	return out, nil
}

func elemsString(es []elem) string {
	parts := make([]string, len(es))
	for i, e := range es {
		switch {
		case e.known:
			parts[i] = fmt.Sprint(e.i)
		case e.param != "":
			parts[i] = e.param
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// valueElems reads a 1-D shape-like input (Reshape, Expand, ConstantOfShape,
// Tile repeats) as elements: known ones as sizes, unknown ones as symbolic
// dims. ok is false when not even the length is known.
func valueElems(n *Node, i int) ([]elem, bool) {
	v := n.Input(i)
	if v == nil {
		return nil, false
	}
	if s := symValue(v); s != nil && len(s.dims) <= 1 && isIntLike(s.dt) {
		return s.e, true
	}
	// Length known from the type alone: all elements unknown.
	if v.Type.Kind == KindTensor && v.Type.HasShape && len(v.Type.Shape) == 1 && v.Type.Shape[0].Known() && v.Type.Shape[0].Size <= MaxEvalElements {
		return make([]elem, v.Type.Shape[0].Size), true
	}
	return nil, false
}

// knownInts is the value of input i when fully known as integers.
func knownInts(n *Node, i int) ([]int64, bool) {
	s := symValue(n.Input(i))
	if s == nil {
		return nil, false
	}
	return s.ints()
}

// knownFloats is the value of input i when fully known.
func knownFloats(n *Node, i int) ([]float64, bool) {
	s := symValue(n.Input(i))
	if s == nil {
		return nil, false
	}
	return s.floats()
}

// elemDims turns elements into dimensions (negative known values are an
// error).
func elemDims(es []elem) (Shape, error) {
	out := make(Shape, len(es))
	for i, e := range es {
		switch {
		case !e.known:
			out[i] = Dim{Size: -1, Param: e.param}
		case e.i < 0:
			return nil, fmt.Errorf("negative dimension %d in %s", e.i, elemsString(es))
		default:
			out[i] = Dim{Size: e.i}
		}
	}
	return out, nil
}
