"""Checks of the competition workflows (workflows.test); standard library only.

  workflows.py early-stop LOG BEST.safetensors --patience N
      the run stopped N validations after its best epoch B (the log's
      "best at epoch B"), and the best checkpoint holds train.epoch == B.
  workflows.py plateau LOG --factor F
      the learning rate changes only after a "plateau:" line, by F; there
      is at least one.
  workflows.py oof OOF.csv --folds K --count N --log LOG
      every sample 0..N-1 is predicted once, by folds 1..K; each label's
      samples are spread over the folds within one; probabilities sum to
      1 and `predicted` is their arg-max; their accuracy is the
      out-of-fold accuracy that the run's LOG prints.
  workflows.py cv METRICS.jsonl --folds K
      one final record per fold, and the cross-validation record's mean
      and standard deviation are those of its per-fold values.
  workflows.py set-metrics PREDICTIONS.csv METRICS.json
      macro F1 and one-vs-rest ROC AUC recomputed from the CSV's
      probabilities (every class listed: --top-k C) by their definitions
      (pairs of samples, not ranks) match nnc predict's metrics file.
  workflows.py same-csv A.csv B.csv
      the two sweep tables agree except for the `seconds` column.
  workflows.py poke CK.safetensors NAME VALUE OUT.safetensors
      copies the checkpoint with the f64 scalar NAME set to VALUE (a
      hostile file).
"""
import csv
import json
import math
import re
import struct
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def counters(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name.startswith("train.") and info["dtype"] == "I64":
            a, _ = info["data_offsets"]
            out[name] = struct.unpack("<q", data[8 + n + a:8 + n + a + 8])[0]
    return out


def early_stop(log, best, patience):
    text = open(log).read()
    epochs = [int(e) for e in re.findall(r"^epoch (\d+)/", text, re.M)]
    m = re.search(r"early stop: .* \(best at epoch (\d+)\)", text)
    if not m:
        fail("the run did not stop early")
    b = int(m.group(1))
    if epochs[-1] != b + patience:
        fail("stopped after epoch %d, best %d, patience %d" %
             (epochs[-1], b, patience))
    if counters(best)["train.epoch"] != b:
        fail("the best checkpoint is of epoch %d, not %d" %
             (counters(best)["train.epoch"], b))
    print("stopped at epoch %d = best %d + %d" % (epochs[-1], b, patience))


def plateau(log, factor):
    lines = open(log).read().splitlines()
    lr, reduced, events = None, False, 0
    for line in lines:
        if line.startswith("plateau:"):
            reduced = True
            events += 1
            continue
        m = re.match(r"epoch \d+/\d+ .*  lr ([0-9.e-]+)", line)
        if not m:
            continue
        now = float(m.group(1))
        if lr is not None:
            want = lr * factor if reduced else lr
            if abs(now - want) > 1e-3 * want:
                fail("lr %g after %g (%s)" %
                     (now, lr, "reduced" if reduced else "kept"))
        lr, reduced = now, False
    if events == 0:
        fail("no plateau")
    print("plateau ok: %d reductions" % events)


def oof(path, folds, count, log):
    rows = list(csv.DictReader(open(path)))
    if sorted(int(r["index"]) for r in rows) != list(range(count)):
        fail("the out-of-fold rows are not each sample once")
    per = {}
    hits = 0
    for r in rows:
        f = int(r["fold"])
        if not 1 <= f <= folds:
            fail("fold %d" % f)
        per.setdefault(r["label"], {}).setdefault(f, 0)
        per[r["label"]][f] += 1
        p = [float(v) for k, v in r.items() if re.match(r"p\d+$", k)]
        if abs(sum(p) - 1) > 1e-4:
            fail("probabilities of sample %s sum to %g" % (r["index"], sum(p)))
        if p.index(max(p)) != int(r["predicted"]):
            fail("predicted is not the arg-max")
        hits += int(r["predicted"]) == int(r["label"])
    for label, counts in per.items():
        c = [counts.get(f, 0) for f in range(1, folds + 1)]
        if max(c) - min(c) > 1:
            fail("label %s over folds: %s" % (label, c))
    m = re.search(r"out-of-fold \(\d+ samples\): accuracy ([0-9.]+)",
                  open(log).read())
    if not m or abs(float(m.group(1)) - hits / count) > 1e-4:
        fail("accuracy %.4f, the run printed %s" %
             (hits / count, m.group(1) if m else "none"))
    print("oof ok: %d samples, accuracy %.4f" % (count, hits / count))


def cv(path, folds):
    records = [json.loads(l) for l in open(path)]
    finals = [r["fold"] for r in records if r.get("final")]
    if finals != list(range(1, folds + 1)):
        fail("final records of folds %s" % finals)
    summary = [r for r in records if r.get("cv")][-1]
    for key, values in summary.items():
        if not isinstance(values, list):
            continue
        if len(values) != folds:
            fail("%s has %d values" % (key, len(values)))
        mean = sum(values) / folds
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (folds - 1))
        if abs(mean - summary[key + "_mean"]) > 1e-5 or \
                abs(sd - summary[key + "_std"]) > 1e-5:
            fail("%s: mean %g std %g, recorded %g %g" %
                 (key, mean, sd, summary[key + "_mean"], summary[key + "_std"]))
    print("cv ok")


