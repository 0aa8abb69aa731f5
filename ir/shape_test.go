package ir

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// ty parses a type written like Type.String: "float32[N,3,224,224]",
// "int64[]" (scalar), "float32[*]" (unknown rank), "?" (unknown); "?" as a
// dimension is an unnamed symbolic one.
func ty(s string) Type {
	if s == "?" {
		return Type{}
	}
	i := strings.IndexByte(s, '[')
	dtName, dims := s[:i], s[i+1:len(s)-1]
	var dt DType
	for d, name := range dtypeNames {
		if name == dtName {
			dt = d
		}
	}
	if dt == Undefined && dtName != "undefined" {
		panic("bad dtype " + dtName)
	}
	if dims == "*" {
		return Type{Kind: KindTensor, DType: dt}
	}
	t := Type{Kind: KindTensor, DType: dt, HasShape: true, Shape: Shape{}}
	if dims == "" {
		return t
	}
	for _, p := range strings.Split(dims, ",") {
		if v, err := strconv.ParseInt(p, 10, 64); err == nil {
			t.Shape = append(t.Shape, Dim{Size: v})
		} else if p == "?" {
			t.Shape = append(t.Shape, Dim{Size: -1})
		} else {
			t.Shape = append(t.Shape, Dim{Size: -1, Param: p})
		}
	}
	return t
}

// arg is a node input: a graph input of a type, a constant, or omitted.
type arg struct {
	t     string  // type of a graph input
	c     *Tensor // constant (initializer)
	empty bool    // omitted optional input
}

func in(t string) arg { return arg{t: t} }
func i64(v ...int64) arg {
	return arg{c: NewInt64([]int64{int64(len(v))}, v)}
}
func i64s(v int64) arg { return arg{c: NewInt64(nil, []int64{v})} }
func f32(v ...float32) arg {
	return arg{c: NewFloat32([]int64{int64(len(v))}, v)}
}
func f32s(v float32) arg { return arg{c: NewFloat32(nil, []float32{v})} }

var none = arg{empty: true}

func aInt(name string, v int64) *Attr { return &Attr{Name: name, Type: AttrInt, I: v} }
func aInts(name string, v ...int64) *Attr {
	return &Attr{Name: name, Type: AttrInts, Ints: v}
}
func aFloats(name string, v ...float32) *Attr {
	return &Attr{Name: name, Type: AttrFloats, Floats: v}
}
func aStr(name, v string) *Attr { return &Attr{Name: name, Type: AttrString, S: []byte(v)} }
func aTensor(name string, t *Tensor) *Attr {
	return &Attr{Name: name, Type: AttrTensor, T: t}
}

// oneNode builds a model with a single node of op over args.
func oneNode(op string, opset int64, args []arg, attrs []*Attr, nout int) (*Model, *Node) {
	g := NewGraph("g")
	var ins []*Value
	for i, a := range args {
		name := fmt.Sprintf("in%d", i)
		switch {
		case a.empty:
			ins = append(ins, nil)
		case a.c != nil:
			ins = append(ins, g.AddConst(name, a.c))
		default:
			ins = append(ins, g.AddInput(name, ty(a.t)))
		}
	}
	var outs []string
	for i := range nout {
		outs = append(outs, fmt.Sprintf("out%d", i))
	}
	n := g.AddNode(op, "n", ins, outs...)
	n.Attrs = attrs
	for _, o := range n.Outputs {
		g.AddOutput(o)
	}
	return &Model{IRVersion: 8, Opsets: []OpsetImport{{"", opset}}, Graph: g}, n
}

type opCase struct {
	name   string
	domain string
	op     string
	opset  int64 // 17 when 0
	args   []arg
	attrs  []*Attr
	want   []string // output types; "?" unknown
	err    string   // error substring, when an error is expected
}

func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opset := c.opset
			if opset == 0 {
				opset = 17
			}
			nout := len(c.want)
			if nout == 0 {
				nout = 1
			}
			m, n := oneNode(c.op, opset, c.args, c.attrs, nout)
			n.Domain = c.domain
			err := InferShapes(m)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				if !strings.Contains(err.Error(), `node "n" (`+c.op+`)`) {
					t.Fatalf("error %q does not name the node", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("InferShapes: %v", err)
			}
			for i, w := range c.want {
				got := n.Outputs[i].Type
				want := ty(w)
				if !got.Equal(want) {
					t.Errorf("output %d: got %s, want %s", i, got, want)
				}
			}
			if err := Verify(m); err != nil {
				t.Errorf("Verify after inference: %v", err)
			}
		})
	}
}

