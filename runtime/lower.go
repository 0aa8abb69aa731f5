package runtime

import (
	"fmt"
	"slices"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime/engine"
)

// lowerPass is one rewrite of the runtime lowering (phase 2 of Compile).
// run applies it wherever it matches in the main graph and returns the
// number of rewrites.
type lowerPass struct {
	name string
	run  func(m *ir.Model) int
}

// lowerings is THE ordered list of runtime lowering passes. Each rewrites a
// linear op and the elementwise nodes that follow it into one fused node of
// the mconv domain (see ir/fused.go) that the engine runs as one step; the
// nodes it absorbs are gone from the graph. After each pass the graph is
// re-sorted topologically (a fused residual Add may read a value computed
// after the linear op in the old order).
var lowerings = []lowerPass{
	{"conv-epilogue", func(m *ir.Model) int { return fuseEpilogues(m, convLinear) }},
	{"gemm-epilogue", func(m *ir.Model) int { return fuseEpilogues(m, gemmLinear) }},
	{"matmul-epilogue", func(m *ir.Model) int { return fuseEpilogues(m, matmulLinear) }},
	{"mean-to-global-pool", meanToGlobalPool},
}

// lower runs the lowering passes in order on m's main graph, calling
// verify after each.
func lower(m *ir.Model, verify func(phase string, m *ir.Model) error) error {
	// Shapes of the values the passes made (best effort: a node whose
	// shape stays unknown is not fused where a shape is needed).
	_ = ir.InferShapes(m)
	for _, p := range lowerings {
		if p.run(m) == 0 {
			continue
		}
		if err := m.Graph.Sort(); err != nil {
			return fmt.Errorf("runtime: lowering %s: %w", p.name, err)
		}
		if err := verify("lowering pass "+p.name, m); err != nil {
			return err
		}
	}
	return nil
}

// meanToGlobalPool rewrites a spatial mean (what the dynamo exporter
// writes for a classifier head's x.mean((2, 3))) into the pooling op that
// computes it, so that no ReduceMean step is left for a global pool.
//
//	before: y = ReduceMean(x, axes = {2, 3} (attribute or constant input), keepdims)
//	after:  y = GlobalAveragePool(x)                   keepdims = 1 (default)
//	        y = Flatten(GlobalAveragePool(x), axis=1)  keepdims = 0
//
// Preconditions: x is a float32 tensor of rank 4 and the axes are constant
// and name exactly the two spatial axes (passes.SpatialMean, the test
// se-fuse applies). Algebra: GlobalAveragePool is the mean over every
// spatial axis with the reduced axes kept as 1; Flatten(axis=1) of
// [N,C,1,1] is [N,C], ReduceMean's keepdims=0 result. Flatten is a view in
// the engine, so either form is one step.
func meanToGlobalPool(m *ir.Model) int {
	g := m.Graph
	n := 0
	for _, r := range slices.Clone(g.Nodes) {
		if r.Domain != "" || r.OpType != "ReduceMean" || len(r.Outputs) != 1 || r.Outputs[0] == nil ||
			len(r.Inputs) == 0 || !isFloat32(r.Inputs[0]) || !passes.SpatialMean(r) {
			continue
		}
		x, y := r.Inputs[0], r.Outputs[0]
		if !x.Type.HasShape || len(x.Type.Shape) != 4 {
			continue
		}
		name := y.Name
		out := g.InsertNodeBefore(r, "GlobalAveragePool", r.Name, []*ir.Value{x}, g.UniqueName(name+"_pool")).Outputs[0]
		if r.AttrInt("keepdims", 1) == 0 {
			f := g.InsertNodeBefore(r, "Flatten", r.Name+"_flatten", []*ir.Value{out}, g.UniqueName(name+"_flat"))
			f.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
			out = f.Outputs[0]
		}
		out.Type = y.Type.Clone()
		y.ReplaceAllUsesWith(out)
		axes := r.Input(1)
		g.RemoveNode(r)
		if axes != nil && axes.IsConst() && axes.Owner == g && len(axes.Uses) == 0 && !axes.IsOutput {
			g.RemoveConst(axes)
		}
		if err := g.Rename(out, name); err != nil {
			panic(fmt.Sprintf("runtime: lowering: renaming %s: %v", out.Name, err)) // name was just freed
		}
		n++
	}
	return n
}

