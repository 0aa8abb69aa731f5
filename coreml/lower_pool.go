package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of pooling and reductions to MIL: ReduceMean, ReduceSum,
// ReduceL2, the global pools, AveragePool and MaxPool.

// reduceShape is ir.ReduceAxes' reduced axes in increasing order and
// ir.ReduceShape's output shape.
func reduceShape(shape []int64, axes []int64, keep bool) ([]int64, []int64, error) {
	red, err := ir.ReduceAxes(axes, len(shape))
	if err != nil {
		return nil, nil, err
	}
	var norm []int64
	for i, r := range red {
		if r {
			norm = append(norm, int64(i))
		}
	}
	out, err := ir.ReduceShape(shape, axes, keep)
	return norm, out, err
}

// lowerReduce lowers an ONNX reduction to MIL reduction typ. The axes are
// an input from opset inputSince on (ReduceSum 13, the others 18), an
// attribute before; none means every axis (or, with noop_with_empty_axes,
// the identity).
func lowerReduce(typ string, inputSince int64) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		keep := n.AttrInt("keepdims", 1) != 0
		axes := n.AttrInts("axes", nil)
		if l.opset >= inputSince || n.Input(1) != nil {
			axes = nil
			if n.Input(1) != nil {
				if axes, err = l.intsOf(n, 1, "axes"); err != nil {
					return err
				}
			}
			if len(axes) == 0 && n.AttrInt("noop_with_empty_axes", 0) != 0 {
				return lowerIdentity(l, n)
			}
		}
		norm, s, err := reduceShape(x.shape, axes, keep)
		if err != nil {
			return err
		}
		base := n.Outputs[0].Name
		l.def(n.Outputs[0], typ, []arg{a("x", x), a("axes", l.cInts(base+"_axes", norm...)), a("keep_dims", l.cBool(base+"_keep_dims", keep))}, x.dt, s)
		return nil
	}
}

func lowerGlobalPool(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		if len(x.shape) < 3 {
			return fmt.Errorf("input rank %d, want >= 3", len(x.shape))
		}
		var axes []int64
		for i := 2; i < len(x.shape); i++ {
			axes = append(axes, int64(i))
		}
		_, s, _ := reduceShape(x.shape, axes, true)
		base := n.Outputs[0].Name
		l.def(n.Outputs[0], typ, []arg{a("x", x), a("axes", l.cInts(base+"_axes", axes...)), a("keep_dims", l.cBool(base+"_keep_dims", true))}, x.dt, s)
		return nil
	}
}

// lowerPool: AveragePool/MaxPool (2-D) -> avg_pool/max_pool with explicit
// pads; count_include_pad=0 (ONNX default) is exclude_padding_from_average.
func lowerPool(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		if len(x.shape) != 4 {
			return fmt.Errorf("input rank %d: only 2-D pooling is supported: %w", len(x.shape), errUnsupported)
		}
		if len(n.Outputs) > 1 && n.Outputs[1] != nil {
			return fmt.Errorf("MaxPool indices output: %w", errUnsupported)
		}
		ks := n.AttrInts("kernel_shape", nil)
		if len(ks) != 2 {
			return fmt.Errorf("kernel_shape %v: want 2 values", ks)
		}
		hw := [2]int64{x.shape[2], x.shape[3]}
		g, err := geometry(n, hw, [2]int64{ks[0], ks[1]}, false)
		if err != nil {
			return err
		}
		ceil := n.AttrInt("ceil_mode", 0) != 0
		o, err := g.outSize(hw, ceil)
		if err != nil {
			return err
		}
		base := n.Outputs[0].Name
		args := []arg{a("x", x), a("kernel_sizes", l.cInts(base+"_kernel_sizes", ks[0], ks[1]))}
		args = append(args, l.geomArgs(base, g)...)
		if typ == "avg_pool" {
			args = append(args, a("exclude_padding_from_average", l.cBool(base+"_exclude_pad", n.AttrInt("count_include_pad", 0) == 0)))
		}
		args = append(args, a("ceil_mode", l.cBool(base+"_ceil_mode", ceil)))
		l.def(n.Outputs[0], typ, args, x.dt, []int64{x.shape[0], x.shape[1], o[0], o[1]})
		return nil
	}
}