func TestShapeElementwise(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "relu", op: "Relu", args: []arg{in("float32[N,3,8,8]")}, want: []string{"float32[N,3,8,8]"}},
		{name: "relu unknown input", op: "Relu", args: []arg{in("?")}, want: []string{"?"}},
		{name: "cast", op: "Cast", args: []arg{in("float32[2,3]")}, attrs: []*Attr{aInt("to", int64(Int64))}, want: []string{"int64[2,3]"}},
		{name: "castlike", op: "CastLike", args: []arg{in("float32[2,3]"), in("float16[]")}, want: []string{"float16[2,3]"}},
		{name: "clip opset 13 inputs", op: "Clip", opset: 13, args: []arg{in("float32[1,16]"), f32s(0), f32s(6)}, want: []string{"float32[1,16]"}},
		{name: "dropout opset 7 mask", op: "Dropout", opset: 7, args: []arg{in("float32[4,5]")}, want: []string{"float32[4,5]", "float32[4,5]"}},
		{name: "dropout mask", op: "Dropout", args: []arg{in("float32[4,5]")}, want: []string{"float32[4,5]", "bool[4,5]"}},
		{name: "softmax", op: "Softmax", args: []arg{in("float32[2,10]")}, want: []string{"float32[2,10]"}},
		// [8,1,6,1] + [7,1,5] -> [8,7,6,5] (numpy broadcasting docs example)
		{name: "add broadcast", op: "Add", args: []arg{in("float32[8,1,6,1]"), in("float32[7,1,5]")}, want: []string{"float32[8,7,6,5]"}},
		{name: "mul scalar", op: "Mul", args: []arg{in("float32[N,16,4,4]"), f32s(2)}, want: []string{"float32[N,16,4,4]"}},
		{name: "mul per-channel", op: "Mul", args: []arg{in("float32[N,16,4,4]"), in("float32[16,1,1]")}, want: []string{"float32[N,16,4,4]"}},
		{name: "sym vs known", op: "Add", args: []arg{in("float32[N,1]"), in("float32[3,4]")}, want: []string{"float32[3,4]"}},
		{name: "sym vs other sym", op: "Add", args: []arg{in("float32[N]"), in("float32[M]")}, want: []string{"float32[?]"}},
		{name: "broadcast mismatch", op: "Sub", args: []arg{in("float32[2,3]"), in("float32[4]")}, err: "cannot broadcast"},
		{name: "sum variadic", op: "Sum", args: []arg{in("float32[3,1]"), in("float32[1,4]"), in("float32[4]")}, want: []string{"float32[3,4]"}},
		{name: "equal bool", op: "Equal", args: []arg{in("int64[3]"), in("int64[]")}, want: []string{"bool[3]"}},
		{name: "where", op: "Where", args: []arg{in("bool[2,1]"), in("float32[1,3]"), in("float32[]")}, want: []string{"float32[2,3]"}},
		// opset 6 broadcast B into A at axis 1 (legacy): output is A's shape.
		{name: "add legacy axis broadcast", op: "Add", opset: 6, args: []arg{in("float32[2,3,4,5]"), in("float32[3]")},
			attrs: []*Attr{aInt("broadcast", 1), aInt("axis", 1)}, want: []string{"float32[2,3,4,5]"}},
		{name: "prelu legacy per-channel", op: "PRelu", opset: 6, args: []arg{in("float32[2,3,4,5]"), in("float32[3]")}, want: []string{"float32[2,3,4,5]"}},
		{name: "prelu bad slope", op: "PRelu", args: []arg{in("float32[2,3,4,5]"), in("float32[3]")}, err: "slope"},
		{name: "cast to a dtype newer than the IR", op: "Cast", args: []arg{in("float32[2]")}, attrs: []*Attr{aInt("to", 26)}, want: []string{"?"}},
		{name: "prelu", op: "PRelu", args: []arg{in("float32[1,8,4,4]"), in("float32[8,1,1]")}, want: []string{"float32[1,8,4,4]"}},
		{name: "pow", op: "Pow", args: []arg{in("float32[2,3]"), in("int64[]")}, want: []string{"float32[2,3]"}},
		{name: "isnan", op: "IsNaN", args: []arg{in("float32[5]")}, want: []string{"bool[5]"}},
		{name: "fused se", domain: FusedDomain, op: "SqueezeExcite", args: []arg{in("float32[1,32,7,7]"), in("float32[8,32,1,1]"), in("float32[8]"), in("float32[32,8,1,1]"), in("float32[32]")}, want: []string{"float32[1,32,7,7]"}},
	})
}

