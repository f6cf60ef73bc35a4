"""The runtime's GEMM and convolution kernels (the default) against plain
loops (`--no-kernels`) on the examples: model outputs and the gradients
of the train block's loss must agree to 1e-5 (relative, f32; see below
for single gradients), and the
kernels must give the same bits on 1 and 2 threads."""
import os
import sys

import torch

import nnctest
from nnctest import rel_error, report

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
torch.manual_seed(5)

CASES = ["fashion_mnist/mlp.nn", "fashion_mnist/cnn.nn", "fashion_mnist/cnn_bn.nn",
         "resnet/resnet_block.nn", "mixer/mlp_mixer.nn", "attention/attention.nn"]

results = []
for case in CASES:
    path = os.path.join(EXAMPLES, case)
    source = open(path).read()
    if "batchnorm" in source:
        # After batch norm many ReLU inputs lie within rounding of zero, and
        # two f32 summation orders route a few gradients differently; with
        # softplus the comparison measures the kernels alone.
        source = source.replace("|> relu", "|> softplus").replace(
            "relu(x + y)", "softplus(x + y)")
    tensors = dict(nnctest.random_params(NNC, path), image=torch.rand(6, 28, 28),
                   label=torch.randint(0, 10, (6,)))
    forward = {k: v for k, v in tensors.items() if k != "label"}
    runs = {}
    for name, extra in [("kernels", []), ("loops", ["--no-kernels"]),
                        ("kernels2", ["--threads", "2"])]:
        runs[name] = (nnctest._run_nnc(NNC, source, forward, "--forward", extra),
                      nnctest._run_nnc(NNC, source, tensors, "--gradients", extra))
    (fk, gk), (fl, gl), (f2, g2) = runs["kernels"], runs["loops"], runs["kernels2"]
    results.append((case + " output", rel_error(fk["output"], fl["output"])))
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
