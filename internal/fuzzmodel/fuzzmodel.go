// Package fuzzmodel makes the models of mconv's fuzz targets (FuzzCompileRun
// in runtime, FuzzPasses in passes, FuzzToCoreML in coreml): a seed model
// chosen by the fuzz bytes, edited structurally by the rest of them (op
// types, wiring, attributes, constant values and shapes, input shapes,
// outputs, opsets), then written to ONNX and read back, so that what the
// targets see is a model a file could hold.
//
// The seed models are the testdata networks, a few ONNX backend node tests
// (testdata/: model and test_data_set_0 inputs, from the ONNX project under
// its LICENSE.onnx; every input but a first float tensor becomes an
// initializer, so shape operands, scales and counts are constants) and hostile models whose single node would make
// 2^36-2^42 bytes.
package fuzzmodel

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// Budget is the memory budget (64 MiB) the fuzz targets compile, fold and
// convert under (runtime.Options.MaxMemory and the like).
const Budget = 64 << 20

// Model is Build followed by InputShapes: the fuzz input's model and the
// static shapes of its fed inputs, ok false when there is nothing to do
// (no model, or an input without shape or over maxElements elements).
func Model(bases []Base, data []byte, maxElements int64) (m *ir.Model, shapes map[string][]int64, ok bool) {
	if m = Build(bases, data); m == nil {
		return nil, nil, false
	}
	if shapes, ok = InputShapes(m, maxElements); !ok {
		return nil, nil, false
	}
	return m, shapes, true
}

// Base is a seed model.
type Base struct {
	Name  string
	Model *ir.Model
}

// testdataNets are networks of the repository's testdata, relative to its
// root.
var testdataNets = []string{
	"testdata/repvgg_mobileone_tiny.onnx",
	"testdata/golden/mnv3_net/torchscript/deploy.onnx",
	"testdata/golden/repvit_block_se/dynamo/model.onnx",
	"testdata/golden/mobileone_se/torchscript/model.onnx",
}

// Bases loads the seed models; root is the repository root (a package's
// tests pass "../.." or "..").
func Bases(root string) ([]Base, error) {
	var out []Base
	for _, p := range testdataNets {
		m, err := onnx.Load(filepath.Join(root, p))
		if err != nil {
			return nil, err
		}
		out = append(out, Base{p, m})
	}
	dir := filepath.Join(root, "internal", "fuzzmodel", "testdata")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m, err := nodeTest(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, Base{e.Name(), m})
	}
	return append(out, hostile()...), nil
}

// Seeds loads the seed models (Bases; root as there) for the fuzz target f
// and adds its seed corpus: each base as is and with a fixed edit.
func Seeds(f *testing.F, root string) []Base {
	bases, err := Bases(root)
	if err != nil {
		f.Fatal(err)
	}
	for i := range bases {
		f.Add([]byte{byte(i)})
		f.Add([]byte{byte(i), 5, 1, 0, 9, 4, 200, 7, 3, 5, 0, 6})
	}
	return bases
}

// nodeTest loads an ONNX node test folder: model.onnx with its
// input_K.pb: a first float input of more than one element stays a graph
// input, with the data's static shape; the other inputs become
// initializers holding the data.
func nodeTest(dir string) (*ir.Model, error) {
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, err
	}
	g := m.Graph
	var keep []*ir.Value
	for k, v := range append([]*ir.Value{}, g.Inputs...) {
		t, err := onnx.ReadTensorFile(filepath.Join(dir, fmt.Sprintf("input_%d.pb", k)))
		if err != nil {
			keep = append(keep, v)
			continue
		}
		if t.DType == ir.Float32 && k == 0 && t.Len() > 1 {
			v.Type = ir.TensorOf(ir.Float32, t.Dims...)
			keep = append(keep, v)
			continue
		}
		t.Name = v.Name
		v.Const, v.IsInput = t, false
		v.Type = ir.TensorOf(t.DType, t.Dims...)
		g.Initializers = append(g.Initializers, v)
	}
	g.Inputs = keep
	return m, nil
}

// hostile are single-node models over any budget: ConstantOfShape of 1 TiB,
// Expand, Tile and Range of 2^36-2^40 bytes.
func hostile() []Base {
	mk := func(name string, build func(g *ir.Graph) *ir.Node) Base {
		g := ir.NewGraph(name)
		m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
		g.AddOutput(build(g).Outputs[0])
		return Base{name, m}
	}
	i64 := func(v ...int64) *ir.Tensor { return ir.NewInt64([]int64{int64(len(v))}, v) }
	return []Base{
		mk("hostile_cos", func(g *ir.Graph) *ir.Node {
			return g.AddNode("ConstantOfShape", "cos", []*ir.Value{g.AddConst("s", i64(1<<28, 1<<10))}, "y")
		}),
		mk("hostile_expand", func(g *ir.Graph) *ir.Node {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 4))
			return g.AddNode("Expand", "ex", []*ir.Value{x, g.AddConst("s", i64(1<<32, 4))}, "y")
		}),
		mk("hostile_tile", func(g *ir.Graph) *ir.Node {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 2, 4))
			return g.AddNode("Tile", "tile", []*ir.Value{x, g.AddConst("r", i64(1<<33, 1))}, "y")
		}),
		mk("hostile_range", func(g *ir.Graph) *ir.Node {
			s := func(n string, v int64) *ir.Value { return g.AddConst(n, ir.NewInt64(nil, []int64{v})) }
			return g.AddNode("Range", "range", []*ir.Value{s("a", 0), s("b", 1<<37), s("c", 1)}, "y")
		}),
	}
}

