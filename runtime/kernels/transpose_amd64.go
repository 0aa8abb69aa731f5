//go:build amd64 && !purego

package kernels

// transpose8AVX2 transposes blocks 8x8 blocks of src (8 rows, row stride
// lds floats, block b at column 8b) into dst (block b at row 8b, row
// stride ldd). Implemented in transpose_amd64.s.
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, blocks int)

func init() {
	registerKernel(&transposeVec, PathAVX2, func(dst []float32, ldd int, src []float32, lds int, rows, cols int) (int, int) {
		r8, c8 := rows&^7, cols&^7
		for i := 0; i < r8; i += 8 {
			transpose8AVX2(&dst[i], ldd, &src[i*lds], lds, c8/8)
		}
		return r8, c8
	})
}
