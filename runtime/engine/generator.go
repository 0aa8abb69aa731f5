package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// Generators and tensor metadata: Constant, ConstantOfShape (of a plan-time
// shape), Range, the signal windows (HannWindow, HammingWindow,
// BlackmanWindow), Shape and Size; all but ConstantOfShape are plan-time
// constants.

func opConstant(c *ctx) (func(), error) {
	t, err := ir.ConstantValue(c.n)
	if err != nil {
		return nil, err
	}
	if t.DType == ir.String {
		return nil, fmt.Errorf("unsupported: string Constant")
	}
	return nil, c.setConst(0, t.DType, t.Dims, t.Raw)
}

func opConstantOfShape(c *ctx) (func(), error) {
	shape, err := c.constInts(0)
	if err != nil {
		return nil, err
	}
	dt := ir.Float32
	val := []byte{0, 0, 0, 0}
	if a := c.n.Attr("value"); a != nil && a.T != nil {
		if err := a.T.Check(); err != nil {
			return nil, err
		}
		if a.T.Len() != 1 {
			return nil, fmt.Errorf("value must have one element")
		}
		dt, val = a.T.DType, a.T.Raw
	}
	out, err := c.setOut(0, dt, shape)
	if err != nil {
		return nil, err
	}
	sz := dt.Size()
	if sz == 0 {
		return nil, fmt.Errorf("unsupported value type %s", dt)
	}
	return func() {
		b := out.buf
		if len(b) == 0 {
			return
		}
		copy(b[:sz], val)
		for filled := sz; filled < len(b); filled *= 2 {
			copy(b[filled:], b[:filled])
		}
	}, nil
}

func opRange(c *ctx) (func(), error) {
	s, l, d := c.input(0), c.input(1), c.input(2)
	if !s.konst || !l.konst || !d.konst {
		return nil, fmt.Errorf("start, limit and delta must be constant at plan time (they are computed at run time)")
	}
	fs, _ := s.floats()
	fl, _ := l.floats()
	fd, _ := d.floats()
	if len(fs) != 1 || len(fl) != 1 || len(fd) != 1 || fd[0] == 0 {
		return nil, fmt.Errorf("Range needs scalar start, limit and nonzero delta")
	}
	cnt := math.Max(math.Ceil((fl[0]-fs[0])/fd[0]), 0)
	if !(cnt <= float64(ir.MaxElements)) {
		return nil, fmt.Errorf("Range of %g elements is too large", cnt)
	}
	n := int64(cnt)
	// The size is checked before the values are computed.
	if _, err := c.setOut(0, s.dt, []int64{n}); err != nil {
		return nil, err
	}
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = fs[0] + float64(i)*fd[0]
	}
	t, err := ir.NewFromFloat64(s.dt, []int64{n}, vals)
	if err != nil {
		return nil, err
	}
	if s.dt == ir.Int64 {
		iv := make([]int64, n)
		st, _ := s.ints()
		dv, _ := d.ints()
		for i := range iv {
			iv[i] = st[0] + int64(i)*dv[0]
		}
		t = ir.NewInt64([]int64{n}, iv)
	}
	return nil, c.setConst(0, s.dt, []int64{n}, t.Raw)
}

// opWindow implements HannWindow, HammingWindow and BlackmanWindow of a
// plan-time size (periodic by default): w[n] for n < size with period size
// (periodic) or size-1 (symmetric).
func opWindow(c *ctx) (func(), error) {
	sz, err := c.constInts(0)
	if err != nil {
		return nil, err
	}
	if len(sz) != 1 || sz[0] < 0 {
		return nil, fmt.Errorf("size must be one non-negative integer")
	}
	n := int(sz[0])
	dt := ir.DType(c.n.AttrInt("output_datatype", int64(ir.Float32)))
	if !castable(dt) {
		return nil, fmt.Errorf("unsupported output_datatype %s", dt)
	}
	d := float64(n)
	if c.n.AttrInt("periodic", 1) == 0 {
		d = float64(n - 1)
	}
	if _, err := c.setOut(0, dt, []int64{int64(n)}); err != nil {
		return nil, err
	}
	raw := make([]byte, n*dt.Size())
	for i := 0; i < n; i++ {
		x := 2 * math.Pi * float64(i) / d
		var v float64
		switch c.n.OpType {
		case "HannWindow":
			v = 0.5 - 0.5*math.Cos(x)
		case "HammingWindow":
			v = 25.0/46 - 21.0/46*math.Cos(x)
		case "BlackmanWindow":
			v = 0.42 - 0.5*math.Cos(x) + 0.08*math.Cos(2*x)
		}
		setF(dt, raw, i, v)
	}
	return nil, c.setConst(0, dt, []int64{int64(n)}, raw)
}

func rawInt64s(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

// opShape: the shape of the input as int64 (start/end since opset 15); a
// plan-time constant.
func opShape(c *ctx) (func(), error) {
	x := c.input(0)
	start, end := ir.ShapeStartEnd(c.n, len(x.shape))
	s := x.shape[start:end]
	return nil, c.setConst(0, ir.Int64, []int64{int64(len(s))}, rawInt64s(s))
}

// opSize: number of elements, a plan-time constant.
func opSize(c *ctx) (func(), error) {
	return nil, c.setConst(0, ir.Int64, []int64{}, rawInt64s([]int64{int64(c.input(0).n)}))
}

func init() {
	register("", "Constant", opConstant)
	register("", "ConstantOfShape", opConstantOfShape)
	register("", "Range", opRange)
	register("", "HannWindow", opWindow)
	register("", "HammingWindow", opWindow)
	register("", "BlackmanWindow", opWindow)
	register("", "Shape", opShape)
	register("", "Size", opSize)
}
