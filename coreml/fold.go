package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// folders evaluate nodes whose inputs are all constants at conversion time
// (the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of PyTorch
// exports, constant Casts). Each returns the output tensors.
var folders = map[string]func(*lowerer, *ir.Node) ([]*ir.Tensor, error){
	"Gather":          foldGather,
	"Unsqueeze":       foldUnsqueeze,
	"Squeeze":         foldSqueeze,
	"Concat":          foldConcat,
	"Cast":            foldCast,
	"Add":             foldArith(func(x, y float64) float64 { return x + y }),
	"Sub":             foldArith(func(x, y float64) float64 { return x - y }),
	"Mul":             foldArith(func(x, y float64) float64 { return x * y }),
	"Div":             foldDiv,
	"Reshape":         foldReshape,
	"Identity":        foldIdentity,
	"ConstantOfShape": foldConstantOfShape,
	"Expand":          foldExpand,
}

func vals(t *ir.Tensor) ([]float64, error) { return t.Float64s() }

func foldIdentity(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	return []*ir.Tensor{l.constOf(n, 0)}, nil
}

func foldGather(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d, idx := l.constOf(n, 0), l.constOf(n, 1)
	if len(d.Dims) != 1 {
		return nil, fmt.Errorf("constant Gather on rank %d data: %w", len(d.Dims), errUnsupported)
	}
	dv, err := vals(d)
	if err != nil {
		return nil, err
	}
	iv, err := idx.Int64s()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(iv))
	for i, k := range iv {
		if k < 0 {
			k += int64(len(dv))
		}
		if k < 0 || k >= int64(len(dv)) {
			return nil, fmt.Errorf("Gather index %d out of range %d", iv[i], len(dv))
		}
		out[i] = dv[k]
	}
	t, err := ir.NewFromFloat64(d.DType, idx.Dims, out)
	return []*ir.Tensor{t}, err
}

func foldUnsqueeze(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d := l.constOf(n, 0)
	axes, err := l.axesArg(n)
	if err != nil {
		return nil, err
	}
	s, err := unsqueezeShape(d.Dims, axes)
	if err != nil {
		return nil, err
	}
	c := d.Clone()
	c.Dims = s
	return []*ir.Tensor{c}, nil
}

func foldSqueeze(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d := l.constOf(n, 0)
	axes, err := l.axesArg(n)
	if err != nil {
		return nil, err
	}
	drop := map[int64]bool{}
	for _, ax := range axes {
		v, err := normAxis(ax, len(d.Dims))
		if err != nil {
			return nil, err
		}
		drop[v] = true
	}
	var s []int64
	for i, k := range d.Dims {
		if (len(axes) == 0 && k == 1) || drop[int64(i)] {
			continue
		}
		s = append(s, k)
	}
	c := d.Clone()
	c.Dims = s
	return []*ir.Tensor{c}, nil
}

func foldConcat(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	var out []float64
	dt := ir.Int64
	for i := range n.Inputs {
		t := l.constOf(n, i)
		if len(t.Dims) != 1 {
			return nil, fmt.Errorf("constant Concat of rank-%d tensors: %w", len(t.Dims), errUnsupported)
		}
		v, err := vals(t)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
		dt = t.DType
	}
	t, err := ir.NewFromFloat64(dt, []int64{int64(len(out))}, out)
	return []*ir.Tensor{t}, err
}

func foldCast(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d := l.constOf(n, 0)
	v, err := vals(d)
	if err != nil {
		return nil, err
	}
	t, err := ir.NewFromFloat64(ir.DType(n.AttrInt("to", int64(d.DType))), d.Dims, v)
	return []*ir.Tensor{t}, err
}

