"""Helpers for the PyTorch cross-checks: write .nn programs and safetensors
inputs, run `nnc run --forward`, read its outputs back.

Used by the *.test files in this folder with Debian's /usr/bin/python3 and
python3-torch (PyTorch is a test dependency only)."""
import json
import os
import struct
import subprocess
import tempfile

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32",
          torch.int64: "I64", torch.bool: "BOOL"}
BACK = {v: k for k, v in DTYPES.items()}


def save(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=BACK[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def random_params(nnc, path):
    """Every parameter (and running statistic) of the example's model,
    random, by path, read from `nnc build --emit=graph`."""
    import re
    graph = subprocess.run([nnc, "build", "--emit=graph", path], check=True,
                           capture_output=True, text=True).stdout
    params = {}
    for m in re.finditer(r'(param|state) "([^"]+)".* : f32\[([0-9, ]+)\]', graph):
        shape = [int(d) for d in m.group(3).split(",")]
        name = m.group(2)
        t = torch.randn(shape) * 0.2
        if name.endswith(".var"):
            t = torch.rand(shape) + 0.5
        params[name] = t
    return params


def _run_nnc(nnc, source, tensors, flag, extra=()):
    """Writes `source` and `tensors`, runs `nnc run case.nn FLAG in -o out
    EXTRA...` and returns the output tensors by name, or raises with nnc's
    message."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "case.nn")
        with open(src, "w") as f:
            f.write(source)
        inp, out = os.path.join(d, "in.safetensors"), os.path.join(d, "out.safetensors")
        save(inp, tensors)
        r = subprocess.run([nnc, "run", src, flag, inp, "-o", out, *extra],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return load(out)


def run_forward(nnc, source, tensors, model=None):
    """Compiles `source` and runs its model on `tensors`; returns the
    outputs by name, or raises with nnc's message."""
    return _run_nnc(nnc, source, tensors, "--forward", ["--model", model] if model else [])


def run_executable(nnc, source, tensors):
    """Builds `source` into an executable with `nnc build -o` and runs it on
    `tensors`; returns the outputs by name."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "case.nn")
        with open(src, "w") as f:
            f.write(source)
        prog = os.path.join(d, "prog")
        r = subprocess.run([nnc, "build", src, "-o", prog], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        inp, out = os.path.join(d, "in.safetensors"), os.path.join(d, "out.safetensors")
        save(inp, tensors)
        r = subprocess.run([prog, inp, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return load(out)


def neural_ode_logits(p, x, steps=8):
    """examples/neural_ode/neural_ode.nn in PyTorch: dense + tanh, `steps`
    RK4 steps of dh/dt = tanh([h, t] @ f.w1) @ f.w2 over [0, 1], dense."""
    def dyn(h, t):
        ht = torch.cat([h, t * torch.ones(h.shape[0], 1)], -1)
        return torch.tanh(ht @ p["f.w1"]) @ p["f.w2"]

    h = torch.tanh(x.reshape(x.shape[0], 784) @ p["dense_1.w"] + p["dense_1.b"])
    dt = 1.0 / steps
    for i in range(steps):
        t = i * dt
        k1 = dyn(h, t)
        k2 = dyn(h + 0.5 * dt * k1, t + 0.5 * dt)
        k3 = dyn(h + 0.5 * dt * k2, t + 0.5 * dt)
        k4 = dyn(h + dt * k3, t + dt)
        h = h + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return h @ p["dense_2.w"] + p["dense_2.b"]


def rel_error(got, want):
    """||got - want|| / ||want||, in f64."""
    got, want = got.double(), want.double()
    denom = want.norm().item()
    diff = (got - want).norm().item()
    return diff / denom if denom > 0 else diff


def report(results, tol=1e-5):
    """Prints one line per (name, error[, tolerance]) and the summary line
    'N passed, N failed'; exits 1 if any error exceeds its tolerance."""
    import sys
    failed = 0
    for r in results:
        name, err = r[0], r[1]
        ok = err <= (r[2] if len(r) > 2 else tol)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: rel. error {err:.2e}")
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def run_gradients(nnc, source, tensors, wrt_inputs=False):
    """Compiles `source` and evaluates its loss (first train block, or a
    model with one scalar output) and the gradients `nnc run --gradients`
    gives; returns {"loss": ..., "grad.<name>": ...}."""
    return _run_nnc(nnc, source, tensors, "--gradients",
                    ["--wrt-inputs"] if wrt_inputs else [])
