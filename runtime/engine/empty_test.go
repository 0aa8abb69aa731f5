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
