package ir

import (
	"reflect"
	"testing"
)

// cloneFixture builds a small model with an initializer, an old-IR input
// with a default, an attribute tensor, a value used twice by one node and an
// If node whose branches read a value of the outer graph.
func cloneFixture() *Model {
	g := NewGraph("main")
	x := g.AddInput("x", Type{Kind: KindTensor, DType: Float32, Shape: Shape{{Size: -1, Param: "N"}, {Size: 4}}, HasShape: true})
	w := g.AddConst("w", NewFloat32([]int64{4}, []float32{1, 2, 3, 4}))
	def := g.AddConst("d", NewFloat32([]int64{1}, []float32{7}))
	def.IsInput = true
	g.Inputs = append(g.Inputs, def)
	cond := g.AddInput("cond", TensorOf(Bool))
	mul := g.AddNode("Mul", "mul", []*Value{x, w}, "m")
	sq := g.AddNode("Mul", "square", []*Value{mul.Outputs[0], mul.Outputs[0]}, "sq")
	cst := g.AddNode("Constant", "cst", nil, "cst_out")
	cst.SetAttr(&Attr{Name: "value", Type: AttrTensor, T: NewInt64([]int64{2}, []int64{5, 6})})

	then := NewSubgraph(g, "then")
	tn := then.AddNode("Add", "t_add", []*Value{sq.Outputs[0], def}, "t_out")
	then.AddOutput(tn.Outputs[0])
	els := NewSubgraph(g, "else")
	els.AddOutput(sq.Outputs[0]) // a branch returning an outer value directly
	ifn := g.AddNode("If", "if", []*Value{cond}, "y")
	ifn.SetAttr(&Attr{Name: "then_branch", Type: AttrGraph, G: then})
	ifn.SetAttr(&Attr{Name: "else_branch", Type: AttrGraph, G: els})
	g.AddOutput(ifn.Outputs[0])
	g.AddOutput(mul.Outputs[0])
	g.Meta = []KV{{"k", "v"}}
	g.Quant = [][]byte{{1, 2, 3}}
	return &Model{
		IRVersion: 8, ProducerName: "test", Opsets: []OpsetImport{{"", 17}},
		Metadata: []KV{{"a", "b"}}, Graph: g,
		Opaque: map[string][][]byte{"functions": {{9, 9}}},
	}
}

func TestCloneModel(t *testing.T) {
	m := cloneFixture()
	if err := Verify(m); err != nil {
		t.Fatalf("fixture does not verify: %v", err)
	}
	want := Dump(m.Graph)
	c := CloneModel(m)
	if err := Verify(c); err != nil {
		t.Fatalf("clone does not verify: %v", err)
	}
	if got := Dump(c.Graph); got != want {
		t.Fatalf("clone dump differs:\n%s\nwant:\n%s", got, want)
	}
	if c.IRVersion != 8 || c.ProducerName != "test" || !reflect.DeepEqual(c.Opsets, m.Opsets) ||
		!reflect.DeepEqual(c.Metadata, m.Metadata) || !reflect.DeepEqual(c.Opaque, m.Opaque) ||
		!reflect.DeepEqual(c.Graph.Meta, m.Graph.Meta) || !reflect.DeepEqual(c.Graph.Quant, m.Graph.Quant) {
		t.Fatalf("model fields not copied: %+v", c)
	}

	// No pointer is shared between the two models.
	seen := map[any]bool{}
	var collect func(g *Graph)
	collect = func(g *Graph) {
		seen[g] = true
		for _, v := range g.AllValues() {
			seen[v] = true
			if v.Const != nil {
				seen[v.Const] = true
			}
		}
		for _, n := range g.Nodes {
			seen[n] = true
			for _, a := range n.Attrs {
				seen[a] = true
				if a.T != nil {
					seen[a.T] = true
				}
			}
			for _, s := range n.Subgraphs() {
				collect(s)
			}
		}
	}
	collect(m.Graph)
	var check func(g *Graph)
	check = func(g *Graph) {
		if seen[g] {
			t.Errorf("graph %q shared", g.Name)
		}
		for _, v := range g.AllValues() {
			if seen[v] || (v.Const != nil && seen[v.Const]) {
				t.Errorf("value %q shared", v.Name)
			}
			if g.Lookup(v.Name) != v {
				t.Errorf("value %q missing from the clone's name index", v.Name)
			}
		}
		for _, n := range g.Nodes {
			if seen[n] {
				t.Errorf("node %q shared", n.Name)
			}
			for _, in := range n.Inputs {
				if seen[in] {
					t.Errorf("node %q reads a value of the original", n.Name)
				}
			}
			for _, a := range n.Attrs {
				if seen[a] || (a.T != nil && seen[a.T]) {
					t.Errorf("attribute %q of %q shared", a.Name, n.Name)
				}
			}
			for _, s := range n.Subgraphs() {
				if s.Parent != g {
					t.Errorf("subgraph %q has the wrong parent", s.Name)
				}
				check(s)
			}
		}
	}
	check(c.Graph)

	// Use lists keep their order: sq's use in then-branch Add, else output.
	sq := c.Graph.Lookup("m")
	if len(sq.Uses) != 2 || sq.Uses[0].Index != 0 || sq.Uses[1].Index != 1 || sq.Uses[0].Node.Name != "square" {
		t.Errorf("use list of m: %+v", sq.Uses)
	}
	if u := c.Graph.Lookup("sq").Uses; len(u) != 1 || u[0].Node.Name != "t_add" || u[0].Node.Owner.Name != "then" {
		t.Errorf("use list of sq: %+v", u)
	}
	if c.Graph.Nodes[3].Subgraphs()[1].Outputs[0] != c.Graph.Lookup("sq") {
		t.Errorf("else branch output does not map to the cloned outer value")
	}

	// Editing the clone leaves the original alone.
	cw := c.Graph.Lookup("w")
	cw.Const.Raw[0] = 0xff
	c.Graph.Nodes[1].SetAttr(&Attr{Name: "extra", Type: AttrInt, I: 1})
	c.Graph.Nodes[0].SetInput(1, c.Graph.Lookup("x"))
	c.Graph.Lookup("x").Type.Shape[1].Size = 99
	if err := Verify(m); err != nil {
		t.Fatalf("original broken by editing the clone: %v", err)
	}
	if got := Dump(m.Graph); got != want {
		t.Fatalf("original changed by editing the clone:\n%s", got)
	}
	if m.Graph.Lookup("w").Const.Raw[0] == 0xff {
		t.Fatalf("initializer data shared")
	}
	if CloneModel(nil) != nil {
		t.Fatalf("CloneModel(nil) != nil")
	}
}