func TestShapeConvPool(t *testing.T) {
	runOpCases(t, []opCase{
		// (224 + 1 + 1 - 3)/2 + 1 = 112
		{name: "conv stride 2", op: "Conv", args: []arg{in("float32[N,3,224,224]"), in("float32[32,3,3,3]")},
			attrs: []*Attr{aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)}, want: []string{"float32[N,32,112,112]"}},
		// no pads: 224 - 3 + 1 = 222
		{name: "conv defaults", op: "Conv", args: []arg{in("float32[1,3,224,224]"), in("float32[8,3,3,3]"), in("float32[8]")}, want: []string{"float32[1,8,222,222]"}},
		// depthwise: C=32, group 32, W [32,1,3,3]
		{name: "conv depthwise", op: "Conv", args: []arg{in("float32[1,32,56,56]"), in("float32[32,1,3,3]")},
			attrs: []*Attr{aInt("group", 32), aInts("pads", 1, 1, 1, 1)}, want: []string{"float32[1,32,56,56]"}},
		// dilation 2, k 3 -> extent 5: (10 - 5)/1 + 1 = 6
		{name: "conv dilation", op: "Conv", args: []arg{in("float32[1,1,10,10]"), in("float32[1,1,3,3]")},
			attrs: []*Attr{aInts("dilations", 2, 2)}, want: []string{"float32[1,1,6,6]"}},
		// SAME_UPPER: ceil(7/2) = 4; VALID: (7-3)/2+1 = 3
		{name: "conv same upper", op: "Conv", args: []arg{in("float32[1,1,7,7]"), in("float32[2,1,3,3]")},
			attrs: []*Attr{aStr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2)}, want: []string{"float32[1,2,4,4]"}},
		{name: "conv same lower", op: "Conv", args: []arg{in("float32[1,1,7,7]"), in("float32[2,1,3,3]")},
			attrs: []*Attr{aStr("auto_pad", "SAME_LOWER"), aInts("strides", 2, 2)}, want: []string{"float32[1,2,4,4]"}},
		{name: "conv valid", op: "Conv", args: []arg{in("float32[1,1,7,7]"), in("float32[2,1,3,3]")},
			attrs: []*Attr{aStr("auto_pad", "VALID"), aInts("strides", 2, 2)}, want: []string{"float32[1,2,3,3]"}},
		{name: "conv 1d", op: "Conv", args: []arg{in("float32[2,4,10]"), in("float32[6,2,3]")},
			attrs: []*Attr{aInt("group", 2)}, want: []string{"float32[2,6,8]"}},
		{name: "conv channel mismatch", op: "Conv", args: []arg{in("float32[1,3,8,8]"), in("float32[8,4,3,3]")}, err: "channels"},
		{name: "conv group mismatch", op: "Conv", args: []arg{in("float32[1,8,8,8]"), in("float32[8,2,3,3]")}, attrs: []*Attr{aInt("group", 2)}, err: "channels"},
		{name: "conv kernel too big", op: "Conv", args: []arg{in("float32[1,1,2,2]"), in("float32[1,1,3,3]")}, err: "larger than padded input"},
		{name: "conv bias mismatch", op: "Conv", args: []arg{in("float32[1,3,8,8]"), in("float32[8,3,3,3]"), in("float32[4]")}, err: "bias"},
		// ConvTranspose: 2*(4-1) + 0 + (3-1)*1 + 1 - 1 - 1 = 7, channels W[1]*group = 5
		{name: "convtranspose", op: "ConvTranspose", args: []arg{in("float32[1,3,4,4]"), in("float32[3,5,3,3]")},
			attrs: []*Attr{aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)}, want: []string{"float32[1,5,7,7]"}},
		// with output_padding 1: 8
		{name: "convtranspose output_padding", op: "ConvTranspose", args: []arg{in("float32[1,3,4,4]"), in("float32[3,5,3,3]")},
			attrs: []*Attr{aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1), aInts("output_padding", 1, 1)}, want: []string{"float32[1,5,8,8]"}},
		{name: "convtranspose output_shape", op: "ConvTranspose", args: []arg{in("float32[1,3,4,4]"), in("float32[3,2,3,3]")},
			attrs: []*Attr{aInt("group", 1), aInts("strides", 3, 2), aInts("output_shape", 10, 8)}, want: []string{"float32[1,2,10,8]"}},
		// (112 + 2 - 3)/2 + 1 = 56
		{name: "maxpool", op: "MaxPool", args: []arg{in("float32[N,64,112,112]")},
			attrs: []*Attr{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)}, want: []string{"float32[N,64,56,56]"}},
		// floor((5-3)/2)+1 = 2; ceil: ceil((5-3)/2)+1 = 2 too; 6: floor(3/2)+1=2, ceil=3
		{name: "maxpool ceil", op: "MaxPool", args: []arg{in("float32[1,1,6,6]")},
			attrs: []*Attr{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1)}, want: []string{"float32[1,1,3,3]", "int64[1,1,3,3]"}},
		// ONNX test maxpool_2d_ceil_output_size_reduce_by_one: in 2, k 1, s 2, pad 1 end:
		// ceil((2+1-1)/2)+1 = 2, but window 2 would start at 2 >= 2+0 -> 1.
		{name: "maxpool ceil reduce by one", op: "MaxPool", args: []arg{in("float32[1,1,2,2]")},
			attrs: []*Attr{aInts("kernel_shape", 1, 1), aInts("strides", 2, 2), aInts("pads", 0, 0, 1, 1), aInt("ceil_mode", 1)}, want: []string{"float32[1,1,1,1]"}},
		{name: "avgpool same", op: "AveragePool", args: []arg{in("float32[1,2,5,5]")},
			attrs: []*Attr{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aStr("auto_pad", "SAME_UPPER")}, want: []string{"float32[1,2,3,3]"}},
		{name: "pool no kernel", op: "AveragePool", args: []arg{in("float32[1,2,5,5]")}, err: "kernel_shape"},
		{name: "global avg", op: "GlobalAveragePool", args: []arg{in("float32[N,1280,7,7]")}, want: []string{"float32[N,1280,1,1]"}},
		{name: "batchnorm", op: "BatchNormalization", args: []arg{in("float32[N,16,8,8]"), in("float32[16]"), in("float32[16]"), in("float32[16]"), in("float32[16]")}, want: []string{"float32[N,16,8,8]"}},
		{name: "batchnorm mismatch", op: "BatchNormalization", args: []arg{in("float32[1,16,8,8]"), in("float32[8]"), in("float32[16]"), in("float32[16]"), in("float32[16]")}, err: "scale"},
		{name: "layernorm", op: "LayerNormalization", args: []arg{in("float32[2,5,8]"), in("float32[8]")}, want: []string{"float32[2,5,8]", "float32[2,5,1]", "float32[2,5,1]"}},
		{name: "instancenorm", op: "InstanceNormalization", args: []arg{in("float32[2,3,4]"), in("float32[3]"), in("float32[3]")}, want: []string{"float32[2,3,4]"}},
	})
}

func TestShapeMatrix(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "gemm", op: "Gemm", args: []arg{in("float32[N,1280]"), in("float32[1000,1280]"), in("float32[1000]")},
			attrs: []*Attr{aInt("transB", 1)}, want: []string{"float32[N,1000]"}},
		{name: "gemm transA", op: "Gemm", args: []arg{in("float32[4,3]"), in("float32[4,5]")}, attrs: []*Attr{aInt("transA", 1)}, want: []string{"float32[3,5]"}},
		{name: "gemm inner mismatch", op: "Gemm", args: []arg{in("float32[2,3]"), in("float32[4,5]")}, err: "inner dimensions"},
		{name: "gemm bad C", op: "Gemm", args: []arg{in("float32[2,3]"), in("float32[3,5]"), in("float32[4]")}, err: "C"},
		{name: "matmul 2d", op: "MatMul", args: []arg{in("float32[2,3]"), in("float32[3,4]")}, want: []string{"float32[2,4]"}},
		{name: "matmul batch bcast", op: "MatMul", args: []arg{in("float32[N,1,5,3]"), in("float32[7,3,4]")}, want: []string{"float32[N,7,5,4]"}},
		{name: "matmul 1d x 2d", op: "MatMul", args: []arg{in("float32[3]"), in("float32[3,4]")}, want: []string{"float32[4]"}},
		{name: "matmul 2d x 1d", op: "MatMul", args: []arg{in("float32[2,3]"), in("float32[3]")}, want: []string{"float32[2]"}},
		{name: "matmul 1d x 1d", op: "MatMul", args: []arg{in("float32[3]"), in("float32[3]")}, want: []string{"float32[]"}},
		{name: "matmul mismatch", op: "MatMul", args: []arg{in("float32[2,3]"), in("float32[4,5]")}, err: "inner dimensions"},
		{name: "einsum", op: "Einsum", args: []arg{in("float32[2,3,4]"), in("float32[2,4,5]")}, attrs: []*Attr{aStr("equation", "bij,bjk->bik")}, want: []string{"float32[2,3,5]"}},
	})
}

