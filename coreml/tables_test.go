package coreml

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/mconv/mconv/coreml/pb"
)

// TestLayerReadersKeys: every key of layerReaders names a field of the
// NeuralNetworkLayer "layer" oneof in the proto descriptor (a misspelt key
// would leave that layer kind unreadable), and layerKind returns those
// names.
func TestLayerReadersKeys(t *testing.T) {
	oneof := (&pb.NeuralNetworkLayer{}).ProtoReflect().Descriptor().Oneofs().ByName("layer")
	if oneof == nil {
		t.Fatal("NeuralNetworkLayer has no oneof named layer")
	}
	for k := range layerReaders {
		if fd := oneof.Fields().ByName(protoreflect.Name(k)); fd == nil {
			t.Errorf("layerReaders key %q is not a field of the layer oneof", k)
		}
	}
	for _, c := range []struct {
		layer *pb.NeuralNetworkLayer
		want  string
	}{
		{&pb.NeuralNetworkLayer{Layer: &pb.NeuralNetworkLayer_Convolution{Convolution: &pb.ConvolutionLayerParams{}}}, "convolution"},
		{&pb.NeuralNetworkLayer{Layer: &pb.NeuralNetworkLayer_LoadConstantND{LoadConstantND: &pb.LoadConstantNDLayerParams{}}}, "loadConstantND"},
		{&pb.NeuralNetworkLayer{Layer: &pb.NeuralNetworkLayer_BatchedMatmul{BatchedMatmul: &pb.BatchedMatMulLayerParams{}}}, "batchedMatmul"},
		{&pb.NeuralNetworkLayer{}, ""},
	} {
		if got := layerKind(c.layer); got != c.want {
			t.Errorf("layerKind(%T) = %q, want %q", c.layer.Layer, got, c.want)
		}
	}
}

// TestWrittenMILOpsReadBack: every MIL op the NeuralNetwork writer has a
// layer for (the MIL ops mconv's lowering emits) is also read back from an
// ML Program by milReaders; const ops are decoded by parseProgram itself.
func TestWrittenMILOpsReadBack(t *testing.T) {
	for k := range nnLayers {
		if _, ok := milReaders[k]; !ok && k != "const" {
			t.Errorf("MIL op %s has a NeuralNetwork layer but is not read back from an ML Program", k)
		}
	}
}
