"""Checks for `nnc run` of train blocks, used by the *.test files here.

  traintest.py metrics FILE.jsonl --epochs N [--min-val-acc X] [--any-loss]
      every epoch object has the documented keys, the loss falls from the
      first epoch to the last (with --any-loss, for a contrastive objective
      such as an energy model's, only finite), and the final object is
      there.
  traintest.py same-curve A.jsonl B.jsonl
      the two runs' epochs have identical losses and accuracies (timings
      aside); B may start later (a resumed run).
  traintest.py close-curve A.jsonl B.jsonl TOL
      the same epochs, each loss and validation loss within TOL of the
      other run's; prints whether any differ.
  traintest.py idx DIR --bad-label L
      writes a small Fashion-MNIST-shaped data set (train and test) whose
      sample 3 has label L.
  traintest.py blobs DIR
      writes three separable classes of 4-feature points as blobs.csv
      (columns f0..f3, species) and blobs_x.npy / blobs_y.npy, and a folder
      of 8x8 grey PNG images (pngs/<class>/<n>.png, bright square at the
      top left or bottom right).
  traintest.py checkpoint FILE --epoch E
      the checkpoint holds train.epoch == E, train.step and the parameters.
  traintest.py retype FILE NAME OUT
      copies checkpoint FILE to OUT with tensor NAME stored as an f32
      scalar instead of an i64 one (a corrupt counter).
  traintest.py moved A.safetensors B.safetensors
      prints "same" or "changed" per tensor of checkpoint A, by name.
  traintest.py sigint NNC FILE.nn CHECKPOINT [args...]
      starts training, sends SIGINT once the first epoch is done, and
      checks the exit code (130) and the message.

Only the standard library: no PyTorch needed."""
import gzip
import json
import os
import signal
import struct
import subprocess
import sys

KEYS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy",
        "samples_per_sec", "seconds"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def metrics(args):
    rows = read_jsonl(args[0])
    epochs = int(args[args.index("--epochs") + 1])
    min_acc = (float(args[args.index("--min-val-acc") + 1])
               if "--min-val-acc" in args else None)
    per_epoch = [r for r in rows if not r.get("final")]
    final = [r for r in rows if r.get("final")]
    if len(per_epoch) != epochs:
        fail("%d epoch objects, expected %d" % (len(per_epoch), epochs))
    for r in per_epoch:
        missing = [k for k in KEYS if k not in r]
        if missing:
            fail("epoch object lacks %s: %s" % (missing, r))
    if [r["epoch"] for r in per_epoch] != list(range(1, epochs + 1)):
        fail("epochs are not numbered 1..%d" % epochs)
    losses = [r["loss"] for r in per_epoch]
    if "--any-loss" in args:  # a contrastive objective need not fall
        if not all(isinstance(v, (int, float)) and abs(v) < 1e30 for v in losses):
            fail("a loss is not a finite number: %s" % losses)
    elif not losses[-1] < losses[0]:
        fail("the loss did not fall: %s" % losses)
    if len(final) != 1 or final[0] is not rows[-1]:
        fail("expected one final object at the end")
    if not final[0].get("peak_rss_mb", 0) > 0:
        fail("the final object lacks the peak resident memory: %s" % final[0])
    if min_acc is not None and not final[0]["test_accuracy"] >= min_acc:
        fail("test accuracy %s < %s" % (final[0]["test_accuracy"], min_acc))
    print("ok: loss %s -> %s, test accuracy %s" % (
        per_epoch[0]["loss"], per_epoch[-1]["loss"],
        final[0].get("test_accuracy")))


def same_curve(args):
    a = {r["epoch"]: r for r in read_jsonl(args[0]) if not r.get("final")}
    b = {r["epoch"]: r for r in read_jsonl(args[1]) if not r.get("final")}
    if not b or not set(b) <= set(a):
        fail("epochs %s are not a subset of %s" % (sorted(b), sorted(a)))
    for e in sorted(b):
        for k in ["loss", "accuracy", "val_loss", "val_accuracy"]:
            if a[e][k] != b[e][k]:
                fail("epoch %d: %s is %s in one run, %s in the other" %
                     (e, k, a[e][k], b[e][k]))
    print("ok: epochs %s identical" % sorted(b))


