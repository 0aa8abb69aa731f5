package engine

import (
	"math"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestErfOp: the Erf op (package kernels' vector erf) against math.Erf on
// [-10, 10]: absolute error below 5e-7.
func TestErfOp(t *testing.T) {
	const n = 200001
	xv := make([]float32, n)
	for i := range xv {
		xv[i] = float32(i-100000) / 10000
	}
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, n))
	g.AddOutput(g.AddNode("Erf", "erf", []*ir.Value{x}, "y").Outputs[0])
	p := mustCompile(t, m, Options{Threads: 2})
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{n}, xv)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out["y"].Float32s()
	worst := 0.0
	for i, v := range xv {
		worst = math.Max(worst, math.Abs(float64(got[i])-math.Erf(float64(v))))
	}
	if worst > 5e-7 {
		t.Fatalf("Erf max abs error %g > 5e-7", worst)
	}
	t.Logf("Erf max abs error %g", worst)
}
