#!/bin/bash
# check.sh KIT_DIR OUT_DIR: the on-device check of --target=cuda, run on a
# machine with an NVIDIA GPU and its driver, from the repository's root,
# with the kit prepare.sh made in KIT_DIR (nnc and LLVM are not needed
# there; python3 is, PyTorch for the peer figures). Writes
# OUT_DIR/summary.txt and OUT_DIR/details.tar.gz (every output it read
# but checkpoints)
# and exits 1 if a check failed:
#
#   1. each example's one training step on the GPU against the same step
#      with the CPU's plain loops: the printed loss (to its 4 decimals) and every
#      tensor of the checkpoint (parameters, and the optimizer state that
#      holds the gradients) agree to 1e-4 of the tensor's largest
#      magnitude;
#   2. the MLP and the CNN trained in full on the GPU reach the CPU's test
#      accuracy (within 1 point), with their samples/s, and PyTorch's on
#      the same GPU;
#   3. FP32 GEMM GFLOP/s: tiled, one thread per element, PyTorch (cuBLAS,
#      TF32 off), against the GPU's FP32 peak.
#
# Each step has a time limit (STEP_TIMEOUT seconds, default 300), and no
# step starts after BUDGET seconds (default 480): the rest is reported as
# not run, and the script still writes its files and fails.
set -uo pipefail
kit=$(realpath "$1")
out=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/../../.." && pwd)
close_py=$root/test/gpu/close.py
limit=${STEP_TIMEOUT:-300}
budget=${BUDGET:-480}
mkdir -p "$out"
work=$(mktemp -d)
trap 'tar -C "$work" --exclude="*.safetensors" -czf "$out/details.tar.gz" gpu cpu; rm -rf "$work"' EXIT
mkdir -p "$work/gpu" "$work/cpu"
[ -d "$kit/bin" ] || tar -C "$kit" -xJf "$kit/bin.tar.xz" || exit 1
export NNC_DATA_PATH=$kit
summary=$out/summary.txt
: > "$summary"
failed=0
say() { echo "$*" | tee -a "$summary"; }
fail() { say "FAIL $*"; failed=1; }

say "kit of commit $(cat "$kit/commit.txt"), kernels for $(cat "$kit/arch.txt")"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm \
  --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"

# The word printed after key $3 on the last line of file $1 that starts
# with $2.
field() { grep "^$2" "$1" | tail -1 | sed -n "s/.* $3 \([^ ]*\).*/\1/p"; }
# Whether there is time for another step; says what is not run if not.
in_time() {
  [ "$SECONDS" -lt "$budget" ] && return 0
  fail "out of time ($budget s): $1 not run"
  return 1
}

# One training step (64 samples, from seed 1) of example $1 on target $2.
step() {
  (cd "$work/$2" && timeout "$limit" "$kit/bin/$1.$2" --limit 64 --batch 64 \
     --epochs 1 --seed 1 --no-progress --checkpoint "$work/$2/$1.safetensors" \
     > "$1.out" 2> "$1.err")
}

# 1. One step per example.
for name in $(cat "$kit/examples.txt"); do
  in_time "$name's step" || continue
  step "$name" cpu || { fail "$name on the CPU: exit $?: $(tail -c 400 "$work/cpu/$name.err")"; continue; }
  step "$name" gpu || { fail "$name: exit $?: $(tail -c 400 "$work/gpu/$name.err")"; continue; }
  cpu=$(field "$work/cpu/$name.out" epoch loss)
  gpu=$(field "$work/gpu/$name.out" epoch loss)
  if [ -z "$cpu" ] || [ -z "$gpu" ]; then
    fail "$name: no loss printed (CPU '$cpu', GPU '$gpu')"
    continue
  fi
  close=$(python3 "$close_py" "$work/cpu/$name.safetensors" \
            "$work/gpu/$name.safetensors" 1e-4 2>&1)
  if [ $? != 0 ]; then
    fail "$name: checkpoints differ: $close"
  elif ! python3 -c "import sys; a, b = float('$cpu'), float('$gpu'); sys.exit(abs(a - b) > 1.5e-4 * max(1, abs(a)))"; then
    fail "$name: loss $gpu on the GPU, $cpu on the CPU"
  else
    say "ok $name: loss $gpu (CPU $cpu); $close"
  fi
done

