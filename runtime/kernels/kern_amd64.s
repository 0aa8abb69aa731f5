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
// b: packed 16 floats per k step. The A panel is prefetched 16 k steps
// ahead: where this kernel runs on a lone 16-column B panel (Winograd's
// 16-tile GEMMs), each A element serves one tile and comes from L3 or
// memory (ResNet-18 at 1 thread: ~5% faster, the min over 6 runs).
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
	PREFETCHT0 384(AX)
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
// the last partial group of 8 is stored as 4 + 2 + 1 floats (its loads
// read up to 8 columns past n).
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
	// rem = n - j in [1, 7] floats of Y0 stored as 4 + 2 + 1 (a masked
	// VMASKMOVPS store costs about 24 cycles on Zen 4).
	MOVQ R9, AX
	SUBQ R10, AX
	LEAQ (DI)(R10*4), BX
	CMPQ AX, $4
	JLT  tail8b
	VMOVUPS      X0, (BX)
	VEXTRACTF128 $1, Y0, X0
	ADDQ         $16, BX
	SUBQ         $4, AX

tail8b:
	CMPQ AX, $2
	JLT  tail8c
	VMOVSD   X0, (BX)
	VMOVHLPS X0, X0, X0
	ADDQ     $8, BX
	SUBQ     $2, AX

tail8c:
	TESTQ AX, AX
	JZ    rowdone
	VMOVSS X0, (BX)

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
// dependency chain. 16 columns at a time, then 8, then a partial group
// stored as 4 + 2 + 1 floats (loads read up to 8 past n).
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
	// CX in [1, 7] floats of Y0 stored as 4 + 2 + 1 (see dwPlane8).
	CMPQ CX, $4
	JLT  d9tail2
	VMOVUPS      X0, (DI)
	VEXTRACTF128 $1, Y0, X0
	ADDQ         $16, DI
	SUBQ         $4, CX

d9tail2:
	CMPQ CX, $2
	JLT  d9tail1
	VMOVSD   X0, (DI)
	VMOVHLPS X0, X0, X0
	ADDQ     $8, DI
	SUBQ     $2, CX

d9tail1:
	TESTQ CX, CX
	JZ    d9rowend
	VMOVSS X0, (DI)

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

// func copyRowsAVX2(dst *float32, dstStride int, src *float32, srcStride int, rows, n int)
// Copies rows rows of n floats (strides in floats), 8 at a time, the last
// partial group with a masked load and 4 + 2 + 1 float stores (nothing
// outside a row is read or written).
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
	// DX in [1, 7] floats stored as 4 + 2 + 1 (see dwPlane8).
	LEAQ (DI)(CX*4), AX
	MOVQ DX, BX
	CMPQ BX, $4
	JLT  crtail2
	VMOVUPS      X0, (AX)
	VEXTRACTF128 $1, Y0, X0
	ADDQ         $16, AX
	SUBQ         $4, BX

crtail2:
	CMPQ BX, $2
	JLT  crtail1
	VMOVSD   X0, (AX)
	VMOVHLPS X0, X0, X0
	ADDQ     $8, AX
	SUBQ     $2, BX

crtail1:
	TESTQ BX, BX
	JZ    crnext
	VMOVSS X0, (AX)

crnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ  crrow

crdone:
	VZEROUPPER
	RET

// AVX-512 versions of the clamp and HardSwish kernels above (registered
// for the avx512 path). Each processes n floats, n a multiple of 8, 16
// lanes at a time with the same operations per lane as its AVX2 version;
// the last group of 8 is loaded and stored under the opmask K1 = 0x00ff
// (the other lanes are zero and discarded). Sigmoid/SiLU and GELU use the
// AVX2 kernels of exp_amd64.s on every path (a 512-bit port of their
// algorithms would have to give the same bits).

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