// mutOps are the op types the mutator swaps in: the mobile-CNN ops, the
// shape ops whose output size is a value, and a few others.
var mutOps = []string{
	"Conv", "Relu", "Add", "Mul", "Sub", "Div", "BatchNormalization", "MaxPool", "AveragePool",
	"GlobalAveragePool", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Concat", "Split",
	"Slice", "Gather", "Squeeze", "Unsqueeze", "Shape", "Cast", "Pad", "Resize", "Softmax",
	"Where", "Expand", "ReduceMean", "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Identity",
	"ConstantOfShape", "Range", "Tile", "ConvTranspose", "Einsum", "CumSum", "OneHot",
	"DepthToSpace", "LayerNormalization", "Upsample", "ReduceSum", "ArgMax", "TopK", "Size",
}

// attrNames are attributes the mutator adds.
var attrNames = []string{"axis", "axes", "perm", "kernel_shape", "pads", "strides", "group",
	"dilations", "keepdims", "to", "alpha", "mode", "auto_pad", "blocksize", "epsilon", "value"}

// reader hands out fuzz bytes (zeros when they run out).
type reader struct{ b []byte }

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) int(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.byte()) % n
}

// i64 is a fuzz integer: mostly small, sometimes a power of two up to
// 2^62, negative or any.
func (r *reader) i64() int64 {
	switch r.int(6) {
	case 0, 1:
		return int64(r.int(8))
	case 2:
		return int64(r.byte())<<8 | int64(r.byte())
	case 3:
		return -int64(r.int(4))
	case 4:
		return int64(1) << r.int(63)
	}
	var buf [8]byte
	for i := range buf {
		buf[i] = r.byte()
	}
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

// values lists the values a node input may be rewired to.
func values(g *ir.Graph) []*ir.Value {
	vs := append(append([]*ir.Value{}, g.Inputs...), g.Initializers...)
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				vs = append(vs, o)
			}
		}
	}
	return vs
}

// Mutate applies the edits the fuzz bytes choose to m's main graph.
func Mutate(m *ir.Model, data []byte) {
	r := &reader{b: data}
	g := m.Graph
	steps := 1 + r.int(6)
	for s := 0; s < steps && len(r.b) > 0; s++ {
		if len(g.Nodes) == 0 {
			return
		}
		n := g.Nodes[r.int(len(g.Nodes))]
		switch r.int(12) {
		case 0:
			n.OpType = mutOps[r.int(len(mutOps))]
		case 1:
			if vs := values(g); len(n.Inputs) > 0 {
				n.SetInput(r.int(len(n.Inputs)), vs[r.int(len(vs))])
			}
		case 2:
			ins := append([]*ir.Value{}, n.Inputs...)
			if len(ins) > 0 && r.int(2) == 0 {
				ins = ins[:len(ins)-1]
			} else {
				vs := values(g)
				ins = append(ins, vs[r.int(len(vs))])
			}
			n.SetInputs(ins)
		case 3:
			if len(n.Attrs) > 0 {
				a := n.Attrs[r.int(len(n.Attrs))]
				switch {
				case len(a.Ints) > 0:
					a.Ints[r.int(len(a.Ints))] = r.i64()
				case a.Type == ir.AttrFloat:
					a.F = float32(r.i64()) / 4
				default:
					a.I = r.i64()
				}
			}
		case 4:
			name := attrNames[r.int(len(attrNames))]
			if r.int(2) == 0 {
				n.SetAttr(&ir.Attr{Name: name, Type: ir.AttrInt, I: r.i64()})
			} else {
				n.SetAttr(&ir.Attr{Name: name, Type: ir.AttrInts, Ints: []int64{r.i64(), r.i64(), r.i64(), r.i64()}[:1+r.int(4)]})
			}
		case 5, 6:
			// An integer constant (a shape, repeats, axes, a count) gets
			// fuzz values.
			if v := pickConst(g, r, true); v != nil {
				vals := make([]int64, 1+r.int(4))
				for i := range vals {
					vals[i] = r.i64()
				}
				dims := []int64{int64(len(vals))}
				if len(vals) == 1 && r.int(2) == 0 {
					dims = nil
				}
				setConst(v, ir.NewInt64(dims, vals))
			}
		case 7:
			// A float constant gets a new small shape.
			if v := pickConst(g, r, false); v != nil {
				dims := make([]int64, r.int(5))
				for i := range dims {
					dims[i] = int64(r.int(9))
				}
				if k := ir.NumElements(dims); k >= 0 && k <= 1<<12 {
					f := make([]float32, k)
					for i := range f {
						f[i] = float32(int8(r.byte())) / 16
					}
					setConst(v, ir.NewFloat32(dims, f))
				}
			}
		case 8:
			if len(g.Inputs) > 0 {
				v := g.Inputs[r.int(len(g.Inputs))]
				if v.Type.HasShape && len(v.Type.Shape) > 0 {
					sh := append(ir.Shape{}, v.Type.Shape...)
					d := r.i64()
					if r.int(2) == 0 {
						d = int64(r.int(70))
					}
					sh[r.int(len(sh))] = ir.Dim{Size: d}
					v.Type.Shape = sh
				}
			}
		case 9:
			if vs := values(g); len(g.Outputs) > 0 {
				g.Outputs[r.int(len(g.Outputs))] = vs[r.int(len(vs))]
			}
		case 10:
			if len(m.Opsets) > 0 {
				m.Opsets[0].Version = int64(6 + r.int(20))
			}
		case 11:
			// A constant changes type (same shape, zeros).
			if v := pickConst(g, r, r.int(2) == 0); v != nil && v.Const.Len() <= 1<<12 {
				dts := []ir.DType{ir.Float32, ir.Int64, ir.Int32, ir.Float16, ir.Bool, ir.Uint8, ir.Float64}
				dt := dts[r.int(len(dts))]
				if b := ir.ByteLen(dt, v.Const.Dims); b >= 0 {
					setConst(v, &ir.Tensor{DType: dt, Dims: v.Const.Dims, Raw: make([]byte, b)})
				}
			}
		}
	}
}

