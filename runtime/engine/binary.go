package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// bloop is a broadcast loop over an output shape for k inputs: the output is
// walked as outer rows of a contiguous inner run; every input advances by
// its own stride (0 when broadcast) along each coalesced dimension.
type bloop struct {
	dims    []int   // coalesced outer dims (inner excluded)
	strides [][]int // per input, per outer dim
	inner   int     // length of the inner run
	istride []int   // per input: 0 (broadcast) or 1 in the inner run
	rows    int     // product of dims
}

func newBloop(out []int64, ins ...[]int64) bloop {
	r := len(out)
	k := len(ins)
	type dim struct {
		size int
		st   []int
	}
	// Element strides of each input, 0 for broadcast dimensions.
	var ds []dim
	full := make([][]int, k)
	for j, s := range ins {
		full[j] = make([]int, r)
		st := 1
		for i := r - 1; i >= 0; i-- {
			si := i - (r - len(s))
			if si >= 0 && s[si] != 1 {
				full[j][i] = st
				st *= int(s[si])
			}
		}
	}
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		d := dim{size: int(out[i]), st: make([]int, k)}
		for j := range ins {
			d.st[j] = full[j][i]
		}
		if len(ds) > 0 {
			p := &ds[len(ds)-1]
			ok := true
			for j := range ins {
				if p.st[j] != d.st[j]*d.size {
					ok = false
					break
				}
			}
			if ok {
				p.size *= d.size
				p.st = d.st
				continue
			}
		}
		ds = append(ds, d)
	}
	b := bloop{inner: 1, istride: make([]int, k), rows: 1}
	if len(ds) > 0 {
		last := ds[len(ds)-1]
		contiguous := true
		for j := range ins {
			if last.st[j] > 1 {
				contiguous = false
			}
		}
		if contiguous {
			b.inner = last.size
			copy(b.istride, last.st)
			ds = ds[:len(ds)-1]
		}
	}
	b.strides = make([][]int, k)
	for _, d := range ds {
		b.dims = append(b.dims, d.size)
		b.rows *= d.size
	}
	for j := range ins {
		for _, d := range ds {
			b.strides[j] = append(b.strides[j], d.st[j])
		}
	}
	return b
}

// offset returns the start offset of input j for outer row r.
func (b *bloop) offset(j, r int) int {
	off := 0
	for i := len(b.dims) - 1; i >= 0; i-- {
		d := b.dims[i]
		off += (r % d) * b.strides[j][i]
		r /= d
	}
	return off
}

// runBinary applies k over the broadcast loop.
func runBinary[T any, U any](bl *bloop, o []U, a, b []T, k func(o []U, a, b []T, sa, sb int)) {
	runRows(bl, 0, bl.rows, o, a, b, k)
}

// runRows applies k to the outer rows lo..hi-1 of the broadcast loop.
func runRows[T any, U any](bl *bloop, lo, hi int, o []U, a, b []T, k func(o []U, a, b []T, sa, sb int)) {
	n := bl.inner
	for r := lo; r < hi; r++ {
		oa, ob := bl.offset(0, r), bl.offset(1, r)
		la, lb := 1, 1
		if bl.istride[0] == 1 {
			la = n
		}
		if bl.istride[1] == 1 {
			lb = n
		}
		k(o[r*n:r*n+n], a[oa:oa+la], b[ob:ob+lb], bl.istride[0], bl.istride[1])
	}
}