// linearOp describes a linear op a lowering pass fuses an epilogue into.
type linearOp struct {
	op, fused string
	// operands is the number of the op's own inputs (omitted ones padded
	// with nil); the epilogue's extra inputs follow.
	operands int
	// perChannel allows per-channel affine steps (output channel axis 1).
	perChannel bool
}

var (
	convLinear   = linearOp{"Conv", "FusedConv", 3, true}
	gemmLinear   = linearOp{"Gemm", "FusedGemm", 3, false}
	matmulLinear = linearOp{"MatMul", "FusedMatMul", 2, false}
)

// epiStep is one absorbed node: the epilogue step it becomes and the extra
// inputs the step reads.
type epiStep struct {
	node        *ir.Node
	name        string
	alpha, beta float32
	extra       []*ir.Value
}

// fuseEpilogues rewrites every lin.op node of m's main graph that is
// followed by epilogue nodes into one lin.fused node.
//
// Pattern: y0 = op(inputs); y1 = e1(y0, ...); ...; yk = ek(y(k-1), ...),
// each y(i<k) read only by e(i+1) and not a graph output, where each e is
//   - an activation the engine's table has (engine.Activation: Relu, Clip
//     with constant bounds, LeakyRelu, Sigmoid, HardSigmoid, HardSwish,
//     mconv.SiLU, Gelu / mconv.Gelu, Tanh, Elu, ...) reading y at input 0;
//   - (Conv only) inference BatchNormalization with constant parameters
//     reading y at input 0, its other outputs unused;
//   - (Conv only) Mul or Add of y and a float32 constant that broadcasts
//     along the channel axis only ([C,1,..,1], [1,C,1,..,1] or one
//     element), either operand order, or Sub/Div with y first (a layer
//     scale, a lowered BatchNorm);
//   - Add of y and a float32 value r of y's static shape that does not
//     depend on op's output (a residual), either operand order.
//
// Result: yk = fused(inputs, extra...) {op's attributes, epilogue = [e1..ek]}
// (see ir/fused.go), named like op's node, its output keeping yk's name.
//
// Algebra: each step is the same elementwise function of y: BN is
// y*s + t with s = gamma/sqrt(var+eps), t = beta - mean*s (computed in
// float64, rounded to float32 as the engine's BatchNormalization does);
// Mul by k is y*k + 0, Add k is y*1 + k, Sub k is y*1 - k, Div by k is
// y*(1/k) (rounded to float32: within an ulp of the division); the
// residual Add is y + r. Moving the fused node to op's place needs r
// computed before it: r does not depend on op's output, so the graph,
// re-sorted topologically, has an order where it is; the order of the
// Add's operands and of the branches in the node list does not matter.
func fuseEpilogues(m *ir.Model, lin linearOp) int {
	g := m.Graph
	opset := m.Opset("")
	n := 0
	for _, head := range append([]*ir.Node(nil), g.Nodes...) {
		if head.Owner != g || head.Domain != "" || head.OpType != lin.op || len(head.Outputs) != 1 || head.Outputs[0] == nil ||
			len(head.Inputs) < 2 || len(head.Inputs) > lin.operands || !isFloat32(head.Inputs[0]) {
			continue
		}
		y := head.Outputs[0]
		if lin.op == "Conv" && (!y.Type.HasShape || len(y.Type.Shape) < 3 || len(y.Type.Shape) > 4) {
			continue // the engine fuses 1-D and 2-D convolutions
		}
		steps := epilogueChain(g, head, lin, opset)
		if len(steps) == 0 {
			continue
		}
		emitFused(m, head, lin, steps)
		n++
	}
	return n
}

