package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// one builds a graph with a single node op(x, consts...) whose output shape
// is given, and returns the node's layer figures.
type oneCase struct {
	name    string
	op      string
	domain  string
	x       []int64   // activation input shape (nil: no activation input)
	consts  [][]int64 // shapes of float32 constant inputs after x
	out     []int64
	attrs   []*ir.Attr
	fp16    bool
	macs    int64
	flops   int64
	bytes   int64 // memory access bytes
	params  int64
	buffers int64
}

func buildOne(c oneCase) *ir.Model {
	g := ir.NewGraph("one")
	m := &ir.Model{Opsets: []ir.OpsetImport{{Version: 17}}, Graph: g}
	var ins []*ir.Value
	if c.x != nil {
		ins = append(ins, g.AddInput("x", ir.TensorOf(ir.Float32, c.x...)))
	}
	for i, s := range c.consts {
		ins = append(ins, g.AddConst("c"+string(rune('0'+i)), ir.NewFloat32(s, make([]float32, ir.NumElements(s)))))
	}
	n := g.AddNode(c.op, "n", ins, "y")
	n.Domain = c.domain
	n.Attrs = c.attrs
	n.Outputs[0].Type = ir.TensorOf(ir.Float32, c.out...)
	g.AddOutput(n.Outputs[0])
	return m
}

