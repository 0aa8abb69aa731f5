//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func sgemm6x16(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)
// 6x16 tile, rows i in Y(2i), Y(2i+1). a: packed 6 floats per k step,
// b: packed 16 floats per k step.
TEXT ·sgemm6x16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JLE   loopdone

loop:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	VBROADCASTSS 0(AX), Y14
	VBROADCASTSS 4(AX), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS 8(AX), Y14
	VBROADCASTSS 12(AX), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS 20(AX), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop

loopdone:
	MOVQ flags+40(FP), SI
	TESTQ $1, SI
	JZ    noacc
	MOVQ DI, R8
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	ADDQ DX, R8
	VADDPS (R8), Y2, Y2
	VADDPS 32(R8), Y3, Y3
	ADDQ DX, R8
	VADDPS (R8), Y4, Y4
	VADDPS 32(R8), Y5, Y5
	ADDQ DX, R8
	VADDPS (R8), Y6, Y6
	VADDPS 32(R8), Y7, Y7
	ADDQ DX, R8
	VADDPS (R8), Y8, Y8
	VADDPS 32(R8), Y9, Y9
	ADDQ DX, R8
	VADDPS (R8), Y10, Y10
	VADDPS 32(R8), Y11, Y11

noacc:
	TESTQ $2, SI
	JZ    nobias
	MOVQ bias+48(FP), R9
	VBROADCASTSS 0(R9), Y14
	VADDPS Y14, Y0, Y0
	VADDPS Y14, Y1, Y1
	VBROADCASTSS 4(R9), Y14
	VADDPS Y14, Y2, Y2
	VADDPS Y14, Y3, Y3
	VBROADCASTSS 8(R9), Y14
	VADDPS Y14, Y4, Y4
	VADDPS Y14, Y5, Y5
	VBROADCASTSS 12(R9), Y14
	VADDPS Y14, Y6, Y6
	VADDPS Y14, Y7, Y7
	VBROADCASTSS 16(R9), Y14
	VADDPS Y14, Y8, Y8
	VADDPS Y14, Y9, Y9
	VBROADCASTSS 20(R9), Y14
	VADDPS Y14, Y10, Y10
	VADDPS Y14, Y11, Y11

nobias:
	TESTQ $4, SI
	JZ    noclamp
	// max(lo, v) then min(hi, v) with v as the second source operand,
	// so a NaN in v is kept (as the Go clamp does).
	VBROADCASTSS lo+56(FP), Y14
	VBROADCASTSS hi+60(FP), Y15
	VMAXPS Y0, Y14, Y0
	VMAXPS Y1, Y14, Y1
	VMAXPS Y2, Y14, Y2
	VMAXPS Y3, Y14, Y3
	VMAXPS Y4, Y14, Y4
	VMAXPS Y5, Y14, Y5
	VMAXPS Y6, Y14, Y6
	VMAXPS Y7, Y14, Y7
	VMAXPS Y8, Y14, Y8
	VMAXPS Y9, Y14, Y9
	VMAXPS Y10, Y14, Y10
	VMAXPS Y11, Y14, Y11
	VMINPS Y0, Y15, Y0
	VMINPS Y1, Y15, Y1
	VMINPS Y2, Y15, Y2
	VMINPS Y3, Y15, Y3
	VMINPS Y4, Y15, Y4
	VMINPS Y5, Y15, Y5
	VMINPS Y6, Y15, Y6
	VMINPS Y7, Y15, Y7
	VMINPS Y8, Y15, Y8
	VMINPS Y9, Y15, Y9
	VMINPS Y10, Y15, Y10
	VMINPS Y11, Y15, Y11

noclamp:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ DX, DI
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ DX, DI
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ DX, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ DX, DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ DX, DI
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	VZEROUPPER
	RET

DATA dwMask<>+0(SB)/4, $0xffffffff
DATA dwMask<>+4(SB)/4, $0xffffffff
DATA dwMask<>+8(SB)/4, $0xffffffff
DATA dwMask<>+12(SB)/4, $0xffffffff
DATA dwMask<>+16(SB)/4, $0xffffffff
DATA dwMask<>+20(SB)/4, $0xffffffff
DATA dwMask<>+24(SB)/4, $0xffffffff
DATA dwMask<>+28(SB)/4, $0xffffffff
DATA dwMask<>+32(SB)/4, $0
DATA dwMask<>+36(SB)/4, $0
DATA dwMask<>+40(SB)/4, $0
DATA dwMask<>+44(SB)/4, $0
DATA dwMask<>+48(SB)/4, $0
DATA dwMask<>+52(SB)/4, $0
DATA dwMask<>+56(SB)/4, $0
DATA dwMask<>+60(SB)/4, $0
GLOBL dwMask<>(SB), RODATA|NOPTR, $64

// func dwPlane8(y, base *float32, offs *int, w *float32, taps, n, rows, inStride, outStride int, bias float32)
// For r in [0, rows), j in [0, n):
//   y[r*outStride + j] = bias + sum over t of w[t] * base[r*inStride + offs[t] + j],
// taps in order; 32 columns at a time; then 8 at a time, where the taps
// are summed in four partial sums (t mod 4; ((s0 + s1) + (s2 + s3)), s0
// starting from the bias and taking the taps past the last multiple of 4);
// the last partial group of 8 is stored with a mask (its loads read up to 8
// columns past n).
TEXT ·dwPlane8(SB), NOSPLIT, $0-76
	MOVQ y+0(FP), DI
	MOVQ base+8(FP), SI
	MOVQ offs+16(FP), R13
	MOVQ w+24(FP), DX
	MOVQ taps+32(FP), R8
	MOVQ n+40(FP), R9
	MOVQ rows+48(FP), R12
	MOVQ inStride+56(FP), CX
	SHLQ $2, CX
	VBROADCASTSS bias+72(FP), Y15
	TESTQ R12, R12
	JLE   dwdone

