"""Metrics against a reference computed in PyTorch from the checkpoint:
after one epoch, the validation metrics (evaluated with the parameters the
checkpoint holds) of
  - a sequence classifier (text_chars: output [B, T, 128], labels y [B, T]):
    accuracy and top_k(3) are per-sample means over positions, averaged
    over samples;
  - a regression head (csv: output [B, 1], integer labels [B]): mse and mae.

  metrics_vs_reference.py NNC TRAINTEST_PY"""
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import nnctest  # noqa: E402

NNC, TRAINTEST = sys.argv[1], sys.argv[2]
results = []


def train(d, source):
    path = os.path.join(d, "case.nn")
    with open(path, "w") as f:
        f.write(source)
    ck, m = os.path.join(d, "ck.safetensors"), os.path.join(d, "m.jsonl")
    subprocess.run([NNC, "run", path, "--no-progress", "--checkpoint", ck, "--metrics-out", m],
                   check=True, capture_output=True)
    records = [json.loads(line) for line in open(m)]
    return nnctest.load(ck), [r for r in records if "epoch" in r][-1]


SEQ = """use std.layers, std.losses, std.optim
model S {
  input x: i64[B, T]
  x |> embedding(128, 8) |> dense(128)
}
fn sequence_ce(logits: f32[B, T, V], y: i64[B, T]) -> f32 {
  -mean(sum(one_hot(y, V) * log_softmax(logits), axis: -1))
}
train S on text_chars("input.txt", seq: 16) {
  batch 16
  epochs 1
  loss sequence_ce(output, y)
  optimizer adam(lr: 0.01)
  metrics accuracy, top_k(3)
  validate on text_chars("input.txt", seq: 16)
}
"""
with tempfile.TemporaryDirectory() as d:
    subprocess.run([sys.executable, TRAINTEST, "text", os.path.join(d, "input.txt")], check=True)
    p, last = train(d, SEQ)
    text = open(os.path.join(d, "input.txt"), "rb").read()
    n = (len(text) - 1) // 16
    ids = torch.tensor(list(text[:n * 16 + 1]), dtype=torch.int64)
    x, y = ids[:n * 16].reshape(n, 16), ids[1:n * 16 + 1].reshape(n, 16)
    logits = p["embedding_1.table"][x] @ p["dense_1.w"] + p["dense_1.b"]
    acc = (logits.argmax(-1) == y).float().mean(1).mean().item()
    mine = logits.gather(-1, y.unsqueeze(-1))
    top3 = ((logits > mine).float().sum(-1) < 3).float().mean(1).mean().item()
    results.append(("sequence accuracy", abs(last["val_accuracy"] - acc), 1e-5))
    results.append(("sequence top_3", abs(last["val_top_3"] - top3), 1e-5))
    results.append(("accuracy is not trivial", 0.0 if 0.05 < acc < 1.0 else 1.0, 0.0))

REG = """use std.layers, std.losses, std.optim
model R {
  input x: f32[B, 4]
  x |> dense(1)
}
train R on csv("blobs.csv", 4, "species") {
  batch 25
  epochs 1
  loss mse(output, cast(unsqueeze(label, -1), f32))
  optimizer sgd(lr: 0.01)
  metrics mse, mae
  validate on csv("blobs.csv", 4, "species")
}
"""
with tempfile.TemporaryDirectory() as d:
    subprocess.run([sys.executable, TRAINTEST, "blobs", d], check=True)
    p, last = train(d, REG)
    rows = [line.strip().split(",") for line in open(os.path.join(d, "blobs.csv"))][1:]
    x = torch.tensor([[float(v) for v in r[:4]] for r in rows])
    label = torch.tensor([float(r[4]) for r in rows])
    out = (x @ p["dense_1.w"] + p["dense_1.b"]).squeeze(-1)
    mse, mae = ((out - label) ** 2).mean().item(), (out - label).abs().mean().item()
    results.append(("regression mse", abs(last["val_mse"] - mse) / mse, 1e-5))
    results.append(("regression mae", abs(last["val_mae"] - mae) / mae, 1e-5))

nnctest.report(results)
