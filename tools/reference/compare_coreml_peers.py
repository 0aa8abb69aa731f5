"""Compare mconv's Core ML conversion with two peer ONNX -> Core ML
converters on the full-size zoo (by hand, not CI).

For each zoo model (.cache/zoo/NAME/EXPORTER/train.onnx with
train_data_set_0, from `export_fixtures.py --zoo`; zoo.json lists them)
this converts the training-form export to an ML Program with
  * mconv:       `mconv to-coreml --fuse` (mconv's passes, then its lowering;
                 the deployment target is the lowest that expresses the
                 graph), in fp32 and with --fp16;
  * onnxsim:     `onnxsim IN OUT --emit-coreml PKG` (onnxsim 0.8.1
                 simplifies, then hands the model to coremltools; as it
                 offers no compute-precision flag, coremltools' ML Program
                 default, fp16, applies);
  * onnx2coreml: `onnx2coreml convert IN -o PKG --precision fp32`
                 (onnx2coreml 1.1.0, on coremltools' MIL builder),
and for each file reports: whether it converted (else the short reason),
the deployment target written, the MIL conv / batch_norm / add op counts,
the bytes of weights/weight.bin, and the error of coreml_interp.py's NumPy
evaluation against the PyTorch output stored with the export, as
max |error| / max(1, max |PyTorch|), with the tolerance of
xcheck_coreml_numerics.py (fp32 1e-4, fp16 2e-2) marking a miss with '!'.
Prints a markdown table (one row per model and exporter) and a summary.

    python compare_coreml_peers.py [--zoo DIR] [--only NAME ...]
        [--exporter torchscript|dynamo] [--tools mconv mconv-fp16 onnxsim onnx2coreml]

Needs the crosscheck virtualenv (coremltools 9.0, onnxsim 0.8.1) with
onnx2coreml 1.1.0 installed (`pip install onnx2coreml==1.1.0`; it brings no
conflicting requirement). Each converted file is deleted once measured.
"""
import argparse
import collections
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coreml_interp  # noqa: E402
from xcheck_coreml_numerics import ROOT, TOL16, TOL32, fp16_overflow, read_pb  # noqa: E402

BIN = os.path.dirname(sys.executable)
SPEC_TARGETS = {4: "iOS13", 5: "iOS14", 6: "iOS15", 7: "iOS16", 8: "iOS17", 9: "iOS18"}
TOOLS = ["mconv", "mconv-fp16", "onnxsim", "onnx2coreml"]
COUNTED = ("conv", "batch_norm", "add")
TIMEOUT = 900


