package ir

import (
	"sort"
	"strings"
)

// ShapeFuncOps lists the ops that have a shape function (registered with
// RegisterShapeFunc) as [domain, op] pairs, domain "" for ai.onnx, sorted.
// `mconv ops` reads the shape-inference column from it.
func ShapeFuncOps() [][2]string {
	out := make([][2]string, 0, len(shapeFuncs))
	for k := range shapeFuncs {
		d, op, _ := strings.Cut(k, "::")
		out = append(out, [2]string{d, op})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}
