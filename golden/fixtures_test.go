package golden

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// opHistogram counts node op types the way meta.json does ("domain.Op" for
// non-default domains).
func opHistogram(g *ir.Graph) map[string]int {
	h := map[string]int{}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			op = n.Domain + "." + op
		}
		h[op]++
	}
	return h
}

// TestFixtures: every committed fixture (both the training form and the
// deploy form) imports, verifies, round-trips through Encode/Decode to the
// same IR, its data sets bind to the model's inputs and outputs, and the
// graph matches what meta.json recorded at export time (op histogram,
// opset, input/output names and shapes).
func TestFixtures(t *testing.T) {
	fixtures, err := LoadFixtures(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) < 40 {
		t.Errorf("only %d fixtures (want >= 20 networks x 2 exporters)", len(fixtures))
	}
	networks := map[string]bool{}
	exporters := map[string]int{}
	families := map[string]bool{}
	for _, f := range fixtures {
		networks[f.Name] = true
		exporters[f.Exporter]++
		families[f.Meta.Family] = true
		checkMeta(t, f)
		for _, file := range []struct {
			path string
			sets []string
		}{{f.Model, f.Sets}, {f.Deploy, f.DeploySets}} {
			rel, _ := filepath.Rel(Dir(), file.path)
			t.Run(rel, func(t *testing.T) {
				checkFixtureFile(t, f, file.path, file.sets)
			})
		}
	}
	if len(networks) < 20 {
		t.Errorf("%d networks, want >= 20", len(networks))
	}
	if exporters["torchscript"] != len(networks) || exporters["dynamo"] != len(networks) {
		t.Errorf("exporters %v for %d networks: want both exporters for each", exporters, len(networks))
	}
	for _, fam := range []string{"mobileone", "repvgg", "repvit", "fastvit", "mobilenetv3", "shufflenetv2", "acnet"} {
		if !families[fam] {
			t.Errorf("no fixture of family %s", fam)
		}
	}
}

// wantOpset is the opset each exporter is run with (export_fixtures.py).
var wantOpset = map[string]int64{"torchscript": 17, "dynamo": 18}

// checkMeta: meta.json records what the issue asks for: torch and timm
// versions, the block classes, the exporter (matching the folder) and its
// opset; the timm families are built from timm's own classes.
func checkMeta(t *testing.T, f Fixture) {
	t.Helper()
	where := f.Name + "/" + f.Exporter + "/meta.json"
	if f.Meta.Name != f.Name || f.Meta.Exporter != f.Exporter {
		t.Errorf("%s: name %q exporter %q do not match the folder", where, f.Meta.Name, f.Meta.Exporter)
	}
	if want, ok := wantOpset[f.Exporter]; !ok || f.Meta.Opset != want {
		t.Errorf("%s: exporter %q with opset %d, want torchscript/17 or dynamo/18", where, f.Exporter, f.Meta.Opset)
	}
	for _, k := range []string{"torch", "timm", "onnx"} {
		if f.Meta.Versions[k] == "" {
			t.Errorf("%s: no %s version", where, k)
		}
	}
	if len(f.Meta.Blocks) == 0 {
		t.Errorf("%s: no block classes recorded", where)
	}
	switch {
	case f.Name == "mnv3_head": // MobileNetV3's head is plain torch (pool, conv, HardSwish, view, Linear)
	case f.Meta.Family == "mobileone", f.Meta.Family == "repvgg", f.Meta.Family == "repvit", f.Meta.Family == "fastvit", f.Meta.Family == "mobilenetv3":
		timmBlock := false
		for _, b := range f.Meta.Blocks {
			if strings.HasPrefix(b, "timm.models.") {
				timmBlock = true
			}
		}
		if !timmBlock {
			t.Errorf("%s: family %s built without any timm.models block class: %v", where, f.Meta.Family, f.Meta.Blocks)
		}
	}
	for _, file := range []string{"model.onnx", "deploy.onnx"} {
		if fm, ok := f.Meta.Files[file]; !ok || len(fm.OpHistogram) == 0 {
			t.Errorf("%s: no op histogram for %s", where, file)
		}
	}
}

