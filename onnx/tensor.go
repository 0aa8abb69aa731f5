package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mconv/mconv/internal/atomicfile"
	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// dataLocationExternal is TensorProto.DataLocation EXTERNAL.
const dataLocationExternal = 1

// DecodeTensor parses a serialized TensorProto (the .pb files of the ONNX
// test data). Tensors whose data lives in an external file are refused:
// there is no folder to resolve them against (use ReadTensorFile).
func DecodeTensor(data []byte) (*ir.Tensor, error) {
	var tp TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, fmt.Errorf("not a TensorProto: %w", err)
	}
	return tensorFromProto(&tp, "")
}

// EncodeTensor serializes t as a TensorProto with raw_data (string tensors
// use string_data).
func EncodeTensor(t *ir.Tensor) ([]byte, error) {
	tp, err := tensorToProto(t)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(tp)
}

// ReadTensorFile reads a serialized TensorProto file. External data is
// resolved relative to the file's folder.
func ReadTensorFile(path string) (*ir.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tp TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, fmt.Errorf("%s: not a TensorProto: %w", path, err)
	}
	t, err := tensorFromProto(&tp, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteTensorFile writes t as a serialized TensorProto, through a temporary
// file in the target folder renamed into place.
func WriteTensorFile(path string, t *ir.Tensor) error {
	data, err := EncodeTensor(t)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data)
}

// tensorName is the tensor's name for error messages.
func tensorName(tp *TensorProto) string {
	if tp.GetName() == "" {
		return "tensor"
	}
	return fmt.Sprintf("tensor %q", tp.GetName())
}

// tensorFromProto converts a TensorProto, reading external data relative to
// dir (refused when dir is ""). Dims are checked before anything is
// allocated, so a hostile file cannot make it allocate more than its own
// size (or, for external data, the size of the referenced file).
func tensorFromProto(tp *TensorProto, dir string) (*ir.Tensor, error) {
	dt := ir.DType(tp.GetDataType())
	if !dt.Valid() {
		return nil, fmt.Errorf("%s: unsupported data type %d", tensorName(tp), tp.GetDataType())
	}
	for _, d := range tp.Dims {
		if d < 0 {
			return nil, fmt.Errorf("%s: negative dimension in shape %v", tensorName(tp), tp.Dims)
		}
	}
	n := ir.NumElements(tp.Dims)
	if n < 0 {
		return nil, fmt.Errorf("%s: shape %v has more than 2^40 elements", tensorName(tp), tp.Dims)
	}
	t := &ir.Tensor{Name: tp.GetName(), DType: dt, Dims: append([]int64{}, tp.Dims...), Doc: tp.GetDocString()}
	if tp.Segment != nil {
		return nil, fmt.Errorf("%s: segmented tensors are not supported", tensorName(tp))
	}
	if tp.GetDataLocation() == dataLocationExternal || (tp.DataLocation == nil && len(tp.ExternalData) > 0) {
		if dt == ir.String {
			return nil, fmt.Errorf("%s: string tensors cannot use external data", tensorName(tp))
		}
		raw, err := readExternal(tp, dir, ir.ByteLen(dt, tp.Dims))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tensorName(tp), err)
		}
		t.Raw = raw
		return t, nil
	}
	if tp.GetDataLocation() != 0 {
		return nil, fmt.Errorf("%s: unknown data_location %d", tensorName(tp), tp.GetDataLocation())
	}
	if dt == ir.String {
		if tp.RawData != nil && len(tp.RawData) > 0 {
			return nil, fmt.Errorf("%s: string tensor with raw_data", tensorName(tp))
		}
		if int64(len(tp.StringData)) != n {
			return nil, fmt.Errorf("%s: %d strings for shape %v", tensorName(tp), len(tp.StringData), tp.Dims)
		}
		t.Strings = make([][]byte, n)
		for i, s := range tp.StringData {
			t.Strings[i] = append([]byte{}, s...)
		}
		return t, nil
	}
	want := ir.ByteLen(dt, tp.Dims)
	if tp.RawData != nil && (len(tp.RawData) > 0 || !hasTypedData(tp)) {
		if int64(len(tp.RawData)) != want {
			return nil, fmt.Errorf("%s: raw_data has %d bytes, shape %v of %s needs %d", tensorName(tp), len(tp.RawData), tp.Dims, dt, want)
		}
		// tp is a freshly decoded message that callers drop, so the
		// tensor takes its bytes instead of copying them.
		t.Raw = tp.RawData
		if t.Raw == nil {
			t.Raw = []byte{}
		}
		return t, nil
	}
	raw, err := typedToRaw(tp, dt, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tensorName(tp), err)
	}
	t.Raw = raw
	return t, nil
}

