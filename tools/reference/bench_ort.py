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
  python bench_ort.py [--models-dir DIR | --zoo [DIR]] [--models a,b] [--threads 1,2]
                      [--runs 20] [--block 5] [--mconv PATH] [--json OUT]
                      [--max-ratio R] [--max-geomean G] [--no-ops]

With --zoo (default DIR .cache/zoo, made by `export_fixtures.py --zoo`), every
DIR/<name>/<exporter>/train.onnx (--exporter, default torchscript) is first
fused by `mconv fuse` into a temporary folder, and that fused file is what
both engines run. After the timing, each engine is profiled on the same file
(ONNX Runtime's own profiler: per-node kernel times; `mconv bench --profile`:
per-step times), times are summed per op type (fused kernels counted under
the op they implement: FusedConv and mconv.FusedConv as Conv, ...), and the
four op types whose mconv time most exceeds ONNX Runtime's are printed per
model, so a cliff is visible at once. The summary gives the geometric mean of
the ratios per thread count and the worst model.

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

DEFAULT_MODELS = ["mobileone_s0", "mobilenetv3_large_100", "repvgg_a0", "repvit_m0_9"]
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


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


def op_family(op):
    """Common key for an op type in either engine's profile: the ONNX op that
    a fused kernel implements (FusedConv, mconv.FusedConv -> Conv), ORT's
    layout-specific names folded into the op they run."""
    op = op.removeprefix("mconv.")
    aliases = {"NhwcMaxPool": "MaxPool", "QuickGelu": "Gelu", "BiasGelu": "Gelu", "FastGelu": "Gelu",
               "SkipLayerNormalization": "LayerNormalization", "SimplifiedLayerNormalization": "LayerNormalization",
               "ReorderInput": "(ORT layout reorder)", "ReorderOutput": "(ORT layout reorder)",
               "MemcpyFromHost": "(copy)", "MemcpyToHost": "(copy)"}
    if op in aliases:
        return aliases[op]
    if op.startswith("Fused") and len(op) > 5:
        return op[5:]
    if op.startswith("Nchwc"):
        return op[5:] or op
    return op


class ConvKinds:
    """Splits the Conv family by kind (depthwise kxk, 1x1, dense kxk, grouped
    kxk) from the model file, so that the excess list says which convolutions
    are slow. Both profiles name nodes of the same fused file: mconv by node
    name, ORT by node name or, for the nodes its own fusions make, by an
    output tensor name (with an _nchwc suffix), traced back to its Conv."""

    def __init__(self, path):
        import onnx
        m = onnx.load(path, load_external_data=False)
        self.by_name = {n.name: n for n in m.graph.node}
        self.producer = {o: n for n in m.graph.node for o in n.output}
        self.dims = {t.name: list(t.dims) for t in m.graph.initializer}

    def kind(self, n):
        w = self.dims.get(n.input[1]) if len(n.input) > 1 else None
        if not w or len(w) != 4:
            return "Conv"
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        kh, kw = w[2], w[3]
        if group > 1 and w[1] == 1:
            return f"Conv dw{kh}x{kw}"
        if kh == kw == 1:
            return "Conv 1x1" + (" grouped" if group > 1 else "")
        return f"Conv {kh}x{kw}" + (" grouped" if group > 1 else "")

    def find(self, name):
        n = self.by_name.get(name)
        if n is None:
            for suffix in ("_nchwc", ""):
                if name.endswith(suffix) and name[:len(name) - len(suffix)] in self.producer:
                    n = self.producer[name[:len(name) - len(suffix)]]
                    break
        for _ in range(4):  # from a fused activation back to its Conv
            if n is None or n.op_type == "Conv":
                break
            n = self.producer.get(n.input[0]) if n.input else None
        return n if n is not None and n.op_type == "Conv" else None

    def family(self, name, op):
        fam = op_family(op)
        if fam != "Conv":
            return fam
        n = self.find(name)
        return self.kind(n) if n is not None else fam


