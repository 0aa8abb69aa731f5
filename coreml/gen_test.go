package coreml

import (
	"bytes"
	"github.com/mconv/mconv/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeUpToDate regenerates pb/*.pb.go from proto/*.proto with
// the same command as `go generate` and compares with the committed files.
func TestGeneratedCodeUpToDate(t *testing.T) {
	testenv.Tool(t, "protoc", "apt-get install protobuf-compiler")
	if testing.Short() {
		t.Skip("-short: skipping the protoc run")
	}
	dir := t.TempDir()
	plugin, err := filepath.Abs("pb/protoc-gen-go.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("protoc", "--plugin=protoc-gen-go="+plugin, "--proto_path=proto", "--go_out="+dir,
		"--go_opt=paths=source_relative", "proto/model.proto", "proto/mil.proto", "proto/neuralnetwork.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	for _, f := range []string{"model.pb.go", "mil.pb.go", "neuralnetwork.pb.go"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("pb", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stripVersions(got), stripVersions(want)) {
			t.Errorf("pb/%s is out of date: run go generate ./coreml", f)
		}
	}
}

// stripVersions drops the tool version lines of the generated header, which
// depend on the installed protoc.
func stripVersions(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("// \tprotoc ")) || bytes.HasPrefix(l, []byte("// \tprotoc-gen-go ")) {
			continue
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}
