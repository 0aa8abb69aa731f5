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

// The row kernels dwRow3x8, dwRow5x8, dwRow7x8 (func dwRowKx8(y *float32,
// ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)):
// dwBlock for kernels K wide at stride 1 and dilation 1 horizontally, on
// rows whole output rows of ow >= 8 pixels: output row r starts at
// y[r*ow] of each plane and reads from in[r*rowPitch], kernel row i from
// i*khStep further. A row runs in groups of 8 pixels (the last one
// overlapping the one before); for each kernel row the group's 7+K input
// pixel vectors are loaded once each and each goes to the up to K
// accumulators it is a tap of (Yg += w[i][k] * v[g+k]), so every
// accumulator still sums its taps in order (the same bits as dwBlock8)
// with 7+2K loads per 8K multiply-adds instead of 9K.

// func dwRow3x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)
//
// dwRowKernel for kernels 3 wide: weights of a kernel row in Y8-Y10,
// the 10 input pixel vectors of a group and kernel row one at a time in Y15.
TEXT ·dwRow3x8(SB), NOSPLIT, $0-80
	MOVQ rows+56(FP), R12
	TESTQ R12, R12
	JLE  r3done
	MOVQ in+16(FP), R10 // input of the row
	MOVQ y+0(FP), R11   // output of the row
	MOVQ ldy+8(FP), R13
	SHLQ $2, R13        // plane stride in bytes

r3row:
	XORQ R9, R9 // ow0

r3group:
	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JLE  r3go
	MOVQ AX, R9 // the last group overlaps the one before

r3go:
	MOVQ bias+32(FP), DI
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	MOVQ R9, SI
	SHLQ $5, SI
	ADDQ R10, SI // input pixel ow0 of the row (8 floats a pixel)
	MOVQ w+24(FP), DX
	MOVQ kh+40(FP), CX

r3tap:
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VMOVUPS 64(DX), Y10
	VMOVUPS (SI), Y15
	VFMADD231PS Y15, Y8, Y0
	VMOVUPS 32(SI), Y15
	VFMADD231PS Y15, Y8, Y1
	VFMADD231PS Y15, Y9, Y0
	VMOVUPS 64(SI), Y15
	VFMADD231PS Y15, Y8, Y2
	VFMADD231PS Y15, Y9, Y1
	VFMADD231PS Y15, Y10, Y0
	VMOVUPS 96(SI), Y15
	VFMADD231PS Y15, Y8, Y3
	VFMADD231PS Y15, Y9, Y2
	VFMADD231PS Y15, Y10, Y1
	VMOVUPS 128(SI), Y15
	VFMADD231PS Y15, Y8, Y4
	VFMADD231PS Y15, Y9, Y3
	VFMADD231PS Y15, Y10, Y2
	VMOVUPS 160(SI), Y15
	VFMADD231PS Y15, Y8, Y5
	VFMADD231PS Y15, Y9, Y4
	VFMADD231PS Y15, Y10, Y3
	VMOVUPS 192(SI), Y15
	VFMADD231PS Y15, Y8, Y6
	VFMADD231PS Y15, Y9, Y5
	VFMADD231PS Y15, Y10, Y4
	VMOVUPS 224(SI), Y15
	VFMADD231PS Y15, Y8, Y7
	VFMADD231PS Y15, Y9, Y6
	VFMADD231PS Y15, Y10, Y5
	VMOVUPS 256(SI), Y15
	VFMADD231PS Y15, Y9, Y7
	VFMADD231PS Y15, Y10, Y6
	VMOVUPS 288(SI), Y15
	VFMADD231PS Y15, Y10, Y7
	ADDQ $96, DX
	MOVQ khStep+48(FP), AX
	LEAQ (SI)(AX*4), SI
	DECQ CX
	JNZ  r3tap

	TRANSPOSE8
	LEAQ (R11)(R9*4), DI // output pixel ow0 of the row, plane 0
	LEAQ (R13)(R13*2), DX
	LEAQ (DI)(R13*4), R8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R13*1)
	VMOVUPS Y10, (DI)(R13*2)
	VMOVUPS Y11, (DI)(DX*1)
	VMOVUPS Y12, (R8)
	VMOVUPS Y13, (R8)(R13*1)
	VMOVUPS Y14, (R8)(R13*2)
	VMOVUPS Y15, (R8)(DX*1)

	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JGE  r3rowdone
	ADDQ $8, R9
	JMP  r3group

r3rowdone:
	MOVQ rowPitch+72(FP), AX
	LEAQ (R10)(AX*4), R10
	MOVQ ow+64(FP), AX
	LEAQ (R11)(AX*4), R11
	DECQ R12
	JNZ  r3row

r3done:
	VZEROUPPER
	RET

// func dwRow5x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)
//
// dwRowKernel for kernels 5 wide: weights of a kernel row in Y8-Y12,
// the 12 input pixel vectors of a group and kernel row one at a time in Y15.
TEXT ·dwRow5x8(SB), NOSPLIT, $0-80
	MOVQ rows+56(FP), R12
	TESTQ R12, R12
	JLE  r5done
	MOVQ in+16(FP), R10 // input of the row
	MOVQ y+0(FP), R11   // output of the row
	MOVQ ldy+8(FP), R13
	SHLQ $2, R13        // plane stride in bytes

