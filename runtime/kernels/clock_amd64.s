//go:build amd64 && !purego

#include "textflag.h"

// func addChain(n int)
// n iterations of 8 dependent 1-cycle integer adds: 8*n core cycles.
TEXT ·addChain(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	XORQ AX, AX
	TESTQ CX, CX
	JLE  acdone

acloop:
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	ADDQ $1, AX
	DECQ CX
	JNZ  acloop

acdone:
	RET
