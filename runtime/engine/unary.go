package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
	"github.com/x448/float16"
)

// getF reads element i of a numeric buffer as float64.
func getF(dt ir.DType, b []byte, i int) float64 {
	le := binary.LittleEndian
	switch dt {
	case ir.Float32:
		return float64(math.Float32frombits(le.Uint32(b[4*i:])))
	case ir.Float64:
		return math.Float64frombits(le.Uint64(b[8*i:]))
	case ir.Float16:
		return float64(float16.Frombits(le.Uint16(b[2*i:])).Float32())
	case ir.BFloat16:
		return float64(math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16))
	case ir.Int8:
		return float64(int8(b[i]))
	case ir.Uint8, ir.Bool:
		return float64(b[i])
	case ir.Int16:
		return float64(int16(le.Uint16(b[2*i:])))
	case ir.Uint16:
		return float64(le.Uint16(b[2*i:]))
	case ir.Int32:
		return float64(int32(le.Uint32(b[4*i:])))
	case ir.Uint32:
		return float64(le.Uint32(b[4*i:]))
	case ir.Int64:
		return float64(int64(le.Uint64(b[8*i:])))
	case ir.Uint64:
		return float64(le.Uint64(b[8*i:]))
	}
	return math.NaN()
}

// getI reads element i of an integer or bool buffer exactly.
func getI(dt ir.DType, b []byte, i int) int64 {
	le := binary.LittleEndian
	switch dt {
	case ir.Int64:
		return int64(le.Uint64(b[8*i:]))
	case ir.Uint64:
		return int64(le.Uint64(b[8*i:]))
	case ir.Int32:
		return int64(int32(le.Uint32(b[4*i:])))
	case ir.Uint32:
		return int64(le.Uint32(b[4*i:]))
	case ir.Int16:
		return int64(int16(le.Uint16(b[2*i:])))
	case ir.Uint16:
		return int64(le.Uint16(b[2*i:]))
	case ir.Int8:
		return int64(int8(b[i]))
	case ir.Uint8, ir.Bool:
		return int64(b[i])
	}
	return 0
}

func bf16Round(f float32) uint16 {
	u := math.Float32bits(f)
	if f != f {
		return uint16(u>>16) | 0x40
	}
	// round to nearest even
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// setF writes v (converted to dt) as element i.
func setF(dt ir.DType, b []byte, i int, v float64) {
	le := binary.LittleEndian
	switch dt {
	case ir.Float32:
		le.PutUint32(b[4*i:], math.Float32bits(float32(v)))
	case ir.Float64:
		le.PutUint64(b[8*i:], math.Float64bits(v))
	case ir.Float16:
		le.PutUint16(b[2*i:], float16.Fromfloat32(float32(v)).Bits())
	case ir.BFloat16:
		le.PutUint16(b[2*i:], bf16Round(float32(v)))
	case ir.Bool:
		if v != 0 {
			b[i] = 1
		} else {
			b[i] = 0
		}
	default:
		if math.IsNaN(v) {
			v = 0
		}
		setI(dt, b, i, int64(v))
		if dt == ir.Uint64 && v >= 1<<63 {
			le.PutUint64(b[8*i:], uint64(v))
		}
	}
}

func setI(dt ir.DType, b []byte, i int, v int64) {
	le := binary.LittleEndian
	switch dt {
	case ir.Int64, ir.Uint64:
		le.PutUint64(b[8*i:], uint64(v))
	case ir.Int32, ir.Uint32:
		le.PutUint32(b[4*i:], uint32(v))
	case ir.Int16, ir.Uint16:
		le.PutUint16(b[2*i:], uint16(v))
	case ir.Int8, ir.Uint8:
		b[i] = byte(v)
	case ir.Bool:
		if v != 0 {
			b[i] = 1
		} else {
			b[i] = 0
		}
	default:
		setF(dt, b, i, float64(v))
	}
}

func castable(dt ir.DType) bool {
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16, ir.Int8, ir.Uint8, ir.Int16, ir.Uint16,
		ir.Int32, ir.Uint32, ir.Int64, ir.Uint64, ir.Bool:
		return true
	}
	return false
}

