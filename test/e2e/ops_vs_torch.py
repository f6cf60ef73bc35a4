"""Every op code generation supports, compiled by nnc and run in its JIT,
against PyTorch on the same random inputs, with odd sizes (1, 7, 33, 257),
strides, paddings and broadcasting. Prints one line per case and a final
'N passed, N failed'; exits 1 on any failure. Tolerance: relative error
1e-5 in f32 (||nnc - torch|| / ||torch||)."""
import sys

import torch
import torch.nn.functional as F

from nnctest import rel_error, run_forward

NNC = sys.argv[1]
TOL = 1e-5
gen = torch.Generator().manual_seed(1234)


def rand(*shape, lo=-2.0, hi=2.0):
    return torch.rand(*shape, generator=gen) * (hi - lo) + lo


def model(inputs, body):
    lines = ["use std.layers", "model Case {"]
    for name, t in inputs.items():
        dt = {torch.float32: "f32", torch.int64: "i64"}[t.dtype]
        dims = ", ".join(["B"] + [str(d) for d in t.shape[1:]])
        lines.append(f"  input {name}: {dt}[{dims}]")
    lines += ["  " + l for l in body.splitlines()]
    lines.append("}")
    return "\n".join(lines) + "\n"


CASES = []


def case(name, inputs, body, ref, params=None):
    CASES.append((name, inputs, body, ref, params or {}))


UNARY = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "gelu": F.gelu, "softplus": F.softplus, "exp": torch.exp,
    "abs": torch.abs, "sin": torch.sin, "cos": torch.cos, "silu": F.silu,
    "square": torch.square, "floor": torch.floor, "sign": torch.sign,
    "elu": F.elu,
}
for n in (1, 7, 33, 257):
    x = rand(3, n)
    for op, fn in UNARY.items():
        case(f"{op} [3,{n}]", {"x": x}, f"{op}(x)", lambda i, fn=fn: fn(i["x"]))
pos = rand(4, 33, lo=0.1, hi=3.0)
case("log", {"x": pos}, "log(x)", lambda i: torch.log(i["x"]))
case("sqrt", {"x": pos}, "sqrt(x)", lambda i: torch.sqrt(i["x"]))
case("rsqrt", {"x": pos}, "rsqrt(x)", lambda i: torch.rsqrt(i["x"]))
case("log1p", {"x": pos}, "log1p(x)", lambda i: torch.log1p(i["x"]))
case("neg", {"x": rand(2, 7)}, "-x", lambda i: -i["x"])
case("leaky_relu", {"x": rand(2, 33)}, "leaky_relu(x, 0.2)",
     lambda i: F.leaky_relu(i["x"], 0.2))
case("softplus large", {"x": rand(2, 7, lo=-60, hi=60)}, "softplus(x)",
     lambda i: F.softplus(i["x"]))

# Binary ops with broadcasting of every kind.
BIN = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}
a, b = rand(5, 7), rand(7, lo=0.5, hi=2.0)
for sym, fn in BIN.items():
    case(f"a {sym} b [5,7]x[7]", {"a": a}, f"a {sym} b",
         lambda i, fn=fn: fn(i["a"], i["b"]), {"b": b})
col = rand(5, 1, lo=0.5, hi=2)
case("broadcast column [5,7]x[5,1]", {"a": a, "c": col}, "a * c + a / c",
     lambda i: i["a"] * i["c"] + i["a"] / i["c"])
case("scalar constants", {"a": a}, "a * 0.5 - 2.0",
     lambda i: i["a"] * 0.5 - 2.0)
case("maximum/minimum", {"a": a, "c": col}, "maximum(a, c) + minimum(a, 0.25)",
     lambda i: torch.maximum(i["a"], i["c"]) + torch.clamp(i["a"], max=0.25))
case("pow", {"a": rand(3, 7, lo=0.5, hi=2)}, "pow(a, 1.7) + a ** 2.0",
     lambda i: torch.pow(i["a"], 1.7) + i["a"] ** 2.0)
