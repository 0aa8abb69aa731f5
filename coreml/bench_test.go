package coreml

import (
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/onnx"
)

// BenchmarkConvertProgram converts the largest golden fixture (FastViT
// network, deploy form) to an ML Program in memory.
func BenchmarkConvertProgram(b *testing.B) { benchConvert(b, false) }

// BenchmarkConvertNeuralNetwork is the same for a NeuralNetwork.
func BenchmarkConvertNeuralNetwork(b *testing.B) { benchConvert(b, true) }

func benchConvert(b *testing.B, nn bool) {
	fs, err := golden.LoadFixtures(golden.Dir())
	if err != nil {
		b.Fatal(err)
	}
	var path string
	for _, f := range fs {
		if f.Name == "fastvit_net" && f.Exporter == "torchscript" {
			path = f.Deploy
		}
	}
	if path == "" {
		b.Fatal("fixture fastvit_net/torchscript missing")
	}
	m, err := onnx.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if nn {
			if _, err := ConvertNeuralNetwork(m, Options{}); err != nil {
				b.Fatal(err)
			}
		} else if _, err := ConvertProgram(m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
