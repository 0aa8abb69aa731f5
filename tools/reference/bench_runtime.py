"""Latency of mconv's Go runtime against ONNX Runtime on the same models.

For each full-size deploy-form model (made by export_fixtures.py --full into
MCONV_FULL_MODELS, default ../../.cache/full) and each thread count, runs
ONNX Runtime (intra_op_num_threads = T, sequential) and `mconv run --threads T
--repeat K` on the model's stored input, alternating the two in rounds so
that both see the same machine load, and prints the median latency of each
(at least 20 runs each) and the ratio mconv / ORT.

    python bench_runtime.py [--models DIR] [--threads 1 2] [--runs 20]
        [--rounds 4] [--mconv PATH] [names ...]

Exit status 1 when a model cannot be run by either side.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_NAMES = ["mobileone_s0", "mobilenetv3_large_100", "repvgg_a0", "repvit_m0_9"]


def load_input(set_dir):
    t = onnx.TensorProto()
    with open(os.path.join(set_dir, "input_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def ort_times(model, x, threads, n):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    sess.run(None, {name: x})  # warm-up
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        sess.run(None, {name: x})
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def mconv_times(mconv, model, set_dir, threads, n):
    r = subprocess.run([mconv, "run", model, "--data", set_dir, "--threads", str(threads), "--repeat", str(n)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("mconv run failed: " + r.stderr.strip())
    for line in r.stdout.splitlines():
        if line.startswith("latencies_ms:"):
            return [float(v) for v in line.split()[1:]]
    raise RuntimeError("mconv run printed no latencies:\n" + r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=DEFAULT_NAMES)
    ap.add_argument("--models", default=os.environ.get("MCONV_FULL_MODELS", os.path.join(REPO, ".cache", "full")))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=20, help="timed runs per side (at least 20)")
    ap.add_argument("--rounds", type=int, default=4, help="alternations between ORT and mconv")
    ap.add_argument("--mconv", default="", help="mconv binary (default: go build ./cmd/mconv)")
    args = ap.parse_args()
    mconv = args.mconv
    if not mconv:
        mconv = os.path.join(tempfile.mkdtemp(), "mconv")
        subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=REPO, check=True)
    per = max(1, -(-args.runs // args.rounds))
    failed = 0
    print(f"onnxruntime {ort.__version__}; median of {per * args.rounds} runs per side, {args.rounds} alternating rounds")
    print(f"{'model':28s} {'threads':>7s} {'ORT ms':>9s} {'mconv ms':>9s} {'ratio':>6s}")
    for name in args.names:
        model = os.path.join(args.models, name, "deploy.onnx")
        set_dir = os.path.join(args.models, name, "deploy_data_set_0")
        if not os.path.exists(model):
            print(f"{name}: {model} missing (run export_fixtures.py --full)")
            failed += 1
            continue
        x = load_input(set_dir)
        for t in args.threads:
            o, m = [], []
            try:
                for _ in range(args.rounds):
                    o += ort_times(model, x, t, per)
                    m += mconv_times(mconv, model, set_dir, t, per)
            except Exception as e:  # noqa: BLE001 - report and go on
                print(f"{name} threads={t}: {e}")
                failed += 1
                continue
            om, mm = statistics.median(o), statistics.median(m)
            print(f"{name:28s} {t:7d} {om:9.2f} {mm:9.2f} {mm / om:6.2f}")
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
