"""Every construct the documentation lists, compiled AND run by nnc: what
`nnc check` accepts, `nnc run` must run.

  documented_constructs.py NNC

1. Built-in functions: the list comes from `nnc --print-builtins`; every
   name must have an entry in BUILTINS below (a new built-in without one
   fails as 'builtin NAME: no snippet'). Each snippet is an output of a
   tiny model run with `nnc run --forward` on small random inputs: it
   passes when it runs and gives finite values of the documented shape and
   element type. The snippets are first run as one model; when that fails,
   the built-in the error points at runs alone and the others together
   again (halves when the error names none), so that a failure is
   reported by its own program. `print` runs in a
   `main` block, the data sets in train blocks (part 4), and the
   initializers as `param` initialisers through `nnc init`.
2. Standard library: every layer, loss, helper and optimizer of
   stdlib/std/*.nn (read from the files: a new one without a case fails)
   in a train block that trains one epoch on a tiny generated data set
   (`nnc run FILE --epochs 1 --limit 64 --no-progress`): exit code 0 and
   a finite loss.
3. Train-block clauses: every metric, schedule kind and clause of
   docs/language.md's table.
4. Data sources of docs/training.md, each in a train block that runs one
   epoch (MNIST only when its files are there).

Prints `ok   NAME` or `FAIL NAME: <first line of nnc's error>` per
construct, then 'N passed, M failed'; exits 1 on any failure."""
import atexit
import concurrent.futures
import gzip
import math
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import torch

from nnctest import load, save

NNC = sys.argv[1]
NNC = os.path.abspath(NNC) if os.sep in NNC else (shutil.which(NNC) or NNC)
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STDLIB = os.path.join(ROOT, "stdlib", "std")
TRAINTEST = os.path.join(ROOT, "test", "train", "traintest.py")
sys.path.insert(0, os.path.dirname(TRAINTEST))
from traintest import npy  # noqa: E402  (the .npy writer the data tests use)
WORK = tempfile.mkdtemp(prefix="nnc-constructs-")
TIMEOUT = 300
gen = torch.Generator().manual_seed(2024)


class Failure(Exception):
    pass


def first_error(r):
    """The first line of nnc's error: the first line naming an error, else
    the first line of stderr (or stdout), else the exit code."""
    text = (r.stderr or "") + "\n" + (r.stdout or "")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower():
            return l.replace(WORK + os.sep, "")
    if lines:
        return lines[0].replace(WORK + os.sep, "")
    return "exit code %d" % r.returncode


def nnc(*args):
    """Runs nnc; returns the CompletedProcess or raises Failure with the
    first line of its error when it exits with non-zero."""
    try:
        r = subprocess.run([NNC, *args], capture_output=True, text=True,
                           timeout=TIMEOUT, cwd=WORK)
    except subprocess.TimeoutExpired:
        raise Failure("timed out after %d s" % TIMEOUT)
    if r.returncode != 0:
        raise Failure(first_error(r) + " (exit code %d)" % r.returncode)
    return r


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


# --------------------------------------------------------------------------
# 1. Built-in functions, run forward.

# The model's inputs (B = 2).
INPUTS = {
    "x": ("f32[B, 4, 6]", lambda: torch.rand(2, 4, 6, generator=gen) * 4 - 2),
    "p": ("f32[B, 4, 6]", lambda: torch.rand(2, 4, 6, generator=gen) * 2.9 + 0.1),
    "ids": ("i64[B, 4]", lambda: torch.randint(0, 5, (2, 4), generator=gen)),
    "img": ("f32[B, 8, 8, 3]", lambda: torch.rand(2, 8, 8, 3, generator=gen)),
    "w": ("f32[3, 3, 3, 4]", lambda: torch.randn(3, 3, 3, 4, generator=gen) * 0.3),
    "wg": ("f32[3, 3, 1, 6]", lambda: torch.randn(3, 3, 1, 6, generator=gen) * 0.3),
    "table": ("f32[5, 6]", lambda: torch.randn(5, 6, generator=gen)),
    "m": ("f32[6, 3]", lambda: torch.randn(6, 3, generator=gen)),
}
TENSORS = {k: make() for k, (_, make) in INPUTS.items()}