# 2. Full trainings.
for name in mlp cnn; do
  if ! [ -f "$kit/ref/$name.full.out" ] || ! [ -x "$kit/bin/$name.gpu" ]; then
    say "skipped: $name's full training (not in the kit)"
    continue
  fi
  in_time "$name's full training" || continue
  (cd "$work/gpu" && timeout "$limit" "$kit/bin/$name.gpu" --seed 1 --no-progress \
     --checkpoint "$work/gpu/$name.full.safetensors" > "$name.full.out" 2>&1)
  rc=$?
  cpu=$(field "$kit/ref/$name.full.out" "test accuracy" accuracy)
  gpu=$(field "$work/gpu/$name.full.out" "test accuracy" accuracy)
  speed=$(grep '^epoch' "$work/gpu/$name.full.out" | tail -1 | grep -o '[0-9.]*k* samples/s')
  cpuspeed=$(grep '^epoch' "$kit/ref/$name.full.out" | tail -1 | grep -o '[0-9.]*k* samples/s')
  if [ $rc != 0 ] || [ -z "$gpu" ]; then
    fail "$name full training: exit $rc: $(tail -c 400 "$work/gpu/$name.full.out")"
  elif python3 -c "import sys; sys.exit(float('$gpu') < float('$cpu') - 0.01)"; then
    say "ok $name trained: test accuracy $gpu (CPU $cpu), $speed on the GPU (CPU, all cores: $cpuspeed)"
  else
    fail "$name trained: test accuracy $gpu on the GPU, $cpu on the CPU"
  fi
  peer=$(timeout "$limit" python3 "$root/bench/torch_train.py" "$name" 1 60000 \
           --device cuda 2>/dev/null | python3 -c "import json, statistics, sys; print(round(statistics.median(json.load(sys.stdin)['samples_per_sec'])))" 2>/dev/null)
  say "   PyTorch on this GPU, $name train, batch 64: ${peer:-not measured} samples/s"
done

# 3. GEMMs.
peak=$(nvidia-smi --query-gpu=clocks.max.sm --format=csv,noheader,nounits 2>/dev/null | head -1)
first=1
for n in $(cat "$kit/gemm_sizes.txt"); do
  in_time "GEMM $n" || continue
  python3 - "$n" "$work/gemm$n.safetensors" <<'PY' || { fail "gemm $n: no input"; continue; }
import json, struct, sys, random
n, path = int(sys.argv[1]), sys.argv[2]
size = n * n * 4
h = json.dumps({"a": {"dtype": "F32", "shape": [n, n], "data_offsets": [0, size]},
                "b": {"dtype": "F32", "shape": [n, n], "data_offsets": [size, 2 * size]}}).encode()
row = struct.pack("<%df" % n, *[random.random() for _ in range(n)])
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + row * (2 * n))
PY
  # The smallest size's products, tiled and not, agree.
  if [ $first = 1 ]; then
    first=0
    for variant in gpu untiled; do
      timeout "$limit" "$kit/bin/gemm$n.$variant" "$work/gemm$n.safetensors" \
        -o "$work/gpu/gemm$n.$variant.safetensors" 2>> "$work/gpu/gemm.err"
    done
    if close=$(python3 "$close_py" "$work/gpu/gemm$n.gpu.safetensors" \
                 "$work/gpu/gemm$n.untiled.safetensors" 1e-4 2>&1); then
      say "ok GEMM $n: tiles and a thread per element agree ($close)"
    else
      fail "GEMM $n: tiles and a thread per element differ: $close"
    fi
  fi
  line="fp32 GEMM $n:"
  for variant in gpu untiled; do
    ms=$(timeout "$limit" "$kit/bin/gemm$n.$variant" "$work/gemm$n.safetensors" --bench 20 \
           2>> "$work/gpu/gemm.err" | sed -n 's/^forward ms: median \([0-9.]*\).*/\1/p')
    if [ -z "$ms" ] || [ "$ms" = 0.0000 ]; then
      fail "gemm $n $variant: no time: $(tail -c 300 "$work/gpu/gemm.err")"
      continue
    fi
    line="$line $([ $variant = gpu ] && echo tiles || echo 'thread per element') $(python3 -c "print(round(2 * $n ** 3 / ($ms * 1e-3) / 1e9, 1))") GFLOP/s;"
  done
  rm -f "$work/gemm$n.safetensors"
  torch=$(timeout "$limit" python3 -c "
import time, torch
torch.backends.cuda.matmul.allow_tf32 = False
a, b = torch.rand($n, $n, device='cuda'), torch.rand($n, $n, device='cuda')
for _ in range(3): a @ b
torch.cuda.synchronize(); ts = []
for _ in range(20):
    t = time.perf_counter(); a @ b; torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
ts.sort(); print(round(2 * $n ** 3 / ts[len(ts) // 2] / 1e9, 1))" 2>/dev/null)
  say "$line PyTorch cuBLAS ${torch:-not measured} GFLOP/s (GPU max SM clock ${peak:-?} MHz)"
done
say "$([ $failed = 0 ] && echo 'all checks passed' || echo 'some checks FAILED')"
exit $failed
