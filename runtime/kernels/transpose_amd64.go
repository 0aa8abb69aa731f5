//go:build amd64 && !purego

package kernels

// transpose8AVX2 transposes blocks 8x8 blocks of src (8 rows, row stride
// lds floats, block b at column 8b) into dst (block b at row 8b, row
// stride ldd). Implemented in transpose_amd64.s.
//
//go:noescape
func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, blocks int)

// packA6AVX2 packs blocks*8 steps of six rows (packAPanel6). Implemented
// in transpose_amd64.s.
//
//go:noescape
func packA6AVX2(dst, a *float32, lda int, blocks int)

func init() {
	registerKernel(&transposeVec, PathAVX2, func(dst []float32, ldd int, src []float32, lds int, rows, cols int) (int, int) {
		r8, c8 := rows&^7, cols&^7
		for i := 0; i < r8; i += 8 {
			transpose8AVX2(&dst[i], ldd, &src[i*lds], lds, c8/8)
		}
		return r8, c8
	})
	registerKernel(&packA6Vec, PathAVX2, func(dst, a []float32, lda, kcb int) int {
		blocks := kcb / 8
		if blocks == 0 {
			return 0
		}
		_ = dst[blocks*8*mr-1]
		_ = a[5*lda+blocks*8-1]
		packA6AVX2(&dst[0], &a[0], lda, blocks)
		return blocks * 8
	})
}