X = [2, 4, 6]
F, I = "f32", "i64"
# name -> [(expression, shape, element type)]: one model output each.
BUILTINS = {
    # element-wise
    "relu": [("relu(x)", X, F)],
    "sigmoid": [("sigmoid(x)", X, F)],
    "tanh": [("tanh(x)", X, F)],
    "gelu": [("gelu(x)", X, F)],
    "softplus": [("softplus(x)", X, F)],
    "exp": [("exp(x)", X, F)],
    "log": [("log(p)", X, F)],
    "sqrt": [("sqrt(p)", X, F), ("x * sqrt(4.0)", X, F)],  # and a number
    "rsqrt": [("rsqrt(p)", X, F)],
    "abs": [("abs(x)", X, F)],
    "sin": [("sin(x)", X, F)],
    "cos": [("cos(x)", X, F)],
    "erf": [("erf(x)", X, F), ("x * erf(0.5)", X, F)],
    "silu": [("silu(x)", X, F)],
    "square": [("square(x)", X, F)],
    "floor": [("floor(x)", X, F)],
    "sign": [("sign(x)", X, F)],
    "log1p": [("log1p(p)", X, F)],
    "elu": [("elu(x)", X, F)],
    "leaky_relu": [("leaky_relu(x)", X, F), ("leaky_relu(x, slope: 0.2)", X, F)],
    "maximum": [("maximum(x, p)", X, F)],
    "minimum": [("minimum(x, 0.5)", X, F)],
    "pow": [("pow(p, 1.5)", X, F)],
    "where": [("where(x > 0.0, x, p)", X, F)],
    "clip": [("clip(x, -1.0, 1.0)", X, F)],
    "stop_gradient": [("stop_gradient(x)", X, F)],
    "cast": [("cast(ids, f32)", [2, 4], F), ("cast(x > 0.0, f32)", X, F),
             ("cast(x, i64)", X, I)],
    # reductions
    "sum": [("sum(x, axis: 1)", [2, 6], F), ("sum(x)", [], F)],
    "mean": [("mean(x, axis: -1, keepdims: true)", [2, 4, 1], F)],
    "max": [("max(x, axis: [1, 2])", [2], F)],
    "min": [("min(x, axis: 1)", [2, 6], F)],
    "logsumexp": [("logsumexp(x, axis: -1)", [2, 4], F)],
    "prod": [("prod(p, axis: 1)", [2, 6], F)],
    "argmax": [("argmax(x, axis: -1)", [2, 4], I)],
    "argmin": [("argmin(x, axis: 1)", [2, 6], I)],
    "softmax": [("softmax(x)", X, F), ("softmax(x, axis: 1)", X, F)],
    "log_softmax": [("log_softmax(x)", X, F)],
    # normalisation and regularisation
    "batch_norm": [("batch_norm(x, ones([6]), zeros([6]), zeros([6]), ones([6]), "
                    "momentum: 0.1, eps: 1e-5)", X, F)],
    "layer_norm": [("layer_norm(x, ones([6]), zeros([6]), eps: 1e-5)", X, F)],
    "dropout": [("dropout(x, 0.5)", X, F)],
    # shapes
    "matmul": [("matmul(x, m)", [2, 4, 3], F)],
    "transpose": [("transpose(x)", [2, 6, 4], F),
                  ("transpose(x, [1, 0, 2])", [4, 2, 6], F)],
    "reshape": [("reshape(x, [B, -1])", [2, 24], F),
                ("reshape(x, [B, 2, 12])", [2, 2, 12], F)],
    "flatten": [("flatten(x)", [2, 24], F), ("flatten(img, 2)", [2, 8, 24], F)],
    "unsqueeze": [("unsqueeze(x, 1)", [2, 1, 4, 6], F)],
    "squeeze": [("squeeze(sum(x, axis: 1, keepdims: true), 1)", [2, 6], F)],
    "concat": [("concat([x, p], axis: 1)", [2, 8, 6], F),
               ("concat([x, p])", [2, 4, 12], F)],
    "stack": [("stack([x, p], axis: 1)", [2, 2, 4, 6], F),
              ("stack([x, p, x])", [3, 2, 4, 6], F)],
    "gather": [("gather(table, ids)", [2, 4, 6], F)],
    "one_hot": [("one_hot(ids, 5)", [2, 4, 5], F)],
    # convolution and pooling
    "conv": [("conv(img, w)", [2, 6, 6, 4], F),
             ('conv(img, w, stride: 2, padding: "same")', [2, 4, 4, 4], F),
             ("conv(img, w, padding: 1, dilation: 2)", [2, 6, 6, 4], F),
             ("conv(img, wg, groups: 3)", [2, 6, 6, 6], F)],
    "conv_transpose": [("conv_transpose(img, w)", [2, 10, 10, 4], F),
                       ("conv_transpose(img, w, stride: 2, padding: 1)",
                        [2, 15, 15, 4], F)],
    "upsample": [("upsample(img, 2)", [2, 16, 16, 3], F)],
    "maxpool": [("maxpool(img, 2)", [2, 4, 4, 3], F),
                ("maxpool(img, 3, stride: 2, padding: 1)", [2, 4, 4, 3], F)],
    "avgpool": [("avgpool(img, 2)", [2, 4, 4, 3], F),
                ("avgpool(img, 3, stride: 1, padding: 1)", [2, 8, 8, 3], F)],
    "global_avgpool": [("global_avgpool(img)", [2, 3], F)],
    # random and constructors
    "normal": [("normal([B, 3])", [2, 3], F),
               ("normal([B, 3], mean: 1.0, std: 0.5, seed: 7)", [2, 3], F)],
    "uniform": [("uniform([B, 3], low: -1.0, high: 1.0, seed: 2)", [2, 3], F)],
    "gumbel": [("gumbel([B, 3], seed: 1)", [2, 3], F)],
    "bernoulli": [("bernoulli(sigmoid(x), seed: 3)", X, F)],
    "normal_like": [("normal_like(x)", X, F),
                    ("normal_like(x, mean: 1.0, std: 2.0, seed: 5)", X, F)],
    "uniform_like": [("uniform_like(x)", X, F),
                     ("uniform_like(x, low: -2.0, high: 2.0, seed: 4)", X, F)],
    "gumbel_like": [("gumbel_like(x, seed: 6)", X, F)],
    "zeros": [("zeros([B, 3])", [2, 3], F), ("zeros([2, 3], i64)", [2, 3], I)],
    "ones": [("ones([2, 3])", [2, 3], F)],
    "full": [("full([B, 3], 2.5)", [2, 3], F)],
    "zeros_like": [("zeros_like(x)", X, F)],
    "ones_like": [("ones_like(ids)", [2, 4], I)],
    "arange": [("arange(5)", [5], I)],
    # gradients (docs: expressions)
    "grad": [("grad(sum(square(x)), x)", X, F)],
}
# Built-ins tested elsewhere: name -> the case (below) that uses them.
ELSEWHERE = {
    "print": "print (main block)",
    "fashion_mnist": "data fashion_mnist",
    "mnist": "data mnist",
    "idx": "data idx (.gz)",
    "csv": "data csv (label)",
    "npy": "data npy (labels)",
    "image_folder": "data image_folder (channels 1)",
    "text_chars": "data text_chars",
    "ratings": "data ratings",
    "subset": "data subset",
    "split": "data split",
    "augment": "data augment (flip)",
    "zip": "data zip",
    "save_image": "pictures (main block)",
    "image": "pictures (main block)",
    "print_text": "text and sampling (main block)",
}
# Standard-library names tested in a main block rather than by training.
STD_ELSEWHERE = {
    "sample": "text and sampling (main block)",
    "kth_largest": "text and sampling (main block)",
}
DT = {F: torch.float32, I: torch.int64}