func TestShapeReduce(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "reducemean attr", op: "ReduceMean", args: []arg{in("float32[N,16,7,7]")}, attrs: []*Attr{aInts("axes", 2, 3)}, want: []string{"float32[N,16,1,1]"}},
		{name: "reducemean nokeep", op: "ReduceMean", args: []arg{in("float32[N,16,7,7]")}, attrs: []*Attr{aInts("axes", -1, -2), aInt("keepdims", 0)}, want: []string{"float32[N,16]"}},
		{name: "reducesum input axes", op: "ReduceSum", opset: 13, args: []arg{in("float32[2,3,4]"), i64(1)}, want: []string{"float32[2,1,4]"}},
		{name: "reducesum all", op: "ReduceSum", opset: 13, args: []arg{in("float32[2,3,4]")}, attrs: []*Attr{aInt("keepdims", 0)}, want: []string{"float32[]"}},
		{name: "reducesum noop", op: "ReduceSum", opset: 13, args: []arg{in("float32[2,3,4]")}, attrs: []*Attr{aInt("noop_with_empty_axes", 1)}, want: []string{"float32[2,3,4]"}},
		{name: "reducemax unknown axes", op: "ReduceMax", opset: 18, args: []arg{in("float32[2,3,4]"), in("int64[1]")}, want: []string{"float32[?,?,?]"}},
		{name: "reduce bad axis", op: "ReduceMean", args: []arg{in("float32[2,3]")}, attrs: []*Attr{aInts("axes", 2)}, err: "out of range"},
		{name: "argmax", op: "ArgMax", args: []arg{in("float32[2,10]")}, attrs: []*Attr{aInt("axis", 1), aInt("keepdims", 0)}, want: []string{"int64[2]"}},
	})
}

func TestShapeMovement(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "flatten", op: "Flatten", args: []arg{in("float32[N,1280,1,1]")}, want: []string{"float32[N,1280]"}},
		{name: "flatten axis 0", op: "Flatten", args: []arg{in("float32[2,3,4]")}, attrs: []*Attr{aInt("axis", 0)}, want: []string{"float32[1,24]"}},
		{name: "flatten axis -1", op: "Flatten", args: []arg{in("float32[2,3,4]")}, attrs: []*Attr{aInt("axis", -1)}, want: []string{"float32[6,4]"}},
		{name: "reshape -1 and 0", op: "Reshape", args: []arg{in("float32[2,3,4]"), i64(0, -1)}, want: []string{"float32[2,12]"}},
		{name: "reshape sym batch", op: "Reshape", args: []arg{in("float32[N,64,2,2]"), i64(0, -1)}, want: []string{"float32[N,256]"}},
		// [N,4,8] -> [-1,4,8]: -1 = N*32/32 = N; -> [-1,8]: 4N, not a plain symbol.
		{name: "reshape -1 cancels sym", op: "Reshape", args: []arg{in("float32[N,4,8]"), i64(-1, 4, 8)}, want: []string{"float32[N,4,8]"}},
		{name: "reshape -1 sym times 4", op: "Reshape", args: []arg{in("float32[N,4,8]"), i64(-1, 8)}, want: []string{"float32[?,8]"}},
		{name: "reshape allowzero", op: "Reshape", opset: 14, args: []arg{in("float32[0,3]"), i64(3, 0)}, attrs: []*Attr{aInt("allowzero", 1)}, want: []string{"float32[3,0]"}},
		{name: "reshape bad count", op: "Reshape", args: []arg{in("float32[2,3]"), i64(4, 2)}, err: "cannot reshape"},
		{name: "reshape two -1", op: "Reshape", args: []arg{in("float32[2,3]"), i64(-1, -1)}, err: "more than one -1"},
		{name: "reshape not divisible", op: "Reshape", args: []arg{in("float32[2,3]"), i64(4, -1)}, err: "cannot reshape"},
		{name: "reshape unknown target", op: "Reshape", args: []arg{in("float32[2,3]"), in("int64[2]")}, want: []string{"float32[?,?]"}},
		{name: "reshape opset 1 attr", op: "Reshape", opset: 1, args: []arg{in("float32[2,3]")}, attrs: []*Attr{aInts("shape", 3, 2)}, want: []string{"float32[3,2]"}},
		{name: "transpose", op: "Transpose", args: []arg{in("float32[N,3,4,5]")}, attrs: []*Attr{aInts("perm", 0, 2, 3, 1)}, want: []string{"float32[N,4,5,3]"}},
		{name: "transpose default", op: "Transpose", args: []arg{in("float32[2,3,4]")}, want: []string{"float32[4,3,2]"}},
		{name: "transpose bad perm", op: "Transpose", args: []arg{in("float32[2,3]")}, attrs: []*Attr{aInts("perm", 0, 0)}, err: "permutation"},
		{name: "concat", op: "Concat", args: []arg{in("float32[N,16,8,8]"), in("float32[N,24,8,8]")}, attrs: []*Attr{aInt("axis", 1)}, want: []string{"float32[N,40,8,8]"}},
		{name: "concat opset 1 default axis 1", op: "Concat", opset: 1, args: []arg{in("float32[2,3]"), in("float32[2,5]")}, want: []string{"float32[2,8]"}},
		{name: "concat negative axis", op: "Concat", args: []arg{in("float32[2,3]"), in("float32[2,5]")}, attrs: []*Attr{aInt("axis", -1)}, want: []string{"float32[2,8]"}},
		{name: "concat mismatch", op: "Concat", args: []arg{in("float32[1,16,8,8]"), in("float32[1,24,4,4]")}, attrs: []*Attr{aInt("axis", 1)}, err: "differ"},
		{name: "split equal", op: "Split", opset: 13, args: []arg{in("float32[N,116,28,28]")}, attrs: []*Attr{aInt("axis", 1)}, want: []string{"float32[N,58,28,28]", "float32[N,58,28,28]"}},
		{name: "split attr", op: "Split", opset: 11, args: []arg{in("float32[6,4]")}, attrs: []*Attr{aInts("split", 2, 4)}, want: []string{"float32[2,4]", "float32[4,4]"}},
		{name: "split input", op: "Split", opset: 13, args: []arg{in("float32[6,4]"), i64(1, 3)}, attrs: []*Attr{aInt("axis", 1)}, want: []string{"float32[6,1]", "float32[6,3]"}},
		// num_outputs 3 on 7: chunks of ceil(7/3)=3: 3,3,1
		{name: "split num_outputs", op: "Split", opset: 18, args: []arg{in("float32[7]")}, attrs: []*Attr{aInt("num_outputs", 3)}, want: []string{"float32[3]", "float32[3]", "float32[1]"}},
		{name: "split bad sum", op: "Split", opset: 13, args: []arg{in("float32[6,4]"), i64(1, 2)}, want: []string{"?", "?"}, err: "sums to"},
		{name: "gather scalar index", op: "Gather", args: []arg{in("float32[5,4,3]"), i64s(1)}, attrs: []*Attr{aInt("axis", 1)}, want: []string{"float32[5,3]"}},
		{name: "gather indices 2d", op: "Gather", args: []arg{in("float32[5,4]"), in("int64[2,3]")}, want: []string{"float32[2,3,4]"}},
		{name: "gatherelements", op: "GatherElements", args: []arg{in("float32[3,3]"), in("int64[2,3]")}, want: []string{"float32[2,3]"}},
		{name: "squeeze attr", op: "Squeeze", opset: 11, args: []arg{in("float32[N,1280,1,1]")}, attrs: []*Attr{aInts("axes", 2, 3)}, want: []string{"float32[N,1280]"}},
		{name: "squeeze input", op: "Squeeze", opset: 13, args: []arg{in("float32[1,3,1,5]"), i64(-2)}, want: []string{"float32[1,3,5]"}},
		{name: "squeeze all", op: "Squeeze", opset: 13, args: []arg{in("float32[1,3,1,5]")}, want: []string{"float32[3,5]"}},
		{name: "squeeze not one", op: "Squeeze", opset: 13, args: []arg{in("float32[2,3]"), i64(0)}, err: "not 1"},
		{name: "unsqueeze attr", op: "Unsqueeze", opset: 11, args: []arg{in("float32[3,4]")}, attrs: []*Attr{aInts("axes", 0, 3)}, want: []string{"float32[1,3,4,1]"}},
		{name: "unsqueeze input neg", op: "Unsqueeze", opset: 13, args: []arg{in("float32[3,4]"), i64(-1)}, want: []string{"float32[3,4,1]"}},
		{name: "unsqueeze scalar", op: "Unsqueeze", opset: 13, args: []arg{in("int64[]"), i64(0)}, want: []string{"int64[1]"}},
		{name: "unsqueeze repeated", op: "Unsqueeze", opset: 13, args: []arg{in("float32[3]"), i64(0, 0)}, err: "repeated"},
		{name: "depthtospace", op: "DepthToSpace", args: []arg{in("float32[1,8,2,3]")}, attrs: []*Attr{aInt("blocksize", 2)}, want: []string{"float32[1,2,4,6]"}},
		{name: "spacetodepth", op: "SpaceToDepth", args: []arg{in("float32[1,2,4,6]")}, attrs: []*Attr{aInt("blocksize", 2)}, want: []string{"float32[1,8,2,3]"}},
		{name: "tile", op: "Tile", args: []arg{in("float32[2,3]"), i64(2, 1)}, want: []string{"float32[4,3]"}},
		{name: "expand", op: "Expand", args: []arg{in("float32[3,1]"), i64(2, 1, 6)}, want: []string{"float32[2,3,6]"}},
		{name: "expand smaller target", op: "Expand", args: []arg{in("float32[3,4]"), i64(1)}, want: []string{"float32[3,4]"}},
		{name: "expand mismatch", op: "Expand", args: []arg{in("float32[3,4]"), i64(5, 4)}, err: "broadcast"},
	})
}

