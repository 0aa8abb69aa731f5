package onnx

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// TestTensorReference decodes a sample of the ONNX test data tensors (every
// data type) and compares their bytes with what the onnx Python package
// reads from the same files (testdata/tensor_reference.json, written by
// tools/reference/tensor_reference.py). Each tensor also survives
// EncodeTensor -> DecodeTensor unchanged.
func TestTensorReference(t *testing.T) {
	root := testenv.ONNXTests(t)
	data, err := os.ReadFile("../testdata/tensor_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Tensors []struct {
			File   string
			DType  int32
			Dims   []int64
			SHA256 string
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Tensors) < 100 {
		t.Fatalf("reference lists only %d tensors", len(ref.Tensors))
	}
	for _, r := range ref.Tensors {
		t.Run(r.File, func(t *testing.T) {
			tt, err := ReadTensorFile(filepath.Join(root, r.File))
			if !ir.DType(r.DType).Valid() {
				// Types newer than mconv's IR (float8e8m0, 2-bit ints, ...).
				if err == nil || !strings.Contains(err.Error(), "unsupported data type") {
					t.Fatalf("dtype %d: want an unsupported data type error, got %v", r.DType, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if int32(tt.DType) != r.DType || !slices.Equal(tt.Dims, r.Dims) {
				t.Fatalf("got %s%v, want dtype %d %v", tt.DType, tt.Dims, r.DType, r.Dims)
			}
			var b []byte
			if tt.DType == ir.String {
				for _, s := range tt.Strings {
					b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
					b = append(b, s...)
				}
			} else {
				b = tt.Raw
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != r.SHA256 {
				t.Fatalf("element bytes differ from onnx's reading (sha256 %s, want %s)", got, r.SHA256)
			}
			enc, err := EncodeTensor(tt)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeTensor(enc)
			if err != nil {
				t.Fatal(err)
			}
			if d := tensorDiff(tt, back); d != "" {
				t.Fatalf("EncodeTensor -> DecodeTensor: %s", d)
			}
		})
	}
}

func le32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// TestTypedFields checks the ONNX rules for the typed data fields, with
// expected bytes worked out by hand (IEEE bit patterns, two's complement).
func TestTypedFields(t *testing.T) {
	cases := []struct {
		name string
		tp   *TensorProto
		want []byte
	}{
		{"float_data", &TensorProto{DataType: proto.Int32(1), Dims: []int64{2}, FloatData: []float32{1, -2}},
			le32(0x3f800000, 0xc0000000)},
		{"complex64 float pairs", &TensorProto{DataType: proto.Int32(14), Dims: []int64{1}, FloatData: []float32{1, 2}},
			le32(0x3f800000, 0x40000000)},
		{"int32_data int8", &TensorProto{DataType: proto.Int32(3), Dims: []int64{3}, Int32Data: []int32{-1, 127, -128}},
			[]byte{0xff, 0x7f, 0x80}},
		{"int32_data bool", &TensorProto{DataType: proto.Int32(9), Dims: []int64{2}, Int32Data: []int32{1, 0}},
			[]byte{1, 0}},
		{"int32_data float16 bits", &TensorProto{DataType: proto.Int32(10), Dims: []int64{2}, Int32Data: []int32{0x3c00, 0xc000}},
			[]byte{0x00, 0x3c, 0x00, 0xc0}},
		{"int32_data int16", &TensorProto{DataType: proto.Int32(5), Dims: []int64{1}, Int32Data: []int32{-2}},
			[]byte{0xfe, 0xff}},
		{"int32_data int32", &TensorProto{DataType: proto.Int32(6), Dims: []int64{1}, Int32Data: []int32{-2}},
			le32(0xfffffffe)},
		{"int32_data int4 packed", &TensorProto{DataType: proto.Int32(22), Dims: []int64{3}, Int32Data: []int32{0x21, 0x03}},
			[]byte{0x21, 0x03}},
		{"int64_data", &TensorProto{DataType: proto.Int32(7), Dims: []int64{1}, Int64Data: []int64{-1}},
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"uint64_data uint32", &TensorProto{DataType: proto.Int32(12), Dims: []int64{1}, Uint64Data: []uint64{0xdeadbeef}},
			le32(0xdeadbeef)},
		{"double_data", &TensorProto{DataType: proto.Int32(11), Dims: []int64{1}, DoubleData: []float64{1}},
			binary.LittleEndian.AppendUint64(nil, math.Float64bits(1))},
		{"raw_data", &TensorProto{DataType: proto.Int32(1), Dims: []int64{1}, RawData: le32(0x3f800000)},
			le32(0x3f800000)},
		{"scalar", &TensorProto{DataType: proto.Int32(1), FloatData: []float32{1}},
			le32(0x3f800000)},
		{"empty", &TensorProto{DataType: proto.Int32(1), Dims: []int64{0, 3}},
			[]byte{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := proto.Marshal(c.tp)
			if err != nil {
				t.Fatal(err)
			}
			tt, err := DecodeTensor(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.Raw, c.want) {
				t.Fatalf("raw % x, want % x", tt.Raw, c.want)
			}
		})
	}
	// Strings.
	b, _ := proto.Marshal(&TensorProto{DataType: proto.Int32(8), Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("bc")}})
	tt, err := DecodeTensor(b)
	if err != nil || len(tt.Strings) != 2 || string(tt.Strings[1]) != "bc" {
		t.Fatalf("strings: %v %v", tt, err)
	}
}

// TestTensorErrors checks that malformed tensors give clear errors and
// never allocate from the declared shape.
func TestTensorErrors(t *testing.T) {
	cases := []struct {
		name string
		tp   *TensorProto
		want string
	}{
		{"huge shape", &TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{1 << 20, 1 << 20, 4}}, `tensor "w": shape [1048576 1048576 4] has more than 2^40 elements`},
		{"overflowing shape", &TensorProto{DataType: proto.Int32(1), Dims: []int64{1 << 62, 1 << 62}}, "more than 2^40 elements"},
		{"negative dim", &TensorProto{DataType: proto.Int32(1), Dims: []int64{-1}}, "negative dimension"},
		{"bad dtype", &TensorProto{DataType: proto.Int32(99), Dims: []int64{1}}, "unsupported data type 99"},
		{"short raw", &TensorProto{DataType: proto.Int32(1), Dims: []int64{4}, RawData: []byte{1, 2, 3}}, "raw_data has 3 bytes, shape [4] of float32 needs 16"},
		{"short typed", &TensorProto{DataType: proto.Int32(1), Dims: []int64{4}, FloatData: []float32{1}}, "float_data has 1 entries"},
		{"no data", &TensorProto{DataType: proto.Int32(7), Dims: []int64{2}}, "int64_data has 0 entries"},
		{"external without folder", &TensorProto{DataType: proto.Int32(1), Dims: []int64{1}, DataLocation: proto.Int32(1),
			ExternalData: []*StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}}, "external data without a model folder"},
		{"segment", &TensorProto{DataType: proto.Int32(1), Dims: []int64{1}, Segment: &TensorProto_Segment{}}, "segmented"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := proto.Marshal(c.tp)
			if err != nil {
				t.Fatal(err)
			}
			_, err = DecodeTensor(b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
	if _, err := DecodeTensor([]byte{0xff, 0xff, 0xff}); err == nil || !strings.Contains(err.Error(), "not a TensorProto") {
		t.Fatalf("garbage: %v", err)
	}
}

// TestWriteTensorFile writes and reads back a tensor, and checks that no
// temporary file is left behind.
func TestWriteTensorFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.pb")
	want := ir.NewFloat32([]int64{2, 2}, []float32{1, 2, 3, 4})
	want.Name = "x"
	if err := WriteTensorFile(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTensorFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if d := tensorDiff(want, got); d != "" {
		t.Fatal(d)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("folder holds %d entries, want 1", len(ents))
	}
}
