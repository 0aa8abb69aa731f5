package coreml

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// nnLayerOps lists the MIL op types the NeuralNetwork writer turns into
// layers (the keys of nnLayers), sorted. TestLoweredMILOpsHaveLayers
// checks that every MIL op the lowering emits (in float32) is in it.
var nnLayerOps = slices.Sorted(maps.Keys(nnLayers))

// mlProgramOnly names the ONNX ops (lowerers keys) whose lowering emits a
// MIL op with no NeuralNetwork layer, with the reason. Empty: every ONNX op
// the ML Program backend converts also converts to a NeuralNetwork, because
// the NeuralNetwork writer starts from the same MIL lowering and has a
// layer for every MIL op it emits (the float16 casts of --fp16 are ML
// Program only; a NeuralNetwork stores float16 weights instead).
var mlProgramOnly = map[string]string{}

// OpSupport says how a Core ML backend converts an op.
type OpSupport int

const (
	// Unsupported: converting a node of the op fails.
	Unsupported OpSupport = iota
	// ConstantOnly: the op is evaluated at conversion time when its inputs
	// are constants (shape arithmetic); on a tensor computed at run time
	// conversion fails.
	ConstantOnly
	// Supported: the op is lowered to MIL ops (NeuralNetwork layers).
	Supported
)

// String is "yes", "const" or "no".
func (s OpSupport) String() string {
	switch s {
	case Supported:
		return "yes"
	case ConstantOnly:
		return "const"
	}
	return "no"
}

// lowererKey is the lowerers key of op in domain, or "" when the lowering
// rejects the domain.
func lowererKey(domain, op string) string {
	switch domain {
	case "", "ai.onnx":
		return op
	case ir.FusedDomain:
		return "mconv." + op
	}
	return ""
}

// MLProgramSupport says how the ML Program backend (.mlpackage) converts a
// node of op in domain. Per-node limits (attribute values, ranks, constant
// parameters) still apply: Supported means the op has a lowering.
func MLProgramSupport(domain, op string) OpSupport {
	key := lowererKey(domain, op)
	lw, ok := lowerers[key]
	switch {
	case !ok && key == op && engine.Folded(op):
		// no lowering, but folded at conversion time (lowerer.node)
		return ConstantOnly
	case !ok:
		return Unsupported
	case reflect.ValueOf(lw.fn).Pointer() == reflect.ValueOf(needConst).Pointer():
		return ConstantOnly
	}
	return Supported
}

// MLProgramTarget is the lowest ML Program deployment target ("iOS15"..
// "iOS18") whose MIL opset expresses the lowering of op in domain for any
// node, or "" when the op has no lowering. Some attribute values or
// dtypes may need a later target; conversion says which (Package.Needs).
func MLProgramTarget(domain, op string) string {
	return lowerers[lowererKey(domain, op)].target
}

// NeuralNetworkGap is why the NeuralNetwork backend cannot convert op in
// domain although the ML Program backend can (the NeuralNetwork
// specification version mconv writes has no layer for what its lowering
// emits), or "".
func NeuralNetworkGap(domain, op string) string {
	if MLProgramSupport(domain, op) != Supported {
		return ""
	}
	return mlProgramOnly[lowererKey(domain, op)]
}

// NeuralNetworkSupport says how the NeuralNetwork backend (.mlmodel,
// specification version 4) converts a node of op in domain: as the ML
// Program backend does, except for the ops of mlProgramOnly.
func NeuralNetworkSupport(domain, op string) OpSupport {
	s := MLProgramSupport(domain, op)
	if s == Supported && mlProgramOnly[lowererKey(domain, op)] != "" {
		return Unsupported
	}
	return s
}

// ConvertOps lists the ops the Core ML backends have a lowering for (the
// lowerers table), as [domain, op] pairs, domain "" for ai.onnx, sorted.
func ConvertOps() [][2]string {
	var out [][2]string
	for k := range lowerers {
		if op, ok := strings.CutPrefix(k, "mconv."); ok {
			out = append(out, [2]string{ir.FusedDomain, op})
		} else {
			out = append(out, [2]string{"", k})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}