// func dw9x2(y, base *float32, offs *int, w *float32, n, rows, inStride, outStride int, bias float32)
// dw9 for rows a multiple of 2 and a 3x3 tap layout whose kernel rows are
// inStride apart (offs[3k+i] = offs[i] + k*inStride: stride 1, dilation
// 1 vertically): two output rows per pass, so the input rows the two share
// (kernel rows 1 and 2 of the first, 0 and 1 of the second) are loaded
// once (12 loads for 18 multiply-adds instead of 18). Every output is
// computed by the same operations in the same order as in dw9:
//   ((bias + t0 + t1 + t2) + (t3 + t4 + t5)) + (t6 + t7 + t8).
// 8 columns at a time, the last partial group stored as 4 + 2 + 1 floats
// (loads read up to 8 columns past n).
TEXT ·dw9x2(SB), NOSPLIT, $0-68
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
	// inStride and outStride in bytes, kept in their argument slots.
	MOVQ inStride+48(FP), CX
	SHLQ $2, CX
	MOVQ CX, inStride+48(FP)
	MOVQ outStride+56(FP), CX
	SHLQ $2, CX
	MOVQ CX, outStride+56(FP)
	CMPQ rows+40(FP), $2
	JLT  d92done

d92row:
	MOVQ base+8(FP), SI
	MOVQ SI, R14
	ADDQ inStride+48(FP), R14 // input of the second row
	MOVQ y+0(FP), DI
	MOVQ DI, R15
	ADDQ outStride+56(FP), R15 // second output row
	MOVQ n+32(FP), CX

d92loop:
	VBROADCASTSS bias+64(FP), Y0
	VBROADCASTSS bias+64(FP), Y1
	// first row, kernel row 0 (input row r)
	VFMADD231PS (SI)(R8*1), Y7, Y0
	VFMADD231PS (SI)(R9*1), Y8, Y0
	VFMADD231PS (SI)(R10*1), Y9, Y0
	// input row r+1: first row's kernel row 1, second row's kernel row 0
	VMOVUPS     (SI)(R11*1), Y6
	VMULPS      Y6, Y10, Y2
	VFMADD231PS Y6, Y7, Y1
	VMOVUPS     (SI)(R12*1), Y6
	VFMADD231PS Y6, Y11, Y2
	VFMADD231PS Y6, Y8, Y1
	VMOVUPS     (SI)(R13*1), Y6
	VFMADD231PS Y6, Y12, Y2
	VFMADD231PS Y6, Y9, Y1
	// input row r+2: first row's kernel row 2, second row's kernel row 1
	VMOVUPS     (SI)(AX*1), Y6
	VMULPS      Y6, Y13, Y4
	VMULPS      Y6, Y10, Y3
	VMOVUPS     (SI)(BX*1), Y6
	VFMADD231PS Y6, Y14, Y4
	VFMADD231PS Y6, Y11, Y3
	VMOVUPS     (SI)(DX*1), Y6
	VFMADD231PS Y6, Y15, Y4
	VFMADD231PS Y6, Y12, Y3
	// input row r+3: second row's kernel row 2
	VMULPS      (R14)(AX*1), Y13, Y5
	VFMADD231PS (R14)(BX*1), Y14, Y5
	VFMADD231PS (R14)(DX*1), Y15, Y5
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	CMPQ CX, $8
	JLT  d92tail
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (R15)
	ADDQ $32, SI
	ADDQ $32, R14
	ADDQ $32, DI
	ADDQ $32, R15
	SUBQ $8, CX
	JNZ  d92loop
	JMP  d92rowend

d92tail:
	// CX in [1, 7] floats of Y0 to DI and of Y1 to R15, as 4 + 2 + 1.
	CMPQ CX, $4
	JLT  d92tail2
	VMOVUPS      X0, (DI)
	VMOVUPS      X1, (R15)
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y1, X1
	ADDQ         $16, DI
	ADDQ         $16, R15
	SUBQ         $4, CX

d92tail2:
	CMPQ CX, $2
	JLT  d92tail1
	VMOVSD   X0, (DI)
	VMOVSD   X1, (R15)
	VMOVHLPS X0, X0, X0
	VMOVHLPS X1, X1, X1
	ADDQ     $8, DI
	ADDQ     $8, R15
	SUBQ     $2, CX

d92tail1:
	TESTQ CX, CX
	JZ    d92rowend
	VMOVSS X0, (DI)
	VMOVSS X1, (R15)

d92rowend:
	MOVQ inStride+48(FP), CX
	SHLQ $1, CX
	ADDQ CX, base+8(FP)
	MOVQ outStride+56(FP), CX
	SHLQ $1, CX
	ADDQ CX, y+0(FP)
	SUBQ $2, rows+40(FP)
	CMPQ rows+40(FP), $2
	JGE  d92row

d92done:
	VZEROUPPER
	RET