// epilogueChain collects the nodes after head that fuseEpilogues absorbs.
func epilogueChain(g *ir.Graph, head *ir.Node, lin linearOp, opset int64) []epiStep {
	var steps []epiStep
	v := head.Outputs[0]
	for v != nil && !v.IsOutput && len(v.Uses) == 1 && isFloat32(v) {
		u, idx := v.Uses[0].Node, v.Uses[0].Index
		if u.Owner != g || len(u.Outputs) == 0 || u.Outputs[0] == nil || len(u.Subgraphs()) > 0 || !onlyFirstOutput(u) {
			break
		}
		st, ok := epilogueStep(g, head, lin, opset, v, u, idx)
		if !ok {
			break
		}
		steps = append(steps, st)
		v = u.Outputs[0]
	}
	return steps
}

// epilogueStep maps node u, reading y = v at input idx, to an epilogue step.
func epilogueStep(g *ir.Graph, head *ir.Node, lin linearOp, opset int64, v *ir.Value, u *ir.Node, idx int) (epiStep, bool) {
	C := channels(v)
	if u.Domain == "" {
		switch u.OpType {
		case "BatchNormalization":
			if !lin.perChannel || idx != 0 || C <= 0 {
				return epiStep{}, false
			}
			sc, sh, ok := bnAffine(u, C)
			if !ok {
				return epiStep{}, false
			}
			return affineStep(g, head, u, sc, sh), true
		case "Mul", "Add", "Sub", "Div":
			if len(u.Inputs) != 2 {
				return epiStep{}, false
			}
			other := u.Inputs[1-idx]
			if k := channelConst(other, v); lin.perChannel && k != nil && (idx == 0 || u.OpType == "Mul" || u.OpType == "Add") {
				sc, sh := make([]float32, len(k)), make([]float32, len(k))
				for i := range k {
					switch u.OpType {
					case "Mul":
						sc[i] = k[i]
					case "Div":
						sc[i] = 1 / k[i]
					case "Add":
						sc[i], sh[i] = 1, k[i]
					case "Sub":
						sc[i], sh[i] = 1, -k[i]
					}
				}
				return affineStep(g, head, u, sc, sh), true
			}
			if u.OpType == "Add" && other != v && isFloat32(other) && sameStaticShape(other, v) && !dependsOn(other, head) {
				return epiStep{node: u, name: "add", extra: []*ir.Value{other}}, true
			}
			return epiStep{}, false
		}
	}
	if idx != 0 {
		return epiStep{}, false
	}
	name, a, b, ok := engine.Activation(u, opset)
	if !ok {
		return epiStep{}, false
	}
	return epiStep{node: u, name: name, alpha: a, beta: b}, true
}

// affineStep adds scale and shift as constants of g.
func affineStep(g *ir.Graph, head, u *ir.Node, sc, sh []float32) epiStep {
	C := int64(len(sc))
	scale := g.AddConst(g.UniqueName(head.Name+"_epi_scale"), ir.NewFloat32([]int64{C}, sc))
	shift := g.AddConst(g.UniqueName(head.Name+"_epi_shift"), ir.NewFloat32([]int64{C}, sh))
	scale.Const.Name, shift.Const.Name = scale.Name, shift.Name
	return epiStep{node: u, name: "affine", extra: []*ir.Value{scale, shift}}
}

