package coreml

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/internal/fuzzmodel"
	"github.com/mconv/mconv/ir"
)

// FuzzToCoreML converts mutated models (fuzzmodel) to an ML Program and a
// NeuralNetwork under a 64 MiB folding budget. Each conversion either
// succeeds with a spec that, encoded and decoded again, mconv's Core ML
// reader (laid out on coremltools' reading of the format) turns back into
// a model, or fails with an error; a panic, an internal error or an empty
// message fails the target.
//
//	(ulimit -v 8000000; go test -run '^$' -fuzz FuzzToCoreML -fuzztime 5m -parallel 1 ./coreml/)
func FuzzToCoreML(f *testing.F) {
	bases := fuzzmodel.Seeds(f, "..")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, shapes, ok := fuzzmodel.Model(bases, data, 1<<20)
		if !ok {
			return
		}
		opt := Options{MaxMemory: fuzzmodel.Budget, InputShapes: shapes}
		check := func(what string, err error) bool {
			if err == nil {
				return true
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "internal error") {
				t.Fatalf("%s: error %q", what, msg)
			}
			return false
		}
		reread := func(spec *pb.Model) *pb.Model {
			b, err := proto.Marshal(spec)
			if err != nil {
				t.Fatalf("encoding the spec: %v", err)
			}
			var back pb.Model
			if err := proto.Unmarshal(b, &back); err != nil {
				t.Fatalf("decoding the spec: %v", err)
			}
			return &back
		}
		if p, err := ConvertProgram(ir.CloneModel(m), opt); check("ML Program", err) {
			if _, err := ProgramToIR(reread(p.Spec), p.Weights, ReadOptions{}); err != nil {
				t.Fatalf("the ML Program written does not read back: %v", err)
			}
		}
		if spec, err := ConvertNeuralNetwork(ir.CloneModel(m), opt); check("NeuralNetwork", err) {
			if _, err := NeuralNetworkToIR(reread(spec), ReadOptions{}); err != nil {
				t.Fatalf("the NeuralNetwork written does not read back: %v", err)
			}
		}
	})
}
