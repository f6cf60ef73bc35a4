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

from nnctest import (neural_ode_logits, random_params, rel_error, report,
                     run_forward, run_gradients)

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
        dt = "i64" if t.dtype == torch.int64 else "f32"
        lines.append(f"  input {name}: {dt}[{dims}]")
    for name, t in fixed.items():
        if "." in name:  # a layer's parameter, not an input
            continue
        lines.append(f"  input {name}: f32[{', '.join(str(d) for d in t.shape)}]")
    lines += [f"  let y = {body}", "  sum(square(y) * 0.5 + y)"]
    return "\n".join(lines + ["}"]) + "\n"


for op, fn in {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softplus": F.softplus, "exp": torch.exp, "abs": torch.abs,
               "sin": torch.sin, "cos": torch.cos, "silu": F.silu,
               "square": torch.square, "elu": F.elu, "floor": torch.floor,
               "sign": torch.sign, "gelu": F.gelu}.items():
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
case("a % b broadcast [5,7]x[7]", {"a": a * 3}, "a % b",
     lambda i: torch.fmod(i["a"], i["b"]), {"b": b})
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
case("stack", {"x": rand(2, 3), "y": rand(2, 3)}, "stack([x, y, x], axis: 1)",
     lambda i: torch.stack([i["x"], i["y"], i["x"]], 1))

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

case("gather (embedding, repeated ids)", {"ids": torch.tensor([[0, 3, 3], [6, 1, 0]])},
     "gather(t, ids)", lambda i: i["t"][i["ids"]], {"t": rand(7, 5)})
case("gather from a rank-3 table", {"ids": torch.tensor([[2, 0, 2], [5, 1, 2]])},
     "gather(t, ids)", lambda i: i["t"][i["ids"]], {"t": rand(6, 2, 3)})
m = rand(4, 7)
case("where", {"a": m, "c": rand(4, 7)}, "where(a > c, a * 2.0, c)",
     lambda i: torch.where(i["a"] > i["c"], i["a"] * 2.0, i["c"]))
case("clip", {"a": m}, "clip(a, -0.5, 1.25)", lambda i: torch.clamp(i["a"], -0.5, 1.25))
case("stop_gradient", {"a": m}, "stop_gradient(a) * a",
     lambda i: i["a"].detach() * i["a"])
case("dropout (eval) is identity", {"x": m}, "dropout(x, 0.5)", lambda i: i["x"])

for (h, k, s_, p_) in ((7, 3, 2, 0), (5, 4, 2, 1), (4, 2, 3, 0)):
    case(f"conv_transpose h={h} k={k} s={s_} p={p_}", {"x": rand(2, h, h, 3)},
         f"conv_transpose(x, w, stride: {s_}, padding: {p_})",
         lambda i, s_=s_, p_=p_: F.conv_transpose2d(
             i["x"].permute(0, 3, 1, 2), i["w"].permute(2, 3, 0, 1),
             stride=s_, padding=p_).permute(0, 2, 3, 1),
         {"w": rand(k, k, 3, 5)})
case("upsample 2", {"x": rand(2, 3, 4, 5)}, "upsample(x, 2)",
     lambda i: F.interpolate(i["x"].permute(0, 3, 1, 2), scale_factor=2,
                             mode="nearest").permute(0, 2, 3, 1))

# Convolution (NHWC/HWCF here, NCHW/OIHW in PyTorch) and pooling.
nchw, nhwc = (lambda t: t.permute(0, 3, 1, 2)), (lambda t: t.permute(0, 2, 3, 1))
for (h, c, f, k, s, p) in ((8, 1, 4, 3, 1, 0), (9, 3, 5, 3, 2, 1), (7, 2, 3, 2, 2, 0),
                           (6, 3, 2, 1, 1, 0), (10, 2, 4, 5, 3, 2)):
    case(f"conv h={h} c={c} f={f} k={k} s={s} p={p}", {"x": rand(2, h, h, c)},
         f"conv(x, w, stride: {s}, padding: {p})",
         lambda i, s=s, p=p: nhwc(F.conv2d(nchw(i["x"]), i["w"].permute(3, 2, 0, 1),
                                           stride=s, padding=p)),
         {"w": rand(k, k, c, f)})
