package golden

import (
	"fmt"
	"math/rand"

	"github.com/mconv/mconv/ir"
)

// InputShape is the static shape RandomInputs gives graph input v: its
// dimensions, a symbolic first one set to batch and any other symbolic one
// to 1. ok is false when v is not a tensor of known rank.
func InputShape(v *ir.Value, batch int64) (dims []int64, ok bool) {
	if v.Type.Kind != ir.KindTensor || !v.Type.HasShape {
		return nil, false
	}
	dims = make([]int64, len(v.Type.Shape))
	for i, d := range v.Type.Shape {
		switch {
		case d.Known():
			dims[i] = d.Size
		case i == 0:
			dims[i] = batch
		default:
			dims[i] = 1
		}
	}
	return dims, true
}

// RandomInputs makes seeded inputs for every input in FeedInputs(m.Graph), in
// graph order from one math/rand source seeded with seed: standard normal
// values (rounded to the input's dtype) for floating-point inputs, zeros
// for other types, in the shape InputShape gives with batch.
func RandomInputs(m *ir.Model, seed, batch int64) (map[string]*ir.Tensor, error) {
	r := rand.New(rand.NewSource(seed))
	out := map[string]*ir.Tensor{}
	for _, v := range FeedInputs(m.Graph) {
		dims, ok := InputShape(v, batch)
		if !ok {
			return nil, fmt.Errorf("input %q has no tensor shape", v.Name)
		}
		n := ir.NumElements(dims)
		if n < 0 {
			return nil, fmt.Errorf("input %q: invalid shape %v", v.Name, dims)
		}
		vals := make([]float64, n)
		if v.Type.DType.IsFloat() {
			for i := range vals {
				vals[i] = r.NormFloat64()
			}
		}
		t, err := ir.NewFromFloat64(v.Type.DType, dims, vals)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", v.Name, err)
		}
		t.Name = v.Name
		out[v.Name] = t
	}
	return out, nil
}
