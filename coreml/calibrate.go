package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime"
)

// Calibrate runs m once in mconv's Go runtime on inputs (keyed by input
// name) and returns Options.Ranges: by ONNX value name, the largest
// |value| of m's float graph inputs and of every float tensor its nodes
// compute (NaN values are ignored; an infinity counts). It runs m as
// given (opt.Passes is set to "none"), every intermediate kept, so that
// the names are those of the graph the converter lowers; m is not
// modified. opt sets threads and the memory budget.
func Calibrate(m *ir.Model, inputs map[string]*ir.Tensor, opt runtime.Options) (map[string]float32, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	c := ir.CloneModel(m)
	if err := ir.InferShapes(c); err != nil { // the dtypes of the values
		return nil, fmt.Errorf("calibration run: %w", err)
	}
	g := c.Graph
	for _, n := range g.Nodes {
		if n.OpType == "Constant" && n.Domain == "" {
			continue
		}
		for _, v := range n.Outputs {
			if v != nil && !v.IsOutput && v.Type.DType.IsFloat() {
				g.AddOutput(v)
			}
		}
	}
	opt.Passes = []string{"none"}
	if opt.InputShapes == nil {
		opt.InputShapes = map[string][]int64{}
		for name, t := range inputs {
			opt.InputShapes[name] = t.Dims
		}
	}
	p, err := runtime.Compile(c, opt)
	if err != nil {
		return nil, fmt.Errorf("calibration run: %w", err)
	}
	defer p.Close()
	outs, err := p.Run(inputs)
	if err != nil {
		return nil, fmt.Errorf("calibration run: %w", err)
	}
	ranges := map[string]float32{}
	add := func(name string, t *ir.Tensor) error {
		if t == nil || !t.DType.IsFloat() {
			return nil
		}
		f, err := t.Float32s()
		if err != nil {
			return fmt.Errorf("calibration run: value %q: %w", name, err)
		}
		mx := float32(0)
		for _, x := range f {
			if a := float32(math.Abs(float64(x))); a > mx {
				mx = a
			}
		}
		ranges[name] = mx
		return nil
	}
	for name, t := range inputs {
		if err := add(name, t); err != nil {
			return nil, err
		}
	}
	for name, t := range outs {
		if err := add(name, t); err != nil {
			return nil, err
		}
	}
	return ranges, nil
}