// pickConst picks an initializer (integer ones when ints), or nil.
func pickConst(g *ir.Graph, r *reader, ints bool) *ir.Value {
	var cs []*ir.Value
	for _, v := range g.Initializers {
		if v.Const == nil || v.IsInput {
			continue
		}
		isInt := v.Const.DType == ir.Int64 || v.Const.DType == ir.Int32
		if isInt == ints {
			cs = append(cs, v)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return cs[r.int(len(cs))]
}

func setConst(v *ir.Value, t *ir.Tensor) {
	t.Name = v.Name
	v.Const = t
	v.Type = ir.TensorOf(t.DType, t.Dims...)
}

// Build makes the model of one fuzz input: data[0] picks the base, the
// rest edits a clone of it (Mutate), and the result is encoded as ONNX and
// decoded again. It returns nil when the edited model cannot be written or
// read back (the importer refuses it: nothing for the targets to do).
func Build(bases []Base, data []byte) *ir.Model {
	if len(bases) == 0 || len(data) == 0 {
		return nil
	}
	m := ir.CloneModel(bases[int(data[0])%len(bases)].Model)
	Mutate(m, data[1:])
	if err := m.Graph.Sort(); err != nil {
		return nil
	}
	b, err := encode(m)
	if err != nil {
		return nil
	}
	out, err := onnx.Decode(b, "fuzz.onnx", "")
	if err != nil {
		return nil
	}
	return out
}

// encode is onnx.Encode, a panic on a graph the mutator broke (a dangling
// value, say: the IR's invariants, not a file's) being a refusal.
func encode(m *ir.Model) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encode: %v", r)
		}
	}()
	return onnx.Encode(m)
}

// InputShapes fixes every fed input's shape (symbolic dimensions 1); ok is
// false when an input has no tensor shape or more than maxElements
// elements.
func InputShapes(m *ir.Model, maxElements int64) (shapes map[string][]int64, ok bool) {
	shapes = map[string][]int64{}
	for _, v := range m.Graph.Inputs {
		if v.Const != nil {
			continue
		}
		if !v.Type.IsTensor() || !v.Type.HasShape {
			return nil, false
		}
		s := v.Type.Shape.Sizes()
		for i, d := range s {
			if d < 0 {
				s[i] = 1
			}
		}
		if n := ir.NumElements(s); n < 0 || n > maxElements {
			return nil, false
		}
		shapes[v.Name] = s
	}
	return shapes, true
}

// Inputs makes deterministic inputs of the given shapes and m's input
// types (values in [-2, 2) for floats, small integers otherwise); nil when
// a type has no fixed size.
func Inputs(m *ir.Model, shapes map[string][]int64, seed uint64) map[string]*ir.Tensor {
	names := make([]string, 0, len(shapes))
	for k := range shapes {
		names = append(names, k)
	}
	sort.Strings(names)
	out := map[string]*ir.Tensor{}
	x := seed | 1
	for _, name := range names {
		v := m.Graph.Lookup(name)
		dt := v.Type.DType
		n := ir.NumElements(shapes[name])
		if dt.Size() == 0 || strings.HasPrefix(dt.String(), "string") {
			return nil
		}
		f := make([]float64, n)
		for i := range f {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			f[i] = float64(x>>40)/float64(1<<22) - 2
			if !dt.IsFloat() {
				f[i] = float64(int64(x>>60) % 3)
			}
		}
		t, err := ir.NewFromFloat64(dt, shapes[name], f)
		if err != nil {
			return nil
		}
		t.Name = name
		out[name] = t
	}
	return out
}
