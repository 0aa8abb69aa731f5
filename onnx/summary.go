package onnx

import (
	"os"

	"github.com/mconv/mconv/ir"
)

// Summary is what `mconv inspect` reports about a model file. The JSON
// keys match tools/reference/inspect_reference.py, the independent Python
// reader that the tests and the crosscheck compare with.
type Summary struct {
	Producer        string           `json:"producer"`
	ProducerVersion string           `json:"producer_version"`
	IRVersion       int64            `json:"ir_version"`
	Opset           map[string]int64 `json:"opset"` // "ai.onnx" for the default domain
	Inputs          []ValueSummary   `json:"inputs"`
	Outputs         []ValueSummary   `json:"outputs"`
	Ops             map[string]int   `json:"ops"` // op type ("domain.Op" outside ai.onnx) -> count, subgraphs included
	Nodes           int              `json:"nodes"`
	// Params counts the elements of all float initializers and of the float
	// tensors of Constant nodes (value, value_float, value_floats,
	// sparse_value); ParamBytes is their storage size.
	Params     int64 `json:"params"`
	ParamBytes int64 `json:"param_bytes"`
	FileSize   int64 `json:"file_size"`
}

// ValueSummary is a graph input or output. Shape holds an int64 for each
// known dimension and a string (the dimension's name, or "?") for others;
// it is nil when the rank is unknown.
type ValueSummary struct {
	Name  string `json:"name"`
	DType any    `json:"dtype"` // string, or nil when the value is not a tensor
	Shape []any  `json:"shape"`
}

// Summarize describes m; fileSize is the size of the file it came from.
// Graph inputs that are initializers (old IR) are not listed as inputs.
func Summarize(m *ir.Model, fileSize int64) *Summary {
	s := &Summary{
		Producer: m.ProducerName, ProducerVersion: m.ProducerVersion, IRVersion: m.IRVersion,
		Opset: map[string]int64{}, Ops: map[string]int{}, FileSize: fileSize,
		Inputs: []ValueSummary{}, Outputs: []ValueSummary{},
	}
	for _, o := range m.Opsets {
		d := o.Domain
		if d == "" {
			d = "ai.onnx"
		}
		s.Opset[d] = o.Version
	}
	for _, v := range m.Graph.Inputs {
		if v.Const == nil {
			s.Inputs = append(s.Inputs, valueSummary(v))
		}
	}
	for _, v := range m.Graph.Outputs {
		s.Outputs = append(s.Outputs, valueSummary(v))
	}
	var bits int64
	addTensor := func(t *ir.Tensor) {
		if t != nil && t.DType.IsFloat() {
			n := t.Len()
			s.Params += n
			bits += n * int64(t.DType.BitSize())
		}
	}
	var walk func(g *ir.Graph)
	walk = func(g *ir.Graph) {
		sparse := map[*ir.Value]*ir.SparseTensor{}
		for _, si := range g.SparseInits {
			sparse[si.Value] = si.Sparse
		}
		for _, v := range g.Initializers {
			if st, ok := sparse[v]; ok {
				addTensor(st.Values) // stored elements, not the dense copy
			} else {
				addTensor(v.Const)
			}
		}
		for _, n := range g.Nodes {
			s.Nodes++
			key := n.OpType
			if n.Domain != "" && n.Domain != "ai.onnx" {
				key = n.Domain + "." + n.OpType
			}
			s.Ops[key]++
			if n.OpType == "Constant" && (n.Domain == "" || n.Domain == "ai.onnx") {
				for _, a := range n.Attrs {
					switch a.Name {
					case "value":
						addTensor(a.T)
					case "value_float":
						s.Params++
						bits += 32
					case "value_floats":
						s.Params += int64(len(a.Floats))
						bits += 32 * int64(len(a.Floats))
					case "sparse_value":
						if a.Sparse != nil {
							addTensor(a.Sparse.Values)
						}
					}
				}
			}
			for _, sg := range n.Subgraphs() {
				walk(sg)
			}
		}
	}
	walk(m.Graph)
	s.ParamBytes = (bits + 7) / 8
	return s
}

func valueSummary(v *ir.Value) ValueSummary {
	vs := ValueSummary{Name: v.Name}
	if v.Type.Kind != ir.KindTensor {
		return vs
	}
	vs.DType = v.Type.DType.String()
	if v.Type.HasShape {
		vs.Shape = []any{}
		for _, d := range v.Type.Shape {
			switch {
			case d.Known():
				vs.Shape = append(vs.Shape, d.Size)
			case d.Param != "":
				vs.Shape = append(vs.Shape, d.Param)
			default:
				vs.Shape = append(vs.Shape, "?")
			}
		}
	}
	return vs
}

// Inspect loads path and summarizes it.
func Inspect(path string) (*Summary, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	return Summarize(m, st.Size()), nil
}
