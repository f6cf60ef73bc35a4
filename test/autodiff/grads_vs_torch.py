"""Gradients computed by nnc's reverse-mode pass (`nnc run --gradients`)
against PyTorch autograd on the same inputs and weights.

Op cases: a model whose output is L = sum(y * y / 2 + y) for y = op(x), so
each element of y gets a different cotangent (y + 1); every float input is
differentiated (--wrt-inputs). Example models: the first train block's
loss, differentiated with respect to every parameter. Tolerance: relative
error 1e-4 in f32."""
import os
import sys

import torch
import torch.nn.functional as F

from nnctest import rel_error, report, run_gradients

NNC, EXAMPLES = sys.argv[1], sys.argv[2]
TOL = 1e-4
gen = torch.Generator().manual_seed(99)


def rand(*shape, lo=-2.0, hi=2.0):
    return torch.rand(*shape, generator=gen) * (hi - lo) + lo


CASES = []


def case(name, inputs, body, ref, fixed=None):
    """`inputs` are batched (first dimension B); `fixed` have static shapes."""
    CASES.append((name, inputs, fixed or {}, body, ref))


def source(inputs, fixed, body):
    lines = ["use std.layers", "model Case {"]
    for name, t in inputs.items():
        dims = ", ".join(["B"] + [str(d) for d in t.shape[1:]])
        lines.append(f"  input {name}: f32[{dims}]")
    for name, t in fixed.items():
        lines.append(f"  input {name}: f32[{', '.join(str(d) for d in t.shape)}]")
    lines.append(f"  sum(square({body}) * 0.5 + ({body}))")
    return "\n".join(lines + ["}"]) + "\n"


for op, fn in {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softplus": F.softplus, "exp": torch.exp, "abs": torch.abs,
               "sin": torch.sin, "cos": torch.cos, "silu": F.silu,
               "square": torch.square, "elu": F.elu, "floor": torch.floor,
               "sign": torch.sign}.items():
    for n in (1, 33):
        case(f"{op} [3,{n}]", {"x": rand(3, n)}, f"{op}(x)", lambda i, fn=fn: fn(i["x"]))
pos = rand(3, 7, lo=0.2, hi=3.0)
for op in ("log", "sqrt", "rsqrt", "log1p"):
    case(op, {"x": pos}, f"{op}(x)", lambda i, op=op: getattr(torch, op)(i["x"]))
case("neg", {"x": rand(2, 7)}, "-x", lambda i: -i["x"])
case("leaky_relu", {"x": rand(2, 33)}, "leaky_relu(x, 0.2)",
     lambda i: F.leaky_relu(i["x"], 0.2))

a, b = rand(5, 7), rand(7, lo=0.5, hi=2.0)
for sym in "+-*/":
    case(f"a {sym} b broadcast [5,7]x[7]", {"a": a}, f"a {sym} b",
         lambda i, s=sym: eval(f"i['a'] {s} i['b']"), {"b": b})
col = rand(5, 1, lo=0.5, hi=2.0)
case("broadcast column [5,7]x[5,1]", {"a": a, "c": col}, "a * c + a / c",
     lambda i: i["a"] * i["c"] + i["a"] / i["c"])
case("maximum/minimum", {"a": a, "c": col}, "maximum(a, c) + minimum(a, 0.25)",
     lambda i: torch.maximum(i["a"], i["c"]) + torch.clamp(i["a"], max=0.25))
case("pow", {"a": rand(3, 7, lo=0.5, hi=2)}, "pow(a, 1.7) + a ** 2.0",
     lambda i: torch.pow(i["a"], 1.7) + i["a"] ** 2.0)

for m, k, n in ((1, 1, 1), (7, 33, 5), (4, 257, 7)):
    case(f"matmul [{m},{k}]x[{k},{n}]", {"x": rand(m, k)}, "x @ w",
         lambda i: i["x"] @ i["w"], {"w": rand(k, n)})
case("batched matmul [3,5,7]x[7,4]", {"x": rand(3, 5, 7)}, "x @ w",
     lambda i: i["x"] @ i["w"], {"w": rand(7, 4)})
case("batched matmul [3,5,7]x[3,7,4]", {"x": rand(3, 5, 7), "y": rand(3, 7, 4)},
     "x @ y", lambda i: i["x"] @ i["y"])

