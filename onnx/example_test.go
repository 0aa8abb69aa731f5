package onnx_test

import (
	"fmt"
	"log"

	"github.com/mconv/mconv/onnx"
)

// ExampleLoad reads an ONNX file into mconv's IR and lists its inputs and
// outputs with their shapes.
func ExampleLoad() {
	m, err := onnx.Load("../testdata/golden/mobileone_net/torchscript/deploy.onnx")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range m.Graph.Inputs {
		fmt.Println("input", v.Name, v.Type.DType, v.Type.Shape)
	}
	for _, v := range m.Graph.Outputs {
		fmt.Println("output", v.Name, v.Type.DType, v.Type.Shape)
	}
	fmt.Println(len(m.Graph.Nodes), "nodes")
	// Output:
	// input input float32 [1,3,64,64]
	// output output float32 [1,10]
	// 33 nodes
}
