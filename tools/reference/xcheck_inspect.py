#!/usr/bin/env python3
"""Crosscheck of `mconv inspect --json`: for every model under testdata/ and
every shared ONNX test model ($MCONV_ONNX_TESTS, when present), the summary
must equal what the onnx Python package reports (inspect_reference.py), and
the committed expected JSON next to a testdata model (MODEL.inspect.json)
must still be what the Python reader gives.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inspect_reference  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def models():
    out = sorted(glob.glob(os.path.join(ROOT, "testdata", "**", "*.onnx"), recursive=True))
    shared = os.path.abspath(os.environ.get("MCONV_ONNX_TESTS") or os.path.join(ROOT, "..", "shared", "onnx-tests"))
    if os.path.isdir(shared):
        for sub in ("node", "pytorch-converted", "pytorch-operator", "simple"):
            out += sorted(glob.glob(os.path.join(shared, sub, "*", "model.onnx")))
        out += sorted(glob.glob(os.path.join(shared, "light", "*.onnx")))
    else:
        print("note: no shared ONNX test data at %s; checking testdata only" % shared)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="mconv-xinspect-")
    mconv = os.path.join(tmp, "mconv")
    subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=ROOT, check=True)
    passed, failed = 0, []
    for path in models():
        rel = os.path.relpath(path, ROOT)
        want = inspect_reference.summarize(path)
        r = subprocess.run([mconv, "inspect", "--json", path], capture_output=True, text=True)
        if r.returncode != 0:
            failed.append("%s: mconv inspect failed: %s" % (rel, r.stderr.strip()))
            continue
        got = json.loads(r.stdout)
        diffs = [k for k in want if got.get(k) != want[k]]
        if diffs:
            failed.append("%s: mconv and onnx differ on %s" % (rel, ", ".join("%s (%r vs %r)" % (k, got.get(k), want[k]) for k in diffs)))
            continue
        exp = path[: -len(".onnx")] + ".inspect.json"
        if path.startswith(os.path.join(ROOT, "testdata")) and os.path.exists(exp):
            with open(exp) as f:
                if json.load(f) != want:
                    failed.append("%s: committed %s is stale (run inspect_reference.py)" % (rel, os.path.basename(exp)))
                    continue
        passed += 1
    shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
