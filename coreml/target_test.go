package coreml

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestLowerersTargets: every entry of the lowerers table names a known
// target. Whether the target is right is checked against coremltools' op
// registry by tools/reference/xcheck_coreml_targets.py.
func TestLowerersTargets(t *testing.T) {
	for k, lw := range lowerers {
		if _, ok := Targets[lw.target]; !ok {
			t.Errorf("lowerers[%q]: target %q is not one of Targets", k, lw.target)
		}
		if lw.fn == nil {
			t.Errorf("lowerers[%q] has no lowering function", k)
		}
	}
	// iOS15 < iOS16 < iOS17 < iOS18, as the specification versions 6..9
	// (coreml-format.md) order them.
	order := []string{"iOS15", "iOS16", "iOS17", "iOS18"}
	for i := range order {
		for j := range order {
			if got := laterTarget(order[i], order[j]); got != (i > j) {
				t.Errorf("laterTarget(%s, %s) = %v", order[i], order[j], got)
			}
		}
	}
}

// TestZooLowestTarget: with no Options.Target the zoo models (whose MIL ops
// all exist in coremltools' iOS15 registry) are written for iOS15, MIL
// opset CoreML5, and need nothing later.
func TestZooLowestTarget(t *testing.T) {
	for name, mk := range zoo() {
		for _, fp16 := range []bool{false, true} {
			p, err := ConvertProgram(mk(), Options{FP16: fp16})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			fn := p.Spec.GetMlProgram().Functions["main"]
			if p.Target != "iOS15" || p.MinTarget != "iOS15" || len(p.Needs) != 0 || p.Spec.SpecificationVersion != 6 ||
				fn.Opset != "CoreML5" || p.Spec.Description.Metadata.UserDefined["mconv.target"] != "iOS15" {
				t.Errorf("%s fp16=%v: target %s (min %s, needs %v), spec %d, opset %s", name, fp16, p.Target, p.MinTarget,
					p.Needs, p.Spec.SpecificationVersion, fn.Opset)
			}
		}
	}
}

// withTestLowerings adds lowerings for two test-only fused ops for the
// duration of a test: TestNeed16 is a relu whose lowering records a need
// of iOS16 (as a lowering does for an attribute value), TestOp17 a relu
// whose table entry says iOS17.
func withTestLowerings(t *testing.T) {
	lowerers["mconv.TestNeed16"] = lowering{func(l *lowerer, n *ir.Node) error {
		l.need(iOS16, "test feature")
		return unary("relu")(l, n)
	}, iOS15}
	lowerers["mconv.TestOp17"] = lowering{unary("relu"), iOS17}
	t.Cleanup(func() {
		delete(lowerers, "mconv.TestNeed16")
		delete(lowerers, "mconv.TestOp17")
	})
}

func targetTestModel() *ir.Model {
	b := newBuilder(4)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 4))
	y := b.op("Relu", []*ir.Value{x})
	y.Producer.Name = "plain"
	y = b.fused("TestNeed16", []*ir.Value{y})
	y.Producer.Name = "n16"
	y = b.fused("TestOp17", []*ir.Value{y})
	y.Producer.Name = "n17"
	return b.model(y)
}

// TestTargetChosen: the written target is the latest need of the graph
// (iOS17 here), recorded with the nodes that need it; an explicit later
// target is kept; an earlier one fails naming the node and op.
func TestTargetChosen(t *testing.T) {
	withTestLowerings(t)
	want := []TargetNeed{{"n16", "mconv.TestNeed16", "iOS16", "test feature"}, {"n17", "mconv.TestOp17", "iOS17", ""}}
	for _, c := range []struct {
		target, want string
		spec         int32
		opset        string
	}{{"", "iOS17", 8, "CoreML7"}, {"iOS17", "iOS17", 8, "CoreML7"}, {"iOS18", "iOS18", 9, "CoreML8"}} {
		p, err := ConvertProgram(targetTestModel(), Options{Target: c.target})
		if err != nil {
			t.Fatalf("target %q: %v", c.target, err)
		}
		fn := p.Spec.GetMlProgram().Functions["main"]
		if p.Target != c.want || p.MinTarget != "iOS17" || !reflect.DeepEqual(p.Needs, want) ||
			p.Spec.SpecificationVersion != c.spec || fn.Opset != c.opset || fn.BlockSpecializations[c.opset] == nil ||
			p.Spec.Description.Metadata.UserDefined["mconv.target"] != c.want {
			t.Errorf("target %q: got target %s (min %s), needs %v, spec %d, opset %s", c.target, p.Target, p.MinTarget,
				p.Needs, p.Spec.SpecificationVersion, fn.Opset)
		}
	}
	for _, c := range []struct{ target, want string }{
		{"iOS16", `node "n17" (mconv.TestOp17): needs ML Program target iOS17 or later (MIL opset CoreML7), but the target is iOS16`},
		{"iOS15", `node "n16" (mconv.TestNeed16): needs ML Program target iOS16 or later (MIL opset CoreML6: test feature), but the target is iOS15 (and 1 more nodes need more than iOS15)`},
	} {
		_, err := ConvertProgram(targetTestModel(), Options{Target: c.target})
		if err == nil || err.Error() != c.want {
			t.Errorf("target %s: err = %v\nwant %s", c.target, err, c.want)
		}
	}
	if got := MLProgramTarget("mconv", "TestOp17"); got != "iOS17" {
		t.Errorf("MLProgramTarget(TestOp17) = %q", got)
	}
	if got := MLProgramTarget("", "Conv"); got != "iOS15" {
		t.Errorf("MLProgramTarget(Conv) = %q", got)
	}
	if got := MLProgramTarget("", "Hardmax"); got != "" {
		t.Errorf("MLProgramTarget(Hardmax) = %q, want empty (no lowering)", got)
	}
}

// TestNeuralNetworkGap: an op listed in mlProgramOnly is unsupported by
// the NeuralNetwork backend with its reason, and converting it fails
// naming the node, the op and the reason (here a lowering that emits
// floor, which has no NeuralNetwork layer in mconv).
func TestNeuralNetworkGap(t *testing.T) {
	lowerers["mconv.TestMLOnly"] = lowering{unary("floor"), iOS15}
	mlProgramOnly["mconv.TestMLOnly"] = "test reason"
	t.Cleanup(func() {
		delete(lowerers, "mconv.TestMLOnly")
		delete(mlProgramOnly, "mconv.TestMLOnly")
	})
	if s := NeuralNetworkSupport("mconv", "TestMLOnly"); s != Unsupported {
		t.Errorf("NeuralNetworkSupport = %v", s)
	}
	if s := MLProgramSupport("mconv", "TestMLOnly"); s != Supported {
		t.Errorf("MLProgramSupport = %v", s)
	}
	if g := NeuralNetworkGap("mconv", "TestMLOnly"); g != "test reason" {
		t.Errorf("NeuralNetworkGap = %q", g)
	}
	if g := NeuralNetworkGap("", "Conv"); g != "" {
		t.Errorf("NeuralNetworkGap(Conv) = %q", g)
	}
	b := newBuilder(5)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 4))
	y := b.fused("TestMLOnly", []*ir.Value{x})
	y.Producer.Name = "f"
	m := b.model(y)
	_, err := ConvertNeuralNetwork(m, Options{})
	want := `node "f" (TestMLOnly): NeuralNetwork specification version 4 cannot express it (test reason); convert to an ML Program (.mlpackage) instead`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err := ConvertProgram(m, Options{}); err != nil {
		t.Errorf("ML Program: %v", err)
	}
}
