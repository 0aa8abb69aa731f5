package coreml

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

// Tolerances of the Core ML round trip against the source model's stored
// outputs (PyTorch's, in the golden fixtures): fp32 1e-4 of the output
// scale; fp16 weights 2e-2 of it.
var (
	tolFP32 = golden.Tolerance{RTol: 1e-4, ATol: 1e-6}
	tolFP16 = golden.Tolerance{RTol: 2e-2, ATol: 1e-6}
)

// logWorst logs each comparison's error relative to the output scale
// (full-size models only, to keep the log short).
var logWorst bool

// roundTrip converts m to the format, reads it back (fp16 weights widened
// to float32) and returns the read-back model.
func roundTrip(m *ir.Model, format string, fp16 bool, shapes map[string][]int64) (*ir.Model, error) {
	if format == "mlprogram" {
		p, err := ConvertProgram(ir.CloneModel(m), Options{FP16: fp16, InputShapes: shapes})
		if err != nil {
			return nil, err
		}
		data, err := marshal(p.Spec)
		if err != nil {
			return nil, err
		}
		spec, err := decodeSpec(data)
		if err != nil {
			return nil, err
		}
		return ProgramToIR(spec, p.Weights, ReadOptions{Float32: true})
	}
	s, err := ConvertNeuralNetwork(ir.CloneModel(m), Options{FP16: fp16, InputShapes: shapes})
	if err != nil {
		return nil, err
	}
	data, err := marshal(s)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec(data)
	if err != nil {
		return nil, err
	}
	return NeuralNetworkToIR(spec, ReadOptions{Float32: true})
}

// writeOut writes the four Core ML files of m into MCONV_COREML_OUT when
// it is set (tools/reference/xcheck_coreml.py checks them with coremltools).
func writeOut(t *testing.T, label string, m *ir.Model) {
	t.Helper()
	dir := os.Getenv("MCONV_COREML_OUT")
	if dir == "" {
		return
	}
	base := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_", ".onnx", "").Replace(label))
	for _, fp16 := range []bool{false, true} {
		prec := map[bool]string{false: "_fp32", true: "_fp16"}[fp16]
		p, err := ConvertProgram(ir.CloneModel(m), Options{FP16: fp16})
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		if err := WritePackage(p, base+prec+".mlpackage"); err != nil {
			t.Fatal(err)
		}
		s, err := ConvertNeuralNetwork(ir.CloneModel(m), Options{FP16: fp16})
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		if err := WriteModelFile(s, base+prec+".mlmodel"); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRoundTrip runs every Core ML round trip of m in the Go runtime on
// the data sets and compares with their stored outputs. Core ML shapes are
// static: each set's input shapes (a batch of 2, say) are given to the
// converter.
func checkRoundTrip(t *testing.T, label string, m *ir.Model, sets []string) {
	t.Helper()
	for _, sd := range sets {
		set, err := golden.LoadSet(sd)
		if err != nil {
			t.Fatal(err)
		}
		bound, err := golden.BindInputs(m, set)
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		shapes := map[string][]int64{}
		for name, tt := range bound {
			shapes[name] = tt.Dims
		}
		for _, format := range []string{"mlprogram", "neuralnetwork"} {
			for _, fp16 := range []bool{false, true} {
				name := fmt.Sprintf("%s %s fp16=%v", label, format, fp16)
				back, err := roundTrip(m, format, fp16, shapes)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				plan, err := runtime.Compile(back, runtime.Options{Threads: 1})
				if err != nil {
					t.Errorf("%s: compiling the read-back model: %v", name, err)
					continue
				}
				tol := tolFP32
				if fp16 {
					tol = tolFP16
				}
				in, err := golden.BindInputs(back, set)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				got, err := plan.Run(in)
				if err != nil {
					t.Errorf("%s: run: %v", name, err)
					continue
				}
				rep, err := golden.CompareOutputs(back, got, set, tol)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				} else if !rep.OK() {
					t.Errorf("%s on %s:\n%s", name, filepath.Base(sd), rep)
				} else if logWorst {
					for _, r := range rep.Results {
						t.Logf("%s: max |err| / scale = %.3g", name, r.MaxAbs/max(r.Scale, 1e-30))
					}
				}
			}
		}
	}
}

// TestGoldenRoundTrip: every golden fixture file (training and deploy form,
// both exporters), as exported and after mconv's passes, converts to ML
// Program and NeuralNetwork in fp32 and fp16; read back and run in the Go
// runtime it reproduces the fixture's stored PyTorch outputs.
func TestGoldenRoundTrip(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatalf("golden fixtures: %v", err)
	}
	if testing.Short() {
		fixtures = fixtures[:4]
	}
	for _, f := range fixtures {
		for _, file := range []struct {
			path string
			sets []string
		}{{f.Model, f.Sets}, {f.Deploy, f.DeploySets}} {
			m, err := onnx.Load(file.path)
			if err != nil {
				t.Fatal(err)
			}
			label := f.Name + "/" + f.Exporter + "/" + filepath.Base(file.path)
			checkRoundTrip(t, label, m, file.sets)
			fused := ir.CloneModel(m)
			if _, err := passes.Run(fused, passes.Options{}); err != nil {
				t.Fatalf("%s: passes: %v", label, err)
			}
			checkRoundTrip(t, label+" fused", fused, file.sets)
			writeOut(t, label+" fused", fused)
		}
	}
}

