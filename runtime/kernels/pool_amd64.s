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

// func divIntoAVX2(dst, a, b *float32, n int)
TEXT ·divIntoAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   divdone

divloop:
	VMOVUPS (SI), Y0
	VDIVPS  (DX), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  divloop

divdone:
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

// func repeat2AVX2(dst, src *float32, n int)
// dst[2i] = dst[2i+1] = src[i] for i in [0, n).
TEXT ·repeat2AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   rep2done

rep2loop:
	VMOVUPS (SI), Y0
	VUNPCKLPS Y0, Y0, Y1         // s0 s0 s1 s1 | s4 s4 s5 s5
	VUNPCKHPS Y0, Y0, Y2         // s2 s2 s3 s3 | s6 s6 s7 s7
	VPERM2F128 $0x20, Y2, Y1, Y3 // s0 s0 s1 s1 s2 s2 s3 s3
	VPERM2F128 $0x31, Y2, Y1, Y4 // s4 s4 s5 s5 s6 s6 s7 s7
	VMOVUPS Y3, (DI)
	VMOVUPS Y4, 32(DI)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  rep2loop

rep2done:
	VZEROUPPER
	RET
