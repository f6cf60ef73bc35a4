"""The runtime's GEMM and convolution kernels (the default) against plain
loops (`--no-kernels`) on every example: model outputs and the gradients
of the train block's loss must agree to 1e-5 (relative, f32; see below
for single gradients), and the
kernels must give the same bits on 1 and 2 threads."""
import os
import re
import subprocess
import sys

import torch

import nnctest
from nnctest import rel_error, report

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
torch.manual_seed(5)

# Every example with a model (fashion_mnist/inspect.nn is a main block).
# The GAN's two models train against each other, with no single loss to
# differentiate: its generator's forward is compared.
CASES = ["fashion_mnist/mlp.nn", "fashion_mnist/cnn.nn", "fashion_mnist/cnn_bn.nn",
         "resnet/resnet_block.nn", "mixer/mlp_mixer.nn", "attention/attention.nn",
         "concrete_ae/concrete_ae.nn", "gan/gan.nn", "inception/inception.nn",
         "langevin/energy_langevin.nn", "lstm/char_lstm.nn", "neural_ode/neural_ode.nn",
         "siamese/triplet.nn", "vae/vae.nn"]
FORWARD_ONLY = {"gan/gan.nn"}
# B, and T of the LSTM: its train block reads 64 characters, cut to 12 here
# (over 64 steps of the recurrence two f32 summation orders drift apart to
# 1.5e-5 of the gradients, the model's sensitivity rather than the kernel's).
BATCH, STEPS = 6, 12


def model_inputs(path):
    """Random tensors for the model's inputs, as `nnc build --emit=graph`
    lists them (float inputs in [0, 1), integer ones in [0, 10))."""
    graph = subprocess.run([NNC, "build", "--emit=graph", path], check=True,
                           capture_output=True, text=True).stdout
    tensors = {}
    for m in re.finditer(r'input "([^"]+)" : (f32|i64)\[([^\]]*)\]', graph):
        dims = [{"B": BATCH, "T": STEPS}.get(d.strip()) or int(d)
                for d in m.group(3).split(",")]
        tensors[m.group(1)] = (torch.rand(dims) if m.group(2) == "f32"
                               else torch.randint(0, 10, dims))
    return tensors


results = []
for case in CASES:
    path = os.path.join(EXAMPLES, case)
    source = open(path).read()
    source = source.replace("seq: 64", "seq: %d" % STEPS)
    if "batchnorm" in source:
        # After batch norm many ReLU inputs lie within rounding of zero, and
        # two f32 summation orders route a few gradients differently; with
        # softplus the comparison measures the kernels alone.
        source = source.replace("|> relu", "|> softplus").replace(
            "relu(x + y)", "softplus(x + y)")
    forward = dict(nnctest.random_params(NNC, path), **model_inputs(path))
    # The train blocks' data: Fashion-MNIST labels, the LSTM's next
    # characters, the concrete autoencoder's annealed temperature.
    tensors = dict(forward, label=torch.randint(0, 10, (BATCH,)),
                   y=torch.randint(0, 10, (BATCH, STEPS)), temperature=torch.tensor(2.0))
    tensors.setdefault("image", torch.rand(BATCH, 28, 28))
    runs = {}
    for name, extra in [("kernels", []), ("loops", ["--no-kernels"]),
                        ("kernels2", ["--threads", "2"])]:
        runs[name] = (nnctest._run_nnc(NNC, source, forward, "--forward", extra),
                      {} if case in FORWARD_ONLY else
                      nnctest._run_nnc(NNC, source, tensors, "--gradients", extra))
    (fk, gk), (fl, gl), (f2, g2) = runs["kernels"], runs["loops"], runs["kernels2"]
    for out in fl:
        results.append((case + " output" + ("" if out == "output" else " " + out),
                        rel_error(fk[out], fl[out])))
    if not gl:
        results.append((case + " 1 vs 2 threads",
                        0.0 if all(torch.equal(fk[n], f2[n]) for n in fk) else 1.0))
        continue
    # The gradients as one vector must agree to 1e-5. Each tensor alone
    # must agree to 1e-3 of its norm (floored at 1e-2 of the largest
    # gradient's): biases right before a normalisation have a gradient of
    # exactly zero (f32 leaves ~1e-9 of noise), and the ResNet's deeper
    # filter gradients are sums over 4704 pixels that cancel to 1e-3 of
    # their terms, where any two f32 summation orders differ by ~1e-4 of
    # the result (both are that far from an f64 evaluation).
    diff = sum((gk[n].double() - gl[n].double()).norm().item() ** 2 for n in gl) ** 0.5
    total = sum(gl[n].double().norm().item() ** 2 for n in gl) ** 0.5
    results.append((case + " loss and %d gradients, as one vector" % len(gl), diff / total))
    floor = 1e-2 * max(gl[n].double().norm().item() for n in gl)
    worst = max((gk[n].double() - gl[n].double()).norm().item() /
                max(gl[n].double().norm().item(), floor) for n in gl)
    results.append((case + " worst single gradient", worst, 1e-3))
    same = all(torch.equal(fk[n], f2[n]) for n in fk) and \
        all(torch.equal(gk[n], g2[n]) for n in gk)
    results.append((case + " 1 vs 2 threads", 0.0 if same else 1.0))
report(results)
