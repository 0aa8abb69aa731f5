package runtime

import (
	"fmt"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/passes"
)

// Lower runs the graph phases of Compile on a clone of m and returns the
// clone: (1) input shapes fixed from opt.InputShapes, opt.ConstInputs bound
// as initializers, and the passes pipeline (passes.Run; every pass unless
// opt.Passes selects);
// (2) the runtime lowering (lowerings). The result is what the engine
// plans, one node per step. m is not modified. With opt.CheckPhases,
// ir.Verify runs after each phase and each lowering pass.
func Lower(m *ir.Model, opt Options) (*ir.Model, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("runtime: model has no graph")
	}
	// The phases keep the IR's invariants; checked when the input has them
	// (a malformed model is reported by the phase that trips on it).
	check := opt.CheckPhases && ir.Verify(m) == nil
	verify := func(phase string, lm *ir.Model) error {
		if !check {
			return nil
		}
		if err := ir.Verify(lm); err != nil {
			return fmt.Errorf("runtime: after %s: %w", phase, err)
		}
		return nil
	}
	lm := ir.CloneModel(m)
	if err := bindInputs(lm, opt); err != nil {
		return nil, err
	}
	// Planning reads the nodes in order: make it topological (ONNX
	// requires it, but exporters have listed Constant nodes late).
	if err := lm.Graph.Sort(); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	if err := verify("binding inputs", lm); err != nil {
		return nil, err
	}
	if _, err := passes.Run(lm, passes.Options{Passes: opt.Passes, CheckEachPass: check}); err != nil {
		return nil, fmt.Errorf("runtime: graph passes: %w", err)
	}
	if err := verify("the graph passes", lm); err != nil {
		return nil, err
	}
	if err := lower(lm, verify); err != nil {
		return nil, err
	}
	return lm, nil
}

// bindInputs fixes the shapes of the inputs opt.InputShapes names (where
// they agree with the model; Compile of runtime/engine reports conflicts)
// and makes the inputs opt.ConstInputs names initializers, so that shape
// inference and constant folding see them.
func bindInputs(m *ir.Model, opt Options) error {
	g := m.Graph
	for name, shape := range opt.InputShapes {
		v := g.Lookup(name)
		if v == nil || !v.IsInput {
			return fmt.Errorf("runtime: InputShapes names %q, which is not a graph input", name)
		}
		if v.Type.Kind != ir.KindTensor || v.Const != nil || (v.Type.HasShape && !fits(v.Type.Shape, shape)) {
			continue
		}
		v.Type.Shape, v.Type.HasShape = ir.S(shape...), true
	}
	for name, t := range opt.ConstInputs {
		v := g.Lookup(name)
		if v == nil || !v.IsInput {
			return fmt.Errorf("runtime: ConstInputs names %q, which is not a graph input", name)
		}
		if v.Type.Kind == ir.KindTensor && v.Type.DType != ir.Undefined && v.Type.DType != t.DType {
			return fmt.Errorf("runtime: ConstInputs[%q] is %s, the input is %s", name, t.DType, v.Type.DType)
		}
		if err := t.Check(); err != nil {
			return fmt.Errorf("runtime: ConstInputs[%q]: %w", name, err)
		}
		c := *t // tensors are immutable: the data is shared
		c.Name = name
		if v.Const == nil {
			g.Initializers = append(g.Initializers, v)
		}
		v.Const = &c
		v.IsInput = false
		v.Type = ir.TensorOf(t.DType, t.Dims...)
		for i, in := range g.Inputs {
			if in == v {
				g.Inputs = append(g.Inputs[:i], g.Inputs[i+1:]...)
				break
			}
		}
	}
	return nil
}

// fits reports whether the static shape s agrees with the model's shape:
// same rank, equal wherever the model's dimension is known.
func fits(model ir.Shape, s []int64) bool {
	if len(model) != len(s) {
		return false
	}
	for i, d := range model {
		if d.Known() && d.Size != s[i] {
			return false
		}
	}
	return true
}
