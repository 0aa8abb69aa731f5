package engine

import (
	"slices"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestEmptyBroadcast: a broadcast binary op whose outer axis is empty
// (batch 0) runs and gives an empty output of the broadcast shape (found
// by FuzzCompileRun: it read element 0 of the empty input).
func TestEmptyBroadcast(t *testing.T) {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 0, 16, 4, 4))
	c := g.AddConst("c", ir.NewFloat32([]int64{16, 1, 1}, make([]float32, 16)))
	n := g.AddNode("Mul", "mul", []*ir.Value{x, c}, "y")
	g.AddOutput(n.Outputs[0])
	p, err := Compile(m, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{0, 16, 4, 4}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if y := out["y"]; !slices.Equal(y.Dims, []int64{0, 16, 4, 4}) || len(y.Raw) != 0 {
		t.Errorf("got %v with %d bytes, want [0 16 4 4] empty", y.Dims, len(y.Raw))
	}
}

// TestEmptySqueezeExcite: the fused SqueezeExcite on an empty batch runs
// (no step computes an empty output; the fast kernel indexed its empty
// work buffers; found by FuzzCompileRun).
func TestEmptySqueezeExcite(t *testing.T) {
	m, g := newModel()
	const C, Cr = 32, 8
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 0, C, 2, 2))
	w := func(name string, dims ...int64) *ir.Value {
		return g.AddConst(name, ir.NewFloat32(dims, make([]float32, ir.NumElements(dims))))
	}
	n := g.AddNode("SqueezeExcite", "se", []*ir.Value{x, w("w1", Cr, C, 1, 1), w("b1", Cr), w("w2", C, Cr, 1, 1), w("b2", C)}, "y")
	n.Domain = ir.FusedDomain
	g.AddOutput(n.Outputs[0])
	m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
	p, err := Compile(m, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{0, C, 2, 2}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if y := out["y"]; !slices.Equal(y.Dims, []int64{0, C, 2, 2}) {
		t.Errorf("got %v, want [0 32 2 2]", y.Dims)
	}
}
