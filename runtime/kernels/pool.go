package kernels

// Row primitives of the pooling and resampling ops (runtime/engine's
// MaxPool, AveragePool and Resize): element-wise max, sum, quotient and
// blend of two rows, repetition of each element, and the split of a row into its even and odd elements, and nearest x2 upsampling of many rows at once (Upsample2). Each is a
// plain Go loop (the reference) with an AVX2 version for the leading
// multiple of 8 elements on amd64; both give the same bits.

// MaxInto sets dst[i] = a[i] if a[i] > b[i] or a[i] is NaN, else b[i], for
// i < len(dst): the larger value, NaN if either is NaN. dst may be a or b.
func MaxInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if len(dst) >= shortRow {
		n = maxVec(dst, a, b)
	}
	refMaxInto(dst[n:], a[n:], b[n:])
}

// AddInto sets dst[i] = a[i] + b[i] for i < len(dst). dst may be a or b.
func AddInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if len(dst) >= shortRow {
		n = addVec(dst, a, b)
	}
	refAddInto(dst[n:], a[n:], b[n:])
}

// DivInto sets dst[i] = a[i] / b[i] for i < len(dst). dst may be a or b.
func DivInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if len(dst) >= shortRow {
		n = divVec(dst, a, b)
	}
	refDivInto(dst[n:], a[n:], b[n:])
}

// LerpInto sets dst[i] = a[i]*wa + b[i]*wb (two products rounded to
// float32, then their sum; never fused) for i < len(dst). dst may be a or
// b.
func LerpInto(dst, a, b []float32, wa, wb float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if len(dst) >= shortRow {
		n = lerpVec(dst, a, b, wa, wb)
	}
	refLerpInto(dst[n:], a[n:], b[n:], wa, wb)
}

// Deinterleave2 sets even[i] = src[2i] and odd[i] = src[2i+1] for i <
// len(even) (and len(odd)); src must hold 2*len(even) elements.
func Deinterleave2(even, odd, src []float32) {
	odd = odd[:len(even)]
	src = src[:2*len(even)]
	n := 0
	if len(even) >= shortRow {
		n = deinterleave2Vec(even, odd, src)
	}
	refDeinterleave2(even[n:], odd[n:], src[2*n:])
}

// Repeat2 sets dst[2i] = dst[2i+1] = src[i] for i < len(src); dst must
// hold 2*len(src) elements (nearest-neighbour upsampling by 2 of a row).
func Repeat2(dst, src []float32) {
	dst = dst[:2*len(src)]
	n := 0
	if len(src) >= shortRow {
		n = repeat2Vec(dst, src)
	}
	refRepeat2(dst[2*n:], src[n:])
}

// Upsample2 is nearest-neighbour upsampling by 2 along both of the last two
// axes: for each of the rows rows of w floats in src, it writes two output
// rows of 2*w floats (output rows 2r and 2r+1 for input row r), each the
// input row with every element repeated twice. dst must hold 4*rows*w
// floats and src rows*w.
func Upsample2(dst, src []float32, rows, w int) {
	if rows <= 0 || w <= 0 {
		return
	}
	dst, src = dst[:4*rows*w], src[:rows*w]
	n := upsample2Vec(dst, src, rows, w)
	refUpsample2(dst[4*n*w:], src[n*w:], rows-n, w)
}

// shortRow is the length below which the row primitives run the Go loop
// alone (a vector call costs more than it saves).
const shortRow = 16

// The vector versions do a prefix (a multiple of 8) and return its length;
// the defaults do none. Deinterleave2 uses the depthwise convolution's
// deinterleave2Vec.
var (
	maxVec     = func(dst, a, b []float32) int { return 0 }
	addVec     = func(dst, a, b []float32) int { return 0 }
	lerpVec    = func(dst, a, b []float32, wa, wb float32) int { return 0 }
	repeat2Vec = func(dst, src []float32) int { return 0 }
	// upsample2Vec does a prefix of the rows and returns its length.
	upsample2Vec = func(dst, src []float32, rows, w int) int { return 0 }
	divVec       = func(dst, a, b []float32) int { return 0 }
)

func refMaxInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		x, y := a[i], b[i]
		if x > y || x != x {
			dst[i] = x
		} else {
			dst[i] = y
		}
	}
}

func refAddInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func refLerpInto(dst, a, b []float32, wa, wb float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = float32(a[i]*wa) + float32(b[i]*wb)
	}
}

func refDeinterleave2(even, odd, src []float32) {
	odd = odd[:len(even)]
	src = src[:2*len(even)]
	for i := range even {
		even[i] = src[2*i]
		odd[i] = src[2*i+1]
	}
}

func refRepeat2(dst, src []float32) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		dst[2*i], dst[2*i+1] = v, v
	}
}

func refUpsample2(dst, src []float32, rows, w int) {
	for r := 0; r < rows; r++ {
		s := src[r*w : (r+1)*w]
		d0 := dst[4*r*w : (4*r+2)*w]
		d1 := dst[(4*r+2)*w : (4*r+4)*w]
		for i, v := range s {
			d0[2*i], d0[2*i+1] = v, v
			d1[2*i], d1[2*i+1] = v, v
		}
	}
}

func refDivInto(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}
