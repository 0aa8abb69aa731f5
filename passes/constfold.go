package passes

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// maxFoldElements bounds the size of a tensor constant folding creates.
const maxFoldElements = 1 << 24

// foldConstants evaluates nodes whose inputs are all constants.
//
//	before: y = Constant{value=T}              after: initializer y = T
//	before: y = Op(c1, c2, ...) all constant   after: initializer y = Op(c1, c2, ...)
//	before: y = Shape(x), x of static shape    after: initializer y = dims of x
//
// Ops evaluated: Constant, Identity, Cast, Reshape, Unsqueeze, Squeeze,
// Concat, Gather, Transpose, Add, Sub, Mul, Div, Neg, Sqrt, Reciprocal,
// ConstantOfShape and Shape (on static shapes). Shape chains feeding a
// Reshape (x.view(x.size(0), -1)) therefore become constant shapes once
// input shapes are static. Values are computed in float64 and stored in the
// node's output dtype (integers exact up to 2^53). Preconditions: result at
// most 2^24 elements; a node that fails to evaluate is left alone.
func foldConstants(c *ctx) error {
	for _, n := range nodesSnapshot(c.g) {
		if !live(n) || (n.Domain != "" && n.Domain != "ai.onnx") || len(n.Outputs) != 1 || n.Outputs[0] == nil || len(n.Subgraphs()) > 0 {
			continue
		}
		var t *ir.Tensor
		var err error
		switch n.OpType {
		case "Constant":
			t, err = constantValue(n)
		case "Shape":
			t, err = foldShape(n)
		case "CastLike":
			t, err = foldCastLike(n)
		default:
			if !allConst(n) {
				continue
			}
			t, err = evalConst(n)
		}
		if err != nil || t == nil {
			if err != nil && n.OpType == "Constant" {
				c.leftAlone(n, "%v", err)
			}
			continue
		}
		if t.Len() > maxFoldElements || t.Check() != nil {
			continue
		}
		out := n.Outputs[0]
		v := c.g.AddConst(c.g.UniqueName(out.Name+"_folded"), t)
		t.Name = v.Name
		c.replace(out, v, true)
		t.Name = v.Name
		c.rewrote("folded %s %q to a constant %v", n.OpType, n.Name, t.Dims)
	}
	return nil
}

func allConst(n *ir.Node) bool {
	if len(n.Inputs) == 0 {
		return false
	}
	for _, in := range n.Inputs {
		if in != nil && !in.IsConst() {
			return false
		}
	}
	return true
}

// constantValue reads a Constant node's value attribute.
func constantValue(n *ir.Node) (*ir.Tensor, error) {
	for _, a := range n.Attrs {
		switch a.Name {
		case "value":
			if a.T == nil {
				return nil, fmt.Errorf("value attribute has no tensor")
			}
			t := a.T.Clone()
			return t, t.Check()
		case "value_float":
			return ir.NewFloat32(nil, []float32{a.F}), nil
		case "value_floats":
			return ir.NewFloat32([]int64{int64(len(a.Floats))}, a.Floats), nil
		case "value_int":
			return ir.NewInt64(nil, []int64{a.I}), nil
		case "value_ints":
			return ir.NewInt64([]int64{int64(len(a.Ints))}, a.Ints), nil
		}
	}
	return nil, fmt.Errorf("Constant kind not folded (sparse or string value)")
}

// foldShape evaluates Shape(x) when the requested dims of x are static.
func foldShape(n *ir.Node) (*ir.Tensor, error) {
	x := n.Inputs[0]
	var dims []int64
	switch {
	case x.IsConst():
		dims = x.Const.Dims
	case x.Type.IsTensor() && x.Type.HasShape:
		dims = x.Type.Shape.Sizes()
	default:
		return nil, nil
	}
	r := int64(len(dims))
	start, end := n.AttrInt("start", 0), n.AttrInt("end", r)
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = min(max(start, 0), r), min(max(end, 0), r)
	if end < start {
		end = start
	}
	out := dims[start:end]
	for _, d := range out {
		if d < 0 {
			return nil, nil
		}
	}
	return ir.NewInt64([]int64{int64(len(out))}, out), nil
}

