package passes

import (
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime/engine"
)

// TestGoldenFixtures runs the whole pipeline on every training-form
// fixture under testdata/golden (both exporters) and checks the deploy-form
// acceptance criteria: no BatchNormalization and no Sub left; as written
// to ONNX (fused ops expanded) the same Conv and Gemm counts as timm's
// reparameterized export deploy.onnx; and PyTorch's stored outputs
// reproduced within rtol 1e-4 by the Go runtime, both on the fused IR (with
// mconv ops) and on the expanded standard-ONNX form.
func TestGoldenFixtures(t *testing.T) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		t.Fatalf("golden fixtures: %v", err)
	}
	for _, f := range fixtures {
		t.Run(f.Name+"/"+f.Exporter, func(t *testing.T) {
			m, err := onnx.Load(f.Model)
			if err != nil {
				t.Fatal(err)
			}
			dep, err := onnx.Load(f.Deploy)
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.InferShapes(m); err != nil {
				t.Fatalf("InferShapes: %v", err)
			}
			rep, err := Run(m, Options{CheckEachPass: true})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			h := opCounts(m.Graph)
			if h["BatchNormalization"] != 0 || h["Sub"] != 0 {
				t.Errorf("fused model keeps %d BatchNormalization and %d Sub\n%s", h["BatchNormalization"], h["Sub"], rep)
			}
			fused := ir.CloneModel(m)
			if err := ir.ExpandFused(m); err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m); err != nil {
				t.Fatal(err)
			}
			h, hd := opCounts(m.Graph), opCounts(dep.Graph)
			for _, op := range []string{"Conv", "Gemm", "BatchNormalization", "Sub"} {
				if h[op] != hd[op] {
					t.Errorf("%d %s after fusing, deploy.onnx has %d\n%s", h[op], op, hd[op], rep)
				}
			}
			// Idempotent on a real model too.
			if rep2, err := Run(fused, Options{CheckEachPass: true}); err != nil || rep2.Total() != 0 {
				t.Errorf("second run: %v\n%s", err, rep2)
			}
			for _, sd := range f.Sets {
				set, err := golden.LoadSet(sd)
				if err != nil {
					t.Fatal(err)
				}
				for _, mm := range []*ir.Model{fused, m} {
					in, err := golden.BindInputs(mm, set)
					if err != nil {
						t.Fatal(err)
					}
					// The data set fixes symbolic dims (a dynamic batch axis).
					p, err := engine.Compile(mm, engine.Options{Threads: 1, InputShapes: golden.InputShapes(in)})
					if err != nil {
						t.Fatalf("the Go runtime cannot run this model: %v", err)
					}
					got, err := p.Run(in)
					if err != nil {
						t.Fatal(err)
					}
					cr, err := golden.CompareOutputs(mm, got, set, golden.DefaultTolerance)
					if err != nil {
						t.Fatal(err)
					}
					if !cr.OK() {
						t.Errorf("fused model vs PyTorch:\n%s", cr)
					}
				}
			}
		})
	}
}

// BenchmarkRun measures the whole pipeline on a fixture network (FastViT,
// both reparameterization and activation patterns).
func BenchmarkRun(b *testing.B) {
	m, err := onnx.Load(golden.Dir() + "/fastvit_net/torchscript/model.onnx")
	if err != nil {
		b.Fatalf("shipped fixture: %v", err)
	}
	for b.Loop() {
		c := ir.CloneModel(m)
		if _, err := Run(c, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
