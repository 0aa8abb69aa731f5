package golden

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestRandomInputs: inputs are deterministic per seed and differ between
// seeds; a symbolic first dimension takes the batch size and other
// symbolic ones 1; floats take both signs, integer inputs are zeros and
// initializers are not fed.
func TestRandomInputs(t *testing.T) {
	g := ir.NewGraph("g")
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Version: 17}}, Graph: g}
	g.AddInput("x", ir.TensorShaped(ir.Float32, ir.Shape{{Size: -1, Param: "N"}, {Size: 3}, {Size: -1}}))
	g.AddInput("k", ir.TensorOf(ir.Int64, 2))
	w := g.AddConst("w", ir.NewFloat32([]int64{1}, []float32{1}))
	w.IsInput = true
	g.Inputs = append(g.Inputs, w)
	in, err := RandomInputs(m, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in["w"] != nil {
		t.Fatalf("fed %d inputs (w: %v), want x and k", len(in), in["w"])
	}
	if !slices.Equal(in["x"].Dims, []int64{2, 3, 1}) {
		t.Errorf("x dims %v, want [2 3 1]", in["x"].Dims)
	}
	if k, _ := in["k"].Int64s(); !slices.Equal(k, []int64{0, 0}) {
		t.Errorf("k = %v, want zeros", k)
	}
	x, _ := in["x"].Float32s()
	neg := 0
	for _, v := range x {
		if v < 0 {
			neg++
		}
	}
	if neg == 0 || neg == len(x) {
		t.Errorf("x = %v: all of one sign", x)
	}
	again, _ := RandomInputs(m, 7, 2)
	if !bytes.Equal(again["x"].Raw, in["x"].Raw) {
		t.Error("same seed, different inputs")
	}
	other, _ := RandomInputs(m, 8, 2)
	if bytes.Equal(other["x"].Raw, in["x"].Raw) {
		t.Error("seeds 7 and 8 give the same inputs")
	}
}
