"""Compares two safetensors files: every tensor of the first must be in the
second with the same dtype and shape and values within TOL (default 1e-6,
absolute). Prints the largest difference; exits 1 on a mismatch.
Usage: compare_safetensors.py A B [TOL]"""
import json
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        fmt = {"F32": "f", "F64": "d", "I64": "q", "I32": "i"}[info["dtype"]]
        count = (end - start) // struct.calcsize(fmt)
        out[name] = (info["dtype"], info["shape"],
                     struct.unpack("<%d%s" % (count, fmt), body[start:end]))
    return out


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-6
    worst = 0.0
    for name, (dtype, shape, values) in a.items():
        if name not in b or b[name][:2] != (dtype, shape):
            print("mismatch: %s" % name)
            sys.exit(1)
        for x, y in zip(values, b[name][2]):
            worst = max(worst, abs(x - y))
    print("tensors %d, largest difference %g" % (len(a), worst))
    sys.exit(0 if worst <= tol else 1)


if __name__ == "__main__":
    main()
