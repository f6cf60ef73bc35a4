"""Exports a .nn model with `nnc export`, runs it in ONNX Runtime and in nnc
(`nnc run --forward`) on the same random inputs, and compares every output:
max |ort - nnc| <= tol * max(1, |nnc|). Exits 1 with the differences if not.

Usage: compare_ort.py NNC MODEL.nn CHECKPOINT WORKDIR [--batch N] [--tol T]
CHECKPOINT "random": random parameters for every parameter and state.
ONNX Runtime: tools/onnxruntime/node_modules (NNC_ORT_MODULES overrides).
Runs under /usr/bin/python3 (numpy, onnx).
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from nnc_safetensors import read_safetensors, write_safetensors  # noqa: E402,F401
ONNX_DTYPES = {1: np.float32, 11: np.float64, 6: np.int32, 7: np.int64,
               9: np.bool_}
ORT_NAMES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64",
             np.dtype(np.int32): "int32", np.dtype(np.int64): "int64",
             np.dtype(np.bool_): "bool"}


def random_checkpoint(nnc, model, which, path):
    """Random parameters and state for every argument `nnc build --emit=nn`
    shows with nn.kind "param" or "state" (variances positive)."""
    ir = subprocess.run([nnc, "build", model, "--emit=nn", *which],
                        check=True, capture_output=True, text=True).stdout
    rng = np.random.default_rng(2)
    tensors = {}
    for shape, dtype, attrs in re.findall(
            r"tensor<((?:[0-9]+x)*)(f32|f64)> \{([^}]*)\}", ir):
        kind = re.search(r'nn.kind = "(\w+)"', attrs)
        name = re.search(r'nn.name = "([^"]+)"', attrs)
        if not kind or kind.group(1) not in ("param", "state"):
            continue
        dims = [int(d) for d in shape.split("x") if d]
        t = rng.uniform(-0.5, 0.5, dims)
        if name.group(1).endswith("var"):
            t = np.abs(t) + 0.5
        tensors[name.group(1)] = t.astype(np.float32 if dtype == "f32" else np.float64)
    write_safetensors(path, tensors)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("nnc")
    p.add_argument("model")
    p.add_argument("checkpoint")
    p.add_argument("workdir")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--tol", type=float, default=1e-5)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--model", dest="model_name",
                   help="nnc's --model NAME (files with several models)")
    p.add_argument("--no-run", action="store_true",
                   help="only export (and check) the model")
    p.add_argument("--stochastic", default="",
                   help="outputs drawn at random (comma-separated): "
                   "compared by shape, finiteness and mean, not value")
    p.add_argument("--perturb", action="store_true",
                   help="run with a copy of the checkpoint whose tensors are "
                        "moved by random amounts (biases and running "
                        "statistics no longer 0 and 1)")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    if a.checkpoint == "random":
        a.checkpoint = os.path.join(a.workdir, "random.safetensors")
        random_checkpoint(a.nnc, a.model,
                          ["--model", a.model_name] if a.model_name else [],
                          a.checkpoint)
    if a.perturb:
        rng = np.random.default_rng(1)
        ck = read_safetensors(a.checkpoint)
        for name, t in ck.items():
            if np.issubdtype(t.dtype, np.floating) and not name.startswith("train."):
                t = t + rng.uniform(-0.1, 0.1, t.shape).astype(t.dtype)
                if name.endswith("var") or name.endswith("variance"):
                    t = np.abs(t) + 0.5
            ck[name] = t
        a.checkpoint = os.path.join(a.workdir, "perturbed.safetensors")
        write_safetensors(a.checkpoint, ck)
    onnx_path = os.path.join(a.workdir, "model.onnx")
    which = ["--model", a.model_name] if a.model_name else []
    subprocess.run([a.nnc, "export", a.model, "--checkpoint", a.checkpoint,
                    "-o", onnx_path, "--opset", str(a.opset), *which],
                   check=True)
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    if a.no_run:
        return 0

    rng = np.random.default_rng(0)
    inputs = {}
    in_dir = os.path.join(a.workdir, "in")
    os.makedirs(in_dir, exist_ok=True)
    for vi in m.graph.input:
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else a.batch
                for d in tt.shape.dim]
        dt = ONNX_DTYPES[tt.elem_type]
        if np.issubdtype(dt, np.floating):
            x = rng.uniform(0.0, 1.0, dims).astype(dt)
        else:
            x = rng.integers(0, 2, dims).astype(dt)
        inputs[vi.name] = x
        x.tofile(os.path.join(in_dir, vi.name + ".bin"))
        with open(os.path.join(in_dir, vi.name + ".json"), "w") as f:
            json.dump({"dtype": ORT_NAMES[x.dtype], "dims": dims}, f)

    in_st = os.path.join(a.workdir, "in.safetensors")
    out_st = os.path.join(a.workdir, "out.safetensors")
    write_safetensors(in_st, inputs)
    subprocess.run([a.nnc, "run", a.model, "--forward", in_st, "--checkpoint",
                    a.checkpoint, "-o", out_st, *which], check=True,
                   stdout=subprocess.DEVNULL)
    ours = read_safetensors(out_st)

    modules = os.environ.get("NNC_ORT_MODULES",
                             os.path.join(ROOT, "tools", "onnxruntime",
                                          "node_modules"))
    out_dir = os.path.join(a.workdir, "ort")
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), modules,
                    onnx_path, in_dir, out_dir], check=True)
    worst, bad = 0.0, []
    for vo in m.graph.output:
        with open(os.path.join(out_dir, vo.name + ".json")) as f:
            meta = json.load(f)
        theirs = np.fromfile(os.path.join(out_dir, vo.name + ".bin"),
                             ONNX_DTYPES[vo.type.tensor_type.elem_type])
        theirs = theirs.reshape(meta["dims"])
        mine = ours[vo.name]
        if mine.shape != theirs.shape:
            bad.append(f"{vo.name}: shape {mine.shape} (nnc) vs "
                       f"{theirs.shape} (ONNX Runtime)")
            continue
        if vo.name in a.stochastic.split(","):
            # Other generators draw other numbers: the same distribution.
            # The means may differ by 4 standard errors of a difference.
            m1, m2 = float(mine.mean()), float(theirs.mean())
            spread = max(float(mine.std()), float(theirs.std()))
            tol = 4 * spread * np.sqrt(2.0 / max(1, mine.size)) + 1e-6
            print(f"{vo.name}: {list(mine.shape)} drawn at random: means "
                  f"{m1:.4g} (nnc) and {m2:.4g} (ONNX Runtime)")
            if not np.all(np.isfinite(theirs)) or abs(m1 - m2) > tol:
                bad.append(f"{vo.name}: not finite or means {m1:.4g} and "
                           f"{m2:.4g} differ by more than {tol:.3g}")
            continue
        diff = np.abs(mine.astype(np.float64) - theirs.astype(np.float64))
        err = float((diff / np.maximum(1.0, np.abs(mine))).max()) if diff.size else 0.0
        worst = max(worst, err)
        print(f"{vo.name}: {list(mine.shape)} max relative difference {err:.3g}")
        if err > a.tol:
            bad.append(f"{vo.name}: differs by {err:.3g} > {a.tol}")
    def ops(graph):  # with the bodies of loops
        for n in graph.node:
            yield n.op_type
            for at in n.attribute:
                if at.type == onnx.AttributeProto.GRAPH:
                    yield from ops(at.g)
    print(f"ops: {' '.join(sorted(set(ops(m.graph))))}")
    if bad:
        print("MISMATCH: " + "; ".join(bad))
        return 1
    print(f"OK: ONNX Runtime matches nnc (worst {worst:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
