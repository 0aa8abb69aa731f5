package kernels

// Transpose32 sets dst[j*ldd+i] = src[i*lds+j] for i < rows, j < cols:
// dst (cols x rows, row stride ldd) is the transpose of src (rows x cols,
// row stride lds). It moves 4-byte elements of any type (runtime/engine's
// Transpose passes every 4-byte dtype as float32 bits; no arithmetic is
// done). 8x8 blocks go through the vector unit where there is one; the
// rest is a plain loop.
func Transpose32(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	r8, c8 := 0, 0
	if rows >= 8 && cols >= 8 {
		r8, c8 = transposeVec(dst, ldd, src, lds, rows, cols)
	}
	// The part the vector unit left: rows [r8, rows) of every column and
	// columns [c8, cols) of rows [0, r8).
	if r8 < rows {
		refTranspose32(dst[r8:], ldd, src[r8*lds:], lds, rows-r8, cols)
	}
	if c8 < cols && r8 > 0 {
		refTranspose32(dst[c8*ldd:], ldd, src[c8:], lds, r8, cols-c8)
	}
}

// CopyRows32 copies rows rows of n 4-byte elements from src (row stride
// srcStride) to dst (row stride dstStride), in one call instead of one copy
// per short row (vector loads and stores where there are some; any 4-byte
// dtype passed as float32 bits, moved unchanged).
func CopyRows32(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*dstStride+n-1]
	_ = src[(rows-1)*srcStride+n-1]
	copyRows(dst, dstStride, src, srcStride, rows, n)
}

// transposeVec transposes the leading rows8 x cols8 (multiples of 8)
// block and returns them; the default does none.
var transposeVec = func(dst []float32, ldd int, src []float32, lds int, rows, cols int) (int, int) {
	return 0, 0
}

func refTranspose32(dst []float32, ldd int, src []float32, lds int, rows, cols int) {
	for i := 0; i < rows; i++ {
		s := src[i*lds : i*lds+cols]
		for j, v := range s {
			dst[j*ldd+i] = v
		}
	}
}
