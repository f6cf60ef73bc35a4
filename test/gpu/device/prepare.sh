#!/bin/bash
# prepare.sh NNC KIT_DIR: builds, on a machine with nnc and the CUDA
# toolkit, everything the on-device check (check.sh) needs, in a folder
# small enough (about 50 MB) to travel to a GPU machine that has neither
# nnc nor LLVM (the executables packed in KIT_DIR/bin.tar.xz):
#
#   bin/NAME.gpu     each example that trains on Fashion-MNIST, as a train
#                    executable for the GPU (--target=cuda, $GPU_ARCH)
#   bin/NAME.cpu     the same with plain CPU loops (--no-kernels), the
#                    reference check.sh runs one training step of on both
#                    (the host code of both for any x86-64-v3 CPU)
#   ref/NAME.full.out  the MLP's and CNN's full training on the CPU here
#                    (test accuracy; ACCURACY=0 skips those runs)
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

if [ -e "$kit" ] && [ -n "$(ls -A "$kit")" ] && [ ! -f "$kit/arch.txt" ]; then
  echo "prepare.sh: $kit exists and is not a kit: give a new folder" >&2
  exit 1
fi
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
  echo "prepare: $name"
  "$nnc" build "$ex" --train --target=cuda --gpu-arch="$arch" --cpu=x86-64-v3 \
    -o "$kit/bin/$name.gpu"
  "$nnc" build "$ex" --train --no-kernels --cpu=x86-64-v3 -o "$kit/bin/$name.cpu"
  # check.sh's step (64 samples, validation on 64 too), tried here: an
  # example that needs files besides the data set (finetune.nn: weights a
  # script writes) is left out.
  if ! (cd "$work" && "$kit/bin/$name.cpu" --limit 64 --batch 64 --epochs 1 \
          --seed 1 --no-progress --checkpoint "$work/$name.safetensors" \
          > /dev/null 2> "$work/$name.err"); then
    echo "prepare: left out $name: $(tail -c 300 "$work/$name.err")"
    rm -f "$kit/bin/$name".*
    continue
  fi
  names+=("$name")
done
printf '%s\n' "${names[@]}" > "$kit/examples.txt"

if [ "${ACCURACY:-1}" != 0 ]; then
  for name in mlp cnn; do
    [[ " ${names[*]} " == *" $name "* ]] || continue
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
  "$nnc" build "$work/gemm$n.nn" --target=cuda --gpu-arch="$arch" --cpu=x86-64-v3 \
    -o "$kit/bin/gemm$n.gpu"
  "$nnc" build "$work/gemm$n.nn" --target=cuda --gpu-arch="$arch" --cpu=x86-64-v3 \
    --gpu-tiles=false -o "$kit/bin/gemm$n.untiled"
done
echo "$sizes" > "$kit/gemm_sizes.txt"
echo "$arch" > "$kit/arch.txt"
(cd "$root" && git describe --always --dirty 2>/dev/null || echo unknown) > "$kit/commit.txt"
tar -C "$kit" -cJf "$kit/bin.tar.xz" bin
rm -rf "$kit/bin"
echo "prepare: $kit ($(du -sh "$kit" | cut -f1))"
