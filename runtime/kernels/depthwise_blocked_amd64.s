//go:build amd64 && !purego

#include "textflag.h"

// func dwBlock8(out, in, w, bias *float32, toffs *int, taps int, poffs *int, groups int)
//
// For each group of 8 pixel offsets p0..p7 (floats, from poffs): Y0..Y7 =
// bias; for each tap t: Y8 = w[t*8 : t*8+8]; Yi += Y8 * in[pi+toffs[t] :
// +8] (fused); then out[0:64] = Y0..Y7 and out advances by 64 floats.
// The pixel bases in+4*pi live in R8-R13, AX, BX for the group.
TEXT ·dwBlock8(SB), NOSPLIT, $0-64
	MOVQ groups+56(FP), CX
	TESTQ CX, CX
	JLE  done

group:
	MOVQ poffs+48(FP), DI
	MOVQ in+8(FP), SI
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
	MOVQ DI, poffs+48(FP)
	MOVQ bias+24(FP), DI
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	MOVQ w+16(FP), SI
	MOVQ toffs+32(FP), DX
	MOVQ taps+40(FP), CX

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

	MOVQ out+0(FP), DI
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	MOVQ DI, out+0(FP)
	DECQ groups+56(FP)
	JNZ  group

done:
	VZEROUPPER
	RET