def ort_profile(path, kinds, threads, runs, warmup):
    """Mean per-run time (ms) per op family from ORT's profiler."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    prof_dir = tempfile.mkdtemp(prefix="ortprof")
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(prof_dir, "p")
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = input_feed(sess)
    ort_block(sess, feed, warmup + runs)
    prof_file = sess.end_profiling()
    with open(prof_file) as f:
        events = json.load(f)
    shutil.rmtree(prof_dir, ignore_errors=True)
    starts = sorted(e["ts"] for e in events if e.get("name") == "model_run")
    if len(starts) < warmup + runs:
        raise RuntimeError(f"ORT profile of {path} holds {len(starts)} runs, want {warmup + runs}")
    since = starts[warmup]  # drop the warm-up runs
    fam = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time") or e["ts"] < since:
            continue
        k = kinds.family(e["name"][:-len("_kernel_time")], e.get("args", {}).get("op_name", "?"))
        fam[k] = fam.get(k, 0.0) + e["dur"] / 1e3
    return {k: v / runs for k, v in fam.items()}


def mconv_profile(exe, path, kinds, threads, runs, warmup):
    """Per-run time (ms) per op family from `mconv bench --profile`."""
    cmd = [exe, "bench", path, "--json", "--profile", "--threads", str(threads), "--runs", str(runs),
           "--warmup", str(warmup), "--batch", "1"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    fam = {}
    for layer in json.loads(p.stdout).get("profile") or []:
        if not layer.get("timed"):
            continue
        k = kinds.family(layer["name"], layer.get("kernel") or layer["op"])
        fam[k] = fam.get(k, 0.0) + layer["time_ms"]
    return fam


def excess(mc, ot, n=4):
    """The n op families whose mconv time most exceeds ORT's: [(op, mconv ms, ORT ms)]."""
    rows = [(k, mc.get(k, 0.0), ot.get(k, 0.0)) for k in set(mc) | set(ot)]
    rows.sort(key=lambda r: r[2] - r[1])
    return [r for r in rows[:n] if r[1] > r[2]]


def zoo_models(zoo, exporter):
    names = []
    for name in sorted(os.listdir(zoo)):
        if os.path.exists(os.path.join(zoo, name, exporter, "train.onnx")):
            names.append(name)
    return names


