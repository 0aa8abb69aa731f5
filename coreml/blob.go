package coreml

import (
	"encoding/binary"
	"fmt"
)

// BlobDType is the element type code of a blob in a MIL weight file.
type BlobDType uint32

// Blob element type codes of MIL blob storage version 2.
const (
	BlobFloat16 BlobDType = 1
	BlobFloat32 BlobDType = 2
	BlobUint8   BlobDType = 3
	BlobInt8    BlobDType = 4
)

const (
	blobVersion   = 2
	blobSentinel  = 0xDEADBEEF
	blobAlign     = 64
	blobHeaderLen = 64
	blobMetaLen   = 64
)

// BlobWriter builds a weights/weight.bin file (MIL blob storage, version 2):
// a 64-byte header {count u32, version u32 = 2, zeros}, then for each blob a
// 64-byte metadata record at the next 64-byte-aligned offset {sentinel u32 =
// 0xDEADBEEF, dtype u32, size u64, data offset u64, padding bits u64, zeros}
// followed by the raw little-endian data. Gaps are zero; nothing follows the
// last blob.
type BlobWriter struct {
	buf   []byte
	count uint32
}

// NewBlobWriter returns a writer holding only the file header.
func NewBlobWriter() *BlobWriter {
	w := &BlobWriter{buf: make([]byte, blobHeaderLen)}
	binary.LittleEndian.PutUint32(w.buf[4:], blobVersion)
	return w
}

// Add appends one blob and returns the offset of its metadata record, the
// value a BlobFileValue's offset field holds.
func (w *BlobWriter) Add(dt BlobDType, data []byte) uint64 {
	for len(w.buf)%blobAlign != 0 {
		w.buf = append(w.buf, 0)
	}
	meta := uint64(len(w.buf))
	rec := make([]byte, blobMetaLen)
	binary.LittleEndian.PutUint32(rec[0:], blobSentinel)
	binary.LittleEndian.PutUint32(rec[4:], uint32(dt))
	binary.LittleEndian.PutUint64(rec[8:], uint64(len(data)))
	binary.LittleEndian.PutUint64(rec[16:], meta+blobMetaLen)
	w.buf = append(w.buf, rec...)
	w.buf = append(w.buf, data...)
	w.count++
	binary.LittleEndian.PutUint32(w.buf[0:], w.count)
	return meta
}

// Bytes returns the file contents so far.
func (w *BlobWriter) Bytes() []byte { return w.buf }

// ReadBlob returns the type and data of the blob whose metadata record is at
// offset in file, checking the header, the sentinel and the bounds.
func ReadBlob(file []byte, offset uint64) (BlobDType, []byte, error) {
	if len(file) < blobHeaderLen {
		return 0, nil, fmt.Errorf("weight file too short (%d bytes) for its header", len(file))
	}
	if v := binary.LittleEndian.Uint32(file[4:]); v != blobVersion {
		return 0, nil, fmt.Errorf("weight file has blob storage version %d, want %d", v, blobVersion)
	}
	if offset%blobAlign != 0 || offset < blobHeaderLen || offset > uint64(len(file))-blobMetaLen {
		return 0, nil, fmt.Errorf("blob offset %d is not a 64-byte-aligned record inside the %d-byte weight file", offset, len(file))
	}
	rec := file[offset : offset+blobMetaLen]
	if s := binary.LittleEndian.Uint32(rec[0:]); s != blobSentinel {
		return 0, nil, fmt.Errorf("blob at offset %d: bad sentinel %#x", offset, s)
	}
	dt := BlobDType(binary.LittleEndian.Uint32(rec[4:]))
	size := binary.LittleEndian.Uint64(rec[8:])
	data := binary.LittleEndian.Uint64(rec[16:])
	if data < offset+blobMetaLen || data > uint64(len(file)) || size > uint64(len(file))-data {
		return 0, nil, fmt.Errorf("blob at offset %d: data [%d, +%d) outside the %d-byte weight file", offset, data, size, len(file))
	}
	return dt, file[data : data+size], nil
}
