// Package metrics counts a model's efficiency figures statically, from the
// graph and its (static) shapes: parameters, BatchNorm buffers, MACs, FLOPs,
// memory access cost and arithmetic intensity, per layer and in total.
//
// Conventions (also in README.md (section "Efficiency metrics") and printed by `mconv stats`):
//
//   - Params: elements of the floating-point constants that a layer owns as
//     weights: Conv/ConvTranspose/Gemm/MatMul weights and biases, BatchNorm
//     scale (gamma) and bias (beta), normalization scales, PRelu slopes, the
//     fused SqueezeExcite weights, and every other float constant with more
//     than one element. This is PyTorch's parameters() convention for a
//     training-form graph, and the papers' convention for a deploy-form one.
//   - Buffers: BatchNorm running mean and variance (inputs 3 and 4), counted
//     apart from params, as PyTorch does.
//   - Constants: everything else held as constant data (shape tensors, axes,
//     float scalars of elementwise ops); neither params nor buffers.
//   - MACs: multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul (and
//     the two 1x1 convolutions inside the fused SqueezeExcite), counted over
//     every output position including padded borders; bias additions are
//     not counted. This is the papers' convention (MobileNetV2 at 224 = 300M).
//   - FLOPs = 2 x MACs, plus one FLOP per output element of every elementwise
//     op, activation, normalization (BatchNormalization, LayerNorm,
//     Softmax, ...), pooling (window and global) and reduction, each counted
//     as one whatever its internal arithmetic (issue 7's rule; for pooling
//     and reductions this under-counts the additions or comparisons inside
//     each window). Data movement (Reshape, Transpose, Concat, Slice,
//     Gather, Pad, Cast, ...) counts zero FLOPs.
//   - Memory access cost (bytes): activations read + activations written +
//     constants read, per layer (ShuffleNetV2's MAC, generalized). A float
//     element costs 4 bytes (2 with Options.FP16; a float16 model costs 2
//     anyway); other types their storage size. View ops that move no data
//     (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Shape, Size,
//     Constant) cost zero bytes. Totals are sums over layers (no cache reuse).
//   - Arithmetic intensity = FLOPs / memory access bytes.
package metrics

import (
	"errors"
	"fmt"
	"sort"

	"github.com/mconv/mconv/ir"
)

// Options tune the counting.
type Options struct {
	// FP16 counts every floating-point element as 2 bytes in memory access
	// cost (as if the model ran in half precision).
	FP16 bool
}

// DTypeCount is the number of elements and stored bytes of one dtype.
type DTypeCount struct {
	DType    string `json:"dtype"`
	Elements int64  `json:"elements"`
	Bytes    int64  `json:"bytes"`
}

// Input is one graph input with its shape as counted.
type Input struct {
	Name  string  `json:"name"`
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
}

// Layer holds the figures of one node.
type Layer struct {
	Name        string  `json:"name"`
	Op          string  `json:"op"`     // OpType, domain-qualified outside ai.onnx ("mconv.SqueezeExcite")
	Output      string  `json:"output"` // name of the first output value
	OutputShape []int64 `json:"output_shape"`
	// Params and Buffers are the constants first read by this layer (a
	// constant shared by several layers is attributed to the first), so
	// layer sums equal the totals.
	Params            int64   `json:"params"`
	Buffers           int64   `json:"buffers"`
	MACs              int64   `json:"macs"`
	FLOPs             int64   `json:"flops"`
	InputBytes        int64   `json:"input_bytes"`
	OutputBytes       int64   `json:"output_bytes"`
	WeightBytes       int64   `json:"weight_bytes"`
	MemoryAccessBytes int64   `json:"memory_access_bytes"`
	Intensity         float64 `json:"arithmetic_intensity"`
}

// Report is the whole-model result. Field order is the JSON key order.
type Report struct {
	Model             string       `json:"model"`
	Inputs            []Input      `json:"inputs"`
	Params            int64        `json:"params"`
	ParamBytes        int64        `json:"param_bytes"`
	ParamsByDType     []DTypeCount `json:"params_by_dtype"`
	Buffers           int64        `json:"buffers"`
	BufferBytes       int64        `json:"buffer_bytes"`
	Constants         int64        `json:"constants"`
	MACs              int64        `json:"macs"`
	FLOPs             int64        `json:"flops"`
	MemoryAccessBytes int64        `json:"memory_access_bytes"`
	Intensity         float64      `json:"arithmetic_intensity"`
	// PeakActivationBytes comes from the runtime's buffer plan; nil (JSON
	// null) when no plan was made.
	PeakActivationBytes *int64   `json:"peak_activation_bytes"`
	BytesPerFloat       int      `json:"bytes_per_float"`
	Warnings            []string `json:"warnings"`
	Layers              []Layer  `json:"layers"`
}

// constKind classifies a constant.
type constKind int

const (
	kindParam constKind = iota + 1
	kindBuffer
	kindOther
)

// counter carries state through one Count call.
type counter struct {
	opt   Options
	kinds map[*ir.Value]constKind
	seen  map[*ir.Value]bool
	warn  map[string]bool
	rep   *Report
}