r5row:
	XORQ R9, R9 // ow0

r5group:
	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JLE  r5go
	MOVQ AX, R9 // the last group overlaps the one before

r5go:
	MOVQ bias+32(FP), DI
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	MOVQ R9, SI
	SHLQ $5, SI
	ADDQ R10, SI // input pixel ow0 of the row (8 floats a pixel)
	MOVQ w+24(FP), DX
	MOVQ kh+40(FP), CX

r5tap:
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VMOVUPS 64(DX), Y10
	VMOVUPS 96(DX), Y11
	VMOVUPS 128(DX), Y12
	VMOVUPS (SI), Y15
	VFMADD231PS Y15, Y8, Y0
	VMOVUPS 32(SI), Y15
	VFMADD231PS Y15, Y8, Y1
	VFMADD231PS Y15, Y9, Y0
	VMOVUPS 64(SI), Y15
	VFMADD231PS Y15, Y8, Y2
	VFMADD231PS Y15, Y9, Y1
	VFMADD231PS Y15, Y10, Y0
	VMOVUPS 96(SI), Y15
	VFMADD231PS Y15, Y8, Y3
	VFMADD231PS Y15, Y9, Y2
	VFMADD231PS Y15, Y10, Y1
	VFMADD231PS Y15, Y11, Y0
	VMOVUPS 128(SI), Y15
	VFMADD231PS Y15, Y8, Y4
	VFMADD231PS Y15, Y9, Y3
	VFMADD231PS Y15, Y10, Y2
	VFMADD231PS Y15, Y11, Y1
	VFMADD231PS Y15, Y12, Y0
	VMOVUPS 160(SI), Y15
	VFMADD231PS Y15, Y8, Y5
	VFMADD231PS Y15, Y9, Y4
	VFMADD231PS Y15, Y10, Y3
	VFMADD231PS Y15, Y11, Y2
	VFMADD231PS Y15, Y12, Y1
	VMOVUPS 192(SI), Y15
	VFMADD231PS Y15, Y8, Y6
	VFMADD231PS Y15, Y9, Y5
	VFMADD231PS Y15, Y10, Y4
	VFMADD231PS Y15, Y11, Y3
	VFMADD231PS Y15, Y12, Y2
	VMOVUPS 224(SI), Y15
	VFMADD231PS Y15, Y8, Y7
	VFMADD231PS Y15, Y9, Y6
	VFMADD231PS Y15, Y10, Y5
	VFMADD231PS Y15, Y11, Y4
	VFMADD231PS Y15, Y12, Y3
	VMOVUPS 256(SI), Y15
	VFMADD231PS Y15, Y9, Y7
	VFMADD231PS Y15, Y10, Y6
	VFMADD231PS Y15, Y11, Y5
	VFMADD231PS Y15, Y12, Y4
	VMOVUPS 288(SI), Y15
	VFMADD231PS Y15, Y10, Y7
	VFMADD231PS Y15, Y11, Y6
	VFMADD231PS Y15, Y12, Y5
	VMOVUPS 320(SI), Y15
	VFMADD231PS Y15, Y11, Y7
	VFMADD231PS Y15, Y12, Y6
	VMOVUPS 352(SI), Y15
	VFMADD231PS Y15, Y12, Y7
	ADDQ $160, DX
	MOVQ khStep+48(FP), AX
	LEAQ (SI)(AX*4), SI
	DECQ CX
	JNZ  r5tap

	TRANSPOSE8
	LEAQ (R11)(R9*4), DI // output pixel ow0 of the row, plane 0
	LEAQ (R13)(R13*2), DX
	LEAQ (DI)(R13*4), R8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R13*1)
	VMOVUPS Y10, (DI)(R13*2)
	VMOVUPS Y11, (DI)(DX*1)
	VMOVUPS Y12, (R8)
	VMOVUPS Y13, (R8)(R13*1)
	VMOVUPS Y14, (R8)(R13*2)
	VMOVUPS Y15, (R8)(DX*1)

	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JGE  r5rowdone
	ADDQ $8, R9
	JMP  r5group

r5rowdone:
	MOVQ rowPitch+72(FP), AX
	LEAQ (R10)(AX*4), R10
	MOVQ ow+64(FP), AX
	LEAQ (R11)(AX*4), R11
	DECQ R12
	JNZ  r5row

r5done:
	VZEROUPPER
	RET

// func dwRow7x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)
//
// dwRowKernel for kernels 7 wide: weights of a kernel row in Y8-Y14,
// the 14 input pixel vectors of a group and kernel row one at a time in Y15.
TEXT ·dwRow7x8(SB), NOSPLIT, $0-80
	MOVQ rows+56(FP), R12
	TESTQ R12, R12
	JLE  r7done
	MOVQ in+16(FP), R10 // input of the row
	MOVQ y+0(FP), R11   // output of the row
	MOVQ ldy+8(FP), R13
	SHLQ $2, R13        // plane stride in bytes

