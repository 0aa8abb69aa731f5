package ir

// CloneModel returns a deep copy of m: every graph (subgraphs included),
// node, value, attribute and tensor is copied, so that editing the copy never
// touches m. Node order, value names, the name index, use-list order and
// all round-trip fields (Opaque, metadata, sparse initializers,
// quantization annotations) are preserved. A value of an enclosing graph read
// inside a subgraph maps to the copy of that value.
func CloneModel(m *Model) *Model {
	if m == nil {
		return nil
	}
	c := &Model{
		IRVersion:       m.IRVersion,
		ProducerName:    m.ProducerName,
		ProducerVersion: m.ProducerVersion,
		Domain:          m.Domain,
		ModelVersion:    m.ModelVersion,
		Doc:             m.Doc,
		Opsets:          append([]OpsetImport(nil), m.Opsets...),
		Metadata:        append([]KV(nil), m.Metadata...),
	}
	if m.Opaque != nil {
		c.Opaque = make(map[string][][]byte, len(m.Opaque))
		for k, list := range m.Opaque {
			c.Opaque[k] = cloneBytesList(list)
		}
	}
	if m.Graph != nil {
		cl := &cloner{graphs: map[*Graph]*Graph{}, nodes: map[*Node]*Node{}, values: map[*Value]*Value{}}
		c.Graph = cl.shell(m.Graph, nil)
		cl.fill()
	}
	return c
}

type cloner struct {
	graphs map[*Graph]*Graph
	nodes  map[*Node]*Node
	values map[*Value]*Value
	order  []*Graph // original graphs in creation order
}

// shell copies g's scalar fields, nodes and attributes (recursing into
// subgraphs); values are filled in afterwards by fill, once every node of
// every graph has its copy.
func (c *cloner) shell(g *Graph, parent *Graph) *Graph {
	ng := &Graph{
		Name:    g.Name,
		Doc:     g.Doc,
		Parent:  parent,
		Quant:   cloneBytesList(g.Quant),
		Meta:    append([]KV(nil), g.Meta...),
		counter: g.counter,
		names:   map[string]*Value{},
	}
	c.graphs[g] = ng
	c.order = append(c.order, g)
	ng.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		nn := &Node{
			Name:     n.Name,
			OpType:   n.OpType,
			Domain:   n.Domain,
			Doc:      n.Doc,
			Owner:    ng,
			Overload: n.Overload,
			Meta:     append([]KV(nil), n.Meta...),
		}
		c.nodes[n] = nn
		ng.Nodes[i] = nn
		for _, a := range n.Attrs {
			nn.Attrs = append(nn.Attrs, c.attr(a, ng))
		}
	}
	return ng
}

func (c *cloner) attr(a *Attr, owner *Graph) *Attr {
	if a == nil {
		return nil
	}
	b := &Attr{
		Name:    a.Name,
		Type:    a.Type,
		Doc:     a.Doc,
		RefName: a.RefName,
		F:       a.F,
		I:       a.I,
		S:       cloneBytes(a.S),
		T:       cloneTensor(a.T),
		Sparse:  cloneSparse(a.Sparse),
		TP:      cloneTypePtr(a.TP),
		Floats:  cloneSlice(a.Floats),
		Ints:    cloneSlice(a.Ints),
		Strings: cloneBytesList(a.Strings),
	}
	if a.G != nil {
		b.G = c.shell(a.G, owner)
	}
	for _, t := range a.Tensors {
		b.Tensors = append(b.Tensors, cloneTensor(t))
	}
	for _, g := range a.Graphs {
		var ng *Graph
		if g != nil {
			ng = c.shell(g, owner)
		}
		b.Graphs = append(b.Graphs, ng)
	}
	for _, s := range a.Sparses {
		b.Sparses = append(b.Sparses, cloneSparse(s))
	}
	for _, t := range a.TPs {
		b.TPs = append(b.TPs, cloneTypePtr(t))
	}
	return b
}

// value returns the copy of v, creating it on first use. A value owned by
// no copied graph (only possible in a model that fails Verify) is copied
// with no owner.
func (c *cloner) value(v *Value) *Value {
	if v == nil {
		return nil
	}
	if w, ok := c.values[v]; ok {
		return w
	}
	owner := c.graphs[v.Owner]
	w := &Value{
		Name:     v.Name,
		Type:     v.Type.Clone(),
		Doc:      v.Doc,
		Const:    cloneTensor(v.Const),
		Producer: c.nodes[v.Producer],
		OutIndex: v.OutIndex,
		Owner:    owner,
		IsInput:  v.IsInput,
		IsOutput: v.IsOutput,
		HasInfo:  v.HasInfo,
	}
	c.values[v] = w
	for _, u := range v.Uses {
		if nn, ok := c.nodes[u.Node]; ok {
			w.Uses = append(w.Uses, Use{Node: nn, Index: u.Index})
		}
	}
	return w
}

func (c *cloner) fill() {
	for _, g := range c.order {
		ng := c.graphs[g]
		ng.Inputs = c.valueList(g.Inputs)
		ng.Outputs = c.valueList(g.Outputs)
		ng.Initializers = c.valueList(g.Initializers)
		for _, si := range g.SparseInits {
			if si == nil {
				ng.SparseInits = append(ng.SparseInits, nil)
				continue
			}
			ng.SparseInits = append(ng.SparseInits, &SparseInit{Value: c.value(si.Value), Sparse: cloneSparse(si.Sparse)})
		}
		for i, n := range g.Nodes {
			nn := ng.Nodes[i]
			nn.Inputs = c.valueList(n.Inputs)
			nn.Outputs = c.valueList(n.Outputs)
		}
		for name, v := range g.names {
			ng.names[name] = c.value(v)
		}
	}
}

func (c *cloner) valueList(vs []*Value) []*Value {
	if vs == nil {
		return nil
	}
	out := make([]*Value, len(vs))
	for i, v := range vs {
		out[i] = c.value(v)
	}
	return out
}

func cloneTensor(t *Tensor) *Tensor {
	if t == nil {
		return nil
	}
	c := *t
	c.Dims = cloneSlice(t.Dims)
	c.Raw = cloneBytes(t.Raw)
	c.Strings = cloneBytesList(t.Strings)
	return &c
}

func cloneSparse(s *SparseTensor) *SparseTensor {
	if s == nil {
		return nil
	}
	return &SparseTensor{Values: cloneTensor(s.Values), Indices: cloneTensor(s.Indices), Dims: cloneSlice(s.Dims)}
}

func cloneTypePtr(t *Type) *Type {
	if t == nil {
		return nil
	}
	c := t.Clone()
	if t.Shape == nil {
		c.Shape = nil
	}
	return &c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func cloneBytes(b []byte) []byte { return cloneSlice(b) }

func cloneBytesList(l [][]byte) [][]byte {
	if l == nil {
		return nil
	}
	out := make([][]byte, len(l))
	for i, b := range l {
		out[i] = cloneBytes(b)
	}
	return out
}