func ai(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

func TestOpCosts(t *testing.T) {
	tests := []oneCase{
		// 3x3 conv, 8->16 ch, 10x10 -> stride 2 pad 1 -> 5x5: 16*25 outputs x 8*9.
		{name: "conv", op: "Conv", x: []int64{1, 8, 10, 10}, consts: [][]int64{{16, 8, 3, 3}, {16}}, out: []int64{1, 16, 5, 5},
			macs: 16 * 25 * 72, flops: 2 * 16 * 25 * 72, bytes: 4 * (800 + 400 + 1152 + 16), params: 1152 + 16},
		// depthwise (group 8) dilated 3x3, dilation 2, pad 2: output 10x10, each a 9-tap dot.
		{name: "depthwise dilated", op: "Conv", x: []int64{2, 8, 10, 10}, consts: [][]int64{{8, 1, 3, 3}}, out: []int64{2, 8, 10, 10},
			attrs: []*ir.Attr{ai("group", 8), ints("dilations", 2, 2)},
			macs:  1600 * 9, flops: 2 * 1600 * 9, bytes: 4 * (1600 + 1600 + 72), params: 72},
		// grouped 1x1, 8->4 ch in 2 groups: each output reads 4 inputs.
		{name: "grouped 1x1", op: "Conv", x: []int64{1, 8, 4, 4}, consts: [][]int64{{4, 4, 1, 1}}, out: []int64{1, 4, 4, 4},
			attrs: []*ir.Attr{ai("group", 2)}, macs: 64 * 4, flops: 2 * 64 * 4, bytes: 4 * (128 + 64 + 16), params: 16},
		// ConvTranspose 4->2 ch, 2x2 kernel stride 2: every input element
		// scatters into 2*4 outputs: 1*4*3*3 * 8.
		{name: "conv transpose", op: "ConvTranspose", x: []int64{1, 4, 3, 3}, consts: [][]int64{{4, 2, 2, 2}}, out: []int64{1, 2, 6, 6},
			macs: 36 * 8, flops: 2 * 36 * 8, bytes: 4 * (36 + 72 + 32), params: 32},
		// Linear 1280 -> 1000: 1,280,000 MACs.
		{name: "gemm transB", op: "Gemm", x: []int64{1, 1280}, consts: [][]int64{{1000, 1280}, {1000}}, out: []int64{1, 1000},
			attrs: []*ir.Attr{ai("transB", 1)}, macs: 1280000, flops: 2560000, bytes: 4 * (1280 + 1000 + 1280000 + 1000), params: 1281000},
		// transA: A is [K=6, M=3].
		{name: "gemm transA", op: "Gemm", x: []int64{6, 3}, consts: [][]int64{{6, 5}}, out: []int64{3, 5},
			attrs: []*ir.Attr{ai("transA", 1)}, macs: 15 * 6, flops: 180, bytes: 4 * (18 + 15 + 30), params: 30},
		// batched MatMul [2,4,8,16] x [16,32]: 2*4*8*32 outputs x 16.
		{name: "matmul", op: "MatMul", x: []int64{2, 4, 8, 16}, consts: [][]int64{{16, 32}}, out: []int64{2, 4, 8, 32},
			macs: 2048 * 16, flops: 2 * 2048 * 16, bytes: 4 * (1024 + 2048 + 512), params: 512},
		// BN: 1 FLOP per output; gamma/beta params, mean/var buffers.
		{name: "batchnorm", op: "BatchNormalization", x: []int64{1, 4, 2, 2}, consts: [][]int64{{4}, {4}, {4}, {4}}, out: []int64{1, 4, 2, 2},
			flops: 16, bytes: 4 * (16 + 16 + 16), params: 8, buffers: 8},
		{name: "relu", op: "Relu", x: []int64{1, 4, 2, 2}, out: []int64{1, 4, 2, 2}, flops: 16, bytes: 4 * 32},
		// Mul by a [C,1,1] layer scale: a param (more than one element).
		{name: "mul layer scale", op: "Mul", x: []int64{1, 4, 2, 2}, consts: [][]int64{{4, 1, 1}}, out: []int64{1, 4, 2, 2},
			flops: 16, bytes: 4 * (16 + 4 + 16), params: 4},
		// Div by a scalar (GELU's sqrt 2): a constant, not a param.
		{name: "div scalar", op: "Div", x: []int64{1, 4}, consts: [][]int64{{}}, out: []int64{1, 4}, flops: 4, bytes: 4 * (4 + 1 + 4)},
		// Pooling and reductions (issue 7): one FLOP per OUTPUT element, the
		// window's 9 (or 49) reads are not counted.
		// MaxPool 3x3 stride 2 on 8x8 pad 1 -> 4x4: |Y| = 1*2*4*4 = 32 FLOPs
		// (was 32 outputs x 9 reads = 288 under the per-input-read rule).
		{name: "maxpool", op: "MaxPool", x: []int64{1, 2, 8, 8}, out: []int64{1, 2, 4, 4},
			attrs: []*ir.Attr{ints("kernel_shape", 3, 3), ints("strides", 2, 2)}, flops: 32, bytes: 4 * (128 + 32)},
		// AveragePool 2x2 stride 1 on 5x5 -> 4x4, 3 channels: |Y| = 3*4*4 = 48
		// FLOPs (not 48 x 4 = 192).
		{name: "avgpool", op: "AveragePool", x: []int64{1, 3, 5, 5}, out: []int64{1, 3, 4, 4},
			attrs: []*ir.Attr{ints("kernel_shape", 2, 2)}, flops: 48, bytes: 4 * (75 + 48)},
		// GlobalAveragePool [1,2,7,7] -> [1,2,1,1]: |Y| = 2 FLOPs (was |X| = 98).
		{name: "global average pool", op: "GlobalAveragePool", x: []int64{1, 2, 7, 7}, out: []int64{1, 2, 1, 1}, flops: 2, bytes: 4 * (98 + 2)},
		// ReduceMean over H,W of [1,2,7,7], keepdims 0 -> [1,2]: |Y| = 2 FLOPs (was |X| = 98).
		{name: "reduce mean", op: "ReduceMean", x: []int64{1, 2, 7, 7}, out: []int64{1, 2}, attrs: []*ir.Attr{ints("axes", 2, 3), ai("keepdims", 0)}, flops: 2, bytes: 4 * 100},
		// ReduceMax over C of [1,10,3,3], keepdims 1 -> [1,1,3,3]: |Y| = 9
		// FLOPs (not |X| = 90); bytes 4 * (90 read + 9 written).
		{name: "reduce max", op: "ReduceMax", x: []int64{1, 10, 3, 3}, out: []int64{1, 1, 3, 3}, attrs: []*ir.Attr{ints("axes", 1)}, flops: 9, bytes: 4 * (90 + 9)},
		// Transpose: no FLOPs, bytes read and written.
		{name: "transpose", op: "Transpose", x: []int64{1, 2, 3, 4}, out: []int64{1, 3, 2, 4}, bytes: 4 * 48},
		// Flatten: a view, no bytes.
		{name: "flatten view", op: "Flatten", x: []int64{1, 2, 3, 4}, out: []int64{1, 24}},
		// Fused SE on [1,16,7,7], Cr = 4: 2*16*4 MACs; FLOPs 2*128 + 16 (mean
		// over H,W, a global pool: one per output element, N*C = 16; was
		// |X| = 784) + 4 (relu) + 16 (gate) + 784 (mul).
		{name: "fused squeeze excite", op: "SqueezeExcite", domain: ir.FusedDomain, x: []int64{1, 16, 7, 7},
			consts: [][]int64{{4, 16, 1, 1}, {4}, {16, 4, 1, 1}, {16}}, out: []int64{1, 16, 7, 7},
			macs: 128, flops: 256 + 16 + 4 + 16 + 784, bytes: 4 * (784 + 784 + 64 + 4 + 64 + 16), params: 64 + 4 + 64 + 16},
		{name: "mconv SiLU", op: "SiLU", domain: ir.FusedDomain, x: []int64{1, 4}, out: []int64{1, 4}, flops: 4, bytes: 32},
		// --fp16: 2 bytes per float element.
		{name: "conv fp16", op: "Conv", x: []int64{1, 8, 10, 10}, consts: [][]int64{{16, 8, 3, 3}}, out: []int64{1, 16, 10, 10}, fp16: true,
			macs: 1600 * 72, flops: 2 * 1600 * 72, bytes: 2 * (800 + 1600 + 1152), params: 1152},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			r, err := Count(buildOne(c), Options{FP16: c.fp16})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Layers) != 1 {
				t.Fatalf("%d layers", len(r.Layers))
			}
			l := r.Layers[0]
			if l.MACs != c.macs || l.FLOPs != c.flops || l.MemoryAccessBytes != c.bytes || l.Params != c.params || l.Buffers != c.buffers {
				t.Errorf("got MACs %d FLOPs %d bytes %d params %d buffers %d; want %d %d %d %d %d",
					l.MACs, l.FLOPs, l.MemoryAccessBytes, l.Params, l.Buffers, c.macs, c.flops, c.bytes, c.params, c.buffers)
			}
			if r.MACs != c.macs || r.Params != c.params || r.Buffers != c.buffers {
				t.Errorf("totals differ from the one layer: %+v", r)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings %v", r.Warnings)
			}
		})
	}
}

