#!/usr/bin/env python3
"""Crosscheck of mconv's shape inference (ir.InferShapes) against ONNX's own
(onnx.shape_inference.infer_shapes with data propagation).

For every model in testdata/ (all folders) and the whole networks in
$MCONV_ONNX_TESTS/light, the onnx package infers the type of every
intermediate value and writes it as value_info into a copy of the model in a
temporary folder. The Go test TestShapesReference (ir/shape_models_test.go)
then clears those types, infers them again with mconv, and requires every
value that onnx typed to agree (dtype, rank, every known size, the input's
symbolic dimensions), every value to have a static or input-symbol shape,
and SetInputShapes to make everything static.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import onnx

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def models():
    files = sorted(glob.glob(os.path.join(ROOT, "testdata", "**", "*.onnx"), recursive=True))
    shared = os.environ.get("MCONV_ONNX_TESTS") or os.path.join(ROOT, "..", "shared", "onnx-tests")
    files += sorted(glob.glob(os.path.join(shared, "light", "light_*.onnx")))
    return files


def main():
    failed, passed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        n = 0
        for path in models():
            rel = os.path.relpath(path, ROOT)
            try:
                m = onnx.load(path)
                m = onnx.shape_inference.infer_shapes(m, check_type=False, strict_mode=False, data_prop=True)
            except Exception as e:  # a model onnx cannot infer is a failure to look at
                failed.append("%s: onnx shape inference failed: %s" % (rel, e))
                continue
            name = "%03d_%s" % (n, re.sub(r"[^A-Za-z0-9_.-]", "_", rel))
            onnx.save(m, os.path.join(tmp, name))
            n += 1
        env = dict(os.environ, MCONV_SHAPES_REFERENCE=tmp)
        r = subprocess.run(["go", "test", "./ir", "-run", "^TestShapesReference$", "-count=1", "-v"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        out = r.stdout + r.stderr
        passed = len(re.findall(r"^\s+--- PASS: TestShapesReference/", out, re.M))
        fails = re.findall(r"^\s+--- FAIL: TestShapesReference/(\S+)", out, re.M)
        failed += ["%s: mconv disagrees with onnx" % f for f in fails]
        if r.returncode != 0 and not fails:
            failed.append("go test failed:\n" + out[-3000:])
        elif fails:
            print(out[-6000:])
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
