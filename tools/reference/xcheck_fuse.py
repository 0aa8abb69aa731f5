#!/usr/bin/env python3
"""Crosscheck of `mconv fuse` on the golden fixtures.

For every training-form fixture testdata/golden/<name>/<exporter>/model.onnx
(made by the fixtures tooling from timm modules, with PyTorch's outputs in
test_data_set_0 and timm's reparameterized export in deploy.onnx):

  1. `mconv fuse model.onnx -o fused.onnx` must succeed (it verifies the
     fused model against the original in mconv's Go runtime itself);
  2. onnx.checker.check_model(fused, full_check=True) must pass;
  3. the fused file must have no BatchNormalization and no Sub node, and as
     many Conv and Gemm nodes as timm's deploy.onnx;
  4. ONNX Runtime (1 thread) on the fused file must reproduce PyTorch's
     stored outputs: max|ort - torch| <= 1e-4 * max|torch| + 1e-6.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import collections
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
RTOL, ATOL = 1e-4, 1e-6


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def ops(path):
    return collections.Counter(n.op_type for n in onnx.load(path).graph.node)


def check(model, mconv, tmp):
    d = os.path.dirname(model)
    fused = os.path.join(tmp, "fused.onnx")
    if os.path.exists(fused):
        os.remove(fused)
    r = subprocess.run([mconv, "fuse", model, "-o", fused], capture_output=True, text=True)
    if r.returncode != 0 and "cannot verify: compiling the original" in r.stderr:
        # The Go runtime lacks an op of the original: mconv's own check is
        # impossible, ONNX Runtime below still checks the fused file.
        print("note %s: Go runtime cannot run the original (%s); fused with --no-verify"
              % (os.path.relpath(model, ROOT), r.stderr.strip().splitlines()[-1][-160:]))
        r = subprocess.run([mconv, "fuse", "--no-verify", model, "-o", fused], capture_output=True, text=True)
    if r.returncode != 0:
        return "mconv fuse failed (exit %d): %s" % (r.returncode, (r.stderr or r.stdout).strip()[-800:])
    try:
        onnx.checker.check_model(onnx.load(fused), full_check=True)
    except Exception as e:  # noqa: BLE001 - report any checker failure
        return "onnx.checker: %s" % e
    got, want = ops(fused), ops(os.path.join(d, "deploy.onnx"))
    for op in ("BatchNormalization", "Sub"):
        if got[op]:
            return "fused file keeps %d %s" % (got[op], op)
    for op in ("Conv", "Gemm"):
        if got[op] != want[op]:
            return "%d %s in the fused file, timm deploy.onnx has %d" % (got[op], op, want[op])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(fused, so, providers=["CPUExecutionProvider"])
    data = os.path.join(d, "test_data_set_0")
    feeds = {}
    for i, inp in enumerate(sess.get_inputs()):
        feeds[inp.name] = read_pb(os.path.join(data, "input_%d.pb" % i))
    outs = sess.run(None, feeds)
    for i, o in enumerate(outs):
        ref = read_pb(os.path.join(data, "output_%d.pb" % i))
        if o.shape != ref.shape:
            return "output %d shape %s, PyTorch %s" % (i, o.shape, ref.shape)
        err = float(np.max(np.abs(o.astype(np.float64) - ref))) if ref.size else 0.0
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        if err > RTOL * scale + ATOL:
            return "ORT vs PyTorch output %d: max abs err %.3g > %.0e * %.3g" % (i, err, RTOL, scale)
    return None


def main():
    models = sorted(glob.glob(os.path.join(ROOT, "testdata", "golden", "*", "*", "model.onnx")))
    if not models:
        print("no fixtures under testdata/golden")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        mconv = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=ROOT, check=True)
        for m in models:
            name = os.path.relpath(os.path.dirname(m), os.path.join(ROOT, "testdata", "golden"))
            msg = check(m, mconv, tmp)
            if msg:
                failed += 1
                print("FAIL %s: %s" % (name, msg))
            else:
                passed += 1
                print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