func TestUnknownOpWarns(t *testing.T) {
	r, err := Count(buildOne(oneCase{op: "Frobnicate", domain: "com.example", x: []int64{1, 4}, out: []int64{1, 4}}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "com.example.Frobnicate") {
		t.Errorf("warnings %v", r.Warnings)
	}
	if r.MemoryAccessBytes != 32 {
		t.Errorf("bytes %d, want 32 (still counted)", r.MemoryAccessBytes)
	}
}

func TestSymbolicShapeIsAnError(t *testing.T) {
	m := buildOne(oneCase{op: "Relu", x: []int64{1, 4}, out: []int64{1, 4}})
	m.Graph.Inputs[0].Type.Shape[0] = ir.Dim{Size: -1, Param: "batch"}
	_, err := Count(m, Options{})
	if err == nil || !strings.Contains(err.Error(), `node "n" (Relu)`) || !strings.Contains(err.Error(), "static shape") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Count(&ir.Model{}, Options{}); err == nil {
		t.Error("nil graph accepted")
	}
}

// A constant shared by two layers counts once, on the first.
func TestSharedConstantCountsOnce(t *testing.T) {
	g := ir.NewGraph("shared")
	m := &ir.Model{Graph: g}
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 4))
	w := g.AddConst("w", ir.NewFloat32([]int64{4}, make([]float32, 4)))
	a := g.AddNode("Mul", "a", []*ir.Value{x, w}, "a")
	a.Outputs[0].Type = ir.TensorOf(ir.Float32, 1, 4)
	b := g.AddNode("Add", "b", []*ir.Value{a.Outputs[0], w}, "b")
	b.Outputs[0].Type = ir.TensorOf(ir.Float32, 1, 4)
	g.AddOutput(b.Outputs[0])
	r, err := Count(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Params != 4 || r.Layers[0].Params != 4 || r.Layers[1].Params != 0 {
		t.Errorf("params %d, per layer %d %d", r.Params, r.Layers[0].Params, r.Layers[1].Params)
	}
	// Both layers read w: 16 bytes each.
	if r.Layers[1].WeightBytes != 16 {
		t.Errorf("second reader's weight bytes %d", r.Layers[1].WeightBytes)
	}
}

