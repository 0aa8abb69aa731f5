#!/usr/bin/env python3
"""Latency of mconv's Go runtime against ONNX Runtime on the same models.

For every model (deploy-form, full size, batch 1, 224x224) and every thread
count, the script alternates the two engines: a block of --block timed
ONNX Runtime runs (Python, intra_op_num_threads = T, inter_op 1,
sequential execution, all graph optimizations), then one
`mconv bench MODEL --json --threads T --runs BLOCK` (which compiles the plan,
warms up and times BLOCK runs), and again, until each side has at least
--runs timed runs. Latency per engine is the median of its per-block
medians (the same statistic for both sides; ONNX Runtime's plain median
over all its runs and every block median are in the --json output). The
table gives the ratio mconv / ORT, each engine's fastest run and their
ratio (on a machine shared with other work the minimum is the figure least
disturbed by it), and per engine the speed-up of the largest thread count
over the smallest.

Usage:
  python bench_ort.py [--models-dir DIR] [--models a,b] [--threads 1,2]
                      [--runs 20] [--block 5] [--mconv PATH] [--json OUT]
                      [--max-ratio R]

DIR/<name>/deploy.onnx is each model (the fixtures issue exports them to
.cache/full/<name>/deploy.onnx); DIR defaults to $MCONV_FULL_MODELS.
Without --mconv the script builds ./cmd/mconv from the repository holding
this file. Exit status: 0 when
every measurement ran (and, with --max-ratio, every single-thread ratio is
at most R), 1 otherwise.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

DEFAULT_MODELS = ["mobileone_s0", "mobilenetv3_large_100", "repvgg_a0", "repvit_m0_9"]
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def build_mconv(outdir):
    exe = os.path.join(outdir, "mconv")
    subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=REPO, check=True)
    return exe


def input_feed(sess, seed=0):
    rng = np.random.default_rng(seed)
    feed = {}
    for inp in sess.get_inputs():
        if inp.type != "tensor(float)":
            raise ValueError(f"input {inp.name!r} is {inp.type}; only float inputs are supported")
        shape = []
        for i, d in enumerate(inp.shape):
            if isinstance(d, int) and d > 0:
                shape.append(d)
            else:  # symbolic: batch 1, spatial 224
                shape.append(1 if i == 0 else 224)
        if shape and shape[0] != 1:
            raise ValueError(f"input {inp.name!r} has batch {shape[0]}; the comparison is at batch 1")
        feed[inp.name] = rng.standard_normal(shape, dtype=np.float32)
    return feed


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_block(sess, feed, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def mconv_block(exe, path, threads, n, warmup):
    cmd = [exe, "bench", path, "--json", "--threads", str(threads), "--runs", str(n),
           "--warmup", str(warmup), "--batch", "1"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    res = json.loads(p.stdout)
    lat = res["latency_batch1"]
    if lat.get("runs", n) < 1:
        raise RuntimeError(f"mconv bench reported no runs for {path}")
    return lat["median_ms"], lat.get("min_ms", lat["median_ms"]), res.get("gflops_per_s")


def measure(exe, path, threads, runs, block, warmup):
    sess = ort_session(path, threads)
    feed = input_feed(sess)
    ort_block(sess, feed, warmup)  # warm-up, untimed
    ort_all, ort_meds, mc_meds, mc_mins = [], [], [], []
    gflops = None
    while len(ort_all) < runs:
        t = ort_block(sess, feed, block)
        ort_all += t
        ort_meds.append(statistics.median(t))
        med, mn, gflops = mconv_block(exe, path, threads, block, warmup)
        mc_meds.append(med)
        mc_mins.append(mn)
    return {
        "ort_min_ms": min(ort_all),
        "mconv_min_ms": min(mc_mins),
        "ort_ms": statistics.median(ort_meds),
        "ort_median_all_ms": statistics.median(ort_all),
        "ort_runs": len(ort_all),
        "mconv_ms": statistics.median(mc_meds),
        "mconv_runs": len(mc_meds) * block,
        "mconv_block_medians_ms": mc_meds,
        "ort_block_medians_ms": ort_meds,
        "mconv_gflops_per_s": gflops,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.environ.get("MCONV_FULL_MODELS"),
                    help="folder holding <name>/deploy.onnx (default: $MCONV_FULL_MODELS)")
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated model folder names")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per engine (at least 20)")
    ap.add_argument("--block", type=int, default=5, help="runs per alternation block")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs before timing")
    ap.add_argument("--mconv", help="mconv binary (default: go build ./cmd/mconv)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--max-ratio", type=float, help="fail when a single-thread mconv/ORT ratio exceeds this")
    a = ap.parse_args()
    if not a.models_dir:
        ap.error("--models-dir is required (or set MCONV_FULL_MODELS)")
    if a.runs < 20:
        ap.error("--runs must be at least 20")
    if a.block < 1:
        ap.error("--block must be at least 1")
    threads = [int(t) for t in a.threads.split(",")]
    models = [m for m in a.models.split(",") if m]

    tmp = tempfile.TemporaryDirectory()
    exe = a.mconv or build_mconv(tmp.name)

    results, failed = [], 0
    for m in models:
        path = os.path.join(a.models_dir, m, "deploy.onnx")
        if not os.path.exists(path):
            print(f"FAIL {m}: {path} does not exist", file=sys.stderr)
            failed += 1
            continue
        for t in threads:
            try:
                r = measure(exe, path, t, a.runs, a.block, a.warmup)
            except Exception as e:  # report and go on with the next one
                print(f"FAIL {m} threads={t}: {e}", file=sys.stderr)
                failed += 1
                continue
            r.update(model=m, threads=t, ratio=r["mconv_ms"] / r["ort_ms"], min_ratio=r["mconv_min_ms"] / r["ort_min_ms"])
            results.append(r)
            print(f"  {m:24s} threads={t}: ORT {r['ort_ms']:8.2f} ms  mconv {r['mconv_ms']:8.2f} ms  ratio {r['ratio']:5.2f}",
                  file=sys.stderr, flush=True)

    print()
    print(f"batch 1, 224x224; median of per-block medians, blocks of {a.block} runs alternated, "
          f">= {a.runs} runs per engine; ORT {ort.__version__}, mconv {exe}")
    print("(min: fastest single run of each engine, the least disturbed by other load on the machine)")
    print(f"{'model':24s} {'thr':>3s} {'ORT ms':>9s} {'mconv ms':>9s} {'mconv/ORT':>9s} "
          f"{'ORT min':>8s} {'mconv min':>9s} {'min ratio':>9s} {'mconv GFLOP/s':>13s}")
    for r in results:
        gf = f"{r['mconv_gflops_per_s']:.1f}" if r["mconv_gflops_per_s"] else "-"
        print(f"{r['model']:24s} {r['threads']:3d} {r['ort_ms']:9.2f} {r['mconv_ms']:9.2f} {r['ratio']:9.2f} "
              f"{r['ort_min_ms']:8.2f} {r['mconv_min_ms']:9.2f} {r['min_ratio']:9.2f} {gf:>13s}")
    # Speed-up with more threads.
    if len(threads) > 1:
        lo, hi = min(threads), max(threads)
        print()
        print(f"{'model':24s} ORT {hi}thr/{lo}thr speed-up   mconv {hi}thr/{lo}thr speed-up")
        for m in models:
            by = {r["threads"]: r for r in results if r["model"] == m}
            if lo in by and hi in by:
                print(f"{m:24s} {by[lo]['ort_ms'] / by[hi]['ort_ms']:20.2f}   {by[lo]['mconv_ms'] / by[hi]['mconv_ms']:22.2f}")
    if a.max_ratio is not None:
        for r in results:
            if r["threads"] == 1 and r["ratio"] > a.max_ratio:
                print(f"FAIL {r['model']}: single-thread ratio {r['ratio']:.2f} > {a.max_ratio}", file=sys.stderr)
                failed += 1
    if a.json:
        tmpf = a.json + ".tmp"
        with open(tmpf, "w") as f:
            json.dump({"ort_version": ort.__version__, "block": a.block, "results": results}, f, indent=1)
        os.replace(tmpf, a.json)
    print(f"\n{len(results)} measured, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
