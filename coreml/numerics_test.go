package coreml

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime"
)

func runModel(t *testing.T, m *ir.Model, in map[string]*ir.Tensor) map[string]*ir.Tensor {
	t.Helper()
	p, err := runtime.Compile(m, runtime.Options{Threads: 1, InputShapes: shapesOf(in)})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	out, err := p.Run(in)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return out
}

func shapesOf(in map[string]*ir.Tensor) map[string][]int64 {
	s := golden.InputShapes(in)
	return s
}

func randInput(m *ir.Model, seed int64) map[string]*ir.Tensor {
	rng := rand.New(rand.NewSource(seed))
	in := map[string]*ir.Tensor{}
	for _, v := range m.Graph.Inputs {
		dims := v.Type.Shape.Sizes()
		for i := range dims {
			if dims[i] < 0 {
				dims[i] = 1
			}
		}
		d := make([]float32, ir.NumElements(dims))
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		in[v.Name] = ir.NewFloat32(dims, d)
	}
	return in
}

// TestZooRoundTripNumerics: each zoo model (every op the converter maps)
// written to Core ML and read back computes, in the Go runtime, what the
// source model computes (fp32: 1e-4 of the output scale; fp16 weights and
// constants: 2e-2).
func TestZooRoundTripNumerics(t *testing.T) {
	for name, mk := range zoo() {
		src := mk()
		in := randInput(src, 11)
		want := runModel(t, src, in)
		for _, format := range []string{"mlprogram", "neuralnetwork"} {
			for _, fp16 := range []bool{false, true} {
				label := fmt.Sprintf("%s %s fp16=%v", name, format, fp16)
				back, err := roundTrip(mk(), format, fp16, nil)
				if err != nil {
					if name == "shuffle" && format == "neuralnetwork" {
						continue // ceil-mode pool, see TestWriteZooNeuralNetworks
					}
					t.Fatalf("%s: %v", label, err)
				}
				got := runModel(t, back, in)
				tol := tolFP32
				if fp16 {
					tol = tolFP16
				}
				for _, o := range src.Graph.Outputs {
					r := golden.Compare(got[o.Name], want[o.Name], tol)
					if !r.OK() {
						t.Errorf("%s output %s: %s", label, o.Name, r)
					}
				}
			}
		}
	}
}

// TestImageInputNumerics: with --image-input the model computes
// f(pixel*scale + bias) with the biases given as R,G,B; for bgr the
// channels arrive as B,G,R, so channel 0 gets the blue bias.
func TestImageInputNumerics(t *testing.T) {
	for _, cs := range []string{"rgb", "bgr"} {
		im := &ImageInput{ColorSpace: cs, Scale: 1.0 / 255, Bias: [3]float32{-0.5, -0.25, 0.125}}
		src := zooMobile()
		pix := randInput(src, 5)["input.1"]
		pf, _ := pix.Float32s()
		for i := range pf {
			pf[i] = float32(math.Round(float64(pf[i]*40 + 128))) // pixel-like values
		}
		pixels := ir.NewFloat32(pix.Dims, pf)
		// By hand: channel c of the normalized input.
		order := [3]float32{im.Bias[0], im.Bias[1], im.Bias[2]}
		if cs == "bgr" {
			order = [3]float32{im.Bias[2], im.Bias[1], im.Bias[0]}
		}
		norm := make([]float32, len(pf))
		hw := int(pix.Dims[2] * pix.Dims[3])
		for i, p := range pf {
			norm[i] = p*im.Scale + order[(i/hw)%3]
		}
		want := runModel(t, src, map[string]*ir.Tensor{"input.1": ir.NewFloat32(pix.Dims, norm)})
		for _, format := range []string{"mlprogram", "neuralnetwork"} {
			var back *ir.Model
			var err error
			if format == "mlprogram" {
				p, cerr := ConvertProgram(zooMobile(), Options{Image: im})
				if cerr != nil {
					t.Fatal(cerr)
				}
				back, err = ProgramToIR(reparse(t, p.Spec), p.Weights, ReadOptions{})
			} else {
				s, cerr := ConvertNeuralNetwork(zooMobile(), Options{Image: im})
				if cerr != nil {
					t.Fatal(cerr)
				}
				back, err = NeuralNetworkToIR(reparse(t, s), ReadOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			got := runModel(t, back, map[string]*ir.Tensor{"input.1": pixels})
			for _, o := range src.Graph.Outputs {
				if r := golden.Compare(got[o.Name], want[o.Name], tolFP32); !r.OK() {
					t.Errorf("%s %s: %s", cs, format, r)
				}
			}
		}
	}
}
