"""Counts the scf.for nests left in host functions of --emit=gpu output
(kernels' own loops excluded) and the deepest of them."""
import re
import sys

depth = deepest = nests = 0
in_kernels = False
for line in open(sys.argv[1]):
    if re.match(r"\s*gpu\.module ", line):
        in_kernels = True
    if in_kernels:
        in_kernels = not re.match(r"^  }", line)
        continue
    if "scf.for " in line:
        if depth == 0:
            nests += 1
        depth += 1
        deepest = max(deepest, depth)
    elif depth and re.match(r"\s*}\s*(loc\(.*\))?$", line):
        depth -= 1
print(f"host loop nests: {nests}, deepest {deepest}")