// The JSON keys are documented in README.md (section "Efficiency metrics"): check names and order.
func TestJSONKeys(t *testing.T) {
	r, err := Count(mobileOneS0Deploy(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	peak := int64(123)
	r.PeakActivationBytes = &peak
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"params", "macs", "flops", "memory_access_bytes", "peak_activation_bytes", "layers"} {
		if _, ok := back[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	want := []string{`"model"`, `"inputs"`, `"params"`, `"param_bytes"`, `"params_by_dtype"`, `"buffers"`, `"buffer_bytes"`, `"constants"`,
		`"macs"`, `"flops"`, `"memory_access_bytes"`, `"arithmetic_intensity"`, `"peak_activation_bytes"`, `"bytes_per_float"`, `"warnings"`, `"layers"`}
	s, pos := buf.String(), -1
	for _, k := range want {
		i := strings.Index(s, k)
		if i <= pos {
			t.Fatalf("key %s out of order or missing", k)
		}
		pos = i
	}
	var again bytes.Buffer
	WriteJSON(&again, r)
	if again.String() != s {
		t.Error("JSON output not stable")
	}
}

func TestTextOutput(t *testing.T) {
	r, err := Count(mobileNetV2(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Model = "mnv2"
	var buf bytes.Buffer
	if err := WriteText(&buf, r, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"3,504,872", "300,774,272", "300.77 M", "n/a (no runtime plan)", "FLOPs: 2 x MACs", "output shape", "[1,1000]"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	d, err := Count(mobileOneS0Deploy(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Model = "s0"
	buf.Reset()
	if err := WriteCompare(&buf, []*Report{r, d}); err != nil {
		t.Fatal(err)
	}
	// 2,078,504 / 3,504,872 = 0.593
	if !strings.Contains(buf.String(), "0.593") || !strings.Contains(buf.String(), "ratio") {
		t.Errorf("compare output:\n%s", buf.String())
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 3504872: "3,504,872", -1234: "-1,234"} {
		if got := group(in); got != want {
			t.Errorf("group(%d) = %q, want %q", in, got, want)
		}
	}
}

// SequenceAt(SplitToSequence(X, split), pos): shape inference (ir/seqshape.go)
// types the piece; the sequence itself costs no bytes.
func TestSequenceCounting(t *testing.T) {
	tests := []struct {
		name  string
		x     []int64
		split *ir.Tensor // nil: no split input
		axis  int64
		keep  int64
		pos   int64
		want  []int64
	}{
		// scalar split 4 of 6 channels: pieces 4 and 2; pos -1 is the last.
		{"scalar split, last", []int64{1, 6, 4, 4}, &ir.Tensor{DType: ir.Int64, Raw: make([]byte, 8)}, 1, 1, -1, []int64{1, 2, 4, 4}},
		{"sizes", []int64{1, 6, 4}, ir.NewInt64([]int64{2}, []int64{1, 5}), 1, 1, 1, []int64{1, 5, 4}},
		// no split: pieces of 1, keepdims 0 drops the axis.
		{"no split keepdims 0", []int64{1, 3, 2}, nil, 1, 0, 2, []int64{1, 2}},
		{"no split keepdims 1", []int64{3, 2}, nil, 0, 1, 0, []int64{1, 2}},
	}
	tests[0].split.Raw[0] = 4
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := ir.NewGraph("seq")
			m := &ir.Model{Graph: g}
			x := g.AddInput("x", ir.TensorOf(ir.Float32, tc.x...))
			ins := []*ir.Value{x}
			if tc.split != nil {
				ins = append(ins, g.AddConst("split", tc.split))
			}
			sp := g.AddNode("SplitToSequence", "split", ins, "seq")
			sp.SetAttr(ai("axis", tc.axis))
			sp.SetAttr(ai("keepdims", tc.keep))
			at := g.AddNode("SequenceAt", "at", []*ir.Value{sp.Outputs[0], g.AddConst("pos", ir.NewInt64(nil, []int64{tc.pos}))}, "y")
			g.AddOutput(at.Outputs[0])
			if err := ir.InferShapes(m); err != nil {
				t.Fatal(err)
			}
			r, err := Count(m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Layers[1].OutputShape
			if shapeString(got) != shapeString(tc.want) {
				t.Errorf("shape %v, want %v", got, tc.want)
			}
			// Split reads X; SequenceAt writes the piece and reads the position.
			if r.Layers[0].InputBytes != 4*ir.NumElements(tc.x) || r.Layers[0].OutputBytes != 0 {
				t.Errorf("split bytes in %d out %d", r.Layers[0].InputBytes, r.Layers[0].OutputBytes)
			}
			if r.Layers[1].OutputBytes != 4*ir.NumElements(tc.want) {
				t.Errorf("piece bytes %d", r.Layers[1].OutputBytes)
			}
		})
	}
}