func arith[T number](op string) func(o, a, b []T, sa, sb int) {
	switch op {
	case "Add", "Sum":
		return func(o, a, b []T, sa, sb int) {
			switch {
			case sa == 1 && sb == 1:
				b = b[:len(o)]
				a = a[:len(o)]
				for i := range o {
					o[i] = a[i] + b[i]
				}
			case sa == 1:
				s := b[0]
				for i, x := range a[:len(o)] {
					o[i] = x + s
				}
			case sb == 1:
				s := a[0]
				for i, x := range b[:len(o)] {
					o[i] = s + x
				}
			default:
				for i := range o {
					o[i] = a[0] + b[0]
				}
			}
		}
	case "Sub":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				o[i] = a[i*sa] - b[i*sb]
			}
		}
	case "Mul":
		return func(o, a, b []T, sa, sb int) {
			switch {
			case sa == 1 && sb == 1:
				b = b[:len(o)]
				a = a[:len(o)]
				for i := range o {
					o[i] = a[i] * b[i]
				}
			case sa == 1:
				s := b[0]
				for i, x := range a[:len(o)] {
					o[i] = x * s
				}
			case sb == 1:
				s := a[0]
				for i, x := range b[:len(o)] {
					o[i] = s * x
				}
			default:
				for i := range o {
					o[i] = a[0] * b[0]
				}
			}
		}
	case "Div":
		var z T
		if isFloat(z) {
			return func(o, a, b []T, sa, sb int) {
				for i := range o {
					o[i] = a[i*sa] / b[i*sb]
				}
			}
		}
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				d := b[i*sb]
				if d == 0 {
					o[i] = 0 // ONNX leaves integer division by zero undefined
					continue
				}
				o[i] = a[i*sa] / d
			}
		}
	case "Max":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				x, y := a[i*sa], b[i*sb]
				if y > x || y != y {
					x = y
				}
				o[i] = x
			}
		}
	case "Min":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				x, y := a[i*sa], b[i*sb]
				if y < x || y != y {
					x = y
				}
				o[i] = x
			}
		}
	case "Pow":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				o[i] = T(math.Pow(float64(a[i*sa]), float64(b[i*sb])))
			}
		}
	case "Mod":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				x, y := a[i*sa], b[i*sb]
				o[i] = modFloor(x, y)
			}
		}
	case "FMod":
		return func(o, a, b []T, sa, sb int) {
			for i := range o {
				o[i] = T(math.Mod(float64(a[i*sa]), float64(b[i*sb])))
			}
		}
	}
	return nil
}

// arithF32 is arith for Add, Sub, Mul and Div on float32 through package
// kernels' vector loops (equal runs, a scalar on either side); nil for
// other ops.
func arithF32(op string) func(o, a, b []float32, sa, sb int) {
	var k kernels.BinOp
	switch op {
	case "Add", "Sum":
		k = kernels.BinAdd
	case "Sub":
		k = kernels.BinSub
	case "Mul":
		k = kernels.BinMul
	case "Div":
		k = kernels.BinDiv
	default:
		return nil
	}
	return func(o, a, b []float32, sa, sb int) {
		switch {
		case sa == 1 && sb == 1:
			kernels.BinaryF32(k, o, a, b)
		case sa == 1:
			kernels.BinaryScalarF32(k, o, a, b[0], false)
		case sb == 1:
			kernels.BinaryScalarF32(k, o, b, a[0], true)
		default:
			v := a[0]
			switch k {
			case kernels.BinAdd:
				v += b[0]
			case kernels.BinSub:
				v -= b[0]
			case kernels.BinMul:
				v *= b[0]
			case kernels.BinDiv:
				v /= b[0]
			}
			for i := range o {
				o[i] = v
			}
		}
	}
}

// rowScalarF32 is the kernel of Add, Sub, Mul or Div on float32 when one
// operand has one value per row of the other's contiguous rows (shape
// [..., N, 1] against [..., N, D], D > 1): kernels.BinaryRowsScalarF32 per
// chunk of rows, without the broadcast loop's per-row bookkeeping. nil
// for other ops and shapes.
func rowScalarF32(p *pool, op string, bl *bloop, out, a, b *tval) func() {
	var k kernels.BinOp
	switch op {
	case "Add", "Sum":
		k = kernels.BinAdd
	case "Sub":
		k = kernels.BinSub
	case "Mul":
		k = kernels.BinMul
	case "Div":
		k = kernels.BinDiv
	default:
		return nil
	}
	n := bl.inner
	if len(bl.dims) != 1 || n < 2 {
		return nil
	}
	sa, sb := bl.strides[0][0], bl.strides[1][0]
	var vec, sc *tval
	scalarFirst := false
	switch {
	case bl.istride[0] == 1 && sa == n && bl.istride[1] == 0 && sb == 1:
		vec, sc = a, b
	case bl.istride[1] == 1 && sb == n && bl.istride[0] == 0 && sa == 1:
		vec, sc, scalarFirst = b, a, true
	default:
		return nil
	}
	rows := bl.rows
	f := func(lo, hi int) {
		o, v, s := out.f32(), vec.f32(), sc.f32()
		kernels.BinaryRowsScalarF32(k, o[lo*n:hi*n], v[lo*n:hi*n], s[lo:hi], n, scalarFirst)
	}
	grain := grainFor(n)
	return func() { p.parallelFor(rows, grain, f) }
}