def forward_model(entries):
    """entries: [(output name, expression)] -> the .nn source."""
    lines = ["model Case {"]
    lines += ["  input %s: %s" % (n, t) for n, (t, _) in INPUTS.items()]
    lines += ["  output %s = %s" % (o, e) for o, e in entries]
    return "\n".join(lines) + "\n}\n"


def run_forward_file(tag, entries):
    src = write(tag + ".nn", forward_model([(o, e) for o, e, _, _ in entries]))
    inp, out = src[:-3] + ".in.safetensors", src[:-3] + ".out.safetensors"
    save(inp, TENSORS)
    nnc("run", src, "--forward", inp, "-o", out)
    return load(out)


def check_outputs(got, entries):
    """entries: [(output, expr, shape, dtype)]; raises Failure for the
    first output that is missing or wrong."""
    for o, e, shape, dt in entries:
        if o not in got:
            raise Failure("'%s' gave no output" % e)
        t = got[o]
        if list(t.shape) != shape:
            raise Failure("'%s' has shape %s, documented %s" % (e, list(t.shape), shape))
        if t.dtype != DT[dt]:
            raise Failure("'%s' is %s, documented %s" % (e, t.dtype, dt))
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise Failure("'%s' is not finite: %s" % (e, t.flatten()[:8].tolist()))


def builtin_entries(name):
    return [("o_%s_%d" % (name, k), e, s, d)
            for k, (e, s, d) in enumerate(BUILTINS[name])]


def run_builtins(tag, names):
    entries = [e for n in names for e in builtin_entries(n)]
    check_outputs(run_forward_file(tag, entries), entries)


def blame_builtin(tag, names, reason):
    """The built-in a failure of the model TAG.nn points at: by the line
    of nnc's error (one output per line after the inputs), or by the
    expression check_outputs names."""
    owners = [n for n in names for _ in BUILTINS[n]]
    m = re.match(re.escape(tag) + r"\.nn:(\d+):", reason)
    if m:
        k = int(m.group(1)) - 2 - len(INPUTS)
        return owners[k] if 0 <= k < len(owners) else None
    for n in names:
        if any(reason.startswith("'%s'" % e) for e, _, _ in BUILTINS[n]):
            return n
    return None


def grouped(tag, names, run, blame, alone_tag):
    """Runs `run(tag, names)`: all names in one program. When that fails,
    the name `blame` points at is run alone (`alone_tag(name)`) and the
    others together again; without one, each half. Returns {name: reason
    or None}, so that every failure is reported by its own program."""
    reason = attempt(run, tag, names)
    if reason is None:
        return {n: None for n in names}
    if len(names) == 1:
        return {names[0]: reason}
    n = blame(tag, names, reason)
    if n is not None:
        alone = attempt(run, alone_tag(n), [n])
        if alone is not None:
            out = grouped(tag + "_r", [m for m in names if m != n], run, blame, alone_tag)
            out[n] = alone
            return out
    half = len(names) // 2
    out = grouped(tag + "_a", names[:half], run, blame, alone_tag)
    out.update(grouped(tag + "_b", names[half:], run, blame, alone_tag))
    return out


def builtins_listed():
    """(functions, initializers) listed by `nnc --print-builtins`."""
    out = nnc("--print-builtins").stdout
    funcs, inits = [], []
    for line in out.splitlines():
        m = re.match(r"initializer (\w+)", line)
        if m:
            inits.append(m.group(1))
            continue
        m = re.match(r"(\w+)\(", line)
        if m:
            funcs.append(m.group(1))
    if not funcs or not inits:
        raise Failure("--print-builtins listed nothing:\n" + out)
    return funcs, inits


# --------------------------------------------------------------------------
# Initializers, through `nnc init`.

INITS = {
    "zeros": "zeros()", "ones": "ones()", "constant": "constant(0.5)",
    "normal": "normal(0.0, 0.2)", "uniform": "uniform(-0.3, 0.3)",
    "truncated_normal": "truncated_normal(0.1)",
    "glorot_uniform": "glorot_uniform()", "glorot_normal": "glorot_normal()",
    "xavier_uniform": "xavier_uniform()", "xavier_normal": "xavier_normal()",
    "he_uniform": "he_uniform()", "he_normal": "he_normal()",
    "kaiming_uniform": "kaiming_uniform()", "kaiming_normal": "kaiming_normal()",
    "orthogonal": "orthogonal()", "number": "0.25",
}


def init_check(name, t):
    if not torch.isfinite(t).all():
        raise Failure("%s gave non-finite values" % name)
    exact = {"zeros": 0.0, "ones": 1.0, "constant": 0.5, "number": 0.25}
    if name in exact:
        if not (t == exact[name]).all():
            raise Failure("%s gave %s" % (name, t.flatten()[:6].tolist()))
        return
    if (t == t.flatten()[0]).all():
        raise Failure("%s gave a constant tensor %s" % (name, t.flatten()[0]))
    if name == "uniform" and not ((t >= -0.3) & (t < 0.3)).all():
        raise Failure("uniform(-0.3, 0.3) gave values outside [-0.3, 0.3)")
    if name == "orthogonal":
        err = (t.double() @ t.double().T - torch.eye(t.shape[0])).abs().max().item()
        if err > 1e-4:
            raise Failure("orthogonal() gave W W^T - I up to %.2e" % err)


