"""Random ops inside loops (issue: every iteration drew the same numbers).

Each iteration of a `for` or `scan`, and each call of a layer inside one,
draws from its own Philox stream: counter words 2-3 are
nnc_loop_stream(enclosing stream, iteration), which the runtime library
exports. Checked here: the noise equals that stream element for element,
rows differ, a seed reproduces it, --seed moves it (also under --forward),
threads and executables agree with the JIT, and gradients through loops
with noise and dropout (recomputed by the backward loop when the loop is
not unrolled) match PyTorch given the same noise."""
import ctypes
import re
import subprocess
import os
import sys
import tempfile

import torch

from nnctest import rel_error, report, run_executable, run_forward, run_gradients, save, load

NNC, LIB = sys.argv[1], sys.argv[2]
rt = ctypes.CDLL(LIB)
rt.nnc_loop_stream.restype = ctypes.c_int64
rt.nnc_loop_stream.argtypes = [ctypes.c_int64, ctypes.c_int64]


def uniform(seed, stream, shape):
    n = 1
    for s in shape:
        n *= s
    out = (ctypes.c_float * n)()
    rt.nnc_rng_uniform_stream_f32(ctypes.c_uint64(seed), ctypes.c_int64(stream), out,
                                  ctypes.c_int64(n), ctypes.c_float(0.0), ctypes.c_float(1.0))
    return torch.tensor(list(out)).reshape(shape)


results = []
x = torch.zeros(1, 4)

# The program: one row of noise per iteration.
loop_src = """model NoiseLoop() {
  input x: f32[1, 4]
  let out = zeros([3, 4])
  for i in 0 .. 3 {
    out = where(unsqueeze(one_hot(i, 3), -1) > 0.5, uniform_like(x%s), out)
  }
  output rows = out
}
"""
rows = run_forward(NNC, loop_src % ", seed: 7", {"x": x})["rows"]
want = torch.stack([uniform(7, rt.nnc_loop_stream(0, i), (4,)) for i in range(3)])
results.append(("for: row i = stream (7, loop_stream(0, i))", (rows - want).abs().max().item(), 0.0))
results.append(("for: rows differ", 1.0 if torch.equal(rows[0], rows[1]) or torch.equal(rows[1], rows[2]) else 0.0, 0.0))


def forward_with(extra, src):
    with tempfile.TemporaryDirectory() as d:
        save(os.path.join(d, "in.safetensors"), {"x": x})
        with open(os.path.join(d, "case.nn"), "w") as f:
            f.write(src)
        subprocess.run([NNC, "run", os.path.join(d, "case.nn"), "--forward", os.path.join(d, "in.safetensors"),
                        "-o", os.path.join(d, "out.safetensors")] + extra, check=True)
        return load(os.path.join(d, "out.safetensors"))["rows"]


plain = loop_src % ""
a, b, c = forward_with([], plain), forward_with([], plain), forward_with(["--seed", "5"], plain)
results.append(("same seed, same numbers", (a - b).abs().max().item(), 0.0))
results.append(("--seed 5 moves noise without seed: (forward)", 1.0 if torch.equal(a, c) else 0.0, 0.0))
results.append(("--threads 2 = --threads 1", (forward_with(["--threads", "2"], plain) - a).abs().max().item(), 0.0))
results.append(("executable = JIT", (run_executable(NNC, plain, {"x": x})["rows"] - a).abs().max().item(), 0.0))

# scan: a fresh draw per step, and per call of a layer inside the loop.
scan_src = """layer noisy()(v: f32[B, 3]) -> f32[B, 3] {
  v + uniform_like(v, seed: 4)
}
model S {
  input seq: f32[B, 5, 3]
  let f = noisy()
  let ys = scan s in seq carry (h = zeros([B, 3])) {
    h = f(s)
    yield h
  }
  output ys = ys
}
"""
seq = torch.zeros(2, 5, 3)
ys = run_forward(NNC, scan_src, {"seq": seq})["ys"]
want = torch.stack([uniform(4, rt.nnc_loop_stream(0, t), (2, 3)) for t in range(5)], 1)
results.append(("scan: step t = stream (4, loop_stream(0, t))", (ys - want).abs().max().item(), 0.0))

# Nested loops: the inner stream is mixed from the outer iteration's.
nested_src = """model N {
  input x: f32[1, 4]
  let acc = zeros([1, 4])
  for i in 0 .. 2 {
    for j in 0 .. 2 {
      acc = acc * 10.0 + uniform_like(x, seed: 3)
    }
  }
  output rows = acc
}
"""
got = run_forward(NNC, nested_src, {"x": x})["rows"].double()
want = torch.zeros(1, 4, dtype=torch.float64)
for i in range(2):
    for j in range(2):
        want = want * 10 + uniform(3, rt.nnc_loop_stream(rt.nnc_loop_stream(0, i), j), (1, 4)).double()
results.append(("nested loops: stream of (i, j)", rel_error(got, want), 1e-6))

# Gradients through loops with noise and dropout: 3 steps (unrolled before
# differentiation) and 20 (a backward loop that recomputes the body).
grad_src = """use std.optim
layer scaled()(v: f32[B, 4]) -> f32[B, 4] {
  param w: f32[4] = ones()
  v * w
}
model L {
  input x: f32[B, 4]
  let f = scaled()
  let h = x
  for i in 0 .. %d {
    h = dropout(tanh(f(h) + 0.1 * uniform_like(h, seed: 9)), 0.25)
  }
  output o = h
}
train L on npy("x.npy", [4]) {
  loss sum(square(o))
  optimizer sgd(lr: 0.1)
}
"""
gen = torch.Generator().manual_seed(1)
for steps in (3, 20):
    src = grad_src % steps
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "case.nn"), "w") as f:
            f.write(src)
        emitted = subprocess.run([NNC, "build", "--emit=grad", os.path.join(d, "case.nn")],
                                 capture_output=True, text=True, check=True).stdout
    drop_seed = int(re.search(r"nn\.dropout.*seed = (\d+)", emitted).group(1))
    xin = torch.rand(2, 4, generator=gen) * 2 - 1
    w = (torch.rand(4, generator=gen) + 0.5).requires_grad_(True)
    h = xin
    for i in range(steps):
        s = rt.nnc_loop_stream(0, i)
        keep = (uniform(drop_seed, s, (2, 4)) >= 0.25).float() / 0.75
        h = torch.tanh(h * w + 0.1 * uniform(9, s, (2, 4))) * keep
    loss = (h * h).sum()
    loss.backward()
    got = run_gradients(NNC, src, {"x": xin, "f.w": w.detach()})
    results.append((f"{steps} steps with noise and dropout: loss", rel_error(got["loss"], loss.detach()), 1e-5))
    results.append((f"{steps} steps with noise and dropout: grad w", rel_error(got["grad.f.w"], w.grad), 1e-5))

report(results)