def fuse(exe, src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    p = subprocess.run([exe, "fuse", src, "-o", dst], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"mconv fuse {src} exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")


def geomean(xs):
    return float(np.exp(np.mean(np.log(xs)))) if xs else float("nan")


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
    ap.add_argument("--zoo", nargs="?", const=os.path.join(REPO, ".cache", "zoo"),
                    help="benchmark the zoo (export_fixtures.py --zoo; default .cache/zoo): "
                         "<name>/<exporter>/train.onnx, fused by mconv first")
    ap.add_argument("--exporter", default="torchscript", help="with --zoo: torchscript or dynamo")
    ap.add_argument("--models", help="comma-separated model folder names "
                    f"(default: every zoo model with --zoo, else {','.join(DEFAULT_MODELS)})")
    ap.add_argument("--no-ops", action="store_true", help="skip the per-op-type profiles")
    ap.add_argument("--profile-runs", type=int, default=10, help="runs per engine for the per-op profiles")
    ap.add_argument("--max-geomean", type=float, help="fail when a thread count's geometric-mean ratio exceeds this")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per engine (at least 20)")
    ap.add_argument("--block", type=int, default=5, help="runs per alternation block")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs before timing")
    ap.add_argument("--mconv", help="mconv binary (default: go build ./cmd/mconv)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--max-ratio", type=float, help="fail when a single-thread mconv/ORT ratio exceeds this")
    a = ap.parse_args()
    if not a.models_dir and not a.zoo:
        ap.error("--models-dir or --zoo is required (or set MCONV_FULL_MODELS)")
    if a.runs < 20:
        ap.error("--runs must be at least 20")
    if a.block < 1:
        ap.error("--block must be at least 1")
    threads = [int(t) for t in a.threads.split(",")]
    if a.models:
        models = [m for m in a.models.split(",") if m]
    elif a.zoo:
        models = zoo_models(a.zoo, a.exporter)
        if not models:
            ap.error(f"{a.zoo} holds no <name>/{a.exporter}/train.onnx (run export_fixtures.py --zoo)")
    else:
        models = DEFAULT_MODELS

    tmp = tempfile.TemporaryDirectory()
    exe = a.mconv or build_mconv(tmp.name)

    results, failed = [], 0
    for m in models:
        if a.zoo:
            path = os.path.join(tmp.name, m, "fused.onnx")
            try:
                fuse(exe, os.path.join(a.zoo, m, a.exporter, "train.onnx"), path)
            except Exception as e:
                print(f"FAIL {m}: {e}", file=sys.stderr)
                failed += 1
                continue
        else:
            path = os.path.join(a.models_dir, m, "deploy.onnx")
        if not os.path.exists(path):
            print(f"FAIL {m}: {path} does not exist", file=sys.stderr)
            failed += 1
            continue
        kinds = None if a.no_ops else ConvKinds(path)  # read once per model
        for t in threads:
            try:
                r = measure(exe, path, t, a.runs, a.block, a.warmup)
                if not a.no_ops:
                    r["mconv_ops_ms"] = mconv_profile(exe, path, kinds, t, a.profile_runs, a.warmup)
                    r["ort_ops_ms"] = ort_profile(path, kinds, t, a.profile_runs, a.warmup)
                    r["excess"] = excess(r["mconv_ops_ms"], r["ort_ops_ms"])
            except Exception as e:  # report and go on with the next one
                print(f"FAIL {m} threads={t}: {e}", file=sys.stderr)
                failed += 1
                continue
            r.update(model=m, threads=t, ratio=r["mconv_ms"] / r["ort_ms"], min_ratio=r["mconv_min_ms"] / r["ort_min_ms"])
            results.append(r)
            print(f"  {m:24s} threads={t}: ORT {r['ort_ms']:8.2f} ms  mconv {r['mconv_ms']:8.2f} ms  ratio {r['ratio']:5.2f}",
                  file=sys.stderr, flush=True)
        if not a.zoo:
            continue
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)

    print()
    print(f"CPU: {cpu_model()}")
    print(f"batch 1, {'each model at its own resolution' if a.zoo else '224x224'}; median of per-block medians, blocks of {a.block} runs alternated, "
          f">= {a.runs} runs per engine; ORT {ort.__version__}, mconv {exe}")
    print("(min: fastest single run of each engine, the least disturbed by other load on the machine)")
    print(f"{'model':24s} {'thr':>3s} {'ORT ms':>9s} {'mconv ms':>9s} {'mconv/ORT':>9s} "
          f"{'ORT min':>8s} {'mconv min':>9s} {'min ratio':>9s} {'mconv GFLOP/s':>13s}")
    for r in results:
        gf = f"{r['mconv_gflops_per_s']:.1f}" if r["mconv_gflops_per_s"] else "-"
        print(f"{r['model']:24s} {r['threads']:3d} {r['ort_ms']:9.2f} {r['mconv_ms']:9.2f} {r['ratio']:9.2f} "
              f"{r['ort_min_ms']:8.2f} {r['mconv_min_ms']:9.2f} {r['min_ratio']:9.2f} {gf:>13s}")
    if not a.no_ops:
        print()
        print("op types whose mconv time most exceeds ONNX Runtime's (ms per run, from each engine's profiler)")
        for r in results:
            ex = "; ".join(f"{op} {mc:.2f} vs {ot:.2f}" for op, mc, ot in r.get("excess", [])) or "-"
            print(f"{r['model']:24s} {r['threads']:3d}  {ex}")
    print()
    for t in threads:
        rs = [r for r in results if r["threads"] == t]
        if rs:
            worst = max(rs, key=lambda r: r["ratio"])
            print(f"threads={t}: geometric mean mconv/ORT {geomean([r['ratio'] for r in rs]):.2f} over {len(rs)} models; "
                  f"worst {worst['model']} {worst['ratio']:.2f}; min-ratio geomean {geomean([r['min_ratio'] for r in rs]):.2f}")
            if a.max_geomean is not None and geomean([r["ratio"] for r in rs]) > a.max_geomean:
                print(f"FAIL threads={t}: geometric mean above {a.max_geomean}", file=sys.stderr)
                failed += 1
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
            json.dump({"ort_version": ort.__version__, "block": a.block, "cpu": cpu_model(), "results": results}, f, indent=1)
        os.replace(tmpf, a.json)
    print(f"\n{len(results)} measured, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
