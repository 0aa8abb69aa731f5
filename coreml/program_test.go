package coreml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/coreml/pb"
)

// outDir is MCONV_COREML_OUT when set (tools/reference/xcheck_coreml.py
// checks what is left there), else a temporary folder.
func outDir(t *testing.T) string {
	if dir := os.Getenv("MCONV_COREML_OUT"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// TestWriteZooPackages converts every zoo model for every target in fp32
// and fp16 and checks the package structure. With MCONV_COREML_OUT set it
// leaves the packages there for tools/reference/xcheck_coreml.py.
func TestWriteZooPackages(t *testing.T) {
	dir := outDir(t)
	for name, mk := range zoo() {
		for target := range Targets {
			for _, fp16 := range []bool{false, true} {
				prec := "fp32"
				if fp16 {
					prec = "fp16"
				}
				p, err := ConvertProgram(mk(), Options{Target: target, FP16: fp16, Source: name + ".onnx", MconvVersion: "test"})
				if err != nil {
					t.Fatalf("%s %s %s: %v", name, target, prec, err)
				}
				path := filepath.Join(dir, name+"_"+target+"_"+prec+".mlpackage")
				if err := WritePackage(p, path); err != nil {
					t.Fatal(err)
				}
				checkPackage(t, path, Targets[target].SpecVersion, Targets[target].Opset, fp16)
			}
		}
	}
	p, err := ConvertProgram(zooMobile(), Options{Image: &ImageInput{ColorSpace: "bgr", Scale: 1.0 / 255, Bias: [3]float32{-0.5, -0.4, -0.3}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePackage(p, filepath.Join(dir, "mobile_image.mlpackage")); err != nil {
		t.Fatal(err)
	}
}

func checkPackage(t *testing.T, path string, spec int32, opset string, fp16 bool) {
	t.Helper()
	for _, f := range []string{"Manifest.json", specRelPath, weightsRel} {
		if _, err := os.Stat(filepath.Join(path, f)); err != nil {
			t.Errorf("%s: missing %s", path, f)
		}
	}
	m, w, err := ReadPackage(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.SpecificationVersion != spec {
		t.Errorf("%s: spec version %d, want %d", path, m.SpecificationVersion, spec)
	}
	prog := m.GetMlProgram()
	if prog == nil || prog.Version != 1 {
		t.Fatalf("%s: no ML program version 1", path)
	}
	fn := prog.Functions["main"]
	if fn == nil || fn.Opset != opset || fn.BlockSpecializations[opset] == nil {
		t.Fatalf("%s: main function with opset %s missing", path, opset)
	}
	// Every blob reference points at a valid record of the right dtype.
	for _, op := range fn.BlockSpecializations[opset].Operations {
		if op.Attributes["name"] == nil {
			t.Errorf("%s: op %s has no name attribute", path, op.Type)
		}
		for _, o := range op.Outputs {
			if !validIdent(o.Name) {
				t.Errorf("%s: output name %q is not a MIL identifier", path, o.Name)
			}
		}
		val := op.Attributes["val"]
		if val == nil || val.GetBlobFileValue() == nil {
			continue
		}
		dt, data, err := ReadBlob(w, val.GetBlobFileValue().Offset)
		if err != nil {
			t.Fatal(err)
		}
		tt := val.Type.GetTensorType()
		want, size := BlobFloat32, int64(4)
		if tt.DataType == pb.DataType_FLOAT16 {
			want, size = BlobFloat16, 2
		}
		if fp16 != (tt.DataType == pb.DataType_FLOAT16) {
			t.Errorf("%s: weight %s stored as %s", path, op.Outputs[0].Name, tt.DataType)
		}
		n := int64(1)
		for _, d := range tt.Dimensions {
			n *= int64(d.GetConstant().Size)
		}
		if dt != want || int64(len(data)) != n*size {
			t.Errorf("%s: blob for %s: dtype %d, %d bytes; want %d, %d", path, op.Outputs[0].Name, dt, len(data), want, n*size)
		}
	}
	if !strings.HasSuffix(path, ".mlpackage") {
		t.Errorf("bad path %s", path)
	}
}

// TestWriteZooNeuralNetworks converts every zoo model to a NeuralNetwork
// .mlmodel in fp32 and fp16 weights.
func TestWriteZooNeuralNetworks(t *testing.T) {
	dir := outDir(t)
	for name, mk := range zoo() {
		for _, fp16 := range []bool{false, true} {
			spec, err := ConvertNeuralNetwork(mk(), Options{FP16: fp16})
			if name == "shuffle" {
				// The zoo's ceil_mode average pool has a bigger output than
				// NeuralNetwork's valid padding can give.
				if err == nil || !strings.Contains(err.Error(), "ceil_mode pooling") {
					t.Fatalf("shuffle: err = %v, want the ceil_mode error", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s fp16=%v: %v", name, fp16, err)
			}
			if spec.SpecificationVersion != 4 || spec.GetNeuralNetwork() == nil {
				t.Fatalf("%s: not a spec-4 NeuralNetwork", name)
			}
			for _, l := range spec.GetNeuralNetwork().Layers {
				if c := l.GetConvolution(); c != nil {
					n := int(c.OutputChannels * c.KernelChannels * c.KernelSize[0] * c.KernelSize[1])
					got := len(c.Weights.FloatValue)
					if fp16 {
						got = len(c.Weights.Float16Value) / 2
					}
					if got != n || c.GetValid() == nil {
						t.Errorf("%s: conv %s has %d weights (want %d) / padding %v", name, l.Name, got, n, c.ConvolutionPaddingType)
					}
				}
			}
			prec := map[bool]string{false: "fp32", true: "fp16"}[fp16]
			if err := WriteModelFile(spec, filepath.Join(dir, name+"_"+prec+".mlmodel")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An image input (NeuralNetwork preprocessing: scaler on an image
	// feature), also checked by xcheck_coreml.py.
	spec, err := ConvertNeuralNetwork(zooMobile(), Options{Image: &ImageInput{ColorSpace: "bgr", Scale: 1.0 / 255, Bias: [3]float32{-0.5, -0.4, -0.3}}})
	if err != nil {
		t.Fatal(err)
	}
	in := spec.Description.Input[0]
	pre := spec.GetNeuralNetwork().Preprocessing
	if in.Type.GetImageType() == nil || in.Type.GetImageType().ColorSpace != pb.ImageFeatureType_BGR || len(pre) != 1 ||
		pre[0].FeatureName != in.Name || pre[0].GetScaler().GetChannelScale() != 1.0/255 || pre[0].GetScaler().GetBlueBias() != -0.3 {
		t.Errorf("image input %v, preprocessing %v", in, pre)
	}
	if err := WriteModelFile(spec, filepath.Join(dir, "mobile_image.mlmodel")); err != nil {
		t.Fatal(err)
	}
}
