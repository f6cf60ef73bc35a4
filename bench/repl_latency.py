"""How long `nnc repl` takes to answer: time from sending an input to its
result being printed, for a few typical inputs on the Fashion-MNIST MLP.

Usage: /usr/bin/python3 bench/repl_latency.py [--nnc build/bin/nnc] [--runs N]

The REPL reads a script from a pipe and echoes each line as it reads it, so
the echo of a comment line sent after an input (`nn> #k`) marks the moment
that input's result was printed. Each case runs N times in one session;
"first" is the first run (with an empty compile cache: code generation),
"again" the median of the others (the same text: the compiled code is found
in the compile cache). Nothing is asserted: speed is measured, not tested.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

# Complete inputs (a marker sent inside an open bracket would be part of
# the input).
SETUP = [
    "use std.layers, std.losses, std.optim",
    "model Mlp(hidden: int = 256) {\n"
    "  input image: f32[B, 28, 28]\n"
    "  image |> flatten |> dense(hidden) |> relu |> dense(10)\n"
    "}",
    "let m = Mlp()",
    "let test = fashion_mnist(\"test\")",
    "let batch = test.image[0:4]",
    "let x = ones([3, 4])",
]

CASES = [
    ("expression on a tensor: x * 2 + 1", "x * 2 + 1"),
    ("model forward, 4 images: m(batch)", "m(batch)"),
    ("predicted classes: argmax(m(batch), axis: -1)",
     "argmax(m(batch), axis: -1)"),
    ("accuracy on 10k images", "accuracy(m(test.image), test.label)"),
    ("type only: :type m(batch)", ":type m(batch)"),
    ("compile-time value: 3 * 4", "3 * 4"),
]


class Session:
    def __init__(self, nnc, cache):
        env = dict(os.environ, NNC_CACHE_DIR=cache)
        self.proc = subprocess.Popen([nnc, "repl"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.buf = b""
        self.k = 0

    def timed(self, line):
        """Seconds from sending `line` to its result being printed."""
        self.k += 1
        marker = ("nn> #%d\n" % self.k).encode()
        start = time.perf_counter()
        self.proc.stdin.write((line + "\n#%d\n" % self.k).encode())
        self.proc.stdin.flush()
        while marker not in self.buf:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("nnc repl ended:\n" + self.buf.decode())
            self.buf += chunk
        elapsed = time.perf_counter() - start
        self.buf = self.buf[self.buf.index(marker) + len(marker):]
        if b"error" in self.buf:
            raise SystemExit("error in %r" % line)
        return elapsed

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--nnc", default=os.path.join(root, "build", "bin", "nnc"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", default=os.path.join(root, "bench",
                                                   "repl_latency.json"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as cache:
        s = Session(args.nnc, cache)
        for line in SETUP:
            s.timed(line)
        for name, line in CASES:
            times = [s.timed(line) for _ in range(args.runs)]
            results.append({"case": name, "first_ms": times[0] * 1e3,
                            "again_ms": statistics.median(times[1:]) * 1e3})
        s.close()
    print("%-48s %10s %10s" % ("input", "first ms", "again ms"))
    for r in results:
        print("%-48s %10.1f %10.1f" % (r["case"], r["first_ms"],
                                       r["again_ms"]))
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
