package coreml

import "github.com/mconv/mconv/ir"

// StaticInputShapes returns the static shape conversion gives each fed
// input of m (not a constant or an initializer): given[name] when set,
// else the model's shape with a symbolic dimension 0 made 1. An input
// with another symbolic dimension and no given shape is an error, as in
// conversion. Fixing these shapes on the model (ir.SetInputShapes) before
// mconv's passes lets constant folding evaluate the Shape arithmetic of
// symbolic dimensions too (`to-coreml --fuse`).
func StaticInputShapes(m *ir.Model, given map[string][]int64) (map[string][]int64, error) {
	out := map[string][]int64{}
	if m == nil || m.Graph == nil {
		return out, nil
	}
	for _, v := range m.Graph.Inputs {
		if v.IsConst() || v.Const != nil {
			continue
		}
		s, err := inputShape(v, given)
		if err != nil {
			return nil, err
		}
		out[v.Name] = s
	}
	return out, nil
}