func TestShapeSlicePadResize(t *testing.T) {
	big := int64(1<<63 - 1)
	runOpCases(t, []opCase{
		// starts 1, ends 1000 (clamped to 10), step 2: 1,3,5,7,9 -> 5
		{name: "slice clamp step", op: "Slice", args: []arg{in("float32[10,4]"), i64(1), i64(1000), i64(0), i64(2)}, want: []string{"float32[5,4]"}},
		// negative start -3 on 10 -> 7, end INT64_MAX -> 10: 3
		{name: "slice negative", op: "Slice", args: []arg{in("float32[10]"), i64(-3), i64(big)}, want: []string{"float32[3]"}},
		// step -1 from -1 (9) to INT64_MIN (clamped to -1): reversed, 10
		{name: "slice reverse", op: "Slice", args: []arg{in("float32[10]"), i64(-1), i64(-1 << 63), i64(0), i64(-1)}, want: []string{"float32[10]"}},
		// start 8 end 2 step -2: 8,6,4 -> 3
		{name: "slice negative step", op: "Slice", args: []arg{in("float32[10]"), i64(8), i64(2), none, i64(-2)}, want: []string{"float32[3]"}},
		{name: "slice empty", op: "Slice", args: []arg{in("float32[10]"), i64(5), i64(2)}, want: []string{"float32[0]"}},
		{name: "slice opset 1 attrs", op: "Slice", opset: 1, args: []arg{in("float32[20,10,5]")},
			attrs: []*Attr{aInts("starts", 0, 0), aInts("ends", 3, 10), aInts("axes", 0, 1)}, want: []string{"float32[3,10,5]"}},
		{name: "slice sym whole axis", op: "Slice", args: []arg{in("float32[N,10]"), i64(0, 2), i64(big, 4)}, want: []string{"float32[N,2]"}},
		{name: "slice unknown bounds", op: "Slice", args: []arg{in("float32[4,10]"), in("int64[1]"), in("int64[1]"), i64(1)}, want: []string{"float32[4,?]"}},
		{name: "slice step 0", op: "Slice", args: []arg{in("float32[10]"), i64(0), i64(5), i64(0), i64(0)}, err: "step 0"},
		// begins [0,0,1,2], ends [0,0,3,4]: 4+1+3 = 8, 4+2+4 = 10
		{name: "pad opset 11", op: "Pad", opset: 11, args: []arg{in("float32[1,3,4,4]"), i64(0, 0, 1, 2, 0, 0, 3, 4)}, want: []string{"float32[1,3,8,10]"}},
		{name: "pad opset 1 paddings", op: "Pad", opset: 1, args: []arg{in("float32[3,4]")}, attrs: []*Attr{aInts("paddings", 0, 1, 0, 2)}, want: []string{"float32[3,7]"}},
		{name: "pad opset 2 attr", op: "Pad", opset: 2, args: []arg{in("float32[3,4]")}, attrs: []*Attr{aInts("pads", 1, 0, 1, 0)}, want: []string{"float32[5,4]"}},
		{name: "pad axes", op: "Pad", opset: 18, args: []arg{in("float32[1,3,4,4]"), i64(1, 1, 1, 1), none, i64(2, 3)}, want: []string{"float32[1,3,6,6]"}},
		{name: "pad negative crop", op: "Pad", opset: 13, args: []arg{in("float32[5]"), i64(-1, -2)}, want: []string{"float32[2]"}},
		{name: "pad too negative", op: "Pad", opset: 13, args: []arg{in("float32[2]"), i64(-2, -1)}, err: "negative"},
		{name: "resize scales", op: "Resize", opset: 13, args: []arg{in("float32[1,3,7,7]"), none, f32(1, 1, 2, 2)}, want: []string{"float32[1,3,14,14]"}},
		// floor(7 * 0.5) = 3
		{name: "resize downscale", op: "Resize", opset: 13, args: []arg{in("float32[1,3,7,7]"), none, f32(1, 1, 0.5, 0.5)}, want: []string{"float32[1,3,3,3]"}},
		{name: "resize sizes", op: "Resize", opset: 13, args: []arg{in("float32[1,3,7,7]"), f32(), f32(), i64(1, 3, 20, 30)}, want: []string{"float32[1,3,20,30]"}},
		{name: "resize 10", op: "Resize", opset: 10, args: []arg{in("float32[1,3,4,4]"), f32(1, 1, 2, 2)}, want: []string{"float32[1,3,8,8]"}},
		// not_larger: scales 20/7=2.857, 40/8=5 -> 2.857; round(7*2.857)=20, round(8*2.857)=22.857->23
		{name: "resize keep aspect", op: "Resize", opset: 18, args: []arg{in("float32[1,3,7,8]"), none, none, i64(20, 40)},
			attrs: []*Attr{aInts("axes", 2, 3), aStr("keep_aspect_ratio_policy", "not_larger")}, want: []string{"float32[1,3,20,23]"}},
		{name: "upsample attr", op: "Upsample", opset: 7, args: []arg{in("float32[1,1,2,2]")}, attrs: []*Attr{aFloats("scales", 1, 1, 2, 3)}, want: []string{"float32[1,1,4,6]"}},
		{name: "upsample input", op: "Upsample", opset: 9, args: []arg{in("float32[1,1,2,2]"), f32(1, 1, 2, 2)}, want: []string{"float32[1,1,4,4]"}},
	})
}