def init_program(names):
    params = "\n".join("  param w_%s: f32[4, 4] = %s" % (n, INITS[n]) for n in names)
    total = " + ".join("w_%s" % n for n in names)
    return f"""use std.layers, std.losses, std.optim
layer inits(x: f32[B, 4]) -> f32[B, 4] {{
{params}
  x @ ({total})
}}
model Inits {{
  input x: f32[B, 4]
  x |> inits |> dense(3)
}}
train Inits on csv("blobs.csv", 4, "species") {{
  batch 16
  epochs 1
  loss cross_entropy(output, label)
  optimizer sgd(lr: 0.01)
}}
"""


def blame_init(tag, names, reason):
    m = re.match(re.escape(tag) + r"\.nn:(\d+):", reason)
    if m:
        k = int(m.group(1)) - 3  # the params start on line 3
        return names[k] if 0 <= k < len(names) else None
    for n in names:
        if reason.startswith(n + " ") or "w_%s'" % n in reason:
            return n
    return None


def run_inits(tag, names):
    src = write(tag + ".nn", init_program(names))
    out = src[:-3] + ".safetensors"
    nnc("init", src, "-o", out)
    got = load(out)
    for n in names:
        keys = [k for k in got if k.endswith(".w_" + n)]
        if len(keys) != 1:
            raise Failure("no parameter '*.w_%s' in %s" % (n, sorted(got)))
        init_check(n, got[keys[0]])


# --------------------------------------------------------------------------
# 2-4. Train blocks.

LOSS_RE = re.compile(r"^epoch \d+/\d+ .*?\bloss (\S+)", re.M)


def train(tag, source, args=("--epochs", "1"), check=None):
    """Writes and trains `source` one epoch (`args`), 64 samples; the
    last epoch line's loss must be finite; `check(stdout)` may test more."""
    src = write(tag + ".nn", source)
    r = nnc("run", src, "--limit", "64", "--no-progress", *args)
    losses = LOSS_RE.findall(r.stdout)
    if not losses:
        raise Failure("no epoch line with a loss in: %r" % r.stdout[:300])
    try:
        loss = float(losses[-1])
    except ValueError:
        loss = float("nan")
    if not math.isfinite(loss):
        raise Failure("loss %s" % losses[-1])
    if check:
        check(r.stdout)


USE = "use std.layers, std.losses, std.optim, std.data\n"
CSV = 'csv("blobs.csv", 4, "species")'
PNGS = 'image_folder("pngs", 8, 8, 1)'
TEXT = 'text_chars("text.txt", seq: 8)'
SEQ_CE = """fn sequence_ce(logits: f32[B, T, V], y: i64[B, T]) -> f32 {
  -mean(sum(one_hot(y, V) * log_softmax(logits), axis: -1))
}
"""
MLP = "x |> dense(16) |> relu |> dense(3)"


def block(model, data, loss, opt="adam(lr: 0.01)", clauses=""):
    return f"""train {model} on {data} {{
  batch 16
  epochs 1
  loss {loss}
  optimizer {opt}
{clauses}}}
"""


def blobs(body=MLP, loss="cross_entropy(output, label)", opt="adam(lr: 0.01)",
          clauses="", data=CSV, pre=""):
    body = "\n".join("  " + l for l in body.strip().splitlines())
    return (USE + pre + "model M {\n  input x: f32[B, 4]\n" + body + "\n}\n" +
            block("M", data, loss, opt, clauses))


def images(body, data=PNGS, channels=1, clauses=""):
    return (USE + "model M {\n  input image: f32[B, 8, 8, %d]\n  %s\n}\n" % (channels, body) +
            block("M", data, "cross_entropy(output, label)", clauses=clauses))


def text(body, data=TEXT, loss="sequence_ce(output, y)"):
    body = "\n".join("  " + l for l in body.strip().splitlines())
    return (USE + SEQ_CE + "model M {\n  input x: i64[B, 8]\n" + body + "\n}\n" +
            block("M", data, loss))


def mnist28(data, body="image |> flatten |> dense(16) |> relu |> dense(10)",
            clauses=""):
    return (USE + "model M {\n  input image: f32[B, 28, 28]\n  %s\n}\n" % body +
            block("M", data, "cross_entropy(output, label)", clauses=clauses))


ENC = """let enc = dense(4)
output a = enc(x)
output pos = enc(x + 0.1 * normal_like(x))
output neg = enc(-x)"""
VAE = """let h = x |> dense(16) |> relu
output mu = h |> dense(2)
output logvar = h |> dense(2)
output logits = (mu + exp(0.5 * logvar) * normal_like(mu)) |> dense(3)"""
ONE_HOT = "one_hot(label, 3)"

