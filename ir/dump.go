package ir

import (
	"fmt"
	"sort"
	"strings"
)

// Dump writes one line per graph input, initializer and node, for golden
// tests and debugging:
//
//	input %x:float32[1,3,8,8]
//	const %w:float32[4,3,3,3]
//	%y:float32[1,4,8,8] = Conv(%x, %w) {kernel_shape=[3,3] pads=[1,1,1,1]}
//
// Attributes are sorted by name; subgraphs are indented.
func Dump(g *Graph) string {
	var b strings.Builder
	dumpGraph(&b, g, "")
	return b.String()
}

func dumpGraph(b *strings.Builder, g *Graph, indent string) {
	for _, v := range g.Inputs {
		fmt.Fprintf(b, "%sinput %s\n", indent, v)
	}
	for _, v := range g.Initializers {
		if !v.IsInput {
			fmt.Fprintf(b, "%sconst %s\n", indent, v)
		}
	}
	for _, n := range g.Nodes {
		var outs, ins []string
		for _, o := range n.Outputs {
			if o == nil {
				outs = append(outs, "_")
			} else {
				outs = append(outs, o.String())
			}
		}
		for _, in := range n.Inputs {
			if in == nil {
				ins = append(ins, "_")
			} else {
				ins = append(ins, "%"+in.Name)
			}
		}
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + "." + op
		}
		fmt.Fprintf(b, "%s%s = %s(%s)%s\n", indent, strings.Join(outs, ", "), op, strings.Join(ins, ", "), dumpAttrs(n))
		for _, a := range n.Attrs {
			for _, s := range append(nonNilGraph(a.G), a.Graphs...) {
				fmt.Fprintf(b, "%s  %s: graph %q {\n", indent, a.Name, s.Name)
				dumpGraph(b, s, indent+"    ")
				fmt.Fprintf(b, "%s  }\n", indent)
			}
		}
	}
	var outs []string
	for _, o := range g.Outputs {
		outs = append(outs, "%"+o.Name)
	}
	fmt.Fprintf(b, "%sreturn %s\n", indent, strings.Join(outs, ", "))
}

func nonNilGraph(g *Graph) []*Graph {
	if g == nil {
		return nil
	}
	return []*Graph{g}
}

func dumpAttrs(n *Node) string {
	if len(n.Attrs) == 0 {
		return ""
	}
	as := append([]*Attr(nil), n.Attrs...)
	sort.Slice(as, func(i, j int) bool { return as[i].Name < as[j].Name })
	var parts []string
	for _, a := range as {
		parts = append(parts, a.Name+"="+a.ValueString())
	}
	return " {" + strings.Join(parts, " ") + "}"
}

// ValueString renders the attribute's value briefly.
func (a *Attr) ValueString() string {
	switch a.Type {
	case AttrFloat:
		return fmt.Sprint(a.F)
	case AttrInt:
		return fmt.Sprint(a.I)
	case AttrString:
		return fmt.Sprintf("%q", a.S)
	case AttrFloats:
		return fmt.Sprint(a.Floats)
	case AttrInts:
		return fmt.Sprint(a.Ints)
	case AttrStrings:
		ss := make([]string, len(a.Strings))
		for i, s := range a.Strings {
			ss[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(ss, " ") + "]"
	case AttrTensor:
		if a.T != nil {
			return fmt.Sprintf("tensor<%s%v>", a.T.DType, a.T.Dims)
		}
	case AttrGraph:
		return "graph"
	}
	return a.Type.String()
}
