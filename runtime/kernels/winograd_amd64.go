//go:build amd64 && !purego

package kernels

// Implemented in winograd_amd64.s (AVX2+FMA; slots in the order
// 0,2,4,6,1,3,5,7 for F(4x4, 3x3), 0,1,4,5,2,3,6,7 for F(2x2, 3x3), see
// winograd.go).

//go:noescape
func winoIn8AVX2(src, src2 *float32, ld int, dst *float32, dstride int, tmp *float32)

//go:noescape
func winoOut8AVX2(src *float32, sstride int, dst *float32, ld int, bias float32, clamp int, lo, hi float32, tmp *float32)

//go:noescape
func winoIn8F2AVX2(src, src2 *float32, ld int, dst *float32, dstride int, tmp *float32)

//go:noescape
func winoOut8F2AVX2(src *float32, sstride int, dst *float32, ld int, bias float32, clamp int, lo, hi float32)

func init() {
	registerKernel(&winoIn8F2, PathAVX2, func(src, src2 []float32, ld int, dst []float32, dstride int, tmp []float32) {
		_ = src[3*ld+2*8-1]
		_ = src2[3*ld+2*8+1]
		_ = dst[15*dstride+7]
		_ = tmp[16*8-1]
		winoIn8F2AVX2(&src[0], &src2[0], ld, &dst[0], dstride, &tmp[0])
	})
	registerKernel(&winoOut8F2, PathAVX2, func(src []float32, sstride int, dst []float32, ld int, bias float32, clampOn bool, lo, hi float32, _ []float32) {
		_ = src[15*sstride+7]
		_ = dst[ld+2*8-1]
		c := 0
		if clampOn {
			c = 1
		}
		winoOut8F2AVX2(&src[0], sstride, &dst[0], ld, bias, c, lo, hi)
	})
	registerKernel(&winoIn8, PathAVX2, func(src, src2 []float32, ld int, dst []float32, dstride int, tmp []float32) {
		_ = src[(winoA-1)*ld+4*8-1]
		_ = src2[(winoA-1)*ld+4*8+3]
		_ = dst[(winoN-1)*dstride+7]
		_ = tmp[winoN*8-1]
		winoIn8AVX2(&src[0], &src2[0], ld, &dst[0], dstride, &tmp[0])
	})
	registerKernel(&winoOut8, PathAVX2, func(src []float32, sstride int, dst []float32, ld int, bias float32, clampOn bool, lo, hi float32, tmp []float32) {
		_ = src[(winoN-1)*sstride+7]
		_ = dst[(winoT-1)*ld+4*8-1]
		_ = tmp[winoT*winoA*8-1]
		c := 0
		if clampOn {
			c = 1
		}
		winoOut8AVX2(&src[0], sstride, &dst[0], ld, bias, c, lo, hi, &tmp[0])
	})
}