func TestShapeGenerators(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "constant", op: "Constant", args: nil, attrs: []*Attr{aTensor("value", NewFloat32([]int64{2, 2}, []float32{1, 2, 3, 4}))}, want: []string{"float32[2,2]"}},
		{name: "constant ints", op: "Constant", args: nil, attrs: []*Attr{aInts("value_ints", 1, 2, 3)}, want: []string{"int64[3]"}},
		{name: "constantofshape", op: "ConstantOfShape", args: []arg{i64(2, 3)}, attrs: []*Attr{aTensor("value", NewInt64([]int64{1}, []int64{7}))}, want: []string{"int64[2,3]"}},
		{name: "constantofshape default", op: "ConstantOfShape", args: []arg{i64(4)}, want: []string{"float32[4]"}},
		{name: "constantofshape unknown", op: "ConstantOfShape", args: []arg{in("int64[3]")}, want: []string{"float32[?,?,?]"}},
		{name: "constantofshape huge", op: "ConstantOfShape", args: []arg{i64(1<<20, 1<<20, 2)}, err: "2^40"},
		// ceil((10-1)/3) = 3: 1,4,7
		{name: "range", op: "Range", args: []arg{i64s(1), i64s(10), i64s(3)}, want: []string{"int64[3]"}},
		{name: "range negative", op: "Range", args: []arg{f32s(10), f32s(4), f32s(-3)}, want: []string{"float32[2]"}},
		{name: "range empty", op: "Range", args: []arg{i64s(5), i64s(1), i64s(1)}, want: []string{"int64[0]"}},
		{name: "range unknown", op: "Range", args: []arg{in("int64[]"), i64s(1), i64s(1)}, want: []string{"int64[?]"}},
		{name: "topk", op: "TopK", args: []arg{in("float32[3,10]"), i64(4)}, want: []string{"float32[3,4]", "int64[3,4]"}},
		{name: "topk attr", op: "TopK", opset: 1, args: []arg{in("float32[3,10]")}, attrs: []*Attr{aInt("k", 2), aInt("axis", 0)}, want: []string{"float32[2,10]", "int64[2,10]"}},
		{name: "topk too big", op: "TopK", args: []arg{in("float32[3,10]"), i64(11)}, want: []string{"?", "?"}, err: "larger than axis"},
		{name: "shape", op: "Shape", args: []arg{in("float32[N,3,4]")}, want: []string{"int64[3]"}},
		{name: "shape start end", op: "Shape", opset: 15, args: []arg{in("float32[N,3,4,5]")}, attrs: []*Attr{aInt("start", 1), aInt("end", -1)}, want: []string{"int64[2]"}},
		{name: "size", op: "Size", args: []arg{in("float32[N,3]")}, want: []string{"int64[]"}},
		{name: "random normal", op: "RandomNormal", args: nil, attrs: []*Attr{aInts("shape", 2, 5)}, want: []string{"float32[2,5]"}},
		{name: "random uniform like", op: "RandomUniformLike", args: []arg{in("float16[3,1]")}, want: []string{"float16[3,1]"}},
		{name: "nonzero", op: "NonZero", args: []arg{in("float32[3,4]")}, want: []string{"int64[2,?]"}},
		{name: "onehot", op: "OneHot", args: []arg{in("int64[2,3]"), i64s(5), f32(0, 1)}, want: []string{"float32[2,3,5]"}},
	})
}

// TestShapeUnknownOp: ops without a shape function keep their outputs
// untyped and are not an error.
func TestShapeUnknownOp(t *testing.T) {
	m, n := oneNode("MyCustomOp", 17, []arg{in("float32[2]")}, nil, 1)
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if n.Outputs[0].Type.Kind != KindUnknown {
		t.Fatalf("unknown op output got type %s", n.Outputs[0].Type)
	}
}