# Dilated, grouped (depthwise included) and "same" convolutions; "same"
# with an even kernel or a stride pads one more at the bottom/right.
for (h, c, f, k, s, d, g) in ((9, 2, 3, 3, 1, 2, 1), (11, 3, 4, 2, 2, 3, 1),
                              (8, 4, 6, 3, 1, 1, 2), (7, 3, 3, 3, 2, 1, 3),
                              (9, 4, 8, 3, 1, 2, 4)):
    case(f"conv h={h} c={c} f={f} k={k} s={s} dilation={d} groups={g}",
         {"x": rand(2, h, h, c)},
         f"conv(x, w, stride: {s}, dilation: {d}, groups: {g})",
         lambda i, s=s, d=d, g=g: nhwc(F.conv2d(
             nchw(i["x"]), i["w"].permute(3, 2, 0, 1), stride=s, dilation=d,
             groups=g)),
         {"w": rand(k, k, c // g, f)})
# Depthwise (one input channel per group, whole-tensor rule) with padding:
# "same" 3x3 (MobileNet), stride 2 with an integer pad, a channel
# multiplier of 2, a 1x1 stride-2 kernel (the spread cotangent is cropped).
for (h, c, f, k, s, p) in ((7, 4, 4, 3, 1, '"same"'), (9, 3, 3, 3, 2, "1"),
                           (8, 3, 6, 3, 2, '"same"'), (7, 2, 2, 1, 2, "0")):
    pads = None
    if p == '"same"':
        out = (h + s - 1) // s
        tot = max((out - 1) * s + k - h, 0)
        pads = (tot // 2, tot - tot // 2) * 2
    case(f"depthwise h={h} c={c} f={f} k={k} s={s} padding={p}", {"x": rand(2, h, h, c)},
         f"conv(x, w, stride: {s}, padding: {p}, groups: {c})",
         lambda i, s=s, p=p, c=c, pads=pads: nhwc(F.conv2d(
             F.pad(nchw(i["x"]), pads) if pads else nchw(i["x"]), i["w"].permute(3, 2, 0, 1),
             stride=s, padding=0 if pads else int(p), groups=c)),
         {"w": rand(k, k, 1, f)})
for (h, k, s, d) in ((8, 4, 1, 1), (9, 3, 2, 1), (8, 2, 1, 3), (10, 4, 3, 1)):
    eff = d * (k - 1) + 1
    out = (h + s - 1) // s
    tot = max((out - 1) * s + eff - h, 0)
    pads = (tot // 2, tot - tot // 2) * 2
    case(f"conv same h={h} k={k} s={s} dilation={d} (pads {pads[:2]})",
         {"x": rand(2, h, h, 2)},
         f'conv(x, w, stride: {s}, padding: "same", dilation: {d})',
         lambda i, s=s, d=d, pads=pads: nhwc(F.conv2d(
             F.pad(nchw(i["x"]), pads), i["w"].permute(3, 2, 0, 1), stride=s,
             dilation=d)),
         {"w": rand(k, k, 2, 3)})
# Per-axis strides, dilations, paddings and windows.
case("conv stride [2, 1] dilation [1, 2] padding [1, 0, 2, 1]",
     {"x": rand(2, 9, 11, 3)},
     "conv(x, w, stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2])",
     lambda i: nhwc(F.conv2d(F.pad(nchw(i["x"]), (2, 1, 1, 0)),
                             i["w"].permute(3, 2, 0, 1), stride=(2, 1),
                             dilation=(1, 2))),
     {"w": rand(3, 2, 3, 4)})
case("conv_transpose stride [3, 2] padding [1, 0]", {"x": rand(2, 5, 4, 3)},
     "conv_transpose(x, w, stride: [3, 2], padding: [1, 0])",
     lambda i: nhwc(F.conv_transpose2d(nchw(i["x"]), i["w"].permute(2, 3, 0, 1),
                                       stride=(3, 2), padding=(1, 0))),
     {"w": rand(3, 2, 3, 5)})
case("maxpool [2, 3] stride [1, 2] [2,9,9,3]", {"x": rand(2, 9, 9, 3)},
     "maxpool(x, [2, 3], stride: [1, 2])",
     lambda i: nhwc(F.max_pool2d(nchw(i["x"]), (2, 3), (1, 2))))
case("avgpool [3, 2] padding [1, 0] [2,9,8,2]", {"x": rand(2, 9, 8, 2)},
     "avgpool(x, [3, 2], padding: [1, 0])",
     lambda i: nhwc(F.avg_pool2d(nchw(i["x"]), (3, 2), (3, 2), (1, 0))))
for h in (8, 11):
    case(f"maxpool 2 [2,{h},{h},3]", {"x": rand(2, h, h, 3)}, "maxpool(x, 2)",
         lambda i: nhwc(F.max_pool2d(nchw(i["x"]), 2)))
    case(f"avgpool 3 [2,{h},{h},3]", {"x": rand(2, h, h, 3)}, "avgpool(x, 3)",
         lambda i: nhwc(F.avg_pool2d(nchw(i["x"]), 3)))

# Overlapping and padded windows (nn.pool2d_grad): Inception's 3x3 stride-1
# "same" max pooling, stride 2, padded averages; ties (ReLU zeros) go to
# the first maximum of each window, as in PyTorch.
case("maxpool 3 stride 1 same [2,7,7,3]", {"x": rand(2, 7, 7, 3)},
     'maxpool(x, 3, stride: 1, padding: "same")',
     lambda i: nhwc(F.max_pool2d(nchw(i["x"]), 3, 1, padding=1)))
case("maxpool 3 stride 2 [2,9,9,2]", {"x": rand(2, 9, 9, 2)},
     "maxpool(x, 3, stride: 2)",
     lambda i: nhwc(F.max_pool2d(nchw(i["x"]), 3, 2)))
case("maxpool 2 with ties (relu) [2,8,8,3]", {"x": rand(2, 8, 8, 3)},
     "maxpool(relu(x), 2)",
     lambda i: nhwc(F.max_pool2d(nchw(torch.relu(i["x"])), 2)))
case("avgpool 3 stride 2 padding 1 [2,9,9,2]", {"x": rand(2, 9, 9, 2)},
     "avgpool(x, 3, stride: 2, padding: 1)",
     lambda i: nhwc(F.avg_pool2d(nchw(i["x"]), 3, 2, padding=1)))

case("slice", {"x": rand(3, 10, 8)}, "x[:, 2:9, 5]", lambda i: i["x"][:, 2:9, 5])
case("strided slices", {"x": rand(3, 10, 8)}, "x[:, 1:9:3, ::2]",
     lambda i: i["x"][:, 1:9:3, ::2])
case("strided slice to the end", {"x": rand(3, 11, 4)}, "x[:, 2::4, 1]",
     lambda i: i["x"][:, 2::4, 1])
x = rand(3, 4, 33)
case("layer_norm [3,4,33]", {"x": x}, "layer_norm(x, g, b)",
     lambda i: F.layer_norm(i["x"], (33,), i["g"], i["b"]),
     {"g": rand(33), "b": rand(33)})
case("layernorm layer", {"x": x}, "x |> layernorm",
     lambda i: F.layer_norm(i["x"], (33,), i["layernorm_1.gamma"], i["layernorm_1.beta"]),
     {"layernorm_1.gamma": rand(33), "layernorm_1.beta": rand(33)})
x4 = rand(2, 5, 5, 3)
case("batchnorm (eval) NHWC", {"x": x4}, "x |> batchnorm",
     lambda i: nhwc(F.batch_norm(nchw(i["x"]), i["batchnorm_1.mean"].detach(),
                                 i["batchnorm_1.var"].detach(), i["batchnorm_1.gamma"],
                                 i["batchnorm_1.beta"], False, 0.1, 1e-5)),
     {"batchnorm_1.gamma": rand(3), "batchnorm_1.beta": rand(3),
      "batchnorm_1.mean": rand(3), "batchnorm_1.var": rand(3, lo=0.5, hi=2)})

results = []
for name, inputs, fixed, body, ref in CASES:
    tensors = {k: v.clone().requires_grad_(v.is_floating_point())
               for k, v in {**inputs, **fixed}.items()}
    y = ref(tensors)
    (y * y / 2 + y).sum().backward()
    try:
        got = run_gradients(NNC, source(inputs, fixed, body),
                            {k: v.detach() for k, v in tensors.items()}, wrt_inputs=True)
        for k, t in tensors.items():
            if t.grad is None:  # running statistics: state, no gradient
                continue
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

# The Fashion-MNIST CNN (valid 3x3 convolutions, 2x2 max pooling).
cp = {"conv2d_1.w": rand(3, 3, 1, 32) * 0.3, "conv2d_1.b": rand(32) * 0.1,
      "conv2d_2.w": rand(3, 3, 32, 32) * 0.08, "conv2d_2.b": rand(32) * 0.1,
      "conv2d_3.w": rand(3, 3, 32, 64) * 0.06, "conv2d_3.b": rand(64) * 0.1,
      "dense_1.w": rand(1600, 128) * 0.03, "dense_1.b": rand(128) * 0.1,
      "dense_2.w": rand(128, 10) * 0.1, "dense_2.b": rand(10) * 0.1}
tp = {k: v.clone().requires_grad_(True) for k, v in cp.items()}
xb, lb = x[:8], label[:8]
h = xb.unsqueeze(1)
for n in (1, 2, 3):
    h = torch.relu(F.conv2d(h, tp[f"conv2d_{n}.w"].permute(3, 2, 0, 1), tp[f"conv2d_{n}.b"]))
    if n > 1:
        h = F.max_pool2d(h, 2)
h = torch.relu(nhwc(h).reshape(8, 1600) @ tp["dense_1.w"] + tp["dense_1.b"])
loss = F.cross_entropy(h @ tp["dense_2.w"] + tp["dense_2.b"], lb)
loss.backward()
got = run_gradients(NNC, open(os.path.join(EXAMPLES, "fashion_mnist/cnn.nn")).read(),
                    {"image": xb, "label": lb, **cp})
results.append(("cnn example: loss", rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    results.append((f"cnn example: d loss/d {k}", rel_error(got["grad." + k], t.grad), TOL))

# Batch norm in training mode differentiates through the batch statistics.
BN = """use std.layers, std.losses, std.optim, std.data
model Bn {
  input image: f32[B, 28, 28]
  image |> to_nhwc |> conv2d(4, 3) |> batchnorm |> relu |> flatten |> dense(10)
}
train Bn on fashion_mnist("train") {
  batch 8
  epochs 1
  loss cross_entropy(output, label)
  optimizer sgd(lr: 0.1)
}
"""
bp = {"conv2d_1.w": rand(3, 3, 1, 4) * 0.3, "conv2d_1.b": rand(4) * 0.1,
      "batchnorm_1.gamma": rand(4, lo=0.5, hi=1.5), "batchnorm_1.beta": rand(4) * 0.1,
      "dense_1.w": rand(2704, 10) * 0.02, "dense_1.b": rand(10) * 0.1}
state = {"batchnorm_1.mean": torch.zeros(4), "batchnorm_1.var": torch.ones(4)}
tp = {k: v.clone().requires_grad_(True) for k, v in bp.items()}
h = F.conv2d(xb.unsqueeze(1), tp["conv2d_1.w"].permute(3, 2, 0, 1), tp["conv2d_1.b"])
h = torch.relu(F.batch_norm(h, None, None, tp["batchnorm_1.gamma"], tp["batchnorm_1.beta"],
                            True, 0.1, 1e-5))
loss = F.cross_entropy(nhwc(h).reshape(8, 2704) @ tp["dense_1.w"] + tp["dense_1.b"], lb)
loss.backward()
got = run_gradients(NNC, BN, {"image": xb, "label": lb, **bp, **state})
results.append(("batch norm (training): loss", rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    if k == "conv2d_1.b":  # batch norm subtracts the mean: zero gradient
        ratio = got["grad." + k].norm() / got["grad.conv2d_1.w"].norm()
        results.append(("batch norm (training): bias before it gets ~0", ratio.item(), TOL))
        continue
    results.append((f"batch norm (training): d loss/d {k}", rel_error(got["grad." + k], t.grad), TOL))

# A second derivative through training batch norm: the loss reads the
# input gradient of a squared output (nn.batch_norm_grad, on
# nn.channel_moments), so its own gradient differentiates both ops.
BN2 = BN.replace("conv2d(4, 3) |> batchnorm |> relu", "conv2d(4, 3) |> batchnorm |> tanh").replace(
    "loss cross_entropy(output, label)",
    "loss cross_entropy(output, label) + sum(square(grad(sum(square(output)), image)))")
tp = {k: v.clone().requires_grad_(True) for k, v in bp.items()}
xt = xb.clone().requires_grad_(True)
h = F.conv2d(xt.unsqueeze(1), tp["conv2d_1.w"].permute(3, 2, 0, 1), tp["conv2d_1.b"])
h = torch.tanh(F.batch_norm(h, None, None, tp["batchnorm_1.gamma"], tp["batchnorm_1.beta"],
                            True, 0.1, 1e-5))
out = nhwc(h).reshape(8, 2704) @ tp["dense_1.w"] + tp["dense_1.b"]
gx, = torch.autograd.grad(out.square().sum(), xt, create_graph=True)
loss = F.cross_entropy(out, lb) + gx.square().sum()
loss.backward()
got = run_gradients(NNC, BN2, {"image": xb, "label": lb, **bp, **state})
results.append(("second derivative through batch norm (training): loss",
                rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    if k != "conv2d_1.b":  # ~0, as above
        results.append((f"second derivative through batch norm (training): d loss/d {k}",
                        rel_error(got["grad." + k], t.grad), TOL))

def worst_against_largest(got, tp):
    """The model's largest gradient norm, and the worst gradient error of
    any parameter relative to its own norm, floored at 1e-3 of that largest
    (for parameters whose true gradient is 0)."""
    scale = max(t.grad.double().norm().item() for t in tp.values())
    worst = max((got["grad." + k].double() - t.grad.double()).norm().item()
                / max(t.grad.double().norm().item(), 1e-3 * scale)
                for k, t in tp.items())
    return scale, worst


# MLP-Mixer: patches, transposes, layer norms, GELU, residual sums, mean.
path = os.path.join(EXAMPLES, "mixer/mlp_mixer.nn")
mp = random_params(NNC, path)
tp = {k: v.clone().requires_grad_(True) for k, v in mp.items()}


def dense(v, pre):
    return v @ tp[pre + ".w"] + tp[pre + ".b"]


def ln(v, pre):
    return F.layer_norm(v, v.shape[-1:], tp[pre + ".gamma"], tp[pre + ".beta"], 1e-5)


def mlp(v, pre):
    return dense(F.gelu(dense(v, pre + ".dense_1")), pre + ".dense_2")


xm, lm = x[:4], label[:4]
h = dense(xm.reshape(4, 4, 7, 4, 7).permute(0, 1, 3, 2, 4).reshape(4, 16, 49), "dense_1")
for k in range(1, 5):
    blk = f"mixer_block_{k}"
    t = mlp(ln(h, blk + ".layernorm_1").permute(0, 2, 1), blk + ".mlp_1")
    y = h + t.permute(0, 2, 1)
    h = y + mlp(ln(y, blk + ".layernorm_2"), blk + ".mlp_2")
loss = F.cross_entropy(dense(ln(h, "layernorm_1").mean(1), "dense_2"), lm)
loss.backward()
got = run_gradients(NNC, open(path).read(), {"image": xm, "label": lm, **mp})
results.append(("mixer example: loss", rel_error(got["loss"], loss.detach()), TOL))
# The token-mixing MLPs' output biases are constant over channels, which
# every later layer norm removes: their true gradient is 0 and both sides
# hold rounding noise. Errors are therefore measured against the largest
# gradient of the model, not each tensor's own.
scale, worst = worst_against_largest(got, tp)
results.append((f"mixer example: worst of {len(tp)} parameter gradients", worst, TOL))
zero = max(t.grad.norm().item() for k, t in tp.items() if "mlp_1.dense_2.b" in k)
results.append(("mixer example: token-mixing output biases get ~0 (PyTorch too)", zero / scale, TOL))

# ResNet: convolutions, batch norm in training mode (batch statistics),
# residual sums, global average pooling.
path = os.path.join(EXAMPLES, "resnet/resnet_block.nn")
torch.manual_seed(5)
rp = random_params(NNC, path)
rstate = {k: v for k, v in rp.items() if k.endswith((".mean", ".var"))}
tp = {k: v.clone().requires_grad_(True) for k, v in rp.items() if k not in rstate}


def conv_same(v, pre):
    return nhwc(F.conv2d(nchw(v), tp[pre + ".w"].permute(3, 2, 0, 1), tp[pre + ".b"],
                         padding=1))


def bn_train(v, pre):
    return nhwc(F.batch_norm(nchw(v), None, None, tp[pre + ".gamma"], tp[pre + ".beta"],
                             True, 0.1, 1e-5))


xr, lr_ = x[:4], label[:4]
h = torch.relu(bn_train(conv_same(xr.unsqueeze(-1), "conv2d_1"), "batchnorm_1"))
for blk in ("residual_1", "residual_2"):
    y = torch.relu(bn_train(conv_same(h, blk + ".conv2d_1"), blk + ".batchnorm_1"))
    y = bn_train(conv_same(y, blk + ".conv2d_2"), blk + ".batchnorm_2")
    h = torch.relu(h + y)
loss = F.cross_entropy(h.mean((1, 2)) @ tp["dense_1.w"] + tp["dense_1.b"], lr_)
loss.backward()
got = run_gradients(NNC, open(path).read(), {"image": xr, "label": lr_, **rp})
results.append(("resnet example: loss", rel_error(got["loss"], loss.detach()), TOL))
# Biases right before a batch norm have a true gradient of 0 (the norm
# subtracts the mean); like the Mixer's, errors are measured against the
# model's largest gradient. Of the 5 x 100,352 ReLU inputs a few lie within
# 1e-5 of zero, where f32 rounding differences between two correct
# implementations flip the ReLU; those flips move the gradients of the
# layers before them by up to ~1e-2 of that scale, so the tolerance here is
# 5e-2 (a wrong rule is off by O(1)). `nnc check --gradcheck` checks these
# gradients in f64 against finite differences (test/autodiff).
scale, worst = worst_against_largest(got, tp)
results.append((f"resnet example: worst of {len(tp)} parameter gradients (ReLU kinks)",
                worst, 5e-2))


# Attention: learned queries, keys and values over image rows, softmax,
# layer norm, mean over tokens.
path = os.path.join(EXAMPLES, "attention/attention.nn")
ap = random_params(NNC, path)
tp = {k: v.clone().requires_grad_(True) for k, v in ap.items()}
xa, la = x[:4], label[:4]
h = dense(xa, "dense_1")
a = "self_attention_1.attention_1"
q, kk, vv = h @ tp[a + ".wq"], h @ tp[a + ".wk"], h @ tp[a + ".wv"]
att = torch.softmax(q @ kk.transpose(1, 2) / (64 ** 0.5), -1) @ vv
h = ln(h + att @ tp["self_attention_1.linear_1.w"], "self_attention_1.layernorm_1")
loss = F.cross_entropy(dense(h.mean(1), "dense_2"), la)
loss.backward()
got = run_gradients(NNC, open(path).read(), {"image": xa, "label": la, **ap})
results.append(("attention example: loss", rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    results.append((f"attention example: d loss/d {k}", rel_error(got["grad." + k], t.grad), TOL))

# Neural ODE: eight RK4 steps of a `for` loop (unrolled to differentiate)
# sharing the dynamics' weights.
path = os.path.join(EXAMPLES, "neural_ode/neural_ode.nn")
H = 64
op = {"f.w1": rand(H + 1, H) * 0.1, "f.w2": rand(H, H) * 0.1,
      "dense_1.w": rand(784, H) * 0.05, "dense_1.b": rand(H) * 0.1,
      "dense_2.w": rand(H, 10) * 0.1, "dense_2.b": rand(10) * 0.1}
tp = {k: v.clone().requires_grad_(True) for k, v in op.items()}
xo, lo = x[:8], label[:8]
loss = F.cross_entropy(neural_ode_logits(tp, xo), lo)
loss.backward()
got = run_gradients(NNC, open(path).read(), {"image": xo, "label": lo, **op})
results.append(("neural ode example: loss", rel_error(got["loss"], loss.detach()), TOL))
for k, t in tp.items():
    results.append((f"neural ode example: d loss/d {k}", rel_error(got["grad." + k], t.grad), TOL))

# grad(expr, wrt) in the language: an energy's input gradient, and
# Langevin-style steps in a `for` loop (each step differentiates again).
GRAD = """use std.layers
model G {
  input x: f32[B, 5]
  param w: f32[5, 4] = glorot_uniform()
  let e = sum(tanh(x @ w))
  let y = x
  for i in 0..3 {
    y = y - 0.1 * grad(sum(tanh(y @ w)), y)
  }
  output gx = grad(e, x)
  output walked = y
}
"""
gw = rand(5, 4)
gxin = rand(6, 5)
try:
    got = run_forward(NNC, GRAD, {"x": gxin, "w": gw})
    xg = gxin.clone().requires_grad_(True)
    want_gx, = torch.autograd.grad(torch.tanh(xg @ gw).sum(), xg)
    y = gxin.clone()
    for _ in range(3):
        yg = y.clone().requires_grad_(True)
        g, = torch.autograd.grad(torch.tanh(yg @ gw).sum(), yg)
        y = y - 0.1 * g
    results.append(("grad(sum(tanh(x @ w)), x)", rel_error(got["gx"], want_gx), TOL))
    results.append(("three gradient steps in a for loop", rel_error(got["walked"], y), TOL))
except Exception as e:
    results.append((f"grad expression: {e}", float("inf")))

# Images whose size is known only at run time (H, W symbolic): stride-1
# "same" convolutions (one dilated) and poolings, two image sizes.
SYM = """model Field {
  input x: f32[B, H, W, 2]
  input w: f32[3, 3, 2, 3]
  input v: f32[2, 2, 3, 2]
  let y = conv(x, w, padding: "same")
  let z = conv(y, v, padding: "same", dilation: 2)
  let p = maxpool(z, 3, stride: 1, padding: "same")
  mean(square(p)) + mean(avgpool(y, 3, stride: 1, padding: "same"))
}
"""
sw, sv = rand(3, 3, 2, 3), rand(2, 2, 3, 2)
for hw in ((5, 7), (8, 6)):
    xin = rand(2, *hw, 2)
    try:
        got = run_gradients(NNC, SYM, {"x": xin, "w": sw, "v": sv}, wrt_inputs=True)
        t = {k: v.clone().requires_grad_(True) for k, v in (("x", xin), ("w", sw), ("v", sv))}
        y = F.conv2d(nchw(t["x"]), t["w"].permute(3, 2, 0, 1), padding="same")
        z = F.conv2d(y, t["v"].permute(3, 2, 0, 1), padding="same", dilation=2)
        p_ = F.max_pool2d(z, 3, 1, padding=1)
        a_ = F.avg_pool2d(y, 3, 1, padding=1)
        loss = p_.square().mean() + a_.mean()
        loss.backward()
        for k in ("x", "w", "v"):
            results.append((f"symbolic image size {hw}: d/d{k}",
                            rel_error(got["grad." + k], t[k].grad), TOL))
    except Exception as e:
        results.append((f"symbolic image size {hw}: {e}", float("inf")))

# Concatenation and slices along a symbolic axis (T), and grad with
# respect to a tuple of tensors.
CAT = """model C {
  input x: f32[B, T, 4]
  input y: f32[B, T, 4]
  let (gx, gy) = grad(sum(tanh(x * y)), (x, y))
  mean(square(concat([x, y * 2.0], axis: 1))) + mean(x[:, 1:3, :]) +
    sum(gx * gy)
}
"""
for T in (3, 6):
    xin, yin = rand(2, T, 4), rand(2, T, 4)
    try:
        got = run_gradients(NNC, CAT, {"x": xin, "y": yin}, wrt_inputs=True)
        xt, yt = xin.clone().requires_grad_(True), yin.clone().requires_grad_(True)
        gx, gy = torch.autograd.grad(torch.tanh(xt * yt).sum(), (xt, yt), create_graph=True)
        loss = torch.cat([xt, yt * 2.0], 1).square().mean() + xt[:, 1:3, :].mean() + \
            (gx * gy).sum()
        loss.backward()
        results.append((f"symbolic concat/slice, tuple grad (T = {T}): d/dx",
                        rel_error(got["grad.x"], xt.grad), TOL))
        results.append((f"symbolic concat/slice, tuple grad (T = {T}): d/dy",
                        rel_error(got["grad.y"], yt.grad), TOL))
    except Exception as e:
        results.append((f"symbolic concat/slice, tuple grad (T = {T}): {e}", float("inf")))

# Second derivatives through pooling: the loss reads an input gradient of
# a pooled energy (nn.pool2d_grad), so its own gradient differentiates
# pool2d_grad (max: nn.pool2d_take reads each window's arg-max; average:
# average pooling), against torch.autograd.grad(create_graph=True).
for pool, tfn in (("maxpool(x, 3, stride: 2)", lambda v: F.max_pool2d(v, 3, 2)),
                  ('maxpool(x, 2)', lambda v: F.max_pool2d(v, 2)),
                  ("avgpool(x, 3, stride: 2, padding: 1)",
                   lambda v: F.avg_pool2d(v, 3, 2, padding=1))):
    src = f"""model P {{
  input x: f32[B, 7, 7, 2]
  let g = grad(sum(square({pool}) * 0.5), x)
  sum(square(g)) + sum(g * x)
}}
"""
    xin = rand(2, 7, 7, 2)
    try:
        got = run_gradients(NNC, src, {"x": xin}, wrt_inputs=True)
        xt = xin.clone().requires_grad_(True)
        g, = torch.autograd.grad((tfn(nchw(xt)).square() * 0.5).sum(), xt,
                                 create_graph=True)
        loss = g.square().sum() + (g * xt).sum()
        loss.backward()
        results.append((f"second derivative through {pool}",
                        rel_error(got["grad.x"], xt.grad), TOL))
    except Exception as e:
        results.append((f"second derivative through {pool}: {e}", float("inf")))

report(results)
