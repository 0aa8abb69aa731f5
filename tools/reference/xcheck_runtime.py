#!/usr/bin/env python3
"""Cross-check of mconv's Go runtime against ONNX Runtime.

For every fixture file of testdata/golden (training form model.onnx and
deploy form deploy.onnx) and a sample of the ONNX backend node tests (when
MCONV_ONNX_TESTS is set), runs `mconv run --data SET --out DIR` and ONNX
Runtime on the same stored inputs and requires
max|mconv - ort| <= 1e-4 * max|ort| + 1e-5 for every output.

    python tools/reference/xcheck_runtime.py [--mconv PATH]

Prints one line per failure and 'N passed, N failed'; exits 1 on any
failure or when nothing was checked.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RTOL, ATOL = 1e-4, 1e-5
NODE_SAMPLE = ["test_conv_with_strides_padding", "test_maxpool_2d_pads", "test_averagepool_2d_pads",
               "test_gemm_default_matrix_bias", "test_softmax_axis_1", "test_hardswish", "test_depthtospace_crd_mode_example",
               "test_globalaveragepool", "test_batchnorm_example", "test_transpose_all_permutations_3"]


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def by_index(paths):
    return sorted(paths, key=lambda p: int(p.rsplit("_", 1)[1][:-3]))


def check(mconv, model_path, set_dir):
    ins = [load_pb(p) for p in by_index(glob.glob(os.path.join(set_dir, "input_*.pb")))]
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    feeds = [i.name for i in sess.get_inputs()]
    want = sess.run(None, dict(zip(feeds, ins)))
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([mconv, "run", model_path, "--data", set_dir, "--out", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return "mconv run failed: " + r.stderr.strip()
        got = [load_pb(p) for p in by_index(glob.glob(os.path.join(out, "output_*.pb")))]
    if len(got) != len(want):
        return f"{len(got)} outputs, ONNX Runtime gives {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return f"output {k}: shape {g.shape}, ONNX Runtime {w.shape}"
        if w.size == 0:
            continue
        scale = float(np.max(np.abs(w.astype(np.float64))))
        err = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64))))
        if not err <= ATOL + RTOL * scale:
            return f"output {k}: max abs error {err:.3g} > {ATOL} + {RTOL}*{scale:.3g}"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mconv", default="")
    args = ap.parse_args()
    mconv = args.mconv
    if not mconv:
        mconv = os.path.join(tempfile.mkdtemp(), "mconv")
        subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=REPO, check=True)
    cases = []
    for meta in sorted(glob.glob(os.path.join(REPO, "testdata", "golden", "*", "*", "meta.json"))):
        d = os.path.dirname(meta)
        cases.append((os.path.join(d, "model.onnx"), os.path.join(d, "test_data_set_0")))
        cases.append((os.path.join(d, "deploy.onnx"), os.path.join(d, "deploy_data_set_0")))
    root = os.environ.get("MCONV_ONNX_TESTS")
    if root:
        for name in NODE_SAMPLE:
            d = os.path.join(root, "node", name)
            if os.path.isdir(d):
                cases.append((os.path.join(d, "model.onnx"), os.path.join(d, "test_data_set_0")))
    passed = failed = 0
    for model, set_dir in cases:
        why = check(mconv, model, set_dir)
        if why:
            failed += 1
            print(f"FAIL {os.path.relpath(model, REPO)}: {why}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