// emitFused replaces head and the nodes of steps with one fused node.
func emitFused(m *ir.Model, head *ir.Node, lin linearOp, steps []epiStep) {
	g := m.Graph
	if m.Opset(ir.FusedDomain) == 0 {
		m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
	}
	ins := append([]*ir.Value(nil), head.Inputs...)
	for len(ins) < lin.operands {
		ins = append(ins, nil)
	}
	names := make([][]byte, len(steps))
	alpha, beta := make([]float32, len(steps)), make([]float32, len(steps))
	for i, s := range steps {
		ins = append(ins, s.extra...)
		names[i], alpha[i], beta[i] = []byte(s.name), s.alpha, s.beta
	}
	last := steps[len(steps)-1].node.Outputs[0]
	f := g.InsertNodeBefore(head, lin.fused, head.Name, ins, g.UniqueName(last.Name+"_fused"))
	f.Domain = ir.FusedDomain
	for _, a := range head.Attrs {
		f.SetAttr(a)
	}
	f.SetAttr(&ir.Attr{Name: "epilogue", Type: ir.AttrStrings, Strings: names})
	f.SetAttr(&ir.Attr{Name: "epilogue_alpha", Type: ir.AttrFloats, Floats: alpha})
	f.SetAttr(&ir.Attr{Name: "epilogue_beta", Type: ir.AttrFloats, Floats: beta})
	out := f.Outputs[0]
	out.Type = last.Type.Clone()
	name := last.Name
	last.ReplaceAllUsesWith(out)
	var dropped []*ir.Value
	for i := len(steps) - 1; i >= 0; i-- {
		dropped = append(dropped, steps[i].node.Inputs...)
		g.RemoveNode(steps[i].node)
	}
	g.RemoveNode(head)
	for _, v := range dropped {
		if v != nil && v.IsConst() && v.Owner == g && len(v.Uses) == 0 && !v.IsOutput {
			g.RemoveConst(v)
		}
	}
	if err := g.Rename(out, name); err != nil {
		panic(fmt.Sprintf("runtime: lowering: renaming %s: %v", out.Name, err)) // name was just freed
	}
}

// onlyFirstOutput reports whether no output of n but the first is read.
func onlyFirstOutput(n *ir.Node) bool {
	for _, o := range n.Outputs[1:] {
		if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
			return false
		}
	}
	return true
}

func isFloat32(v *ir.Value) bool {
	return v != nil && v.Type.Kind == ir.KindTensor && v.Type.DType == ir.Float32
}

// channels is the known size of axis 1 of v (rank >= 2), else 0.
func channels(v *ir.Value) int {
	if !v.Type.HasShape || len(v.Type.Shape) < 2 || !v.Type.Shape[1].Known() {
		return 0
	}
	return int(v.Type.Shape[1].Size)
}

// sameStaticShape reports whether a and b have the same fully known shape.
func sameStaticShape(a, b *ir.Value) bool {
	return a.Type.Static() && b.Type.Static() && slices.Equal(a.Type.Shape.Sizes(), b.Type.Shape.Sizes())
}

// dependsOn reports whether v is computed from an output of node n.
func dependsOn(v *ir.Value, n *ir.Node) bool {
	seen := map[*ir.Node]bool{}
	stack := []*ir.Value{v}
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p := w.Producer
		if p == nil || seen[p] {
			continue
		}
		if p == n {
			return true
		}
		seen[p] = true
		for _, in := range p.Inputs {
			if in != nil {
				stack = append(stack, in)
			}
		}
		if len(p.Subgraphs()) > 0 {
			return true // implicit reads: be conservative
		}
	}
	return false
}

// channelConst returns the per-channel values of k when k is a float32
// constant that broadcasts to y (rank >= 2, channels on axis 1) along the
// channel axis only (passes.ChannelConst: [C,1,..,1], [1,C,1,..,1], or one
// element), else nil.
func channelConst(k, y *ir.Value) []float32 {
	C := channels(y)
	if !k.IsConst() || k.Const.DType != ir.Float32 || C <= 0 {
		return nil
	}
	f, ok := passes.ChannelConst(k, len(y.Type.Shape))
	if !ok || len(f) != 1 && len(f) != C {
		return nil
	}
	out := make([]float32, C)
	for i := range out {
		out[i] = float32(f[min(i, len(f)-1)])
	}
	return out
}

// bnAffine is the per-channel scale and shift, rounded to float32, of an
// inference BatchNormalization with constant parameters of C elements
// (passes.BatchNormAffine: y = x*s + (beta - mean*s), s = gamma/sqrt(var+eps)).
func bnAffine(n *ir.Node, C int) (sc, sh []float32, ok bool) {
	s, t, why := passes.BatchNormAffine(n)
	if why != "" || len(s) != C {
		return nil, nil, false
	}
	sc, sh = make([]float32, C), make([]float32, C)
	for i := range sc {
		sc[i], sh[i] = float32(s[i]), float32(t[i])
	}
	return sc, sh, true
}
