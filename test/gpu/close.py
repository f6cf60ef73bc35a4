"""close.py A.safetensors B.safetensors RTOL: whether two checkpoints hold
the same f32 tensors to a relative tolerance (of each tensor's largest
magnitude). Prints "N tensors agree to RTOL" or what differs, and exits 1
then. Standard library only (lit's python has no numpy)."""
import array
import json
import struct
import sys


def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        a, b = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[8 + n + a:8 + n + b])
        out[name] = values
    return out


a, b, rtol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
if sorted(a) != sorted(b):
    sys.exit("different tensors: %s vs %s" % (sorted(a), sorted(b)))
bad = []
for name in sorted(a):
    scale = max([abs(v) for v in a[name]] + [1e-30])
    worst = max([abs(x - y) for x, y in zip(a[name], b[name])] + [0.0])
    if len(a[name]) != len(b[name]) or worst > rtol * scale:
        bad.append("%s: largest difference %g (scale %g)" % (name, worst, scale))
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("%d tensors agree to %g" % (len(a), rtol))
