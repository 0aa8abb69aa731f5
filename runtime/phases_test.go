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
	"github.com/mconv/mconv/runtime/engine"
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
				case "Sigmoid", "HardSigmoid", "ReduceMean":
					t.Errorf("standalone %s step in %v", k, p.StepKinds())
				case "GlobalAveragePool":
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

// runOpByOp runs m as written, node by node (engine.Compile alone: no
// graph passes, no lowering), the reference of the fused forms.
func runOpByOp(t *testing.T, m *ir.Model, in map[string]*ir.Tensor) map[string]*ir.Tensor {
	t.Helper()
	p, err := engine.Compile(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustSet(t *testing.T, dir string) *golden.Set {
	t.Helper()
	s, err := golden.LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// efficientNetBlock builds an EfficientNet MBConv block as PyTorch exports
// it (opset 17): 1x1 expand Conv + SiLU, depthwise 3x3 Conv + SiLU, SE
// (ReduceMean, 1x1 Conv, SiLU, 1x1 Conv, Sigmoid, Mul), 1x1 project Conv,
// residual Add; SiLU as x * Sigmoid(x).
func efficientNetBlock() *ir.Model {
	const C, E, R, H, W = 8, 16, 4, 6, 5
	g := ir.NewGraph("mbconv")
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	seed := uint32(7)
	w := func(name string, dims ...int64) *ir.Value {
		n := ir.NumElements(dims)
		v := make([]float32, n)
		for i := range v {
			seed = seed*1664525 + 1013904223
			v[i] = (float32(seed>>8)/float32(1<<24) - 0.5) / 2
		}
		return g.AddConst(name, ir.NewFloat32(dims, v))
	}
	silu := func(name string, x *ir.Value) *ir.Value {
		s := g.AddNode("Sigmoid", name+"_sig", []*ir.Value{x}, name+"_sig_y").Outputs[0]
		return g.AddNode("Mul", name+"_mul", []*ir.Value{x, s}, name+"_y").Outputs[0]
	}
	conv := func(name string, x *ir.Value, out, in, k, group int64) *ir.Value {
		c := g.AddNode("Conv", name, []*ir.Value{x, w(name+"_w", out, in, k, k), w(name+"_b", out)}, name+"_y")
		if k == 3 {
			c.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
		}
		if group > 1 {
			c.SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: group})
		}
		return c.Outputs[0]
	}
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
	y := silu("act1", conv("expand", x, E, C, 1, 1))
	y = silu("act2", conv("dw", y, E, 1, 3, E))
	pool := g.AddNode("ReduceMean", "se_pool", []*ir.Value{y}, "se_pool_y")
	pool.SetAttr(&ir.Attr{Name: "axes", Type: ir.AttrInts, Ints: []int64{2, 3}})
	pool.SetAttr(&ir.Attr{Name: "keepdims", Type: ir.AttrInt, I: 1})
	h := silu("se_act", conv("se_reduce", pool.Outputs[0], R, E, 1, 1))
	gate := g.AddNode("Sigmoid", "se_gate", []*ir.Value{conv("se_expand", h, E, R, 1, 1)}, "se_gate_y").Outputs[0]
	y = g.AddNode("Mul", "se_mul", []*ir.Value{y, gate}, "se_y").Outputs[0]
	y = conv("project", y, C, E, 1, 1)
	g.AddOutput(g.AddNode("Add", "residual", []*ir.Value{y, x}, "y").Outputs[0])
	return m
}

// TestEfficientNetBlockFusedFile: an EfficientNet MBConv block, fused and
// written to disk, compiles with no standalone Sigmoid or ReduceMean step
// (SiLU re-fused into the convolutions, the SE block with its SiLU into
// mconv.SqueezeExcite, the residual Add into the project Conv), and
// computes what the training form computes op by op (engine.Compile plans
// the unfused graph node by node).
func TestEfficientNetBlockFusedFile(t *testing.T) {
	m := efficientNetBlock()
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "block.onnx")
	if err := onnx.Save(m, file); err != nil {
		t.Fatal(err)
	}
	f := loadForms(t, file)
	xv := make([]float32, 8*6*5)
	for i := range xv {
		xv[i] = float32(i%13)/6 - 1
	}
	in := map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{1, 8, 6, 5}, xv)}
	want := runOpByOp(t, m, in)
	p, err := runtime.Compile(f.disk, runtime.Options{Threads: 1, CheckPhases: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	kinds := p.StepKinds()
	if w := []string{"mconv.FusedConv", "mconv.FusedConv", "mconv.SqueezeExcite", "mconv.FusedConv"}; !slices.Equal(kinds, w) {
		t.Errorf("steps %v, want %v", kinds, w)
	}
	got, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if r := golden.Compare(got["y"], want["y"], golden.DefaultTolerance); !r.OK() {
		t.Errorf("fused file vs training form op by op: %s", r)
	}
	// Profile times each step under its node; a fused node keeps the name
	// of the Conv it extends (what mconv bench --profile joins layers by).
	times, err := p.Profile(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, nt := range times {
		names = append(names, nt.Node.Name)
	}
	if len(names) != 4 || names[0] != "expand" || names[1] != "dw" || names[3] != "project" {
		t.Errorf("profiled steps %v, want expand, dw, the SE node, project", names)
	}
	// Options.Passes {"none"} runs the model as written (mconv fuse's
	// check): SiLU and SE stay unfused (the lowering still names the SE's
	// spatial mean a GlobalAveragePool).
	q, err := runtime.Compile(m, runtime.Options{Threads: 1, Passes: []string{"none"}, CheckPhases: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if k := q.StepKinds(); !slices.Contains(k, "Sigmoid") || !slices.Contains(k, "GlobalAveragePool") {
		t.Errorf("without graph passes: steps %v, want the Sigmoid and (lowered) ReduceMean steps of the file", k)
	}
}

// TestHardSwishOpset13FusedFile: at opset 13 (no ai.onnx HardSwish),
// MobileNetV3's HardSwish is exported as x * HardSigmoid(x){1/6, 1/2}; the
// passes fuse it into mconv.HardSwish, the fused file writes the pair back,
// and compiling that file fuses it again into the Conv before it: no
// HardSigmoid step, and the output of the training form.
func TestHardSwishOpset13FusedFile(t *testing.T) {
	g := ir.NewGraph("hswish")
	m := &ir.Model{IRVersion: 7, Opsets: []ir.OpsetImport{{Domain: "", Version: 13}}, Graph: g}
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 4, 4))
	wv := make([]float32, 6*3*3*3)
	for i := range wv {
		wv[i] = float32(i%7)/3 - 1
	}
	c := g.AddNode("Conv", "conv", []*ir.Value{x, g.AddConst("w", ir.NewFloat32([]int64{6, 3, 3, 3}, wv))}, "c").Outputs[0]
	hs := g.AddNode("HardSigmoid", "hsig", []*ir.Value{c}, "hs")
	hs.SetAttr(&ir.Attr{Name: "alpha", Type: ir.AttrFloat, F: 1.0 / 6})
	hs.SetAttr(&ir.Attr{Name: "beta", Type: ir.AttrFloat, F: 0.5})
	g.AddOutput(g.AddNode("Mul", "mul", []*ir.Value{c, hs.Outputs[0]}, "y").Outputs[0])
	file := filepath.Join(t.TempDir(), "hswish.onnx")
	if err := onnx.Save(m, file); err != nil {
		t.Fatal(err)
	}
	f := loadForms(t, file)
	xv := make([]float32, 3*4*4)
	for i := range xv {
		xv[i] = float32(i%11) - 5
	}
	in := map[string]*ir.Tensor{"x": ir.NewFloat32([]int64{1, 3, 4, 4}, xv)}
	want := runOpByOp(t, m, in)
	f.each(func(name string, fm *ir.Model) {
		p, err := runtime.Compile(fm, runtime.Options{Threads: 1, CheckPhases: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer p.Close()
		if k := p.StepKinds(); !slices.Equal(k, []string{"mconv.FusedConv"}) {
			t.Errorf("%s: steps %v, want one mconv.FusedConv", name, k)
		}
		got, err := p.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		if r := golden.Compare(got["y"], want["y"], golden.DefaultTolerance); !r.OK() {
			t.Errorf("%s vs the training form op by op: %s", name, r)
		}
	})
}
