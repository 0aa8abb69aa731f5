#!/usr/bin/env python3
"""Crosscheck `mconv stats --json` against an independent Python count.

For every model fixture in the repository (testdata/**/*.onnx, including
testdata/golden, and ir/metrics/testdata/*.onnx) and, when MCONV_FULL_MODELS
names a folder, every full-size model in it, recompute params, BN buffers,
MACs, FLOPs and memory access bytes with count_reference.py (Python onnx and
ONNX's own shape inference) and compare them, and every layer's MACs, with
what `mconv stats --json` reports; memory access bytes also with --fp16.
Also regenerate ir/metrics/testdata/reference_counts.json (which the Go test
reads) and check that the committed file is current.

Exits non-zero on any mismatch; prints 'N passed, N failed' last.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import count_reference  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOTALS = ["params", "buffers", "macs", "flops", "memory_access_bytes"]


def models():
    found = sorted(set(glob.glob(os.path.join(ROOT, "testdata", "**", "*.onnx"), recursive=True))
                   | set(glob.glob(os.path.join(ROOT, "ir", "metrics", "testdata", "*.onnx"))))
    full = os.environ.get("MCONV_FULL_MODELS")
    if full and os.path.isdir(full):
        found += sorted(glob.glob(os.path.join(full, "**", "*.onnx"), recursive=True))
    return found


def main():
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)

    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=ROOT, check=True)
        for path in models():
            rel = os.path.relpath(path, ROOT)
            for fp16 in (False, True):
                try:
                    want = count_reference.count(path, fp16)
                except (Exception, SystemExit) as e:  # the reference must count every fixture
                    check(False, f"{rel}: reference count failed: {e}")
                    continue
                args = [exe, "stats", "--json", path] + (["--fp16"] if fp16 else [])
                p = subprocess.run(args, capture_output=True, text=True)
                if p.returncode != 0:
                    check(False, f"{rel}: mconv stats failed: {p.stderr.strip()}")
                    continue
                got = json.loads(p.stdout)
                keys = ["memory_access_bytes"] if fp16 else TOTALS
                for k in keys:
                    check(got[k] == want[k], f"{rel}{' --fp16' if fp16 else ''}: {k} mconv {got[k]} reference {want[k]}")
                if fp16:
                    continue
                layers = {l["output"]: l for l in got["layers"]}
                bad = [(name, l["macs"], layers.get(name, {}).get("macs")) for name, l in want["layers"].items()
                       if layers.get(name, {}).get("macs") != l["macs"]]
                check(not bad, f"{rel}: per-layer MACs differ (output, reference, mconv): {bad[:5]}")
                print(f"{rel}: params {got['params']} buffers {got['buffers']} MACs {got['macs']} "
                      f"FLOPs {got['flops']} bytes {got['memory_access_bytes']}")

    # The committed reference JSON must be what the reference computes now.
    ref = os.path.join(ROOT, "ir", "metrics", "testdata", "reference_counts.json")
    with open(ref) as f:
        committed = json.load(f)
    fresh = {"models": {}}
    for rel in committed["models"]:
        fresh["models"][rel] = count_reference.count(os.path.join(ROOT, rel))
    check(json.loads(json.dumps(fresh)) == committed, f"{ref} is stale: rerun count_reference.py count")

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
