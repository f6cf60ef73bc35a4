# lit configuration for nnc: .nn and .mlir files under test/ are tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "nnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".nn", ".mlir", ".test", ".td"]
config.excludes = ["Inputs", "CMakeLists.txt", "unit", "runtime", "fuzz", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
# Tests must not see the developer's own module path.
config.environment.pop("NNC_PATH", None)
# One compile cache for the tests, in the build tree (never the user's):
# the many tests that compile the same model compile it once. Entries of
# an older nnc binary never match (the key holds its identity).
config.environment["NNC_CACHE_DIR"] = os.path.join(config.nnc_obj_root, "nnc-cache")
config.environment["NNC_CACHE_MAX_MB"] = "512"
config.environment.pop("NNC_NO_CACHE", None)
llvm_config.add_tool_substitutions(
    ["nnc", "nnc-opt", "nnc-tblgen", "llvm-nm", "llvm-readelf"], [config.nnc_tools_dir, config.llvm_tools_dir])
config.substitutions.append(("%examples", os.path.join(config.nnc_src_root, "examples")))
config.substitutions.append(("%stdlib", os.path.join(config.nnc_src_root, "stdlib")))
config.substitutions.append(("%python", config.python_executable))

# PyTorch cross-checks run with Debian's python3 (python3-torch), never the
# first python3 on PATH.
import shutil
import subprocess
torch_python = "/usr/bin/python3"
try:
    subprocess.run([torch_python, "-c", "import torch"], check=True,
                   capture_output=True, timeout=120)
    config.available_features.add("torch")
except Exception:
    lit_config.note("python3-torch not found: the PyTorch cross-checks are skipped")
config.substitutions.append(("%torch-python", torch_python))

# CPUs whose bf16 kernels run (`precision bf16`; runtime/src/Gemm.cpp).
try:
    with open("/proc/cpuinfo") as f:
        flags = f.read().split()
    if ("avx512_bf16" in flags and "avx512bw" in flags and
            os.environ.get("NNC_BF16") != "0"):
        config.available_features.add("bf16")
    # CPUs whose int8 kernels run (--quantize=int8).
    if ("avx512_vnni" in flags and "avx512bw" in flags and
            os.environ.get("NNC_INT8") != "0"):
        config.available_features.add("int8")
except OSError:
    pass

# Data-parallel training: the MPI plugin was built and mpirun is here
# (scripts/setup.sh installs openmpi-bin and libopenmpi-dev). Two ranks on
# however many cores (--oversubscribe); root may run them (CI is root).
if getattr(config, "nnc_mpi", "") == "ON" and shutil.which("mpirun"):
    config.available_features.add("mpi")
else:
    lit_config.note("MPI not found: the data-parallel tests are skipped")
config.substitutions.append(
    ("%mpirun", "mpirun --oversubscribe --allow-run-as-root"))

# The ONNX tests: python3-onnx (with numpy) under Debian's python3, and ONNX
# Runtime from npm (scripts/setup.sh installs it in tools/onnxruntime).
ort_modules = os.path.join(config.nnc_src_root, "tools", "onnxruntime",
                           "node_modules")
try:
    subprocess.run([torch_python, "-c", "import onnx, numpy"], check=True,
                   capture_output=True, timeout=120)
    config.available_features.add("onnx")
    if shutil.which("node") and os.path.exists(
            os.path.join(ort_modules, "onnxruntime-node", "package.json")):
        config.available_features.add("onnxruntime")
    else:
        lit_config.note("ONNX Runtime not installed (scripts/setup.sh): the "
                        "ONNX Runtime comparisons are skipped")
except Exception:
    lit_config.note("python3-onnx not found: the ONNX tests are skipped")
config.environment["NNC_ORT_MODULES"] = ort_modules
# ONNX's backend test data (Debian's libonnx-testdata) for the conformance run.
if os.path.isdir("/usr/share/libonnx-testdata/data"):
    config.available_features.add("onnx-testdata")
config.substitutions.append(("%nnc-bindir", os.path.join(config.nnc_obj_root, "bin")))
config.substitutions.append(("%scripts", os.path.join(config.nnc_src_root, "scripts")))

def _truthy(value):
    return str(value).strip().lower() not in ("", "0", "false", "no", "off")

# The sanitizer build (docs/testing.md): tests that cannot run there say
# `UNSUPPORTED: sanitize`; the fuzz targets' corpus replay needs `fuzzers`.
# A C app linked against a library the sanitized nnc built must be linked
# with the sanitizer runtimes too (%nnc-lib-link); apps that test running
# out of memory need ASan to return NULL, as malloc would, not abort.
sanitized = _truthy(config.nnc_sanitize)
if sanitized:
    config.available_features.add("sanitize")
    config.environment["ASAN_OPTIONS"] = "allocator_may_return_null=1"
config.substitutions.append(
    ("%nnc-lib-link", "-fsanitize=address,undefined" if sanitized else ""))
if _truthy(config.nnc_fuzzers):
    config.available_features.add("fuzzers")
    llvm_config.add_tool_substitutions(
        ["nnc-%s-fuzzer" % t for t in ("npy", "csv", "idx", "safetensors",
                                       "train-args", "parser", "sema",
                                       "onnx")],
        [config.nnc_tools_dir])

# --target=cuda: PTX is checked by the CUDA toolkit's ptxas where one is
# installed (not a Debian package); the GPU tests without it still build
# PTX and follow the host side with a stand-in driver.
cuda_roots = [os.environ.get("CUDA_HOME", ""), os.environ.get("CUDA_PATH", ""),
              "/usr/local/cuda"]
for root in cuda_roots:
    ptxas = os.path.join(root, "bin", "ptxas")
    if root and os.access(ptxas, os.X_OK) and os.path.exists(
            os.path.join(root, "nvvm", "libdevice", "libdevice.10.bc")):
        config.available_features.add("cuda-toolkit")
        config.substitutions.append(("%ptxas", ptxas))
        break
else:
    lit_config.note("no CUDA toolkit (libdevice, ptxas): the --target=cuda builds are skipped")

config.substitutions.append(("%nnc-runtime-lib", os.path.join(config.nnc_obj_root, "lib", "libnnc_runtime.so")))

# Tests that take more than about 10 s (the PyTorch cross-checks over every
# op and example, gradient checks, example training) say `REQUIRES: long`.
# They run by default; the quick run (`lit --param quick=1`, or NNC_QUICK=1
# in the environment, e.g. `NNC_QUICK=1 ctest --test-dir build`) leaves
# them out. Left out, not reported unsupported: lit would record a time of
# ~0 s for an unsupported test, and the next full run, which starts the
# tests it knows to be longest first, would start them last.
if not (_truthy(lit_config.params.get("quick", "")) or
        _truthy(os.environ.get("NNC_QUICK", ""))):
    config.available_features.add("long")
else:
    import re
    marked = re.compile(r"\s*(#|//)\s*REQUIRES:.*\blong\b")
    long_names, other_names = set(), set()
    for root, dirs, files in os.walk(config.test_source_root):
        dirs[:] = [d for d in dirs if d not in config.excludes]
        for name in files:
            if not any(name.endswith(suffix) for suffix in config.suffixes):
                continue
            with open(os.path.join(root, name), errors="replace") as f:
                is_long = any(marked.match(line) for line in f)
            (long_names if is_long else other_names).add(name)
    # lit excludes by file name: a long test whose name another test shares
    # stays in the run, and is reported unsupported (no `long` feature).
    config.excludes += sorted(long_names - other_names)
    lit_config.note("quick run: the %d tests marked 'REQUIRES: long' are left out"
                    % len(long_names))