// TestShapeTooLarge: shapes past 2^40 elements are errors, not
// allocations.
func TestShapeTooLarge(t *testing.T) {
	m, _ := oneNode("Tile", 17, []arg{in("float32[1048576,1048576]"), i64(1, 2)}, nil, 1)
	err := InferShapes(m)
	if err == nil || !strings.Contains(err.Error(), "2^40") || !strings.Contains(err.Error(), `node "n" (Tile)`) {
		t.Fatalf("error = %v", err)
	}
	m, _ = oneNode("Expand", 17, []arg{in("float32[1]"), i64(1<<21, 1<<21)}, nil, 1)
	if err := InferShapes(m); err == nil || !strings.Contains(err.Error(), "2^40") {
		t.Fatalf("expand: error = %v", err)
	}
}

// TestShapeKeepsRecordedInfo: a recorded type fills what inference cannot
// know, and inferred sizes replace recorded symbols.
func TestShapeKeepsRecordedInfo(t *testing.T) {
	m, n := oneNode("Reshape", 17, []arg{in("float32[2,3]"), in("int64[2]")}, nil, 1)
	n.Outputs[0].Type = ty("float32[3,2]")
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if got := n.Outputs[0].Type; !got.Equal(ty("float32[3,2]")) {
		t.Fatalf("got %s", got)
	}
	m, n = oneNode("Relu", 17, []arg{in("float32[2,3]")}, nil, 1)
	n.Outputs[0].Type = ty("float32[N,3]")
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if got := n.Outputs[0].Type; !got.Equal(ty("float32[2,3]")) {
		t.Fatalf("got %s", got)
	}
}

func TestShapeMoreOps(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "quantize default uint8", op: "QuantizeLinear", args: []arg{in("float32[1,8,4,4]"), f32s(0.1)}, want: []string{"uint8[1,8,4,4]"}},
		{name: "quantize zero point dtype", op: "QuantizeLinear", args: []arg{in("float32[1,8]"), f32s(0.1), in("int8[]")}, want: []string{"int8[1,8]"}},
		{name: "dequantize", op: "DequantizeLinear", args: []arg{in("int8[1,8]"), in("float16[]")}, want: []string{"float16[1,8]"}},
		{name: "dynamic quantize", op: "DynamicQuantizeLinear", args: []arg{in("float32[3,4]")}, want: []string{"uint8[3,4]", "float32[]", "uint8[]"}},
		// indices [2,1,2] (last 2), data [2,3,4], batch_dims 0: [2,1] + [4]
		{name: "gathernd", op: "GatherND", args: []arg{in("float32[2,3,4]"), in("int64[2,1,2]")}, want: []string{"float32[2,1,4]"}},
		// batch_dims 1: indices [2,1] -> [2] + data[1+1:] = [2,4]
		{name: "gathernd batch", op: "GatherND", args: []arg{in("float32[2,3,4]"), in("int64[2,1]")}, attrs: []*Attr{aInt("batch_dims", 1)}, want: []string{"float32[2,4]"}},
		{name: "gridsample", op: "GridSample", args: []arg{in("float32[N,3,8,8]"), in("float32[N,5,6,2]")}, want: []string{"float32[N,3,5,6]"}},
		{name: "matmulinteger", op: "MatMulInteger", args: []arg{in("uint8[2,3]"), in("uint8[3,4]")}, want: []string{"int32[2,4]"}},
		{name: "qlinearconv", op: "QLinearConv", args: []arg{in("uint8[1,3,8,8]"), f32s(1), in("uint8[]"), in("int8[4,3,3,3]"), f32s(1), in("int8[]"), f32s(1), in("uint8[]")},
			want: []string{"uint8[1,4,6,6]"}},
		{name: "hann window", op: "HannWindow", args: []arg{i64s(10)}, want: []string{"float32[10]"}},
		{name: "lstm", op: "LSTM", args: []arg{in("float32[7,N,16]"), in("float32[2,128,16]"), in("float32[2,128,32]")},
			attrs: []*Attr{aInt("hidden_size", 32), aStr("direction", "bidirectional")}, want: []string{"float32[7,2,N,32]", "float32[2,N,32]", "float32[2,N,32]"}},
		{name: "gru layout 1", op: "GRU", args: []arg{in("float32[N,7,16]"), in("float32[1,96,16]"), in("float32[1,96,32]")},
			attrs: []*Attr{aInt("hidden_size", 32), aInt("layout", 1)}, want: []string{"float32[N,7,1,32]", "float32[N,1,32]"}},
		{name: "einsum implicit", op: "Einsum", args: []arg{in("float32[3,4]"), in("float32[4,5]")}, attrs: []*Attr{aStr("equation", "ij,jk")}, want: []string{"float32[3,5]"}},
		{name: "einsum inner", op: "Einsum", args: []arg{in("float32[4]"), in("float32[4]")}, attrs: []*Attr{aStr("equation", "i,i")}, want: []string{"float32[]"}},
		// (2-1)*2 + 2 - 0 = 4
		{name: "maxunpool", op: "MaxUnpool", args: []arg{in("float32[1,1,2,2]"), in("int64[1,1,2,2]")}, attrs: []*Attr{aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)}, want: []string{"float32[1,1,4,4]"}},
		{name: "det", op: "Det", args: []arg{in("float32[5,3,3]")}, want: []string{"float32[5]"}},
		{name: "roialign", op: "RoiAlign", args: []arg{in("float32[1,256,14,14]"), in("float32[10,4]"), in("int64[10]")},
			attrs: []*Attr{aInt("output_height", 7), aInt("output_width", 7)}, want: []string{"float32[10,256,7,7]"}},
	})
}

// TestShapeIfKnownCondition: a constant condition selects the branch for
// both types and values.
func TestShapeIfKnownCondition(t *testing.T) {
	g := NewGraph("g")
	x := g.AddInput("x", ty("float32[2,3]"))
	cond := g.AddConst("cond", &Tensor{DType: Bool, Raw: []byte{1}})
	then := NewSubgraph(g, "then")
	sh := then.AddNode("Shape", "shape", []*Value{x}, "s")
	then.AddOutput(sh.Outputs[0])
	els := NewSubgraph(g, "else")
	c := els.AddNode("Constant", "c", nil, "k")
	c.SetAttr(aInts("value_ints", 9))
	els.AddOutput(c.Outputs[0])
	ifn := g.AddNode("If", "if", []*Value{cond}, "y")
	ifn.SetAttr(&Attr{Name: "then_branch", Type: AttrGraph, G: then})
	ifn.SetAttr(&Attr{Name: "else_branch", Type: AttrGraph, G: els})
	rs := g.AddNode("Reshape", "rs", []*Value{x, g.AddConst("t", NewInt64([]int64{2}, []int64{3, -1}))}, "r")
	g.AddOutput(ifn.Outputs[0])
	g.AddOutput(rs.Outputs[0])
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 17}}, Graph: g}
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if !ifn.Outputs[0].Type.Equal(ty("int64[2]")) {
		t.Errorf("If output: %s", ifn.Outputs[0].Type)
	}
	wantInts(t, "If value", ifn.Outputs[0], []int64{2, 3})
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
}

