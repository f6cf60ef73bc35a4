"""`nnc check --gradcheck --wrt-inputs` on every differentiable op, one
small model each: the op's compiled reverse-mode gradient against central
finite differences in f64, for every float input and parameter (random
data uniform in [-1, 1), integer ids 0 or 1, symbolic sizes 3). The
output is L = sum(y * y / 2 + y) for y = op(inputs), so each element of y
gets a different cotangent. Domain-restricted ops read shifted inputs
(log(x * x + 0.5)); stop_gradient is left out (finite differences see
through it on purpose). PyTorch is not needed: grads_vs_torch.py checks the
same rules against autograd in f32."""
import os
import subprocess
import sys
import tempfile

NNC = sys.argv[1]

# (name, input declarations, expression)
X = "input x: f32[B, 5]"
XY = X + "\n  input y: f32[B, 5]"
IMG = "input x: f32[B, 7, 7, 2]"
SEQ = "input x: f32[B, T, 3]"
CASES = [(op, X, f"{op}(x)") for op in (
    "relu", "sigmoid", "tanh", "softplus", "exp", "abs", "sin", "cos", "silu",
    "square", "elu", "gelu", "floor", "sign")]
CASES += [
    ("leaky_relu", X, "leaky_relu(x, 0.2)"),
    ("neg", X, "-x"),
    ("log", X, "log(x * x + 0.5)"),
    ("sqrt", X, "sqrt(x * x + 0.5)"),
    ("rsqrt", X, "rsqrt(x * x + 0.5)"),
    ("log1p", X, "log1p(x * x)"),
    ("add sub mul", XY, "x + y * x - y"),
    ("div", XY, "x / (y * y + 0.5)"),
    ("maximum minimum", XY, "maximum(x, y) + minimum(x, 0.25)"),
    ("pow", XY, "pow(x * x + 0.5, 1.7) + y ** 2.0"),
    ("remainder", XY, "(x * 3.0) % (y * y + 0.5)"),
    ("broadcast [B,5] x [5] and [B,1]",
     X + "\n  input b: f32[5]\n  input c: f32[B, 1]", "x * b + c / (b * b + 1.0)"),
    ("matmul", X + "\n  input w: f32[5, 4]", "x @ w"),
    ("batched matmul", "input x: f32[B, 3, 5]\n  input w: f32[B, 5, 2]", "x @ w"),
    ("sum mean", "input x: f32[B, 4, 5]", "sum(x, axis: 1) + mean(x, axis: 1)"),
    ("max min", "input x: f32[B, 4, 5]", "max(x, axis: 1) * min(x, axis: 1)"),
    ("logsumexp prod", "input x: f32[B, 4, 5]",
     "logsumexp(x, axis: -1) + prod(x, axis: -1)"),
    ("softmax log_softmax", X, "softmax(x) * 3.0 + log_softmax(x, axis: -1)"),
    ("layer_norm", X + "\n  input g: f32[5]\n  input b: f32[5]", "layer_norm(x, g, b)"),
    ("layernorm layer", X, "x |> layernorm"),
    ("where clip", XY, "where(x > y, x * 2.0, y) + clip(x, -0.5, 0.5)"),
    ("one_hot cast", X + "\n  input ids: i64[B]",
     "x * one_hot(ids, 5) + cast(x, f32) * 2.0"),
    ("reparameterised noise", X, "x + exp(0.5 * x) * normal_like(x, seed: 3)"),
    ("gumbel softmax", X, "softmax((x + gumbel_like(x, seed: 4)) / 0.5, axis: -1)"),
    ("reshape transpose", "input x: f32[B, 4, 6]",
     "transpose(reshape(x, [B, 6, 4]), [0, 2, 1])"),
    ("concat", XY, "concat([x, y * 2.0, x], axis: -1)"),
    ("slices", "input x: f32[B, 10, 8]", "x[:, 1:9:3, ::2] + x[:, 2:5, 1:5]"),
    ("gather", "input t: f32[7, 4]\n  input ids: i64[B, 3]", "gather(t, ids)"),
    ("gather rank-3 table", "input t: f32[5, 2, 3]\n  input ids: i64[B]", "gather(t, ids)"),
    ("conv", IMG + "\n  input w: f32[3, 3, 2, 4]", "conv(x, w, stride: 2, padding: 1)"),
    ("conv dilated same", IMG + "\n  input w: f32[2, 2, 2, 3]",
     'conv(x, w, padding: "same", dilation: 2)'),
    ("conv grouped", IMG + "\n  input w: f32[3, 3, 1, 4]", "conv(x, w, groups: 2)"),
    ("conv_transpose", IMG + "\n  input w: f32[3, 3, 2, 3]",
     "conv_transpose(x, w, stride: 2, padding: 1)"),
    ("maxpool avgpool", IMG, "maxpool(x, 2) + avgpool(x, 2)"),
    ("overlapping padded pooling", IMG,
     'maxpool(x, 3, stride: 1, padding: "same") + avgpool(x, 3, stride: 1, padding: "same")'),
    ("upsample", IMG, "upsample(x, 2)"),
    ("conv over run-time image sizes", "input x: f32[B, H, W, 2]\n  input w: f32[3, 3, 2, 3]",
     'maxpool(conv(x, w, padding: "same"), 3, stride: 1, padding: "same")'),
    ("batchnorm layer (eval)", IMG, "x |> batchnorm"),
    ("dense layer", X, "x |> dense(3)"),
    ("embedding layer", "input ids: i64[B, 3]", "ids |> embedding(4, 2)"),
    ("lstm over a fixed length", "input x: f32[B, 4, 3]", "x |> lstm(4)"),
    ("lstm over a run-time length", SEQ, "x |> lstm(4)"),
    ("second derivative (grad in the loss)", X + "\n  input w: f32[5, 4]",
     "grad(sum(tanh(x @ w)), x) * x"),
]


def model(decls, expr):
    return (f"use std.layers\nmodel Case {{\n  {decls}\n  let y = {expr}\n"
            "  sum(square(y) * 0.5 + y)\n}\n")


failed = 0
with tempfile.TemporaryDirectory() as d:
    for name, decls, expr in CASES:
        path = os.path.join(d, "case.nn")
        with open(path, "w") as f:
            f.write(model(decls, expr))
        r = subprocess.run([NNC, "check", "--gradcheck", "--wrt-inputs", "--samples", "8",
                            path], capture_output=True, text=True)
        last = (r.stdout.strip().splitlines() or [""])[-1]
        ok = r.returncode == 0 and last.startswith("gradcheck passed")
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {last or r.stderr.strip()}")
        if not ok:
            print(r.stdout + r.stderr)
print(f"{len(CASES) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
