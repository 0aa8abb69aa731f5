#!/usr/bin/env python3
"""Cross-check of testdata/golden: ONNX Runtime, an implementation independent
of PyTorch and of mconv, must reproduce the stored PyTorch output of every
fixture file (model.onnx with test_data_set_N, deploy.onnx with
deploy_data_set_N) within max|ort - torch| <= 1e-4 * max|torch| + 1e-6.
Also checks each model with onnx.checker, its op histogram against
meta.json, and that the training form and the deploy form were given the
same input.

    python tools/reference/xcheck_fixtures.py [testdata/golden]

Prints one line per failure and 'N passed, N failed'; exits 1 on any
failure or when no fixture is found.
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RTOL, ATOL = 1e-4, 1e-6


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def load_set(d):
    ins = sorted(glob.glob(os.path.join(d, "input_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
    outs = sorted(glob.glob(os.path.join(d, "output_*.pb")), key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
    return [load_pb(p) for p in ins], [load_pb(p) for p in outs]


def op_histogram(model):
    h = {}
    for n in model.graph.node:
        k = (n.domain + "." if n.domain else "") + n.op_type
        h[k] = h.get(k, 0) + 1
    return h


def check_file(model_path, set_dir, want_hist=None):
    model = onnx.load(model_path)
    onnx.checker.check_model(model)
    if want_hist is not None and op_histogram(model) != want_hist:
        return f"op histogram {op_histogram(model)} differs from meta.json {want_hist}"
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    ins, outs = load_set(set_dir)
    names = [i.name for i in sess.get_inputs()]
    if len(ins) != len(names):
        return f"{len(ins)} input files for {len(names)} inputs"
    feed = {}
    for k, (n, a) in enumerate(ins):
        feed[n if n in names else names[k]] = a
    got = sess.run(None, feed)
    if len(got) != len(outs):
        return f"{len(got)} outputs, {len(outs)} output files"
    for k, ((n, want), g) in enumerate(zip(outs, got)):
        if g.shape != want.shape:
            return f"output {k}: shape {g.shape}, want {want.shape}"
        if not np.all(np.isfinite(g)):
            return f"output {k}: non-finite values"
        err = float(np.max(np.abs(g.astype(np.float64) - want))) if want.size else 0.0
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        if err > ATOL + RTOL * scale:
            return f"output {k}: max abs err {err:.3g} > {ATOL} + {RTOL} * {scale:.3g}"
    return None


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(REPO, "testdata", "golden")
    metas = sorted(glob.glob(os.path.join(root, "*", "*", "meta.json")))
    passed = failed = 0
    for mp in metas:
        d = os.path.dirname(mp)
        rel = os.path.relpath(d, root)
        try:
            with open(mp) as f:
                meta = json.load(f)
            files = meta["files"]
        except Exception as e:  # noqa: BLE001 - report, do not stop
            print(f"FAIL {rel}/meta.json: {e}")
            failed += 1
            continue
        inputs = []
        for fname, info in sorted(files.items()):
            for sname in info["data_sets"]:
                what = f"{rel}/{fname} with {sname}"
                try:
                    msg = check_file(os.path.join(d, fname), os.path.join(d, sname), info.get("op_histogram"))
                    inputs.append(load_set(os.path.join(d, sname))[0][0][1])
                except Exception as e:  # noqa: BLE001
                    msg = f"{type(e).__name__}: {e}"
                if msg:
                    print(f"FAIL {what}: {msg}")
                    failed += 1
                else:
                    passed += 1
        if len(inputs) > 1 and any(not np.array_equal(inputs[0], x) for x in inputs[1:]):
            print(f"FAIL {rel}: training and deploy data sets have different inputs")
            failed += 1
    if not metas:
        print(f"FAIL no fixtures under {root}")
        failed += 1
    print(f"xcheck_fixtures: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
