package runtime_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

// forms are the three forms of one network that runtime.Compile must reach
// the same plan from: the training-form file, the file mconv fuse writes
// (fused ops expanded back to standard ONNX, saved and loaded again) and
// the in-memory fused model (mconv-domain ops kept).
type forms struct{ training, disk, memory *ir.Model }

func loadForms(t *testing.T, path string) forms {
	t.Helper()
	train, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fused, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := passes.Run(fused, passes.Options{CheckEachPass: true}); err != nil {
		t.Fatal(err)
	}
	out := ir.CloneModel(fused)
	if err := ir.ExpandFused(out); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "fused.onnx")
	if err := onnx.Save(out, file); err != nil {
		t.Fatal(err)
	}
	disk, err := onnx.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return forms{train, disk, fused}
}

func (f forms) each(fn func(name string, m *ir.Model)) {
	fn("training-form file", f.training)
	fn("fused file from disk", f.disk)
	fn("in-memory fused model", f.memory)
}

// TestFormsCompileAlike: for every whole-network fixture of testdata/golden
// (training form, both exporters), compiling the training-form file, the
// fused file written to disk and the in-memory fused model gives the same
// steps and bit-identical outputs, which match PyTorch's stored output
// under golden.DefaultTolerance. Compile leaves its input model unchanged
// and keeps the IR's invariants after every phase (Options.CheckPhases).
func TestFormsCompileAlike(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatal(err)
	}
	nets := 0
	for _, fx := range fixtures {
		if !strings.Contains(fx.Name, "_net") {
			continue
		}
		nets++
		t.Run(fx.Name+"/"+fx.Exporter, func(t *testing.T) {
			f := loadForms(t, fx.Model)
			s, err := golden.LoadSet(fx.Sets[0])
			if err != nil {
				t.Fatal(err)
			}
			in, err := golden.BindInputs(f.training, s)
			if err != nil {
				t.Fatal(err)
			}
			opt := runtime.Options{Threads: 2, InputShapes: golden.InputShapes(in), CheckPhases: true}
			var kinds []string
			var outs map[string]*ir.Tensor
			f.each(func(name string, m *ir.Model) {
				before, err := onnx.Encode(m)
				if err != nil {
					t.Fatal(err)
				}
				p, err := runtime.Compile(m, opt)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				defer p.Close()
				if after, _ := onnx.Encode(m); !bytes.Equal(before, after) {
					t.Errorf("%s: Compile modified its input model", name)
				}
				got, err := p.Run(in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if kinds == nil {
					kinds, outs = p.StepKinds(), got
					reps, err := golden.CheckSets(m, fx.Sets, p.Run, golden.DefaultTolerance)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range reps {
						if !r.OK() {
							t.Errorf("%s vs PyTorch: %s", name, r)
						}
					}
					return
				}
				if k := p.StepKinds(); !slices.Equal(k, kinds) {
					t.Errorf("%s: steps\n%v\nwant (training-form file's)\n%v", name, k, kinds)
				}
				for o, w := range outs {
					if g := got[o]; g == nil || !bytes.Equal(g.Raw, w.Raw) {
						t.Errorf("%s: output %q differs from the training-form file's", name, o)
					}
				}
			})
		})
	}
	if nets == 0 {
		t.Fatal("no whole-network fixtures (NAME_net) in testdata/golden")
	}
}

// TestFusedFileRunsFused: a MobileNetV3 or EfficientNet fixture, fused and
// written to disk as mconv fuse writes it (SiLU as Sigmoid+Mul, SE blocks
// as ReduceMean, Conv, Relu, Conv, Sigmoid|HardSigmoid, Mul), compiles to
// a plan with no standalone Sigmoid, HardSigmoid or ReduceMean step: SiLU
// and SE are fused again. The one global pooling that is not part of an SE
// block, the classifier head's (ReduceMean in the dynamo exports,
// GlobalAveragePool in the TorchScript ones), stays a step of its own. It
// fails when testdata/golden has no such fixture.
func TestFusedFileRunsFused(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, fx := range fixtures {
		if !seNetwork(fx) {
			continue
		}
		found++
		t.Run(fx.Name+"/"+fx.Exporter, func(t *testing.T) {
			f := loadForms(t, fx.Model)
			in, err := golden.BindInputs(f.disk, mustSet(t, fx.Sets[0]))
			if err != nil {
				t.Fatal(err)
			}
			p, err := runtime.Compile(f.disk, runtime.Options{Threads: 1, InputShapes: golden.InputShapes(in), CheckPhases: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			pools := 0
			for _, k := range p.StepKinds() {
				switch k {
				case "Sigmoid", "HardSigmoid":
					t.Errorf("standalone %s step in %v", k, p.StepKinds())
				case "ReduceMean", "GlobalAveragePool":
					pools++
				}
			}
			if want := headPools(f.training); pools != want {
				t.Errorf("%d standalone global-pooling steps, want %d (the head's; SE blocks fused): %v", pools, want, p.StepKinds())
			}
		})
	}
	if found == 0 {
		t.Fatal("no MobileNetV3 or EfficientNet fixture in testdata/golden")
	}
}

// seNetwork reports whether fx is a MobileNetV3- or EfficientNet-style
// fixture (SE blocks, SiLU or HardSwish activations).
func seNetwork(fx golden.Fixture) bool {
	for _, s := range []string{fx.Name, fx.Meta.Family} {
		s = strings.ToLower(s)
		if strings.Contains(s, "mnv3") || strings.Contains(s, "mobilenetv3") || strings.Contains(s, "efficientnet") {
			return true
		}
	}
	return false
}

// headPools counts the global poolings of m that are not the squeeze of an
// SE block: those whose input no Mul reads (an SE block multiplies its
// input by the gate computed from the pooling).
func headPools(m *ir.Model) int {
	n := 0
	for _, p := range m.Graph.Nodes {
		if p.OpType != "ReduceMean" && p.OpType != "GlobalAveragePool" {
			continue
		}
		se := false
		for _, u := range p.Inputs[0].Uses {
			se = se || u.Node.OpType == "Mul"
		}
		if !se {
			n++
		}
	}
	return n
}

func mustSet(t *testing.T, dir string) *golden.Set {
	t.Helper()
	s, err := golden.LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
