"""Compares two training runs of the same model: one process with batch
2B and an MPI job of 2 ranks with batch B each. Each epoch of the runs is
one step (--limit = the global batch), so the metrics files hold the loss
of every step; they must agree within `tol` relative, and so must the
weights of the two checkpoints."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
import nnctest  # noqa: E402  (its safetensors reader)


def records(path):
    with open(path) as f:
        return [r for r in map(json.loads, f) if "epoch" in r]


def tensors(path):
    """The checkpoint's f32 tensors (weights, statistics, optimizer
    state), without its counters."""
    return {k: v.double() for k, v in nnctest.load(path).items()
            if v.dtype == nnctest.torch.float32}


def main():
    one, two, ckpt_one, ckpt_two, tol = sys.argv[1:6]
    tol = float(tol)
    # Weights: by default 10 x the loss tolerance of their scale. Adam
    # divides by the gradient's running magnitude, so where a gradient is
    # nearly 0 the rounding of a sum in another order moves a weight by up
    # to lr: a large layer may need more.
    wtol = float(sys.argv[6]) if len(sys.argv) > 6 else tol * 10
    r1, r2 = records(one), records(two)
    assert len(r1) == len(r2) and r1, (len(r1), len(r2))
    worst = 0.0
    for a, b in zip(r1, r2):
        for key in ("loss", "val_loss", "accuracy"):
            if a.get(key) is None:
                continue
            rel = abs(a[key] - b[key]) / max(abs(a[key]), 1e-12)
            worst = max(worst, rel)
            assert rel <= tol, f"epoch {a['epoch']} {key}: {a[key]} vs {b[key]}"
    w1, w2 = tensors(ckpt_one), tensors(ckpt_two)
    assert w1.keys() == w2.keys() and w1
    wworst = 0.0
    for name in w1:
        scale = max(float(w1[name].abs().max()), 1e-6)
        d = float((w1[name] - w2[name]).abs().max()) / scale
        wworst = max(wworst, d)
        assert d <= wtol, f"{name}: max difference {d} of its scale"
    print(f"{len(r1)} steps: losses agree within {worst:.1e} relative, "
          f"weights within {wworst:.1e} of their scale")


main()
