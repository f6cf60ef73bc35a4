"""Compiled train steps against PyTorch: the same initial parameters, the
same first 128 Fashion-MNIST training samples in order (two batches of
64), the same optimizer; after the two steps `nnc run --resume` writes its
checkpoint, which must hold PyTorch's parameters, optimizer state and
batch-norm running statistics (relative error <= 1e-4 per tensor).

  steps_vs_torch.py NNC

Covers SGD with weight decay, momentum, Nesterov, RMSProp, Adam, AdamW,
gradient clipping by the global norm, a learning-rate schedule and batch
norm's running statistics."""
import gzip
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import nnctest  # noqa: E402

torch.manual_seed(0)


def fashion_mnist(n):
    """The first n training images (f32 [n, 28, 28] in [0, 1]) and labels."""
    folders = [p for p in os.environ.get("NNC_DATA_PATH", "").split(":") if p]
    folders += ["/usr/share/datasets/fashion-mnist"]
    for d in folders:
        img = os.path.join(d, "train-images-idx3-ubyte.gz")
        if os.path.exists(img):
            with gzip.open(img) as f:
                f.read(16)
                x = torch.frombuffer(bytearray(f.read(n * 784)), dtype=torch.uint8)
            with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
                f.read(8)
                y = torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8)
            return x.reshape(n, 28, 28).float() / 255, y.long()
    raise SystemExit("Fashion-MNIST not found")


X, Y = fashion_mnist(128)

MLP = """use std.layers, std.losses, std.optim
model M {
  input image: f32[B, 28, 28]
  image |> flatten |> dense(24) |> %s relu |> dense(10)
}
train M on fashion_mnist("train") {
  batch 64
  epochs 1
  loss cross_entropy(output, label)
  optimizer %s
  %s
}
"""


# One batch-norm instance applied twice (a shared encoder, a GAN's
# discriminator on real and fake batches): PyTorch updates the running
# statistics once per call, in call order.
SHARED_BN = """use std.layers, std.losses, std.optim
model M {
  input image: f32[B, 28, 28]
  let h = image |> flatten |> dense(24)
  let bn = batchnorm()
  let a = bn(h)
  let b = bn(h * 2.0)
  relu(a) + relu(b) |> dense(10)
}
train M on fashion_mnist("train") {
  batch 64
  epochs 1
  loss cross_entropy(output, label)
  optimizer %s
  %s
}
"""


def torch_forward(p, x, bn, training=True):
    h = x.reshape(x.shape[0], -1) @ p["dense_1.w"] + p["dense_1.b"]
    if bn == "shared":
        a, b = [F.batch_norm(v, p["bn.mean"], p["bn.var"], p["bn.gamma"], p["bn.beta"],
                             training=training, momentum=0.1, eps=1e-5) for v in (h, h * 2.0)]
        return (torch.relu(a) + torch.relu(b)) @ p["dense_2.w"] + p["dense_2.b"]
    if bn:
        h = F.batch_norm(h, p["batchnorm_1.mean"], p["batchnorm_1.var"],
                         p["batchnorm_1.gamma"], p["batchnorm_1.beta"],
                         training=training, momentum=0.1, eps=1e-5)
    return torch.relu(h) @ p["dense_2.w"] + p["dense_2.b"]