func hasTypedData(tp *TensorProto) bool {
	return len(tp.FloatData) > 0 || len(tp.Int32Data) > 0 || len(tp.Int64Data) > 0 ||
		len(tp.DoubleData) > 0 || len(tp.Uint64Data) > 0 || len(tp.StringData) > 0
}

// typedToRaw converts the typed data fields to raw little-endian bytes,
// following the ONNX rules for which field holds which type:
// float_data: float32, complex64 (2 per element); int32_data: int32, int16,
// int8, uint16, uint8, bool, float16 and bfloat16 (bit patterns), the 8-bit
// floats, and the 4-bit types (one byte of two packed nibbles per entry);
// int64_data: int64; uint64_data: uint32, uint64; double_data: float64,
// complex128 (2 per element).
func typedToRaw(tp *TensorProto, dt ir.DType, n int64) ([]byte, error) {
	count := func(got int, want int64, field string) error {
		if int64(got) != want {
			return fmt.Errorf("%s has %d entries, shape %v of %s needs %d", field, got, tp.Dims, dt, want)
		}
		return nil
	}
	le := binary.LittleEndian
	switch dt {
	case ir.Float32, ir.Complex64:
		want := n
		if dt == ir.Complex64 {
			want = 2 * n
		}
		if err := count(len(tp.FloatData), want, "float_data"); err != nil {
			return nil, err
		}
		raw := make([]byte, 4*len(tp.FloatData))
		for i, f := range tp.FloatData {
			le.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		return raw, nil
	case ir.Float64, ir.Complex128:
		want := n
		if dt == ir.Complex128 {
			want = 2 * n
		}
		if err := count(len(tp.DoubleData), want, "double_data"); err != nil {
			return nil, err
		}
		raw := make([]byte, 8*len(tp.DoubleData))
		for i, f := range tp.DoubleData {
			le.PutUint64(raw[8*i:], math.Float64bits(f))
		}
		return raw, nil
	case ir.Int64:
		if err := count(len(tp.Int64Data), n, "int64_data"); err != nil {
			return nil, err
		}
		raw := make([]byte, 8*n)
		for i, v := range tp.Int64Data {
			le.PutUint64(raw[8*i:], uint64(v))
		}
		return raw, nil
	case ir.Uint32, ir.Uint64:
		if err := count(len(tp.Uint64Data), n, "uint64_data"); err != nil {
			return nil, err
		}
		sz := dt.Size()
		raw := make([]byte, int64(sz)*n)
		for i, v := range tp.Uint64Data {
			if sz == 4 {
				le.PutUint32(raw[4*i:], uint32(v))
			} else {
				le.PutUint64(raw[8*i:], v)
			}
		}
		return raw, nil
	case ir.Int32, ir.Int16, ir.Int8, ir.Uint16, ir.Uint8, ir.Bool, ir.Float16, ir.BFloat16,
		ir.Float8E4M3FN, ir.Float8E4M3FNUZ, ir.Float8E5M2, ir.Float8E5M2FNUZ:
		if err := count(len(tp.Int32Data), n, "int32_data"); err != nil {
			return nil, err
		}
		sz := dt.Size()
		raw := make([]byte, int64(sz)*n)
		for i, v := range tp.Int32Data {
			switch sz {
			case 1:
				raw[i] = byte(v)
			case 2:
				le.PutUint16(raw[2*i:], uint16(v))
			case 4:
				le.PutUint32(raw[4*i:], uint32(v))
			}
		}
		return raw, nil
	case ir.Uint4, ir.Int4, ir.Float4E2M1:
		want := (n + 1) / 2
		if err := count(len(tp.Int32Data), want, "int32_data"); err != nil {
			return nil, err
		}
		raw := make([]byte, want)
		for i, v := range tp.Int32Data {
			raw[i] = byte(v)
		}
		if n%2 == 1 {
			raw[want-1] &= 0x0f
		}
		return raw, nil
	}
	return nil, fmt.Errorf("no typed data field for %s", dt)
}

// tensorToProto converts t, writing raw_data (string_data for strings).
func tensorToProto(t *ir.Tensor) (*TensorProto, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	tp := &TensorProto{Dims: append([]int64{}, t.Dims...), DataType: proto.Int32(int32(t.DType))}
	if t.Name != "" {
		tp.Name = proto.String(t.Name)
	}
	if t.Doc != "" {
		tp.DocString = proto.String(t.Doc)
	}
	if t.DType == ir.String {
		tp.StringData = make([][]byte, len(t.Strings))
		for i, s := range t.Strings {
			tp.StringData[i] = append([]byte{}, s...)
		}
		return tp, nil
	}
	tp.RawData = append([]byte{}, t.Raw...)
	return tp, nil
}

// readExternal reads the external data of tp. The location must be a
// relative path inside dir that stays inside dir after resolving symbolic
// links; offset and length must lie within the file; the length must be
// exactly want bytes.
func readExternal(tp *TensorProto, dir string, want int64) ([]byte, error) {
	var loc string
	offset, length := int64(0), int64(-1)
	for _, kv := range tp.ExternalData {
		switch kv.GetKey() {
		case "location":
			loc = kv.GetValue()
		case "offset", "length":
			v, err := strconv.ParseInt(kv.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("external data: bad %s %q", kv.GetKey(), kv.GetValue())
			}
			if kv.GetKey() == "offset" {
				offset = v
			} else {
				length = v
			}
		}
	}
	if err := checkLocation(loc); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("external data without a model folder to resolve it against")
	}
	path, err := externalPath(dir, loc)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("external data %q is not a regular file", loc)
	}
	size := st.Size()
	if offset > size {
		return nil, fmt.Errorf("external data %q: offset %d is past the end of the file (%d bytes)", loc, offset, size)
	}
	if length < 0 {
		length = size - offset
	}
	if length > size-offset {
		return nil, fmt.Errorf("external data %q: offset %d + length %d is past the end of the file (%d bytes)", loc, offset, length, size)
	}
	if length != want {
		return nil, fmt.Errorf("external data %q: length %d, shape %v of %s needs %d bytes", loc, length, tp.Dims, ir.DType(tp.GetDataType()), want)
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, fmt.Errorf("external data %q: %w", loc, err)
	}
	return buf, nil
}