func modFloor[T number](x, y T) T {
	if y == 0 {
		return 0
	}
	if isFloat(x) {
		m := math.Mod(float64(x), float64(y))
		if m != 0 && (m < 0) != (float64(y) < 0) {
			m += float64(y)
		}
		return T(m)
	}
	m := T(math.Mod(float64(x), float64(y)))
	if m != 0 && (m < 0) != (y < 0) {
		m += y
	}
	return m
}

func isFloat[T number](x T) bool {
	switch any(x).(type) {
	case float32, float64:
		return true
	}
	return false
}

func compare[T number](op string) func(o []uint8, a, b []T, sa, sb int) {
	var f func(x, y T) bool
	switch op {
	case "Equal":
		f = func(x, y T) bool { return x == y }
	case "Less":
		f = func(x, y T) bool { return x < y }
	case "LessOrEqual":
		f = func(x, y T) bool { return x <= y }
	case "Greater":
		f = func(x, y T) bool { return x > y }
	case "GreaterOrEqual":
		f = func(x, y T) bool { return x >= y }
	default:
		return nil
	}
	return func(o []uint8, a, b []T, sa, sb int) {
		for i := range o {
			if f(a[i*sa], b[i*sb]) {
				o[i] = 1
			} else {
				o[i] = 0
			}
		}
	}
}

func logical(op string) func(o []uint8, a, b []uint8, sa, sb int) {
	var f func(x, y bool) bool
	switch op {
	case "And":
		f = func(x, y bool) bool { return x && y }
	case "Or":
		f = func(x, y bool) bool { return x || y }
	case "Xor":
		f = func(x, y bool) bool { return x != y }
	default:
		return nil
	}
	return func(o []uint8, a, b []uint8, sa, sb int) {
		for i := range o {
			if f(a[i*sa] != 0, b[i*sb] != 0) {
				o[i] = 1
			} else {
				o[i] = 0
			}
		}
	}
}

// binaryTyped builds the kernel of a broadcast binary op: parallel over
// outer rows, or over chunks of the inner run when there is one row. Each
// output element is computed independently, so the split does not change
// results.
func binaryTyped[T number, U any](pool *pool, bl *bloop, out, a, b *tval, k func(o []U, a, b []T, sa, sb int)) func() {
	const chunk = 1 << 14
	n := bl.inner
	// rows is 0 when an outer axis is empty: the row path then runs
	// nothing (the one-row path would read element 0 of empty inputs).
	if bl.rows != 1 {
		f := func(lo, hi int) {
			runRows(bl, lo, hi, viewOf[U](out.buf, out.n), viewOf[T](a.buf, a.n), viewOf[T](b.buf, b.n), k)
		}
		grain := max(1, chunk/max(n, 1))
		return func() { pool.parallelFor(bl.rows, grain, f) }
	}
	parts := (n + chunk - 1) / chunk
	f := func(lo, hi int) {
		o, av, bv := viewOf[U](out.buf, out.n), viewOf[T](a.buf, a.n), viewOf[T](b.buf, b.n)
		e0, e1 := lo*chunk, min(hi*chunk, n)
		sa, sb := bl.istride[0], bl.istride[1]
		as, bs := av[0:1], bv[0:1]
		if sa == 1 {
			as = av[e0:e1]
		}
		if sb == 1 {
			bs = bv[e0:e1]
		}
		k(o[e0:e1], as, bs, sa, sb)
	}
	return func() { pool.parallelFor(parts, 1, f) }
}

