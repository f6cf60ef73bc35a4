"""PyTorch's side of the training benchmark, run in its own process so the
thread environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS) is set before
torch is imported. Trains the Fashion-MNIST MLP or CNN of the examples
(batch 64, Adam 1e-3, cross-entropy) on the first N training samples, in
memory, as BASELINES.md measures it: throughput over windows of steps
after a warm-up, including gathering each batch by index, the optimizer
step and the loss bookkeeping. Prints one JSON object: samples/s per
window, and the process's peak RSS.

usage: torch_train.py mlp|cnn|dwsep THREADS SAMPLES [--hidden H] [--batch B]
       [--device cuda]"""
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

model_name, threads, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hidden = int(sys.argv[sys.argv.index("--hidden") + 1]) if "--hidden" in sys.argv else 256
batch = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 64
device = sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu"
torch.set_num_threads(threads)
torch.manual_seed(0)

root = "/usr/share/datasets/fashion-mnist"
for d in os.environ.get("NNC_DATA_PATH", "").split(":"):
    if d and os.path.exists(os.path.join(d, "fashion-mnist")):
        root = os.path.join(d, "fashion-mnist")
with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:samples]
with gzip.open(os.path.join(root, "train-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)[:samples]
x = torch.from_numpy(images.astype(np.float32) / 255.0)
y = torch.from_numpy(labels.astype(np.int64))

if model_name == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
elif model_name == "dwsep":
    # examples/fashion_mnist/dwsep.nn: depthwise 3x3 (groups = channels)
    # then pointwise 1x1, twice.
    x = x.unsqueeze(1)

    def separable(c, f):
        return [nn.Conv2d(c, c, 3, padding=1, groups=c), nn.Conv2d(c, f, 1), nn.ReLU()]
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
                          *separable(32, 64), nn.MaxPool2d(2),
                          *separable(64, 128), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(128 * 7 * 7, 10))
else:
    x = x.unsqueeze(1)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
# On a GPU the data set and the model live on it, as nnc's managed
# buffers do after their first step.
model = model.to(device)
x, y = x.to(device), y.to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

window = 100 if model_name == "mlp" else 20
warmup = 50 if model_name == "mlp" else 5
rates, step, total = [], 0, 0.0
perm = torch.randperm(len(x), device=device)
t0 = time.perf_counter()
while len(rates) < 5:
    idx = perm[(step * batch) % (len(x) - batch):][:batch]
    xb, yb = x[idx], y[idx]
    opt.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    opt.step()
    total += loss.item()
    step += 1
    if step == warmup:
        t0 = time.perf_counter()
    elif step > warmup and (step - warmup) % window == 0:
        t = time.perf_counter()
        rates.append(window * batch / (t - t0))
        t0 = t


def peak_rss_mb():
    """VmHWM (not getrusage's maximum, which a child inherits from its
    parent at fork), as nnc reports it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


print(json.dumps({"samples_per_sec": rates, "peak_rss_mb": peak_rss_mb()}))
