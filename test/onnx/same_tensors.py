"""same_tensors.py A.safetensors PREFIX B.safetensors: every tensor NAME of
B equals PREFIX+NAME of A (bit for bit); prints how many, exits 1 if not."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_ort import read_safetensors  # noqa: E402

a, prefix, b = read_safetensors(sys.argv[1]), sys.argv[2], read_safetensors(sys.argv[3])
bad = [n for n, t in b.items()
       if prefix + n not in a or not np.array_equal(a[prefix + n], t)]
if bad:
    print("differ or missing: " + ", ".join(bad))
    sys.exit(1)
print(f"{len(b)} tensors of {os.path.basename(sys.argv[3])} equal "
      f"{prefix}* of {os.path.basename(sys.argv[1])}")