// Count computes the report of m's main graph. Every value a node reads or
// writes must have a static shape (run shape inference and fix symbolic
// dimensions such as the batch first); otherwise Count returns an error
// naming the node. Ops it does not know count zero MACs and FLOPs (and
// still their bytes) and are listed in Report.Warnings.
func Count(m *ir.Model, opt Options) (*Report, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("metrics: model has no graph")
	}
	g := m.Graph
	c := &counter{
		opt:   opt,
		kinds: classifyConsts(g),
		seen:  map[*ir.Value]bool{},
		warn:  map[string]bool{},
		rep:   &Report{BytesPerFloat: 4, Warnings: []string{}, Layers: []Layer{}, ParamsByDType: []DTypeCount{}, Inputs: []Input{}},
	}
	if opt.FP16 {
		c.rep.BytesPerFloat = 2
	}
	for _, v := range g.Inputs {
		if v.Const != nil {
			continue // old-IR input with a default: a weight, not a model input
		}
		c.rep.Inputs = append(c.rep.Inputs, Input{Name: v.Name, DType: v.Type.DType.String(), Shape: v.Type.Shape.Sizes()})
	}
	byDType := map[ir.DType]*DTypeCount{}
	for _, n := range g.Nodes {
		l, err := c.layer(n)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
		for _, in := range n.Inputs {
			t := constTensor(in)
			if t == nil || c.seen[in] {
				continue
			}
			c.seen[in] = true
			elems, bytes := t.Len(), ir.ByteLen(t.DType, t.Dims)
			if bytes < 0 {
				bytes = 0
			}
			switch c.kinds[in] {
			case kindParam:
				l.Params += elems
				c.rep.Params += elems
				c.rep.ParamBytes += bytes
				d := byDType[t.DType]
				if d == nil {
					d = &DTypeCount{DType: t.DType.String()}
					byDType[t.DType] = d
				}
				d.Elements += elems
				d.Bytes += bytes
			case kindBuffer:
				l.Buffers += elems
				c.rep.Buffers += elems
				c.rep.BufferBytes += bytes
			default:
				c.rep.Constants += elems
			}
		}
		l.MemoryAccessBytes = l.InputBytes + l.OutputBytes + l.WeightBytes
		l.Intensity = ratio(l.FLOPs, l.MemoryAccessBytes)
		c.rep.MACs += l.MACs
		c.rep.FLOPs += l.FLOPs
		c.rep.MemoryAccessBytes += l.MemoryAccessBytes
		c.rep.Layers = append(c.rep.Layers, l)
	}
	c.rep.Intensity = ratio(c.rep.FLOPs, c.rep.MemoryAccessBytes)
	for _, d := range byDType {
		c.rep.ParamsByDType = append(c.rep.ParamsByDType, *d)
	}
	sort.Slice(c.rep.ParamsByDType, func(i, j int) bool { return c.rep.ParamsByDType[i].DType < c.rep.ParamsByDType[j].DType })
	for w := range c.warn {
		c.rep.Warnings = append(c.rep.Warnings, w)
	}
	sort.Strings(c.rep.Warnings)
	return c.rep, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// constTensor returns the constant data of v: an initializer (also an
// old-IR input with a default) or the value of a Constant node.
func constTensor(v *ir.Value) *ir.Tensor {
	if v == nil {
		return nil
	}
	if v.Const != nil {
		return v.Const
	}
	if p := v.Producer; p != nil && p.OpType == "Constant" && (p.Domain == "" || p.Domain == "ai.onnx") {
		if a := p.Attr("value"); a != nil && a.Type == ir.AttrTensor && a.T != nil {
			return a.T
		}
	}
	return nil
}

// weightSlots lists, per op, the input positions that hold learned weights
// (params even when they have one element).
var weightSlots = map[string][]int{
	"Conv":                  {1, 2},
	"ConvTranspose":         {1, 2},
	"Gemm":                  {1, 2},
	"MatMul":                {0, 1},
	"BatchNormalization":    {1, 2},
	"InstanceNormalization": {1, 2},
	"LayerNormalization":    {1, 2},
	"GroupNormalization":    {1, 2},
	"PRelu":                 {1},
	"mconv.SqueezeExcite":   {1, 2, 3, 4},
}

// classifyConsts decides for every constant of g whether it is a param, a
// BatchNorm buffer or another constant.
func classifyConsts(g *ir.Graph) map[*ir.Value]constKind {
	kinds := map[*ir.Value]constKind{}
	for _, n := range g.Nodes {
		op := opName(n)
		for i, in := range n.Inputs {
			t := constTensor(in)
			if t == nil {
				continue
			}
			k := kindOther
			switch {
			case op == "BatchNormalization" && (i == 3 || i == 4):
				k = kindBuffer
			case !t.DType.IsFloat():
				k = kindOther
			case contains(weightSlots[op], i) || t.Len() > 1:
				k = kindParam
			}
			// A buffer use wins over a param use, a param use over other.
			if old, ok := kinds[in]; !ok || rank(k) > rank(old) {
				kinds[in] = k
			}
		}
	}
	return kinds
}

func rank(k constKind) int {
	switch k {
	case kindBuffer:
		return 3
	case kindParam:
		return 2
	}
	return 1
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// opName is n's op type, prefixed with its domain outside ai.onnx.
func opName(n *ir.Node) string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.OpType
	}
	return n.Domain + "." + n.OpType
}
