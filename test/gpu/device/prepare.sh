#!/bin/bash
# prepare.sh NNC KIT_DIR: builds, on a machine with nnc and the CUDA
# toolkit, everything the on-device check (check.sh) needs, in a folder
# small enough (about 50 MB) to travel to a GPU machine that has neither
# nnc nor LLVM (the executables packed in KIT_DIR/bin.tar.xz):
#
#   bin/NAME.gpu     each example that trains on Fashion-MNIST, as a train
#                    executable for the GPU (--target=cuda, $GPU_ARCH)
#   ref/NAME.*       the same one training step run here with plain CPU
#                    loops (--no-kernels): checkpoint (parameters and the
#                    optimizer state, which after one step holds the
#                    gradients) and printed loss
#   bin/mlp|cnn.*    full trainings: GPU executables, and the CPU's test
#                    accuracy measured here (ACCURACY=0 skips those runs)
#   bin/gemmN.*      N x N matrix products for --bench: tiled and one
#                    thread per element (--gpu-tiles=false)
#   fashion-mnist/   the data set
#
# Environment: GPU_ARCH (default sm_90: H100, H200), EXAMPLES (names, e.g.
# "mlp cnn"; default every Fashion-MNIST example), GEMM_SIZES (default
# "1024 2048 4096"), ACCURACY (default 1), THREADS (the CPU's accuracy
# runs; default: all cores). See docs/testing.md.
set -euo pipefail
nnc=$(realpath "$1")
kit=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
arch=${GPU_ARCH:-sm_90}
sizes=${GEMM_SIZES:-1024 2048 4096}
threads=${THREADS:-$(nproc)}
data=""
for d in ${NNC_DATA_PATH:+${NNC_DATA_PATH//:/ }} /usr/share/datasets; do
  [ -f "$d/fashion-mnist/train-images-idx3-ubyte.gz" ] && { data=$d/fashion-mnist; break; }
done
[ -n "$data" ] || { echo "prepare.sh: no fashion-mnist data set (see docs/cli.md, NNC_DATA_PATH)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/ref" "$kit/fashion-mnist" "$work/cpu"
cp "$data"/*.gz "$kit/fashion-mnist/"
export NNC_DATA_PATH=$kit

names=()
for ex in $(grep -l '^train .* on fashion_mnist' "$root"/examples/*/*.nn); do
  name=$(basename "$ex" .nn)
  if [ -n "${EXAMPLES:-}" ] && ! [[ " $EXAMPLES " == *" $name "* ]]; then
    continue
  fi
  names+=("$name")
  echo "prepare: $name"
  "$nnc" build "$ex" --train --target=cuda --gpu-arch="$arch" -o "$kit/bin/$name.gpu"
  "$nnc" build "$ex" --train --no-kernels -o "$work/cpu/$name"
  # One step of 64 samples (validation on 64 too), from the same seed.
  (cd "$work" && "$work/cpu/$name" --limit 64 --batch 64 --epochs 1 --seed 1 \
     --no-progress --checkpoint "$kit/ref/$name.safetensors" > "$kit/ref/$name.out")
  rm -f "$kit/ref/$name.best.safetensors"
done
printf '%s\n' "${names[@]}" > "$kit/examples.txt"

if [ "${ACCURACY:-1}" != 0 ]; then
  for name in mlp cnn; do
    ex=$root/examples/fashion_mnist/$name.nn
    echo "prepare: $name, full training on the CPU ($threads threads)"
    "$nnc" build "$ex" --train --threads "$threads" -o "$work/cpu/$name.full"
    (cd "$work" && "$work/cpu/$name.full" --seed 1 --no-progress \
       --checkpoint "$work/$name.full.safetensors" > "$kit/ref/$name.full.out")
  done
fi

for n in $sizes; do
  printf 'model G {\n  input a: f32[%s, %s]\n  input b: f32[%s, %s]\n  a @ b\n}\n' \
    "$n" "$n" "$n" "$n" > "$work/gemm$n.nn"
  "$nnc" build "$work/gemm$n.nn" --target=cuda --gpu-arch="$arch" -o "$kit/bin/gemm$n.gpu"
  "$nnc" build "$work/gemm$n.nn" --target=cuda --gpu-arch="$arch" --gpu-tiles=false \
    -o "$kit/bin/gemm$n.untiled"
done
echo "$sizes" > "$kit/gemm_sizes.txt"
echo "$arch" > "$kit/arch.txt"
(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown) > "$kit/commit.txt"
tar -C "$kit" -cJf "$kit/bin.tar.xz" bin
rm -rf "$kit/bin"
echo "prepare: $kit ($(du -sh "$kit" | cut -f1))"
