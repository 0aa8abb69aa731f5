package passes

import (
	"slices"
	"sort"

	"github.com/mconv/mconv/runtime/engine"
)

// passOps lists, per pass, the op types (ai.onnx domain) its pattern
// matches: the ops whose nodes it reads as part of a pattern it rewrites or
// removes. It is written out from each pass's matcher (the isOp, producedBy
// and OpType comparisons its code reaches); TestPassOpsMatchCode re-derives
// it from the source and fails when the two disagree. constant-fold is not
// listed: its ops are those ConstantFoldable accepts. dce is not listed: it
// removes any node whose outputs nothing reads, whatever its op.
var passOps = map[string][]string{
	"identity-elim":   {"Dropout", "Identity"},
	"reshape-canon":   {"Flatten", "Reshape"},
	"pad-fold":        {"AveragePool", "Conv", "MaxPool", "Pad"},
	"conv-bn-fold":    {"BatchNormalization", "Conv"},
	"branch-collapse": {"Add", "BatchNormalization", "Conv", "Div", "Mul", "Sub", "Sum"},
	"gemm-bn-fold":    {"BatchNormalization", "Gemm"},
	"gemm-collapse":   {"Add", "BatchNormalization", "Div", "Gemm", "MatMul", "Mul", "Sub"},
	"bn-to-affine":    {"BatchNormalization"},
	"se-fuse":         {"AveragePool", "Conv", "Flatten", "Gemm", "GlobalAveragePool", "HardSigmoid", "Mul", "ReduceMean", "Relu", "Reshape", "Sigmoid"},
	"act-fuse":        {"Add", "Div", "Erf", "HardSigmoid", "Mul", "Sigmoid"},
}

// allOpPasses are the passes that apply to nodes of every op type (so
// passOps does not list them).
var allOpPasses = map[string]string{
	"dce": "removes any node no graph output depends on",
}

// foldByName are the ops constant folding evaluates by their own rule, not
// only when every input is constant: Constant (its attribute), Shape (of a
// static shape) and CastLike (of a constant, whatever the dtype input).
var foldByName = []string{"CastLike", "Constant", "Shape"}

// foldEvaluates reports whether constant folding computes an ai.onnx op
// over constant inputs (with engine.Eval; engine.Folded is the list).
var foldEvaluates = engine.Folded

// ConstantFoldable reports whether the constant-fold pass replaces a node of
// op in domain by its value (when its inputs are constant, or for Constant,
// Shape and CastLike by their own rules). Only ai.onnx ops are folded.
func ConstantFoldable(domain, op string) bool {
	if domain != "" && domain != "ai.onnx" {
		return false
	}
	return slices.Contains(foldByName, op) || foldEvaluates(op)
}

// PassesFor lists, in pipeline order, the passes whose pattern matches a
// node of op in domain: constant-fold when ConstantFoldable, the passes of
// passOps, and the passes that apply to every op (dce).
func PassesFor(domain, op string) []string {
	var out []string
	for _, p := range pipeline {
		switch {
		case p.name == "constant-fold":
			if ConstantFoldable(domain, op) {
				out = append(out, p.name)
			}
		case allOpPasses[p.name] != "":
			out = append(out, p.name)
		case (domain == "" || domain == "ai.onnx") && slices.Contains(passOps[p.name], op):
			out = append(out, p.name)
		}
	}
	return out
}

// PassOps lists the ops (ai.onnx domain) some pass other than dce names in
// its pattern, constant folding's included, sorted: the rows `mconv ops`
// adds for the passes.
func PassOps() []string {
	seen := map[string]bool{}
	var out []string
	add := func(op string) {
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	for _, ops := range passOps {
		for _, op := range ops {
			add(op)
		}
	}
	for _, op := range foldByName {
		add(op)
	}
	for _, op := range engine.FoldedOps() {
		add(op)
	}
	sort.Strings(out)
	return out
}

// AllOpPasses lists the passes that apply to every op, with what they do.
func AllOpPasses() map[string]string {
	out := map[string]string{}
	for k, v := range allOpPasses {
		out[k] = v
	}
	return out
}
