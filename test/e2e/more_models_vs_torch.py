"""The ResNet (batch norm in evaluation mode, residual adds, repeat) and
MLP-Mixer (layer norm, transposes, GELU) examples against PyTorch, with
parameters named and shaped as nnc's --emit=graph reports them."""
import os
import re
import subprocess
import sys

import torch
import torch.nn.functional as F

import nnctest
from nnctest import rel_error, report, run_forward

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
torch.manual_seed(3)


def random_params(path):
    return nnctest.random_params(NNC, path)


def conv(x, w, b, pad):
    y = F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b, padding=pad)
    return y.permute(0, 2, 3, 1)


def bn(x, p, prefix):
    return F.batch_norm(x.permute(0, 3, 1, 2), p[prefix + ".mean"], p[prefix + ".var"],
                        p[prefix + ".gamma"], p[prefix + ".beta"], False, 0.1,
                        1e-5).permute(0, 2, 3, 1)


results = []
x = torch.rand(3, 28, 28)

# ResNet: stem, two residual blocks, global average pooling, dense.
path = os.path.join(EXAMPLES, "resnet/resnet_block.nn")
p = random_params(path)
h = torch.relu(bn(conv(x.unsqueeze(-1), p["conv2d_1.w"], p["conv2d_1.b"], 1), p, "batchnorm_1"))
for blk in ("residual_1", "residual_2"):
    y = torch.relu(bn(conv(h, p[blk + ".conv2d_1.w"], p[blk + ".conv2d_1.b"], 1), p, blk + ".batchnorm_1"))
    y = bn(conv(y, p[blk + ".conv2d_2.w"], p[blk + ".conv2d_2.b"], 1), p, blk + ".batchnorm_2")
    h = torch.relu(h + y)
want = h.mean((1, 2)) @ p["dense_1.w"] + p["dense_1.b"]
got = run_forward(NNC, open(path).read(), dict(p, image=x))["output"]
results.append(("resnet (batch norm, residual) [3,10]", rel_error(got, want)))

# MLP-Mixer: patches, token and channel mixing, layer norms, GELU.
path = os.path.join(EXAMPLES, "mixer/mlp_mixer.nn")
p = random_params(path)


def dense(v, pre):
    return v @ p[pre + ".w"] + p[pre + ".b"]


def ln(v, pre):
    return F.layer_norm(v, v.shape[-1:], p[pre + ".gamma"], p[pre + ".beta"], 1e-5)


def mlp(v, pre):
    return dense(F.gelu(dense(v, pre + ".dense_1")), pre + ".dense_2")


patches = x.reshape(3, 4, 7, 4, 7).permute(0, 1, 3, 2, 4).reshape(3, 16, 49)
h = dense(patches, "dense_1")
for k in range(1, 5):
    blk = f"mixer_block_{k}"
    t = mlp(ln(h, blk + ".layernorm_1").permute(0, 2, 1), blk + ".mlp_1")
    y = h + t.permute(0, 2, 1)
    h = y + mlp(ln(y, blk + ".layernorm_2"), blk + ".mlp_2")
want = dense(ln(h, "layernorm_1").mean(1), "dense_2")
got = run_forward(NNC, open(path).read(), dict(p, image=x))["output"]
results.append(("mlp-mixer (layer norm, transposes) [3,10]", rel_error(got, want)))