# `%` is C's fmod (the sign of the dividend), as compile-time `%` is.
case("a % b [5,7]x[7]", {"a": a * 3}, "a % b + a % 0.75",
     lambda i: torch.fmod(i["a"], i["b"]) + torch.fmod(i["a"], 0.75), {"b": b})
case("&& || ! on bool tensors", {"a": a, "c": col},
     "cast((a > c) && !(a > 1.0), f32) + 2.0 * cast((a < -1.0) || (a > c), f32)",
     lambda i: ((i["a"] > i["c"]) & ~(i["a"] > 1.0)).float()
     + 2.0 * ((i["a"] < -1.0) | (i["a"] > i["c"])).float())

# Matrix products.
for m, k, n in ((1, 1, 1), (7, 33, 5), (33, 257, 7), (2, 784, 256)):
    x = rand(m, k)
    case(f"matmul [{m},{k}]x[{k},{n}]", {"x": x}, "x @ w",
         lambda i: i["x"] @ i["w"], {"w": rand(k, n)})
x3 = rand(3, 5, 7)
case("batched matmul [3,5,7]x[7,4]", {"x": x3}, "x @ w",
     lambda i: i["x"] @ i["w"], {"w": rand(7, 4)})
case("batched matmul [3,5,7]x[3,7,4]", {"x": x3, "y": rand(3, 7, 4)}, "x @ y",
     lambda i: i["x"] @ i["y"])

# Shapes.
case("flatten", {"x": rand(2, 3, 4, 5)}, "flatten(x)",
     lambda i: i["x"].reshape(2, -1))
case("reshape expand", {"x": rand(2, 12)}, "reshape(x, [B, 3, 4])",
     lambda i: i["x"].reshape(2, 3, 4))
case("reshape [B, -1]", {"x": rand(2, 3, 4)}, "reshape(x, [B, -1])",
     lambda i: i["x"].reshape(2, -1))
case("reshape [-1, 4]", {"x": rand(2, 3, 4)}, "reshape(x, [-1, 4])",
     lambda i: i["x"].reshape(-1, 4))
case("reshape [B, 2, -1]", {"x": rand(2, 12)}, "reshape(x, [B, 2, -1])",
     lambda i: i["x"].reshape(2, 2, -1))
case("transpose", {"x": rand(2, 3, 5)}, "transpose(x, [0, 2, 1])",
     lambda i: i["x"].permute(0, 2, 1))
case("transpose .T", {"x": rand(4, 7)}, "x.T @ x",
     lambda i: i["x"].T @ i["x"])
case("slice", {"x": rand(3, 10, 8)}, "x[:, 2:9:3, 5]",
     lambda i: i["x"][:, 2:9:3, 5])
case("concat", {"x": rand(2, 3), "y": rand(2, 5)}, "concat([x, y, x], axis: 1)",
     lambda i: torch.cat([i["x"], i["y"], i["x"]], dim=1))
case("stack axis 1", {"x": rand(2, 3), "y": rand(2, 3)}, "stack([x, y, x], axis: 1)",
     lambda i: torch.stack([i["x"], i["y"], i["x"]], dim=1))
case("stack axis -1", {"x": rand(2, 3), "y": rand(2, 3)}, "stack([x, y], axis: -1)",
     lambda i: torch.stack([i["x"], i["y"]], dim=-1))

# Reductions and softmax.
r = rand(4, 7, 33)
case("sum all", {"x": r}, "sum(x)", lambda i: i["x"].sum())
case("sum axis 1", {"x": r}, "sum(x, axis: 1)", lambda i: i["x"].sum(1))
case("mean axes [1,2] keepdims", {"x": r}, "mean(x, axis: [1, 2], keepdims: true)",
     lambda i: i["x"].mean((1, 2), keepdim=True))
case("max axis -1", {"x": r}, "max(x, axis: -1)", lambda i: i["x"].amax(-1))
case("min axis 0", {"x": r}, "min(x, axis: 0)", lambda i: i["x"].amin(0))
case("logsumexp axis 1", {"x": rand(3, 7, 5, lo=-40, hi=40)}, "logsumexp(x, axis: 1)",
     lambda i: torch.logsumexp(i["x"], 1))