rowloop:
	XORQ R10, R10

loop32:
	LEAQ 32(R10), R11
	CMPQ R11, R9
	JGT  loop8
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	XORQ BX, BX

tap32:
	MOVQ (R13)(BX*8), AX
	ADDQ R10, AX
	LEAQ (SI)(AX*4), AX
	VBROADCASTSS (DX)(BX*4), Y4
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS 32(AX), Y4, Y1
	VFMADD231PS 64(AX), Y4, Y2
	VFMADD231PS 96(AX), Y4, Y3
	INCQ BX
	CMPQ BX, R8
	JLT  tap32
	LEAQ (DI)(R10*4), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	MOVQ R11, R10
	JMP  loop32

loop8:
	CMPQ R10, R9
	JGE  rowdone
	// Four partial sums over the taps (t mod 4), to shorten the chain of
	// dependent multiply-adds; taps past the last multiple of 4 go to Y0.
	VMOVAPS Y15, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	XORQ BX, BX
	MOVQ R8, R11
	ANDQ $-4, R11
	JZ   tap8rest

tap8x4:
	MOVQ (R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS (DX)(BX*4), Y4
	VFMADD231PS (SI)(AX*4), Y4, Y0
	MOVQ 8(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 4(DX)(BX*4), Y5
	VFMADD231PS (SI)(AX*4), Y5, Y1
	MOVQ 16(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 8(DX)(BX*4), Y6
	VFMADD231PS (SI)(AX*4), Y6, Y2
	MOVQ 24(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 12(DX)(BX*4), Y7
	VFMADD231PS (SI)(AX*4), Y7, Y3
	ADDQ $4, BX
	CMPQ BX, R11
	JLT  tap8x4

tap8rest:
	CMPQ BX, R8
	JGE  tap8sum
	MOVQ (R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS (DX)(BX*4), Y4
	VFMADD231PS (SI)(AX*4), Y4, Y0
	INCQ BX
	JMP  tap8rest

tap8sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	LEAQ 8(R10), R11
	CMPQ R11, R9
	JGT  tail8
	VMOVUPS Y0, (DI)(R10*4)
	MOVQ R11, R10
	JMP  loop8

tail8:
	// rem = n - j in [1, 7]: mask = dwMask[8-rem : 16-rem]
	MOVQ R9, AX
	SUBQ R10, AX
	SHLQ $2, AX
	LEAQ dwMask<>+32(SB), BX
	SUBQ AX, BX
	VMOVDQU (BX), Y5
	LEAQ (DI)(R10*4), AX
	VMASKMOVPS Y0, Y5, (AX)

rowdone:
	ADDQ CX, SI
	MOVQ outStride+64(FP), AX
	LEAQ (DI)(AX*4), DI
	DECQ R12
	JNZ  rowloop

dwdone:
	VZEROUPPER
	RET

// func clampAVX2(v *float32, n int, lo, hi float32)
// v[i] = min(max(v[i], lo), hi) for i in [0, n), n a multiple of 8; a NaN
// in v is kept.
TEXT ·clampAVX2(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS lo+16(FP), Y14
	VBROADCASTSS hi+20(FP), Y15
	SHRQ $3, CX
	JZ   clampdone

clamploop:
	VMOVUPS (DI), Y0
	VMAXPS Y0, Y14, Y0
	VMINPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ  clamploop

clampdone:
	VZEROUPPER
	RET

// func hardSwishAVX2(v *float32, n int)
// v[i] = v[i] * min(max(v[i]/6 + 0.5, 0), 1), n a multiple of 8.
TEXT ·hardSwishAVX2(SB), NOSPLIT, $0-16
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	MOVL $0x40c00000, AX // 6.0
	MOVQ AX, X10
	VBROADCASTSS X10, Y10
	MOVL $0x3f000000, AX // 0.5
	MOVQ AX, X11
	VBROADCASTSS X11, Y11
	MOVL $0x3f800000, AX // 1.0
	MOVQ AX, X12
	VBROADCASTSS X12, Y12
	VXORPS Y13, Y13, Y13
	SHRQ $3, CX
	JZ   hsdone

hsloop:
	VMOVUPS (DI), Y0
	VDIVPS Y10, Y0, Y1
	VADDPS Y11, Y1, Y1
	VMAXPS Y1, Y13, Y1
	VMINPS Y1, Y12, Y1
	VMULPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ  hsloop

hsdone:
	VZEROUPPER
	RET

// func deinterleave2AVX2(even, odd, src *float32, n int)
// even[i] = src[2i], odd[i] = src[2i+1] for i in [0, n), n a multiple of 8.
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), SI
	MOVQ src+16(FP), AX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   deidone

deiloop:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VSHUFPS $0x88, Y1, Y0, Y2 // a0 a2 a8 a10 | a4 a6 a12 a14
	VSHUFPS $0xDD, Y1, Y0, Y3 // a1 a3 a9 a11 | a5 a7 a13 a15
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (SI)
	ADDQ $64, AX
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ  deiloop

deidone:
	VZEROUPPER
	RET

// func packRows16(dst, src *float32, offs *int, kcb, np int)
// For jp in [0, np), kk in [0, kcb):
//   dst[(jp*kcb+kk)*16 : +16] = src[offs[kk]+jp*16 : +16].
TEXT ·packRows16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), R8
	MOVQ kcb+24(FP), CX
	MOVQ np+32(FP), DX
	TESTQ DX, DX
	JLE   packdone
	TESTQ CX, CX
	JLE   packdone

packouter:
	XORQ BX, BX

packinner:
	MOVQ (R8)(BX*8), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	INCQ BX
	CMPQ BX, CX
	JLT  packinner
	ADDQ $64, SI
	DECQ DX
	JNZ  packouter

packdone:
	VZEROUPPER
	RET

// func dw9(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride int, bias float32)
// Depthwise plane kernel for exactly 9 taps, with the weights in Y7-Y15
// and the tap offsets in registers: for r in [0, rows), j in [0, n),
//   y[r*outStride + j] = ((bias + t0 + t1 + t2) + (t3 + t4 + t5)) + (t6 + t7 + t8),
// t_i = w[i] * base[r*inStride + offs[i] + j], each group summed left to
// right with fused multiply-adds; three partial sums shorten the
// dependency chain. 16 columns at a time, then 8, then a masked partial
// group (loads read up to 8 past n).
TEXT ·dw9(SB), NOSPLIT, $0-68
	MOVQ offs+16(FP), SI
	MOVQ 0(SI), R8
	MOVQ 8(SI), R9
	MOVQ 16(SI), R10
	MOVQ 24(SI), R11
	MOVQ 32(SI), R12
	MOVQ 40(SI), R13
	MOVQ 48(SI), AX
	MOVQ 56(SI), BX
	MOVQ 64(SI), DX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R11
	SHLQ $2, R12
	SHLQ $2, R13
	SHLQ $2, AX
	SHLQ $2, BX
	SHLQ $2, DX
	MOVQ w+24(FP), SI
	VBROADCASTSS 0(SI), Y7
	VBROADCASTSS 4(SI), Y8
	VBROADCASTSS 8(SI), Y9
	VBROADCASTSS 12(SI), Y10
	VBROADCASTSS 16(SI), Y11
	VBROADCASTSS 20(SI), Y12
	VBROADCASTSS 24(SI), Y13
	VBROADCASTSS 28(SI), Y14
	VBROADCASTSS 32(SI), Y15
	VBROADCASTSS bias+64(FP), Y6
	CMPQ rows+40(FP), $0
	JLE  d9done

d9row:
	MOVQ base+8(FP), SI
	MOVQ y+0(FP), DI
	MOVQ n+32(FP), CX

d9loop16:
	CMPQ CX, $16
	JLT  d9loop8
	VMOVAPS Y6, Y0
	VMOVAPS Y6, Y1
	VFMADD231PS (SI)(R8*1), Y7, Y0
	VFMADD231PS 32(SI)(R8*1), Y7, Y1
	VFMADD231PS (SI)(R9*1), Y8, Y0
	VFMADD231PS 32(SI)(R9*1), Y8, Y1
	VFMADD231PS (SI)(R10*1), Y9, Y0
	VFMADD231PS 32(SI)(R10*1), Y9, Y1
	VMULPS (SI)(R11*1), Y10, Y2
	VMULPS 32(SI)(R11*1), Y10, Y3
	VFMADD231PS (SI)(R12*1), Y11, Y2
	VFMADD231PS 32(SI)(R12*1), Y11, Y3
	VFMADD231PS (SI)(R13*1), Y12, Y2
	VFMADD231PS 32(SI)(R13*1), Y12, Y3
	VMULPS (SI)(AX*1), Y13, Y4
	VMULPS 32(SI)(AX*1), Y13, Y5
	VFMADD231PS (SI)(BX*1), Y14, Y4
	VFMADD231PS 32(SI)(BX*1), Y14, Y5
	VFMADD231PS (SI)(DX*1), Y15, Y4
	VFMADD231PS 32(SI)(DX*1), Y15, Y5
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  d9loop16

d9loop8:
	TESTQ CX, CX
	JLE   d9rowend
	VMOVAPS Y6, Y0
	VFMADD231PS (SI)(R8*1), Y7, Y0
	VFMADD231PS (SI)(R9*1), Y8, Y0
	VFMADD231PS (SI)(R10*1), Y9, Y0
	VMULPS (SI)(R11*1), Y10, Y2
	VFMADD231PS (SI)(R12*1), Y11, Y2
	VFMADD231PS (SI)(R13*1), Y12, Y2
	VMULPS (SI)(AX*1), Y13, Y4
	VFMADD231PS (SI)(BX*1), Y14, Y4
	VFMADD231PS (SI)(DX*1), Y15, Y4
	VADDPS Y2, Y0, Y0
	VADDPS Y4, Y0, Y0
	CMPQ CX, $8
	JLT  d9tail
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  d9loop8

d9tail:
	// CX in [1, 7]: mask = dwMask[8-CX : 16-CX]
	SHLQ $2, CX
	LEAQ dwMask<>+32(SB), SI
	SUBQ CX, SI
	VMOVDQU (SI), Y5
	VMASKMOVPS Y0, Y5, (DI)

d9rowend:
	MOVQ inStride+48(FP), CX
	SHLQ $2, CX
	ADDQ CX, base+8(FP)
	MOVQ outStride+56(FP), CX
	SHLQ $2, CX
	ADDQ CX, y+0(FP)
	DECQ rows+40(FP)
	JNZ  d9row

d9done:
	VZEROUPPER
	RET

// func sgemm6x8(k int, a, b, c *float32, ldc int, flags int, bias *float32, lo, hi float32)
// sgemm6x16 for the first 8 columns of a panel (b still has 16 floats per
// k step): rows i in Y(i). Each output is the same chain of operations as
// in sgemm6x16.
TEXT ·sgemm6x8(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	TESTQ CX, CX
	JLE   k8loopdone

k8loop:
	VMOVUPS (BX), Y12
	VBROADCASTSS 0(AX), Y14
	VBROADCASTSS 4(AX), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y12, Y15, Y1
	VBROADCASTSS 8(AX), Y14
	VBROADCASTSS 12(AX), Y15
	VFMADD231PS Y12, Y14, Y2
	VFMADD231PS Y12, Y15, Y3
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS 20(AX), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y12, Y15, Y5
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  k8loop

k8loopdone:
	MOVQ flags+40(FP), SI
	TESTQ $1, SI
	JZ    k8noacc
	MOVQ DI, R8
	VADDPS (R8), Y0, Y0
	ADDQ DX, R8
	VADDPS (R8), Y1, Y1
	ADDQ DX, R8
	VADDPS (R8), Y2, Y2
	ADDQ DX, R8
	VADDPS (R8), Y3, Y3
	ADDQ DX, R8
	VADDPS (R8), Y4, Y4
	ADDQ DX, R8
	VADDPS (R8), Y5, Y5

k8noacc:
	TESTQ $2, SI
	JZ    k8nobias
	MOVQ bias+48(FP), R9
	VBROADCASTSS 0(R9), Y14
	VADDPS Y14, Y0, Y0
	VBROADCASTSS 4(R9), Y14
	VADDPS Y14, Y1, Y1
	VBROADCASTSS 8(R9), Y14
	VADDPS Y14, Y2, Y2
	VBROADCASTSS 12(R9), Y14
	VADDPS Y14, Y3, Y3
	VBROADCASTSS 16(R9), Y14
	VADDPS Y14, Y4, Y4
	VBROADCASTSS 20(R9), Y14
	VADDPS Y14, Y5, Y5

k8nobias:
	TESTQ $4, SI
	JZ    k8noclamp
	VBROADCASTSS lo+56(FP), Y14
	VBROADCASTSS hi+60(FP), Y15
	VMAXPS Y0, Y14, Y0
	VMAXPS Y1, Y14, Y1
	VMAXPS Y2, Y14, Y2
	VMAXPS Y3, Y14, Y3
	VMAXPS Y4, Y14, Y4
	VMAXPS Y5, Y14, Y5
	VMINPS Y0, Y15, Y0
	VMINPS Y1, Y15, Y1
	VMINPS Y2, Y15, Y2
	VMINPS Y3, Y15, Y3
	VMINPS Y4, Y15, Y4
	VMINPS Y5, Y15, Y5

k8noclamp:
	VMOVUPS Y0, (DI)
	ADDQ DX, DI
	VMOVUPS Y1, (DI)
	ADDQ DX, DI
	VMOVUPS Y2, (DI)
	ADDQ DX, DI
	VMOVUPS Y3, (DI)
	ADDQ DX, DI
	VMOVUPS Y4, (DI)
	ADDQ DX, DI
	VMOVUPS Y5, (DI)
	VZEROUPPER
	RET

// Constants of geluAVX2 (float32 bit patterns; the decimal values in the
// comments are those of act_fast.go: Eigen's erf rational, the Numerical
// Recipes erfcc polynomial, the Cephes expf reduction and polynomial).
DATA geluK<>+0(SB)/4, $0x3f000000 // HALF 0.5
DATA geluK<>+4(SB)/4, $0x3f800000 // ONE 1.0
DATA geluK<>+8(SB)/4, $0x3f3504f3 // RSQRT2 0.7071067811865476
DATA geluK<>+12(SB)/4, $0x40800000 // FOUR 4.0
DATA geluK<>+16(SB)/4, $0xc0800000 // MFOUR -4.0
DATA geluK<>+20(SB)/4, $0xbf800000 // M1 -1.0
DATA geluK<>+24(SB)/4, $0xaf95df0b // A13 -2.72614225801306e-10
DATA geluK<>+28(SB)/4, $0x32edffee // A11 2.77068142495902e-08
DATA geluK<>+32(SB)/4, $0xb60cff51 // A9 -2.10102402082508e-06
DATA geluK<>+36(SB)/4, $0xb86ec2d2 // A7 -5.69250639462346e-05
DATA geluK<>+40(SB)/4, $0xba40ac63 // A5 -0.000734990630326855
DATA geluK<>+44(SB)/4, $0xbb41a1f6 // A3 -0.00295459980854025
DATA geluK<>+48(SB)/4, $0xbc83dbd4 // A1 -0.0160960333262415
DATA geluK<>+52(SB)/4, $0xb77460cd // B8 -1.45660718464996e-05
DATA geluK<>+56(SB)/4, $0xb95fbd29 // B6 -0.000213374055278905
DATA geluK<>+60(SB)/4, $0xbadc924e // B4 -0.00168282697438203
DATA geluK<>+64(SB)/4, $0xbbf19bf8 // B2 -0.00737332916720468
DATA geluK<>+68(SB)/4, $0xbc69b6a7 // B0 -0.0142647390514189
DATA geluK<>+72(SB)/4, $0x3e2ef945 // N9 0.17087277
DATA geluK<>+76(SB)/4, $0xbf527892 // N8 -0.82215223
DATA geluK<>+80(SB)/4, $0x3fbe87b0 // N7 1.48851587
DATA geluK<>+84(SB)/4, $0xbf914e5d // N6 -1.13520398
DATA geluK<>+88(SB)/4, $0x3e8ec7cc // N5 0.27886807
DATA geluK<>+92(SB)/4, $0xbe3ec24c // N4 -0.18628806
DATA geluK<>+96(SB)/4, $0x3dc636c9 // N3 0.09678418
DATA geluK<>+100(SB)/4, $0x3ebf88fb // N2 0.37409196
DATA geluK<>+104(SB)/4, $0x3f8000c7 // N1 1.00002368
DATA geluK<>+108(SB)/4, $0xbfa1fc4e // N0 -1.26551223
DATA geluK<>+112(SB)/4, $0xc2ae999a // EXPMIN -87.3
DATA geluK<>+116(SB)/4, $0x3fb8aa3b // LOG2E 1.4426950408889634
DATA geluK<>+120(SB)/4, $0x3f318000 // C1 0.693359375
DATA geluK<>+124(SB)/4, $0xb95e8083 // C2 -0.00021219444
DATA geluK<>+128(SB)/4, $0x39506967 // E5 0.000198756915
DATA geluK<>+132(SB)/4, $0x3ab743ce // E4 0.0013981999507
DATA geluK<>+136(SB)/4, $0x3c088908 // E3 0.0083334519073
DATA geluK<>+140(SB)/4, $0x3d2aa9c1 // E2 0.041665795894
DATA geluK<>+144(SB)/4, $0x3e2aaaaa // E1 0.16666665459
DATA geluK<>+148(SB)/4, $0x3f000000 // E0 0.50000001201
DATA geluK<>+152(SB)/4, $0x0000007f // I127 (integer 127)
DATA geluK<>+156(SB)/4, $0xfffff000 // WMASK: clears the low 12 mantissa bits
DATA geluK<>+160(SB)/4, $0xc1500000 // XMIN -13.0
GLOBL geluK<>(SB), RODATA|NOPTR, $164

// func geluAVX2(v *float32, n int)
// v[i] = x/2 * (1 + erf(x/sqrt2)) in place for i in [0, n), n a multiple
// of 8, x = v[i]. Both forms of act_fast.go are computed for every lane
// and blended: x >= -1: x * (1 + erf(u)) / 2 by Eigen's rational erf on
// u = clamp(x/sqrt2, -4, 4); x < -1: x * erfc(w) / 2, w = -x/sqrt2, by the
// erfcc polynomial and a vector exp (Cephes reduction and polynomial).
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   geludone
	VBROADCASTSS geluK<>+8(SB), Y15
	VBROADCASTSS geluK<>+4(SB), Y13

geluloop:
	VMOVUPS (DI), Y0
	// path A: Y5 = x * (1 + erf(u))
	VMULPS Y15, Y0, Y1
	VBROADCASTSS geluK<>+12(SB), Y14
	VMINPS Y14, Y1, Y1
	VBROADCASTSS geluK<>+16(SB), Y14
	VMAXPS Y14, Y1, Y1
	VMULPS Y1, Y1, Y2
	VBROADCASTSS geluK<>+24(SB), Y3
	VBROADCASTSS geluK<>+28(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VBROADCASTSS geluK<>+32(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VBROADCASTSS geluK<>+36(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VBROADCASTSS geluK<>+40(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VBROADCASTSS geluK<>+44(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VBROADCASTSS geluK<>+48(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VMULPS Y1, Y3, Y3
	VBROADCASTSS geluK<>+52(SB), Y4
	VBROADCASTSS geluK<>+56(SB), Y14
	VFMADD213PS Y14, Y2, Y4
	VBROADCASTSS geluK<>+60(SB), Y14
	VFMADD213PS Y14, Y2, Y4
	VBROADCASTSS geluK<>+64(SB), Y14
	VFMADD213PS Y14, Y2, Y4
	VBROADCASTSS geluK<>+68(SB), Y14
	VFMADD213PS Y14, Y2, Y4
	VDIVPS Y4, Y3, Y3
	VADDPS Y13, Y3, Y3
	VMULPS Y3, Y0, Y5
	// path B: Y10 = x * erfc(w) = x * t * exp(-x*x/2 + P(t)), w = -x/sqrt2,
	// t = 1/(1 + w/2). For the exponent, x is clamped at -13 and split:
	// xh = x with its low 12 mantissa bits cleared, -x*x/2 + P = s - xh*xh/2,
	// s = (xh-x)(xh+x)/2 + P; xh*xh/2 and n*C1 are exact and so is their
	// difference, which keeps the reduced argument accurate for large |x|.
	VMULPS Y15, Y0, Y6
	VXORPS Y7, Y7, Y7
	VSUBPS Y6, Y7, Y6
	VBROADCASTSS geluK<>+0(SB), Y12
	VMULPS Y12, Y6, Y7
	VADDPS Y13, Y7, Y7
	VDIVPS Y7, Y13, Y7
	VBROADCASTSS geluK<>+72(SB), Y8
	VBROADCASTSS geluK<>+76(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+80(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+84(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+88(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+92(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+96(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+100(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+104(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+108(SB), Y14
	VFMADD213PS Y14, Y7, Y8
	VBROADCASTSS geluK<>+160(SB), Y14
	VMAXPS Y14, Y0, Y9
	VBROADCASTSS geluK<>+156(SB), Y14
	VANDPS Y14, Y9, Y11
	VSUBPS Y9, Y11, Y10
	VADDPS Y9, Y11, Y3
	VMULPS Y3, Y10, Y10
	VFMADD231PS Y12, Y10, Y8
	VMULPS Y11, Y11, Y9
	VMULPS Y12, Y9, Y9
	VSUBPS Y9, Y8, Y10
	VBROADCASTSS geluK<>+116(SB), Y14
	VMULPS Y14, Y10, Y10
	VROUNDPS $0, Y10, Y10
	VBROADCASTSS geluK<>+120(SB), Y14
	VMULPS Y14, Y10, Y11
	VADDPS Y11, Y9, Y11
	VSUBPS Y11, Y8, Y11
	VBROADCASTSS geluK<>+124(SB), Y14
	VFNMADD231PS Y14, Y10, Y11
	VBROADCASTSS geluK<>+128(SB), Y4
	VBROADCASTSS geluK<>+132(SB), Y14
	VFMADD213PS Y14, Y11, Y4
	VBROADCASTSS geluK<>+136(SB), Y14
	VFMADD213PS Y14, Y11, Y4
	VBROADCASTSS geluK<>+140(SB), Y14
	VFMADD213PS Y14, Y11, Y4
	VBROADCASTSS geluK<>+144(SB), Y14
	VFMADD213PS Y14, Y11, Y4
	VBROADCASTSS geluK<>+148(SB), Y14
	VFMADD213PS Y14, Y11, Y4
	VMULPS Y11, Y11, Y3
	VFMADD213PS Y11, Y3, Y4
	VADDPS Y13, Y4, Y4
	VCVTPS2DQ Y10, Y10
	VBROADCASTSS geluK<>+152(SB), Y14
	VPADDD Y14, Y10, Y10
	VPSLLD $23, Y10, Y10
	VMULPS Y10, Y4, Y4
	VMULPS Y7, Y4, Y4
	VMULPS Y4, Y0, Y10
	// blend on x >= -1, halve
	VBROADCASTSS geluK<>+20(SB), Y14
	VCMPPS $13, Y14, Y0, Y11
	VBLENDVPS Y11, Y5, Y10, Y12
	VBROADCASTSS geluK<>+0(SB), Y14
	VMULPS Y14, Y12, Y12
	VMOVUPS Y12, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ  geluloop

geludone:
	VZEROUPPER
	RET

// func copyRowsAVX2(dst *float32, dstStride int, src *float32, srcStride int, rows, n int)
// Copies rows rows of n floats (strides in floats), 8 at a time, the last
// partial group with masked loads and stores (nothing outside a row is
// read or written).
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), R10
	MOVQ n+40(FP), R11
	TESTQ R10, R10
	JLE  crdone
	TESTQ R11, R11
	JLE  crdone
	// mask for the n%8 tail: dwMask[8-rem : 16-rem]
	MOVQ R11, AX
	ANDQ $7, AX
	SHLQ $2, AX
	LEAQ dwMask<>+32(SB), BX
	SUBQ AX, BX
	VMOVDQU (BX), Y5

crrow:
	XORQ CX, CX
	MOVQ R11, DX

cr8:
	CMPQ DX, $8
	JLT  crtail
	VMOVUPS (SI)(CX*4), Y0
	VMOVUPS Y0, (DI)(CX*4)
	ADDQ $8, CX
	SUBQ $8, DX
	JMP  cr8

crtail:
	TESTQ DX, DX
	JZ    crnext
	LEAQ (SI)(CX*4), AX
	VMASKMOVPS (AX), Y5, Y0
	LEAQ (DI)(CX*4), AX
	VMASKMOVPS Y0, Y5, (AX)

crnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ  crrow

crdone:
	VZEROUPPER
	RET

// Constants of sigmoidAVX2 (float32 bit patterns; Cephes expf reduction
// and polynomial as in act_fast.go).
DATA sigK<>+0(SB)/4, $0x3f800000 // ONE 1.0
DATA sigK<>+4(SB)/4, $0xc2ae999a // AMIN -87.3
DATA sigK<>+8(SB)/4, $0x42b00000 // AMAX 88.0
DATA sigK<>+12(SB)/4, $0x3fb8aa3b // LOG2E 1.4426950408889634
DATA sigK<>+16(SB)/4, $0x3f318000 // C1 0.693359375
DATA sigK<>+20(SB)/4, $0xb95e8083 // C2 -0.00021219444
DATA sigK<>+24(SB)/4, $0x39506967 // E5 0.000198756915
DATA sigK<>+28(SB)/4, $0x3ab743ce // E4 0.0013981999507
DATA sigK<>+32(SB)/4, $0x3c088908 // E3 0.0083334519073
DATA sigK<>+36(SB)/4, $0x3d2aa9c1 // E2 0.041665795894
DATA sigK<>+40(SB)/4, $0x3e2aaaaa // E1 0.16666665459
DATA sigK<>+44(SB)/4, $0x3f000000 // E0 0.50000001201
DATA sigK<>+48(SB)/4, $0x0000007f // I127 (integer 127)
DATA sigK<>+52(SB)/4, $0x42b17217 // OVF 88.72283: exp overflows above
DATA sigK<>+56(SB)/4, $0x7f800000 // +Inf
GLOBL sigK<>(SB), RODATA|NOPTR, $60

// func sigmoidAVX2(v *float32, n int, silu int)
// v[i] = s = 1 / (1 + exp(-x)) in place (times x when silu != 0) for i in
// [0, n), n a multiple of 8, x = v[i]; exp(a) for a = -x clamped to
// [-87.3, 88] by the Cephes reduction and polynomial, +Inf above 88.72 (as
// expd); NaN stays NaN.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ silu+16(FP), DX
	SHRQ $3, CX
	JZ   sigdone
	VBROADCASTSS sigK<>+0(SB), Y13

sigloop:
	VMOVUPS (DI), Y0
	VXORPS Y1, Y1, Y1
	VSUBPS Y0, Y1, Y1
	VMOVAPS Y1, Y5
	VBROADCASTSS sigK<>+4(SB), Y14
	VMAXPS Y1, Y14, Y1
	VBROADCASTSS sigK<>+8(SB), Y14
	VMINPS Y1, Y14, Y1
	VBROADCASTSS sigK<>+12(SB), Y14
	VMULPS Y14, Y1, Y2
	VROUNDPS $0, Y2, Y2
	VBROADCASTSS sigK<>+16(SB), Y14
	VFNMADD231PS Y14, Y2, Y1
	VBROADCASTSS sigK<>+20(SB), Y14
	VFNMADD231PS Y14, Y2, Y1
	VBROADCASTSS sigK<>+24(SB), Y3
	VBROADCASTSS sigK<>+28(SB), Y14
	VFMADD213PS Y14, Y1, Y3
	VBROADCASTSS sigK<>+32(SB), Y14
	VFMADD213PS Y14, Y1, Y3
	VBROADCASTSS sigK<>+36(SB), Y14
	VFMADD213PS Y14, Y1, Y3
	VBROADCASTSS sigK<>+40(SB), Y14
	VFMADD213PS Y14, Y1, Y3
	VBROADCASTSS sigK<>+44(SB), Y14
	VFMADD213PS Y14, Y1, Y3
	VMULPS Y1, Y1, Y4
	VFMADD213PS Y1, Y4, Y3
	VADDPS Y13, Y3, Y3
	VCVTPS2DQ Y2, Y2
	VBROADCASTSS sigK<>+48(SB), Y14
	VPADDD Y14, Y2, Y2
	VPSLLD $23, Y2, Y2
	VMULPS Y2, Y3, Y3
	// exp(a) = +Inf where a > 88.72 (a NaN stays NaN through the clamps)
	VBROADCASTSS sigK<>+52(SB), Y14
	VCMPPS $14, Y14, Y5, Y6
	VBROADCASTSS sigK<>+56(SB), Y14
	VBLENDVPS Y6, Y14, Y3, Y3
	VADDPS Y13, Y3, Y3
	VDIVPS Y3, Y13, Y3
	TESTQ DX, DX
	JZ    sigstore
	VMULPS Y3, Y0, Y3

sigstore:
	VMOVUPS Y3, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ  sigloop

sigdone:
	VZEROUPPER
	RET

// AVX-512 versions of the activation kernels above (registered for the
// avx512 path; they share the constants). Each processes n floats, n a
// multiple of 8, 16 lanes at a time with the same operations per lane as
// its AVX2 version; the last group of 8 is loaded and stored under the
// opmask K1 = 0x00ff (the other lanes are zero and discarded).

// Sets K1 = 0xffff and K2 = 0x00ff; the loop header below switches K1 to
// K2 for a last group of 8 (CX = floats left).
#define AVX512_MASKS \
	MOVL $0xffff, AX; \
	KMOVW AX, K1; \
	MOVL $0x00ff, AX; \
	KMOVW AX, K2

// func clampAVX512(v *float32, n int, lo, hi float32)
TEXT ·clampAVX512(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS lo+16(FP), Z14
	VBROADCASTSS hi+20(FP), Z15
	AVX512_MASKS
	TESTQ CX, CX
	JLE   zclampdone

zclamploop:
	CMPQ CX, $16
	JGE  zclampfull
	KMOVW K2, K1

zclampfull:
	VMOVUPS.Z (DI), K1, Z0
	VMAXPS Z0, Z14, Z0
	VMINPS Z0, Z15, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JG   zclamploop

zclampdone:
	VZEROUPPER
	RET

// func hardSwishAVX512(v *float32, n int)
TEXT ·hardSwishAVX512(SB), NOSPLIT, $0-16
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	MOVL $0x40c00000, AX // 6.0
	MOVQ AX, X10
	VBROADCASTSS X10, Z10
	MOVL $0x3f000000, AX // 0.5
	MOVQ AX, X11
	VBROADCASTSS X11, Z11
	MOVL $0x3f800000, AX // 1.0
	MOVQ AX, X12
	VBROADCASTSS X12, Z12
	VPXORD Z13, Z13, Z13
	AVX512_MASKS
	TESTQ CX, CX
	JLE   zhsdone

zhsloop:
	CMPQ CX, $16
	JGE  zhsfull
	KMOVW K2, K1

zhsfull:
	VMOVUPS.Z (DI), K1, Z0
	VDIVPS Z10, Z0, Z1
	VADDPS Z11, Z1, Z1
	VMAXPS Z1, Z13, Z1
	VMINPS Z1, Z12, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JG   zhsloop

zhsdone:
	VZEROUPPER
	RET

// func sigmoidAVX512(v *float32, n int, silu int)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ silu+16(FP), DX
	VBROADCASTSS sigK<>+0(SB), Z13
	AVX512_MASKS
	TESTQ CX, CX
	JLE   zsigdone

zsigloop:
	CMPQ CX, $16
	JGE  zsigfull
	KMOVW K2, K1

zsigfull:
	VMOVUPS.Z (DI), K1, Z0
	VPXORD Z1, Z1, Z1
	VSUBPS Z0, Z1, Z1
	VMOVAPS Z1, Z5
	VBROADCASTSS sigK<>+4(SB), Z14
	VMAXPS Z1, Z14, Z1
	VBROADCASTSS sigK<>+8(SB), Z14
	VMINPS Z1, Z14, Z1
	VBROADCASTSS sigK<>+12(SB), Z14
	VMULPS Z14, Z1, Z2
	VRNDSCALEPS $0, Z2, Z2
	VBROADCASTSS sigK<>+16(SB), Z14
	VFNMADD231PS Z14, Z2, Z1
	VBROADCASTSS sigK<>+20(SB), Z14
	VFNMADD231PS Z14, Z2, Z1
	VBROADCASTSS sigK<>+24(SB), Z3
	VBROADCASTSS sigK<>+28(SB), Z14
	VFMADD213PS Z14, Z1, Z3
	VBROADCASTSS sigK<>+32(SB), Z14
	VFMADD213PS Z14, Z1, Z3
	VBROADCASTSS sigK<>+36(SB), Z14
	VFMADD213PS Z14, Z1, Z3
	VBROADCASTSS sigK<>+40(SB), Z14
	VFMADD213PS Z14, Z1, Z3
	VBROADCASTSS sigK<>+44(SB), Z14
	VFMADD213PS Z14, Z1, Z3
	VMULPS Z1, Z1, Z4
	VFMADD213PS Z1, Z4, Z3
	VADDPS Z13, Z3, Z3
	VCVTPS2DQ Z2, Z2
	VPBROADCASTD sigK<>+48(SB), Z14
	VPADDD Z14, Z2, Z2
	VPSLLD $23, Z2, Z2
	VMULPS Z2, Z3, Z3
	// exp(a) = +Inf where a > 88.72 (a NaN stays NaN through the clamps)
	VBROADCASTSS sigK<>+52(SB), Z14
	VCMPPS $14, Z14, Z5, K3
	VBROADCASTSS sigK<>+56(SB), Z14
	VMOVAPS Z14, K3, Z3
	VADDPS Z13, Z3, Z3
	VDIVPS Z3, Z13, Z3
	TESTQ DX, DX
	JZ    zsigstore
	VMULPS Z3, Z0, Z3

zsigstore:
	VMOVUPS Z3, K1, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JG   zsigloop

zsigdone:
	VZEROUPPER
	RET

// func geluAVX512(v *float32, n int)
TEXT ·geluAVX512(SB), NOSPLIT, $0-16
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS geluK<>+8(SB), Z15
	VBROADCASTSS geluK<>+4(SB), Z13
	AVX512_MASKS
	TESTQ CX, CX
	JLE   zgeludone

zgeluloop:
	CMPQ CX, $16
	JGE  zgelufull
	KMOVW K2, K1

zgelufull:
	VMOVUPS.Z (DI), K1, Z0
	// path A: Z5 = x * (1 + erf(u))
	VMULPS Z15, Z0, Z1
	VBROADCASTSS geluK<>+12(SB), Z14
	VMINPS Z14, Z1, Z1
	VBROADCASTSS geluK<>+16(SB), Z14
	VMAXPS Z14, Z1, Z1
	VMULPS Z1, Z1, Z2
	VBROADCASTSS geluK<>+24(SB), Z3
	VBROADCASTSS geluK<>+28(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VBROADCASTSS geluK<>+32(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VBROADCASTSS geluK<>+36(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VBROADCASTSS geluK<>+40(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VBROADCASTSS geluK<>+44(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VBROADCASTSS geluK<>+48(SB), Z14
	VFMADD213PS Z14, Z2, Z3
	VMULPS Z1, Z3, Z3
	VBROADCASTSS geluK<>+52(SB), Z4
	VBROADCASTSS geluK<>+56(SB), Z14
	VFMADD213PS Z14, Z2, Z4
	VBROADCASTSS geluK<>+60(SB), Z14
	VFMADD213PS Z14, Z2, Z4
	VBROADCASTSS geluK<>+64(SB), Z14
	VFMADD213PS Z14, Z2, Z4
	VBROADCASTSS geluK<>+68(SB), Z14
	VFMADD213PS Z14, Z2, Z4
	VDIVPS Z4, Z3, Z3
	VADDPS Z13, Z3, Z3
	VMULPS Z3, Z0, Z5
	// path B: Z10 = x * erfc(w) (see geluAVX2)
	VMULPS Z15, Z0, Z6
	VPXORD Z7, Z7, Z7
	VSUBPS Z6, Z7, Z6
	VBROADCASTSS geluK<>+0(SB), Z12
	VMULPS Z12, Z6, Z7
	VADDPS Z13, Z7, Z7
	VDIVPS Z7, Z13, Z7
	VBROADCASTSS geluK<>+72(SB), Z8
	VBROADCASTSS geluK<>+76(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+80(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+84(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+88(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+92(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+96(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+100(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+104(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+108(SB), Z14
	VFMADD213PS Z14, Z7, Z8
	VBROADCASTSS geluK<>+160(SB), Z14
	VMAXPS Z14, Z0, Z9
	VPBROADCASTD geluK<>+156(SB), Z14
	VPANDD Z14, Z9, Z11
	VSUBPS Z9, Z11, Z10
	VADDPS Z9, Z11, Z3
	VMULPS Z3, Z10, Z10
	VFMADD231PS Z12, Z10, Z8
	VMULPS Z11, Z11, Z9
	VMULPS Z12, Z9, Z9
	VSUBPS Z9, Z8, Z10
	VBROADCASTSS geluK<>+116(SB), Z14
	VMULPS Z14, Z10, Z10
	VRNDSCALEPS $0, Z10, Z10
	VBROADCASTSS geluK<>+120(SB), Z14
	VMULPS Z14, Z10, Z11
	VADDPS Z11, Z9, Z11
	VSUBPS Z11, Z8, Z11
	VBROADCASTSS geluK<>+124(SB), Z14
	VFNMADD231PS Z14, Z10, Z11
	VBROADCASTSS geluK<>+128(SB), Z4
	VBROADCASTSS geluK<>+132(SB), Z14
	VFMADD213PS Z14, Z11, Z4
	VBROADCASTSS geluK<>+136(SB), Z14
	VFMADD213PS Z14, Z11, Z4
	VBROADCASTSS geluK<>+140(SB), Z14
	VFMADD213PS Z14, Z11, Z4
	VBROADCASTSS geluK<>+144(SB), Z14
	VFMADD213PS Z14, Z11, Z4
	VBROADCASTSS geluK<>+148(SB), Z14
	VFMADD213PS Z14, Z11, Z4
	VMULPS Z11, Z11, Z3
	VFMADD213PS Z11, Z3, Z4
	VADDPS Z13, Z4, Z4
	VCVTPS2DQ Z10, Z10
	VPBROADCASTD geluK<>+152(SB), Z14
	VPADDD Z14, Z10, Z10
	VPSLLD $23, Z10, Z10
	VMULPS Z10, Z4, Z4
	VMULPS Z7, Z4, Z4
	VMULPS Z4, Z0, Z10
	// blend on x >= -1, halve
	VBROADCASTSS geluK<>+20(SB), Z14
	VCMPPS $13, Z14, Z0, K3
	VMOVAPS Z10, Z12
	VMOVAPS Z5, K3, Z12
	VBROADCASTSS geluK<>+0(SB), Z14
	VMULPS Z14, Z12, Z12
	VMOVUPS Z12, K1, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JG   zgeluloop

zgeludone:
	VZEROUPPER
	RET
