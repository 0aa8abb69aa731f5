//go:build amd64 && !purego

#include "textflag.h"

// TRANSPOSE8 transposes the 8x8 matrix whose rows are Y0..Y7 into the
// rows Y8..Y15 (Y8 = column 0, ..., Y15 = column 7), as transpose8AVX2.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8 \
	VUNPCKHPS Y1, Y0, Y9 \
	VUNPCKLPS Y3, Y2, Y10 \
	VUNPCKHPS Y3, Y2, Y11 \
	VUNPCKLPS Y5, Y4, Y12 \
	VUNPCKHPS Y5, Y4, Y13 \
	VUNPCKLPS Y7, Y6, Y14 \
	VUNPCKHPS Y7, Y6, Y15 \
	VSHUFPS $0x44, Y10, Y8, Y0 \
	VSHUFPS $0xEE, Y10, Y8, Y1 \
	VSHUFPS $0x44, Y11, Y9, Y2 \
	VSHUFPS $0xEE, Y11, Y9, Y3 \
	VSHUFPS $0x44, Y14, Y12, Y4 \
	VSHUFPS $0xEE, Y14, Y12, Y5 \
	VSHUFPS $0x44, Y15, Y13, Y6 \
	VSHUFPS $0xEE, Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8 \
	VPERM2F128 $0x20, Y5, Y1, Y9 \
	VPERM2F128 $0x20, Y6, Y2, Y10 \
	VPERM2F128 $0x20, Y7, Y3, Y11 \
	VPERM2F128 $0x31, Y4, Y0, Y12 \
	VPERM2F128 $0x31, Y5, Y1, Y13 \
	VPERM2F128 $0x31, Y6, Y2, Y14 \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func dwBlock8(y *float32, ldy int, in, w, bias *float32, toffs *int, taps int, poffs *int, groups int)
//
// For each group of 8 pixel offsets p0..p7 (floats, from poffs): Y0..Y7 =
// bias; for each tap t: Y8 = w[t*8 : t*8+8]; Yi += Y8 * in[pi+toffs[t] :
// +8] (fused). Y0..Y7 (pixels x channels) are transposed to channels x
// pixels and stored to the eight planes y[l*ldy:], and y advances by 8
// pixels. The pixel bases in+4*pi live in R8-R13, AX, BX for the group.
TEXT ·dwBlock8(SB), NOSPLIT, $0-72
	MOVQ groups+64(FP), CX
	TESTQ CX, CX
	JLE  done

group:
	MOVQ poffs+56(FP), DI
	MOVQ in+16(FP), SI
	MOVQ 0(DI), R8
	MOVQ 8(DI), R9
	MOVQ 16(DI), R10
	MOVQ 24(DI), R11
	MOVQ 32(DI), R12
	MOVQ 40(DI), R13
	MOVQ 48(DI), AX
	MOVQ 56(DI), BX
	LEAQ (SI)(R8*4), R8
	LEAQ (SI)(R9*4), R9
	LEAQ (SI)(R10*4), R10
	LEAQ (SI)(R11*4), R11
	LEAQ (SI)(R12*4), R12
	LEAQ (SI)(R13*4), R13
	LEAQ (SI)(AX*4), AX
	LEAQ (SI)(BX*4), BX
	ADDQ $64, DI
	MOVQ DI, poffs+56(FP)
	MOVQ bias+32(FP), DI
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	MOVQ w+24(FP), SI
	MOVQ toffs+40(FP), DX
	MOVQ taps+48(FP), CX

tap:
	MOVQ (DX), DI
	VMOVUPS (SI), Y8
	VFMADD231PS (R8)(DI*4), Y8, Y0
	VFMADD231PS (R9)(DI*4), Y8, Y1
	VFMADD231PS (R10)(DI*4), Y8, Y2
	VFMADD231PS (R11)(DI*4), Y8, Y3
	VFMADD231PS (R12)(DI*4), Y8, Y4
	VFMADD231PS (R13)(DI*4), Y8, Y5
	VFMADD231PS (AX)(DI*4), Y8, Y6
	VFMADD231PS (BX)(DI*4), Y8, Y7
	ADDQ $32, SI
	ADDQ $8, DX
	DECQ CX
	JNZ  tap

	TRANSPOSE8
	MOVQ y+0(FP), DI
	MOVQ ldy+8(FP), SI
	SHLQ $2, SI          // plane stride in bytes
	LEAQ (SI)(SI*2), DX  // 3 planes
	LEAQ (DI)(SI*4), R8  // plane 4
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(SI*1)
	VMOVUPS Y10, (DI)(SI*2)
	VMOVUPS Y11, (DI)(DX*1)
	VMOVUPS Y12, (R8)
	VMOVUPS Y13, (R8)(SI*1)
	VMOVUPS Y14, (R8)(SI*2)
	VMOVUPS Y15, (R8)(DX*1)
	ADDQ $32, DI
	MOVQ DI, y+0(FP)
	DECQ groups+64(FP)
	JNZ  group

done:
	VZEROUPPER
	RET

// func dwGather8(in *float32, ioffs *int, x *float32, ldx int, chunks int)
//
// For each chunk of 8 input pixels: the 8 planes' 8 floats at x (rows,
// plane stride ldx) are transposed into 8 pixel vectors, stored to
// in+4*ioffs[i], and x and ioffs advance by 8 pixels.
TEXT ·dwGather8(SB), NOSPLIT, $0-40
	MOVQ in+0(FP), DI
	MOVQ ioffs+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R9
	MOVQ chunks+32(FP), CX
	SHLQ $2, R9          // plane stride in bytes
	LEAQ (R9)(R9*2), R10 // 3 planes
	TESTQ CX, CX
	JLE  gdone

gloop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R9*1), Y1
	VMOVUPS (AX)(R9*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R9*1), Y5
	VMOVUPS (AX)(R9*2), Y6
	VMOVUPS (AX)(R10*1), Y7
	TRANSPOSE8
	MOVQ 0(DX), R8
	MOVQ 8(DX), R11
	MOVQ 16(DX), R12
	MOVQ 24(DX), R13
	MOVQ 32(DX), AX
	MOVQ 40(DX), BX
	VMOVUPS Y8, (DI)(R8*4)
	VMOVUPS Y9, (DI)(R11*4)
	VMOVUPS Y10, (DI)(R12*4)
	VMOVUPS Y11, (DI)(R13*4)
	VMOVUPS Y12, (DI)(AX*4)
	VMOVUPS Y13, (DI)(BX*4)
	MOVQ 48(DX), R8
	MOVQ 56(DX), R11
	VMOVUPS Y14, (DI)(R8*4)
	VMOVUPS Y15, (DI)(R11*4)
	ADDQ $32, SI
	ADDQ $64, DX
	DECQ CX
	JNZ  gloop

gdone:
	VZEROUPPER
	RET