# CNN with batch norm and dropout (evaluation mode: dropout is identity).
path = os.path.join(EXAMPLES, "fashion_mnist/cnn_bn.nn")
p = random_params(path)
h = x.unsqueeze(-1)
for blk in ("conv_block_1", "conv_block_2"):
    for k in (1, 2):
        h = conv(h, p[f"{blk}.conv2d_{k}.w"], p[f"{blk}.conv2d_{k}.b"], 1)
        h = torch.relu(bn(h, p, f"{blk}.batchnorm_{k}"))
    h = F.max_pool2d(h.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
h = h.reshape(3, -1) @ p["dense_1.w"] + p["dense_1.b"]
h = torch.relu(F.batch_norm(h, p["batchnorm_1.mean"], p["batchnorm_1.var"],
                            p["batchnorm_1.gamma"], p["batchnorm_1.beta"], False, 0.1, 1e-5))
want = h @ p["dense_2.w"] + p["dense_2.b"]
got = run_forward(NNC, open(path).read(), dict(p, image=x))["output"]
results.append(("cnn with batch norm and dropout [3,10]", rel_error(got, want)))

# Inception: parallel branches joined with concat.
path = os.path.join(EXAMPLES, "inception/inception.nn")
p = random_params(path)


def inception(v, pre):
    c = lambda t, n, pad: torch.relu(conv(t, p[f"{pre}.conv2d_{n}.w"], p[f"{pre}.conv2d_{n}.b"], pad))
    b1 = c(v, 1, 0)
    b3 = c(c(v, 2, 0), 3, 1)
    b5 = c(c(v, 4, 0), 5, 2)
    bp = c(F.max_pool2d(v.permute(0, 3, 1, 2), 3, 1, 1).permute(0, 2, 3, 1), 6, 0)
    return torch.cat([b1, b3, b5, bp], -1)


h = torch.relu(conv(x.unsqueeze(-1), p["conv2d_1.w"], p["conv2d_1.b"], 1))
h = inception(h, "inception_1")
h = F.max_pool2d(h.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
h = inception(h, "inception_2")
want = h.mean((1, 2)) @ p["dense_1.w"] + p["dense_1.b"]
got = run_forward(NNC, open(path).read(), dict(p, image=x))["output"]
results.append(("inception (branches, concat) [3,10]", rel_error(got, want)))

# Attention with learned keys and values over the rows of each image.
path = os.path.join(EXAMPLES, "attention/attention.nn")
p = random_params(path)
h = dense(x, "dense_1")
a = "self_attention_1.attention_1"
q, kk, vv = h @ p[a + ".wq"], h @ p[a + ".wk"], h @ p[a + ".wv"]
att = torch.softmax(q @ kk.transpose(1, 2) / (64 ** 0.5), -1) @ vv
h = ln(h + att @ p["self_attention_1.linear_1.w"], "self_attention_1.layernorm_1")
want = dense(h.mean(1), "dense_2")
got = run_forward(NNC, open(path).read(), dict(p, image=x))["output"]
results.append(("attention (learned keys and values) [3,10]", rel_error(got, want)))

# The GAN's generator (the first model of a train block with a step).
path = os.path.join(EXAMPLES, "gan/gan.nn")
p = random_params(path)
z = torch.randn(5, 64)
want = torch.tanh(dense(F.leaky_relu(dense(z, "dense_1"), 0.2), "dense_2"))
got = run_forward(NNC, open(path).read(), dict(p, z=z))["output"]
results.append(("gan generator [5,784]", rel_error(got, want)))

# The energy model of the Langevin example (a scalar per batch).
path = os.path.join(EXAMPLES, "langevin/energy_langevin.nn")
p = random_params(path)
e = dense(F.silu(dense(F.silu(dense(x.reshape(3, 784), "dense_1")), "dense_2")), "dense_3")
got = run_forward(NNC, open(path).read(), dict(p, x=x.reshape(3, 784)))["output"]
results.append(("energy model (scalar)", rel_error(got, e.sum())))

# Siamese triplet loss: one embedding applied to anchor, positive, negative.
path = os.path.join(EXAMPLES, "siamese/triplet.nn")
p = random_params(path)
trip = torch.rand(4, 3, 28, 28)
emb = lambda v: dense(torch.relu(dense(v.reshape(4, 784), "embed.dense_1")), "embed.dense_2")
a_, p_, n_ = emb(trip[:, 0]), emb(trip[:, 1]), emb(trip[:, 2])
want = torch.relu(((a_ - p_) ** 2).sum(-1) - ((a_ - n_) ** 2).sum(-1) + 0.5).mean()
got = run_forward(NNC, open(path).read(), dict(p, x=trip))["loss_value"]
results.append(("triplet loss (shared embedding)", rel_error(got, want)))

# VAE encoder outputs (the decoder's input depends on nnc's own noise,
# which test/e2e/random_vs_runtime.py checks).
path = os.path.join(EXAMPLES, "vae/vae.nn")
p = random_params(path)
h = torch.relu(dense(x.reshape(3, 784), "dense_1"))
out = run_forward(NNC, open(path).read(), dict(p, image=x))
results.append(("vae mu", rel_error(out["mu"], dense(h, "dense_2"))))
results.append(("vae logvar", rel_error(out["logvar"], dense(h, "dense_3"))))

report(results)