// castKernel converts x into out (both numeric or bool).
func castKernel(x, out *tval) (func(), error) {
	if !castable(x.dt) || !castable(out.dt) {
		return nil, fmt.Errorf("unsupported: cast from %s to %s", x.dt, out.dt)
	}
	from, to := x.dt, out.dt
	if from == to {
		return func() { copy(out.buf, x.buf) }, nil
	}
	if from == ir.Float32 && to == ir.Float16 {
		return func() {
			src := x.f32()
			for i, v := range src {
				binary.LittleEndian.PutUint16(out.buf[2*i:], float16.Fromfloat32(v).Bits())
			}
		}, nil
	}
	intLike := func(d ir.DType) bool { return d.IsInt() || d == ir.Bool }
	if intLike(from) && intLike(to) {
		return func() {
			for i := 0; i < x.n; i++ {
				setI(to, out.buf, i, getI(from, x.buf, i))
			}
		}, nil
	}
	return func() {
		for i := 0; i < x.n; i++ {
			setF(to, out.buf, i, getF(from, x.buf, i))
		}
	}, nil
}

func opCast(c *ctx) (func(), error) {
	x := c.input(0)
	to := ir.DType(c.n.AttrInt("to", 0))
	if c.n.AttrInt("saturate", 1) != 1 && !to.IsFloat() {
		// saturate only matters for float8 targets
	}
	if c.n.OpType == "CastLike" {
		to = c.input(1).dt
	}
	if to == x.dt {
		// A cast to the type it has (exporters leave them in attention
		// blocks): a view, no copy.
		return c.view(x.shape)
	}
	out, err := c.setOut(0, to, x.shape)
	if err != nil {
		return nil, fmt.Errorf("unsupported: cast to %s", to)
	}
	return castKernel(x, out)
}

