#!/usr/bin/env python3
"""Write testdata/tensor_reference.json: for a sample of the serialized
tensors in the ONNX backend test data (a few per data type), the dtype,
dims and the SHA-256 of the elements as the onnx Python package reads them
(numpy_helper.to_array), laid out little-endian as ONNX raw_data (4-bit
types packed two per byte, low nibble first; strings as length-prefixed
bytes). onnx/tensor_test.go decodes the same files with mconv and compares.

Usage: python tensor_reference.py ONNX_TESTS_DIR OUT.json
"""
import glob
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PER_DTYPE = 6


def raw_bytes(t):
    a = numpy_helper.to_array(t)
    dt = t.data_type
    if dt == onnx.TensorProto.STRING:
        h = b""
        for s in a.flatten():
            if isinstance(s, str):
                s = s.encode()
            h += len(s).to_bytes(8, "little") + s
        return h
    if dt in (onnx.TensorProto.INT4, onnx.TensorProto.UINT4, onnx.TensorProto.FLOAT4E2M1):
        flat = a.flatten().view(np.uint8) if a.dtype.itemsize == 1 else a.flatten().astype(np.uint8)
        flat = [int(x) & 0x0F for x in flat]
        if len(flat) % 2:
            flat.append(0)
        return bytes(flat[i] | (flat[i + 1] << 4) for i in range(0, len(flat), 2))
    if dt == onnx.TensorProto.BOOL:
        return a.astype(np.uint8).tobytes()
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def main():
    root, out = sys.argv[1], sys.argv[2]
    seen = {}
    rows = []
    for case in sorted(glob.glob(os.path.join(root, "node", "*"))):
        mpath = os.path.join(case, "model.onnx")
        if not os.path.exists(mpath):
            continue
        m = onnx.load(mpath, load_external_data=False)
        ios = [("input", v) for v in m.graph.input] + [("output", v) for v in m.graph.output]
        # Graph inputs that are initializers are not fed; the .pb files
        # number only the real inputs.
        inits = {t.name for t in m.graph.initializer}
        idx = {"input": 0, "output": 0}
        for kind, v in ios:
            if kind == "input" and v.name in inits:
                continue
            i = idx[kind]
            idx[kind] += 1
            if not v.type.HasField("tensor_type"):
                continue
            f = os.path.join(case, "test_data_set_0", "%s_%d.pb" % (kind, i))
            if not os.path.exists(f):
                continue
            t = onnx.TensorProto()
            with open(f, "rb") as fh:
                t.ParseFromString(fh.read())
            if seen.get(t.data_type, 0) >= PER_DTYPE:
                continue
            try:
                b = raw_bytes(t)
            except Exception as e:  # a dtype numpy cannot express
                print("skip", f, e, file=sys.stderr)
                continue
            seen[t.data_type] = seen.get(t.data_type, 0) + 1
            rows.append({
                "file": os.path.relpath(f, root),
                "dtype": t.data_type,
                "dims": list(t.dims),
                "sha256": hashlib.sha256(b).hexdigest(),
            })
    with open(out, "w") as fh:
        json.dump({"generator": "tools/reference/tensor_reference.py", "onnx": onnx.__version__, "tensors": rows}, fh, indent=1)
        fh.write("\n")
    print(len(rows), "tensors,", len(seen), "dtypes")


if __name__ == "__main__":
    main()
