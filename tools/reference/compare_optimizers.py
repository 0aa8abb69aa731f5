#!/usr/bin/env python3
"""Compare mconv fuse with the ONNX optimizers people use today.

For every full-size timm model folder DIR/<name>/ holding train.onnx (the
training form: BatchNorm and reparameterization branches kept) and
deploy.onnx (timm.utils.reparameterize_model, then exported), this prints:

  * how many BatchNormalization, Add and Conv nodes remain in the training
    form, after onnxoptimizer (its default passes plus fuse_bn_into_conv),
    after onnx-simplifier (onnxsim.simplify), after `mconv fuse`, and in
    timm's deploy export;
  * ONNX Runtime latency on one thread (default graph optimizations,
    --runs runs interleaved after warm-up, median and min) of the training
    form, timm's deploy export and mconv's fused file, with the
    fused/deploy ratio of the minima (the least disturbed runs on a shared
    machine).

DIR is the first argument, else $MCONV_FULL_MODELS (made by
tools/reference/export_fixtures.py --full). Not part of `make crosscheck`
(it needs the full-size models and takes minutes). Exits non-zero when
`mconv fuse` fails or its op counts differ from timm's deploy export.

Usage: python compare_optimizers.py [DIR] [--runs N] [--json OUT]
"""
import argparse
import collections
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxoptimizer
import onnxruntime as ort
import onnxsim

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def counts(model):
    """Node counts; Add counts only Adds on activations (at least one input
    not computed from constants alone), since onnxoptimizer's
    fuse_bn_into_conv leaves the folding arithmetic as constant subgraphs."""
    g = model.graph
    const = {i.name for i in g.initializer} - {i.name for i in g.input} | {""}
    for n in g.node:  # topological order
        if all(i in const for i in n.input):
            const.update(n.output)
    c = collections.Counter(n.op_type for n in g.node)
    act_add = sum(1 for n in g.node if n.op_type == "Add" and not all(i in const for i in n.input))
    return {"BatchNormalization": c["BatchNormalization"], "Add": act_add, "Conv": c["Conv"],
            "Gemm": c["Gemm"], "nodes": len(g.node)}


def with_onnxoptimizer(model):
    passes = list(onnxoptimizer.get_fuse_and_elimination_passes())
    if "fuse_bn_into_conv" not in passes:
        passes.append("fuse_bn_into_conv")
    return onnxoptimizer.optimize(model, passes)


def with_onnxsim(model):
    m, ok = onnxsim.simplify(model)
    if not ok:
        raise RuntimeError("onnxsim could not validate its result")
    return m


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {}
    rng = np.random.default_rng(0)
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    return sess, feeds


def latencies(paths, runs):
    """Times the models interleaved (one run of each per round, rotating the
    order) so that load from other processes hits all of them alike. With
    one intra-op thread ONNX Runtime runs on the calling thread, so the
    thread's CPU time is measured (robust against waiting for a CPU on a
    shared machine). Returns {label: (median ms, min ms)}."""
    sess = {k: session(p) for k, p in paths.items()}
    for s, f in sess.values():
        for _ in range(3):
            s.run(None, f)
    ts = {k: [] for k in paths}
    keys = list(paths)
    for r in range(runs):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:
            s, f = sess[k]
            t0 = time.thread_time()
            s.run(None, f)
            ts[k].append(time.thread_time() - t0)
    return {k: (statistics.median(v) * 1e3, min(v) * 1e3) for k, v in ts.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=os.environ.get("MCONV_FULL_MODELS"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args()
    if not args.dir:
        print("no model folder: pass DIR or set MCONV_FULL_MODELS (export_fixtures.py --full makes it)")
        return 2
    names = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(args.dir, "*", "train.onnx")))
    if not names:
        print("no */train.onnx under %s" % args.dir)
        return 2
    failures = 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        mconv = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", mconv, "./cmd/mconv"], cwd=ROOT, check=True)
        for name in names:
            d = os.path.join(args.dir, name)
            train_p, deploy_p = os.path.join(d, "train.onnx"), os.path.join(d, "deploy.onnx")
            fused_p = os.path.join(tmp, name + ".fused.onnx")
            train = onnx.load(train_p)
            row = {"model": name, "counts": {}, "latency_ms": {}}
            row["counts"]["train"] = counts(train)
            for label, fn in (("onnxoptimizer", with_onnxoptimizer), ("onnxsim", with_onnxsim)):
                try:
                    row["counts"][label] = counts(fn(onnx.load(train_p)))
                except Exception as e:  # noqa: BLE001 - a tool failing is a result
                    row["counts"][label] = {"error": str(e)[:200]}
            r = subprocess.run([mconv, "fuse", train_p, "-o", fused_p], capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL %s: mconv fuse: %s" % (name, r.stderr.strip()[-500:]))
                failures += 1
                continue
            row["counts"]["mconv"] = counts(onnx.load(fused_p))
            row["counts"]["timm deploy"] = counts(onnx.load(deploy_p))
            for op in ("BatchNormalization", "Conv", "Gemm"):
                if row["counts"]["mconv"][op] != row["counts"]["timm deploy"][op]:
                    print("FAIL %s: %d %s after mconv, timm deploy has %d" % (
                        name, row["counts"]["mconv"][op], op, row["counts"]["timm deploy"][op]))
                    failures += 1
            row["latency_ms"] = latencies({"train": train_p, "timm deploy": deploy_p, "mconv": fused_p}, args.runs)
            results.append(row)

    print("\nBatchNormalization / Add (on activations) / Conv nodes left (training form in, full-size timm models)\n")
    cols = ["train", "onnxoptimizer", "onnxsim", "mconv", "timm deploy"]
    print("| model | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for row in results:
        cells = []
        for c in cols:
            x = row["counts"].get(c, {})
            cells.append("error" if "error" in x else "%d / %d / %d" % (x["BatchNormalization"], x["Add"], x["Conv"]))
        print("| %s | %s |" % (row["model"], " | ".join(cells)))
    print("\nONNX Runtime %s, 1 thread, CPU time of the calling thread, %d interleaved runs each, median (min) ms\n" % (ort.__version__, args.runs))
    print("| model | train | timm deploy | mconv fused | fused / deploy | train / deploy |")
    print("|---|---|---|---|---|---|")
    for row in results:
        lt = row["latency_ms"]
        print("| %s | %.2f (%.2f) | %.2f (%.2f) | %.2f (%.2f) | %.3f (%.3f) | %.2f (%.2f) |" % (
            row["model"], lt["train"][0], lt["train"][1], lt["timm deploy"][0], lt["timm deploy"][1],
            lt["mconv"][0], lt["mconv"][1],
            lt["mconv"][0] / lt["timm deploy"][0], lt["mconv"][1] / lt["timm deploy"][1],
            lt["train"][0] / lt["timm deploy"][0], lt["train"][1] / lt["timm deploy"][1]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print("\n%d passed, %d failed" % (len(results) - min(failures, len(results)), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
