//go:build amd64 && !purego

#include "textflag.h"

// Winograd F(4x4, 3x3) transforms, 8 tiles per call, one tile per lane
// (see winograd.go). A row of 8 tiles is 32 consecutive floats; an in-lane
// 4x4 transpose of those 4 vectors gives one vector per tile column, with
// the tiles in lane order 0,2,4,6 | 1,3,5,7 (and the same transpose turns
// the 4 output columns back into 32 consecutive floats).

DATA winoC4<>+0(SB)/4, $4.0
GLOBL winoC4<>(SB), RODATA|NOPTR, $4
DATA winoC5<>+0(SB)/4, $5.0
GLOBL winoC5<>(SB), RODATA|NOPTR, $4
DATA winoC2<>+0(SB)/4, $2.0
GLOBL winoC2<>(SB), RODATA|NOPTR, $4
DATA winoC8<>+0(SB)/4, $8.0
GLOBL winoC8<>(SB), RODATA|NOPTR, $4

// TRANSPOSE4 transposes the 4x4 blocks of each 128-bit lane of rows
// a, b, c, d into o0..o3 (t0..t3 scratch).
#define TRANSPOSE4(a, b, c, d, o0, o1, o2, o3, t0, t1, t2, t3) \
	VUNPCKLPS b, a, t0; \
	VUNPCKLPS d, c, t1; \
	VUNPCKHPS b, a, t2; \
	VUNPCKHPS d, c, t3; \
	VSHUFPS $0x44, t1, t0, o0; \
	VSHUFPS $0xEE, t1, t0, o1; \
	VSHUFPS $0x44, t3, t2, o2; \
	VSHUFPS $0xEE, t3, t2, o3

// IN1 is B^T d of d0..d5 in Y0..Y5 (winoIn1), with Y12 = 4, Y13 = 5,
// Y14 = 2: t0..t5 in Y6, Y9, Y7, Y10, Y8, Y11; Y15 scratch.
#define IN1 \
	VMOVAPS      Y4, Y6; \
	VFMADD231PS  Y12, Y0, Y6; \
	VFNMADD231PS Y13, Y2, Y6; \
	VMOVAPS      Y4, Y7; \
	VFNMADD231PS Y12, Y2, Y7; \
	VMOVAPS      Y3, Y8; \
	VFNMADD231PS Y12, Y1, Y8; \
	VADDPS       Y8, Y7, Y9; \
	VSUBPS       Y8, Y7, Y7; \
	VSUBPS       Y2, Y4, Y8; \
	VSUBPS       Y1, Y3, Y15; \
	VMOVAPS      Y8, Y10; \
	VFMADD231PS  Y14, Y15, Y10; \
	VFNMADD231PS Y14, Y15, Y8; \
	VMOVAPS      Y5, Y11; \
	VFMADD231PS  Y12, Y1, Y11; \
	VFNMADD231PS Y13, Y3, Y11

// OUT1 is A^T m of m0..m5 in Y0..Y5 (winoOut1), with Y12 = 4, Y13 = 8,
// Y14 = 2: o0..o3 in Y10, Y11, Y6, Y7; Y8, Y9 scratch.
#define OUT1 \
	VADDPS      Y2, Y1, Y6; \
	VSUBPS      Y2, Y1, Y7; \
	VADDPS      Y4, Y3, Y8; \
	VSUBPS      Y4, Y3, Y9; \
	VADDPS      Y6, Y0, Y10; \
	VADDPS      Y8, Y10, Y10; \
	VMOVAPS     Y7, Y11; \
	VFMADD231PS Y14, Y9, Y11; \
	VFMADD231PS Y12, Y8, Y6; \
	VFMADD231PS Y13, Y9, Y7; \
	VADDPS      Y5, Y7, Y7

