//go:build amd64 && !purego

#include "textflag.h"

// func maxIntoAVX2(dst, a, b *float32, n int)
// dst[i] = a[i] > b[i] || a[i] is NaN ? a[i] : b[i]. VMAXPS returns its
// second source (b) when either is NaN; a NaN a is blended back in.
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   maxdone

maxloop:
	VMOVUPS (SI), Y0
	VMAXPS  (DX), Y0, Y1     // Y1 = Y0 > b ? Y0 : b
	VCMPPS  $3, Y0, Y0, Y2   // unordered: a is NaN
	VBLENDVPS Y2, Y0, Y1, Y1 // Y1 = Y2 ? Y0 : Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  maxloop

maxdone:
	VZEROUPPER
	RET

// func addIntoAVX2(dst, a, b *float32, n int)
TEXT ·addIntoAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   adddone

addloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  addloop

adddone:
	VZEROUPPER
	RET

// func lerpIntoAVX2(dst, a, b *float32, n int, wa, wb float32)
// dst[i] = a[i]*wa + b[i]*wb, each product rounded (no FMA).
TEXT ·lerpIntoAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS wa+32(FP), Y4
	VBROADCASTSS wb+36(FP), Y5
	SHRQ $3, CX
	JZ   lerpdone

lerploop:
	VMULPS  (SI), Y4, Y0
	VMULPS  (DX), Y5, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  lerploop

lerpdone:
	VZEROUPPER
	RET