case("logsumexp keepdims", {"x": r}, "logsumexp(x, axis: -1, keepdims: true)",
     lambda i: torch.logsumexp(i["x"], -1, keepdim=True))
case("argmax", {"x": r}, "cast(argmax(x, axis: -1), f32)",
     lambda i: i["x"].argmax(-1).float())
case("argmin axis 1", {"x": r}, "cast(argmin(x, axis: 1), f32)",
     lambda i: i["x"].argmin(1).float())
case("prod", {"x": rand(3, 7, lo=0.5, hi=1.5)}, "prod(x, axis: 1)",
     lambda i: i["x"].prod(1))
case("softmax", {"x": rand(5, 257, lo=-30, hi=30)}, "softmax(x)",
     lambda i: torch.softmax(i["x"], -1))
case("log_softmax axis 1", {"x": rand(3, 7, 4, lo=-30, hi=30)},
     "log_softmax(x, axis: 1)", lambda i: torch.log_softmax(i["x"], 1))
case("one_hot", {"l": torch.tensor([3, 0, 9, 1])}, "one_hot(l, 10)",
     lambda i: F.one_hot(i["l"], 10).float())

# Convolution and pooling (nnc is NHWC, PyTorch NCHW).
def conv_ref(x, w, stride=1, padding=0, dilation=1):
    y = F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=stride,
                 padding=padding, dilation=dilation)
    return y.permute(0, 2, 3, 1)

for (h, c, f, k, s, p, d) in ((7, 1, 4, 3, 1, 0, 1), (9, 3, 8, 3, 2, 1, 1),
                              (12, 2, 5, 5, 1, 2, 1), (11, 3, 4, 3, 1, 0, 2),
                              (28, 1, 32, 3, 1, 0, 1)):
    x = rand(2, h, h, c)
    case(f"conv h={h} c={c} f={f} k={k} s={s} p={p} d={d}", {"x": x},
         f"conv(x, w, stride: {s}, padding: {p}, dilation: {d})",
         lambda i, s=s, p=p, d=d: conv_ref(i["x"], i["w"], s, p, d),
         {"w": rand(k, k, c, f)})
case("conv same", {"x": rand(2, 8, 8, 3)}, 'conv(x, w, padding: "same")',
     lambda i: conv_ref(i["x"], i["w"], 1, 1), {"w": rand(3, 3, 3, 4)})
case("grouped conv g=2 s=2 p=1", {"x": rand(2, 9, 9, 4)},
     "conv(x, w, stride: 2, padding: 1, groups: 2)",
     lambda i: F.conv2d(i["x"].permute(0, 3, 1, 2), i["w"].permute(3, 2, 0, 1),
                        stride=2, padding=1, groups=2).permute(0, 2, 3, 1),
     {"w": rand(3, 3, 2, 6)})
for (h, k, s_, p_) in ((7, 3, 2, 0), (5, 4, 2, 1), (6, 3, 1, 1), (4, 2, 3, 0)):
    case(f"conv_transpose h={h} k={k} s={s_} p={p_}", {"x": rand(2, h, h, 3)},
         f"conv_transpose(x, w, stride: {s_}, padding: {p_})",
         lambda i, s_=s_, p_=p_: F.conv_transpose2d(
             i["x"].permute(0, 3, 1, 2), i["w"].permute(2, 3, 0, 1),
             stride=s_, padding=p_).permute(0, 2, 3, 1),
         {"w": rand(k, k, 3, 5)})
case("conv2d_transpose layer", {"x": rand(2, 7, 7, 4)}, "x |> conv2d_transpose(6, 3)",
     lambda i: F.conv_transpose2d(i["x"].permute(0, 3, 1, 2),
                                  i["conv2d_transpose_1.w"].permute(2, 3, 0, 1),
                                  i["conv2d_transpose_1.b"], stride=2).permute(0, 2, 3, 1),
     {"conv2d_transpose_1.w": rand(3, 3, 4, 6), "conv2d_transpose_1.b": rand(6)})
