package runtime_test

import (
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/fuzzmodel"
	"github.com/mconv/mconv/runtime"
)

// FuzzCompileRun compiles and runs mutated models (fuzzmodel: the testdata
// networks, ONNX node tests and hostile single-node models, edited by the
// fuzz bytes and read back from ONNX) under a 64 MiB budget. It fails on a
// panic or fatal error (the fuzzer reports those), on an internal error
// (a pass or kernel panic mconv recovered from) and on a plan whose arena
// passes the budget; every other error is a refusal, which is fine. Run it
// under an address-space limit so that an allocation past the budget
// crashes:
//
//	(ulimit -v 8000000; go test -run '^$' -fuzz FuzzCompileRun -fuzztime 5m -parallel 1 ./runtime/)
func FuzzCompileRun(f *testing.F) {
	bases := fuzzmodel.Seeds(f, "..")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, shapes, ok := fuzzmodel.Model(bases, data, 1<<20)
		if !ok {
			return
		}
		p, err := runtime.Compile(m, runtime.Options{Threads: 2, MaxMemory: fuzzmodel.Budget, InputShapes: shapes})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		defer p.Close()
		if peak := p.PeakActivationBytes(); peak > fuzzmodel.Budget {
			t.Fatalf("arena of %d bytes over the %d-byte budget", peak, fuzzmodel.Budget)
		}
		in := fuzzmodel.Inputs(m, shapes, uint64(len(data)))
		if in == nil {
			return
		}
		if _, err := p.Run(in); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
