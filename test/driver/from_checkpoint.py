"""A main block's `let m = Tiny() from "init.safetensors"` computes what
`nnc run --forward IN --checkpoint init.safetensors` computes with the
same weights."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

import nnctest

nnc, tiny, main = sys.argv[1:4]
with tempfile.TemporaryDirectory() as d:
    shutil.copy(tiny, os.path.join(d, "tiny.nn"))
    shutil.copy(main, os.path.join(d, "main.nn"))
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "y.npy"), np.zeros(4, np.int64))
    run = lambda *a: subprocess.run([nnc, *a], cwd=d, check=True,
                                    capture_output=True, text=True).stdout
    run("init", "tiny.nn", "--seed", "9", "-o", "init.safetensors")
    printed = run("run", "main.nn")
    nnctest.save(os.path.join(d, "in.safetensors"), {"features": torch.from_numpy(x)})
    run("run", "tiny.nn", "--forward", "in.safetensors", "--checkpoint",
        "init.safetensors", "-o", "out.safetensors")
    ref = next(iter(nnctest.load(os.path.join(d, "out.safetensors")).values()))
    nums = [float(v) for v in printed.replace("logits tensor(", "")
            .replace("[", " ").replace("]", " ").replace(")", " ")
            .replace(",", " ").split()]
    got = torch.tensor(nums).reshape(ref.shape)
    print("main vs --forward: max difference %.1e" % (got - ref).abs().max())