def short_reason(tool, text):
    """A few words on why TOOL refused the model, from its error output."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith(("Failed to load", "Running"))]
    if not lines:
        return "failed (no message)"
    if tool.startswith("mconv"):
        m = re.search(r'node "[^"]*" \(([\w.]+)\): (.*)', lines[-1])
        if m:
            why = re.sub(r":? ?not supported$", "", m.group(2))
            why = re.sub(r"^op \S+ has no Core ML mapping in mconv$", "no Core ML mapping", why)
            return f"{m.group(1)}: {why[:70]}"
    m = re.search(r"failed to convert ONNX node '[^']*' \((\w+)\) to Core ML: (.*)", text)  # onnxsim
    if m:
        return f"{m.group(1)}: {m.group(2)[:70]}"
    ops = re.findall(r"^\s+(\w+) \(\d+ node", text, re.M)  # onnx2coreml's UnsupportedOpError
    ops += re.findall(r"ONNX op '(\w+)' is not supported", text)  # onnxsim's exporter
    if ops:
        return "no lowering for " + ", ".join(dict.fromkeys(ops))
    err = [ln for ln in lines if re.match(r"^(Error|\w+Error)\b", ln)]
    last = (err or lines)[-1]
    return re.sub(r"^(mconv|onnx2coreml|onnxsim)(: )?", "", last)[:90]


def run_tool(tool, exe, src, shape_arg, tmp):
    """Converts src with TOOL: (package path, mconv's --json or None) or
    raises RuntimeError(short reason)."""
    pkg = os.path.join(tmp, tool + ".mlpackage")
    if tool.startswith("mconv"):
        cmd = [exe, "to-coreml", src, "-o", pkg, "--fuse", "--json"] + shape_arg
        if tool == "mconv-fp16":
            cmd.append("--fp16")
    elif tool == "onnxsim":
        cmd = [os.path.join(BIN, "onnxsim"), src, os.path.join(tmp, "sim.onnx"), "--emit-coreml", pkg]
    else:
        cmd = [os.path.join(BIN, "onnx2coreml"), "convert", src, "-o", pkg, "--precision", "fp32"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {TIMEOUT}s")
    if r.returncode != 0 or not os.path.isdir(pkg):
        raise RuntimeError(short_reason(tool, r.stderr + r.stdout))
    return pkg, (json.loads(r.stdout) if tool.startswith("mconv") else None)


def measure(pkg, x, want):
    """(target, op counts, weight bytes, error / max(1, scale), fp16, overflow)
    of the ML Program at pkg run by coreml_interp on x; overflow names the
    first op whose value does not fit fp16 (xcheck_coreml_numerics.py lists
    such files, not counted: a device overflows too), else None."""
    prog = coreml_interp.load(pkg)
    if not isinstance(prog, coreml_interp.MILProgram):
        raise RuntimeError("not an ML Program")
    counts = collections.Counter(op.type for op in prog.operations())
    wdir = os.path.join(pkg, "Data", "com.apple.CoreML", "weights")
    wbytes = sum(os.path.getsize(f) for f in glob.glob(os.path.join(wdir, "*")))
    fp16 = any(coreml_interp._tensor_type(o.type)[0] == np.float16
               for op in prog.operations() if op.type != "const" for o in op.outputs)
    feeds = {next(iter(coreml_interp.input_shapes(prog.spec))): x}
    got = np.asarray(list(prog.run(feeds).values())[0], dtype=np.float64).reshape(want.shape)
    err = float(np.abs(got - want).max()) / max(1.0, float(np.abs(want).max()))
    over = fp16_overflow(prog, feeds, False) if fp16 and not np.isfinite(err) else None
    return SPEC_TARGETS.get(prog.spec.specificationVersion, str(prog.spec.specificationVersion)), counts, wbytes, err, fp16, over


def cell(res):
    if "reason" in res:
        return "no: " + res["reason"].replace("|", "/")
    c = res["counts"]
    tol = TOL16 if res["fp16"] else TOL32
    mark = "" if res["err"] <= tol else " !"
    if res.get("overflow"):
        mark = " (fp16 overflow at " + res["overflow"].split(" (")[0] + ")"
    prec = "fp16" if res["fp16"] else "fp32"
    note = f" ({res['note']})" if "note" in res else ""
    return (f"{res['target']} {prec} · {'/'.join(str(c[k]) for k in COUNTED)} · "
            f"{res['bytes'] / 1e6:.1f} MB · {res['err']:.1e}{mark}{note}")


def main(argv):
    ap = argparse.ArgumentParser(description="mconv vs onnxsim --emit-coreml vs onnx2coreml on the zoo (see the module doc)")
    ap.add_argument("--zoo", default=os.path.join(ROOT, ".cache", "zoo"))
    ap.add_argument("--only", nargs="*", help="zoo model names (default all)")
    ap.add_argument("--exporter", choices=["torchscript", "dynamo"], help="one exporter (default both)")
    ap.add_argument("--tools", nargs="*", default=TOOLS, choices=TOOLS)
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--reuse", help="an earlier run's --json: the table shows its results for the tools not run "
                                    "now (rerun mconv alone after a change; the peers do not change)")
    args = ap.parse_args(argv)
    earlier = {}
    if args.reuse:
        with open(args.reuse) as f:
            earlier = {(r["model"], r["exporter"]): r for r in json.load(f)}
    files = sorted(glob.glob(os.path.join(args.zoo, "*", "*", "train.onnx")))
    if args.only:
        files = [f for f in files if f.split(os.sep)[-3] in args.only]
    if args.exporter:
        files = [f for f in files if f.split(os.sep)[-2] == args.exporter]
    if not files:
        print(f"no zoo files under {args.zoo} (export_fixtures.py --zoo makes them)")
        return 1
    rows = []
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="mconv-peers-") as tmp:
        exe = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=ROOT, check=True)
        for src in files:
            name, exporter = src.split(os.sep)[-3:-1]
            data = os.path.join(os.path.dirname(src), "train_data_set_0")
            x = read_pb(os.path.join(data, "input_0.pb"))
            want = read_pb(os.path.join(data, "output_0.pb")).astype(np.float64)
            in_name = onnx.load(src, load_external_data=False).graph.input[0].name
            shape_arg = ["--input-shape", f"{in_name}=" + ",".join(str(d) for d in x.shape)]
            row = {"model": name, "exporter": exporter}
            for tool in args.tools:
                work = tempfile.mkdtemp(dir=tmp)
                t1 = time.time()
                try:
                    pkg, rep = run_tool(tool, exe, src, shape_arg, work)
                    target, counts, wbytes, err, fp16, over = measure(pkg, x, want)
                    res = {"target": target, "counts": {k: counts[k] for k in COUNTED}, "bytes": wbytes,
                           "err": err, "fp16": fp16}
                    if over:
                        res["overflow"] = over
                    if rep is not None and rep["target"] != target:
                        res["note"] = f"mconv --json says {rep['target']}"
                except RuntimeError as e:
                    res = {"reason": str(e)}
                except Exception as e:  # noqa: BLE001 (the interpreter or loader: report, go on)
                    res = {"reason": f"interpreter: {type(e).__name__}: {str(e)[:60]}"}
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                res["seconds"] = round(time.time() - t1, 1)
                row[tool] = res
                print(f"{name}/{exporter} {tool}: {cell(res)} ({res['seconds']}s)", file=sys.stderr, flush=True)
            for tool, res in earlier.get((name, exporter), {}).items():
                if tool in TOOLS and tool not in row:
                    row[tool] = res
            rows.append(row)
    shown = [t for t in TOOLS if all(t in row for row in rows)]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    cpu = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")),
               platform.processor())
    print(f"{time.strftime('%Y-%m-%d')}, {cpu}, {len(rows)} files, {time.time() - t0:.0f} s\n")
    print("Cells: target, compute precision · MIL conv/batch_norm/add ops · weight.bin size · "
          "interpreter error / max(1, |PyTorch|) ('!' over xcheck_coreml_numerics.py's tolerance).\n")
    print("| model | exporter | " + " | ".join(shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for row in rows:
        print(f"| {row['model']} | {row['exporter']} | " + " | ".join(cell(row[t]) for t in shown) + " |")
    print()
    for tool in shown:
        ok = [row[tool] for row in rows if "reason" not in row[tool]]
        good = [r for r in ok if r["err"] <= (TOL16 if r["fp16"] else TOL32)]
        over = [r for r in ok if r.get("overflow")]
        worst = max((r["err"] for r in good), default=float("nan"))
        targets = collections.Counter(r["target"] for r in ok)
        print(f"- {tool}: converts {len(ok)}/{len(rows)}, within tolerance {len(good)}, worst of those {worst:.1e}, "
              f"targets {dict(sorted(targets.items()))}" + (f", fp16 overflow (not counted) {len(over)}" if over else ""))
    # mconv's op counts against each peer's, where both converted the file
    for peer in [t for t in shown if not t.startswith("mconv")]:
        for mine in [t for t in shown if t.startswith("mconv")]:
            both = [row for row in rows if "reason" not in row[peer] and "reason" not in row[mine]]
            more = [f"{row['model']}/{row['exporter']}" for row in both
                    if row[mine]["counts"]["conv"] > row[peer]["counts"]["conv"]]
            missed = [f"{row['model']}/{row['exporter']}" for row in rows
                      if "reason" not in row[peer] and "reason" in row[mine]]
            print(f"- {mine} vs {peer}: both convert {len(both)}; {peer} converts and {mine} not: "
                  f"{', '.join(missed) or 'none'}; {mine} has more conv ops on: {', '.join(more) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
