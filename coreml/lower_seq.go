package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of the sequence ops the dynamo exporter emits for torch.chunk /
// torch.split: SplitToSequence and SequenceAt.

// lowerSplitToSequence: SplitToSequence with a constant split (dynamo's
// torch.split/chunk) becomes split; SequenceAt then picks an output.
func lowerSplitToSequence(l *lowerer, n *ir.Node) error {
	x, ax, err := l.x0Axis(n)
	if err != nil {
		return err
	}
	d := x.shape[ax]
	var sizes []int64
	if n.Input(1) == nil {
		if n.AttrInt("keepdims", 1) == 0 {
			return fmt.Errorf("SplitToSequence with keepdims=0: %w", errUnsupported)
		}
		for i := int64(0); i < d; i++ {
			sizes = append(sizes, 1)
		}
	} else {
		t := l.constOf(n, 1)
		if t == nil {
			return fmt.Errorf("split must be a constant: %w", errUnsupported)
		}
		v, err := t.Int64s()
		if err != nil {
			return err
		}
		if len(t.Dims) == 0 {
			if v[0] <= 0 {
				return fmt.Errorf("split size %d", v[0])
			}
			for i := int64(0); i < d; i += v[0] {
				sizes = append(sizes, min(v[0], d-i))
			}
		} else {
			sizes = v
		}
	}
	total := int64(0)
	for _, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("split sizes %v: %w", sizes, errUnsupported)
		}
		total += s
	}
	if total != d {
		return fmt.Errorf("split sizes %v do not sum to %d", sizes, d)
	}
	base := n.Outputs[0].Name
	o := &mop{typ: "split", name: l.uniq(base), in: []arg{a("x", x), a("split_sizes", l.cInts(base+"_sizes", sizes...)), a("axis", l.cInt(base+"_axis", ax))}}
	var seq []*mvar
	for i, sz := range sizes {
		s := append([]int64(nil), x.shape...)
		s[ax] = sz
		name := o.name
		if i > 0 {
			name = l.uniq(base + "_" + itoa(i))
		}
		seq = append(seq, &mvar{name: name, dt: x.dt, shape: s})
	}
	o.out = seq
	o.src = l.cur
	l.ops = append(l.ops, o)
	if l.seqs == nil {
		l.seqs = map[*ir.Value][]*mvar{}
	}
	l.seqs[n.Outputs[0]] = seq
	return nil
}

func lowerSequenceAt(l *lowerer, n *ir.Node) error {
	seq, ok := l.seqs[n.Input(0)]
	if !ok {
		return fmt.Errorf("sequence input is not a split: %w", errUnsupported)
	}
	idx, err := l.intsOf(n, 1, "position")
	if err != nil {
		return err
	}
	if len(idx) != 1 {
		return fmt.Errorf("position has %d elements", len(idx))
	}
	i, err := ir.SequencePosition(idx[0], len(seq))
	if err != nil {
		return err
	}
	x := seq[i]
	if n.Outputs[0].IsOutput {
		l.def(n.Outputs[0], "identity", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	l.vars[n.Outputs[0]] = x
	return nil
}
