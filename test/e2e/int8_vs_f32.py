"""--quantize=int8 end to end: the MLP and CNN examples' outputs on random
weights and images, int8 against nnc's f32 forward (itself checked
against PyTorch in models-vs-torch.test). Prints, per model: the largest
error relative to the f32 output's largest magnitude, whether the bits
differ from f32 exactly when the CPU runs int8, whether 2 threads give the same bits, and
whether NNC_INT8=0 gives f32's bits."""
import os
import subprocess
import sys
import tempfile

import torch

import nnctest

nnc, examples, expect_int8 = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
torch.manual_seed(5)
for name in ("mlp", "cnn"):
    path = os.path.join(examples, "fashion_mnist", name + ".nn")
    p = nnctest.random_params(nnc, path)
    for k in p:
        p[k] = p[k] * (0.3 if name == "cnn" else 0.5)
    p["image"] = torch.rand(9, 28, 28)
    with tempfile.TemporaryDirectory() as d:
        inp = os.path.join(d, "in.safetensors")
        nnctest.save(inp, p)

        def run(*extra, env=None):
            out = os.path.join(d, "out.safetensors")
            subprocess.run([nnc, "run", path, "--forward", inp, "-o", out, *extra],
                           check=True, env=dict(os.environ, **(env or {})))
            return nnctest.load(out)["output"]

        f32 = run()
        q = run("--quantize=int8")
        err = float((q - f32).abs().max() / f32.abs().max())
        print(f"{name}: error {'ok' if err < 0.03 else 'FAIL %g' % err}, "
              f"{'right path' if (not q.equal(f32)) == expect_int8 else 'FAIL: wrong path'}, "
              f"threads {'same bits' if run('--quantize=int8', '--threads', '2').equal(q) else 'FAIL'}, "
              f"NNC_INT8=0 {'f32 bits' if run('--quantize=int8', env={'NNC_INT8': '0'}).equal(f32) else 'FAIL'}")
