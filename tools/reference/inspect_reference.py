#!/usr/bin/env python3
"""Independent reader for `mconv inspect --json`: computes the same summary
of an ONNX file with the onnx Python package.

Usage: python inspect_reference.py MODEL.onnx [OUT.json]

Keys: producer, producer_version, ir_version, opset (domain -> version,
"ai.onnx" for the default domain), inputs / outputs (name, dtype, shape:
ints for known dims, the dim_param or "?" for others, null for unknown
rank), ops (op type -> count, subgraphs included, "domain.Op" outside the
default domain), nodes, params (elements of all float initializers and of
the float tensors of Constant nodes: value, value_float(s), sparse_value
values), param_bytes, file_size.
"""
import json
import os
import sys

import onnx

DTYPES = {
    0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16",
    6: "int32", 7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64",
    12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
    17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
    21: "uint4", 22: "int4", 23: "float4e2m1",
}
FLOATS = {1: 32, 10: 16, 11: 64, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 23: 4}


def nelem(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def value(v):
    t = v.type
    out = {"name": v.name, "dtype": None, "shape": None}
    if t.HasField("tensor_type"):
        out["dtype"] = DTYPES.get(t.tensor_type.elem_type, "dtype(%d)" % t.tensor_type.elem_type)
        if t.tensor_type.HasField("shape"):
            out["shape"] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                            for d in t.tensor_type.shape.dim]
    return out


def summarize(path):
    m = onnx.load(path, load_external_data=False)
    ops = {}
    counts = {"params": 0, "bits": 0, "nodes": 0}

    def add_tensor(t):
        if t.data_type in FLOATS:
            n = nelem(t.dims)
            counts["params"] += n
            counts["bits"] += n * FLOATS[t.data_type]

    def walk(g):
        for t in g.initializer:
            add_tensor(t)
        for sp in g.sparse_initializer:
            add_tensor(sp.values)
        for n in g.node:
            counts["nodes"] += 1
            key = n.op_type if n.domain in ("", "ai.onnx") else n.domain + "." + n.op_type
            ops[key] = ops.get(key, 0) + 1
            const = n.op_type == "Constant" and n.domain in ("", "ai.onnx")
            for a in n.attribute:
                if const and a.name == "value":
                    add_tensor(a.t)
                elif const and a.name == "value_float":
                    counts["params"] += 1
                    counts["bits"] += 32
                elif const and a.name == "value_floats":
                    counts["params"] += len(a.floats)
                    counts["bits"] += 32 * len(a.floats)
                elif const and a.name == "sparse_value":
                    add_tensor(a.sparse_tensor.values)
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)

    walk(m.graph)
    inits = {t.name for t in m.graph.initializer}
    return {
        "producer": m.producer_name,
        "producer_version": m.producer_version,
        "ir_version": m.ir_version,
        "opset": {(o.domain or "ai.onnx"): o.version for o in m.opset_import},
        "inputs": [value(v) for v in m.graph.input if v.name not in inits],
        "outputs": [value(v) for v in m.graph.output],
        "ops": ops,
        "nodes": counts["nodes"],
        "params": counts["params"],
        "param_bytes": (counts["bits"] + 7) // 8,
        "file_size": os.path.getsize(path),
    }


def main():
    s = summarize(sys.argv[1])
    text = json.dumps(s, indent=1, sort_keys=True) + "\n"
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
