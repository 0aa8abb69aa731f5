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

// func upsample2AVX2(dst, src *float32, rows, w int)
// Upsample2 for w >= 8: per input row, groups of 8 at 0, 8, ... and, when
// w is not a multiple of 8, a last group at w-8 (rewriting some outputs
// with the same values); each group of 8 becomes 16 outputs stored in both
// output rows.
TEXT ·upsample2AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R9
	MOVQ w+24(FP), DX
	LEAQ (DX*8), R8          // bytes of an output row (2w floats)
	LEAQ (DX*4), R13         // bytes of an input row
	LEAQ -32(R13), R14       // byte offset of the last group in a row
	MOVQ DX, BX
	ANDQ $7, BX              // w % 8
	TESTQ R9, R9
	JZ   up2done

up2row:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, R12
	SHRQ $3, R12

up2loop:
	VMOVUPS (R10), Y0
	VUNPCKLPS Y0, Y0, Y1
	VUNPCKHPS Y0, Y0, Y2
	VPERM2F128 $0x20, Y2, Y1, Y3
	VPERM2F128 $0x31, Y2, Y1, Y4
	VMOVUPS Y3, (R11)
	VMOVUPS Y4, 32(R11)
	VMOVUPS Y3, (R11)(R8*1)
	VMOVUPS Y4, 32(R11)(R8*1)
	ADDQ $32, R10
	ADDQ $64, R11
	DECQ R12
	JNZ  up2loop

	TESTQ BX, BX
	JZ   up2next
	LEAQ (SI)(R14*1), R10
	LEAQ (DI)(R14*2), R11
	VMOVUPS (R10), Y0
	VUNPCKLPS Y0, Y0, Y1
	VUNPCKHPS Y0, Y0, Y2
	VPERM2F128 $0x20, Y2, Y1, Y3
	VPERM2F128 $0x31, Y2, Y1, Y4
	VMOVUPS Y3, (R11)
	VMOVUPS Y4, 32(R11)
	VMOVUPS Y3, (R11)(R8*1)
	VMOVUPS Y4, 32(R11)(R8*1)

up2next:
	ADDQ R13, SI
	LEAQ (DI)(R8*2), DI
	DECQ R9
	JNZ  up2row

up2done:
	VZEROUPPER
	RET

// Indices of VPERMPS for Upsample2: output lane j takes input lane j/2.
DATA up2idx<>+0(SB)/4, $0
DATA up2idx<>+4(SB)/4, $0
DATA up2idx<>+8(SB)/4, $1
DATA up2idx<>+12(SB)/4, $1
DATA up2idx<>+16(SB)/4, $2
DATA up2idx<>+20(SB)/4, $2
DATA up2idx<>+24(SB)/4, $3
DATA up2idx<>+28(SB)/4, $3
DATA up2idx<>+32(SB)/4, $4
DATA up2idx<>+36(SB)/4, $4
DATA up2idx<>+40(SB)/4, $5
DATA up2idx<>+44(SB)/4, $5
DATA up2idx<>+48(SB)/4, $6
DATA up2idx<>+52(SB)/4, $6
DATA up2idx<>+56(SB)/4, $7
DATA up2idx<>+60(SB)/4, $7
GLOBL up2idx<>(SB), RODATA|NOPTR, $64

// func upsample2AVX512(dst, src *float32, rows, w int)
// Upsample2 for any w >= 1: per input row, groups of 8 loaded into the low
// half of Z0, spread to 16 lanes by VPERMPS and stored in both output rows;
// the last w%8 elements under the opmasks K1 (t lanes in) and K2 (2t out).
TEXT ·upsample2AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R9
	MOVQ w+24(FP), DX
	LEAQ (DX*8), R8          // bytes of an output row (2w floats)
	LEAQ (DX*4), R13         // bytes of an input row
	MOVQ DX, BX
	ANDQ $7, BX              // t = w % 8
	MOVQ BX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1             // t low lanes
	SHLL $1, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2             // 2t low lanes
	VMOVUPS up2idx<>(SB), Z7
	TESTQ R9, R9
	JZ   u5done

u5row:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, R12
	SHRQ $3, R12
	JZ   u5tail

u5loop:
	VMOVUPS (R10), Y0
	VPERMPS Z0, Z7, Z1
	VMOVUPS Z1, (R11)
	VMOVUPS Z1, (R11)(R8*1)
	ADDQ $32, R10
	ADDQ $64, R11
	DECQ R12
	JNZ  u5loop

u5tail:
	TESTQ BX, BX
	JZ   u5next
	VMOVUPS.Z (R10), K1, Z0
	VPERMPS Z0, Z7, Z1
	VMOVUPS Z1, K2, (R11)
	VMOVUPS Z1, K2, (R11)(R8*1)

u5next:
	ADDQ R13, SI
	LEAQ (DI)(R8*2), DI
	DECQ R9
	JNZ  u5row

u5done:
	VZEROUPPER
	RET