// TestFullModelsRoundTrip: the full-size models (MCONV_FULL_MODELS), fused,
// convert to both formats and reproduce their stored outputs.
func TestFullModelsRoundTrip(t *testing.T) {
	dir := testenv.FullModels(t)
	for _, p := range testenv.Glob(t, filepath.Join(dir, "*", "*.onnx"), filepath.Join(dir, "*.onnx")) {
		checkFusedRoundTrip(t, p, "full"+strings.TrimPrefix(p, dir)+" fused", -1)
	}
}

// TestZooRoundTrip: every model of the benchmark zoo (MCONV_ZOO, made by
// export_fixtures.py --zoo: full-size timm/torchvision backbones in
// training form, by both exporters), fused, converts to ML Program and
// NeuralNetwork, fp32 and fp16, and the files read back reproduce
// PyTorch's output stored beside the export. (The numbers are checked
// independently of mconv's reader by xcheck_coreml_numerics.py --zoo; with
// MCONV_COREML_OUT the files are written there, and xcheck_coreml.py run
// with MCONV_ZOO type-checks them with coremltools.)
func TestZooRoundTrip(t *testing.T) {
	root := testenv.Zoo(t)
	for _, p := range testenv.Glob(t, filepath.Join(root, "*", "*", "train.onnx")) {
		rel, _ := filepath.Rel(root, p)
		checkFusedRoundTrip(t, p, "zoo/"+filepath.Dir(rel)+" fused", 1)
	}
}

// checkFusedRoundTrip loads the full-size model at path, runs mconv's
// passes, checks its Core ML round trips on the data sets beside it (the
// first maxSets of them; all when maxSets < 0), logging each error, and
// writes its files to MCONV_COREML_OUT when set.
func checkFusedRoundTrip(t *testing.T, path, label string, maxSets int) {
	t.Helper()
	logWorst = true
	defer func() { logWorst = false }()
	sets, err := golden.SetsFor(path)
	if err != nil || len(sets) == 0 {
		t.Errorf("%s: no data set beside it (%v)", path, err)
		return
	}
	if maxSets >= 0 && len(sets) > maxSets {
		sets = sets[:maxSets]
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := passes.Run(m, passes.Options{}); err != nil {
		t.Fatalf("%s: passes: %v", path, err)
	}
	checkRoundTrip(t, label, m, sets)
	writeOut(t, label, m)
}
