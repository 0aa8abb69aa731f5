package passes

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime/engine"
)

// TestONNXTestData runs every pass on every model of the ONNX backend test
// data (node, pytorch-converted, pytorch-operator, simple, light) with
// ir.Verify after each pass, and, for every model the passes rewrote,
// checks in the Go runtime that the outputs are unchanged (fused IR and
// expanded standard-ONNX form) wherever the runtime runs the original.
func TestONNXTestData(t *testing.T) {
	root := testenv.ONNXTests(t)
	var models []string
	for _, sub := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		ms, _ := filepath.Glob(filepath.Join(root, sub, "*", "model.onnx"))
		models = append(models, ms...)
	}
	light, _ := filepath.Glob(filepath.Join(root, "light", "light_*.onnx"))
	if testing.Short() {
		t.Logf("-short: skipping the %d light/ whole networks", len(light))
	} else {
		models = append(models, light...)
	}
	if len(models) == 0 {
		t.Fatalf("no models under %s", root)
	}
	var compared, unsupported, rewritten, unchanged, frozen int
	rewrites := map[string]int{}
	for _, p := range models {
		name, _ := filepath.Rel(root, p)
		m, err := onnx.Load(p)
		if err != nil {
			continue // import errors are the importer's tests' business
		}
		if m.IRVersion < 4 {
			frozen += freezeInitializerInputs(m)
		}
		// Every pass runs on every model that loads, whether or not the
		// runtime can execute it: no error, no panic, Verify after each pass.
		fm := ir.CloneModel(m)
		_ = ir.InferShapes(fm) // best effort: passes also work without types
		rep, err := Run(fm, Options{CheckEachPass: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rep.Total() > 0 {
			rewritten++
			for _, pr := range rep.Passes {
				rewrites[pr.Name] += pr.Rewrites
			}
		}
		if err := ir.ExpandFused(ir.CloneModel(fm)); err != nil {
			t.Errorf("%s: ExpandFused: %v", name, err)
		}
		if rep.Total() == 0 {
			unchanged++
			continue // nothing rewritten: nothing to compare
		}
		inputs, err := testInputs(m, p)
		if err != nil {
			continue
		}
		ref, err := runModel(m, inputs)
		if err != nil {
			unsupported++
			continue
		}
		got, err := runModel(fm, inputs)
		if err != nil {
			t.Errorf("%s: the runtime runs the original but not the fused model: %v\n%s", name, err, rep)
			continue
		}
		if msg := compareOutputs(ref, got); msg != "" {
			t.Errorf("%s: outputs changed: %s\n%s", name, msg, rep)
		}
		if fm.Opset(ir.FusedDomain) == 0 {
			compared++
			continue // no mconv op: the expanded form is the same model
		}
		if err := ir.ExpandFused(fm); err == nil {
			if err := ir.Verify(fm); err != nil {
				t.Errorf("%s: after ExpandFused: %v", name, err)
			} else if got, err := runModel(fm, inputs); err != nil {
				t.Errorf("%s: expanded model does not run: %v", name, err)
			} else if msg := compareOutputs(ref, got); msg != "" {
				t.Errorf("%s: expanded model outputs changed: %s", name, msg)
			}
		}
		compared++
	}
	var rs []string
	for k, v := range rewrites {
		rs = append(rs, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(rs)
	t.Logf("%d models (%d old-IR models with initializer inputs frozen): passes ran on all that load, %d unchanged, %d rewritten (%s); of these %d compared in the Go runtime, %d not run by the runtime",
		len(models), frozen, unchanged, rewritten, strings.Join(rs, " "), compared, unsupported)
	if compared == 0 {
		t.Fatal("no model could be compared")
	}
}

// freezeInitializerInputs turns the graph inputs of an IR < 4 model that
// have an initializer into plain initializers. Before IR version 4 every
// initializer had to be listed as a graph input, and ONNX Runtime treats
// such inputs as constants (it lets them be overridden only from IR 4 on);
// mconv's IR keeps them overridable, so without this the passes could fold
// nothing in the ONNX zoo's old networks (light/ ResNet-50, DenseNet-121,
// Inception-v2, ShuffleNet: Conv + BatchNormalization) and the Go runtime
// comparison would not see them. Returns 1 if it froze anything.
func freezeInitializerInputs(m *ir.Model) int {
	g := m.Graph
	keep := g.Inputs[:0:0]
	n := 0
	for _, v := range g.Inputs {
		if v.Const != nil {
			v.IsInput = false
			n++
			continue
		}
		keep = append(keep, v)
	}
	g.Inputs = keep
	if n > 0 {
		return 1
	}
	return 0
}

// testInputs reads test_data_set_0/input_*.pb for node-style folders, or
// builds arange(n)/n inputs for light/ models.
func testInputs(m *ir.Model, path string) (map[string]*ir.Tensor, error) {
	in := map[string]*ir.Tensor{}
	var feeds []*ir.Value
	for _, v := range m.Graph.Inputs {
		if v.Const == nil {
			feeds = append(feeds, v)
		}
	}
	if strings.HasPrefix(filepath.Base(path), "light_") {
		for _, v := range feeds {
			if !v.Type.Static() || v.Type.DType != ir.Float32 {
				return nil, fmt.Errorf("light input %q not static float", v.Name)
			}
			n := ir.NumElements(v.Type.Shape.Sizes())
			d := make([]float32, n)
			for i := range d {
				d[i] = float32(i) / float32(n)
			}
			in[v.Name] = ir.NewFloat32(v.Type.Shape.Sizes(), d)
		}
		return in, nil
	}
	dir := filepath.Join(filepath.Dir(path), "test_data_set_0")
	for i, v := range feeds {
		f := filepath.Join(dir, fmt.Sprintf("input_%d.pb", i))
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
		t, err := onnx.ReadTensorFile(f)
		if err != nil {
			return nil, err
		}
		in[v.Name] = t
	}
	return in, nil
}

func runModel(m *ir.Model, in map[string]*ir.Tensor) (out map[string]*ir.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime panic: %v", r)
		}
	}()
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	return p.Run(in)
}

// compareOutputs returns "" when every output agrees under
// golden.DefaultTolerance (1e-4 of its largest reference magnitude, plus
// 1e-6; NaN where the reference has NaN).
func compareOutputs(ref, got map[string]*ir.Tensor) string {
	names := make([]string, 0, len(ref))
	for name := range ref {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r := golden.Compare(got[name], ref[name], golden.DefaultTolerance); !r.OK() {
			r.Name = name
			return r.String()
		}
	}
	return ""
}
