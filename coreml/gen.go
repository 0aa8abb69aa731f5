package coreml

// The Core ML protobuf types in pb/ are generated from the project's own
// .proto files in proto/ (a subset of Apple's specification). Reproduce with
// `go generate ./coreml` (needs protoc; protoc-gen-go comes from go.mod's tool
// directive).
//go:generate sh -c "protoc --plugin=protoc-gen-go=pb/protoc-gen-go.sh --proto_path=proto --go_out=pb --go_opt=paths=source_relative proto/model.proto proto/mil.proto proto/neuralnetwork.proto"
