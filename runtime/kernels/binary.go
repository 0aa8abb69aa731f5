package kernels

// Elementwise float32 arithmetic (Add, Sub, Mul, Div) of two vectors or a
// vector and a scalar: the broadcast forms ONNX binary ops take per row
// (equal shapes, a per-channel or scalar operand). Each element is one
// IEEE operation, so the vector and the plain versions give the same bits.

// BinOp is an elementwise arithmetic operation.
type BinOp int

// The operations of BinaryF32 and BinaryScalarF32.
const (
	BinAdd BinOp = iota
	BinSub
	BinMul
	BinDiv
)

// BinaryF32 sets o[i] = a[i] op b[i] for i < len(o).
func BinaryF32(op BinOp, o, a, b []float32) {
	a, b = a[:len(o)], b[:len(o)]
	n := binVV(op, o, a, b)
	binRef(op, o[n:], a[n:], b[n:])
}

// BinaryScalarF32 sets o[i] = a[i] op s, or s op a[i] when scalarFirst,
// for i < len(o).
func BinaryScalarF32(op BinOp, o, a []float32, s float32, scalarFirst bool) {
	a = a[:len(o)]
	n := binVS(op, o, a, s, scalarFirst)
	binScalarRef(op, o[n:], a[n:], s, scalarFirst)
}

// BinaryRowsScalarF32 sets o[r*n+i] = a[r*n+i] op s[r] (s[r] op
// a[r*n+i] when scalarFirst) for every row r < len(s) and i < n: one
// scalar per row of n elements (a [..., N, 1] operand), as BinaryScalarF32
// per row.
func BinaryRowsScalarF32(op BinOp, o, a, s []float32, n int, scalarFirst bool) {
	o, a = o[:len(s)*n], a[:len(s)*n]
	done := 0
	if n > 0 {
		done = binRowsVS(op, o, a, s, n, scalarFirst)
	}
	for r := done; r < len(s); r++ {
		BinaryScalarF32(op, o[r*n:(r+1)*n], a[r*n:(r+1)*n], s[r], scalarFirst)
	}
}

// binVV and binVS do a leading multiple of 8 elements with the vector unit
// and return how many; the defaults do none.
var (
	binVV = func(op BinOp, o, a, b []float32) int { return 0 }
	binVS = func(op BinOp, o, a []float32, s float32, scalarFirst bool) int { return 0 }
	// binRowsVS does BinaryRowsScalarF32 for a prefix of the rows and
	// returns how many.
	binRowsVS = func(op BinOp, o, a, s []float32, n int, scalarFirst bool) int { return 0 }
)

func binRef(op BinOp, o, a, b []float32) {
	a, b = a[:len(o)], b[:len(o)]
	switch op {
	case BinAdd:
		for i := range o {
			o[i] = a[i] + b[i]
		}
	case BinSub:
		for i := range o {
			o[i] = a[i] - b[i]
		}
	case BinMul:
		for i := range o {
			o[i] = a[i] * b[i]
		}
	case BinDiv:
		for i := range o {
			o[i] = a[i] / b[i]
		}
	default:
		panic("kernels: unknown binary op")
	}
}

func binScalarRef(op BinOp, o, a []float32, s float32, scalarFirst bool) {
	a = a[:len(o)]
	switch {
	case op == BinAdd:
		for i, x := range a {
			o[i] = x + s
		}
	case op == BinMul:
		for i, x := range a {
			o[i] = x * s
		}
	case op == BinSub && !scalarFirst:
		for i, x := range a {
			o[i] = x - s
		}
	case op == BinSub:
		for i, x := range a {
			o[i] = s - x
		}
	case op == BinDiv && !scalarFirst:
		for i, x := range a {
			o[i] = x / s
		}
	case op == BinDiv:
		for i, x := range a {
			o[i] = s / x
		}
	default:
		panic("kernels: unknown binary op")
	}
}
