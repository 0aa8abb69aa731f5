package engine

import (
	"fmt"
	"math"
	"sort"
)

const arenaAlign = 64

// allocate assigns arena offsets to every non-constant root value by
// liveness: a value occupies its slot from the step that writes it (inputs:
// before the first step) to the last step that reads it or any view of it
// (outputs: to the end). Values are placed greedily in step order into the
// smallest gap between live slots that fits (best fit), else at the end.
//
// The arena is counted in b's budget before it is allocated: a value that
// takes the arena over the budget is refused, naming the node that
// computes it.
func (b *builder) allocate(p *Plan) error {
	// A root's storage is live from the first write of it or of any view
	// into it (an in-place Concat's inputs are written before the Concat)
	// to the last read of any of them.
	for _, t := range b.all {
		if t.alias != nil && !t.konst {
			r := t.root()
			r.first = min(r.first, t.first)
			r.last = max(r.last, t.last)
		}
	}
	var roots []*tval
	for _, t := range b.all {
		if t.konst || t.alias != nil || t.allocated || t.seq != nil {
			continue
		}
		t.allocated = true
		roots = append(roots, t)
	}
	for _, t := range p.outputs {
		t.root().last = math.MaxInt
	}
	for _, t := range p.inputs {
		t.first = -1
		if t.last < 0 {
			t.last = -1
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].first < roots[j].first })
	type block struct {
		off, size int64
		t         *tval
	}
	var live []block // sorted by off
	var top int64
	for _, t := range roots {
		k := 0
		// A block is dead for t if its last read is before t's step; reads
		// at t's own step still need the block (inputs of the step).
		for _, bl := range live {
			if bl.t.last < t.first {
				continue
			}
			live[k] = bl
			k++
		}
		live = live[:k]
		if t.n < 0 || t.bytes() < 0 {
			// An op computed a size that overflowed: a bug, reported
			// rather than sliced.
			return fmt.Errorf("internal error: value %q has a negative size %d", t.name, t.n)
		}
		size := (t.bytes() + arenaAlign - 1) / arenaAlign * arenaAlign
		if size == 0 {
			size = arenaAlign
		}
		best, bestGap := int64(-1), int64(math.MaxInt64)
		prev := int64(0)
		for _, bl := range live {
			gap := bl.off - prev
			if gap >= size && gap < bestGap {
				best, bestGap = prev, gap
			}
			prev = max(prev, bl.off+bl.size)
		}
		if best < 0 {
			best = prev
		}
		t.off = best
		if best+size > top {
			top = best + size
			if err := b.budget.Fits(top); err != nil {
				if n := t.producedBy; n != nil {
					return fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
				}
				return fmt.Errorf("value %q: %w", t.name, err)
			}
		}
		nb := block{best, size, t}
		i := sort.Search(len(live), func(i int) bool { return live[i].off >= best })
		live = append(live, block{})
		copy(live[i+1:], live[i:])
		live[i] = nb
	}
	p.peak = top
	arenaBytes, err := b.alloc(top)
	if err != nil {
		return err
	}
	for _, t := range roots {
		t.buf = arenaBytes[t.off : t.off+t.bytes() : t.off+t.bytes()]
	}
	// Views share their root's storage.
	for _, t := range b.all {
		if t.alias != nil {
			t.buf = t.aliasBuf()
		}
	}
	return nil
}
