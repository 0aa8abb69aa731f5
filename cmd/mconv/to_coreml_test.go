package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
)

const coremlFixture = "../../testdata/golden/mnv3_net/torchscript/deploy.onnx" // input [1,3,64,64]

// hardmaxModel is a valid ONNX model whose op (Hardmax) Core ML conversion
// does not map.
func hardmaxModel(t *testing.T, dir string) string {
	t.Helper()
	g := ir.NewGraph("g")
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 4, 4))
	n := g.AddNode("Hardmax", "hm", []*ir.Value{x}, "y")
	n.Outputs[0].Type = ir.TensorOf(ir.Float32, 1, 3, 4, 4)
	g.AddOutput(n.Outputs[0])
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	p := filepath.Join(dir, "hardmax.onnx")
	if err := onnx.Save(m, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToCoreML(t *testing.T) {
	dir := t.TempDir()
	bad := hardmaxModel(t, dir)
	// An ONNX file whose name ends in .mlmodel: -o naming it must not
	// overwrite it.
	self := filepath.Join(dir, "self.mlmodel")
	data, err := os.ReadFile(coremlFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(self, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name    string
		args    []string
		code    int
		written string // path that must exist afterwards ("" none)
		absent  string // path that must not exist afterwards
	}{
		{"ml program", []string{coremlFixture, "-o", out("a.mlpackage")}, 0, out("a.mlpackage/Manifest.json"), ""},
		{"ml program fp16 iOS17 metadata", []string{coremlFixture, "-o", out("b.mlpackage"), "--fp16", "--target", "iOS17", "--name", "net", "--author", "me", "--description", "d", "--version", "1.2"}, 0, out("b.mlpackage/Data/com.apple.CoreML/weights/weight.bin"), ""},
		{"image input", []string{coremlFixture, "-o", out("c.mlpackage"), "--image-input", "bgr", "--scale", "0.0078", "--bias", "-1,-1,-1"}, 0, out("c.mlpackage/Data/com.apple.CoreML/model.mlmodel"), ""},
		{"fused training form", []string{"../../testdata/golden/repvgg_net/torchscript/model.onnx", "-o", out("o.mlpackage"), "--fuse"}, 0, out("o.mlpackage/Manifest.json"), ""},
		{"neural network fp16", []string{coremlFixture, "-o", out("d.mlmodel"), "--fp16"}, 0, out("d.mlmodel"), ""},
		{"no output", []string{coremlFixture}, 2, "", ""},
		{"bad extension", []string{coremlFixture, "-o", out("e.onnx")}, 2, "", out("e.onnx")},
		{"bad target", []string{coremlFixture, "-o", out("f.mlpackage"), "--target", "iOS14"}, 2, "", out("f.mlpackage")},
		{"target with mlmodel", []string{coremlFixture, "-o", out("g.mlmodel"), "--target", "iOS16"}, 2, "", out("g.mlmodel")},
		{"bias without image", []string{coremlFixture, "-o", out("h.mlpackage"), "--bias", "1,2,3"}, 2, "", out("h.mlpackage")},
		{"bad bias", []string{coremlFixture, "-o", out("i.mlpackage"), "--image-input", "rgb", "--bias", "1,2"}, 2, "", out("i.mlpackage")},
		{"bad color", []string{coremlFixture, "-o", out("j.mlpackage"), "--image-input", "yuv"}, 2, "", out("j.mlpackage")},
		{"bad input shape", []string{coremlFixture, "-o", out("k.mlpackage"), "--input-shape", "input=1,3,x"}, 2, "", out("k.mlpackage")},
		{"preprocess on a non-image input", []string{"../../testdata/golden/mnv3_head/torchscript/deploy.onnx", "-o", out("p.mlpackage"), "--image-input", "rgb", "--preprocess", "imagenet"}, 1, "", out("p.mlpackage")},
		{"unsupported op", []string{bad, "-o", out("l.mlpackage")}, 1, "", out("l.mlpackage")},
		{"unsupported op nn", []string{bad, "-o", out("m.mlmodel")}, 1, "", out("m.mlmodel")},
		{"missing input", []string{out("nope.onnx"), "-o", out("n.mlpackage")}, 1, "", out("n.mlpackage")},
		{"overwrite input", []string{self, "-o", self}, 2, self, ""},
	}
	for _, c := range cases {
		if code := run(append([]string{"to-coreml"}, c.args...)); code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		}
		if c.written != "" {
			if _, err := os.Stat(c.written); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if c.absent != "" {
			if _, err := os.Stat(c.absent); err == nil {
				t.Errorf("%s: %s was written", c.name, c.absent)
			}
		}
	}
	// Nothing but our outputs and the test model in the folder: failed
	// conversions left no temporary files behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".mconv-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
	if after, _ := os.ReadFile(self); string(after) != string(data) {
		t.Errorf("the input %s was changed", self)
	}
	// --fuse collapsed RepVGG's branches: no batch_norm left, and fewer
	// convs than the training form has.
	fusedSpec, _, err := coreml.ReadPackage(out("o.mlpackage"))
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, op := range fusedSpec.GetMlProgram().Functions["main"].BlockSpecializations["CoreML5"].Operations {
		ops[op.Type]++
	}
	src, err := onnx.Load("../../testdata/golden/repvgg_net/torchscript/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	srcConvs := 0
	for _, n := range src.Graph.Nodes {
		if n.OpType == "Conv" {
			srcConvs++
		}
	}
	if ops["batch_norm"] != 0 || ops["conv"] == 0 || ops["conv"] >= srcConvs {
		t.Errorf("--fuse: %d conv and %d batch_norm ops from %d training-form convs", ops["conv"], ops["batch_norm"], srcConvs)
	}
	// The metadata flags landed in the spec.
	spec, _, err := coreml.ReadPackage(out("b.mlpackage"))
	if err != nil {
		t.Fatal(err)
	}
	md := spec.Description.Metadata
	if spec.SpecificationVersion != 8 || md.Author != "me" || md.ShortDescription != "d" || md.VersionString != "1.2" ||
		md.UserDefined["mconv.name"] != "net" || md.UserDefined["mconv.source"] != "deploy.onnx" || md.UserDefined["mconv.precision"] != "fp16" {
		t.Errorf("spec version %d, metadata %v", spec.SpecificationVersion, md)
	}
	// The metadata records mconv's version; --target iOS17 is MIL opset
	// CoreML7 (coreml-format.md: iOS15..iOS18 = CoreML5..CoreML8).
	if md.UserDefined["mconv.version"] != Version || md.UserDefined["mconv.target"] != "iOS17" {
		t.Errorf("mconv.version %q (want %q), mconv.target %q", md.UserDefined["mconv.version"], Version, md.UserDefined["mconv.target"])
	}
	if fn := spec.GetMlProgram().Functions["main"]; fn == nil || fn.Opset != "CoreML7" || fn.BlockSpecializations["CoreML7"] == nil {
		t.Errorf("--target iOS17: main function opset %q, want CoreML7", fn.GetOpset())
	}
}

// TestToCoreMLErrorText checks the messages of flag errors.
func TestToCoreMLErrorText(t *testing.T) {
	cases := []struct {
		o    toCoreMLOptions
		want string
	}{
		{toCoreMLOptions{Input: "m.onnx"}, "to-coreml needs -o OUT.mlpackage or -o OUT.mlmodel"},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.bin"}, `output "x.bin": the name must end in .mlpackage (ML Program) or .mlmodel (NeuralNetwork)`},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlmodel", Target: "iOS16"}, "--target applies to ML Programs (.mlpackage); .mlmodel files are NeuralNetwork specification version 4"},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", Target: "ios16"}, `--target "ios16": want iOS15, iOS16, iOS17 or iOS18`},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", Bias: "1,2,3"}, "--scale and --bias need --image-input rgb|bgr"},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", ImageInput: "rgb", Scale: 1, Bias: "1,a,3"}, `--bias "1,a,3": "a" is not a number`},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", Preprocess: "imagenet"}, "--preprocess needs --image-input rgb|bgr"},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", ImageInput: "rgb", Preprocess: "imagenet", Bias: "1,2,3"}, "--preprocess sets the image input's scale and bias: it excludes --scale and --bias"},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", planOpts: planOpts{InputShapes: []string{"x"}}}, `--input-shape "x": want NAME=D0,D1,...`},
		{toCoreMLOptions{Input: "m.onnx", Output: "x.mlpackage", planOpts: planOpts{InputShapes: []string{"x=1,0"}}}, `--input-shape "x=1,0": "0" is not a positive size`},
	}
	for _, c := range cases {
		_, err := c.o.coremlOptions()
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: err = %v, want %q", c.o, err, c.want)
		}
		if _, ok := err.(usageError); !ok {
			t.Errorf("%+v: not a usage error", c.o)
		}
	}
}

