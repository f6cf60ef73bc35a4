"""nnc predict against nnc run --forward on the same weights: the NPY of
predictions is exactly the forward outputs (37 samples in batches of 16,
so the last batch is short), and the CSV's classes and probabilities are
the arg-max and softmax of those outputs."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

import nnctest

nnc, tiny = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as d:
    shutil.copy(tiny, os.path.join(d, "tiny.nn"))
    rng = np.random.default_rng(3)
    x = rng.normal(size=(37, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=37).astype(np.int64)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "y.npy"), y)
    run = lambda *a: subprocess.run([nnc, *a], cwd=d, check=True,
                                    capture_output=True, text=True).stdout
    run("init", "tiny.nn", "--seed", "5", "-o", "init.safetensors")
    out = run("predict", "tiny.nn", "--checkpoint", "init.safetensors",
              "--data", 'npy("x.npy", [6], "y.npy")', "--batch", "16",
              "-o", "p.npy", "--no-progress")
    run("predict", "tiny.nn", "--checkpoint", "init.safetensors",
        "--data", 'npy("x.npy", [6], "y.npy")', "--top-k", "2",
        "-o", "p.csv", "--no-progress")
    params = nnctest.load(os.path.join(d, "init.safetensors"))
    params["features"] = torch.from_numpy(x)
    nnctest.save(os.path.join(d, "in.safetensors"), params)
    run("run", "tiny.nn", "--forward", "in.safetensors", "-o", "out.safetensors")
    fwd = nnctest.load(os.path.join(d, "out.safetensors"))
    ref = next(iter(fwd.values())).numpy()
    pred = np.load(os.path.join(d, "p.npy"))
    print("npy shape", pred.shape, "max difference", np.abs(pred - ref).max())
    rows = list(csv.DictReader(open(os.path.join(d, "p.csv"))))
    prob = torch.softmax(torch.from_numpy(ref), 1).numpy()
    ok = len(rows) == 37 and list(rows[0]) == [
        "index", "label", "predicted", "top1", "p1", "top2", "p2"]
    for i, r in enumerate(rows):
        ok &= int(r["index"]) == i and int(r["label"]) == y[i]
        ok &= int(r["predicted"]) == prob[i].argmax() == int(r["top1"])
        ok &= abs(float(r["p1"]) - prob[i].max()) < 1e-5
        ok &= abs(float(r["p2"]) - np.sort(prob[i])[-2]) < 1e-5
    print("csv rows", len(rows), "ok" if ok else "MISMATCH")
    acc = (prob.argmax(1) == y).mean()
    print("reported:", out.splitlines()[0])
    print("expected: accuracy %.4f" % acc)
