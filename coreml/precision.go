package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// FP16SafeMax is the largest |value| an fp16 ML Program computes in
// float16: a node one of whose float inputs or outputs reached more in the
// calibration run (Options.Ranges) computes in float32. It is float16's
// largest finite value, 65504, divided by 8: the calibration sees one
// input, and three binades of headroom cover other inputs and the drift of
// fp16 rounding upstream, while a network whose activations stay in the
// usual range of a normalized network (|x| well below 10^3) keeps every
// node in float16.
const FP16SafeMax = 65504.0 / 8

// FP32Node is a node of an fp16 ML Program that computes in float32
// because its values do not fit float16 (FP16SafeMax).
type FP32Node struct {
	Node string `json:"node"` // the ONNX node's name
	Op   string `json:"op"`   // its op type ("mconv." prefixed for mconv's fused ops)
	// MaxAbs is the largest |value| among the node's float inputs and
	// outputs in the calibration run (+Inf when one overflowed float32).
	MaxAbs float32 `json:"max_abs"`
}

// String is `node "N" (Op): max |value| 8.2e+05`.
func (n FP32Node) String() string {
	return fmt.Sprintf("node %q (%s): max |value| %.3g", n.Node, n.Op, n.MaxAbs)
}

// fp32Nodes picks the nodes that compute in float32 in an fp16 program:
// those with a float input or output whose largest |value| in ranges
// (keyed by ONNX value name) exceeds FP16SafeMax. A region of such nodes
// extends forward as long as values exceed the threshold: a node reading a
// large value computes in float32 even when its own output is small (the
// division that normalizes linear attention), and the fp16 nodes after it
// read its output cast back to float16 (lowerer.toCompute).
func fp32Nodes(g *ir.Graph, ranges map[string]float32) map[*ir.Node]float32 {
	if len(ranges) == 0 {
		return nil
	}
	out := map[*ir.Node]float32{}
	for _, n := range g.Nodes {
		mx, any := float32(0), false
		for _, vs := range [][]*ir.Value{n.Inputs, n.Outputs} {
			for _, v := range vs {
				if v == nil {
					continue
				}
				if r, ok := ranges[v.Name]; ok && (r > mx || math.IsNaN(float64(r))) {
					mx, any = r, true
				}
			}
		}
		if any && !(mx <= FP16SafeMax) {
			out[n] = mx
		}
	}
	return out
}

// nodeAt lowers n in its compute dtype: float32 for the nodes fp32Nodes
// picked (recorded in fp32used when n emits ops), the program's otherwise.
func (l *lowerer) nodeAt(n *ir.Node) error {
	mx, ok := l.fp32[n]
	if !ok {
		return l.node(n)
	}
	ct, before := l.ct, len(l.ops)
	l.ct = pb.DataType_FLOAT32
	defer func() { l.ct = ct }()
	if err := l.node(n); err != nil {
		return err
	}
	if len(l.ops) > before {
		op := n.OpType
		if n.Domain == ir.FusedDomain {
			op = "mconv." + op
		}
		l.fp32used = append(l.fp32used, FP32Node{Node: n.Name, Op: op, MaxAbs: mx})
	}
	return nil
}

// toCompute returns float variable x in the compute dtype of the node being
// lowered, casting it (once per variable and dtype) where an fp16
// program's graph input is first read, and at the edges of its float32
// regions.
func (l *lowerer) toCompute(x *mvar) *mvar {
	if !isFloat(x.dt) || x.dt == l.ct {
		return x
	}
	k := castKey{x, l.ct}
	if c, ok := l.casts[k]; ok {
		return c
	}
	c := l.cast(x, l.ct, x.name+"_to_"+dtName(l.ct))
	l.casts[k] = c
	return c
}
