package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime/kernels"
)

// netResult is the outcome of one whole network.
type netResult struct {
	name string
	err  error
}

// lightNames lists the shared "light" networks.
func lightNames(root string) []string {
	models, _ := filepath.Glob(filepath.Join(root, "light", "light_*.onnx"))
	var names []string
	for _, f := range models {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "light_"), ".onnx"))
	}
	return names
}

// runLight runs light network name (weights made by ConstantOfShape nodes,
// folded at plan time) on arange(n)/n and compares with the stored output
// at the tolerances of real/test_<name>/data.json (elementwise, as the ONNX
// runner does).
func runLight(root, name string) error {
	f := filepath.Join(root, "light", "light_"+name+".onnx")
	rtol, atol := 1e-3, 1e-7
	if data, err := os.ReadFile(filepath.Join(root, "real", "test_"+name, "data.json")); err == nil {
		var tol struct{ Rtol, Atol float64 }
		if err := json.Unmarshal(data, &tol); err != nil {
			return err
		}
		rtol, atol = tol.Rtol, tol.Atol
	}
	m, err := onnx.Load(f)
	if err != nil {
		return err
	}
	want, err := onnx.ReadTensorFile(strings.TrimSuffix(f, ".onnx") + "_output_0.pb")
	if err != nil {
		return err
	}
	var in *ir.Value
	for _, v := range m.Graph.Inputs {
		if v.Const == nil {
			in = v
		}
	}
	if in == nil {
		return fmt.Errorf("no graph input")
	}
	shape := in.Type.Shape.Sizes()
	n := ir.NumElements(shape)
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i) / float32(n)
	}
	plan, err := compileFull(m, Options{})
	if err != nil {
		return err
	}
	defer plan.Close()
	out, err := plan.Run(map[string]*ir.Tensor{in.Name: ir.NewFloat32(shape, xs)})
	if err != nil {
		return err
	}
	if d := compareTensors(out[m.Graph.Outputs[0].Name], want, rtol, atol); d != "" {
		return fmt.Errorf("%s (rtol %g, atol %g)", d, rtol, atol)
	}
	return nil
}

// TestLightNetworks runs every shared light network (see runLight).
func TestLightNetworks(t *testing.T) {
	root := testenv.ONNXTests(t)
	names := lightNames(root)
	if len(names) == 0 {
		t.Fatalf("no light networks under %s", root)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && (name == "vgg19" || name == "bvlc_alexnet" || name == "zfnet512") {
				t.Skip("-short: skipping the large fully-connected networks")
			}
			if err := runLight(root, name); err != nil {
				t.Error(err)
			}
		})
	}
}

// runFixtureFile runs one golden fixture file on its data sets and compares
// with the stored PyTorch outputs (rtol 1e-4, atol 1e-5 of the output's
// scale); with 1, 2 and 3 threads the outputs must be bit-identical.
func runFixtureFile(path string, sets []string) error {
	m, err := onnx.Load(path)
	if err != nil {
		return err
	}
	tol := golden.Tolerance{RTol: 1e-4, ATol: 1e-5}
	for _, sd := range sets {
		s, err := golden.LoadSet(sd)
		if err != nil {
			return err
		}
		in, err := golden.BindInputs(m, s)
		if err != nil {
			return err
		}
		shapes := golden.InputShapes(in)
		var got map[string]*ir.Tensor
		for _, th := range []int{1, 2, 3} {
			plan, err := compileFull(m, Options{Threads: th, InputShapes: shapes})
			if err != nil {
				return err
			}
			res, err := plan.Run(in)
			plan.Close()
			if err != nil {
				return err
			}
			if got == nil {
				got = res
				continue
			}
			for k, v := range res {
				if string(v.Raw) != string(got[k].Raw) {
					return fmt.Errorf("output %q with %d threads differs from 1 thread", k, th)
				}
			}
		}
		rep, err := golden.CompareOutputs(m, got, s, tol)
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("%s", rep)
		}
	}
	return nil
}

// goldenResults runs every fixture of testdata/golden, training and deploy
// forms.
func goldenResults() ([]netResult, error) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		return nil, err
	}
	if len(fixtures) == 0 {
		return nil, fmt.Errorf("no fixtures under testdata/golden")
	}
	var out []netResult
	for _, fx := range fixtures {
		base := fx.Name + "/" + fx.Exporter
		out = append(out, netResult{base + "/model.onnx (training form)", runFixtureFile(fx.Model, fx.Sets)})
		out = append(out, netResult{base + "/deploy.onnx (deploy form)", runFixtureFile(fx.Deploy, fx.DeploySets)})
	}
	return out, nil
}

// TestGoldenFixtures runs every fixture of testdata/golden, training form
// (model.onnx) and deploy form (deploy.onnx), on its stored inputs and
// compares with the stored PyTorch outputs within rtol 1e-4 / atol 1e-5 of
// the output's scale, with 1, 2 and 3 threads giving bit-identical outputs,
// on every kernel path this CPU supports (kernels.KernelPaths).
func TestGoldenFixtures(t *testing.T) {
	for _, path := range kernels.KernelPaths() {
		t.Run(path, func(t *testing.T) {
			prev, err := kernels.SetKernelPath(path)
			if err != nil {
				t.Fatal(err)
			}
			defer kernels.SetKernelPath(prev)
			testGoldenFixtures(t)
		})
	}
}

func testGoldenFixtures(t *testing.T) {
	res, err := goldenResults()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
		}
	}
	t.Logf("%d fixture files match", len(res))
}