r7row:
	XORQ R9, R9 // ow0

r7group:
	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JLE  r7go
	MOVQ AX, R9 // the last group overlaps the one before

r7go:
	MOVQ bias+32(FP), DI
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	MOVQ R9, SI
	SHLQ $5, SI
	ADDQ R10, SI // input pixel ow0 of the row (8 floats a pixel)
	MOVQ w+24(FP), DX
	MOVQ kh+40(FP), CX

r7tap:
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VMOVUPS 64(DX), Y10
	VMOVUPS 96(DX), Y11
	VMOVUPS 128(DX), Y12
	VMOVUPS 160(DX), Y13
	VMOVUPS 192(DX), Y14
	VMOVUPS (SI), Y15
	VFMADD231PS Y15, Y8, Y0
	VMOVUPS 32(SI), Y15
	VFMADD231PS Y15, Y8, Y1
	VFMADD231PS Y15, Y9, Y0
	VMOVUPS 64(SI), Y15
	VFMADD231PS Y15, Y8, Y2
	VFMADD231PS Y15, Y9, Y1
	VFMADD231PS Y15, Y10, Y0
	VMOVUPS 96(SI), Y15
	VFMADD231PS Y15, Y8, Y3
	VFMADD231PS Y15, Y9, Y2
	VFMADD231PS Y15, Y10, Y1
	VFMADD231PS Y15, Y11, Y0
	VMOVUPS 128(SI), Y15
	VFMADD231PS Y15, Y8, Y4
	VFMADD231PS Y15, Y9, Y3
	VFMADD231PS Y15, Y10, Y2
	VFMADD231PS Y15, Y11, Y1
	VFMADD231PS Y15, Y12, Y0
	VMOVUPS 160(SI), Y15
	VFMADD231PS Y15, Y8, Y5
	VFMADD231PS Y15, Y9, Y4
	VFMADD231PS Y15, Y10, Y3
	VFMADD231PS Y15, Y11, Y2
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y0
	VMOVUPS 192(SI), Y15
	VFMADD231PS Y15, Y8, Y6
	VFMADD231PS Y15, Y9, Y5
	VFMADD231PS Y15, Y10, Y4
	VFMADD231PS Y15, Y11, Y3
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y1
	VFMADD231PS Y15, Y14, Y0
	VMOVUPS 224(SI), Y15
	VFMADD231PS Y15, Y8, Y7
	VFMADD231PS Y15, Y9, Y6
	VFMADD231PS Y15, Y10, Y5
	VFMADD231PS Y15, Y11, Y4
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y2
	VFMADD231PS Y15, Y14, Y1
	VMOVUPS 256(SI), Y15
	VFMADD231PS Y15, Y9, Y7
	VFMADD231PS Y15, Y10, Y6
	VFMADD231PS Y15, Y11, Y5
	VFMADD231PS Y15, Y12, Y4
	VFMADD231PS Y15, Y13, Y3
	VFMADD231PS Y15, Y14, Y2
	VMOVUPS 288(SI), Y15
	VFMADD231PS Y15, Y10, Y7
	VFMADD231PS Y15, Y11, Y6
	VFMADD231PS Y15, Y12, Y5
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y3
	VMOVUPS 320(SI), Y15
	VFMADD231PS Y15, Y11, Y7
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y5
	VFMADD231PS Y15, Y14, Y4
	VMOVUPS 352(SI), Y15
	VFMADD231PS Y15, Y12, Y7
	VFMADD231PS Y15, Y13, Y6
	VFMADD231PS Y15, Y14, Y5
	VMOVUPS 384(SI), Y15
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y6
	VMOVUPS 416(SI), Y15
	VFMADD231PS Y15, Y14, Y7
	ADDQ $224, DX
	MOVQ khStep+48(FP), AX
	LEAQ (SI)(AX*4), SI
	DECQ CX
	JNZ  r7tap

	TRANSPOSE8
	LEAQ (R11)(R9*4), DI // output pixel ow0 of the row, plane 0
	LEAQ (R13)(R13*2), DX
	LEAQ (DI)(R13*4), R8
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R13*1)
	VMOVUPS Y10, (DI)(R13*2)
	VMOVUPS Y11, (DI)(DX*1)
	VMOVUPS Y12, (R8)
	VMOVUPS Y13, (R8)(R13*1)
	VMOVUPS Y14, (R8)(R13*2)
	VMOVUPS Y15, (R8)(DX*1)

	MOVQ ow+64(FP), AX
	SUBQ $8, AX
	CMPQ R9, AX
	JGE  r7rowdone
	ADDQ $8, R9
	JMP  r7group

r7rowdone:
	MOVQ rowPitch+72(FP), AX
	LEAQ (R10)(AX*4), R10
	MOVQ ow+64(FP), AX
	LEAQ (R11)(AX*4), R11
	DECQ R12
	JNZ  r7row

r7done:
	VZEROUPPER
	RET