case("depthwise conv g=3", {"x": rand(2, 7, 7, 3)}, "conv(x, w, groups: 3)",
     lambda i: F.conv2d(i["x"].permute(0, 3, 1, 2), i["w"].permute(3, 2, 0, 1),
                        groups=3).permute(0, 2, 3, 1),
     {"w": rand(3, 3, 1, 3)})

# Per-axis strides, dilations and paddings ([height, width], and
# [top, bottom, left, right], which PyTorch takes through F.pad).
case("conv stride [2, 1] dilation [1, 2] padding [1, 0, 2, 1]",
     {"x": rand(2, 9, 11, 3)},
     "conv(x, w, stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2])",
     lambda i: F.conv2d(F.pad(i["x"].permute(0, 3, 1, 2), (2, 1, 1, 0)),
                        i["w"].permute(3, 2, 0, 1), stride=(2, 1),
                        dilation=(1, 2)).permute(0, 2, 3, 1),
     {"w": rand(3, 2, 3, 4)})
case("conv 1 x 5 stride [1, 3] padding [0, 2]", {"x": rand(2, 1, 16, 4)},
     "conv(x, w, stride: [1, 3], padding: [0, 2])",
     lambda i: conv_ref(i["x"], i["w"], (1, 3), (0, 2)), {"w": rand(1, 5, 4, 6)})
case("conv_transpose stride [3, 2] padding [1, 0]", {"x": rand(2, 5, 4, 3)},
     "conv_transpose(x, w, stride: [3, 2], padding: [1, 0])",
     lambda i: F.conv_transpose2d(i["x"].permute(0, 3, 1, 2),
                                  i["w"].permute(2, 3, 0, 1), stride=(3, 2),
                                  padding=(1, 0)).permute(0, 2, 3, 1),
     {"w": rand(3, 2, 3, 5)})


def pool_ref(fn, x, k, s, p=0):
    return fn(x.permute(0, 3, 1, 2), k, s, p).permute(0, 2, 3, 1)

x = rand(2, 9, 9, 3)
case("maxpool 2", {"x": x}, "maxpool(x, 2)",
     lambda i: pool_ref(F.max_pool2d, i["x"], 2, 2))
case("maxpool 3 stride 2 pad 1", {"x": x}, "maxpool(x, 3, stride: 2, padding: 1)",
     lambda i: pool_ref(F.max_pool2d, i["x"], 3, 2, 1))
case("avgpool 3 stride 1", {"x": x}, "avgpool(x, 3, stride: 1)",
     lambda i: pool_ref(F.avg_pool2d, i["x"], 3, 1))
case("maxpool [2, 3] stride [1, 2]", {"x": x}, "maxpool(x, [2, 3], stride: [1, 2])",
     lambda i: pool_ref(F.max_pool2d, i["x"], (2, 3), (1, 2)))
case("avgpool [3, 2] padding [1, 0]", {"x": x}, "avgpool(x, [3, 2], padding: [1, 0])",
     lambda i: pool_ref(F.avg_pool2d, i["x"], (3, 2), (3, 2), (1, 0)))
case("maxpool 1 x 3 on a row", {"x": rand(2, 1, 12, 3)}, "maxpool(x, [1, 3], stride: [1, 2], padding: [0, 1])",
     lambda i: pool_ref(F.max_pool2d, i["x"], (1, 3), (1, 2), (0, 1)))

# Selection, casts, clipping, embeddings, normalisation (evaluation mode).
m = rand(4, 7)
case("where", {"a": m, "c": rand(4, 7)}, "where(a > c, a, 0.5)",
     lambda i: torch.where(i["a"] > i["c"], i["a"], torch.tensor(0.5)))
case("cast i64 -> f32", {"l": torch.tensor([3, -1, 9, 0])}, "cast(l, f32) * 0.5",
     lambda i: i["l"].float() * 0.5)
case("cast f32 -> i64 -> f32", {"a": m * 3}, "cast(cast(a, i64), f32)",
     lambda i: i["a"].long().float())
