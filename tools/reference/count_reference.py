#!/usr/bin/env python3
"""Independent reference counter for `mconv stats` (ir/metrics).

Recomputes, with the Python `onnx` package and ONNX's own shape inference
(not mconv's), the figures mconv reports: params, BatchNorm buffers, MACs,
FLOPs and memory access bytes, per node and in total, following the
conventions written in ir/metrics/README.md (section "Efficiency metrics"):

  MACs   Conv: |Y| * prod(W.shape[1:]); ConvTranspose: |X| * prod(W.shape[1:]);
         Gemm: |Y| * K; MatMul: |Y| * A.shape[-1]; biases not counted.
  FLOPs  2 * MACs; +|Y| for elementwise ops, activations, normalizations,
         pooling (window and global) and reductions (issue 7's rule; it
         under-counts the additions inside pooling windows); data movement 0.
  bytes  activations read + written + constants read; float elements 4 bytes
         (2 with --fp16); views (Reshape, Flatten, ...) 0; sequence values 0
         (their tensors count where they are split off or taken out).
  params float constants at a weight slot or with more than one element;
         BN running mean/var are buffers.

Symbolic dimensions of graph inputs are fixed to 1 (batch 1) before shape
inference. Values whose shapes ONNX's inference leaves open get them from an
ONNX Runtime run on zeros (all intermediate values exposed as outputs).

Usage:
  count_reference.py count MODEL.onnx... [--root DIR] [--fp16] [--out FILE]
      JSON {"models": {path: {"params", "buffers", "macs", "flops",
      "memory_access_bytes", "layers": {first output name: {"op", "macs",
      "flops", "memory_access_bytes"}}}}}; paths relative to --root.
  count_reference.py make-models DIR
      writes the small op-coverage models used by ir/metrics tests.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHT_SLOTS = {
    "Conv": {1, 2}, "ConvTranspose": {1, 2}, "Gemm": {1, 2}, "MatMul": {0, 1},
    "BatchNormalization": {1, 2}, "InstanceNormalization": {1, 2},
    "LayerNormalization": {1, 2}, "GroupNormalization": {1, 2}, "PRelu": {1},
    "mconv.SqueezeExcite": {1, 2, 3, 4},
}
# One FLOP per output element: elementwise ops, activations, normalizations,
# and (issue 7's rule) pooling, window and global, and reductions; for those
# this under-counts the additions/comparisons inside each window.
PER_OUTPUT = set("""Add Sub Mul Div Pow Mod Max Min Sum Mean Neg Abs Sqrt Reciprocal Exp Log
Floor Ceil Round Sign Erf Sin Cos Tan Tanh Where Equal Less Greater LessOrEqual GreaterOrEqual
And Or Xor Not Relu LeakyRelu PRelu Sigmoid HardSigmoid HardSwish Clip Elu Selu Celu Gelu
Softplus Softsign Mish ThresholdedRelu Shrink mconv.Gelu mconv.SiLU BatchNormalization
InstanceNormalization LayerNormalization GroupNormalization LpNormalization Softmax LogSoftmax
Hardmax Resize Upsample
MaxPool AveragePool LpPool GlobalAveragePool GlobalMaxPool GlobalLpPool ReduceMean ReduceSum
ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceSumSquare
ArgMax ArgMin""".split())
VIEWS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Shape", "Size", "Constant"}
FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}


def prod(xs):
    p = 1
    for x in xs:
        p *= int(x)
    return p


def elem_bytes(dtype, fp16):
    if dtype in FLOAT_TYPES:
        if fp16:
            return 2
        return {TensorProto.FLOAT: 4, TensorProto.FLOAT16: 2, TensorProto.BFLOAT16: 2, TensorProto.DOUBLE: 8}[dtype]
    return np.dtype(helper.tensor_dtype_to_np_dtype(dtype)).itemsize


def op_name(node):
    return node.op_type if node.domain in ("", "ai.onnx") else node.domain + "." + node.op_type


def fix_batch(model):
    for inp in model.graph.input:
        t = inp.type.tensor_type
        for d in t.shape.dim:
            if not d.HasField("dim_value"):
                d.dim_value = 1


def ort_shapes(model, names):
    """Shapes ONNX's inference leaves open (e.g. Expand of a Shape chain in
    dynamo exports), taken from an actual ONNX Runtime run on zeros with
    every named value exposed as a graph output."""
    import onnxruntime as ort
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for name in names:
        if name not in have:
            m.graph.output.append(onnx.ValueInfoProto(name=name))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    inits = {i.name for i in m.graph.initializer}
    feeds = {}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        shape = [d.dim_value for d in tt.shape.dim]
        feeds[inp.name] = np.zeros(shape, dtype=helper.tensor_dtype_to_np_dtype(tt.elem_type))
    outs = sess.run(names, feeds)
    shapes = {n: (helper.np_dtype_to_tensor_dtype(o.dtype), list(o.shape)) for n, o in zip(names, outs) if isinstance(o, np.ndarray)}
    return shapes, {n for n, o in zip(names, outs) if isinstance(o, list)}


def count(path, fp16=False):
    model = onnx.load(path)
    fix_batch(model)
    original = model
    model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    g = model.graph
    # name -> (dtype, shape)
    info = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            info[vi.name] = (tt.elem_type, [d.dim_value for d in tt.shape.dim])
    seqs = {vi.name for vi in g.value_info if vi.type.HasField("sequence_type")}
    missing = [o for n in g.node for o in n.output if o and o not in info and o not in seqs]
    if missing:
        found, more_seqs = ort_shapes(original, missing)
        info.update(found)
        seqs |= more_seqs
    consts = {}
    for t in g.initializer:
        consts[t.name] = t
        info[t.name] = (t.data_type, list(t.dims))
    for n in g.node:
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            for a in n.attribute:
                if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
                    consts[n.output[0]] = a.t
                    info[n.output[0]] = (a.t.data_type, list(a.t.dims))

    rank = {"other": 1, "param": 2, "buffer": 3}
    kinds = {}
    for n in g.node:
        op = op_name(n)
        for i, name in enumerate(n.input):
            if name == "" or name not in consts:
                continue
            t = consts[name]
            if op == "BatchNormalization" and i in (3, 4):
                k = "buffer"
            elif t.data_type not in FLOAT_TYPES:
                k = "other"
            elif i in WEIGHT_SLOTS.get(op, ()) or prod(t.dims) > 1:
                k = "param"
            else:
                k = "other"
            if name not in kinds or rank[k] > rank[kinds[name]]:
                kinds[name] = k

    def shape(name, node):
        if name not in info:
            raise SystemExit(f"{path}: node {node.name!r} ({node.op_type}): no static shape for {name!r}")
        return info[name]

    tot = {"params": 0, "buffers": 0, "macs": 0, "flops": 0, "memory_access_bytes": 0}
    layers = {}
    seen = set()
    for n in g.node:
        op = op_name(n)
        for name in n.input:
            if name in consts and name not in seen:
                seen.add(name)
                if kinds[name] == "param":
                    tot["params"] += prod(consts[name].dims)
                elif kinds[name] == "buffer":
                    tot["buffers"] += prod(consts[name].dims)
        macs = flops = nbytes = 0
        if op not in VIEWS:
            for name in list(n.input) + list(n.output):
                if name and name not in seqs:  # a sequence costs nothing itself
                    dt, s = shape(name, n)
                    nbytes += prod(s) * elem_bytes(dt, fp16)
            ins = [shape(x, n)[1] if x and x not in seqs else None for x in n.input]
            y = shape(n.output[0], n)[1] if n.output and n.output[0] and n.output[0] not in seqs else None
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if op == "Conv":
                macs = prod(y) * prod(ins[1][1:])
            elif op == "ConvTranspose":
                macs = prod(ins[0]) * prod(ins[1][1:])
            elif op == "Gemm":
                k = ins[0][0] if attrs.get("transA", 0) else ins[0][1]
                macs = prod(y) * k
            elif op == "MatMul":
                macs = prod(y) * ins[0][-1]
            elif op == "mconv.SqueezeExcite":
                nb, ch, cr = ins[0][0], ins[0][1], ins[1][0]
                macs = nb * 2 * ch * cr
                # mean over H,W (global pool: N*C outputs), ReLU (N*Cr),
                # gate (N*C), broadcast Mul (|X|)
                flops = nb * ch + nb * cr + nb * ch + prod(ins[0])
            elif op in PER_OUTPUT:
                flops = prod(y)
            flops += 2 * macs
        key = n.output[0]
        layers[key] = {"op": op, "macs": macs, "flops": flops, "memory_access_bytes": nbytes}
        tot["macs"] += macs
        tot["flops"] += flops
        tot["memory_access_bytes"] += nbytes
    tot["layers"] = layers
    return tot


def make_models(out_dir):
    """Small models covering the counted ops with awkward attributes."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.RandomState(0)

    def w(name, *shape):
        return numpy_helper.from_array(rng.randn(*shape).astype(np.float32) * 0.1, name)

    nodes = [
        # grouped, dilated, strided conv with asymmetric padding
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv_grouped_dilated", group=2,
                         dilations=[2, 2], strides=[2, 1], pads=[1, 2, 2, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["bn"], name="bn"),
        helper.make_node("HardSwish", ["bn"], ["a1"], name="act"),
        # depthwise 5x5 same padding
        helper.make_node("Conv", ["a1", "w2"], ["c2"], name="conv_dw", group=8, pads=[2, 2, 2, 2], kernel_shape=[5, 5]),
        # transposed conv, groups 2, stride 2, output_padding 1
        helper.make_node("ConvTranspose", ["c2", "w3", "b3"], ["t1"], name="deconv", group=2, strides=[2, 2],
                         pads=[1, 1, 1, 1], output_padding=[1, 1], kernel_shape=[3, 3]),
        helper.make_node("MaxPool", ["t1"], ["p1"], name="maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["p1"], ["p2"], name="avgpool", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Transpose", ["p2"], ["tr"], name="transpose", perm=[0, 2, 3, 1]),
        # batched matmul [1, H, W, 4] x [4, 6]
        helper.make_node("MatMul", ["tr", "w4"], ["mm"], name="matmul"),
        helper.make_node("ReduceMean", ["mm"], ["rm"], name="reduce", axes=[1, 2], keepdims=0),
        helper.make_node("Mul", ["rm", "scale"], ["sc"], name="scale_mul"),
        # Gemm with transA: A' = rm^T -> need [K, M]: transpose back
        helper.make_node("Transpose", ["sc"], ["scT"], name="transpose2", perm=[1, 0]),
        helper.make_node("Gemm", ["scT", "w5", "b5"], ["fc"], name="gemm_transA", transA=1, transB=1),
        helper.make_node("Softmax", ["fc"], ["y"], name="softmax", axis=1),
    ]
    inits = [
        w("w1", 8, 2, 3, 3), w("b1", 8),
        w("g", 8), w("be", 8), w("mu", 8),
        numpy_helper.from_array((rng.rand(8) + 0.5).astype(np.float32), "var"),
        w("w2", 8, 1, 5, 5),
        w("w3", 8, 3, 3, 3), w("b3", 6),
        w("w4", 6, 5),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "scale"),
        w("w5", 10, 5), w("b5", 10),
    ]
    graph = helper.make_graph(nodes, "ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 17, 15])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="count_reference.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out_dir, "ops.onnx"))

    # Linear layers through MatMul + Add (older exporters) with a 1-D bias
    # and a 3-D activation.
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm1"),
        helper.make_node("Add", ["h", "b"], ["hb"], name="add1"),
        helper.make_node("Relu", ["hb"], ["g"], name="relu"),
        helper.make_node("MatMul", ["g", "w2"], ["y"], name="mm2"),
    ]
    inits = [w("w", 12, 32), w("b", 32), w("w2", 32, 7)]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 9, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 9, 7])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="count_reference.py")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out_dir, "mlp.onnx"))


def dump(res):
    """JSON with one line per model total and one line per layer (compact,
    diff-friendly), keys sorted."""
    out = ['{"models": {']
    models = sorted(res["models"].items())
    for i, (path, r) in enumerate(models):
        tot = {k: v for k, v in r.items() if k != "layers"}
        out.append(" %s: %s" % (json.dumps(path), json.dumps(tot, sort_keys=True)[:-1] + ', "layers": {'))
        layers = sorted(r["layers"].items())
        for j, (name, l) in enumerate(layers):
            out.append("  %s: %s%s" % (json.dumps(name), json.dumps(l, sort_keys=True), "," if j < len(layers) - 1 else ""))
        out.append(" }}" + ("," if i < len(models) - 1 else ""))
    out.append("}}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("count")
    c.add_argument("models", nargs="+")
    c.add_argument("--root", default=".")
    c.add_argument("--fp16", action="store_true")
    c.add_argument("--out")
    mk = sub.add_parser("make-models")
    mk.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "make-models":
        make_models(a.dir)
        return
    res = {"models": {}}
    for p in a.models:
        res["models"][os.path.relpath(p, a.root)] = count(p, a.fp16)
    text = dump(res)
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.out)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
