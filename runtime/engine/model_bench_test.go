package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/onnx"
)

// benchModel benchmarks one model file on its first data set's inputs.
func benchModel(b *testing.B, path string, sets []string, threads int) {
	m, err := onnx.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := golden.LoadSet(sets[0])
	if err != nil {
		b.Fatal(err)
	}
	in, err := golden.BindInputs(m, s)
	if err != nil {
		b.Fatal(err)
	}
	shapes := golden.InputShapes(in)
	p, err := compileFull(m, Options{Threads: threads, InputShapes: shapes})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchRunInto(b, p, in)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/run")
}

// BenchmarkFullModels runs the full-size deploy-form networks (224x224,
// batch 1) exported by tools/reference/export_fixtures.py --full into
// MCONV_FULL_MODELS, at 1 and 2 threads.
func BenchmarkFullModels(b *testing.B) {
	root := testenv.FullModels(b)
	for _, name := range []string{"mobileone_s0", "mobilenetv3_large_100", "repvgg_a0", "repvit_m0_9", "mobilenetv2_100", "fastvit_t8"} {
		path := filepath.Join(root, name, "deploy.onnx")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		sets, err := golden.SetsFor(path)
		if err != nil || len(sets) == 0 {
			b.Fatalf("%s: no data set (%v)", path, err)
		}
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, th), func(b *testing.B) { benchModel(b, path, sets, th) })
		}
	}
}

// BenchmarkGoldenNets runs the small whole-network fixtures of
// testdata/golden (deploy forms), which need no external files.
func BenchmarkGoldenNets(b *testing.B) {
	fixtures, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		b.Fatal(err)
	}
	for _, fx := range fixtures {
		if fx.Exporter != "torchscript" || filepath.Ext(fx.Name) != "" || len(fx.Name) < 4 || fx.Name[len(fx.Name)-4:] != "_net" {
			continue
		}
		b.Run(fx.Name, func(b *testing.B) { benchModel(b, fx.Deploy, fx.DeploySets, 1) })
	}
}

// TestProfileFullModel prints where the time of a full-size model goes
// (MCONV_PROFILE=name, with MCONV_FULL_MODELS set); a development aid.
func TestProfileFullModel(t *testing.T) {
	name := os.Getenv("MCONV_PROFILE")
	if name == "" {
		t.Skip("MCONV_PROFILE not set: profiling a full-size model is a development aid")
	}
	root := testenv.FullModels(t)
	path := filepath.Join(root, name, "deploy.onnx")
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sets, _ := golden.SetsFor(path)
	s, _ := golden.LoadSet(sets[0])
	in, _ := golden.BindInputs(m, s)
	p := mustCompile(t, m, Options{Threads: 1})
	agg := map[string]time.Duration{}
	var total time.Duration
	for r := 0; r < 10; r++ {
		times, err := p.Profile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, nt := range times {
			k := "copy"
			if nt.Node != nil {
				k = nt.Node.OpType
				if nt.Node.OpType == "Conv" {
					k = fmt.Sprintf("Conv g=%d k=%v", nt.Node.AttrInt("group", 1), nt.Node.Inputs[1].Type.Shape)
				}
			}
			agg[k] += nt.Dur
			total += nt.Dur
		}
	}
	var keys []string
	for k := range agg {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return agg[keys[i]] > agg[keys[j]] })
	t.Logf("%s: %.2f ms per run", name, float64(total.Microseconds())/10000)
	for _, k := range keys[:min(25, len(keys))] {
		t.Logf("%8.3f ms  %s", float64(agg[k].Microseconds())/10000, k)
	}
}
