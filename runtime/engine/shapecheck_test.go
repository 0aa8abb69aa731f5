package engine

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestMain turns on the planned-shape check (checkShapes) for every test
// of the package: each Compile then fails on a node whose planned output
// type differs from its ir shape function's.
func TestMain(m *testing.M) {
	checkShapes = true
	os.Exit(m.Run())
}

// validCeilPool is op with kernel 2, stride 2, auto_pad VALID and
// ceil_mode 1 over a [1,1,5,5] input.
func validCeilPool(op string) *ir.Model {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 1, 5, 5))
	n := g.AddNode(op, "pool", []*ir.Value{x}, "y")
	n.SetAttr(&ir.Attr{Name: "kernel_shape", Type: ir.AttrInts, Ints: []int64{2, 2}})
	n.SetAttr(&ir.Attr{Name: "strides", Type: ir.AttrInts, Ints: []int64{2, 2}})
	n.SetAttr(&ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte("VALID")})
	n.SetAttr(&ir.Attr{Name: "ceil_mode", Type: ir.AttrInt, I: 1})
	g.AddOutput(n.Outputs[0])
	return m
}

// TestValidCeilPool pins MaxPool and AveragePool with auto_pad VALID and
// ceil_mode 1 to ONNX Runtime 1.32.0 (x = arange(25) as [1,1,5,5]): the
// output is [1,1,3,3] (ceil_mode applies under VALID), in the plan and in
// ir's shape inference.
func TestValidCeilPool(t *testing.T) {
	for op, want := range map[string][]float32{
		"MaxPool":     {6, 8, 9, 16, 18, 19, 21, 23, 24},
		"AveragePool": {3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24},
	} {
		m := validCeilPool(op)
		if err := ir.InferShapes(m); err != nil {
			t.Fatal(err)
		}
		if got := m.Graph.Outputs[0].Type.Shape.Sizes(); !slices.Equal(got, []int64{1, 1, 3, 3}) {
			t.Errorf("%s: ir infers %v, ONNX Runtime gives [1 1 3 3]", op, got)
		}
		xv := make([]float32, 25)
		for i := range xv {
			xv[i] = float32(i)
		}
		out, err := mustCompile(t, m, Options{Threads: 1}).Run(map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{1, 1, 5, 5}, xv)})
		if err != nil {
			t.Fatal(err)
		}
		y := out["y"]
		if !slices.Equal(y.Dims, []int64{1, 1, 3, 3}) {
			t.Fatalf("%s: output %v, ONNX Runtime gives [1 1 3 3]", op, y.Dims)
		}
		got, _ := y.Float32s()
		maxDiff(t, got, want, 0, 0)
	}
}

// TestShapeCheckCatchesDisagreement: with MaxPool's ir shape function
// replaced by one that ignores ceil_mode under VALID (the rule ir had
// before WindowAxis), the planned-shape check fails Compile, naming the
// node and op.
func TestShapeCheckCatchesDisagreement(t *testing.T) {
	orig := ir.LookupShapeFunc("", "MaxPool")
	t.Cleanup(func() { ir.RegisterShapeFunc("", "MaxPool", orig) })
	ir.RegisterShapeFunc("", "MaxPool", func(n *ir.Node, opset int64) error {
		in := n.Inputs[0].Type.Shape.Sizes()
		out := []int64{in[0], in[1]}
		for _, d := range in[2:] {
			out = append(out, (d-2)/2+1) // floor: ceil_mode ignored
		}
		n.Outputs[0].Type = ir.TensorOf(ir.Float32, out...)
		return nil
	})
	_, err := Compile(validCeilPool("MaxPool"), Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), `node "pool" (MaxPool)`) || !strings.Contains(err.Error(), "shape check") {
		t.Fatalf("Compile: %v, want a shape check error naming node \"pool\" (MaxPool)", err)
	}
}

// noShapeFunc lists the ops of the op table that have no ir shape function,
// each with the reason; the planned-shape check cannot cover them.
var noShapeFunc = map[string]string{}

// TestEveryOpHasShapeFunc: every op the engine plans has an ir shape
// function (so checkShapes covers it), unless noShapeFunc says why not.
func TestEveryOpHasShapeFunc(t *testing.T) {
	for _, k := range SupportedOps() {
		domain, op, _ := strings.Cut(k, "::")
		has := ir.LookupShapeFunc(domain, op) != nil
		reason, listed := noShapeFunc[k]
		switch {
		case !has && !listed:
			t.Errorf("%s has a runtime kernel but no ir shape function", k)
		case has && listed:
			t.Errorf("%s is listed in noShapeFunc (%s) but has a shape function", k, reason)
		}
	}
}
