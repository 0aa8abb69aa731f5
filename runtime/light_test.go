package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestLightNetworks runs the shared "light" whole networks (weights made by
// ConstantOfShape nodes, folded at plan time) on arange(n)/n and compares
// with the stored outputs at the tolerances of real/test_<name>/data.json.
func TestLightNetworks(t *testing.T) {
	root := testenv.ONNXTests(t)
	models, _ := filepath.Glob(filepath.Join(root, "light", "light_*.onnx"))
	if len(models) == 0 {
		t.Fatalf("no light networks under %s", root)
	}
	for _, f := range models {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "light_"), ".onnx")
		t.Run(name, func(t *testing.T) {
			if testing.Short() && (name == "vgg19" || name == "bvlc_alexnet" || name == "zfnet512") {
				t.Skip("-short: skipping the large fully-connected networks")
			}
			rtol, atol := 1e-3, 1e-7
			if data, err := os.ReadFile(filepath.Join(root, "real", "test_"+name, "data.json")); err == nil {
				var tol struct{ Rtol, Atol float64 }
				if err := json.Unmarshal(data, &tol); err != nil {
					t.Fatal(err)
				}
				rtol, atol = tol.Rtol, tol.Atol
			}
			m, err := onnx.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := onnx.ReadTensorFile(strings.TrimSuffix(f, ".onnx") + "_output_0.pb")
			if err != nil {
				t.Fatal(err)
			}
			var in *ir.Value
			for _, v := range m.Graph.Inputs {
				if v.Const == nil {
					in = v
				}
			}
			shape := in.Type.Shape.Sizes()
			n := ir.NumElements(shape)
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = float32(i) / float32(n)
			}
			plan, err := Compile(m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer plan.Close()
			out, err := plan.Run(map[string]*ir.Tensor{in.Name: ir.NewFloat32(shape, xs)})
			if err != nil {
				t.Fatal(err)
			}
			if d := compareTensors(out[m.Graph.Outputs[0].Name], want, rtol, atol); d != "" {
				t.Errorf("%s (rtol %g, atol %g)", d, rtol, atol)
			}
			t.Logf("peak activation memory %.1f MiB", float64(plan.PeakActivationBytes())/(1<<20))
		})
	}
}
