package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// opBitwise implements BitwiseAnd/Or/Xor and BitShift on integer tensors
// with broadcasting (elements read and written exactly as int64).
func opBitwise(c *ctx) (func(), error) {
	a, b := c.input(0), c.input(1)
	if b == nil || a.dt != b.dt || !a.dt.IsInt() {
		return nil, fmt.Errorf("unsupported: %s on %s", c.n.OpType, a.dt)
	}
	shape, err := ir.BroadcastShape(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, a.dt, shape)
	if err != nil {
		return nil, err
	}
	op := c.n.OpType
	left := c.n.AttrString("direction", "") == "LEFT"
	if op == "BitShift" && !left && c.n.AttrString("direction", "") != "RIGHT" {
		return nil, fmt.Errorf("direction must be LEFT or RIGHT")
	}
	bits := uint(a.dt.BitSize())
	bl := newBloop(shape, a.shape, b.shape)
	return func() {
		n := bl.inner
		for r := 0; r < bl.rows; r++ {
			oa, ob := bl.offset(0, r), bl.offset(1, r)
			for i := 0; i < n; i++ {
				x := uint64(getI(a.dt, a.buf, oa+i*bl.istride[0]))
				y := uint64(getI(b.dt, b.buf, ob+i*bl.istride[1]))
				var z uint64
				switch op {
				case "BitwiseAnd":
					z = x & y
				case "BitwiseOr":
					z = x | y
				case "BitwiseXor":
					z = x ^ y
				case "BitShift":
					if left {
						z = x << y
					} else {
						// logical shift of the unsigned value
						z = (x & (1<<bits - 1)) >> y
						if bits == 64 {
							z = x >> y
						}
					}
				}
				setI(out.dt, out.buf, r*n+i, int64(z))
			}
		}
	}, nil
}

func opBitwiseNot(c *ctx) (func(), error) {
	x := c.input(0)
	if !x.dt.IsInt() {
		return nil, fmt.Errorf("unsupported: BitwiseNot on %s", x.dt)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		for i := 0; i < x.n; i++ {
			setI(out.dt, out.buf, i, ^getI(x.dt, x.buf, i))
		}
	}, nil
}

// opShrink: y = x - bias if x > lambd, x + bias if x < -lambd, else 0.
func opShrink(c *ctx) (func(), error) {
	x := c.input(0)
	if !castable(x.dt) || x.dt == ir.Bool {
		return nil, fmt.Errorf("unsupported: Shrink on %s", x.dt)
	}
	lambd, bias := float64(c.n.AttrFloat("lambd", 0.5)), float64(c.n.AttrFloat("bias", 0))
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		for i := 0; i < x.n; i++ {
			v := getF(x.dt, x.buf, i)
			switch {
			case v < -lambd:
				v += bias
			case v > lambd:
				v -= bias
			default:
				v = 0
			}
			setF(out.dt, out.buf, i, v)
		}
	}, nil
}

// opEyeLike: a 2-D tensor of x's shape with ones on diagonal k.
func opEyeLike(c *ctx) (func(), error) {
	x := c.input(0)
	if len(x.shape) != 2 {
		return nil, fmt.Errorf("input must be 2-D, is %v", x.shape)
	}
	dt := x.dt
	if a := c.n.Attr("dtype"); a != nil {
		dt = ir.DType(a.I)
	}
	if !castable(dt) {
		return nil, fmt.Errorf("unsupported dtype %s", dt)
	}
	k := int(c.n.AttrInt("k", 0))
	R, C := int(x.shape[0]), int(x.shape[1])
	raw := make([]byte, R*C*dt.Size())
	for i := 0; i < R; i++ {
		if j := i + k; j >= 0 && j < C {
			setF(dt, raw, i*C+j, 1)
		}
	}
	return nil, c.setConst(0, dt, x.shape, raw)
}

func init() {
	for _, op := range []string{"BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift"} {
		register("", op, opBitwise)
	}
	register("", "BitwiseNot", opBitwiseNot)
	register("", "Shrink", opShrink)
	register("", "EyeLike", opEyeLike)
}