// foldBroadcast applies f elementwise with numpy broadcasting.
func foldBroadcast(x, y *ir.Tensor, f func(a, b float64) float64) (*ir.Tensor, error) {
	s, err := ir.BroadcastShape(x.Dims, y.Dims)
	if err != nil {
		return nil, err
	}
	xv, err := vals(x)
	if err != nil {
		return nil, err
	}
	yv, err := vals(y)
	if err != nil {
		return nil, err
	}
	out := make([]float64, numel(s))
	idx := func(dims []int64, flat int64) int64 {
		// flat index in s -> index in dims (broadcast).
		off, stride := int64(0), int64(1)
		rem := flat
		for i := len(s) - 1; i >= 0; i-- {
			c := rem % s[i]
			rem /= s[i]
			j := i - (len(s) - len(dims))
			if j >= 0 {
				if dims[j] != 1 {
					off += c * stride
				}
				stride *= dims[j]
			}
		}
		return off
	}
	for i := range out {
		out[i] = f(xv[idx(x.Dims, int64(i))], yv[idx(y.Dims, int64(i))])
	}
	return ir.NewFromFloat64(x.DType, s, out)
}

func foldArith(f func(x, y float64) float64) func(*lowerer, *ir.Node) ([]*ir.Tensor, error) {
	return func(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
		t, err := foldBroadcast(l.constOf(n, 0), l.constOf(n, 1), f)
		return []*ir.Tensor{t}, err
	}
}

func foldDiv(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	x := l.constOf(n, 0)
	isInt := x.DType.IsInt()
	var bad error
	t, err := foldBroadcast(x, l.constOf(n, 1), func(a, b float64) float64 {
		if isInt {
			if b == 0 {
				bad = fmt.Errorf("integer division by zero")
				return 0
			}
			return float64(int64(a) / int64(b))
		}
		return a / b
	})
	if bad != nil {
		return nil, bad
	}
	return []*ir.Tensor{t}, err
}

func foldReshape(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d := l.constOf(n, 0)
	shape, err := l.intsOf(n, 1, "shape")
	if err != nil {
		return nil, err
	}
	s, err := ir.ReshapeTarget(d.Dims, shape, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return nil, err
	}
	if numel(s) != d.Len() {
		return nil, fmt.Errorf("cannot reshape %v to %v", d.Dims, s)
	}
	c := d.Clone()
	c.Dims = s
	return []*ir.Tensor{c}, nil
}

func foldConstantOfShape(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	s, err := l.intsOf(n, 0, "shape")
	if err != nil {
		return nil, err
	}
	dt, v := ir.Float32, 0.0
	if at := n.Attr("value"); at != nil && at.T != nil {
		f, err := at.T.Float64s()
		if err != nil || len(f) != 1 {
			return nil, fmt.Errorf("ConstantOfShape value must be one number")
		}
		dt, v = at.T.DType, f[0]
	}
	if numel(s) > 1<<24 {
		return nil, fmt.Errorf("ConstantOfShape of %v is too large to fold", s)
	}
	out := make([]float64, numel(s))
	for i := range out {
		out[i] = v
	}
	t, err := ir.NewFromFloat64(dt, s, out)
	return []*ir.Tensor{t}, err
}

// foldExpand broadcasts a constant to shape (numpy rules, as Expand).
func foldExpand(l *lowerer, n *ir.Node) ([]*ir.Tensor, error) {
	d := l.constOf(n, 0)
	shape, err := l.intsOf(n, 1, "shape")
	if err != nil {
		return nil, err
	}
	s, err := ir.BroadcastShape(d.Dims, shape)
	if err != nil {
		return nil, err
	}
	if numel(s) > 1<<24 {
		return nil, fmt.Errorf("Expand to %v is too large to fold", s)
	}
	ones, err := ir.NewFromFloat64(d.DType, s, make([]float64, numel(s)))
	if err != nil {
		return nil, err
	}
	t, err := foldBroadcast(d, ones, func(a, _ float64) float64 { return a })
	if err != nil {
		return nil, err
	}
	t.Dims = s
	return []*ir.Tensor{t}, nil
}