// TestShapeSequences: torch.chunk/split under the dynamo exporter become
// SplitToSequence -> SequenceAt; each piece gets its own shape.
func TestShapeSequences(t *testing.T) {
	for _, c := range []struct {
		name  string
		split *Tensor // nil: pieces of 1
		attrs []*Attr
		seq   string // element type of the sequence
		at    []string
	}{
		// [N,7,4] split by 3 along axis 1: 3,3,1
		{"scalar split", NewInt64(nil, []int64{3}), []*Attr{aInt("axis", 1)}, "float32[N,?,4]", []string{"float32[N,3,4]", "float32[N,3,4]", "float32[N,1,4]"}},
		{"sizes", NewInt64([]int64{2}, []int64{5, 2}), []*Attr{aInt("axis", 1)}, "float32[N,?,4]", []string{"float32[N,5,4]", "float32[N,2,4]", ""}},
		{"equal chunks", NewInt64([]int64{2}, []int64{2, 2}), []*Attr{aInt("axis", -1)}, "float32[N,7,2]", []string{"float32[N,7,2]", "float32[N,7,2]", ""}},
		{"ones no keepdims", nil, []*Attr{aInt("axis", 2), aInt("keepdims", 0)}, "float32[N,7]", []string{"float32[N,7]", "float32[N,7]", "float32[N,7]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewGraph("g")
			x := g.AddInput("x", ty("float32[N,7,4]"))
			ins := []*Value{x}
			if c.split != nil {
				ins = append(ins, g.AddConst("split", c.split))
			}
			sp := g.AddNode("SplitToSequence", "split", ins, "seq")
			sp.Attrs = c.attrs
			var ats []*Node
			for i, w := range c.at {
				if w == "" {
					continue
				}
				pos := int64(i)
				if i == 2 {
					pos = -1 // counted from the end
				}
				at := g.AddNode("SequenceAt", "at", []*Value{sp.Outputs[0], g.AddConst("", NewInt64(nil, []int64{pos}))}, "piece")
				g.AddOutput(at.Outputs[0])
				ats = append(ats, at)
			}
			ln := g.AddNode("SequenceLength", "len", []*Value{sp.Outputs[0]}, "n")
			g.AddOutput(ln.Outputs[0])
			m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 17}}, Graph: g}
			if err := InferShapes(m); err != nil {
				t.Fatal(err)
			}
			st := sp.Outputs[0].Type
			if st.Kind != KindSequence || st.Elem == nil || !st.Elem.Equal(ty(c.seq)) {
				t.Errorf("sequence type %s, want seq<%s>", st, c.seq)
			}
			k := 0
			for _, w := range c.at {
				if w == "" {
					continue
				}
				if got := ats[k].Outputs[0].Type; !got.Equal(ty(w)) {
					t.Errorf("SequenceAt %d: %s, want %s", k, got, w)
				}
				k++
			}
			if !ln.Outputs[0].Type.Equal(ty("int64[]")) {
				t.Errorf("SequenceLength: %s", ln.Outputs[0].Type)
			}
			if err := Verify(m); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestShapeScanLoop: state outputs take the body's types; scan outputs
// stack the body's along a new axis (Scan: the scan input's length; Loop:
// an unknown trip count).
func TestShapeScanLoop(t *testing.T) {
	g := NewGraph("g")
	init := g.AddInput("init", ty("float32[2]"))
	xs := g.AddInput("xs", ty("float32[3,2]"))
	body := NewSubgraph(g, "body")
	s := body.AddInput("s", ty("float32[2]"))
	x := body.AddInput("x", ty("float32[2]"))
	sum := body.AddNode("Add", "add", []*Value{s, x}, "sum")
	id := body.AddNode("Identity", "id", []*Value{sum.Outputs[0]}, "out")
	body.AddOutput(sum.Outputs[0])
	body.AddOutput(id.Outputs[0])
	scan := g.AddNode("Scan", "scan", []*Value{init, xs}, "final", "stacked")
	scan.SetAttr(aInt("num_scan_inputs", 1))
	scan.SetAttr(&Attr{Name: "body", Type: AttrGraph, G: body})
	g.AddOutput(scan.Outputs[0])
	g.AddOutput(scan.Outputs[1])

	lbody := NewSubgraph(g, "lbody")
	lbody.AddInput("i", ty("int64[]"))
	c := lbody.AddInput("c", ty("bool[]"))
	v := lbody.AddInput("v", ty("float32[2]"))
	dbl := lbody.AddNode("Add", "dbl", []*Value{v, v}, "v2")
	cid := lbody.AddNode("Identity", "cid", []*Value{c}, "c2")
	lbody.AddOutput(cid.Outputs[0])
	lbody.AddOutput(dbl.Outputs[0])
	lbody.AddOutput(dbl.Outputs[0])
	loop := g.AddNode("Loop", "loop", []*Value{g.AddConst("M", NewInt64(nil, []int64{4})), nil, init}, "vf", "vs")
	loop.SetAttr(&Attr{Name: "body", Type: AttrGraph, G: lbody})
	g.AddOutput(loop.Outputs[0])
	g.AddOutput(loop.Outputs[1])

	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 17}}, Graph: g}
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[*Value]string{
		scan.Outputs[0]: "float32[2]", scan.Outputs[1]: "float32[3,2]",
		loop.Outputs[0]: "float32[2]", loop.Outputs[1]: "float32[?,2]",
	} {
		if !v.Type.Equal(ty(want)) {
			t.Errorf("%s: %s, want %s", v.Name, v.Type, want)
		}
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
}
