"""The ResNet (batch norm in evaluation mode, residual adds, repeat) and
MLP-Mixer (layer norm, transposes, GELU) examples against PyTorch, with
parameters named and shaped as nnc's --emit=graph reports them."""
import os
import re
import subprocess
import sys

import torch
import torch.nn.functional as F

from nnctest import rel_error, run_forward

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
torch.manual_seed(3)


def random_params(path):
    """Every parameter of the example's model, random, by path."""
    graph = subprocess.run([NNC, "build", "--emit=graph", path], check=True,
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

failed = 0
for name, err in results:
    ok = err <= 1e-5
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: rel. error {err:.2e}")
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
