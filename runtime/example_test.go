package runtime_test

import (
	"fmt"
	"log"

	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

// Example is the whole loop of a Go service: load a model as PyTorch
// exported it (training form), fuse it into its deploy form, compile a plan
// for the input shape, preprocess a photo the way timm does, run, and read
// the top-3 labels.
func Example() {
	m, err := onnx.Load("../testdata/golden/mobileone_net/torchscript/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := passes.Run(m, passes.Options{}); err != nil { // BatchNorm folded, branches collapsed
		log.Fatal(err)
	}

	img, err := imageprep.Load("../testdata/imageprep/photo.jpg")
	if err != nil {
		log.Fatal(err)
	}
	prep, _ := imageprep.Preset("imagenet") // timm's eval transform: bicubic, crop_pct 0.875
	prep.Size = 64                          // this model takes 64x64
	x := prep.Tensor(img)                   // float32 [1, 3, 64, 64]

	plan, err := runtime.Compile(m, runtime.Options{Threads: 1, InputShapes: map[string][]int64{"input": x.Dims}})
	if err != nil {
		log.Fatal(err)
	}
	defer plan.Close()
	outs, err := plan.Run(map[string]*ir.Tensor{"input": x})
	if err != nil {
		log.Fatal(err)
	}
	logits, err := outs["output"].Float32s()
	if err != nil {
		log.Fatal(err)
	}
	labels, err := imageprep.ReadLabels("../testdata/imageprep/labels.txt")
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range imageprep.TopK(logits, 3, labels) {
		fmt.Printf("%-10s p=%.3f\n", c.Label, c.Prob)
	}
	// Output:
	// ostrich    p=0.113
	// hammerhead p=0.110
	// goldfish   p=0.108
}