// TestFixCoreMLShapes: `to-coreml --fuse` fixes the input shapes Core ML
// needs (symbolic batch 1) before the passes, so that constant folding
// evaluates x.view(x.size(0), -1)'s Shape arithmetic on the batch
// dimension too: no Shape, Gather or Concat is left, and the Reshape
// target is the constant [1, 48]. Without the fixed shapes the passes
// leave the Shape chain (the control).
func TestFixCoreMLShapes(t *testing.T) {
	build := func() *ir.Model {
		g := ir.NewGraph("g")
		x := g.AddInput("x", ir.Type{DType: ir.Float32, HasShape: true, Shape: ir.Shape{{Param: "N", Size: -1}, {Size: 3}, {Size: 4}, {Size: 4}}})
		s := g.AddNode("Shape", "shape", []*ir.Value{x}, "s").Outputs[0]
		n0 := g.AddNode("Gather", "n", []*ir.Value{s, g.AddConst("zero", ir.NewInt64([]int64{1}, []int64{0}))}, "n0").Outputs[0]
		tgt := g.AddNode("Concat", "cat", []*ir.Value{n0, g.AddConst("m1", ir.NewInt64([]int64{1}, []int64{-1}))}, "tgt")
		tgt.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 0})
		y := g.AddNode("Reshape", "view", []*ir.Value{x, tgt.Outputs[0]}, "y")
		g.AddOutput(y.Outputs[0])
		m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
		if err := ir.InferShapes(m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ops := func(m *ir.Model) map[string]int {
		h := map[string]int{}
		for _, n := range m.Graph.Nodes {
			h[n.OpType]++
		}
		return h
	}
	control := build()
	if _, err := passes.Run(control, passes.Options{}); err != nil {
		t.Fatal(err)
	}
	if ops(control)["Shape"] != 1 {
		t.Fatalf("control: ops %v, want the Shape of the symbolic batch kept", ops(control))
	}
	m := build()
	if err := fixCoreMLShapes(m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := passes.Run(m, passes.Options{}); err != nil {
		t.Fatal(err)
	}
	h := ops(m)
	if h["Shape"]+h["Gather"]+h["Concat"] != 0 || len(m.Graph.Nodes) != 1 {
		t.Fatalf("ops after fixing shapes and passes: %v, want the Shape chain folded", h)
	}
	r := m.Graph.Nodes[0]
	if r.OpType != "Reshape" || !r.Inputs[1].IsConst() {
		t.Fatalf("left %s %v, want a Reshape to a constant", r.OpType, r.Inputs)
	}
	if v, _ := r.Inputs[1].Const.Int64s(); len(v) != 2 || v[0] != 1 || (v[1] != -1 && v[1] != 48) {
		t.Errorf("Reshape target %v, want [1, 48] (or [1, -1])", v)
	}
	if err := fixCoreMLShapes(build(), map[string][]int64{"x": {2, 3, 4}}); err == nil {
		t.Error("a given shape of the wrong rank was accepted")
	}
}

// The documented `to-coreml --json` keys (README, "Deploying to iPhone").
const (
	toCoreMLKeys    = "output format target min_target specification_version opset needs fp32_nodes"
	targetNeedsKeys = "node op target why"
)

// TestToCoreMLTargetReport: to-coreml says which target it wrote and why;
// the golden MobileNetV3's MIL ops all exist in coremltools' iOS15 opset
// (CoreML5, specification version 6), so that is the target chosen.
func TestToCoreMLTargetReport(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	out := filepath.Join(dir, "a.mlpackage")
	if err := (&toCoreMLOptions{Input: coremlFixture, Output: out}).run(&buf); err != nil {
		t.Fatal(err)
	}
	want := "wrote " + out + ": ML Program, target iOS15 (specification version 6, MIL opset CoreML5), the lowest ML Program target: every op of the graph exists there\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
	buf.Reset()
	if err := (&toCoreMLOptions{Input: coremlFixture, Output: out, Target: "iOS17", JSON: true}).run(&buf); err != nil {
		t.Fatal(err)
	}
	vals := checkKeys(t, "to-coreml --json", buf.Bytes(), toCoreMLKeys)
	for k, v := range map[string]string{"format": `"mlprogram"`, "target": `"iOS17"`, "min_target": `"iOS15"`,
		"specification_version": "8", "opset": `"CoreML7"`, "needs": "[]", "fp32_nodes": "[]"} {
		if string(vals[k]) != v {
			t.Errorf("to-coreml --json %s = %s, want %s", k, vals[k], v)
		}
	}
	buf.Reset()
	if err := (&toCoreMLOptions{Input: coremlFixture, Output: filepath.Join(dir, "a.mlmodel"), JSON: true}).run(&buf); err != nil {
		t.Fatal(err)
	}
	vals = checkKeys(t, "to-coreml --json (mlmodel)", buf.Bytes(), toCoreMLKeys)
	if string(vals["format"]) != `"neuralnetwork"` || string(vals["specification_version"]) != "4" || string(vals["target"]) != `""` {
		t.Errorf("to-coreml --json (mlmodel): %s", buf.String())
	}
	// A package that needed iOS17 names the nodes that forced it, not the
	// ones that needed less.
	p := &coreml.Package{Target: "iOS17", MinTarget: "iOS17", Needs: []coreml.TargetNeed{
		{Node: "a", Op: "X", Target: "iOS16", Why: "feature"}, {Node: "b", Op: "Y", Target: "iOS17"}}}
	got := targetReport("m.mlpackage", p)
	want = "wrote m.mlpackage: ML Program, target iOS17 (specification version 8, MIL opset CoreML7), the lowest that expresses the graph:\n" +
		"  node \"b\" (Y) needs iOS17\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	data, _ := json.Marshal(p.Needs[0])
	checkKeys(t, "to-coreml --json needs", data, targetNeedsKeys)
}

// TestToCoreMLFP32Region: --fp16 calibrates on random inputs from --seed
// (or on --calibration-data) and names the nodes whose values pass
// coreml.FP16SafeMax, with their max |value| computed here in float64:
// y = Relu((x*x) @ W / 1e4), W all 1e4, so the MatMul reaches 1e4 *
// sum x^2 (about 8e4 for 8 normal draws) and the Div reads it.
func TestToCoreMLFP32Region(t *testing.T) {
	g := ir.NewGraph("big")
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 8))
	w := make([]float32, 8*4)
	for i := range w {
		w[i] = 1e4
	}
	ab := g.AddNode("Mul", "sq", []*ir.Value{x, x}, "a")
	mm := g.AddNode("MatMul", "mm", []*ir.Value{ab.Outputs[0], g.AddConst("W", ir.NewFloat32([]int64{8, 4}, w))}, "big")
	dv := g.AddNode("Div", "div", []*ir.Value{mm.Outputs[0], g.AddConst("k", ir.NewFloat32(nil, []float32{1e4}))}, "small")
	y := g.AddNode("Relu", "relu", []*ir.Value{dv.Outputs[0]}, "y")
	g.AddOutput(y.Outputs[0])
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	if err := ir.InferShapes(m); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.onnx")
	if err := onnx.Save(m, path); err != nil {
		t.Fatal(err)
	}
	in, err := golden.RandomInputs(m, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	xf, _ := in["x"].Float32s()
	sum := 0.0
	for _, v := range xf {
		sum += float64(v) * float64(v)
	}
	want := 1e4 * sum
	if want <= coreml.FP16SafeMax {
		t.Fatalf("max |big| %g is within %g: the test input does not exercise the fp32 region", want, coreml.FP16SafeMax)
	}

	var buf bytes.Buffer
	o := &toCoreMLOptions{Input: path, Output: filepath.Join(dir, "b.mlpackage"), FP16: true, JSON: true, planOpts: planOpts{Threads: 1, Seed: 3}}
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	var res struct {
		FP32 []coreml.FP32Node `json:"fp32_nodes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.FP32) != 2 || res.FP32[0].Node != "mm" || res.FP32[1].Node != "div" {
		t.Fatalf("fp32_nodes %+v, want mm and div", res.FP32)
	}
	for _, n := range res.FP32 {
		if math.Abs(float64(n.MaxAbs)-want) > 1e-5*want {
			t.Errorf("%v: max |value| %g, want %g", n, n.MaxAbs, want)
		}
	}
	buf.Reset()
	o.JSON = false
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "float32 compute in 2 nodes") || !strings.Contains(buf.String(), `node "mm" (MatMul): max |value|`) {
		t.Errorf("text report:\n%s", buf.String())
	}

	// Calibrated on zeros (--calibration-data), every value fits float16.
	data := filepath.Join(dir, "zeros")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	z := ir.NewFloat32([]int64{1, 8}, make([]float32, 8))
	z.Name = "x"
	if err := onnx.WriteTensorFile(filepath.Join(data, "input_0.pb"), z); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	o.CalibrationData, o.JSON = data, true
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"fp32_nodes": []`) {
		t.Errorf("calibrated on zeros: %s", buf.String())
	}
}