// func winoIn8AVX2(src, src2 *float32, ld int, dst *float32, dstride int, tmp *float32)
TEXT ·winoIn8AVX2(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ src2+8(FP), R9
	MOVQ ld+16(FP), BX
	SHLQ $2, BX
	MOVQ dst+24(FP), DI
	MOVQ dstride+32(FP), DX
	SHLQ $2, DX
	MOVQ tmp+40(FP), R8
	VBROADCASTSS winoC4<>(SB), Y12
	VBROADCASTSS winoC5<>(SB), Y13
	VBROADCASTSS winoC2<>(SB), Y14

	// Rows k: columns 0-3 of the 8 tiles from src, 4-5 from src2 (4
	// floats on); W[k][j] = (d B)[k][j] to tmp[(6k+j)*8].
	MOVQ R8, R11
	MOVQ $6, CX

inrows:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y0, Y1, Y2, Y3, Y6, Y7, Y8, Y9)
	VMOVUPS 16(R9), Y4
	VMOVUPS 48(R9), Y5
	VMOVUPS 80(R9), Y6
	VMOVUPS 112(R9), Y7
	VUNPCKLPS Y5, Y4, Y8
	VUNPCKLPS Y7, Y6, Y9
	VSHUFPS $0x44, Y9, Y8, Y4
	VSHUFPS $0xEE, Y9, Y8, Y5
	IN1
	VMOVUPS Y6, 0(R11)
	VMOVUPS Y9, 32(R11)
	VMOVUPS Y7, 64(R11)
	VMOVUPS Y10, 96(R11)
	VMOVUPS Y8, 128(R11)
	VMOVUPS Y11, 160(R11)
	ADDQ $192, R11
	ADDQ BX, SI
	ADDQ BX, R9
	DECQ CX
	JNZ  inrows

	// Columns j: V[i][j] = (B^T W)[i][j] to dst + (6i+j)*dstride.
	IMUL3Q $6, DX, R10
	MOVQ   R8, R11
	MOVQ   $6, CX

incols:
	VMOVUPS 0(R11), Y0
	VMOVUPS 192(R11), Y1
	VMOVUPS 384(R11), Y2
	VMOVUPS 576(R11), Y3
	VMOVUPS 768(R11), Y4
	VMOVUPS 960(R11), Y5
	IN1
	MOVQ    DI, R12
	VMOVUPS Y6, (R12)
	ADDQ    R10, R12
	VMOVUPS Y9, (R12)
	ADDQ    R10, R12
	VMOVUPS Y7, (R12)
	ADDQ    R10, R12
	VMOVUPS Y10, (R12)
	ADDQ    R10, R12
	VMOVUPS Y8, (R12)
	ADDQ    R10, R12
	VMOVUPS Y11, (R12)
	ADDQ    $32, R11
	ADDQ    DX, DI
	DECQ    CX
	JNZ     incols
	VZEROUPPER
	RET

// func winoOut8AVX2(src *float32, sstride int, dst *float32, ld int, bias float32, clamp int, lo, hi float32, tmp *float32)
TEXT ·winoOut8AVX2(SB), NOSPLIT, $0-64
	MOVQ src+0(FP), SI
	MOVQ sstride+8(FP), BX
	SHLQ $2, BX
	MOVQ dst+16(FP), DI
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	MOVQ clamp+40(FP), AX
	MOVQ tmp+56(FP), R8
	VBROADCASTSS winoC4<>(SB), Y12
	VBROADCASTSS winoC8<>(SB), Y13
	VBROADCASTSS winoC2<>(SB), Y14
	VBROADCASTSS bias+32(FP), Y15

	// Columns j: W[r][j] = (A^T M)[r][j] to tmp[(6r+j)*8].
	IMUL3Q $6, BX, R10
	MOVQ   R8, R12
	MOVQ   $6, CX

outcols:
	MOVQ    SI, R11
	VMOVUPS (R11), Y0
	ADDQ    R10, R11
	VMOVUPS (R11), Y1
	ADDQ    R10, R11
	VMOVUPS (R11), Y2
	ADDQ    R10, R11
	VMOVUPS (R11), Y3
	ADDQ    R10, R11
	VMOVUPS (R11), Y4
	ADDQ    R10, R11
	VMOVUPS (R11), Y5
	OUT1
	VMOVUPS Y10, 0(R12)
	VMOVUPS Y11, 192(R12)
	VMOVUPS Y6, 384(R12)
	VMOVUPS Y7, 576(R12)
	ADDQ    $32, R12
	ADDQ    BX, SI
	DECQ    CX
	JNZ     outcols

	// Rows r: Y[r][k] = (W A)[r][k] + bias, clamped, transposed back to
	// 32 consecutive floats at dst + r*ld.
	MOVQ R8, R12
	MOVQ $4, CX

