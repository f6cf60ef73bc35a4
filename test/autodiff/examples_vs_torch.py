"""Gradients of the LSTM, VAE and concrete-autoencoder examples (`nnc run
--gradients`, the first train block's loss) against PyTorch autograd on
the same weights and data.

The random examples use nnc's own noise: the seeds the compiler gave their
`nn.random` ops are read from `nnc build --emit=grad`, and the same Philox
stream is drawn from the runtime library (random_vs_runtime.py checks that
generated code and runtime agree). The char-LSTM runs with a shorter
sequence and a smaller hidden size than the example's defaults, so that the
unrolled scan compiles in seconds; its structure is the example's.
An LSTM over sequences whose length is known only at run time checks the
backward of loops that are not unrolled. Tolerance: relative error 1e-4 in
f32."""
import ctypes
import os
import re
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

from nnctest import random_params, rel_error, report, run_gradients

NNC, LIB, EXAMPLES = sys.argv[1], sys.argv[2], sys.argv[3]
TOL = 1e-4
rt = ctypes.CDLL(LIB)
results = []


def emit_grad(source):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "case.nn")
        with open(path, "w") as f:
            f.write(source)
        return subprocess.run([NNC, "build", "--emit=grad", path], check=True,
                              capture_output=True, text=True).stdout


def params_of(source, seed):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "case.nn")
        with open(path, "w") as f:
            f.write(source)
        torch.manual_seed(seed)
        return random_params(NNC, path)


def noise(source, kind, shape):
    """The noise of the loss's single `nn.random <kind>` op, from the
    runtime's stream with the seed and offset the compiler chose."""
    ops = re.findall(rf'nn\.random {kind}.*offset = (\d+) : i64, seed = (\d+) : i64',
                     emit_grad(source))
    assert len(ops) == 1, f"expected one {kind} draw, found {len(ops)}"
    offset, seed = int(ops[0][0]), int(ops[0][1])
    n = 1
    for s in shape:
        n *= s
    out = (ctypes.c_float * n)()
    args = [ctypes.c_uint64(seed), ctypes.c_uint64(offset), out, ctypes.c_int64(n)]
    if kind == "normal":
        rt.nnc_rng_normal_f32(*args, ctypes.c_float(0.0), ctypes.c_float(1.0))
    else:
        rt.nnc_rng_gumbel_f32(*args)
    return torch.tensor(list(out)).reshape(shape)


def compare(name, got, loss, tp):
    value = got["loss"] if "loss" in got else got["output"]  # train block / model
    results.append((f"{name}: loss", rel_error(value, loss.detach()), TOL))
    worst, which = 0.0, ""
    for k, t in tp.items():
        e = rel_error(got["grad." + k], t.grad)
        if e >= worst:
            worst, which = e, k
    results.append((f"{name}: worst of {len(tp)} parameter gradients ({which})", worst, TOL))


def dense(v, tp, pre):
    return v @ tp[pre + ".w"] + tp[pre + ".b"]