// foldCastLike evaluates CastLike(c, target) for a constant c when the
// target's element type is known (the target itself need not be constant).
func foldCastLike(n *ir.Node) (*ir.Tensor, error) {
	if len(n.Inputs) != 2 || n.Inputs[0] == nil || !n.Inputs[0].IsConst() || n.Inputs[1] == nil {
		return nil, nil
	}
	tgt := n.Inputs[1]
	dt := tgt.Type.DType
	if tgt.IsConst() {
		dt = tgt.Const.DType
	}
	if !tgt.IsConst() && !tgt.Type.IsTensor() || !dt.Valid() || dt.Size() == 0 || dt == ir.String {
		return nil, nil
	}
	x, err := toNum(n.Inputs[0])
	if err != nil {
		return nil, err
	}
	f := make([]float64, len(x.f))
	for i, v := range x.f {
		if dt.IsInt() {
			v = math.Trunc(v)
		}
		f[i] = v
	}
	return (&numT{dt: dt, dims: x.dims, f: f}).tensor()
}

// numT is a numeric tensor during folding.
type numT struct {
	dt   ir.DType
	dims []int64
	f    []float64
}

func toNum(v *ir.Value) (*numT, error) {
	f, err := v.Const.Float64s()
	if err != nil {
		return nil, err
	}
	if v.Const.DType == ir.Int64 || v.Const.DType == ir.Uint64 {
		// float64 is exact only up to 2^53 (INT64_MAX in Slice ends is not)
		for _, x := range f {
			if math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("integer beyond 2^53 not folded")
			}
		}
	}
	return &numT{dt: v.Const.DType, dims: v.Const.Dims, f: f}, nil
}

func (t *numT) tensor() (*ir.Tensor, error) {
	return ir.NewFromFloat64(t.dt, t.dims, t.f)
}

func ints(v *ir.Value) ([]int64, error) { return v.Const.Int64s() }

// evalConst computes a node over constant inputs, or returns nil if the op
// is not one constant folding evaluates.
func evalConst(n *ir.Node) (*ir.Tensor, error) {
	switch n.OpType {
	case "Identity", "Cast", "Reshape", "Unsqueeze", "Squeeze", "Concat", "Gather", "Transpose",
		"Add", "Sub", "Mul", "Div", "Neg", "Sqrt", "Reciprocal", "ConstantOfShape", "Expand":
	default:
		return nil, nil
	}
	for _, in := range n.Inputs {
		if in != nil && (in.Const.DType == ir.String || in.Const.DType.Size() == 0) {
			return nil, nil
		}
	}
	if n.OpType == "ConstantOfShape" {
		shape, err := ints(n.Inputs[0])
		if err != nil {
			return nil, err
		}
		if ir.NumElements(shape) < 0 || ir.NumElements(shape) > maxFoldElements {
			return nil, fmt.Errorf("shape too large")
		}
		val := &numT{dt: ir.Float32, f: []float64{0}}
		if a := n.Attr("value"); a != nil && a.T != nil {
			f, err := a.T.Float64s()
			if err != nil || len(f) != 1 {
				return nil, fmt.Errorf("bad value")
			}
			val = &numT{dt: a.T.DType, f: f}
		}
		out := make([]float64, ir.NumElements(shape))
		for i := range out {
			out[i] = val.f[0]
		}
		return (&numT{dt: val.dt, dims: shape, f: out}).tensor()
	}
	x, err := toNum(n.Inputs[0])
	if err != nil {
		return nil, err
	}
	var r *numT
	switch n.OpType {
	case "Identity":
		r = x
	case "Cast":
		to := ir.DType(n.AttrInt("to", 0))
		if !to.Valid() || to.Size() == 0 || to == ir.String {
			return nil, nil
		}
		f := make([]float64, len(x.f))
		for i, v := range x.f {
			if to.IsInt() {
				v = math.Trunc(v)
			}
			f[i] = v
		}
		r = &numT{dt: to, dims: x.dims, f: f}
	case "Reshape":
		shape, err := ints(n.Inputs[1])
		if err != nil {
			return nil, err
		}
		dims, err := reshapeDims(x.dims, shape, n.AttrInt("allowzero", 0) != 0)
		if err != nil {
			return nil, err
		}
		r = &numT{dt: x.dt, dims: dims, f: x.f}
	case "Unsqueeze", "Squeeze":
		axes := n.AttrInts("axes", nil)
		if len(n.Inputs) > 1 && n.Inputs[1] != nil {
			if axes, err = ints(n.Inputs[1]); err != nil {
				return nil, err
			}
		}
		dims, err := squeezeDims(x.dims, axes, n.OpType == "Unsqueeze")
		if err != nil {
			return nil, err
		}
		r = &numT{dt: x.dt, dims: dims, f: x.f}
	case "Concat":
		r, err = concatNum(n)
	case "Gather":
		idx, err := ints(n.Inputs[1])
		if err != nil {
			return nil, err
		}
		r, err = gatherNum(x, idx, n.Inputs[1].Const.Dims, n.AttrInt("axis", 0))
		if err != nil {
			return nil, err
		}
	case "Transpose":
		r, err = transposeNum(x, n.AttrInts("perm", nil))
	case "Expand":
		shape, err := ints(n.Inputs[1])
		if err != nil {
			return nil, err
		}
		if ir.NumElements(shape) < 0 || ir.NumElements(shape) > maxFoldElements {
			return nil, fmt.Errorf("shape too large")
		}
		zeros := &numT{dt: x.dt, dims: shape, f: make([]float64, ir.NumElements(shape))}
		r, err = binaryNum(x, zeros, "Add")
		if err != nil {
			return nil, err
		}
	case "Neg", "Sqrt", "Reciprocal":
		f := make([]float64, len(x.f))
		for i, v := range x.f {
			switch n.OpType {
			case "Neg":
				f[i] = -v
			case "Sqrt":
				f[i] = math.Sqrt(v)
			case "Reciprocal":
				f[i] = 1 / v
			}
		}
		r = &numT{dt: x.dt, dims: x.dims, f: f}
	case "Add", "Sub", "Mul", "Div":
		if len(n.Inputs) != 2 {
			return nil, nil
		}
		y, err := toNum(n.Inputs[1])
		if err != nil {
			return nil, err
		}
		if x.dt != y.dt {
			return nil, fmt.Errorf("dtype mismatch")
		}
		r, err = binaryNum(x, y, n.OpType)
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, nil
	}
	return r.tensor()
}

