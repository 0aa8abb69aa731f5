package runtime

import (
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/onnx"
)

// TestGoldenFixtures runs every fixture of testdata/golden, training form
// (model.onnx) and deploy form (deploy.onnx), on its stored inputs and
// compares with the stored PyTorch outputs within rtol 1e-4 / atol 1e-5 of
// the output's scale.
func TestGoldenFixtures(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) == 0 {
		t.Fatal("no fixtures under testdata/golden")
	}
	tol := golden.Tolerance{RTol: 1e-4, ATol: 1e-5}
	for _, fx := range fixtures {
		for _, form := range []struct {
			name, path string
			sets       []string
		}{{"training", fx.Model, fx.Sets}, {"deploy", fx.Deploy, fx.DeploySets}} {
			t.Run(fx.Name+"/"+fx.Exporter+"/"+form.name, func(t *testing.T) {
				m, err := onnx.Load(form.path)
				if err != nil {
					t.Fatal(err)
				}
				for _, sd := range form.sets {
					s, err := golden.LoadSet(sd)
					if err != nil {
						t.Fatal(err)
					}
					in, err := golden.BindInputs(m, s)
					if err != nil {
						t.Fatal(err)
					}
					shapes := map[string][]int64{}
					for k, v := range in {
						shapes[k] = v.Dims
					}
					plan, err := Compile(m, Options{InputShapes: shapes})
					if err != nil {
						t.Fatal(err)
					}
					got, err := plan.Run(in)
					plan.Close()
					if err != nil {
						t.Fatal(err)
					}
					rep, err := golden.CompareOutputs(m, got, s, tol)
					if err != nil {
						t.Fatal(err)
					}
					if !rep.OK() {
						t.Errorf("%s", rep)
					}
				}
			})
		}
	}
}