// opUnary implements elementwise math ops on float32/float64 (and Abs, Neg,
// Sign on integers).
func opUnary(c *ctx) (func(), error) {
	x := c.input(0)
	op := c.n.OpType
	var f func(float64) float64
	switch op {
	case "Abs":
		f = math.Abs
	case "Neg":
		f = func(v float64) float64 { return -v }
	case "Exp":
		f = math.Exp
	case "Log":
		f = math.Log
	case "Sqrt":
		f = math.Sqrt
	case "Reciprocal":
		f = func(v float64) float64 { return 1 / v }
	case "Floor":
		f = math.Floor
	case "Ceil":
		f = math.Ceil
	case "Round":
		f = math.RoundToEven
	case "Erf":
		f = math.Erf
	case "Sin":
		f = math.Sin
	case "Cos":
		f = math.Cos
	case "Tan":
		f = math.Tan
	case "Asin":
		f = math.Asin
	case "Acos":
		f = math.Acos
	case "Atan":
		f = math.Atan
	case "Sinh":
		f = math.Sinh
	case "Cosh":
		f = math.Cosh
	case "Asinh":
		f = math.Asinh
	case "Acosh":
		f = math.Acosh
	case "Atanh":
		f = math.Atanh
	case "Sign":
		f = func(v float64) float64 {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return v
		}
	default:
		return nil, fmt.Errorf("unsupported op %s", op)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	switch x.dt {
	case ir.Float32:
		if k := unaryF32(op); k != nil {
			// Fixed chunks, so the split does not depend on the threads.
			const chunk = 1 << 14
			f := func(lo, hi int) {
				e0, e1 := lo*chunk, min(hi*chunk, x.n)
				k(out.f32()[e0:e1], x.f32()[e0:e1])
			}
			pool := c.b.pool
			parts := (x.n + chunk - 1) / chunk
			return func() { pool.parallelFor(parts, 1, f) }, nil
		}
		return func() {
			o := out.f32()
			for i, v := range x.f32() {
				o[i] = float32(f(float64(v)))
			}
		}, nil
	case ir.Float64:
		return func() {
			o := out.f64()
			for i, v := range x.f64() {
				o[i] = f(v)
			}
		}, nil
	}
	if (op == "Abs" || op == "Neg" || op == "Sign") && x.dt.IsInt() {
		return func() {
			for i := 0; i < x.n; i++ {
				v := getI(x.dt, x.buf, i)
				switch op {
				case "Abs":
					if v < 0 {
						v = -v
					}
				case "Neg":
					v = -v
				case "Sign":
					v = int64(f(float64(v)))
				}
				setI(out.dt, out.buf, i, v)
			}
		}, nil
	}
	return nil, fmt.Errorf("unsupported: %s on %s", op, x.dt)
}

// unaryF32 is the float32 kernel of the common unary ops: package
// kernels' vector Exp and Erf, direct float32 loops for Abs, Neg, Sqrt and
// Reciprocal (correctly rounded, as through float64); nil for the others.
func unaryF32(op string) func(dst, src []float32) {
	switch op {
	case "Exp":
		return kernels.ExpF32
	case "Erf":
		return kernels.ErfF32
	case "Abs":
		return func(dst, src []float32) {
			for i, v := range src {
				dst[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
			}
		}
	case "Neg":
		return func(dst, src []float32) {
			for i, v := range src {
				dst[i] = -v
			}
		}
	case "Sqrt":
		return func(dst, src []float32) {
			for i, v := range src {
				dst[i] = float32(math.Sqrt(float64(v)))
			}
		}
	case "Reciprocal":
		return func(dst, src []float32) {
			for i, v := range src {
				dst[i] = 1 / v
			}
		}
	}
	return nil
}

func opNot(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Bool {
		return nil, fmt.Errorf("Not needs bool input, has %s", x.dt)
	}
	out, err := c.setOut(0, ir.Bool, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		o := out.u8()
		for i, v := range x.u8() {
			o[i] = 1 - v&1
		}
	}, nil
}

func opIsNaNInf(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 && x.dt != ir.Float64 {
		return nil, fmt.Errorf("unsupported: %s on %s", c.n.OpType, x.dt)
	}
	out, err := c.setOut(0, ir.Bool, x.shape)
	if err != nil {
		return nil, err
	}
	isNaN := c.n.OpType == "IsNaN"
	pos, neg := c.n.AttrInt("detect_positive", 1) == 1, c.n.AttrInt("detect_negative", 1) == 1
	return func() {
		o := out.u8()
		for i := range o {
			v := getF(x.dt, x.buf, i)
			r := false
			if isNaN {
				r = math.IsNaN(v)
			} else {
				r = (pos && math.IsInf(v, 1)) || (neg && math.IsInf(v, -1))
			}
			if r {
				o[i] = 1
			} else {
				o[i] = 0
			}
		}
	}, nil
}

// opWhere: out = cond ? x : y with three-way broadcasting.
func opWhere(c *ctx) (func(), error) {
	cond, x, y := c.input(0), c.input(1), c.input(2)
	if cond.dt != ir.Bool || x.dt != y.dt {
		return nil, fmt.Errorf("Where needs bool condition and equal value types")
	}
	shape, err := ir.BroadcastShape(cond.shape, x.shape, y.shape)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	bl := newBloop(shape, cond.shape, x.shape, y.shape)
	sz := x.dt.Size()
	return func() {
		n := bl.inner
		cb, xb, yb, ob := cond.buf, x.buf, y.buf, out.buf
		for r := 0; r < bl.rows; r++ {
			oc, ox, oy := bl.offset(0, r), bl.offset(1, r), bl.offset(2, r)
			for i := 0; i < n; i++ {
				k := r*n + i
				src, off := yb, oy+i*bl.istride[2]
				if cb[oc+i*bl.istride[0]] != 0 {
					src, off = xb, ox+i*bl.istride[1]
				}
				copy(ob[k*sz:(k+1)*sz], src[off*sz:(off+1)*sz])
			}
		}
	}, nil
}

// opPRelu: y = x if x >= 0 else slope*x, slope broadcast to x.
func opPRelu(c *ctx) (func(), error) {
	x, s := c.input(0), c.input(1)
	if x.dt != ir.Float32 || s.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: PRelu on %s", x.dt)
	}
	sshape := s.shape
	if len(sshape) == 1 && len(x.shape) >= 2 && sshape[0] == x.shape[1] && sshape[0] != x.shape[len(x.shape)-1] {
		// Legacy per-channel slope: [C] applies along axis 1.
		sshape = []int64{sshape[0]}
		for range x.shape[2:] {
			sshape = append(sshape, 1)
		}
	}
	shape, err := ir.BroadcastShape(x.shape, sshape)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ir.Float32, shape)
	if err != nil {
		return nil, err
	}
	bl := newBloop(shape, x.shape, sshape)
	k := func(o, a, b []float32, sa, sb int) {
		for i := range o {
			v := a[i*sa]
			if v < 0 {
				v *= b[i*sb]
			}
			o[i] = v
		}
	}
	return func() { runBinary(&bl, out.f32(), x.f32(), s.f32(), k) }, nil
}

func init() {
	register("", "Cast", opCast)
	register("", "CastLike", opCast)
	for _, op := range []string{"Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Sign"} {
		register("", op, opUnary)
	}
	register("", "Not", opNot)
	register("", "IsNaN", opIsNaNInf)
	register("", "IsInf", opIsNaNInf)
	register("", "Where", opWhere)
	register("", "PRelu", opPRelu)
}
