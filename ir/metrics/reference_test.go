package metrics

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

// loadBatch1 loads an ONNX file, fixes a symbolic batch to 1 and infers
// shapes.
func loadBatch1(t *testing.T, path string) *ir.Model {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int64{}
	for _, v := range m.Graph.Inputs {
		if v.Const == nil && v.Type.HasShape && len(v.Type.Shape) > 0 && !v.Type.Shape[0].Known() {
			s := v.Type.Shape.Sizes()
			s[0] = 1
			shapes[v.Name] = s
		}
	}
	if len(shapes) > 0 {
		err = ir.SetInputShapes(m, shapes)
	} else {
		err = ir.InferShapes(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type refLayer struct {
	Op                string `json:"op"`
	MACs              int64  `json:"macs"`
	FLOPs             int64  `json:"flops"`
	MemoryAccessBytes int64  `json:"memory_access_bytes"`
}

type refModel struct {
	Params            int64               `json:"params"`
	Buffers           int64               `json:"buffers"`
	MACs              int64               `json:"macs"`
	FLOPs             int64               `json:"flops"`
	MemoryAccessBytes int64               `json:"memory_access_bytes"`
	Layers            map[string]refLayer `json:"layers"`
}

// TestReferenceCounts compares every layer and the totals with the
// independent count of tools/reference/count_reference.py (Python onnx and
// ONNX's own shape inference), stored in testdata/reference_counts.json;
// the crosscheck regenerates that file and fails if it is stale.
func TestReferenceCounts(t *testing.T) {
	data, err := os.ReadFile("testdata/reference_counts.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]refModel `json:"models"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Models) == 0 {
		t.Fatal("no models in reference_counts.json")
	}
	for rel, want := range ref.Models {
		t.Run(rel, func(t *testing.T) {
			r, err := Count(loadBatch1(t, filepath.Join("..", "..", rel)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Params != want.Params || r.Buffers != want.Buffers || r.MACs != want.MACs || r.FLOPs != want.FLOPs || r.MemoryAccessBytes != want.MemoryAccessBytes {
				t.Errorf("totals params %d buffers %d MACs %d FLOPs %d bytes %d; reference %d %d %d %d %d",
					r.Params, r.Buffers, r.MACs, r.FLOPs, r.MemoryAccessBytes, want.Params, want.Buffers, want.MACs, want.FLOPs, want.MemoryAccessBytes)
			}
			got := map[string]Layer{}
			for _, l := range r.Layers {
				got[l.Output] = l
			}
			for out, wl := range want.Layers {
				gl, ok := got[out]
				if !ok {
					t.Errorf("layer producing %q missing", out)
					continue
				}
				if gl.MACs != wl.MACs || gl.FLOPs != wl.FLOPs || gl.MemoryAccessBytes != wl.MemoryAccessBytes || gl.Op != wl.Op {
					t.Errorf("layer %q (%s): MACs %d FLOPs %d bytes %d; reference (%s) %d %d %d", out, gl.Op, gl.MACs, gl.FLOPs, gl.MemoryAccessBytes, wl.Op, wl.MACs, wl.FLOPs, wl.MemoryAccessBytes)
				}
			}
			if len(want.Layers) != len(r.Layers) {
				t.Errorf("%d layers, reference %d", len(r.Layers), len(want.Layers))
			}
		})
	}
}

// TestFullModels checks the full-size exported models (made by
// tools/reference/export_fixtures.py --full into <dir>/<name>/{train,deploy}.onnx)
// against the published figures (../shared/reference/architectures.md)
// within 2%: MACs of the deploy form (and of the training form where it
// has no extra branches: the MobileNets), params of the deploy form
// (papers' convention) and of the training form (PyTorch parameters(), BN
// gamma/beta included).
func TestFullModels(t *testing.T) {
	dir := testenv.FullModels(t)
	tests := []struct {
		name                   string
		macs                   float64
		trainMACs              bool    // the training form has the deploy form's MACs
		deployParams, trainPar float64 // 0: no published figure
	}{
		// torchvision weight metadata; timm's mobilenetv2_100 and
		// mobilenetv3_large_100 are the same networks.
		{"mobilenetv2_100", 300e6, true, 0, 3504872},
		{"mobilenetv3_large_100", 217e6, true, 0, 5483032},
		{"mobileone_s0", 275e6, false, 2.08e6, 5.3e6},
		{"repvgg_a0", 1.36e9, false, 8.30e6, 9.11e6},
		{"repvit_m0_9", 0.8e9, false, 5.1e6, 5489328},
	}
	found := 0
	for _, tc := range tests {
		for _, form := range []string{"train", "deploy"} {
			path := filepath.Join(dir, tc.name, form+".onnx")
			if _, err := os.Stat(path); err != nil {
				t.Logf("%s: not there (%v)", path, err)
				continue
			}
			found++
			t.Run(tc.name+"/"+form, func(t *testing.T) {
				r, err := Count(loadBatch1(t, path), Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("params %d buffers %d MACs %d FLOPs %d bytes %d", r.Params, r.Buffers, r.MACs, r.FLOPs, r.MemoryAccessBytes)
				if d := rel(float64(r.MACs), tc.macs); d > 0.02 && (form == "deploy" || tc.trainMACs) {
					t.Errorf("MACs %d differ from published %.4g by %.2f%%", r.MACs, tc.macs, 100*d)
				}
				want := tc.trainPar
				if form == "deploy" {
					want = tc.deployParams
				}
				if want > 0 {
					if d := rel(float64(r.Params), want); d > 0.02 {
						t.Errorf("params %d differ from published %.4g by %.2f%%", r.Params, want, 100*d)
					}
				}
				if form == "deploy" && r.Buffers != 0 {
					t.Errorf("deploy form has %d BN buffer elements", r.Buffers)
				}
				for _, w := range r.Warnings {
					if strings.Contains(w, "not known") {
						t.Errorf("warning: %s", w)
					}
				}
			})
		}
	}
	if found == 0 {
		t.Fatalf("MCONV_FULL_MODELS=%s holds no full-size models (export_fixtures.py --full writes DIR/<name>/{train,deploy}.onnx)", dir)
	}
}