# Standard library: name (as declared in stdlib/std/*.nn) -> [(case, source)].
STD = {
    # std.layers
    "dense": [("dense", blobs())],
    "linear": [("linear", blobs("x |> linear(16) |> relu |> linear(3)"))],
    "conv2d": [
        ("conv2d", images("image |> conv2d(4, 3) |> relu |> flatten |> dense(2)")),
        ("conv2d(stride, padding, dilation, groups)", images(
            'image |> conv2d(4, 3, padding: "same", dilation: 2) |> relu '
            '|> conv2d(4, 3, stride: 2, padding: "same", groups: 2) |> relu '
            '|> flatten |> dense(2)')),
        # The layer's comment: 'padding "valid", "same" or an integer'.
        ("conv2d(padding: integer)", images(
            "image |> conv2d(4, 3, padding: 1) |> relu |> flatten |> dense(2)"))],
    "conv2d_transpose": [
        ("conv2d_transpose", images(
            "image |> conv2d_transpose(2, 2) |> relu |> flatten |> dense(2)")),
        ("conv2d_transpose(stride, padding)", images(
            "image |> conv2d_transpose(2, 3, stride: 1, padding: 1) |> relu |> flatten "
            "|> dense(2)"))],
    "batchnorm": [("batchnorm", blobs(
        "x |> dense(16) |> batchnorm(momentum: 0.2, eps: 1e-3) |> relu |> dense(3)",
        clauses="  validate on %s\n" % CSV))],
    "layernorm": [("layernorm", blobs(
        "x |> dense(16) |> layernorm(eps: 1e-4) |> relu |> dense(3)"))],
    "embedding": [("embedding", text("x |> embedding(128, 8) |> dense(128)"))],
    "lstm_cell": [("lstm_cell", blobs(
        "let (h, c) = lstm_cell(8)(x, zeros([B, 8]), zeros([B, 8]))\n(h + c) |> dense(3)"))],
    "lstm": [("lstm", text("x |> embedding(128, 8) |> lstm(16) |> dense(128)"))],
    "gru_cell": [("gru_cell", blobs("gru_cell(8)(x, zeros([B, 8])) |> dense(3)"))],
    "gru": [("gru", text("x |> embedding(128, 8) |> gru(16) |> dense(128)"))],
    "attention": [("attention", text(
        "let e = x |> embedding(128, 8)\nattention(8)(e, e) |> dense(128)"))],
    "self_attention": [("self_attention", text(
        "x |> embedding(128, 8) |> self_attention(8) |> dense(128)"))],
    # std.losses
    "cross_entropy": [("cross_entropy", blobs())],
    "sequence_cross_entropy": [("sequence_cross_entropy", text(
        "x |> embedding(128, 8) |> dense(128)",
        loss="sequence_cross_entropy(output, y)"))],
    "binary_cross_entropy": [("binary_cross_entropy", blobs(
        loss="binary_cross_entropy(output, %s)" % ONE_HOT))],
    "mse": [("mse", blobs(loss="mse(output, %s)" % ONE_HOT))],
    "mae": [("mae", blobs(loss="mae(output, %s)" % ONE_HOT))],
    "kl_normal": [("kl_normal", blobs(
        VAE, loss="cross_entropy(logits, label) + kl_normal(mu, logvar)"))],
    "triplet": [("triplet", blobs(ENC, loss="triplet(a, pos, neg, margin: 0.5)"))],
    "contrastive": [("contrastive", blobs(
        ENC, loss="contrastive(a, neg, %s[:, 1], margin: 2.0)" % ONE_HOT))],
    "partial_multilabel": [("partial_multilabel", blobs(
        loss="partial_multilabel(output, %s, ones_like(output))" % ONE_HOT))],
    "preference": [("preference", blobs(loss="preference(output[:, 0], output[:, 1])"))],
    "sharpen": [("sharpen", blobs(loss="mse(sharpen(softmax(output), 0.5), %s)" % ONE_HOT))],
    "mixup": [("mixup", blobs(loss="cross_entropy(mixup(output, output * 0.5, 0.7), label)"))],
    # A metric, not a loss: no gradient flows through it.
    "accuracy": [("accuracy", blobs(
        loss="cross_entropy(output, label) + 0.0 * stop_gradient(accuracy(output, label))"))],
    "gumbel_softmax": [("gumbel_softmax", blobs(
        loss="mse(gumbel_softmax(output, 0.5), %s)" % ONE_HOT))],
    # std.optim
    "sgd": [("sgd", blobs(opt="sgd(lr: 0.1, weight_decay: 1e-4)"))],
    "momentum": [
        ("momentum", blobs(opt="momentum(lr: 0.05, beta: 0.8, weight_decay: 1e-4)")),
        ("momentum(nesterov: true)", blobs(opt="momentum(lr: 0.05, nesterov: true)"))],
    "rmsprop": [("rmsprop", blobs(opt="rmsprop(lr: 0.01, rho: 0.9, eps: 1e-7)"))],
    "adam": [("adam", blobs(
        opt="adam(lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-7, weight_decay: 1e-4)"))],
    "adamw": [("adamw", blobs(
        opt="adamw(lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-7, weight_decay: 0.05)"))],
    # std.data
    "to_nhwc": [("to_nhwc", mnist28(
        'idx("idx/train-images-idx3-ubyte.gz", "idx/train-labels-idx1-ubyte.gz", 28, 28)',
        "image |> to_nhwc |> conv2d(2, 3, stride: 2) |> relu |> flatten |> dense(10)"))],
    "standardize": [("standardize", blobs(
        "standardize(x, 1.0, 2.0) |> dense(16) |> relu |> dense(3)"))],
}


def two_epochs(stdout):
    if "epoch 2/2" not in stdout:
        raise Failure("no 'epoch 2/2' line: %r" % stdout[:300])


def lr_changes(stdout):
    lrs = re.findall(r"\blr (\S+)", stdout)
    if len(lrs) < 2 or lrs[0] == lrs[-1]:
        raise Failure("the lr did not change between epochs: %s" % lrs)


def checkpoint_written(stdout):
    got = load(os.path.join(WORK, "clause_checkpoint.safetensors"))
    if "train.epoch" not in got or "train.step" not in got:
        raise Failure("the checkpoint lacks train.epoch/train.step: %s" % sorted(got))


def metric_shown(*names):
    def check(stdout):
        for n in names:
            if not re.search(r"\b%s \S+" % n, stdout):
                raise Failure("no '%s' on the epoch line: %r" % (n, stdout[:300]))
    return check


