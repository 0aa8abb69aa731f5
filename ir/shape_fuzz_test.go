package ir

import (
	"sort"
	"testing"
)

// byteReader hands out fuzz bytes (zeros when exhausted).
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

// small returns a value in [-3, 12] (dimension sizes, axes, ...).
func (r *byteReader) small() int64 { return int64(r.next()%16) - 3 }

func (r *byteReader) ints(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = r.small()
	}
	return out
}

var fuzzAttrNames = []string{"axis", "axes", "perm", "kernel_shape", "strides", "pads", "dilations",
	"group", "keepdims", "to", "split", "num_outputs", "allowzero", "transA", "transB", "auto_pad",
	"ceil_mode", "blocksize", "start", "end", "k", "value", "noop_with_empty_axes", "batch_dims",
	"hidden_size", "layout", "direction", "equation", "output_shape", "output_padding", "scales",
	"shape", "value_ints", "value_int", "then_branch", "dtype", "output_dtype", "keep_aspect_ratio_policy"}

func registeredOps() []string {
	var ops []string
	for k := range shapeFuncs {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	return ops
}

// buildFuzzModel turns bytes into a small graph: a few graph inputs of
// random dtype and shape (some symbolic), constants, Shape nodes feeding
// the op under test, random attributes, and the op itself.
func buildFuzzModel(data []byte) *Model {
	r := &byteReader{b: data}
	ops := registeredOps()
	key := ops[int(r.next())%len(ops)]
	domain, op := "", key
	for i := 0; i+1 < len(key); i++ {
		if key[i] == ':' && key[i+1] == ':' {
			domain, op = key[:i], key[i+2:]
			break
		}
	}
	g := NewGraph("fuzz")
	dtypes := []DType{Float32, Int64, Bool, Float16, Int32, Uint8}
	nin := int(r.next() % 6)
	var ins []*Value
	for i := range nin {
		switch r.next() % 5 {
		case 0:
			ins = append(ins, nil)
		case 1:
			vals := r.ints(int(r.next() % 5))
			ins = append(ins, g.AddConst("", NewInt64([]int64{int64(len(vals))}, vals)))
		case 2:
			ins = append(ins, g.AddConst("", NewFloat32(nil, []float32{float32(r.small()) / 2})))
		case 3:
			if len(ins) > 0 && ins[0] != nil {
				ins = append(ins, g.AddNode("Shape", "", []*Value{ins[0]}, g.UniqueName("s")).Outputs[0])
			} else {
				ins = append(ins, nil)
			}
		default:
			rank := int(r.next() % 6)
			t := Type{Kind: KindTensor, DType: dtypes[int(r.next())%len(dtypes)], HasShape: r.next()%8 != 0, Shape: Shape{}}
			for range rank {
				d := r.small()
				if d < 0 {
					t.Shape = append(t.Shape, Dim{Size: -1, Param: []string{"", "N", "M"}[-d-1]})
				} else {
					t.Shape = append(t.Shape, Dim{Size: d})
				}
			}
			if !t.HasShape {
				t.Shape = nil
			}
			ins = append(ins, g.AddInput(g.UniqueName("x"+string(rune('0'+i))), t))
		}
	}
	nout := 1 + int(r.next()%3)
	var outs []string
	for range nout {
		outs = append(outs, g.UniqueName("y"))
	}
	n := g.AddNode(op, "n", ins, outs...)
	n.Domain = domain
	for range int(r.next() % 5) {
		name := fuzzAttrNames[int(r.next())%len(fuzzAttrNames)]
		var a *Attr
		switch r.next() % 5 {
		case 0:
			a = &Attr{Name: name, Type: AttrInt, I: r.small()}
		case 1:
			a = &Attr{Name: name, Type: AttrInts, Ints: r.ints(int(r.next() % 6))}
		case 2:
			s := []string{"SAME_UPPER", "VALID", "NOTSET", "bidirectional", "ij,jk->ik", "i,i", "not_larger", "bad"}
			a = &Attr{Name: name, Type: AttrString, S: []byte(s[int(r.next())%len(s)])}
		case 3:
			a = &Attr{Name: name, Type: AttrTensor, T: NewInt64([]int64{1}, []int64{r.small()})}
		default:
			a = &Attr{Name: name, Type: AttrFloats, Floats: []float32{float32(r.small()), 2, 0.5}}
		}
		n.SetAttr(a)
	}
	for _, o := range n.Outputs {
		g.AddOutput(o)
	}
	return &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 1 + int64(r.next()%22)}}, Graph: g}
}

// FuzzInferShapes checks that shape inference and Verify never panic on
// arbitrary ops, shapes and attributes, and that inference is repeatable
// (Verify's re-inference agrees).
func FuzzInferShapes(f *testing.F) {
	f.Add([]byte{0, 1, 4, 3, 0, 4, 4, 5, 6, 7})
	f.Add([]byte{10, 2, 4, 4, 0, 4, 4, 4, 5, 4, 3, 0, 1, 2, 3})
	f.Add([]byte{40, 3, 4, 4, 0, 4, 4, 5, 6, 7, 1, 3, 1, 2, 3, 3})
	for i := range 60 {
		f.Add([]byte{byte(i * 3), 3, 4, 4, 1, 4, 4, 4, 4, 1, 3, 3, 2, 2, 1, 1, byte(i), 2, 2})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := buildFuzzModel(data)
		for _, n := range m.Graph.Nodes {
			if checkSchema(m, n) != nil {
				return // arity or attributes the op schema rejects: not a shape question
			}
		}
		if err := InferShapes(m); err != nil {
			return
		}
		if err := Verify(m); err != nil {
			t.Fatalf("Verify after successful inference: %v\n%s", err, Dump(m.Graph))
		}
		_ = CloneModel(m)
	})
}
