package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpGapsStated: an op that one of the tables (shape inference, runtime,
// ML Program, NeuralNetwork, cost counter) has and another lacks must have a
// reason in opGaps; a reason must not be listed for a table that has the op
// or for an op no table names.
func TestOpGapsStated(t *testing.T) {
	rows := opTable()
	byKey := map[string]*opRow{}
	for _, r := range rows {
		byKey[r.key()] = r
	}
	reasons := opGapReasons()
	seen := map[[2]string]bool{}
	for _, g := range opGaps {
		for _, op := range g.ops {
			for _, c := range g.cols {
				if seen[[2]string{op, c}] {
					t.Errorf("opGaps states %s's %s gap twice", op, c)
				}
				seen[[2]string{op, c}] = true
			}
		}
	}
	for _, r := range rows {
		any := false
		for _, c := range gapCols {
			any = any || r.has(c)
		}
		for _, c := range gapCols {
			why := reasons[r.key()][c]
			switch {
			case !r.has(c) && any && why == "":
				var in []string
				for _, o := range gapCols {
					if r.has(o) {
						in = append(in, o)
					}
				}
				t.Errorf("%s is in %v but not in %s, and opGaps gives no reason (add one, or add the op to %s)", r.key(), in, c, c)
			case r.has(c) && why != "":
				t.Errorf("opGaps says %s is missing from %s (%q), but %s has it: remove the stale reason", r.key(), c, why, c)
			}
		}
		if r.ConstantFold && !r.Runtime {
			t.Errorf("%s is constant-folded but has no runtime kernel (folding evaluates with the runtime's op table)", r.key())
		}
	}
	for op, cols := range reasons {
		if byKey[op] == nil {
			t.Errorf("opGaps gives reasons for %s (%v), which no table names", op, cols)
		}
		for c := range cols {
			if !slices.Contains(gapCols, c) {
				t.Errorf("opGaps: %s: unknown column %q", op, c)
			}
		}
	}
}

// The documented `mconv ops --json` value keys (README, "Op support").
const opsValueKeys = "domain shape runtime constant_fold mlprogram mlprogram_target neuralnetwork coreml_constant_only stats passes missing"

func TestOpsJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := (&opsOptions{JSON: true}).run(&buf); err != nil {
		t.Fatal(err)
	}
	_, vals := objectKeys(t, buf.Bytes())
	if len(vals) < 100 {
		t.Fatalf("ops --json has %d ops; the runtime alone implements more than 100", len(vals))
	}
	for _, op := range []string{"Conv", "Gather", "mconv.SqueezeExcite"} {
		raw, ok := vals[op]
		if !ok {
			t.Fatalf("ops --json has no key %q", op)
		}
		checkKeys(t, "ops --json "+op, raw, opsValueKeys)
	}
	type row struct {
		Domain                                          string
		Shape, Runtime, MLProgram, NeuralNetwork, Stats bool
		ConstantFold                                    bool   `json:"constant_fold"`
		CoreMLConstantOnly                              bool   `json:"coreml_constant_only"`
		MLProgramTarget                                 string `json:"mlprogram_target"`
		Passes                                          []string
		Missing                                         map[string]string
	}
	get := func(op string) row {
		t.Helper()
		var r row
		if err := json.Unmarshal(vals[op], &r); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return r
	}
	// Expected values from what the README and the ONNX spec say of these
	// ops, not from the tables.
	conv := get("Conv")
	// conv is in coremltools' iOS15 op registry (defs/iOS15/conv.py), the
	// first ML Program opset.
	if !(conv.Shape && conv.Runtime && conv.MLProgram && conv.NeuralNetwork && conv.Stats) || conv.ConstantFold || conv.Domain != "ai.onnx" ||
		conv.MLProgramTarget != "iOS15" {
		t.Errorf("Conv: %+v, want supported everywhere but constant folding", conv)
	}
	for _, p := range []string{"pad-fold", "conv-bn-fold", "branch-collapse", "se-fuse"} {
		if !slices.Contains(conv.Passes, p) {
			t.Errorf("Conv passes %v lack %s", conv.Passes, p)
		}
	}
	// TopK runs in the runtime but has no Core ML lowering.
	if tk := get("TopK"); !tk.Runtime || tk.MLProgram || tk.NeuralNetwork || tk.Missing["mlprogram"] == "" || tk.MLProgramTarget != "" {
		t.Errorf("TopK: %+v, want runtime only, with the Core ML gap stated", tk)
	}
	// ConstantOfShape converts to Core ML only on constant inputs; so does
	// Sqrt, which has no lowering but is folded (a scale from a Shape).
	for _, op := range []string{"ConstantOfShape", "Sqrt"} {
		if g := get(op); !g.CoreMLConstantOnly || g.MLProgram || !g.ConstantFold || !g.Runtime {
			t.Errorf("%s: %+v", op, g)
		}
	}
	// Gather with constant indices converts on computed data too.
	if g := get("Gather"); g.CoreMLConstantOnly || !g.MLProgram || !g.NeuralNetwork {
		t.Errorf("Gather: %+v", g)
	}
	// NonMaxSuppression: data-dependent output shape, nowhere but shape inference.
	if n := get("NonMaxSuppression"); n.Runtime || n.MLProgram || n.NeuralNetwork || n.Missing["runtime"] == "" {
		t.Errorf("NonMaxSuppression: %+v", n)
	}
	if se := get("mconv.SqueezeExcite"); se.Domain != "mconv" || !se.Runtime || !se.MLProgram || !se.Stats {
		t.Errorf("mconv.SqueezeExcite: %+v", se)
	}
	if bn := get("BatchNormalization"); !slices.Contains(bn.Passes, "conv-bn-fold") || !slices.Contains(bn.Passes, "bn-to-affine") {
		t.Errorf("BatchNormalization passes %v", bn.Passes)
	}
}

func TestOpsText(t *testing.T) {
	var buf bytes.Buffer
	if err := (&opsOptions{}).run(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"columns:", "DOMAIN", "MLPROGRAM", "TARGET", "const (Core ML"} {
		if !strings.Contains(out, want) {
			t.Errorf("ops output lacks %q", want)
		}
	}
	var conv []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "ai.onnx" && f[1] == "Conv" {
			conv = f
		}
	}
	if len(conv) < 10 || strings.Join(conv[2:9], " ") != "yes yes - yes iOS15 yes yes" {
		t.Errorf("Conv row %q, want yes in every column but fold, target iOS15", conv)
	}
	if code := run([]string{"ops", "extra"}); code != 2 {
		t.Errorf("mconv ops extra: exit %d, want 2", code)
	}
}
