package onnx

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestProtoMatchesGenerated checks, without protoc, that every field of
// onnx.proto (message, name, number, repeated or not, type) is in the
// descriptor compiled into onnx.pb.go and the other way round, so an edit of
// the .proto without `go generate ./onnx` fails here even where protoc is
// not installed (TestGeneratedCodeUpToDate then checks byte equality).
func TestProtoMatchesGenerated(t *testing.T) {
	f, err := os.Open("onnx.proto")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msgRe := regexp.MustCompile(`^message\s+(\w+)\s*\{`)
	oneofRe := regexp.MustCompile(`^oneof\s+\w+\s*\{`)
	fieldRe := regexp.MustCompile(`^(optional|repeated)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+)`)
	var stack []string // message names, "" for oneof blocks
	fromProto := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "":
		case msgRe.MatchString(line):
			stack = append(stack, msgRe.FindStringSubmatch(line)[1])
		case oneofRe.MatchString(line):
			stack = append(stack, "")
		case strings.HasPrefix(line, "}"):
			stack = stack[:len(stack)-1]
		case strings.HasPrefix(line, "reserved"), strings.HasPrefix(line, "syntax"),
			strings.HasPrefix(line, "package"), strings.HasPrefix(line, "option "):
		default:
			m := fieldRe.FindStringSubmatch(line)
			if m == nil || len(stack) == 0 {
				t.Fatalf("cannot read onnx.proto line %q", line)
			}
			var path []string
			for _, s := range stack {
				if s != "" {
					path = append(path, s)
				}
			}
			typ := m[2]
			if i := strings.LastIndex(typ, "."); i >= 0 {
				typ = typ[i+1:]
			}
			fromProto[strings.Join(path, ".")+" "+m[1]+" "+typ+" "+m[3]+"="+m[4]] = true
		}
	}
	fromGo := map[string]bool{}
	var walk func(md protoreflect.MessageDescriptors, prefix string)
	walk = func(md protoreflect.MessageDescriptors, prefix string) {
		for i := 0; i < md.Len(); i++ {
			m := md.Get(i)
			name := prefix + string(m.Name())
			fs := m.Fields()
			for j := 0; j < fs.Len(); j++ {
				fd := fs.Get(j)
				label := "optional"
				if fd.Cardinality() == protoreflect.Repeated {
					label = "repeated"
				} else if fd.ContainingOneof() != nil {
					label = ""
				}
				typ := fd.Kind().String()
				if fd.Message() != nil {
					typ = string(fd.Message().Name())
				}
				fromGo[name+" "+label+" "+typ+" "+string(fd.Name())+"="+strconv.Itoa(int(fd.Number()))] = true
			}
			walk(m.Messages(), name+".")
		}
	}
	walk(File_onnx_proto.Messages(), "")
	var missing, extra []string
	for k := range fromProto {
		if !fromGo[k] {
			missing = append(missing, k)
		}
	}
	for k := range fromGo {
		if !fromProto[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("onnx.pb.go does not match onnx.proto (run go generate ./onnx)\nonly in .proto: %v\nonly in .pb.go: %v", missing, extra)
	}
	if len(fromProto) < 100 {
		t.Fatalf("read only %d fields from onnx.proto", len(fromProto))
	}
	if got := string(File_onnx_proto.Package()); got != "mconv.onnx" {
		t.Fatalf("proto package %q, want mconv.onnx (onnx-go registers \"onnx\")", got)
	}
}