VALIDATE = "  validate on %s\n" % CSV
REGRESSION = "x |> dense(8) |> relu |> dense(1)"
REG_LOSS = "mse(output, cast(unsqueeze(label, 1), f32))"
TEMPERATURE_MODEL = """use std.layers, std.losses, std.optim
model M(temperature: float = 1.0) {
  input x: f32[B, 4]
  x |> dense(16) |> relu |> dense(3) |> gumbel_softmax(temperature)
}
"""
CUSTOM_STEP = USE + """model Net {
  input x: f32[B, 4]
  %s
}
train on %s {
  batch 16
  epochs 1
  let net = Net()
  optimizer opt = adam(lr: 0.01) over net
  step {
    opt.minimize(cross_entropy(net(x), label))
  }
}
""" % (MLP, CSV)
TWO_GROUPS = USE + """model Enc {
  input x: f32[B, 4]
  x |> dense(8) |> relu
}
model Head {
  input h: f32[B, 8]
  h |> dense(3)
}
train on %s {
  batch 16
  epochs 1
  let enc = Enc()
  let head = Head()
  optimizer e_opt = sgd(lr: 0.05) over enc
  optimizer h_opt = adam(lr: 0.01) over head
  step {
    h_opt.minimize(cross_entropy(head(stop_gradient(enc(x))), label))
    e_opt.minimize(cross_entropy(head(enc(x)), label))
  }
}
""" % CSV
GRAD_LOSS = blobs(loss="cross_entropy(output, label) + 0.01 * sum(square(grad(sum(output), x)))")

# Train-block clauses: (case, source, args, check).
E2 = ("--epochs", "2")
CLAUSES = [
    ("clause batch", blobs(clauses="").replace("batch 16", "batch 7"), ("--epochs", "1"), None),
    ("clause epochs", blobs().replace("epochs 1", "epochs 2"), (), two_epochs),
    ("clause shuffle", blobs(clauses="  shuffle\n"), ("--epochs", "1"), None),
    ("clause shuffle false", blobs(clauses="  shuffle false\n"), ("--epochs", "1"), None),
    ("clause seed", blobs(clauses="  seed 7\n"), ("--epochs", "1"), None),
    ("clause loss (a grad(...) in the loss)", GRAD_LOSS, ("--epochs", "1"), None),
    ("clause optimizer NAME = ...", blobs(opt="main_opt = adam(lr: 0.01)"), ("--epochs", "1"), None),
    ("clause metrics accuracy", blobs(clauses="  metrics accuracy\n"), ("--epochs", "1"),
     metric_shown("acc")),
    ("clause metrics top_k(2)", blobs(clauses="  metrics accuracy, top_k(2)\n"), ("--epochs", "1"),
     metric_shown("top_2")),
    ("clause metrics mse", blobs(REGRESSION, REG_LOSS, clauses="  metrics mse\n"),
     ("--epochs", "1"), metric_shown("mse")),
    ("clause metrics mae", blobs(REGRESSION, REG_LOSS, clauses="  metrics mae\n"),
     ("--epochs", "1"), metric_shown("mae")),
    ("clause validate on", blobs(clauses=VALIDATE), ("--epochs", "1"), metric_shown("val_loss")),
    ("clause validate on ... every 2",
     blobs(clauses="  validate on %s every 2\n" % CSV), E2, metric_shown("val_loss")),
    ("clause checkpoint", blobs(clauses='  checkpoint "clause_checkpoint.safetensors"\n'),
     ("--epochs", "1"), checkpoint_written),
    ("clause schedule constant()", blobs(clauses="  schedule lr = constant()\n"), E2, None),
    ("clause schedule step(every, gamma)",
     blobs(clauses="  schedule lr = step(every: 1, gamma: 0.5)\n"), E2, lr_changes),
    ("clause schedule exponential(gamma)",
     blobs(clauses="  schedule exponential(gamma: 0.5)\n"), E2, lr_changes),
    ("clause schedule exponential(start, end)",
     blobs(clauses="  schedule lr = exponential(start: 0.01, end: 0.001)\n"), E2, lr_changes),
    ("clause schedule cosine(min)",
     blobs(clauses="  schedule lr = cosine(min: 0.0001)\n"), E2, lr_changes),
    ("clause schedule warmup(steps)",
     blobs(clauses="  schedule lr = warmup(steps: 6)\n"), E2, lr_changes),
    ("clause schedule linear(start, end)",
     blobs(clauses="  schedule lr = linear(start: 0.01, end: 0.001)\n"), E2, lr_changes),
    ("clause schedule of a model float hyper-parameter",
     TEMPERATURE_MODEL + block("M", CSV, "mse(output, %s)" % ONE_HOT,
                               clauses="  schedule temperature = exponential(start: 2.0, end: 0.5)\n"),
     E2, None),
    ("clause clip_norm", blobs(clauses="  clip_norm 0.5\n"), ("--epochs", "1"), None),
    ("clause early_stop", blobs(clauses=VALIDATE + "  early_stop 1\n"), ("--epochs", "3"), None),
    ("clause log_every", blobs(clauses="  log_every 2\n"), ("--epochs", "1"), None),
    ("clause let + step (custom step)", CUSTOM_STEP, ("--epochs", "1"), None),
    ("clause optimizer ... over (two groups)", TWO_GROUPS, ("--epochs", "1"), None),
]

IDX_GZ = 'idx("idx/train-images-idx3-ubyte.gz", "idx/train-labels-idx1-ubyte.gz", 28, 28)'
IDX_PLAIN = 'idx("idx/train-images-idx3-ubyte", "idx/train-labels-idx1-ubyte", 28, 28)'
RATINGS = USE + """model Rec {
  input user: i64[B]
  input item: i64[B]
  sum((user |> embedding(10, 4)) * (item |> embedding(10, 4)), axis: -1)
}
""" + block("Rec", 'ratings("ratings.csv")', "mse(output, rating)")
AUTOENCODER = "x |> dense(2) |> relu |> dense(4)"


