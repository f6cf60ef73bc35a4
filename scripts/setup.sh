#!/usr/bin/env bash
# setup.sh - install every Debian package nnc needs, then configure and build.
#
# Idempotent: packages already present are skipped by apt, and the build
# directory is reused. Works as root; uses sudo otherwise.
#   scripts/setup.sh            install + build (Release, build/)
#   NNC_SKIP_APT=1 scripts/setup.sh   build only
#   NNC_BUILD_DIR=dir scripts/setup.sh  build elsewhere
#   NNC_BUILD_TYPE=Debug scripts/setup.sh  a Debug build (assertions on)
#   NNC_SANITIZE=1 scripts/setup.sh   ASan+UBSan over everything, generated
#                                     code included (docs/testing.md)
#   NNC_FUZZERS=1 scripts/setup.sh    also the libFuzzer targets (test/fuzz)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${NNC_BUILD_DIR:-$ROOT/build}"

PACKAGES=(
  # toolchain and LLVM/MLIR 22
  cmake ninja-build ccache clang-22 lld-22 llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools libomp-22-dev libclang-rt-22-dev
  # linking LLVM statically (cmake/StaticLLVM.cmake): libLLVMSupport.a needs zstd
  libzstd-dev
  # libraries the compiler and runtime use
  libfmt-dev libgtest-dev zlib1g-dev libedit-dev libstb-dev nlohmann-json3-dev
  # ONNX export: libonnx (protobuf classes, checker, shape inference)
  libonnx-dev libprotobuf-dev
  # apps linking a library of `nnc build --lib` (tests: pkg-config)
  pkgconf
  # tests: lit needs python3; the example data; the ONNX tests check files
  # with python3-onnx and run them in ONNX Runtime (npm, on Node.js)
  python3 python3-torch dataset-fashion-mnist python3-onnx nodejs
  # ONNX's backend test data: nnc import's conformance run
  libonnx-testdata
  # benchmarks: PyTorch uses OpenBLAS through the BLAS alternatives
  libopenblas-dev
  # data-parallel training over MPI (the runtime's plugin; tests run mpirun)
  openmpi-bin libopenmpi-dev
  # the on-device GPU check packs its executables with tar and xz
  xz-utils
)

if [ "${NNC_SKIP_APT:-0}" != "1" ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # Debian's nodejs comes without npm (NodeSource's includes it).
  if ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
  fi
  # ONNX Runtime (CPU) for the ONNX tests, at the version the lock file
  # pins. --ignore-scripts: the package's install script would download GPU
  # binaries; the CPU library is in the package.
  if [ ! -f "$ROOT/tools/onnxruntime/node_modules/onnxruntime-node/package.json" ]; then
    (cd "$ROOT/tools/onnxruntime" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
fi

CMAKE_ARGS=(-G Ninja -DCMAKE_BUILD_TYPE="${NNC_BUILD_TYPE:-Release}")
# In CI a compiler warning fails the build.
if [ "${CI:-}" = true ]; then
  CMAKE_ARGS+=(-DNNC_WERROR=ON)
fi
if [ "${NNC_SANITIZE:-0}" = 1 ]; then
  CMAKE_ARGS+=(-DNNC_SANITIZE=ON)
fi
if [ "${NNC_FUZZERS:-0}" = 1 ]; then
  CMAKE_ARGS+=(-DNNC_BUILD_FUZZERS=ON)
fi
if command -v clang++-22 >/dev/null; then
  CMAKE_ARGS+=(-DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22)
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" "${CMAKE_ARGS[@]}"
fi
export CCACHE_BASEDIR="$ROOT"
cmake --build "$BUILD_DIR" -j "$(nproc)"