// reshapeDims resolves a Reshape target (0 copies, -1 infers).
func reshapeDims(in, shape []int64, allowzero bool) ([]int64, error) {
	total := ir.NumElements(in)
	out := make([]int64, len(shape))
	infer, known := -1, int64(1)
	for i, s := range shape {
		switch {
		case s == 0 && !allowzero:
			if i >= len(in) {
				return nil, fmt.Errorf("reshape: 0 at axis %d beyond input rank", i)
			}
			out[i] = in[i]
		case s == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("reshape: two -1")
			}
			infer = i
			continue
		case s < 0:
			return nil, fmt.Errorf("reshape: bad size %d", s)
		default:
			out[i] = s
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("reshape: cannot infer -1")
		}
		out[infer] = total / known
	} else if known != total {
		return nil, fmt.Errorf("reshape: %v to %v changes the element count", in, shape)
	}
	return out, nil
}

func squeezeDims(in, axes []int64, unsqueeze bool) ([]int64, error) {
	if unsqueeze {
		r := int64(len(in) + len(axes))
		set := map[int64]bool{}
		for _, a := range axes {
			if a < 0 {
				a += r
			}
			if a < 0 || a >= r || set[a] {
				return nil, fmt.Errorf("unsqueeze: bad axes")
			}
			set[a] = true
		}
		out := make([]int64, 0, r)
		j := 0
		for i := int64(0); i < r; i++ {
			if set[i] {
				out = append(out, 1)
			} else {
				out = append(out, in[j])
				j++
			}
		}
		return out, nil
	}
	r := int64(len(in))
	set := map[int64]bool{}
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r || in[a] != 1 {
			return nil, fmt.Errorf("squeeze: bad axes")
		}
		set[a] = true
	}
	var out []int64
	for i, d := range in {
		if (len(axes) == 0 && d == 1) || set[int64(i)] {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func concatNum(n *ir.Node) (*numT, error) {
	var parts []*numT
	for _, in := range n.Inputs {
		if in == nil {
			continue
		}
		p, err := toNum(in)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("concat: no inputs")
	}
	r := int64(len(parts[0].dims))
	axis := n.AttrInt("axis", 0)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("concat: bad axis")
	}
	dims := append([]int64(nil), parts[0].dims...)
	dims[axis] = 0
	for _, p := range parts {
		if int64(len(p.dims)) != r || p.dt != parts[0].dt {
			return nil, fmt.Errorf("concat: mismatched inputs")
		}
		for i := range p.dims {
			if int64(i) != axis && p.dims[i] != dims[i] {
				return nil, fmt.Errorf("concat: mismatched shapes")
			}
		}
		dims[axis] += p.dims[axis]
	}
	outer := ir.NumElements(dims[:axis])
	var f []float64
	for o := int64(0); o < outer; o++ {
		for _, p := range parts {
			inner := ir.NumElements(p.dims[axis:])
			f = append(f, p.f[o*inner:(o+1)*inner]...)
		}
	}
	return &numT{dt: parts[0].dt, dims: dims, f: f}, nil
}

func gatherNum(x *numT, idx, idims []int64, axis int64) (*numT, error) {
	r := int64(len(x.dims))
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("gather: bad axis")
	}
	dims := append(append(append([]int64(nil), x.dims[:axis]...), idims...), x.dims[axis+1:]...)
	outer := ir.NumElements(x.dims[:axis])
	inner := ir.NumElements(x.dims[axis+1:])
	n := x.dims[axis]
	var f []float64
	for o := int64(0); o < outer; o++ {
		for _, i := range idx {
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return nil, fmt.Errorf("gather: index out of range")
			}
			base := (o*n + i) * inner
			f = append(f, x.f[base:base+inner]...)
		}
	}
	return &numT{dt: x.dt, dims: dims, f: f}, nil
}