// checkLocation refuses empty and absolute locations and ".." escapes.
func checkLocation(loc string) error {
	if loc == "" {
		return errors.New("external data without a location")
	}
	if filepath.IsAbs(loc) || strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`) || filepath.VolumeName(loc) != "" {
		return fmt.Errorf("external data location %q is an absolute path (must be relative to the model's folder)", loc)
	}
	clean := filepath.Clean(filepath.FromSlash(loc))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) || strings.Contains(loc, "\x00") {
		return fmt.Errorf("external data location %q leaves the model's folder", loc)
	}
	return nil
}

// externalPath resolves an external data location against the model's
// folder, refusing absolute paths, ".." escapes and symbolic links that
// lead out of the folder.
func externalPath(dir, loc string) (string, error) {
	if err := checkLocation(loc); err != nil {
		return "", err
	}
	clean := filepath.Clean(filepath.FromSlash(loc))
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("external data: %w", err)
	}
	base, err = filepath.Abs(base)
	if err != nil {
		return "", fmt.Errorf("external data: %w", err)
	}
	full := filepath.Join(base, clean)
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", fmt.Errorf("external data %q: %w", loc, err)
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return "", fmt.Errorf("external data: %w", err)
	}
	if real != base && !strings.HasPrefix(real, base+string(filepath.Separator)) {
		return "", fmt.Errorf("external data location %q leads out of the model's folder (symbolic link to %s)", loc, real)
	}
	return real, nil
}