def lstm_sequence_loss(tp, x, y, hidden, vocab):
    """embedding |> lstm(hidden) (gates i, f, g, o as PyTorch's) |> dense,
    then the mean cross-entropy of every position (the char-LSTM's)."""
    e = tp["embedding_1.table"][x]
    h, c, outs = torch.zeros(x.shape[0], hidden), torch.zeros(x.shape[0], hidden), []
    for t in range(x.shape[1]):
        z = e[:, t] @ tp["lstm_1.cell.wx"] + h @ tp["lstm_1.cell.wh"] + tp["lstm_1.cell.b"]
        i, f, g, o = z.split(hidden, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    logits = dense(torch.stack(outs, 1), tp, "dense_1")
    return -(F.one_hot(y, vocab) * torch.log_softmax(logits, -1)).sum(-1).mean()


gen = torch.Generator().manual_seed(3)
image = torch.rand(6, 28, 28, generator=gen)
label = torch.randint(0, 10, (6,), generator=gen)

# Character LSTM: embedding, an LSTM scanned over the sequence (gates i, f,
# g, o as PyTorch's), a dense layer per position, mean cross-entropy.
src = open(os.path.join(EXAMPLES, "lstm/char_lstm.nn")).read()
src = src.replace("hidden: int = 256", "hidden: int = 24").replace("seq: 64", "seq: 7")
assert "hidden: int = 24" in src and "seq: 7" in src
p = params_of(src, 11)
tp = {k: v.clone().requires_grad_(True) for k, v in p.items()}
x = torch.randint(0, 128, (3, 7), generator=gen)
y = torch.randint(0, 128, (3, 7), generator=gen)
loss = lstm_sequence_loss(tp, x, y, 24, 128)
loss.backward()
compare("char-lstm example (seq 7, hidden 24)", run_gradients(NNC, src, {"x": x, "y": y, **p}),
        loss, tp)

# The same network as a model over sequences of a length known only at run
# time (T symbolic): the scan stays a loop, its backward a loop of its own
# (state taped, body recomputed). Two lengths, one source.
seq_src = """use std.layers
model SeqLoss {
  input x: i64[B, T]
  input y: i64[B, T]
  let logits = x |> embedding(11, 4) |> lstm(6) |> dense(11)
  -mean(sum(one_hot(y, 11) * log_softmax(logits), axis: -1))
}
"""
for T in (4, 9):
    p = params_of(seq_src, 20 + T)
    tp = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    x = torch.randint(0, 11, (2, T), generator=gen)
    y = torch.randint(0, 11, (2, T), generator=gen)
    loss = lstm_sequence_loss(tp, x, y, 6, 11)
    loss.backward()
    compare(f"lstm over a run-time length (T = {T})",
            run_gradients(NNC, seq_src, {"x": x, "y": y, **p}), loss, tp)

# VAE: reparameterisation with nnc's normal noise, BCE from logits x 784 +
# KL divergence.
src = open(os.path.join(EXAMPLES, "vae/vae.nn")).read()
p = params_of(src, 12)
tp = {k: v.clone().requires_grad_(True) for k, v in p.items()}
eps = noise(src, "normal", (6, 16))
hv = torch.relu(dense(image.reshape(6, 784), tp, "dense_1"))
mu, logvar = dense(hv, tp, "dense_2"), dense(hv, tp, "dense_3")
zv = mu + torch.exp(0.5 * logvar) * eps
recon = dense(torch.relu(dense(zv, tp, "decoder_1.dense_1")), tp, "decoder_1.dense_2")
target = image.reshape(6, 784)
kl = (-0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(-1)).mean()
loss = F.binary_cross_entropy_with_logits(recon, target) * 784.0 + kl
loss.backward()
compare("vae example", run_gradients(NNC, src, {"image": image, "label": label, **p}), loss, tp)

# Concrete autoencoder: Gumbel-softmax selection of 50 pixels (nnc's
# Gumbel noise, the example's start temperature 10), leaky-ReLU decoder,
# sigmoid, MSE.
src = open(os.path.join(EXAMPLES, "concrete_ae/concrete_ae.nn")).read()
p = params_of(src, 13)
tp = {k: v.clone().requires_grad_(True) for k, v in p.items()}
gum = noise(src, "gumbel", (50, 784))
weights = torch.softmax((tp["concrete_select_1.logits"] + gum) / 10.0, -1)
sel = target @ weights.T
recon = torch.sigmoid(dense(F.leaky_relu(dense(sel, tp, "dense_1"), 0.2), tp, "dense_2"))
loss = F.mse_loss(recon, target)
loss.backward()
compare("concrete autoencoder example", run_gradients(
    NNC, src, {"image": image, "label": label, "temperature": torch.tensor(10.0), **p}),
    loss, tp)

report(results)