def set_metrics(path, metrics):
    rows = list(csv.DictReader(open(path)))
    classes = len([k for k in rows[0] if re.match(r"top\d+$", k)])
    probs, labels = [], []
    for r in rows:
        p = [0.0] * classes
        for j in range(1, classes + 1):
            p[int(r["top%d" % j])] = float(r["p%d" % j])
        probs.append(p)
        labels.append(int(r["label"]))
    aucs = []
    for c in range(classes):
        pos = [p[c] for p, l in zip(probs, labels) if l == c]
        neg = [p[c] for p, l in zip(probs, labels) if l != c]
        if not pos or not neg:
            continue
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0
                   for a in pos for b in neg)
        aucs.append(wins / (len(pos) * len(neg)))
    f1s = []
    pred = [p.index(max(p)) for p in probs]
    for c in range(classes):
        tp = sum(1 for a, b in zip(pred, labels) if a == c and b == c)
        fp = sum(1 for a, b in zip(pred, labels) if a == c and b != c)
        fn = sum(1 for a, b in zip(pred, labels) if a != c and b == c)
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    got = json.load(open(metrics))
    auc, f1 = sum(aucs) / len(aucs), sum(f1s) / len(f1s)
    # The CSV's probabilities have 6 decimals: ties and ranks move by that.
    if abs(auc - got["auc"]) > 2e-4 or abs(f1 - got["f1"]) > 1e-6:
        fail("auc %g f1 %g, nnc %g %g" % (auc, f1, got["auc"], got["f1"]))
    print("set metrics ok: auc %.4f f1 %.4f" % (auc, f1))


def same_csv(a, b):
    def table(path):
        rows = list(csv.DictReader(open(path)))
        for r in rows:
            r.pop("seconds")
        return rows
    if table(a) != table(b):
        fail("the tables differ")
    print("same table: %d rows" % len(table(a)))


def poke(path, name, value, out):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    (n,) = struct.unpack("<Q", data[:8])
    info = json.loads(data[8:8 + n])[name]
    a, _ = info["data_offsets"]
    data[8 + n + a:8 + n + a + 8] = struct.pack("<d", value)
    with open(out, "wb") as f:
        f.write(data)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]

    def opt(name):
        return args[args.index(name) + 1]
    if cmd == "early-stop":
        early_stop(args[0], args[1], int(opt("--patience")))
    elif cmd == "plateau":
        plateau(args[0], float(opt("--factor")))
    elif cmd == "oof":
        oof(args[0], int(opt("--folds")), int(opt("--count")), opt("--log"))
    elif cmd == "cv":
        cv(args[0], int(opt("--folds")))
    elif cmd == "set-metrics":
        set_metrics(args[0], args[1])
    elif cmd == "poke":
        poke(args[0], args[1], float(args[2]), args[3])
    elif cmd == "same-csv":
        same_csv(args[0], args[1])
    else:
        fail("unknown command " + cmd)


main()
