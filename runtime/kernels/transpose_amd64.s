//go:build amd64 && !purego

#include "textflag.h"

// TRANSPOSE8_AVX2 transposes the 8x8 block of rows Y0-Y7 into columns
// Y8-Y15 (Y0-Y7 overwritten).
#define TRANSPOSE8_AVX2 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func transpose8AVX2(dst *float32, ldd int, src *float32, lds int, blocks int)
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ blocks+32(FP), CX
	SHLQ $2, R8 // byte strides
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10 // 3*lds
	LEAQ (R8)(R8*2), R11 // 3*ldd
	TESTQ CX, CX
	JLE  trdone

trloop:
	// Eight source rows.
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

	TRANSPOSE8_AVX2

	// Eight destination rows.
	MOVQ DI, BX
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R8*1)
	VMOVUPS Y10, (BX)(R8*2)
	VMOVUPS Y11, (BX)(R11*1)
	LEAQ (BX)(R8*4), BX
	VMOVUPS Y12, (BX)
	VMOVUPS Y13, (BX)(R8*1)
	VMOVUPS Y14, (BX)(R8*2)
	VMOVUPS Y15, (BX)(R11*1)

	ADDQ $32, SI           // next 8 source columns
	LEAQ (DI)(R8*8), DI    // next 8 destination rows
	DECQ CX
	JNZ  trloop

trdone:
	VZEROUPPER
	RET

// func packA6AVX2(dst, a *float32, lda int, blocks int)
// packAPanel6 for blocks*8 steps k: the six rows a + i*lda, eight floats
// at a time, transposed (as transpose8AVX2, rows 6 and 7 zero) into
// eight 6-float groups dst[k*6 : k*6+6]. Each group is stored as 8 floats
// in increasing k, so the 2 past it are overwritten by the next one; the
// last group of the last block is stored as 4 + 2 floats (nothing is
// written past dst[blocks*48]).
TEXT ·packA6AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	MOVQ blocks+24(FP), CX
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10 // 3*lda
	TESTQ CX, CX
	JLE  pa6done

pa6loop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R9*1), Y1
	VMOVUPS (AX)(R9*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ (AX)(R9*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R9*1), Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TRANSPOSE8_AVX2

	// Columns k = 0..7 in Y8-Y15.
	VMOVUPS Y8, 0(DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	DECQ CX
	JZ   pa6last
	VMOVUPS Y15, 168(DI)
	ADDQ $32, SI
	ADDQ $192, DI
	JMP  pa6loop

pa6last:
	VMOVUPS X15, 168(DI)
	VEXTRACTF128 $1, Y15, X2
	VMOVLPS X2, 184(DI)

pa6done:
	VZEROUPPER
	RET