// arithFor builds the kernel of arithmetic op for dtype dt over the
// broadcast loop bl.
func arithFor(p *pool, dt ir.DType, op string, bl *bloop, out, a, b *tval) func() {
	switch dt {
	case ir.Float32:
		if f := rowScalarF32(p, op, bl, out, a, b); f != nil {
			return f
		}
		if k := arithF32(op); k != nil {
			return binaryTyped[float32, float32](p, bl, out, a, b, k)
		}
		return binaryTyped[float32, float32](p, bl, out, a, b, arith[float32](op))
	case ir.Float64:
		return binaryTyped[float64, float64](p, bl, out, a, b, arith[float64](op))
	case ir.Int64:
		return binaryTyped[int64, int64](p, bl, out, a, b, arith[int64](op))
	case ir.Int32:
		return binaryTyped[int32, int32](p, bl, out, a, b, arith[int32](op))
	case ir.Int16:
		return binaryTyped[int16, int16](p, bl, out, a, b, arith[int16](op))
	case ir.Int8:
		return binaryTyped[int8, int8](p, bl, out, a, b, arith[int8](op))
	case ir.Uint8:
		return binaryTyped[uint8, uint8](p, bl, out, a, b, arith[uint8](op))
	case ir.Uint16:
		return binaryTyped[uint16, uint16](p, bl, out, a, b, arith[uint16](op))
	case ir.Uint32:
		return binaryTyped[uint32, uint32](p, bl, out, a, b, arith[uint32](op))
	case ir.Uint64:
		return binaryTyped[uint64, uint64](p, bl, out, a, b, arith[uint64](op))
	}
	return nil
}

func compareFor(p *pool, dt ir.DType, op string, bl *bloop, out, a, b *tval) func() {
	switch dt {
	case ir.Float32:
		return binaryTyped[float32, uint8](p, bl, out, a, b, compare[float32](op))
	case ir.Float64:
		return binaryTyped[float64, uint8](p, bl, out, a, b, compare[float64](op))
	case ir.Int64:
		return binaryTyped[int64, uint8](p, bl, out, a, b, compare[int64](op))
	case ir.Int32:
		return binaryTyped[int32, uint8](p, bl, out, a, b, compare[int32](op))
	case ir.Int16:
		return binaryTyped[int16, uint8](p, bl, out, a, b, compare[int16](op))
	case ir.Int8:
		return binaryTyped[int8, uint8](p, bl, out, a, b, compare[int8](op))
	case ir.Uint8, ir.Bool:
		return binaryTyped[uint8, uint8](p, bl, out, a, b, compare[uint8](op))
	case ir.Uint16:
		return binaryTyped[uint16, uint8](p, bl, out, a, b, compare[uint16](op))
	case ir.Uint32:
		return binaryTyped[uint32, uint8](p, bl, out, a, b, compare[uint32](op))
	case ir.Uint64:
		return binaryTyped[uint64, uint8](p, bl, out, a, b, compare[uint64](op))
	}
	return nil
}

