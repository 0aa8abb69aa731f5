package runtime_test

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime"
)

// concurrentModels are fixtures with their first data set: convolutions
// (the packed fast path), SE blocks, attention-free heads.
var concurrentModels = []string{
	"mnv3_net/torchscript/model.onnx",
	"repvit_net/dynamo/model.onnx",
	"repvgg_net/torchscript/model.onnx",
}

// loadConcurrent loads a fixture and the inputs of its first data set.
func loadConcurrent(t *testing.T, rel string) (*ir.Model, map[string]*ir.Tensor) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", rel)
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := golden.SetsFor(path)
	if err != nil || len(sets) == 0 {
		t.Fatalf("%s: no data set (%v)", path, err)
	}
	s, err := golden.LoadSet(sets[0])
	if err != nil {
		t.Fatal(err)
	}
	in, err := golden.BindInputs(m, s)
	if err != nil {
		t.Fatal(err)
	}
	return m, in
}

// reference runs m on in with a plan of one thread, made and closed here.
func reference(t *testing.T, m *ir.Model, in map[string]*ir.Tensor) map[string]*ir.Tensor {
	t.Helper()
	p, err := runtime.Compile(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// sameBits fails unless got and want hold the same outputs, byte for byte.
func sameBits(t *testing.T, what string, got, want map[string]*ir.Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d outputs, want %d", what, len(got), len(want))
		return
	}
	for name, w := range want {
		g := got[name]
		if g == nil || !bytes.Equal(g.Raw, w.Raw) {
			t.Errorf("%s: output %q differs from the single-threaded run", what, name)
		}
	}
}

// TestConcurrentPlan uses one Plan from many goroutines at once (Run
// serializes callers) and many plans at once in one process, each
// running repeatedly; every output must be bit-identical to a run of a
// single-threaded plan (Threads 1) made alone. Meant for -race:
// `go test -race -run Concurrent ./runtime/` (CI runs it without -race
// as part of go test; README's CI block adds the -race run).
func TestConcurrentPlan(t *testing.T) {
	const goroutines, runs = 8, 3
	for _, rel := range concurrentModels {
		t.Run(rel, func(t *testing.T) {
			m, in := loadConcurrent(t, rel)
			want := reference(t, m, in)
			// One plan, many goroutines.
			shared, err := runtime.Compile(m, runtime.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer shared.Close()
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := 0; r < runs; r++ {
						got, err := shared.Run(in)
						if err != nil {
							t.Error(err)
							return
						}
						sameBits(t, "shared plan", got, want)
					}
				}()
			}
			wg.Wait()
		})
	}
	// Many plans at once: each goroutine compiles its own plan of one of
	// the models (compiling concurrently too) and runs it.
	var wg sync.WaitGroup
	for i := 0; i < 2*len(concurrentModels); i++ {
		rel := concurrentModels[i%len(concurrentModels)]
		m, in := loadConcurrent(t, rel)
		want := reference(t, m, in)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := runtime.Compile(m, runtime.Options{Threads: 1 + i%3})
			if err != nil {
				t.Error(err)
				return
			}
			defer p.Close()
			for r := 0; r < runs; r++ {
				got, err := p.Run(in)
				if err != nil {
					t.Error(err)
					return
				}
				sameBits(t, rel+" (own plan)", got, want)
			}
		}()
	}
	wg.Wait()
}