def mnist_present():
    dirs = [d for d in os.environ.get("NNC_DATA_PATH", "").split(":") if d]
    dirs.append("/usr/share/datasets")
    for d in dirs:
        if os.path.exists(os.path.join(d, "mnist", "train-images-idx3-ubyte.gz")):
            return True
    return False


DATA = [
    ("data fashion_mnist", mnist28('fashion_mnist("train")',
                                   clauses='  validate on fashion_mnist("test")\n')),
    ("data mnist", mnist28('mnist("train")', clauses='  validate on mnist("test")\n')),
    ("data idx (.gz)", mnist28(IDX_GZ)),
    ("data idx (plain)", mnist28(IDX_PLAIN)),
    ("data csv (label)", blobs()),
    ("data csv (no label)", blobs(AUTOENCODER, "mse(output, x)",
                                  data='csv("features.csv", 4)')),
    ("data npy (labels)", blobs(data='npy("blobs_x.npy", [4], "blobs_y.npy")')),
    ("data npy (named arguments)", blobs(
        data='npy(x: "blobs_x.npy", shape: [4], labels: "blobs_y.npy")')),
    ("data npy (no labels)", blobs(AUTOENCODER, "mse(output, x)", data='npy("blobs_x.npy", [4])')),
    ("data npy (|u1)", images("image |> flatten |> dense(2)",
                              data='npy("u1_x.npy", [8, 8, 1], "u1_y.npy")')),
    ("data image_folder (channels 1)", images("image |> flatten |> dense(2)")),
    ("data image_folder (default channels)",
     images("image |> flatten |> dense(2)", data='image_folder("pngs", 8, 8)', channels=3)),
    ("data text_chars", text("x |> embedding(128, 8) |> dense(128)")),
    ("data text_chars (vocab)", text("x |> embedding(128, 8) |> dense(128)",
                                     data='text_chars("text.txt", seq: 8, vocab: 128)')),
    ("data ratings", RATINGS),
    ("data subset", blobs(data="subset(%s, 40)" % CSV)),
    ("data split", blobs(data="split(%s, 0.0, 0.8)" % CSV,
                         clauses="  validate on split(%s, 0.8, 1.0)\n" % CSV)),
    ("data augment (flip)", images("image |> flatten |> dense(2)",
                                   data="augment(%s, flip: true)" % PNGS)),
    ("data augment (crop)", images("image |> flatten |> dense(2)",
                                   data="augment(%s, crop: 1)" % PNGS)),
    ("data augment (noise)", images("image |> flatten |> dense(2)",
                                    data="augment(%s, noise: 0.05)" % PNGS)),
    ("data zip", blobs(data='zip(%s, subset(%s, 10), "l")' % (CSV, CSV))),
]

MAIN_PRINT = USE + """model Tiny {
  input x: f32[B, 4]
  x |> dense(3)
}
main {
  let m = Tiny()
  print("ones", ones([2, 3]))
  print(arange(4))
  print("logits", m(ones([2, 4])))
}
"""
MAIN_PICTURES = """main {
  let test = subset(fashion_mnist("test"), 4)
  save_image(test.image, "%(work)s/grid4.png", columns: 2)
  save_image(test.image[0], "%(work)s/one.png")
  let one = image("pngs/a_topleft/00.png", 8, 8, 1)
  print("pixels", one.image[0, 0:2, 0:2, 0])
}
"""
MAIN_TEXT = """use std.sampling
main {
  print_text(reshape(cast(arange(3), i64) + 97, [1, 3]))
  let logits = zeros([2, 5]) + reshape(cast(arange(5), f32), [1, 5])
  print("drawn", sample(0.01, 2)(logits))
  print("kth", kth_largest(2)(logits))
}
"""
MAIN_DATA = """main {
  let test = fashion_mnist("test")
  print("labels", test.label[0:4])
}
"""


def run_main(tag, source, wants):
    out = nnc("run", write(tag + ".nn", source)).stdout
    for want in wants:
        if want not in out:
            raise Failure("the main block printed no %r: %r" % (want, out[:300]))


# --------------------------------------------------------------------------
# Data.

def make_data():
    py = sys.executable
    for args in (["blobs", WORK], ["idx", os.path.join(WORK, "idx"), "--bad-label", "3"],
                 ["text", os.path.join(WORK, "text.txt")]):
        subprocess.run([py, TRAINTEST, *args], check=True)
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]:
        with gzip.open(os.path.join(WORK, "idx", name + ".gz")) as f, \
                open(os.path.join(WORK, "idx", name), "wb") as g:
            g.write(f.read())
    with open(os.path.join(WORK, "blobs.csv")) as f, \
            open(os.path.join(WORK, "features.csv"), "w") as g:  # no label column
        g.write("".join(",".join(l.split(",")[:4]) + "\n" for l in f.read().splitlines()))
    with open(os.path.join(WORK, "ratings.csv"), "w") as f:
        f.write("user,item,rating\n")
        for k in range(100):
            f.write("%d,%d,%.1f\n" % (k % 10, (k * 7) % 10, 1 + (k * 13) % 5))
    # 8x8x1 byte images, bright top or bottom half, and their labels.
    n = 40
    pix = bytearray()
    for k in range(n):
        for y in range(8):
            pix += bytes([220 if (y < 4) == (k % 2 == 0) else 20] * 8)
    npy(os.path.join(WORK, "u1_x.npy"), "|u1", (n, 8, 8, 1), bytes(pix))
    npy(os.path.join(WORK, "u1_y.npy"), "<i8", (n,),
        b"".join(struct.pack("<q", k % 2) for k in range(n)))


