//go:build amd64 && !purego

#include "textflag.h"

// func sgemv32AVX2(k int, x, b, c *float32, acc int)
// c[0:32] = sum over p < k of x[p]*b[p*32 : p*32+32] (FMA from zero, p in
// order), + c[0:32] first when acc != 0: four YMM accumulators.
TEXT ·sgemv32AVX2(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JLE   gv2_done

gv2_loop:
	VBROADCASTSS (AX), Y8
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS 32(BX), Y8, Y1
	VFMADD231PS 64(BX), Y8, Y2
	VFMADD231PS 96(BX), Y8, Y3
	ADDQ $4, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  gv2_loop

gv2_done:
	MOVQ acc+32(FP), SI
	TESTQ SI, SI
	JZ    gv2_store
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS 64(DI), Y2, Y2
	VADDPS 96(DI), Y3, Y3

gv2_store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

// func sgemv32AVX512(k int, x, b, c *float32, acc int)
// sgemv32AVX2 with two ZMM accumulators (the same operations per element).
TEXT ·sgemv32AVX512(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	TESTQ CX, CX
	JLE   gv5_done

gv5_loop:
	VBROADCASTSS (AX), Z8
	VFMADD231PS (BX), Z8, Z0
	VFMADD231PS 64(BX), Z8, Z1
	ADDQ $4, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  gv5_loop

gv5_done:
	MOVQ acc+32(FP), SI
	TESTQ SI, SI
	JZ    gv5_store
	VADDPS (DI), Z0, Z0
	VADDPS 64(DI), Z1, Z1

gv5_store:
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VZEROUPPER
	RET