def close_curve(args):
    # Each epoch's loss and validation loss within TOL of the other run's;
    # says whether any differ at all.
    a = {r["epoch"]: r for r in read_jsonl(args[0]) if not r.get("final")}
    b = {r["epoch"]: r for r in read_jsonl(args[1]) if not r.get("final")}
    tol = float(args[2])
    if not a or sorted(a) != sorted(b):
        fail("epochs %s and %s differ" % (sorted(a), sorted(b)))
    differ = False
    for e in sorted(a):
        for k in ["loss", "val_loss"]:
            if abs(a[e][k] - b[e][k]) > tol:
                fail("epoch %d: %s %s and %s are more than %s apart" %
                     (e, k, a[e][k], b[e][k], tol))
            differ |= a[e][k] != b[e][k]
    print("ok: epochs %s within %s, %s" %
          (sorted(a), tol, "different" if differ else "identical"))


def idx(args):
    folder = args[0]
    bad = int(args[args.index("--bad-label") + 1])
    os.makedirs(folder, exist_ok=True)
    for split, n in [("train", 60), ("t10k", 20)]:
        images = bytes((i * 7 + j) % 256 for i in range(n) for j in range(784))
        labels = bytes([i % 10 for i in range(n)])
        labels = labels[:3] + bytes([bad]) + labels[4:]
        with gzip.open(os.path.join(folder, split + "-images-idx3-ubyte.gz"),
                       "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images)
        with gzip.open(os.path.join(folder, split + "-labels-idx1-ubyte.gz"),
                       "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + labels)


def npy(path, descr, shape, data):
    """Writes a NumPy .npy file (version 1.0) of raw little-endian `data`."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d," % d for d in shape))
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode() + data)


def blobs(args):
    import random
    import zlib
    folder = args[0]
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(7)
    centres = [(0, 0, 0, 0), (3, 3, 0, 0), (0, 3, 3, 3)]
    rows = []
    for i in range(150):
        c = i % 3
        rows.append([centres[c][k] + rng.gauss(0, 0.5) for k in range(4)] + [c])
    with open(os.path.join(folder, "blobs.csv"), "w") as f:
        f.write("f0,f1,f2,f3,species\n")
        for r in rows:
            f.write(",".join("%.4f" % v for v in r[:4]) + ",%d\n" % r[4])

    npy(os.path.join(folder, "blobs_x.npy"), "<f4", (150, 4),
        b"".join(struct.pack("<4f", *r[:4]) for r in rows))
    npy(os.path.join(folder, "blobs_y.npy"), "<i8", (150,),
        b"".join(struct.pack("<q", r[4]) for r in rows))

    def png(path, pixels):  # 8-bit grey, 8x8
        raw = b"".join(b"\x00" + bytes(row) for row in pixels)
        def chunk(kind, data):
            c = kind + data
            return struct.pack(">I", len(data)) + c + struct.pack(
                ">I", zlib.crc32(c) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" +
                    chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    for cls, (y0, x0) in [("a_topleft", (0, 0)), ("b_bottomright", (4, 4))]:
        os.makedirs(os.path.join(folder, "pngs", cls), exist_ok=True)
        for n in range(20):
            pixels = [[rng.randrange(0, 60) for _ in range(8)] for _ in range(8)]
            for y in range(y0, y0 + 4):
                for x in range(x0, x0 + 4):
                    pixels[y][x] = 200 + rng.randrange(0, 55)
            png(os.path.join(folder, "pngs", cls, "%02d.png" % n), pixels)


def checkpoint(args):
    with open(args[0], "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    epoch = int(args[args.index("--epoch") + 1])
    for name in ["train.epoch", "train.step", "dense_1.w"]:
        if name not in header:
            fail("checkpoint lacks %s" % name)
    a, b = header["train.epoch"]["data_offsets"]
    got = struct.unpack("<q", data[a:b])[0]
    if got != epoch:
        fail("train.epoch is %d, expected %d" % (got, epoch))
    print("ok: checkpoint at epoch %d with %d tensors" % (got, len(header)))


def retype(args):
    with open(args[0], "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out, blobs, off = {}, [], 0
    for k, v in header.items():
        if k == "__metadata__":
            continue
        blob = data[v["data_offsets"][0]:v["data_offsets"][1]]
        if k == args[1]:
            v = dict(v, dtype="F32", shape=[])
            blob = struct.pack("<f", float(struct.unpack("<q", blob)[0]))
        out[k] = dict(v, data_offsets=[off, off + len(blob)])
        off += len(blob)
        blobs.append(blob)
    h = json.dumps(out).encode()
    with open(args[2], "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def moved(args):
    def tensors(path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        return {k: data[v["data_offsets"][0]:v["data_offsets"][1]]
                for k, v in header.items() if k != "__metadata__"}
    a, b = tensors(args[0]), tensors(args[1])
    for name in sorted(a):
        print(name, "same" if a[name] == b.get(name) else "changed")


def sigint(args):
    nnc, program, ck = args[0], args[1], args[2]
    p = subprocess.Popen([nnc, "run", program, "--checkpoint", ck,
                          "--no-progress"] + args[3:],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    first = p.stdout.readline()
    if not first.startswith("epoch 1/"):
        fail("unexpected first line %r" % first)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=300)
    if p.returncode != 130:
        fail("exit code %d after SIGINT (expected 130): %s" %
             (p.returncode, err))
    print(first + out + err, end="")


def text(args):
    """A small English-like text (deterministic) for the char-LSTM."""
    import random
    rng = random.Random(5)
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to",
             "it", "was", "warm"]
    with open(args[0], "w") as f:
        f.write(" ".join(rng.choice(words) for _ in range(2000)) + "\n")


def npy_types(args):
    """blobs_x as every NPY element type the npy(...) data set converts
    (<f8 holding blobs_x.npy's f32 values exactly, <i4, |b1), labels as
    |u1, and hostile variants: a NaN in sample 5, an f8 value beyond f32's
    range, a CSV with an inf cell. Needs `blobs` run in the folder first."""
    folder = args[0]
    with open(os.path.join(folder, "blobs_x.npy"), "rb") as f:
        raw = f.read()
    xs = list(struct.unpack("<600f", raw[-2400:]))
    with open(os.path.join(folder, "blobs_y.npy"), "rb") as f:
        ys = list(struct.unpack("<150q", f.read()[-1200:]))
    out = lambda name: os.path.join(folder, name)
    npy(out("x_f8.npy"), "<f8", (150, 4), struct.pack("<600d", *xs))
    npy(out("x_i4.npy"), "<i4", (150, 4),
        struct.pack("<600i", *[round(v) for v in xs]))
    npy(out("x_b1.npy"), "|b1", (150, 4), bytes(int(v > 1) for v in xs))
    npy(out("y_u1.npy"), "|u1", (150,), bytes(ys))
    nan = list(xs)
    nan[5 * 4 + 2] = float("nan")
    npy(out("x_nan.npy"), "<f4", (150, 4), struct.pack("<600f", *nan))
    huge = [float(v) for v in xs]
    huge[7] = 1e300
    npy(out("x_huge.npy"), "<f8", (150, 4), struct.pack("<600d", *huge))
    with open(out("blobs.csv")) as f:
        lines = f.read().split("\n")
    lines[3] = "inf" + lines[3][lines[3].index(","):]
    with open(out("blobs_inf.csv"), "w") as f:
        f.write("\n".join(lines))


def triplets(args):
    """triplets.npy for the triplet example: [N, 3, 28, 28] f32 (anchor and
    positive: one of four faint random templates under strong noise;
    negative: another template), hard enough that the loss starts above 0."""
    import random
    rng = random.Random(9)
    n = int(args[1])
    templates = [[rng.gauss(0, 0.3) for _ in range(784)] for _ in range(4)]

    def image(c):
        return [t + rng.gauss(0, 1.0) for t in templates[c]]
    data = []
    for i in range(n):
        a = i % 4
        neg = (a + 1 + rng.randrange(3)) % 4
        data += image(a) + image(a) + image(neg)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 3, 28, 28), }" % n
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(args[0], "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
                header.encode() + struct.pack("<%df" % len(data), *data))


if __name__ == "__main__":
    {"metrics": metrics, "same-curve": same_curve, "close-curve": close_curve, "idx": idx, "blobs": blobs,
     "checkpoint": checkpoint, "sigint": sigint, "moved": moved, "text": text,
     "triplets": triplets, "retype": retype, "npy-types": npy_types}[sys.argv[1]](sys.argv[2:])