# --------------------------------------------------------------------------

def attempt(fn, *args):
    try:
        fn(*args)
        return None
    except Failure as e:
        return str(e)
    except Exception as e:  # a broken output file, a bad tensor, ...
        return "%s: %s" % (type(e).__name__, e)


def std_declared():
    names = {}
    for f in sorted(os.listdir(STDLIB)):
        if f.endswith(".nn"):
            with open(os.path.join(STDLIB, f)) as src:
                for m in re.finditer(r"^(?:layer|fn|optimizer|model)\s+(\w+)", src.read(), re.M):
                    names[m.group(1)] = "std." + f[:-3]
    return names


def main():
    start = time.time()
    results = []  # (name, reason or None)
    notes = []
    make_data()
    # nnc waits part of the time (files, linking): one more job than cores
    # (2 cores: 39 s instead of 63 s with 2 jobs).
    workers = max(3, min(6, (os.cpu_count() or 2) + 1))
    pool = concurrent.futures.ThreadPoolExecutor(workers)

    # Coverage: every listed built-in and every standard-library name has a case.
    funcs, inits = builtins_listed()
    all_cases = {c for c, _ in DATA} | {"print (main block)", "pictures (main block)",
                                        "text and sampling (main block)"}
    for f in funcs:
        if f not in BUILTINS and f not in ELSEWHERE:
            results.append(("builtin " + f, "no snippet in BUILTINS for this built-in"))
        elif f in ELSEWHERE and ELSEWHERE[f] not in all_cases:
            results.append(("builtin " + f, "no case '%s'" % ELSEWHERE[f]))
    for n in inits:
        if n not in INITS:
            results.append(("initializer " + n, "no case in INITS for this initializer"))
    for name, module in std_declared().items():
        if name not in STD and name not in STD_ELSEWHERE:
            results.append(("%s.%s" % (module, name), "no case in STD for it"))
    for name in BUILTINS:
        if name not in funcs:
            notes.append("note: '%s' has a snippet but --print-builtins does not list it" % name)

    # Built-ins: all in one model; see grouped() for failures.
    forward = [n for n in funcs if n in BUILTINS] + [n for n in BUILTINS if n not in funcs]

    builtin_job = pool.submit(grouped, "builtins", forward, run_builtins, blame_builtin,
                              lambda n: "builtin_" + n)
    init_job = pool.submit(grouped, "inits", list(INITS), run_inits, blame_init,
                           lambda n: "init_" + n)
    main_jobs = [
        ("print (main block)", pool.submit(
            attempt, run_main, "main_print", MAIN_PRINT,
            ["ones tensor(", "tensor([0, 1, 2, 3])", "logits tensor("])),
        ("pictures (main block)", pool.submit(
            attempt, run_main, "main_pictures", MAIN_PICTURES % {"work": WORK},
            ["saved %s/grid4.png: 4 images 28x28 in a 2x2 grid" % WORK,
             "saved %s/one.png: 28x28" % WORK, "pixels tensor("])),
        ("text and sampling (main block)", pool.submit(
            attempt, run_main, "main_text", MAIN_TEXT,
            ["abc\n", "drawn tensor([4, 4])", "kth tensor([[3.0000]"])),
        # The first Fashion-MNIST test labels: ankle boot, pullover, trouser, trouser.
        ("data fashion_mnist (main block)", pool.submit(
            attempt, run_main, "main_data", MAIN_DATA, ["labels tensor([9, 2, 1, 1])"]))]

    train_jobs = []
    for name, cases in STD.items():
        module = std_declared().get(name, "std.?")
        for case, source in cases:
            label = "%s.%s" % (module, case)
            train_jobs.append((label, pool.submit(attempt, train, "std_" + slug(case), source)))
    for case, source, args, check in CLAUSES:
        train_jobs.append((case, pool.submit(attempt, train, slug(case), source, args, check)))
    if not mnist_present():
        # No MNIST here: Fashion-MNIST's files, named as MNIST, through
        # NNC_DATA_PATH (the loader and its search are what is tested).
        fake = tempfile.mkdtemp()
        atexit.register(shutil.rmtree, fake, True)
        os.mkdir(os.path.join(fake, "mnist"))
        roots = [d for d in os.environ.get("NNC_DATA_PATH", "").split(":") if d]
        for d in [r + "/fashion-mnist" for r in roots] + ["/usr/share/datasets/fashion-mnist"]:
            for f in glob.glob(os.path.join(d, "*ubyte*")):
                dst = os.path.join(fake, "mnist", os.path.basename(f))
                if not os.path.exists(dst):
                    os.symlink(f, dst)
        os.environ["NNC_DATA_PATH"] = ":".join([fake] + roots)
        notes.append("note: data mnist reads Fashion-MNIST's files as MNIST (no MNIST here)")
    for case, source in DATA:
        train_jobs.append((case, pool.submit(attempt, train, slug(case), source)))

    got = builtin_job.result()
    results += [("builtin " + n, got[n]) for n in forward]
    got = init_job.result()
    results += [("initializer " + n, got[n]) for n in INITS]
    results += [(n, j.result()) for n, j in main_jobs]
    results += [(n, j.result()) for n, j in train_jobs]
    pool.shutdown()

    for n in notes:
        print(n)
    failed = 0
    for name, reason in results:
        if reason is None:
            print("ok   %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, reason.splitlines()[0]))
    print("%d passed, %d failed" % (len(results) - failed, failed))
    print("(%.1f s)" % (time.time() - start), file=sys.stderr)
    return failed


if __name__ == "__main__":
    try:
        failed = main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1 if failed else 0)