// opBinary implements Add, Sub, Mul, Div, Pow, Mod, comparisons and logical
// ops with ONNX multidirectional broadcasting.
func opBinary(c *ctx) (func(), error) {
	a, b := c.input(0), c.input(1)
	if a == nil || b == nil {
		return nil, fmt.Errorf("needs two inputs")
	}
	op := c.n.OpType
	if op == "Pow" {
		if a.dt != b.dt && !(a.dt.IsFloat() || b.dt.IsFloat()) {
			return nil, fmt.Errorf("unsupported Pow types %s, %s", a.dt, b.dt)
		}
	} else if a.dt != b.dt {
		return nil, fmt.Errorf("input types differ: %s and %s", a.dt, b.dt)
	}
	if op == "Mod" && c.n.AttrInt("fmod", 0) == 1 {
		op = "FMod"
	}
	shape, err := ir.BroadcastShape(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	if op == "Pow" && a.dt != b.dt {
		// Cast the exponent to the base's type once at plan time if constant.
		if !b.konst {
			return powMixed(c, a, b, shape)
		}
		f, err := b.floats()
		if err != nil {
			return nil, err
		}
		t, err := ir.NewFromFloat64(a.dt, b.shape, f)
		if err != nil {
			return nil, err
		}
		b, err = constFromTensor(b.name, t)
		if err != nil {
			return nil, err
		}
	}
	bl := newBloop(shape, a.shape, b.shape)
	var k func()
	var out *tval
	switch op {
	case "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual":
		out, err = c.setOut(0, ir.Bool, shape)
		if err != nil {
			return nil, err
		}
		k = compareFor(c.b.pool, a.dt, op, &bl, out, a, b)
	case "And", "Or", "Xor":
		if a.dt != ir.Bool {
			return nil, fmt.Errorf("%s needs bool inputs, has %s", op, a.dt)
		}
		out, err = c.setOut(0, ir.Bool, shape)
		if err != nil {
			return nil, err
		}
		k = binaryTyped[uint8, uint8](c.b.pool, &bl, out, a, b, logical(op))
	default:
		out, err = c.setOut(0, a.dt, shape)
		if err != nil {
			return nil, err
		}
		k = arithFor(c.b.pool, a.dt, op, &bl, out, a, b)
	}
	if k == nil {
		return nil, fmt.Errorf("unsupported input type %s", a.dt)
	}
	return k, nil
}

// powMixed is Pow with a run-time exponent of another numeric type than the
// base: elements are read as float64, the result has the base's type.
func powMixed(c *ctx, a, b *tval, shape []int64) (func(), error) {
	if a.dt.Size() == 0 || b.dt.Size() == 0 || !castable(a.dt) || !castable(b.dt) {
		return nil, fmt.Errorf("unsupported Pow types %s, %s", a.dt, b.dt)
	}
	out, err := c.setOut(0, a.dt, shape)
	if err != nil {
		return nil, err
	}
	bl := newBloop(shape, a.shape, b.shape)
	return func() {
		n := bl.inner
		for r := 0; r < bl.rows; r++ {
			oa, ob := bl.offset(0, r), bl.offset(1, r)
			for i := 0; i < n; i++ {
				x := getF(a.dt, a.buf, oa+i*bl.istride[0])
				y := getF(b.dt, b.buf, ob+i*bl.istride[1])
				setF(out.dt, out.buf, r*n+i, math.Pow(x, y))
			}
		}
	}, nil
}

// opVariadic implements Sum, Max, Min, Mean over any number of inputs by
// folding left to right into the output.
func opVariadic(c *ctx) (func(), error) {
	var ins []*tval
	for _, t := range c.in {
		if t != nil {
			ins = append(ins, t)
		}
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("needs at least one input")
	}
	var shapes [][]int64
	for _, t := range ins {
		if t.dt != ins[0].dt {
			return nil, fmt.Errorf("input types differ")
		}
		shapes = append(shapes, t.shape)
	}
	shape, err := ir.BroadcastShape(shapes...)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ins[0].dt, shape)
	if err != nil {
		return nil, err
	}
	op := c.n.OpType
	if op == "Mean" {
		op = "Sum"
	}
	// First copy (broadcast) input 0 into out, then fold the others.
	var ks []func()
	zero := &tval{name: "zero", dt: out.dt, shape: []int64{}, n: 1, konst: true, buf: alignedBytes(int64(out.dt.Size()))}
	bl0 := newBloop(shape, []int64{}, ins[0].shape)
	k0 := arithFor(c.b.pool, out.dt, "Add", &bl0, out, zero, ins[0])
	if k0 == nil {
		return nil, fmt.Errorf("unsupported input type %s", out.dt)
	}
	ks = append(ks, k0)
	for _, t := range ins[1:] {
		bl := newBloop(shape, shape, t.shape)
		k := arithFor(c.b.pool, out.dt, op, &bl, out, out, t)
		if k == nil {
			return nil, fmt.Errorf("unsupported %s on %s", op, out.dt)
		}
		ks = append(ks, k)
	}
	if c.n.OpType == "Mean" {
		if out.dt != ir.Float32 && out.dt != ir.Float64 {
			return nil, fmt.Errorf("unsupported Mean on %s", out.dt)
		}
		cnt := float64(len(ins))
		ks = append(ks, func() {
			if out.dt == ir.Float32 {
				o := out.f32()
				for i, x := range o {
					o[i] = x / float32(cnt)
				}
			} else {
				o := out.f64()
				for i, x := range o {
					o[i] = x / cnt
				}
			}
		})
	}
	return func() {
		for _, k := range ks {
			k()
		}
	}, nil
}

func init() {
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor"} {
		register("", op, opBinary)
	}
	for _, op := range []string{"Sum", "Max", "Min", "Mean"} {
		register("", op, opVariadic)
	}
}
