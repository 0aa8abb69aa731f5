#!/usr/bin/env python3
"""Crosscheck that testdata/tensor_reference.json (what onnx's Python reader
gets from a sample of the ONNX test-data tensors; onnx/tensor_test.go
compares mconv's tensor decoder with it) is still what the pinned onnx
package reads.

Exits non-zero on any difference; prints 'N passed, N failed' at the end.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    shared = os.path.abspath(os.environ.get("MCONV_ONNX_TESTS") or os.path.join(ROOT, "..", "shared", "onnx-tests"))
    if not os.path.isdir(shared):
        print("xcheck_tensors: ONNX test data not found at %s (set MCONV_ONNX_TESTS)" % shared)
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "ref.json")
        subprocess.run([sys.executable, os.path.join(HERE, "tensor_reference.py"), shared, out], check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            got = json.load(f)["tensors"]
    with open(os.path.join(ROOT, "testdata", "tensor_reference.json")) as f:
        want = json.load(f)["tensors"]
    want_by = {r["file"]: r for r in want}
    passed, failed = 0, []
    for r in got:
        w = want_by.get(r["file"])
        if w is None:
            failed.append("%s: missing from testdata/tensor_reference.json" % r["file"])
        elif w != r:
            failed.append("%s: committed %r, onnx reads %r" % (r["file"], w, r))
        else:
            passed += 1
    if len(got) != len(want):
        failed.append("committed file lists %d tensors, regenerated %d" % (len(want), len(got)))
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
