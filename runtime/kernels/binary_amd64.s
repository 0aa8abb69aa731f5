//go:build amd64 && !purego

#include "textflag.h"

// func binVVAVX2(op int, o, a, b *float32, n int)
// o[i] = a[i] op b[i] for i in [0, n), n a multiple of 8; op 0 add, 1
// subtract, 2 multiply, 3 divide (binOp order).
TEXT ·binVVAVX2(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ o+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ   vvdone
	CMPQ AX, $0
	JEQ  vvadd
	CMPQ AX, $1
	JEQ  vvsub
	CMPQ AX, $2
	JEQ  vvmul
	CMPQ AX, $3
	JEQ  vvdiv
	JMP  vvdone

vvadd:
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  vvadd
	JMP  vvdone

vvsub:
	VMOVUPS (SI), Y0
	VSUBPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  vvsub
	JMP  vvdone

vvmul:
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  vvmul
	JMP  vvdone

vvdiv:
	VMOVUPS (SI), Y0
	VDIVPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  vvdiv
	JMP  vvdone

vvdone:
	VZEROUPPER
	RET

// func binVSAVX2(op int, o, a *float32, n int, s float32)
// o[i] = a[i] op s for i in [0, n), n a multiple of 8; op 0 add, 1
// subtract, 2 multiply, 3 divide, 4 s - a[i], 5 s / a[i].
TEXT ·binVSAVX2(SB), NOSPLIT, $0-36
	MOVQ op+0(FP), AX
	MOVQ o+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS s+32(FP), Y15
	SHRQ $3, CX
	JZ   vsdone
	CMPQ AX, $0
	JEQ  vsadd
	CMPQ AX, $1
	JEQ  vssub
	CMPQ AX, $2
	JEQ  vsmul
	CMPQ AX, $3
	JEQ  vsdiv
	CMPQ AX, $4
	JEQ  vsrsub
	CMPQ AX, $5
	JEQ  vsrdiv
	JMP  vsdone

vsadd:
	VMOVUPS (SI), Y0
	VADDPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vsadd
	JMP  vsdone

vssub:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vssub
	JMP  vsdone

vsmul:
	VMOVUPS (SI), Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vsmul
	JMP  vsdone

vsdiv:
	VMOVUPS (SI), Y0
	VDIVPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vsdiv
	JMP  vsdone

vsrsub:
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vsrsub
	JMP  vsdone

vsrdiv:
	VMOVUPS (SI), Y0
	VDIVPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  vsrdiv
	JMP  vsdone

vsdone:
	VZEROUPPER
	RET

// func binRowsVSAVX2(op int, o, a, s *float32, rows, n int)
// For each row r in [0, rows): o[r*n+i] = a[r*n+i] op s[r] for i in
// [0, n), n a positive multiple of 8, rows positive; op as binVSAVX2.
TEXT ·binRowsVSAVX2(SB), NOSPLIT, $0-48
	MOVQ op+0(FP), AX
	MOVQ o+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ s+24(FP), DX
	MOVQ rows+32(FP), R9
	MOVQ n+40(FP), R8
	SHRQ $3, R8
	CMPQ AX, $0
	JEQ  rvsadd
	CMPQ AX, $1
	JEQ  rvssub
	CMPQ AX, $2
	JEQ  rvsmul
	CMPQ AX, $3
	JEQ  rvsdiv
	CMPQ AX, $4
	JEQ  rvsrsub
	CMPQ AX, $5
	JEQ  rvsrdiv
	JMP  rvsdone

rvsadd:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvsaddvec:
	VMOVUPS (SI), Y0
	VADDPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvsaddvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvsadd
	JMP  rvsdone

rvssub:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvssubvec:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvssubvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvssub
	JMP  rvsdone

rvsmul:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvsmulvec:
	VMOVUPS (SI), Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvsmulvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvsmul
	JMP  rvsdone

rvsdiv:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvsdivvec:
	VMOVUPS (SI), Y0
	VDIVPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvsdivvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvsdiv
	JMP  rvsdone

rvsrsub:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvsrsubvec:
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvsrsubvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvsrsub
	JMP  rvsdone

rvsrdiv:
	VBROADCASTSS (DX), Y15
	MOVQ R8, CX
rvsrdivvec:
	VMOVUPS (SI), Y0
	VDIVPS Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  rvsrdivvec
	ADDQ $4, DX
	DECQ R9
	JNZ  rvsrdiv
	JMP  rvsdone

rvsdone:
	VZEROUPPER
	RET
