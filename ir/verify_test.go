package ir

import (
	"strings"
	"testing"
)

// verifyNet builds x[1,3,8,8] -> Conv(w[4,3,3,3], pads 1) -> Relu -> y with
// recorded output types (from the Conv formula by hand: (8+2-3)/1+1 = 8),
// opset 17. It passes Verify.
func verifyNet(t *testing.T) (*Model, map[string]*Node) {
	t.Helper()
	g := NewGraph("net")
	x := g.AddInput("x", TensorOf(Float32, 1, 3, 8, 8))
	w := g.AddConst("w", NewFloat32([]int64{4, 3, 3, 3}, make([]float32, 108)))
	conv := g.AddNode("Conv", "conv", []*Value{x, w}, "c")
	conv.SetAttr(&Attr{Name: "kernel_shape", Type: AttrInts, Ints: []int64{3, 3}})
	conv.SetAttr(&Attr{Name: "pads", Type: AttrInts, Ints: []int64{1, 1, 1, 1}})
	conv.Outputs[0].Type = TensorOf(Float32, 1, 4, 8, 8)
	relu := g.AddNode("Relu", "relu", []*Value{conv.Outputs[0]}, "y")
	relu.Outputs[0].Type = TensorOf(Float32, 1, 4, 8, 8)
	g.AddOutput(relu.Outputs[0])
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{Version: 17}}, Graph: g}
	if err := Verify(m); err != nil {
		t.Fatalf("the valid net fails Verify: %v", err)
	}
	return m, map[string]*Node{"conv": conv, "relu": relu}
}

