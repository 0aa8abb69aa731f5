#!/usr/bin/env python3
"""Crosscheck that ir/schemas_gen.go is what gen_schemas.py makes from the
pinned onnx package (the go:generate step of package ir).

Exits non-zero on drift; prints 'N passed, N failed' at the end.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "schemas_gen.go")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_schemas.py"), out], check=True)
        subprocess.run(["gofmt", "-w", out], check=True)
        with open(out, "rb") as f:
            got = f.read()
    with open(os.path.join(ROOT, "ir", "schemas_gen.go"), "rb") as f:
        want = f.read()
    if got != want:
        print("FAIL ir/schemas_gen.go differs from gen_schemas.py output: run go generate ./ir")
        print("0 passed, 1 failed")
        return 1
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
