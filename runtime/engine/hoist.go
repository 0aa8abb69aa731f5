package engine

import (
	"sort"

	"github.com/mconv/mconv/ir"
)

// maxHoist bounds the number of nodes residualProducers moves ahead of a
// Conv/Gemm/MatMul step (a residual branch is a few nodes: a BN, or a
// strided conv and its BN).
const maxHoist = 16

// residualProducers makes epilogue fusion independent of the order of a
// residual Add's operands and of the order of the branches in the node
// list. Pattern: n is a Conv, Gemm or MatMul (standard domain) whose output
// flows through a chain of single-use nodes (the epilogue candidates:
// BatchNormalization, activations, per-channel affine ops, Add); some Add
// of that chain reads, as its other operand, a value o not computed yet
// (its producer comes later in the node list, e.g. a RepVGG training-form
// block listing the 3x3 branch before the 1x1 and identity branches).
// Preconditions: the not-yet-planned nodes that o depends on are at most
// maxHoist, none of them is n or a chain node (so o does not depend on
// n), and none owns subgraphs (which may read outer values implicitly).
// Result: those nodes, in their original (topological) order, to be
// planned before n, so that fuseEpilogue finds o computed and fuses the
// Add. Moving them earlier keeps a valid topological order: each depends
// only on values already computed or on the other nodes returned, which
// precede it in the original order. The arithmetic is unchanged (the same
// nodes compute the same values); only their schedule moves.
func (b *builder) residualProducers(n *ir.Node, pos map[*ir.Node]int) []*ir.Node {
	if n.Domain != "" || (n.OpType != "Conv" && n.OpType != "Gemm" && n.OpType != "MatMul") || len(n.Outputs) == 0 || n.Outputs[0] == nil {
		return nil
	}
	chain := map[*ir.Node]bool{n: true}
	var adds []*ir.Node
	v := n.Outputs[0]
	for steps := 0; steps < 8 && v != nil && !v.IsOutput && len(v.Uses) == 1; steps++ {
		u := v.Uses[0].Node
		if u.Owner != n.Owner || len(u.Outputs) != 1 || u.Outputs[0] == nil || b.consumed[u] {
			break
		}
		chain[u] = true
		if u.Domain == "" && u.OpType == "Add" && len(u.Inputs) == 2 {
			adds = append(adds, u)
		}
		v = u.Outputs[0]
	}
	var hoist []*ir.Node
	seen := map[*ir.Node]bool{}
	for _, a := range adds {
		for _, o := range a.Inputs {
			if o == nil || b.vals[o] != nil || o.Producer == nil || chain[o.Producer] {
				continue
			}
			var more []*ir.Node
			if !b.ancestors(o.Producer, chain, seen, &more, len(hoist)) {
				// Not hoistable: forget what this operand added.
				for _, m := range more {
					delete(seen, m)
				}
				continue
			}
			hoist = append(hoist, more...)
		}
	}
	sort.Slice(hoist, func(i, j int) bool { return pos[hoist[i]] < pos[hoist[j]] })
	return hoist
}

// ancestors adds p and the not-yet-planned nodes it depends on (those not
// in seen) to *out; false when one of them is in chain, owns subgraphs, is
// not in n's graph's planned set, or the total exceeds maxHoist.
func (b *builder) ancestors(p *ir.Node, chain, seen map[*ir.Node]bool, out *[]*ir.Node, have int) bool {
	if seen[p] {
		return true
	}
	if chain[p] || b.consumed[p] || len(p.Subgraphs()) > 0 || have+len(*out) >= maxHoist {
		return false
	}
	seen[p] = true
	*out = append(*out, p)
	for _, in := range p.Inputs {
		if in == nil || b.vals[in] != nil {
			continue
		}
		if in.Producer == nil {
			return false // neither computed nor produced: let planning report it
		}
		if !b.ancestors(in.Producer, chain, seen, out, have) {
			return false
		}
	}
	return true
}
