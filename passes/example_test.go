package passes_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
)

// ExampleRun turns a training-form MobileOne network, as PyTorch's exporter
// wrote it (every BatchNorm and reparameterization branch in the graph),
// into its deploy form, and saves it.
func ExampleRun() {
	m, err := onnx.Load("../testdata/golden/mobileone_net/torchscript/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	before := len(m.Graph.Nodes)
	if _, err := passes.Run(m, passes.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d nodes -> %d nodes\n", before, len(m.Graph.Nodes))
	dir, err := os.MkdirTemp("", "mconv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := onnx.Save(m, filepath.Join(dir, "deploy.onnx")); err != nil { // back to ONNX
		log.Fatal(err)
	}
	// Output:
	// 155 nodes -> 23 nodes
}
