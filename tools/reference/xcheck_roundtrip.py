#!/usr/bin/env python3
"""Crosscheck of mconv's lossless ONNX export.

Every shared ONNX test model ($MCONV_ONNX_TESTS/{node,pytorch-converted,
pytorch-operator,simple}/*/model.onnx and light/*.onnx) and every model under
testdata/ goes through `mconv roundtrip IN -o OUT` (load into the IR, write
back). Then:
  1. onnx.checker.check_model(OUT, full_check=True) must pass (where it
     passes on the original: a few ONNX test models are not checker-clean
     themselves; those are listed, not counted as mconv failures);
  2. ONNX Runtime must give bit-identical outputs for the original and the
     round-tripped model on the test inputs (test_data_set_0, or
     <stem>_data_set_0 beside testdata/golden's deploy.onnx, or
     arange(n)/n for the light models, seeded random otherwise). Models that
     ONNX Runtime cannot run in their original form are listed as such.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import ctypes
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def shared_dir():
    d = os.environ.get("MCONV_ONNX_TESTS") or os.path.join(ROOT, "..", "shared", "onnx-tests")
    return os.path.abspath(d)


def models(shared):
    out = []
    for sub in ("node", "pytorch-converted", "pytorch-operator", "simple"):
        out += sorted(glob.glob(os.path.join(shared, sub, "*", "model.onnx")))
    out += sorted(glob.glob(os.path.join(shared, "light", "*.onnx")))
    out += sorted(glob.glob(os.path.join(ROOT, "testdata", "**", "*.onnx"), recursive=True))
    return out


def load_value(path, type_proto):
    """Reads a test-data .pb file as the type the model input declares."""
    with open(path, "rb") as f:
        data = f.read()
    if type_proto.HasField("sequence_type"):
        s = onnx.SequenceProto()
        s.ParseFromString(data)
        return numpy_helper.to_list(s)
    if type_proto.HasField("optional_type"):
        o = onnx.OptionalProto()
        o.ParseFromString(data)
        return numpy_helper.to_optional(o)
    if type_proto.HasField("map_type"):
        m = onnx.MapProto()
        m.ParseFromString(data)
        return numpy_helper.to_dict(m)
    t = onnx.TensorProto()
    t.ParseFromString(data)
    if t.data_type in RAW_TYPES:
        return t  # fed as raw bytes, see run_ort
    return numpy_helper.to_array(t)


NP = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def feeds_for(model_path, m):
    inits = {t.name for t in m.graph.initializer}
    real = [v for v in m.graph.input if v.name not in inits]
    case = os.path.dirname(model_path)
    stem = os.path.basename(model_path)[: -len(".onnx")]
    ds = os.path.join(case, "test_data_set_0" if stem == "model" else stem + "_data_set_0")
    if os.path.isdir(ds):
        feeds = {}
        for i, v in enumerate(real):
            p = os.path.join(ds, "input_%d.pb" % i)
            if not os.path.exists(p):
                break
            feeds[v.name] = load_value(p, v.type)
        return feeds
    # light models: arange(n).reshape(shape)/n; testdata: seeded random.
    rng = np.random.default_rng(0)
    feeds = {}
    for v in real:
        tt = v.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 1 for d in tt.shape.dim]
        n = int(np.prod(shape)) if shape else 1
        dt = NP.get(tt.elem_type, np.float32)
        if "/light/" in model_path:
            feeds[v.name] = (np.arange(n).reshape(shape) / n).astype(dt)
        else:
            feeds[v.name] = rng.standard_normal(shape).astype(dt)
    return feeds


# Element types numpy cannot hand to ONNX Runtime directly: bfloat16, the
# 8-bit floats and float8e8m0 (ml_dtypes arrays), and the packed 4-bit and
# 2-bit types. Inputs of these types are fed as OrtValues holding the raw
# bytes of the test-data TensorProto, and when any input or output has such
# a type all outputs are compared as raw bytes.
RAW_TYPES = {16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26}


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 4
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def raw_of(tp):
    """The tensor's elements in ONNX raw_data layout (sub-byte types packed,
    low bits first)."""
    if tp.raw_data:
        return bytes(tp.raw_data)
    a = np.ascontiguousarray(numpy_helper.to_array(tp)).reshape(-1)
    bits = {21: 4, 22: 4, 23: 4, 25: 2, 26: 2}.get(tp.data_type)
    if bits is None:
        return a.tobytes()
    vals = [int(x) & ((1 << bits) - 1) for x in a.view(np.uint8)]
    per = 8 // bits
    vals += [0] * (-len(vals) % per)
    return bytes(sum(vals[i + k] << (k * bits) for k in range(per)) for i in range(0, len(vals), per))


def run_ort(path, feeds, types, out_types):
    s = session(path)
    if not any(t in RAW_TYPES for t in list(types.values()) + out_types):
        return s.run(None, {k: (numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else v) for k, v in feeds.items()})
    vals = {}
    for k, a in feeds.items():
        if isinstance(a, onnx.TensorProto):
            raw = raw_of(a)
            v = ort.OrtValue.ortvalue_from_shape_and_type(list(a.dims), a.data_type)
            if v.tensor_size_in_bytes() != len(raw):
                raise RuntimeError("raw input %s: %d bytes, ORT wants %d" % (k, len(raw), v.tensor_size_in_bytes()))
            ctypes.memmove(v.data_ptr(), raw, len(raw))
            vals[k] = v
        else:
            vals[k] = ort.OrtValue.ortvalue_from_numpy(a)
    outs = s.run_with_ort_values(None, vals)
    res = []
    for o in outs:
        if not o.is_tensor():
            raise RuntimeError("non-tensor output next to raw-typed values")
        res.append(("raw", o.element_type(), tuple(o.shape()), ctypes.string_at(o.data_ptr(), o.tensor_size_in_bytes())))
    return res


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if a is None:
        return b is None
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def checker(path):
    try:
        onnx.checker.check_model(path, full_check=True)
        return None
    except Exception as e:  # noqa: BLE001 - report every checker failure
        return str(e).splitlines()[0][:200]


def main():
    shared = shared_dir()
    if not os.path.isdir(shared):
        print("xcheck_roundtrip: ONNX test data not found at %s (set MCONV_ONNX_TESTS)" % shared)
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="mconv-xcheck-")
    mconv = os.path.join(tmp, "mconv")
    subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=ROOT, check=True)
    passed, failed = 0, []
    stats = {"checker_ok": 0, "checker_orig_fails": [], "ort_identical": 0, "ort_cannot_run": [], "nondeterministic": []}
    files = models(shared)
    for i, src in enumerate(files):
        rel = os.path.relpath(src, shared) if src.startswith(shared) else os.path.relpath(src, ROOT)
        out = os.path.join(tmp, "rt_%d.onnx" % i)
        r = subprocess.run([mconv, "roundtrip", src, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            failed.append("%s: mconv roundtrip: %s" % (rel, r.stderr.strip()))
            continue
        err = checker(out)
        if err is not None:
            orig = checker(src)
            if orig is None:
                failed.append("%s: checker fails on the round-tripped model only: %s" % (rel, err))
                os.remove(out)
                continue
            stats["checker_orig_fails"].append("%s: %s" % (rel, orig))
        else:
            stats["checker_ok"] += 1
        m = onnx.load(src, load_external_data=False)
        try:
            feeds = feeds_for(src, m)
            types = {v.name: v.type.tensor_type.elem_type for v in m.graph.input if v.type.HasField("tensor_type")}
            out_types = [v.type.tensor_type.elem_type for v in m.graph.output if v.type.HasField("tensor_type")]
            want = run_ort(src, feeds, types, out_types)
        except Exception as e:  # noqa: BLE001
            stats["ort_cannot_run"].append("%s: %s" % (rel, str(e).splitlines()[0][:160].replace("FAIL : ", "")))
            passed += 1
            os.remove(out)
            continue
        try:
            got = run_ort(out, feeds, types, out_types)
        except Exception as e:  # noqa: BLE001
            failed.append("%s: ORT runs the original but not the round-tripped model: %s" % (rel, str(e).splitlines()[0][:200]))
            os.remove(out)
            continue
        if same(want, got):
            stats["ort_identical"] += 1
            passed += 1
        elif not same(want, run_ort(src, feeds, types, out_types)):
            stats["nondeterministic"].append(rel)
            passed += 1
        else:
            failed.append("%s: ONNX Runtime outputs differ between original and round-tripped model" % rel)
        os.remove(out)
    print("models: %d" % len(files))
    print("onnx.checker(full_check=True) passes on round-tripped file: %d" % stats["checker_ok"])
    print("original itself fails onnx.checker (listed, not counted): %d" % len(stats["checker_orig_fails"]))
    for s in stats["checker_orig_fails"]:
        print("  " + s)
    print("ONNX Runtime bit-identical outputs: %d" % stats["ort_identical"])
    print("ONNX Runtime cannot run the original (listed, not counted): %d" % len(stats["ort_cannot_run"]))
    for s in stats["ort_cannot_run"]:
        print("  " + s)
    print("nondeterministic in ONNX Runtime (original differs from itself): %d %s" % (len(stats["nondeterministic"]), stats["nondeterministic"]))
    shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
