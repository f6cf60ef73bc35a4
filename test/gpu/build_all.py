"""Builds every example with --target=cuda (its forward or main block, and
its train step where it has a train block) to an object file: PTX for
every kernel, checked and assembled by ptxas into the fat binary the
object embeds. Prints one line per build; exits 1 if any failed.
Usage: build_all.py NNC EXAMPLES_DIR [nnc options...]"""
import glob
import os
import subprocess
import sys

nnc, root, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
failed = 0
for path in sorted(glob.glob(os.path.join(root, "*", "*.nn"))):
    name = os.path.relpath(path, root)
    for mode in ([], ["--train"]):
        r = subprocess.run([nnc, "build", path, "--target=cuda", "--emit=obj",
                            "-o", os.devnull] + mode + extra,
                           capture_output=True, text=True)
        if mode and "has nothing to train" in r.stderr:
            continue
        what = "train" if mode else "forward"
        if r.returncode == 0:
            print(f"ok {name} {what}")
        else:
            failed += 1
            print(f"FAILED {name} {what}: {r.stderr.strip()[:400]}")
print(f"{failed} failed")
sys.exit(1 if failed else 0)
