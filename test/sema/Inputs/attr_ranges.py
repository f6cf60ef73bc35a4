"""Property test of the integer attributes of every built-in and std layer.

For each (function, attribute) below, a program calls the function once
with the attribute at 0, -1, 1 and huge values. `nnc check` must never
crash (exit code 0 or 1, not a signal); a value outside the attribute's
range must give a located error (file:line:col: error:) on the line of the
call. 1 is in range for most attributes; where it is not (a squeezed axis
of size 4, say) it too must be a located error.
The built-ins' integer parameters listed by `nnc --print-builtins` must all
have a case here, so a new attribute without a range check fails the test.

usage: attr_ranges.py NNC WORKDIR
"""
import concurrent.futures
import os
import re
import subprocess
import sys

HUGE = [2**31, 2**63 - 1]
IMG = "input x: f32[B, 8, 8, 3]"
W = "param w: f32[3, 3, 3, 4] = he_uniform()"

# (function, attribute, program with {v}, values that are valid). The
# call is always on the line holding "{v}"; every other value must be an
# error there.
CASES = [
    ("flatten", "start", "model M {{\n  input x: f32[B, 4, 4]\n  flatten(x, start: {v})\n}}", [0]),
    ("unsqueeze", "axis", "model M {{\n  input x: f32[B, 4]\n  unsqueeze(x, {v})\n}}", [0, -1]),
    ("squeeze", "axis", "model M {{\n  input x: f32[B, 1]\n  squeeze(x, {v})\n}}", [-1]),
    ("concat", "axis", "model M {{\n  input x: f32[B, 4]\n  concat([x, x], axis: {v})\n}}", [0, -1]),
    ("stack", "axis", "model M {{\n  input x: f32[B, 4]\n  stack([x, x], axis: {v})\n}}", [0, -1]),
    ("one_hot", "classes", "model M {{\n  input x: i64[B]\n  one_hot(x, {v})\n}}", [2**31]),
    ("arange", "n", "main {{\n  print(arange({v}))\n}}", [2**31]),
    ("conv", "stride", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv(x, w, stride: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", []),
    ("conv", "padding", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv(x, w, padding: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", [0]),
    ("conv", "dilation", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv(x, w, dilation: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", []),
    ("conv", "groups", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv(x, w, groups: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", []),
    ("conv_transpose", "stride", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv_transpose(x, w, stride: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", []),
    ("conv_transpose", "padding", "layer L(x: f32[B, 8, 8, 3]) {{\n  " + W + "\n  conv_transpose(x, w, padding: {v})\n}}\nmodel M {{\n  " + IMG + "\n  L(x)\n}}", [0]),
    ("upsample", "factor", "model M {{\n  " + IMG + "\n  upsample(x, {v})\n}}", []),
    ("maxpool", "size", "model M {{\n  " + IMG + "\n  maxpool(x, {v})\n}}", []),
    ("maxpool", "stride", "model M {{\n  " + IMG + "\n  maxpool(x, 2, stride: {v})\n}}", []),
    ("maxpool", "padding", "model M {{\n  " + IMG + "\n  maxpool(x, 2, padding: {v})\n}}", [0]),
    ("avgpool", "size", "model M {{\n  " + IMG + "\n  avgpool(x, {v})\n}}", []),
    ("avgpool", "stride", "model M {{\n  " + IMG + "\n  avgpool(x, 2, stride: {v})\n}}", []),
    ("avgpool", "padding", "model M {{\n  " + IMG + "\n  avgpool(x, 2, padding: {v})\n}}", [0]),
    ("sum", "axis", "model M {{\n  input x: f32[B, 4]\n  sum(x, axis: {v})\n}}", [0, -1]),
    ("mean", "axis", "model M {{\n  input x: f32[B, 4]\n  mean(x, axis: [{v}])\n}}", [0, -1]),
    ("max", "axis", "model M {{\n  input x: f32[B, 4]\n  max(x, axis: {v})\n}}", [0, -1]),
    ("min", "axis", "model M {{\n  input x: f32[B, 4]\n  min(x, axis: {v})\n}}", [0, -1]),
    ("logsumexp", "axis", "model M {{\n  input x: f32[B, 4]\n  logsumexp(x, axis: {v})\n}}", [0, -1]),
    ("prod", "axis", "model M {{\n  input x: f32[B, 4]\n  prod(x, axis: {v})\n}}", [0, -1]),
    ("argmax", "axis", "model M {{\n  input x: f32[B, 4]\n  argmax(x, axis: {v})\n}}", [0, -1]),
    ("argmin", "axis", "model M {{\n  input x: f32[B, 4]\n  argmin(x, axis: {v})\n}}", [0, -1]),
    ("softmax", "axis", "model M {{\n  input x: f32[B, 4]\n  softmax(x, axis: {v})\n}}", [0, -1]),
    ("log_softmax", "axis", "model M {{\n  input x: f32[B, 4]\n  log_softmax(x, axis: {v})\n}}", [0, -1]),
    ("normal", "seed", "model M {{\n  input x: f32[B, 4]\n  x + normal([4], seed: {v})\n}}", [0] + HUGE),
    ("uniform", "seed", "model M {{\n  input x: f32[B, 4]\n  x + uniform([4], seed: {v})\n}}", [0] + HUGE),
    ("gumbel", "seed", "model M {{\n  input x: f32[B, 4]\n  x + gumbel([4], seed: {v})\n}}", [0] + HUGE),
    ("bernoulli", "seed", "model M {{\n  input x: f32[B, 4]\n  bernoulli(sigmoid(x), seed: {v})\n}}", [0] + HUGE),
    ("normal_like", "seed", "model M {{\n  input x: f32[B, 4]\n  normal_like(x, seed: {v})\n}}", [0] + HUGE),
    ("uniform_like", "seed", "model M {{\n  input x: f32[B, 4]\n  uniform_like(x, seed: {v})\n}}", [0] + HUGE),
    ("gumbel_like", "seed", "model M {{\n  input x: f32[B, 4]\n  gumbel_like(x, seed: {v})\n}}", [0] + HUGE),
    ("save_image", "columns", "main {{\n  save_image(zeros([4, 8, 8]), \"g.png\", columns: {v})\n}}", [0]),
    ("idx", "height", "main {{\n  let d = idx(\"i.gz\", \"l.gz\", {v}, 28)\n}}", []),
    ("idx", "width", "main {{\n  let d = idx(\"i.gz\", \"l.gz\", 28, {v})\n}}", []),
    ("csv", "features", "main {{\n  let d = csv(\"d.csv\", {v}, \"label\")\n}}", []),
    ("image_folder", "height", "main {{\n  let d = image_folder(\"imgs\", {v}, 32)\n}}", []),
    ("image_folder", "width", "main {{\n  let d = image_folder(\"imgs\", 32, {v})\n}}", []),
    ("image_folder", "channels", "main {{\n  let d = image_folder(\"imgs\", 32, 32, {v})\n}}", []),
    ("image", "height", "main {{\n  let d = image(\"a.png\", {v}, 32)\n}}", []),
    ("image", "width", "main {{\n  let d = image(\"a.png\", 32, {v})\n}}", []),
    ("image", "channels", "main {{\n  let d = image(\"a.png\", 32, 32, {v})\n}}", []),
    ("text_chars", "seq", "main {{\n  let d = text_chars(\"t.txt\", {v})\n}}", []),
    ("text_chars", "vocab", "main {{\n  let d = text_chars(\"t.txt\", 64, vocab: {v})\n}}", []),
    ("subset", "n", "main {{\n  let d = subset(mnist(\"test\"), {v})\n}}", HUGE),
    ("augment", "crop", "main {{\n  let d = augment(mnist(\"test\"), crop: {v})\n}}", [0]),
]

SEQ = "input x: f32[B, 6, 4]"
STD_CASES = [
    ("dense", "units", "input x: f32[B, 4]", "dense({v})"),
    ("linear", "units", "input x: f32[B, 4]", "linear({v})"),
    ("conv2d", "filters", IMG, "conv2d({v}, 3)"),
    ("conv2d", "kernel", IMG, "conv2d(4, {v})"),
    ("conv2d", "stride", IMG, "conv2d(4, 3, stride: {v})"),
    ("conv2d", "padding", IMG, "conv2d(4, 3, padding: {v})"),
    ("conv2d", "dilation", IMG, "conv2d(4, 3, dilation: {v})"),
    ("conv2d", "groups", IMG, "conv2d(3, 3, groups: {v})"),
    ("conv2d_transpose", "filters", IMG, "conv2d_transpose({v}, 3)"),
    ("conv2d_transpose", "kernel", IMG, "conv2d_transpose(4, {v})"),
    ("conv2d_transpose", "stride", IMG, "conv2d_transpose(4, 3, stride: {v})"),
    ("conv2d_transpose", "padding", IMG, "conv2d_transpose(4, 3, padding: {v})"),
    ("embedding", "vocab", "input x: i64[B, 6]", "embedding({v}, 8)"),
    ("embedding", "dim", "input x: i64[B, 6]", "embedding(10, {v})"),
    ("lstm", "hidden", SEQ, "lstm({v})"),
    ("gru", "hidden", SEQ, "gru({v})"),
    ("attention", "dim", SEQ, "attention({v})(x, x)"),
    ("self_attention", "dim", SEQ, "self_attention({v})"),
]
for fn, attr, inp, call in STD_CASES:
    # A size of 2^31 may fit (dense(2^31) of 4 inputs: 32 GiB of weights).
    valid = [2**31]
    if (fn, attr) in {("conv2d", "padding"), ("conv2d_transpose", "padding")}:
        valid.append(0)
    program = "use std.layers\nmodel M {{\n  " + inp + "\n  x |> " + call
    CASES.append((fn, attr, program + "\n}}", valid))

# Parameters of built-ins that take an integer attribute.
INT_PARAMS = {"start", "axis", "classes", "n", "stride", "padding", "dilation",
              "groups", "factor", "size", "seed", "columns", "height", "width",
              "channels", "features", "seq", "vocab", "crop"}


def run(nnc, work, fn, attr, template, valid, v):
    """Checks one program; returns what went wrong, or None."""
    line = next(k + 1 for k, l in enumerate(template.splitlines())
                if "{v}" in l)
    name = "%s_%s_%s.nn" % (fn, attr, str(v).replace("-", "m"))
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(template.format(v=v) + "\n")
    r = subprocess.run([nnc, "check", path], capture_output=True, text=True,
                       timeout=60, cwd=work)
    what = "%s(%s: %d)" % (fn, attr, v)
    if r.returncode not in (0, 1):
        return "%s: exit code %d\n%s" % (what, r.returncode, r.stderr[-2000:])
    if v in valid or (v == 1 and r.returncode == 0):
        return None
    located = re.search(re.escape(name) + r":%d:\d+: error: " % line,
                        r.stderr)
    if r.returncode != 1 or not located:
        return "%s: expected an error at line %d, got exit code %d\n%s" % (
            what, line, r.returncode, r.stderr[-2000:])
    return None


def main():
    nnc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = []
    listed = subprocess.run([nnc, "--print-builtins"], capture_output=True,
                            text=True, check=True).stdout
    covered = {(fn, attr) for fn, attr, _, _ in CASES}
    for line in listed.splitlines():
        m = re.match(r"(\w+)\(([^)]*)\)", line)
        if not m:
            continue
        for p in m.group(2).split(","):
            p = p.strip().rstrip("?")
            if p in INT_PARAMS and (m.group(1), p) not in covered:
                failures.append("no case for %s(%s:)" % (m.group(1), p))
    runs = [(fn, attr, template, valid, v)
            for fn, attr, template, valid in CASES for v in [0, -1, 1] + HUGE]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for failure in pool.map(lambda r: run(nnc, work, *r), runs):
            if failure:
                failures.append(failure)
    for f in failures:
        print("FAIL", f)
    print("%d programs, %d failures" % (len(runs), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
