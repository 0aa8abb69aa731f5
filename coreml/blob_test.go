package coreml

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestBlobLayoutDocumentedExample checks the byte layout of the documented
// example of MIL blob storage v2 (coreml-format.md): fp32[3] then fp16[2]
// gives metadata at 64 and 192, data at 128 and 256, file length 260.
func TestBlobLayoutDocumentedExample(t *testing.T) {
	w := NewBlobWriter()
	f32 := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	f16 := []byte{0xAA, 0xBB, 0xCC, 0xDD}
	off1 := w.Add(BlobFloat32, f32)
	off2 := w.Add(BlobFloat16, f16)
	b := w.Bytes()
	le := binary.LittleEndian
	if off1 != 64 || off2 != 192 {
		t.Fatalf("metadata offsets %d, %d; want 64, 192", off1, off2)
	}
	if len(b) != 260 {
		t.Fatalf("file length %d, want 260", len(b))
	}
	if le.Uint32(b[0:]) != 2 || le.Uint32(b[4:]) != 2 {
		t.Errorf("header count=%d version=%d, want 2, 2", le.Uint32(b[0:]), le.Uint32(b[4:]))
	}
	for i := 8; i < 64; i++ {
		if b[i] != 0 {
			t.Fatalf("header byte %d = %d, want 0", i, b[i])
		}
	}
	cases := []struct {
		meta, data, size, dtype uint64
		payload                 []byte
	}{{64, 128, 12, 2, f32}, {192, 256, 4, 1, f16}}
	for _, c := range cases {
		r := b[c.meta : c.meta+64]
		if le.Uint32(r[0:]) != 0xDEADBEEF {
			t.Errorf("record %d: sentinel %#x", c.meta, le.Uint32(r[0:]))
		}
		if uint64(le.Uint32(r[4:])) != c.dtype || le.Uint64(r[8:]) != c.size || le.Uint64(r[16:]) != c.data || le.Uint64(r[24:]) != 0 {
			t.Errorf("record %d: dtype %d size %d data %d pad %d; want %d %d %d 0", c.meta,
				le.Uint32(r[4:]), le.Uint64(r[8:]), le.Uint64(r[16:]), le.Uint64(r[24:]), c.dtype, c.size, c.data)
		}
		for i := 32; i < 64; i++ {
			if r[i] != 0 {
				t.Errorf("record %d: reserved byte %d = %d", c.meta, i, r[i])
			}
		}
		if string(b[c.data:c.data+c.size]) != string(c.payload) {
			t.Errorf("record %d: payload differs", c.meta)
		}
	}
	// The gap between the end of blob 1 (140) and record 2 (192) is zero.
	for i := 140; i < 192; i++ {
		if b[i] != 0 {
			t.Fatalf("gap byte %d = %d, want 0", i, b[i])
		}
	}
	dt, data, err := ReadBlob(b, 192)
	if err != nil || dt != BlobFloat16 || string(data) != string(f16) {
		t.Errorf("ReadBlob(192) = %v, %v, %v", dt, data, err)
	}
}

func TestReadBlobErrors(t *testing.T) {
	w := NewBlobWriter()
	w.Add(BlobFloat32, make([]byte, 8))
	good := w.Bytes()
	badSentinel := append([]byte(nil), good...)
	badSentinel[64] = 0
	truncated := good[:130]
	badVersion := append([]byte(nil), good...)
	badVersion[4] = 1
	cases := []struct {
		name string
		file []byte
		off  uint64
		want string
	}{
		{"short", good[:10], 64, "too short"},
		{"version", badVersion, 64, "version 1"},
		{"unaligned", good, 65, "not a 64-byte-aligned"},
		{"past end", good, 128, "not a 64-byte-aligned"},
		{"sentinel", badSentinel, 64, "bad sentinel"},
		{"truncated", truncated, 64, "outside"},
	}
	for _, c := range cases {
		_, _, err := ReadBlob(c.file, c.off)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}
