//go:build amd64 && !purego

#include "textflag.h"

// func packPieces16(dst, x *float32, offs *int, kcb int, off *int, mask *int32, n int)
// For k in [0, kcb): Y0:Y1 = OR over runs r < n of the masked loads
// (VMASKMOVPS, lanes of mask[r*16:+16]) of x + 4*(offs[k] + off[r]); stored
// to dst + 64k. Masked-off lanes are neither read nor faulted on.
TEXT ·packPieces16(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ kcb+24(FP), CX
	MOVQ off+32(FP), R9
	MOVQ mask+40(FP), R10
	MOVQ n+48(FP), DX
	TESTQ CX, CX
	JLE   piecesdone
	TESTQ DX, DX
	JLE   piecesdone

pieceskloop:
	MOVQ  (R8), AX
	LEAQ  (SI)(AX*4), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ  BX, BX
	MOVQ  R10, R12

piecesrloop:
	MOVQ (R9)(BX*8), AX
	LEAQ (R11)(AX*4), R13
	VMOVDQU (R12), Y2
	VMOVDQU 32(R12), Y3
	VMASKMOVPS (R13), Y2, Y4
	VMASKMOVPS 32(R13), Y3, Y5
	VORPS Y4, Y0, Y0
	VORPS Y5, Y1, Y1
	ADDQ $64, R12
	INCQ BX
	CMPQ BX, DX
	JLT  piecesrloop

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	ADDQ $8, R8
	DECQ CX
	JNZ  pieceskloop

piecesdone:
	VZEROUPPER
	RET
