#!/usr/bin/env python3
"""Crosscheck of mconv's lossless ONNX export.

Every shared ONNX test model ($MCONV_ONNX_TESTS/{node,pytorch-converted,
pytorch-operator,simple}/*/model.onnx and light/*.onnx) and every model in
testdata/ goes through `mconv roundtrip IN -o OUT` (load into the IR, write
back). Then:
  1. onnx.checker.check_model(OUT, full_check=True) must pass (where it
     passes on the original: a few ONNX test models are not checker-clean
     themselves; those are listed, not counted as mconv failures);
  2. ONNX Runtime must give bit-identical outputs for the original and the
     round-tripped model on the test inputs (test_data_set_0, or
     arange(n)/n for the light models, random for testdata). Models that
     ONNX Runtime cannot run in their original form are listed as such.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import glob
import os
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
    out += sorted(glob.glob(os.path.join(ROOT, "testdata", "*.onnx")))
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
    return numpy_helper.to_array(t)


NP = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def feeds_for(model_path, m):
    inits = {t.name for t in m.graph.initializer}
    real = [v for v in m.graph.input if v.name not in inits]
    case = os.path.dirname(model_path)
    ds = os.path.join(case, "test_data_set_0")
    if os.path.basename(model_path) == "model.onnx" and os.path.isdir(ds):
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


def run_ort(path, feeds):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 4
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def same(a, b):
    if type(a) is not type(b):
        return False
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
            want = run_ort(src, feeds)
        except Exception as e:  # noqa: BLE001
            stats["ort_cannot_run"].append("%s: %s" % (rel, str(e).splitlines()[0][:160]))
            passed += 1
            os.remove(out)
            continue
        try:
            got = run_ort(out, feeds)
        except Exception as e:  # noqa: BLE001
            failed.append("%s: ORT runs the original but not the round-tripped model: %s" % (rel, str(e).splitlines()[0][:200]))
            os.remove(out)
            continue
        if same(want, got):
            stats["ort_identical"] += 1
            passed += 1
        elif not same(want, run_ort(src, feeds)):
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
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
