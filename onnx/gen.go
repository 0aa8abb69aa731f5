package onnx

// onnx.pb.go is generated from onnx.proto by protoc with protoc-gen-go (a Go
// tool of this module, see go.mod). The protoc version line is normalized so
// that any protoc 3.x/4.x reproduces the file byte for byte.
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative onnx.proto && sed -i 's|^//[[:space:]]*protoc[[:space:]].*v[0-9].*$|// \tprotoc        (any)|' onnx.pb.go"
