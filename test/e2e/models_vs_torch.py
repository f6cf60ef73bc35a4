"""The Fashion-MNIST MLP and CNN examples run forward by nnc on a batch of
real test images with weights from a safetensors file, against the same
networks in PyTorch (NCHW there, NHWC in nnc). Relative error <= 1e-5."""
import gzip
import os
import sys

import torch
import torch.nn.functional as F

from nnctest import neural_ode_logits, rel_error, report, run_executable, run_forward

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
torch.manual_seed(0)


def test_images(n):
    for d in [os.environ.get("NNC_DATA_PATH", ""), "/usr/share/datasets/fashion-mnist"]:
        p = os.path.join(d, "t10k-images-idx3-ubyte.gz")
        if d and os.path.exists(p):
            with gzip.open(p) as f:
                raw = f.read()[16:16 + n * 784]
            return torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().reshape(n, 28, 28) / 255
    print("note: Fashion-MNIST not installed; using random images")
    return torch.rand(n, 28, 28)


x = test_images(64)
results = []

# MLP: nnc's dense weights are [in, out]; PyTorch's Linear is [out, in].
w1, b1 = torch.randn(784, 256) * 0.05, torch.randn(256) * 0.05
w2, b2 = torch.randn(256, 10) * 0.05, torch.randn(10) * 0.05
want = F.linear(torch.relu(F.linear(x.reshape(64, 784), w1.T, b1)), w2.T, b2)
got = run_forward(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/mlp.nn")).read(),
                  {"image": x, "dense_1.w": w1, "dense_1.b": b1,
                   "dense_2.w": w2, "dense_2.b": b2})["output"]
results.append(("mlp logits [64,10]", rel_error(got, want)))
aot = run_executable(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/mlp.nn")).read(),
                     {"image": x, "dense_1.w": w1, "dense_1.b": b1,
                      "dense_2.w": w2, "dense_2.b": b2})["output"]
results.append(("mlp executable (nnc build -o)", rel_error(aot, want)))
same = (got.argmax(1) == want.argmax(1)).all().item()
results.append(("mlp predictions agree", 0.0 if same else 1.0))

# CNN: conv weights are HWCF in nnc, OIHW in PyTorch.
p = {"conv2d_1.w": torch.randn(3, 3, 1, 32) * 0.3, "conv2d_1.b": torch.randn(32) * 0.1,
     "conv2d_2.w": torch.randn(3, 3, 32, 32) * 0.08, "conv2d_2.b": torch.randn(32) * 0.1,
     "conv2d_3.w": torch.randn(3, 3, 32, 64) * 0.06, "conv2d_3.b": torch.randn(64) * 0.1,
     "dense_1.w": torch.randn(1600, 128) * 0.03, "dense_1.b": torch.randn(128) * 0.1,
     "dense_2.w": torch.randn(128, 10) * 0.1, "dense_2.b": torch.randn(10) * 0.1}
oihw = lambda w: w.permute(3, 2, 0, 1)
h = x.unsqueeze(1)
h = torch.relu(F.conv2d(h, oihw(p["conv2d_1.w"]), p["conv2d_1.b"]))
h = torch.relu(F.conv2d(h, oihw(p["conv2d_2.w"]), p["conv2d_2.b"]))
h = F.max_pool2d(h, 2)
h = torch.relu(F.conv2d(h, oihw(p["conv2d_3.w"]), p["conv2d_3.b"]))
h = F.max_pool2d(h, 2)
h = h.permute(0, 2, 3, 1).reshape(64, 1600)  # flatten in NHWC order
h = torch.relu(h @ p["dense_1.w"] + p["dense_1.b"])
want = h @ p["dense_2.w"] + p["dense_2.b"]
got = run_forward(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/cnn.nn")).read(),
                  dict(p, image=x))["output"]
results.append(("cnn logits [64,10]", rel_error(got, want)))
aot = run_executable(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/cnn.nn")).read(),
                     dict(p, image=x))["output"]
results.append(("cnn executable (nnc build -o)", rel_error(aot, want)))

# Neural ODE: an RK4 `for` loop (scf.for) sharing the dynamics' weights.
H = 64
p = {"f.w1": torch.randn(H + 1, H) * 0.1, "f.w2": torch.randn(H, H) * 0.1,
     "dense_1.w": torch.randn(784, H) * 0.05, "dense_1.b": torch.randn(H) * 0.1,
     "dense_2.w": torch.randn(H, 10) * 0.1, "dense_2.b": torch.randn(10) * 0.1}
xs = x[:8]
want = neural_ode_logits(p, xs)
got = run_forward(NNC, open(os.path.join(EXAMPLES, "neural_ode/neural_ode.nn")).read(),
                  dict(p, image=xs))["output"]
results.append(("neural ode (RK4 loop) logits [8,10]", rel_error(got, want)))

# Char-LSTM: embedding, a `scan` over 12 steps with an LSTM cell (gates
# i, f, g, o), and a dense layer applied to every step.
V, E, Hd, T = 128, 64, 256, 12
p = {"embedding_1.table": torch.randn(V, E), "lstm_1.cell.wx": torch.randn(E, 4 * Hd) * 0.1,
     "lstm_1.cell.wh": torch.randn(Hd, 4 * Hd) * 0.1, "lstm_1.cell.b": torch.randn(4 * Hd) * 0.1,
     "dense_1.w": torch.randn(Hd, V) * 0.1, "dense_1.b": torch.randn(V) * 0.1}
ids = torch.randint(0, V, (3, T))
emb = p["embedding_1.table"][ids]
h = torch.zeros(3, Hd)
c = torch.zeros(3, Hd)
hs = []
for t in range(T):
    z = emb[:, t] @ p["lstm_1.cell.wx"] + h @ p["lstm_1.cell.wh"] + p["lstm_1.cell.b"]
    i_, f_, g_, o_ = z.split(Hd, dim=1)
    c = torch.sigmoid(f_) * c + torch.sigmoid(i_) * torch.tanh(g_)
    h = torch.sigmoid(o_) * torch.tanh(c)
    hs.append(h)
want = torch.stack(hs, 1) @ p["dense_1.w"] + p["dense_1.b"]
got = run_forward(NNC, open(os.path.join(EXAMPLES, "lstm/char_lstm.nn")).read(),
                  dict(p, x=ids))["output"]
results.append(("char lstm (scan) logits [3,12,128]", rel_error(got, want)))

report(results)