def case(nnc, name, optimizer, make_opt, extra="", bn=False, clip=None,
         lr_at=None):
    shapes = {"dense_1.w": [784, 24], "dense_1.b": [24],
              "dense_2.w": [24, 10], "dense_2.b": [10]}
    bn_name = "bn" if bn == "shared" else "batchnorm_1"
    if bn:
        shapes.update({f"{bn_name}.gamma": [24], f"{bn_name}.beta": [24]})
    init = {k: torch.randn(s) * 0.1 for k, s in shapes.items()}
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    state = {}
    if bn:
        state = {f"{bn_name}.mean": torch.zeros(24),
                 f"{bn_name}.var": torch.ones(24)}
    opt = make_opt(list(params.values()))
    for step, at in enumerate([0, 64]):
        if lr_at:
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
        opt.zero_grad()
        loss = F.cross_entropy(torch_forward({**params, **state}, X[at:at + 64], bn),
                               Y[at:at + 64])
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(list(params.values()), clip)
        opt.step()
    want = {k: v.detach() for k, v in params.items()}
    want.update(state)
    for p, k in zip(opt.param_groups[0]["params"], params):
        for slot, torch_slot in [("m", "exp_avg"), ("v", "exp_avg_sq"),
                                 ("s", "square_avg"), ("mv", "momentum_buffer")]:
            if opt.state[p].get(torch_slot) is not None:
                want[(k, slot)] = opt.state[p][torch_slot]

    source = (SHARED_BN % (optimizer, extra) if bn == "shared" else
              MLP % ("batchnorm |>" if bn else "", optimizer, extra))
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "case.nn")
        with open(src, "w") as f:
            f.write(source)
        ck = dict(init)
        if bn:
            ck.update({f"{bn_name}.mean": torch.zeros(24),
                       f"{bn_name}.var": torch.ones(24)})
        opt_name = optimizer.split("(")[0]
        slots = {"sgd": [], "momentum": ["v"], "rmsprop": ["s"],
                 "adam": ["m", "v"], "adamw": ["m", "v"]}[opt_name]
        for k, s in shapes.items():
            for slot in slots:
                ck[f"{k}.{opt_name}.{slot}"] = torch.zeros(s)
        ck["train.epoch"] = torch.tensor(0, dtype=torch.int64)
        ck["train.step"] = torch.tensor(0, dtype=torch.int64)
        start, out = os.path.join(d, "start.safetensors"), os.path.join(d, "out.safetensors")
        nnctest.save(start, ck)
        r = subprocess.run([nnc, "run", src, "--resume", start, "--checkpoint", out,
                            "--limit", "128", "--no-progress"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: nnc failed: {r.stderr.strip()}")
            return [(name, float("inf"))]
        got = nnctest.load(out)
    results = []
    for k, v in want.items():
        if isinstance(k, tuple):
            key, slot = k
            torch_to_nnc = {"m": "m", "v": "v", "s": "s", "mv": "v"}
            nnc_name = f"{key}.{opt_name}.{torch_to_nnc[slot]}"
        else:
            nnc_name = k
        diff, scale = (got[nnc_name] - v).abs().max().item(), v.abs().max().item()
        if scale < 1e-6:
            # A true value of 0 (the bias before batch norm gets a zero
            # gradient): both sides hold rounding noise; compare absolutely.
            results.append((f"{name}: {nnc_name} (absolute)", diff, 1e-6))
        else:
            results.append((f"{name}: {nnc_name}", diff / scale, 1e-4))
    return results


def main():
    nnc = sys.argv[1]
    total = 2
    cosine = lambda step: 0.5 * 0.01 * (1 + math.cos(math.pi * step / (total - 1)))
    results = []
    results += case(nnc, "sgd+wd", "sgd(lr: 0.1, weight_decay: 0.01)",
                    lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01))
    results += case(nnc, "momentum", "momentum(lr: 0.1, beta: 0.9)",
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9))
    results += case(nnc, "nesterov", "momentum(lr: 0.1, beta: 0.9, nesterov: true)",
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
    results += case(nnc, "rmsprop", "rmsprop(lr: 0.001)",
                    lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.99, eps=1e-8))
    results += case(nnc, "adam", "adam(lr: 0.01)",
                    lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-8))
    results += case(nnc, "adamw+cosine", "adamw(lr: 0.01, weight_decay: 0.1)",
                    lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=1e-8),
                    extra="schedule lr = cosine()", lr_at=cosine)
    results += case(nnc, "adam+clip", "adam(lr: 0.01)",
                    lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-8),
                    extra="clip_norm 0.5", clip=0.5)
    # Momentum, not Adam: the bias before batch norm has a true gradient of
    # 0, and Adam would turn both sides' rounding noise into +-lr steps.
    results += case(nnc, "batchnorm+momentum", "momentum(lr: 0.1)",
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), bn=True)
    results += case(nnc, "shared batchnorm", "momentum(lr: 0.1)",
                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), bn="shared")
    nnctest.report(results)


if __name__ == "__main__":
    main()