case("flatten", {"x": rand(2, 3, 4, 5)}, "flatten(x)", lambda i: i["x"].reshape(2, 60))
case("reshape", {"x": rand(2, 12)}, "reshape(x, [B, 3, 4])",
     lambda i: i["x"].reshape(2, 3, 4))
case("transpose", {"x": rand(2, 3, 5)}, "transpose(x, [0, 2, 1])",
     lambda i: i["x"].transpose(1, 2))
case("x.T @ x", {"x": rand(4, 7)}, "x.T @ x", lambda i: i["x"].T @ i["x"])
case("concat", {"x": rand(2, 3), "y": rand(2, 5)}, "concat([x, y, x], axis: 1)",
     lambda i: torch.cat([i["x"], i["y"], i["x"]], 1))

r = rand(3, 7, 5)
case("sum all", {"x": r}, "sum(x)", lambda i: i["x"].sum())
case("sum axis 1", {"x": r}, "sum(x, axis: 1)", lambda i: i["x"].sum(1))
case("mean axis 0 (symbolic B)", {"x": r}, "mean(x, axis: 0)", lambda i: i["x"].mean(0))
case("mean axes [1,2] keepdims", {"x": r}, "mean(x, axis: [1, 2], keepdims: true)",
     lambda i: i["x"].mean((1, 2), keepdim=True))
case("max axis -1", {"x": r}, "max(x, axis: -1)", lambda i: i["x"].amax(-1))
case("min axis 0", {"x": r}, "min(x, axis: 0)", lambda i: i["x"].amin(0))
case("logsumexp axis 1", {"x": rand(3, 7, 5, lo=-10, hi=10)}, "logsumexp(x, axis: 1)",
     lambda i: torch.logsumexp(i["x"], 1))
case("prod", {"x": rand(3, 7, lo=0.5, hi=1.5)}, "prod(x, axis: 1)",
     lambda i: i["x"].prod(1))
case("softmax", {"x": rand(5, 33, lo=-5, hi=5)}, "softmax(x)",
     lambda i: torch.softmax(i["x"], -1))
case("log_softmax axis 1", {"x": rand(3, 7, 4, lo=-5, hi=5)},
     "log_softmax(x, axis: 1)", lambda i: torch.log_softmax(i["x"], 1))

m = rand(4, 7)
case("where", {"a": m, "c": rand(4, 7)}, "where(a > c, a * 2.0, c)",
     lambda i: torch.where(i["a"] > i["c"], i["a"] * 2.0, i["c"]))
case("clip", {"a": m}, "clip(a, -0.5, 1.25)", lambda i: torch.clamp(i["a"], -0.5, 1.25))
case("stop_gradient", {"a": m}, "stop_gradient(a) * a",
     lambda i: i["a"].detach() * i["a"])
case("dropout (eval) is identity", {"x": m}, "dropout(x, 0.5)", lambda i: i["x"])

results = []
for name, inputs, fixed, body, ref in CASES:
    tensors = {k: v.clone().requires_grad_(True) for k, v in {**inputs, **fixed}.items()}
    y = ref(tensors)
    (y * y / 2 + y).sum().backward()
    try:
        got = run_gradients(NNC, source(inputs, fixed, body),
                            {k: v.detach() for k, v in tensors.items()}, wrt_inputs=True)
        for k, t in tensors.items():
            results.append((f"{name}: d/d{k}", rel_error(got["grad." + k], t.grad), TOL))
    except Exception as e:  # a compile or run failure is a failed case
        results.append((f"{name}: {e}", float("inf")))

# The Fashion-MNIST MLP's cross-entropy loss, for every parameter.
x, label = rand(16, 28, 28, lo=0, hi=1), torch.randint(0, 10, (16,), generator=gen)
p = {"dense_1.w": rand(784, 256) * 0.05, "dense_1.b": rand(256) * 0.05,
     "dense_2.w": rand(256, 10) * 0.1, "dense_2.b": rand(10) * 0.1}
tp = {k: v.clone().requires_grad_(True) for k, v in p.items()}
h = torch.relu(x.reshape(16, 784) @ tp["dense_1.w"] + tp["dense_1.b"])
loss = F.cross_entropy(h @ tp["dense_2.w"] + tp["dense_2.b"], label)
loss.backward()
got = run_gradients(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/mlp.nn")).read(),
                    {"image": x, "label": label, **p})
results.append(("mlp example: loss", rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    results.append((f"mlp example: d loss/d {k}", rel_error(got["grad." + k], t.grad), TOL))

report(results)