// func dwPlane8x2(y, base *float32, offs *int, w *float32, taps, n, rows, inStride, outStride int, bias float32)
// dwPlane8's loop of 8 columns (four partial sums over t mod 4, s0 from
// the bias and taking the taps past the last multiple of 4,
// ((s0 + s1) + (s2 + s3))) on two rows per pass, rows a multiple of 2:
// each weight is broadcast once for both rows. Every output is computed
// by the same operations in the same order as in dwPlane8's 8-column
// loop; the last partial group is stored as 4 + 2 + 1 floats (loads read
// up to 8 columns past n).
TEXT ·dwPlane8x2(SB), NOSPLIT, $0-76
	MOVQ y+0(FP), DI
	MOVQ base+8(FP), SI
	MOVQ offs+16(FP), R13
	MOVQ w+24(FP), DX
	MOVQ taps+32(FP), R8
	MOVQ n+40(FP), R9
	MOVQ inStride+56(FP), CX
	SHLQ $2, CX
	MOVQ outStride+64(FP), R14
	SHLQ $2, R14
	VBROADCASTSS bias+72(FP), Y15
	MOVQ R8, R12
	ANDQ $-4, R12 // taps in groups of 4
	CMPQ rows+48(FP), $2
	JLT  p82done

p82row:
	LEAQ (SI)(CX*1), R15 // input of the second row
	XORQ R10, R10

p82loop:
	CMPQ R10, R9
	JGE  p82rowend
	VMOVAPS Y15, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VMOVAPS Y15, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	XORQ BX, BX
	TESTQ R12, R12
	JZ   p82rest

p82x4:
	MOVQ (R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS (DX)(BX*4), Y8
	VFMADD231PS (SI)(AX*4), Y8, Y0
	VFMADD231PS (R15)(AX*4), Y8, Y4
	MOVQ 8(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 4(DX)(BX*4), Y9
	VFMADD231PS (SI)(AX*4), Y9, Y1
	VFMADD231PS (R15)(AX*4), Y9, Y5
	MOVQ 16(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 8(DX)(BX*4), Y10
	VFMADD231PS (SI)(AX*4), Y10, Y2
	VFMADD231PS (R15)(AX*4), Y10, Y6
	MOVQ 24(R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS 12(DX)(BX*4), Y11
	VFMADD231PS (SI)(AX*4), Y11, Y3
	VFMADD231PS (R15)(AX*4), Y11, Y7
	ADDQ $4, BX
	CMPQ BX, R12
	JLT  p82x4

p82rest:
	CMPQ BX, R8
	JGE  p82sum
	MOVQ (R13)(BX*8), AX
	ADDQ R10, AX
	VBROADCASTSS (DX)(BX*4), Y8
	VFMADD231PS (SI)(AX*4), Y8, Y0
	VFMADD231PS (R15)(AX*4), Y8, Y4
	INCQ BX
	JMP  p82rest

p82sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y3, Y2, Y2
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	LEAQ (DI)(R10*4), AX  // first output row
	LEAQ (AX)(R14*1), BX  // second output row
	LEAQ 8(R10), R11
	CMPQ R11, R9
	JGT  p82tail
	VMOVUPS Y0, (AX)
	VMOVUPS Y4, (BX)
	MOVQ R11, R10
	JMP  p82loop

p82tail:
	// R11 = n - j in [1, 7] floats of Y0 to AX and of Y4 to BX, as 4 + 2 + 1.
	MOVQ R9, R11
	SUBQ R10, R11
	CMPQ R11, $4
	JLT  p82tail2
	VMOVUPS      X0, (AX)
	VMOVUPS      X4, (BX)
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y4, X4
	ADDQ         $16, AX
	ADDQ         $16, BX
	SUBQ         $4, R11

p82tail2:
	CMPQ R11, $2
	JLT  p82tail1
	VMOVSD   X0, (AX)
	VMOVSD   X4, (BX)
	VMOVHLPS X0, X0, X0
	VMOVHLPS X4, X4, X4
	ADDQ     $8, AX
	ADDQ     $8, BX
	SUBQ     $2, R11

p82tail1:
	TESTQ R11, R11
	JZ    p82rowend
	VMOVSS X0, (AX)
	VMOVSS X4, (BX)

p82rowend:
	LEAQ (SI)(CX*2), SI
	LEAQ (DI)(R14*2), DI
	SUBQ $2, rows+48(FP)
	CMPQ rows+48(FP), $2
	JGE  p82row

p82done:
	VZEROUPPER
	RET
