package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// opBitCast reinterprets the bytes of x as another type of the same size.
func opBitCast(c *ctx) (func(), error) {
	x := c.input(0)
	to := ir.DType(c.n.AttrInt("to", 0))
	if to.Size() == 0 || to.Size() != x.dt.Size() || to == ir.String {
		return nil, fmt.Errorf("unsupported: bitcast %s to %s", x.dt, to)
	}
	out, err := c.setOut(0, to, x.shape)
	if err != nil {
		return nil, err
	}
	return func() { copy(out.buf, x.buf) }, nil
}

// qparams resolves the scale/zero-point layout of (De)QuantizeLinear:
// per tensor (scalar), per axis (1-D over axis), or blocked (block_size
// along axis). It returns, for a flat element index of x, the index into
// scale / zero_point.
func qparams(c *ctx, x, scale *tval) (func(i int) int, error) {
	r := len(x.shape)
	if scale.n == 1 && len(scale.shape) <= 1 {
		return func(int) int { return 0 }, nil
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 1), r)
	if err != nil {
		return nil, err
	}
	inner := int(ir.NumElements(x.shape[ax+1:]))
	d := int(x.shape[ax])
	bs := int(c.n.AttrInt("block_size", 0))
	if bs <= 0 {
		if len(scale.shape) != 1 || int(scale.shape[0]) != d {
			return nil, fmt.Errorf("scale %v for axis %d of %v", scale.shape, ax, x.shape)
		}
		return func(i int) int { return i / inner % d }, nil
	}
	// Blocked: scale has x's shape with axis divided (rounded up) by bs.
	if len(scale.shape) != r {
		return nil, fmt.Errorf("blocked scale %v for %v", scale.shape, x.shape)
	}
	for i := range x.shape {
		want := x.shape[i]
		if i == ax {
			want = (x.shape[i] + int64(bs) - 1) / int64(bs)
		}
		if scale.shape[i] != want {
			return nil, fmt.Errorf("blocked scale %v for %v, block %d", scale.shape, x.shape, bs)
		}
	}
	sd := int(scale.shape[ax])
	return func(i int) int {
		o, rem := i/(d*inner), i%(d*inner)
		a, in := rem/inner, rem%inner
		return (o*sd+a/bs)*inner + in
	}, nil
}

func intRange(dt ir.DType) (float64, float64, bool) {
	switch dt {
	case ir.Int8:
		return -128, 127, true
	case ir.Uint8:
		return 0, 255, true
	case ir.Int16:
		return -32768, 32767, true
	case ir.Uint16:
		return 0, 65535, true
	case ir.Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// opDequantizeLinear: y = (x - zero_point) * scale (8/16/32-bit integers).
func opDequantizeLinear(c *ctx) (func(), error) {
	x, sc, zp := c.input(0), c.input(1), c.input(2)
	if _, _, ok := intRange(x.dt); !ok || sc == nil || !sc.dt.IsFloat() || !castable(sc.dt) || zp != nil && zp.dt != x.dt {
		return nil, fmt.Errorf("unsupported: DequantizeLinear of %s", x.dt)
	}
	idx, err := qparams(c, x, sc)
	if err != nil {
		return nil, err
	}
	odt := sc.dt
	if a := c.n.Attr("output_dtype"); a != nil && a.I != 0 {
		odt = ir.DType(a.I)
	}
	out, err := c.setOut(0, odt, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		for i := 0; i < x.n; i++ {
			k := idx(i)
			v := float64(getI(x.dt, x.buf, i))
			if zp != nil {
				v -= float64(getI(zp.dt, zp.buf, k))
			}
			// float32 arithmetic as the reference computes it
			setF(odt, out.buf, i, float64(float32(v)*float32(getF(sc.dt, sc.buf, k))))
		}
	}, nil
}

// opQuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point).
func opQuantizeLinear(c *ctx) (func(), error) {
	x, sc, zp := c.input(0), c.input(1), c.input(2)
	odt := ir.Uint8
	if zp != nil {
		odt = zp.dt
	} else if a := c.n.Attr("output_dtype"); a != nil && a.I != 0 {
		odt = ir.DType(a.I)
	}
	lo, hi, ok := intRange(odt)
	if !ok || !x.dt.IsFloat() || !castable(x.dt) || sc == nil || !castable(sc.dt) {
		return nil, fmt.Errorf("unsupported: QuantizeLinear to %s", odt)
	}
	if c.n.AttrInt("precision", 0) != 0 {
		return nil, fmt.Errorf("unsupported: precision attribute")
	}
	idx, err := qparams(c, x, sc)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, odt, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		for i := 0; i < x.n; i++ {
			k := idx(i)
			v := math.RoundToEven(float64(float32(getF(x.dt, x.buf, i)) / float32(getF(sc.dt, sc.buf, k))))
			if zp != nil {
				v += float64(getI(zp.dt, zp.buf, k))
			}
			setI(odt, out.buf, i, int64(math.Min(math.Max(v, lo), hi)))
		}
	}, nil
}

func init() {
	register("", "BitCast", opBitCast)
	register("", "DequantizeLinear", opDequantizeLinear)
	register("", "QuantizeLinear", opQuantizeLinear)
}
