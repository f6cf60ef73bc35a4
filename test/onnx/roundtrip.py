"""nnc -> ONNX -> nnc: exports a model with a checkpoint, imports the file
back (`nnc import`), runs the original and the imported model on the same
random inputs (`nnc run --forward`) and prints the largest difference of
each output; exits 1 if any exceeds --tol (default 1e-6).

Usage: roundtrip.py NNC MODEL.nn CHECKPOINT WORKDIR [--model NAME]
                    [--instance NAME]
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import read_safetensors, write_safetensors  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("nnc")
    p.add_argument("model")
    p.add_argument("checkpoint")
    p.add_argument("workdir")
    p.add_argument("--model", dest="model_name")
    p.add_argument("--instance")
    p.add_argument("--tol", type=float, default=1e-6)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    which = ["--model", a.model_name] if a.model_name else []
    inst = ["--instance", a.instance] if a.instance else []
    onnx_path = os.path.join(a.workdir, "exported.onnx")
    back = os.path.join(a.workdir, "imported.nn")
    subprocess.run([a.nnc, "export", a.model, "--checkpoint", a.checkpoint,
                    "-o", onnx_path, *which, *inst], check=True)
    subprocess.run([a.nnc, "import", onnx_path, "-o", back], check=True)
    ir = subprocess.run([a.nnc, "build", a.model, "--emit=nn", *which],
                        check=True, capture_output=True, text=True).stdout
    import re
    rng = np.random.default_rng(0)
    inputs = {}
    for shape, elem, name in re.findall(
            r'tensor<((?:[0-9?]+x)*)(f32|i64)> \{nn.kind = "input", '
            r'nn.name = "(\w+)"\}', ir):
        dims = [3 if d == "?" else int(d) for d in shape.split("x") if d]
        # Integers (token ids) small enough for any embedding table.
        inputs[name] = (rng.uniform(0, 1, dims).astype(np.float32)
                        if elem == "f32" else rng.integers(0, 8, dims))
    in_st = os.path.join(a.workdir, "in.safetensors")
    write_safetensors(in_st, inputs)
    outs = []
    for src, ck, extra in ((a.model, a.checkpoint, which + inst),
                           (back, os.path.join(a.workdir, "imported.safetensors"), [])):
        out = os.path.join(a.workdir, f"out{len(outs)}.safetensors")
        subprocess.run([a.nnc, "run", src, "--forward", in_st, "--checkpoint", ck,
                        "-o", out, *extra],
                       check=True, stdout=subprocess.DEVNULL)
        outs.append(read_safetensors(out))
    ok = True
    for (name, x), (name2, y) in zip(sorted(outs[0].items()), sorted(outs[1].items())):
        err = float(np.max(np.abs(x.astype(np.float64) - y))) if x.size else 0.0
        print(f"{name} / {name2}: {list(x.shape)} largest difference {err:.3g}")
        ok &= x.shape == y.shape and err <= a.tol
    print("OK: the imported model computes what the original does" if ok
          else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