// TestVerifyFindsBrokenInvariants breaks one invariant at a time behind the
// mutation API's back and checks that Verify names it.
func TestVerifyFindsBrokenInvariants(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(m *Model, n map[string]*Node)
		want   string
	}{
		{"undefined input", func(m *Model, n map[string]*Node) {
			stray := &Value{Name: "stray", Type: TensorOf(Float32, 1, 4, 8, 8)}
			n["relu"].Inputs[0].Uses = nil
			n["relu"].Inputs[0] = stray
			stray.Uses = []Use{{n["relu"], 0}}
		}, `node "relu" (Relu): input 0 "stray" is not defined`},
		{"not topological", func(m *Model, n map[string]*Node) {
			m.Graph.Nodes[0], m.Graph.Nodes[1] = m.Graph.Nodes[1], m.Graph.Nodes[0]
		}, `node "relu" (Relu): input 0 "c" is used before it is produced`},
		{"cycle", func(m *Model, n map[string]*Node) {
			// conv reads relu's output: relu -> conv -> relu.
			n["conv"].SetInput(0, n["relu"].Outputs[0])
		}, `is used before it is produced (order is not topological, or a cycle)`},
		{"use missing from the use list", func(m *Model, n map[string]*Node) {
			n["conv"].Outputs[0].Uses = nil
		}, `node "relu" (Relu): input 0 "c": the value's use list lacks this use`},
		{"use listed twice", func(m *Model, n map[string]*Node) {
			c := n["conv"].Outputs[0]
			c.Uses = append(c.Uses, c.Uses[0])
		}, `value "c": use by node "relu" input 0 is listed twice`},
		{"stale use", func(m *Model, n map[string]*Node) {
			x := m.Graph.Lookup("x")
			x.Uses = append(x.Uses, Use{n["relu"], 0})
		}, `value "x": stale use`},
		{"output not pointing back", func(m *Model, n map[string]*Node) {
			n["conv"].Outputs[0].OutIndex = 3
		}, `node "conv" (Conv): output 0 "c" does not point back at its producer`},
		{"too many inputs", func(m *Model, n map[string]*Node) {
			n["relu"].SetInput(1, m.Graph.Lookup("x"))
		}, `node "relu" (Relu): has 2 inputs, schema allows 1`},
		{"attribute of the wrong type", func(m *Model, n map[string]*Node) {
			n["conv"].SetAttr(&Attr{Name: "group", Type: AttrFloat, F: 1})
		}, `node "conv" (Conv): attribute "group" has type float, want int`},
		{"unknown attribute", func(m *Model, n map[string]*Node) {
			n["relu"].SetAttr(&Attr{Name: "bogus", Type: AttrInt, I: 1})
		}, `node "relu" (Relu): unknown attribute "bogus"`},
		{"recorded shape disagrees with inference", func(m *Model, n map[string]*Node) {
			// 3x3 with pads 1 keeps 8x8; 7x7 is wrong.
			n["conv"].Outputs[0].Type = TensorOf(Float32, 1, 4, 7, 7)
			n["relu"].Outputs[0].Type = TensorOf(Float32, 1, 4, 7, 7)
		}, `node "conv" (Conv): output "c" has shape [1,4,7,7], inference gives [1,4,8,8]`},
		{"recorded dtype disagrees with inference", func(m *Model, n map[string]*Node) {
			n["relu"].Outputs[0].Type = TensorOf(Float16, 1, 4, 8, 8)
		}, `node "relu" (Relu): output "y" has dtype float16, inference gives float32`},
		{"initializer type and data disagree", func(m *Model, n map[string]*Node) {
			m.Graph.Lookup("w").Type = TensorOf(Float32, 4, 3, 1, 1)
		}, `initializer "w": type`},
		{"graph output not defined", func(m *Model, n map[string]*Node) {
			m.Graph.Outputs = append(m.Graph.Outputs, &Value{Name: "ghost", IsOutput: true})
		}, `graph output "ghost" is not defined`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, nodes := verifyNet(t)
			c.break_(m, nodes)
			err := Verify(m)
			if err == nil {
				t.Fatal("Verify passed a broken graph")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Verify said %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestVerifyAfterMutations applies the mutation API (SetInput,
// InsertNodeBefore, ReplaceAllUsesWith, RemoveNode, RemoveConst, Rename)
// and checks that the graph still verifies after each step.
func TestVerifyAfterMutations(t *testing.T) {
	m, n := verifyNet(t)
	g := m.Graph
	step := func(what string) {
		t.Helper()
		if err := Verify(m); err != nil {
			t.Fatalf("after %s: %v", what, err)
		}
	}
	// Insert a Sigmoid between conv and relu.
	c := n["conv"].Outputs[0]
	sig := g.InsertNodeBefore(n["relu"], "Sigmoid", "sig", []*Value{c}, "s")
	sig.Outputs[0].Type = c.Type
	n["relu"].SetInput(0, sig.Outputs[0])
	step("inserting Sigmoid")
	// Bypass it again and remove it.
	sig.Outputs[0].ReplaceAllUsesWith(c)
	g.RemoveNode(sig)
	step("removing Sigmoid")
	// Replace the graph output by conv's output and drop relu.
	y := n["relu"].Outputs[0]
	y.ReplaceAllUsesWith(c)
	g.RemoveNode(n["relu"])
	step("removing Relu")
	if len(g.Outputs) != 1 || g.Outputs[0] != c || !c.IsOutput {
		t.Fatalf("graph output is %v, want %%c", g.Outputs)
	}
	if err := g.Rename(c, "out"); err != nil {
		t.Fatal(err)
	}
	step("renaming")
	// A second initializer that nothing uses can be removed.
	b := g.AddConst("unused", NewFloat32([]int64{4}, make([]float32, 4)))
	step("adding a constant")
	g.RemoveConst(b)
	step("removing a constant")
	if g.Lookup("unused") != nil || len(g.Initializers) != 1 {
		t.Fatalf("RemoveConst left %v", g.Initializers)
	}
}

// TestDumpGolden checks the one-line-per-node dump against text written by
// hand from the format in Dump's doc comment.
func TestDumpGolden(t *testing.T) {
	m, _ := verifyNet(t)
	want := `input %x:float32[1,3,8,8]
const %w:float32[4,3,3,3]
%c:float32[1,4,8,8] = Conv(%x, %w) {kernel_shape=[3 3] pads=[1 1 1 1]}
%y:float32[1,4,8,8] = Relu(%c)
return %y
`
	if got := Dump(m.Graph); got != want {
		t.Fatalf("Dump gave\n%s\nwant\n%s", got, want)
	}
}
