package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of Gemm and MatMul to MIL.

// lowerGemm: Y = alpha*A'*B' + beta*C. With constant B this is linear(x=A',
// weight=alpha*B' transposed to [N,K], bias=beta*C); otherwise matmul
// (transpose flags) followed by scaling and add.
func lowerGemm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 2 {
		return fmt.Errorf("A has rank %d, want 2", len(x.shape))
	}
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	base := n.Outputs[0].Name
	if transA {
		x = l.emit1("transpose", base+"_At", []arg{a("x", x), a("perm", l.cInts(base+"_At_perm", 1, 0))}, x.dt, []int64{x.shape[1], x.shape[0]}, false)
	}
	M, K := x.shape[0], x.shape[1]
	bt, bf, err := l.floatsOf(n, 1, "B")
	if err != nil {
		return err
	}
	if len(bt.Dims) != 2 {
		return fmt.Errorf("B has shape %v, want rank 2", bt.Dims)
	}
	var N int64
	w := make([]float32, len(bf))
	if transB { // B is [N, K] already
		N = bt.Dims[0]
		if bt.Dims[1] != K {
			return fmt.Errorf("B %v does not match A's K=%d", bt.Dims, K)
		}
		for i, v := range bf {
			w[i] = alpha * v
		}
	} else { // B is [K, N]
		N = bt.Dims[1]
		if bt.Dims[0] != K {
			return fmt.Errorf("B %v does not match A's K=%d", bt.Dims, K)
		}
		for kk := int64(0); kk < K; kk++ {
			for nn := int64(0); nn < N; nn++ {
				w[nn*K+kk] = alpha * bf[kk*N+nn]
			}
		}
	}
	args := []arg{a("x", x), a("weight", l.cFloats(base+"_weight", []int64{N, K}, w))}
	if n.Input(2) != nil && beta != 0 {
		ct, cf, err := l.floatsOf(n, 2, "C")
		if err != nil {
			return err
		}
		bias := make([]float32, N)
		switch {
		case len(cf) == 1:
			for i := range bias {
				bias[i] = beta * cf[0]
			}
		case len(cf) == int(N) && (len(ct.Dims) == 1 || (len(ct.Dims) == 2 && ct.Dims[0] == 1)):
			for i := range bias {
				bias[i] = beta * cf[i]
			}
		default:
			return fmt.Errorf("C of shape %v: only a bias broadcast over rows is supported: %w", ct.Dims, errUnsupported)
		}
		args = append(args, a("bias", l.cFloats(base+"_bias", []int64{N}, bias)))
	}
	l.def(n.Outputs[0], "linear", args, x.dt, []int64{M, N})
	return nil
}

// matmulShape is numpy matmul's output shape for ranks >= 2.
func matmulShape(x, y []int64) ([]int64, error) {
	if len(x) < 2 || len(y) < 2 {
		return nil, fmt.Errorf("MatMul of shapes %v and %v: rank-1 operands are not supported: %w", x, y, errUnsupported)
	}
	if x[len(x)-1] != y[len(y)-2] {
		return nil, fmt.Errorf("MatMul of shapes %v and %v: inner dimensions differ", x, y)
	}
	b, err := ir.BroadcastShape(x[:len(x)-2], y[:len(y)-2])
	if err != nil {
		return nil, err
	}
	return append(b, x[len(x)-2], y[len(y)-1]), nil
}

func lowerMatMul(l *lowerer, n *ir.Node) error {
	x, err := l.in(n, 0)
	if err != nil {
		return err
	}
	y, err := l.in(n, 1)
	if err != nil {
		return err
	}
	s, err := matmulShape(x.shape, y.shape)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "matmul", []arg{a("x", x), a("y", y),
		a("transpose_x", l.cBool(base+"_tx", false)), a("transpose_y", l.cBool(base+"_ty", false))}, x.dt, s)
	return nil
}
