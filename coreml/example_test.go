package coreml_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime"
)

// ExampleConvertProgram converts an ONNX model to a Core ML ML Program
// (.mlpackage), reads the package back and runs it in the Go runtime on a
// photo: the Core ML model names the same top class as the ONNX one.
func ExampleConvertProgram() {
	m, err := onnx.Load("../testdata/golden/mobileone_net/torchscript/deploy.onnx")
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := coreml.ConvertProgram(m, coreml.Options{Target: "iOS16", Name: "MobileOne"})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mconv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "MobileOne.mlpackage")
	if err := coreml.WritePackage(pkg, path); err != nil {
		log.Fatal(err)
	}

	back, err := coreml.Load(path, coreml.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	img, err := imageprep.Load("../testdata/imageprep/photo.jpg")
	if err != nil {
		log.Fatal(err)
	}
	prep, _ := imageprep.Preset("imagenet")
	prep.Size = 64
	x := prep.Tensor(img)
	in := back.Graph.Inputs[0].Name
	plan, err := runtime.Compile(back, runtime.Options{Threads: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer plan.Close()
	outs, err := plan.Run(map[string]*ir.Tensor{in: x})
	if err != nil {
		log.Fatal(err)
	}
	logits, err := outs[back.Graph.Outputs[0].Name].Float32s()
	if err != nil {
		log.Fatal(err)
	}
	labels, err := imageprep.ReadLabels("../testdata/imageprep/labels.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(imageprep.TopK(logits, 1, labels)[0].Label)
	// Output:
	// ostrich
}