outrows:
	VMOVUPS 0(R12), Y0
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3
	VMOVUPS 128(R12), Y4
	VMOVUPS 160(R12), Y5
	OUT1
	VADDPS  Y15, Y10, Y10
	VADDPS  Y15, Y11, Y11
	VADDPS  Y15, Y6, Y6
	VADDPS  Y15, Y7, Y7
	TESTQ   AX, AX
	JZ      noclamp
	VBROADCASTSS lo+48(FP), Y8
	VBROADCASTSS hi+52(FP), Y9
	VMAXPS  Y8, Y10, Y10
	VMAXPS  Y8, Y11, Y11
	VMAXPS  Y8, Y6, Y6
	VMAXPS  Y8, Y7, Y7
	VMINPS  Y9, Y10, Y10
	VMINPS  Y9, Y11, Y11
	VMINPS  Y9, Y6, Y6
	VMINPS  Y9, Y7, Y7

noclamp:
	TRANSPOSE4(Y10, Y11, Y6, Y7, Y4, Y5, Y8, Y9, Y0, Y1, Y2, Y3)
	VMOVUPS Y4, 0(DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y8, 64(DI)
	VMOVUPS Y9, 96(DI)
	ADDQ    $192, R12
	ADDQ    DX, DI
	DECQ    CX
	JNZ     outrows
	VZEROUPPER
	RET

// F(2x2, 3x3) transforms, 8 tiles per call, one tile per lane: a tile's
// two columns of a strip row are consecutive (slot l at 2l, 2l+1), so the
// even/odd split of 16 floats (VSHUFPS) gives one vector per tile column,
// with the tiles in lane order 0,1,4,5 | 2,3,6,7 (and VUNPCKLPS/HPS of two
// output columns gives back 16 consecutive floats). Every output is
// computed by the same operations, in the same order, as winoIn8F2Go and
// winoOut8F2Go (the same bits).

// IN2 is B^T (d0, d1, d2, d3) of F(2x2, 3x3) (winoIn1F2): t0 = d0 - d2,
// t1 = d1 + d2, t2 = d2 - d1, t3 = d1 - d3.
#define IN2(d0, d1, d2, d3, t0, t1, t2, t3) \
	VSUBPS d2, d0, t0; \
	VADDPS d2, d1, t1; \
	VSUBPS d1, d2, t2; \
	VSUBPS d3, d1, t3

// func winoIn8F2AVX2(src, src2 *float32, ld int, dst *float32, dstride int, tmp *float32)
TEXT ·winoIn8F2AVX2(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ src2+8(FP), R9
	MOVQ ld+16(FP), DX
	SHLQ $2, DX
	MOVQ dst+24(FP), DI
	MOVQ dstride+32(FP), BX
	SHLQ $2, BX
	MOVQ tmp+40(FP), R8
	MOVQ $4, CX

	// Rows k: W[k][0..3] = B^T (d[k][0], d[k][1], d[k][2], d[k][3]) to
	// tmp[(4k+j)*8].
in2rows:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VMOVUPS 8(R9), Y0
	VMOVUPS 40(R9), Y1
	VSHUFPS $0x88, Y1, Y0, Y4
	VSHUFPS $0xDD, Y1, Y0, Y5
	IN2(Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9)
	VMOVUPS Y6, 0(R8)
	VMOVUPS Y7, 32(R8)
	VMOVUPS Y8, 64(R8)
	VMOVUPS Y9, 96(R8)
	ADDQ    $128, R8
	ADDQ    DX, SI
	ADDQ    DX, R9
	DECQ    CX
	JNZ     in2rows

	// Columns j: V[i*4+j] = B^T (W[0][j], .., W[3][j]), to dst + (4i+j)*dstride.
	MOVQ tmp+40(FP), R8
	LEAQ (BX)(BX*1), R10
	LEAQ (R10)(R10*1), R10     // 4*dstride floats
	LEAQ (R10)(R10*2), R11     // 12*dstride floats
	MOVQ $4, CX

in2cols:
	VMOVUPS 0(R8), Y0
	VMOVUPS 128(R8), Y1
	VMOVUPS 256(R8), Y2
	VMOVUPS 384(R8), Y3
	IN2(Y0, Y1, Y2, Y3, Y6, Y7, Y8, Y9)
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, (DI)(R10*1)
	VMOVUPS Y8, (DI)(R10*2)
	VMOVUPS Y9, (DI)(R11*1)
	ADDQ    $32, R8
	ADDQ    BX, DI
	DECQ    CX
	JNZ     in2cols
	VZEROUPPER
	RET

// OUT2 is A^T (m0, m1, m2, m3) of F(2x2, 3x3): o0 = (m0 + m1) + m2,
// o1 = (m1 - m2) - m3.
#define OUT2(m0, m1, m2, m3, o0, o1) \
	VADDPS m1, m0, o0; \
	VADDPS m2, o0, o0; \
	VSUBPS m2, m1, o1; \
	VSUBPS m3, o1, o1

// OUT2COL is OUT2 of column j = (SI - src)/sstride: M[i*4+j] at SI +
// i*4*sstride (R10 = 4*sstride, R11 = 12*sstride bytes) into w0, w1.
#define OUT2COL(w0, w1) \
	VMOVUPS (SI), Y0; \
	VMOVUPS (SI)(R10*1), Y1; \
	VMOVUPS (SI)(R10*2), Y2; \
	VMOVUPS (SI)(R11*1), Y3; \
	OUT2(Y0, Y1, Y2, Y3, w0, w1)

// func winoOut8F2AVX2(src *float32, sstride int, dst *float32, ld int, bias float32, clamp int, lo, hi float32)
TEXT ·winoOut8F2AVX2(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ sstride+8(FP), BX
	SHLQ $2, BX
	MOVQ dst+16(FP), DI
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	MOVQ clamp+40(FP), AX
	LEAQ (BX)(BX*1), R10
	LEAQ (R10)(R10*1), R10     // 4*sstride floats
	LEAQ (R10)(R10*2), R11     // 12*sstride floats

	// Columns j: W[0][j], W[1][j] in Y4+j, Y8+j.
	OUT2COL(Y4, Y8)
	ADDQ BX, SI
	OUT2COL(Y5, Y9)
	ADDQ BX, SI
	OUT2COL(Y6, Y10)
	ADDQ BX, SI
	OUT2COL(Y7, Y11)

	// Rows r: (o0, o1) = A^T W[r] + bias, clamped, interleaved back into
	// 16 consecutive floats at dst + r*ld.
	VBROADCASTSS bias+32(FP), Y15
	OUT2(Y4, Y5, Y6, Y7, Y0, Y1)
	OUT2(Y8, Y9, Y10, Y11, Y2, Y3)
	VADDPS Y15, Y0, Y0
	VADDPS Y15, Y1, Y1
	VADDPS Y15, Y2, Y2
	VADDPS Y15, Y3, Y3
	TESTQ  AX, AX
	JZ     out2noclamp
	VBROADCASTSS lo+48(FP), Y12
	VBROADCASTSS hi+52(FP), Y13
	VMAXPS Y12, Y0, Y0
	VMAXPS Y12, Y1, Y1
	VMAXPS Y12, Y2, Y2
	VMAXPS Y12, Y3, Y3
	VMINPS Y13, Y0, Y0
	VMINPS Y13, Y1, Y1
	VMINPS Y13, Y2, Y2
	VMINPS Y13, Y3, Y3

out2noclamp:
	VUNPCKLPS Y1, Y0, Y4
	VUNPCKHPS Y1, Y0, Y5
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VMOVUPS   Y4, 0(DI)
	VMOVUPS   Y5, 32(DI)
	VMOVUPS   Y6, 0(DI)(DX*1)
	VMOVUPS   Y7, 32(DI)(DX*1)
	VZEROUPPER
	RET
