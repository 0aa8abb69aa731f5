package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Cumulative ops: CumSum and CumProd.

// opCumSum: cumulative sum along a constant axis (exclusive, reverse).
func opCumSum(c *ctx) (func(), error) { return cumulative(c, "CumSum", false) }

// opCumProd: cumulative product along a constant axis (exclusive, reverse).
func opCumProd(c *ctx) (func(), error) { return cumulative(c, "CumProd", true) }

// cumulative implements CumSum (prod false) and CumProd (prod true) along a
// constant axis, honouring the exclusive and reverse attributes; op names
// the operator in errors.
func cumulative(c *ctx, op string, prod bool) (func(), error) {
	x := c.input(0)
	a, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("axis must be a scalar")
	}
	ax, err := ir.NormAxis(a[0], len(x.shape))
	if err != nil {
		return nil, err
	}
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int32 && x.dt != ir.Int64 {
		return nil, fmt.Errorf("unsupported: %s on %s", op, x.dt)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	excl, rev := c.n.AttrInt("exclusive", 0) == 1, c.n.AttrInt("reverse", 0) == 1
	outer := int(ir.NumElements(x.shape[:ax]))
	n := int(x.shape[ax])
	st := int(ir.NumElements(x.shape[ax+1:]))
	return func() {
		for o := 0; o < outer; o++ {
			for s := 0; s < st; s++ {
				acc, iacc := 0.0, int64(0)
				if prod {
					acc, iacc = 1, 1
				}
				for k := 0; k < n; k++ {
					kk := k
					if rev {
						kk = n - 1 - k
					}
					j := o*n*st + kk*st + s
					if x.dt.IsInt() {
						v := getI(x.dt, x.buf, j)
						if excl {
							setI(x.dt, out.buf, j, iacc)
							iacc = accI(iacc, v, prod)
						} else {
							iacc = accI(iacc, v, prod)
							setI(x.dt, out.buf, j, iacc)
						}
						continue
					}
					v := getF(x.dt, x.buf, j)
					if excl {
						setF(x.dt, out.buf, j, acc)
						acc = accF(acc, v, prod)
					} else {
						acc = accF(acc, v, prod)
						setF(x.dt, out.buf, j, acc)
					}
				}
			}
		}
	}, nil
}

// accI and accF advance a cumulative sum or product by v.
func accI(acc, v int64, prod bool) int64 {
	if prod {
		return acc * v
	}
	return acc + v
}

func accF(acc, v float64, prod bool) float64 {
	if prod {
		return acc * v
	}
	return acc + v
}

func init() {
	register("", "CumSum", opCumSum)
	register("", "CumProd", opCumProd)
}
