package onnx

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mconv/mconv/ir"
)

// modelDiff compares two models structurally: model fields, the graph dump
// (ops, attributes, value names and types, subgraphs), constant bytes and
// the types of every value including intermediates. It returns "" when they
// are equal, else a description of the first difference.
func modelDiff(a, b *ir.Model) string {
	if a.IRVersion != b.IRVersion || a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion ||
		a.Domain != b.Domain || a.ModelVersion != b.ModelVersion || a.Doc != b.Doc {
		return "model fields differ"
	}
	if fmt.Sprint(a.Opsets) != fmt.Sprint(b.Opsets) {
		return fmt.Sprintf("opsets %v vs %v", a.Opsets, b.Opsets)
	}
	if fmt.Sprint(a.Metadata) != fmt.Sprint(b.Metadata) {
		return "metadata differs"
	}
	if len(a.Opaque) != len(b.Opaque) {
		return "opaque parts differ"
	}
	for k, v := range a.Opaque {
		if len(v) != len(b.Opaque[k]) {
			return "opaque " + k + " differs"
		}
		for i := range v {
			if !bytes.Equal(v[i], b.Opaque[k][i]) {
				return fmt.Sprintf("opaque %s %d differs", k, i)
			}
		}
	}
	return graphDiff(a.Graph, b.Graph)
}

func graphDiff(a, b *ir.Graph) string {
	da, db := ir.Dump(a), ir.Dump(b)
	if da != db {
		la, lb := strings.Split(da, "\n"), strings.Split(db, "\n")
		for i := range la {
			if i >= len(lb) || la[i] != lb[i] {
				other := "<end>"
				if i < len(lb) {
					other = lb[i]
				}
				return fmt.Sprintf("dump line %d: %q vs %q", i+1, la[i], other)
			}
		}
		return "dump differs in length"
	}
	if a.Name != b.Name || a.Doc != b.Doc || fmt.Sprint(a.Meta) != fmt.Sprint(b.Meta) || len(a.Quant) != len(b.Quant) {
		return fmt.Sprintf("graph %q fields differ", a.Name)
	}
	if len(a.SparseInits) != len(b.SparseInits) {
		return fmt.Sprintf("graph %q: %d sparse initializers vs %d", a.Name, len(a.SparseInits), len(b.SparseInits))
	}
	for i, x := range a.SparseInits {
		y := b.SparseInits[i]
		if x.Value.Name != y.Value.Name || fmt.Sprint(x.Sparse.Dims) != fmt.Sprint(y.Sparse.Dims) {
			return fmt.Sprintf("graph %q: sparse initializer %q differs", a.Name, x.Value.Name)
		}
		if d := tensorDiff(x.Sparse.Values, y.Sparse.Values) + tensorDiff(x.Sparse.Indices, y.Sparse.Indices); d != "" {
			return fmt.Sprintf("graph %q: sparse initializer %q: %s", a.Name, x.Value.Name, d)
		}
	}
	for i := range a.Quant {
		if !bytes.Equal(a.Quant[i], b.Quant[i]) {
			return fmt.Sprintf("graph %q: quantization annotation %d differs", a.Name, i)
		}
	}
	va, vb := a.AllValues(), b.AllValues()
	if len(va) != len(vb) {
		return fmt.Sprintf("graph %q: %d values vs %d", a.Name, len(va), len(vb))
	}
	for i := range va {
		x, y := va[i], vb[i]
		if x.Name != y.Name || !x.Type.Equal(y.Type) || x.Doc != y.Doc || x.HasInfo != y.HasInfo ||
			x.IsInput != y.IsInput || x.IsOutput != y.IsOutput {
			return fmt.Sprintf("value %q: %s vs %q: %s (%+v vs %+v)", x.Name, x.Type, y.Name, y.Type, *x, *y)
		}
		if (x.Const == nil) != (y.Const == nil) {
			return fmt.Sprintf("value %q: constant vs not", x.Name)
		}
		if x.Const != nil {
			if d := tensorDiff(x.Const, y.Const); d != "" {
				return fmt.Sprintf("value %q: %s", x.Name, d)
			}
		}
	}
	for i, n := range a.Nodes {
		m := b.Nodes[i]
		if n.Name != m.Name || n.Doc != m.Doc || n.Overload != m.Overload || fmt.Sprint(n.Meta) != fmt.Sprint(m.Meta) {
			return fmt.Sprintf("node %q fields differ", n.Name)
		}
		for k, at := range n.Attrs {
			bt := m.Attrs[k]
			if at.Name != bt.Name || at.Doc != bt.Doc || at.RefName != bt.RefName {
				return fmt.Sprintf("node %q attribute %q differs", n.Name, at.Name)
			}
			if at.T != nil {
				if d := tensorDiff(at.T, bt.T); d != "" {
					return fmt.Sprintf("node %q attribute %q: %s", n.Name, at.Name, d)
				}
			}
			for j := range at.Tensors {
				if d := tensorDiff(at.Tensors[j], bt.Tensors[j]); d != "" {
					return fmt.Sprintf("node %q attribute %q: %s", n.Name, at.Name, d)
				}
			}
			sa, sb := append([]*ir.SparseTensor{at.Sparse}, at.Sparses...), append([]*ir.SparseTensor{bt.Sparse}, bt.Sparses...)
			if len(sa) != len(sb) {
				return fmt.Sprintf("node %q attribute %q: sparse tensors differ", n.Name, at.Name)
			}
			for j := range sa {
				if (sa[j] == nil) != (sb[j] == nil) {
					return fmt.Sprintf("node %q attribute %q: sparse tensor vs none", n.Name, at.Name)
				}
				if sa[j] == nil {
					continue
				}
				if d := tensorDiff(sa[j].Values, sb[j].Values) + tensorDiff(sa[j].Indices, sb[j].Indices); d != "" || fmt.Sprint(sa[j].Dims) != fmt.Sprint(sb[j].Dims) {
					return fmt.Sprintf("node %q attribute %q: sparse %s (dims %v vs %v)", n.Name, at.Name, d, sa[j].Dims, sb[j].Dims)
				}
			}
			ta, tb := append([]*ir.Type{at.TP}, at.TPs...), append([]*ir.Type{bt.TP}, bt.TPs...)
			if len(ta) != len(tb) {
				return fmt.Sprintf("node %q attribute %q: type protos differ", n.Name, at.Name)
			}
			for j := range ta {
				if (ta[j] == nil) != (tb[j] == nil) || ta[j] != nil && !ta[j].Equal(*tb[j]) {
					return fmt.Sprintf("node %q attribute %q: type proto %d differs", n.Name, at.Name, j)
				}
			}
		}
		sa, sb := n.Subgraphs(), m.Subgraphs()
		for j := range sa {
			if d := graphDiff(sa[j], sb[j]); d != "" {
				return d
			}
		}
	}
	return ""
}

func tensorDiff(a, b *ir.Tensor) string {
	if b == nil {
		return "tensor missing"
	}
	if a.DType != b.DType || fmt.Sprint(a.Dims) != fmt.Sprint(b.Dims) || a.Name != b.Name || a.Doc != b.Doc {
		return fmt.Sprintf("tensor %s%v vs %s%v", a.DType, a.Dims, b.DType, b.Dims)
	}
	if !bytes.Equal(a.Raw, b.Raw) {
		return "tensor bytes differ"
	}
	if len(a.Strings) != len(b.Strings) {
		return "tensor strings differ"
	}
	for i := range a.Strings {
		if !bytes.Equal(a.Strings[i], b.Strings[i]) {
			return "tensor strings differ"
		}
	}
	return ""
}
