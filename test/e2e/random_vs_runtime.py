"""Random tensors drawn inline by generated code follow the runtime's
Philox stream (libnnc_runtime's nnc_rng_*), element for element: uniform
and Bernoulli exactly, normal and Gumbel to float rounding (the generated
code uses polynomial exp/log/sin/cos). Also checks the reparameterisation
of the VAE example against PyTorch with nnc's own noise."""
import ctypes
import os
import sys

import torch

from nnctest import rel_error, report, run_forward

NNC, LIB, EXAMPLES = sys.argv[1], sys.argv[2], sys.argv[3]
rt = ctypes.CDLL(LIB)
fptr = ctypes.POINTER(ctypes.c_float)


def runtime_stream(fn, seed, n, *extra):
    out = (ctypes.c_float * n)()
    getattr(rt, fn)(ctypes.c_uint64(seed), ctypes.c_uint64(0), out,
                    ctypes.c_int64(n), *[ctypes.c_float(e) for e in extra])
    return torch.tensor(list(out))


src = """model R {
  input x: f32[B, 6]
  output u = uniform([B, 6], low: -1.0, high: 3.0, seed: 11)
  output n = normal_like(x, mean: 0.5, std: 2.0, seed: 12)
  output g = gumbel([B, 6], seed: 13)
  output m = bernoulli(x, seed: 14)
}
"""
x = torch.full((5, 6), 0.3)
out = run_forward(NNC, src, {"x": x})
results = []
u = runtime_stream("nnc_rng_uniform_f32", 11, 30, -1.0, 3.0)
results.append(("uniform = runtime stream", (out["u"].flatten() - u).abs().max().item(), 0.0))
nrm = runtime_stream("nnc_rng_normal_f32", 12, 30, 0.5, 2.0)
results.append(("normal = runtime stream", rel_error(out["n"].flatten(), nrm), 1e-5))
g = runtime_stream("nnc_rng_gumbel_f32", 13, 30)
results.append(("gumbel = runtime stream", rel_error(out["g"].flatten(), g), 1e-5))
p = (ctypes.c_float * 30)(*([0.3] * 30))
m = (ctypes.c_float * 30)()
rt.nnc_rng_bernoulli_f32(ctypes.c_uint64(14), ctypes.c_uint64(0), p, m, ctypes.c_int64(30))
results.append(("bernoulli = runtime stream",
                (out["m"].flatten() - torch.tensor(list(m))).abs().max().item(), 0.0))

# Larger draws have the right moments.
big = run_forward(NNC, "model S {\n  input x: f32[B, 1000]\n  normal_like(x, seed: 3)\n}\n",
                  {"x": torch.zeros(200, 1000)})["output"]
results.append(("normal mean ~ 0", abs(big.mean().item()), 0.01))
results.append(("normal std ~ 1", abs(big.std().item() - 1), 0.01))

# VAE reparameterisation: z = mu + exp(logvar / 2) * eps with nnc's eps.
vae = """use std.layers
model V {
  input mu: f32[B, 16]
  input logvar: f32[B, 16]
  output eps = normal_like(mu, seed: 5)
  output z = mu + exp(0.5 * logvar) * eps
}
"""
mu, lv = torch.randn(8, 16), torch.randn(8, 16) * 0.5
o = run_forward(NNC, vae, {"mu": mu, "logvar": lv})
results.append(("vae reparameterisation", rel_error(o["z"], mu + torch.exp(0.5 * lv) * o["eps"]), 1e-5))

report(results)
