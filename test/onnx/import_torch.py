"""PyTorch -> ONNX -> nnc: builds small PyTorch models (a CNN with batch
norm, pooling and a dynamic batch; an MLP with layer norm, GELU, softmax
and a residual connection), exports each with torch.onnx.export (opset 13),
imports the file with `nnc import`, runs it with `nnc run --forward` and
compares with PyTorch's outputs (max abs difference <= 1e-5).

Usage: import_torch.py NNC WORKDIR   (Debian's python3 with python3-torch
and python3-onnx)
"""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import read_safetensors, write_safetensors  # noqa: E402


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = nn.functional.max_pool2d(x, 2)
        x = torch.relu(self.c2(x))
        return self.fc(torch.flatten(x, 1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(12, 32)
        self.ln = nn.LayerNorm(32)
        self.l2 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 5)

    def forward(self, x):
        h = self.ln(self.l1(x))
        h = h + nn.functional.gelu(self.l2(h))
        return torch.log_softmax(self.out(torch.tanh(h)), dim=1)


class Seq(nn.Module):
    """1-D convolutions and pooling, reflection and zero padding (PyTorch
    computes the pads in the graph), chunk (split points computed from the
    shape) and split."""
    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad1d(3)
        self.conv = nn.Conv1d(4, 8, kernel_size=5, padding=2, stride=2)
        self.pool = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(4, 6, kernel_size=3, padding=1, dilation=1)

    def forward(self, x):
        y = torch.relu(self.conv(self.pad(x)))
        y = self.pool(nn.functional.pad(y, (0, 1)))
        a, b = torch.chunk(y, 2, dim=1)
        c, d = torch.split(a + b, [6, 4], dim=2)
        e = self.conv2(torch.cat([d, c], dim=2))
        return e * torch.sigmoid(e)


def check(nnc, work, name, model, x):
    model.eval()
    onnx_path = os.path.join(work, name + ".onnx")
    torch.onnx.export(model, x, onnx_path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      opset_version=13)
    src = os.path.join(work, name + ".nn")
    subprocess.run([nnc, "import", onnx_path, "-o", src], check=True)
    # A different batch size than the export's: the batch is symbolic.
    x2 = torch.rand(5, *x.shape[1:])
    with torch.no_grad():
        want = model(x2).numpy()
    in_st = os.path.join(work, name + ".in.safetensors")
    out_st = os.path.join(work, name + ".out.safetensors")
    write_safetensors(in_st, {"x": x2.numpy()})
    subprocess.run([nnc, "run", src, "--forward", in_st, "--checkpoint",
                    os.path.join(work, name + ".safetensors"), "-o", out_st],
                   check=True, stdout=subprocess.DEVNULL)
    have = read_safetensors(out_st)["output"]
    err = float(np.abs(have - want).max())
    print(f"{name}: {list(have.shape)} largest difference from PyTorch {err:.3g}")
    return have.shape == want.shape and err <= 1e-5


def main():
    nnc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    cnn = Cnn()
    with torch.no_grad():
        cnn.b1.weight.uniform_(0.5, 1.5)
        cnn.b1.bias.uniform_(-0.2, 0.2)
        cnn.b1.running_mean.uniform_(-0.2, 0.2)
        cnn.b1.running_var.uniform_(0.5, 1.5)
    ok = check(nnc, work, "cnn", cnn, torch.rand(4, 1, 28, 28))
    ok &= check(nnc, work, "mlp", Mlp(), torch.rand(4, 12))
    ok &= check(nnc, work, "seq", Seq(), torch.rand(4, 4, 32))
    print("OK: nnc computes what PyTorch does" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