case("clip", {"a": m}, "clip(a, -0.5, 1.25)", lambda i: torch.clamp(i["a"], -0.5, 1.25))
case("stop_gradient", {"a": m}, "stop_gradient(a) * 2.0", lambda i: i["a"] * 2.0)
ids = torch.tensor([[3, 0, 6], [1, 1, 2]])
case("gather (embedding)", {"ids": ids}, "gather(t, ids)",
     lambda i: i["t"][i["ids"]], {"t": rand(7, 5)})
case("embedding layer", {"ids": ids}, "ids |> embedding(7, 5)",
     lambda i: i["embedding_1.table"][i["ids"]], {"embedding_1.table": rand(7, 5)})
x = rand(3, 4, 33)
case("layer_norm [3,4,33]", {"x": x}, "layer_norm(x, g, b)",
     lambda i: F.layer_norm(i["x"], (33,), i["g"], i["b"], 1e-5),
     {"g": rand(33), "b": rand(33)})
case("layernorm layer", {"x": x}, "x |> layernorm",
     lambda i: F.layer_norm(i["x"], (33,), i["layernorm_1.gamma"], i["layernorm_1.beta"], 1e-5),
     {"layernorm_1.gamma": rand(33), "layernorm_1.beta": rand(33)})
x4 = rand(2, 5, 5, 3)
bn = {"batchnorm_1.gamma": rand(3), "batchnorm_1.beta": rand(3),
      "batchnorm_1.mean": rand(3), "batchnorm_1.var": rand(3, lo=0.5, hi=2)}
case("batchnorm (eval) NHWC", {"x": x4}, "x |> batchnorm",
     lambda i: F.batch_norm(i["x"].permute(0, 3, 1, 2), i["batchnorm_1.mean"],
                            i["batchnorm_1.var"], i["batchnorm_1.gamma"],
                            i["batchnorm_1.beta"], False, 0.1, 1e-5).permute(0, 2, 3, 1),
     bn)
case("dropout (eval) is identity", {"x": m}, "dropout(x, 0.5)", lambda i: i["x"])
case("upsample 2", {"x": rand(2, 3, 4, 5)}, "upsample(x, 2)",
     lambda i: F.interpolate(i["x"].permute(0, 3, 1, 2), scale_factor=2,
                             mode="nearest").permute(0, 2, 3, 1))
case("global_avgpool", {"x": x4}, "global_avgpool(x)", lambda i: i["x"].mean((1, 2)))

# Layers from the stdlib with parameters named by path.
x = rand(4, 33)
case("dense layer", {"x": x}, "x |> dense(7) |> relu",
     lambda i: torch.relu(i["x"] @ i["dense_1.w"] + i["dense_1.b"]),
     {"dense_1.w": rand(33, 7), "dense_1.b": rand(7)})

passed = failed = 0
for name, inputs, body, ref, params in CASES:
    tensors = dict(inputs)
    tensors.update(params)
    # Parameters that are not layer parameters are model inputs too.
    extra = {k: v for k, v in params.items() if "." not in k}
    src_inputs = dict(inputs)
    src_inputs.update({k: v for k, v in extra.items()})
    src = model(src_inputs, body) if not extra else model(inputs, body).replace(
        "model Case {", "model Case {\n" + "\n".join(
            f"  input {k}: f32[{', '.join(str(d) for d in v.shape)}]"
            for k, v in extra.items()))
    try:
        out = run_forward(NNC, src, tensors)["output"]
        want = ref(tensors)
        err = rel_error(out, want) if out.shape == want.shape else float("inf")
        ok = err <= TOL
        print(f"{'ok  ' if ok else 'FAIL'} {name}: rel. error {err:.2e}"
              + ("" if out.shape == want.shape else
                 f" (shape {list(out.shape)} vs {list(want.shape)})"))
    except Exception as e:  # a compile or run failure is a failed case
        ok = False
        print(f"FAIL {name}: {e}")
    passed += ok
    failed += not ok
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