// TestFixtureSizes: the fixtures stay small enough to commit: each ONNX
// file well under 1 MB, the whole testdata/golden under 20 MB.
func TestFixtureSizes(t *testing.T) {
	var total int64
	err := filepath.WalkDir(Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if strings.HasSuffix(p, ".onnx") && info.Size() >= 1<<20 {
			t.Errorf("%s: %d bytes, want under 1 MB", p, info.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total >= 20<<20 {
		t.Errorf("testdata/golden holds %d bytes, want under 20 MB", total)
	}
}

func checkFixtureFile(t *testing.T, f Fixture, path string, sets []string) {
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatalf("verify: %v", err)
	}
	meta, ok := f.Meta.Files[filepath.Base(path)]
	if !ok {
		t.Fatalf("meta.json has no entry for %s", filepath.Base(path))
	}
	if got := m.Opset(""); got != f.Meta.Opset {
		t.Errorf("opset %d, meta.json says %d", got, f.Meta.Opset)
	}
	if h := opHistogram(m.Graph); !reflect.DeepEqual(h, meta.OpHistogram) {
		t.Errorf("op histogram %v, meta.json says %v", h, meta.OpHistogram)
	}
	if meta.Form == "deploy" && meta.OpHistogram["BatchNormalization"] != 0 {
		t.Errorf("deploy form still has %d BatchNormalization nodes", meta.OpHistogram["BatchNormalization"])
	}
	if meta.Form == "training" && f.Name != "mnv3_head" && meta.OpHistogram["BatchNormalization"] == 0 {
		t.Errorf("training form has no BatchNormalization node")
	}

	// round trip: Encode -> Decode gives the same IR
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	m2, err := onnx.Decode(data, path, filepath.Dir(path))
	if err != nil {
		t.Fatalf("decode of the encoded model: %v", err)
	}
	if a, b := ir.Dump(m.Graph), ir.Dump(m2.Graph); a != b {
		t.Errorf("round trip changed the graph:\n%s", firstDiff(a, b))
	}

	// data sets bind to the graph's inputs and outputs
	if len(sets) == 0 {
		t.Fatal("no data set")
	}
	if got, want := sets, meta.DataSets; len(got) != len(want) || filepath.Base(got[0]) != want[0] {
		t.Errorf("data sets %v, meta.json says %v", got, want)
	}
	for _, sd := range sets {
		s, err := LoadSet(sd)
		if err != nil {
			t.Fatal(err)
		}
		in, err := BindInputs(m, s)
		if err != nil {
			t.Fatal(err)
		}
		x := in[meta.Input]
		if x == nil {
			t.Fatalf("input %q (meta.json) not bound: %v", meta.Input, keys(in))
		}
		if !reflect.DeepEqual(x.Dims, f.Meta.InputShape) || x.DType != ir.Float32 {
			t.Errorf("input %s%v, meta.json says float32%v", x.DType, x.Dims, f.Meta.InputShape)
		}
		out, err := BindOutputs(m, s)
		if err != nil {
			t.Fatal(err)
		}
		y := out[meta.Output]
		if y == nil {
			t.Fatalf("output %q (meta.json) not bound: %v", meta.Output, keys(out))
		}
		if !reflect.DeepEqual(y.Dims, f.Meta.OutputShape) {
			t.Errorf("output shape %v, meta.json says %v", y.Dims, f.Meta.OutputShape)
		}
		vals, err := y.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		// the expected output is a real one: finite, not all zero
		nonzero := 0
		for _, v := range vals {
			if v != v || v > 1e30 || v < -1e30 {
				t.Fatalf("non-finite expected output value %v", v)
			}
			if v != 0 {
				nonzero++
			}
		}
		if nonzero < len(vals)/4 { // ReLU outputs are about half zeros
			t.Errorf("expected output has only %d non-zero values of %d", nonzero, len(vals))
		}
	}
}

// TestFixtureTrainDeployOutputs: the stored PyTorch outputs of the training
// and deploy forms of each network agree (same function), and the input is
// the same, so a test may compare either model against either output.
func TestFixtureTrainDeployOutputs(t *testing.T) {
	fixtures, err := LoadFixtures(Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		t.Run(f.Name+"/"+f.Exporter, func(t *testing.T) {
			train, err := LoadSet(f.Sets[0])
			if err != nil {
				t.Fatal(err)
			}
			dep, err := LoadSet(f.DeploySets[0])
			if err != nil {
				t.Fatal(err)
			}
			if string(train.Inputs[0].Raw) != string(dep.Inputs[0].Raw) {
				t.Error("training and deploy data sets have different inputs")
			}
			if r := Compare(dep.Outputs[0], train.Outputs[0], DefaultTolerance); !r.OK() {
				t.Errorf("deploy vs training output: %s", r)
			}
		})
	}
}

func keys(m map[string]*ir.Tensor) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstDiff(a, b string) string {
	la, lb := splitLines(a), splitLines(b)
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(no difference)"
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// TestFullModels: the full-size timm exports of export_fixtures.py --full
// (git-ignored; MCONV_FULL_MODELS names the folder, skipped without it)
// import, verify, round-trip and bind their data sets like the fixtures.
func TestFullModels(t *testing.T) {
	root := testenv.FullModels(t)
	models, err := filepath.Glob(filepath.Join(root, "*", "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(models) == 0 {
		t.Fatalf("%s: no NAME/*.onnx files", root)
	}
	for _, path := range models {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m); err != nil {
				t.Fatalf("verify: %v", err)
			}
			data, err := onnx.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := onnx.Decode(data, path, filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := ir.Dump(m.Graph), ir.Dump(m2.Graph); a != b {
				t.Errorf("round trip changed the graph:\n%s", firstDiff(a, b))
			}
			sets, err := SetsFor(path)
			if err != nil || len(sets) == 0 {
				t.Fatalf("no data set: %v", err)
			}
			s, err := LoadSet(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := BindInputs(m, s); err != nil {
				t.Fatal(err)
			}
			if _, err := BindOutputs(m, s); err != nil {
				t.Fatal(err)
			}
		})
	}
}