func transposeNum(x *numT, perm []int64) (*numT, error) {
	r := len(x.dims)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("transpose: bad perm")
	}
	dims := make([]int64, r)
	for i, p := range perm {
		if p < 0 || int(p) >= r {
			return nil, fmt.Errorf("transpose: bad perm")
		}
		dims[i] = x.dims[p]
	}
	inStride := strides(x.dims)
	f := make([]float64, len(x.f))
	idx := make([]int64, r)
	for o := range f {
		off := int64(0)
		for i := 0; i < r; i++ {
			off += idx[i] * inStride[perm[i]]
		}
		f[o] = x.f[off]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
	return &numT{dt: x.dt, dims: dims, f: f}, nil
}

func strides(dims []int64) []int64 {
	s := make([]int64, len(dims))
	acc := int64(1)
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// binaryNum applies an arithmetic op with numpy broadcasting.
func binaryNum(x, y *numT, op string) (*numT, error) {
	r := max(len(x.dims), len(y.dims))
	pad := func(d []int64) []int64 {
		out := make([]int64, r)
		for i := range out {
			out[i] = 1
		}
		copy(out[r-len(d):], d)
		return out
	}
	xd, yd := pad(x.dims), pad(y.dims)
	dims := make([]int64, r)
	for i := 0; i < r; i++ {
		switch {
		case xd[i] == yd[i], yd[i] == 1:
			dims[i] = xd[i]
		case xd[i] == 1:
			dims[i] = yd[i]
		default:
			return nil, fmt.Errorf("cannot broadcast %v and %v", x.dims, y.dims)
		}
	}
	total := ir.NumElements(dims)
	if total < 0 || total > maxFoldElements {
		return nil, fmt.Errorf("result too large")
	}
	xs, ys := strides(xd), strides(yd)
	f := make([]float64, total)
	idx := make([]int64, r)
	isInt := x.dt.IsInt()
	for o := range f {
		var xo, yo int64
		for i := 0; i < r; i++ {
			if xd[i] != 1 {
				xo += idx[i] * xs[i]
			}
			if yd[i] != 1 {
				yo += idx[i] * ys[i]
			}
		}
		a, b := x.f[xo], y.f[yo]
		switch op {
		case "Add":
			f[o] = a + b
		case "Sub":
			f[o] = a - b
		case "Mul":
			f[o] = a * b
		case "Div":
			if isInt {
				if b == 0 {
					return nil, fmt.Errorf("integer division by zero")
				}
				f[o] = math.Trunc(a / b)
			} else {
				f[o] = a / b
			}
		}
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
	return &numT{dt: x.dt, dims: dims, f: f}, nil
}
