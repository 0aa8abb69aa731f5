#!/usr/bin/env python3
"""Crosscheck of `mconv inspect --json`: for every model in testdata/, the
summary must equal what the onnx Python package reports
(inspect_reference.py), and the committed expected JSON next to the model
(MODEL.inspect.json) must still be what the Python reader gives.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inspect_reference  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main():
    passed, failed = 0, []
    for path in sorted(glob.glob(os.path.join(ROOT, "testdata", "*.onnx"))):
        rel = os.path.relpath(path, ROOT)
        want = inspect_reference.summarize(path)
        r = subprocess.run(["go", "run", "./cmd/mconv", "inspect", "--json", path], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            failed.append("%s: mconv inspect failed: %s" % (rel, r.stderr.strip()))
            continue
        got = json.loads(r.stdout)
        diffs = [k for k in want if got.get(k) != want[k]]
        if diffs:
            failed.append("%s: mconv and onnx differ on %s" % (rel, ", ".join("%s (%r vs %r)" % (k, got.get(k), want[k]) for k in diffs)))
            continue
        exp = path[: -len(".onnx")] + ".inspect.json"
        if os.path.exists(exp):
            with open(exp) as f:
                if json.load(f) != want:
                    failed.append("%s: committed %s is stale (run inspect_reference.py)" % (rel, os.path.basename(exp)))
                    continue
        passed += 1
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
