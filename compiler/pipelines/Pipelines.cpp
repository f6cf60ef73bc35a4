//===- Pipelines.cpp - The pass pipelines of nnc, by stage ----------------===//
//
// The single definition of what runs after MLIRGen, used by the driver and
// registered by name for nnc-opt (see Pipelines.h).
//
//===----------------------------------------------------------------------===//
#include "pipelines/Pipelines.h"
#include "autodiff/Passes.h"
#include "codegen/Passes.h"
#include "conversion/Passes.h"
#include "transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/raw_ostream.h"

using namespace nnc;

std::string nnc::autodiffPipeline() {
  // A train step calls its loss functions, `grad(...)` its functions:
  // inline them once differentiated; the canonicaliser and CSE remove
  // dead gradients.
  return "nn-reverse-mode,inline,symbol-dce,canonicalize,cse";
}

std::string nnc::toLinalgPipeline() {
  return "nn-expand-batch-norm, canonicalize, cse, nn-lower-to-linalg,"
         "nnc-invariant-reciprocals, nnc-math-approximation, canonicalize,"
         "cse, linalg-fuse-elementwise-ops, nnc-fuse-elementwise, canonicalize,"
         "cse, func.func(nnc-early-exchange)";
}

std::string nnc::bufferizePipeline(const PipelineOptions &opts) {
  std::string p =
      "nnc-entry-points, nnc-update-in-place, func.func(nnc-private-inits),"
      "one-shot-bufferize{bufferize-function-boundaries "
      "allow-return-allocs-from-loops "
      "function-boundary-type-conversion=identity-layout-map},"
      "canonicalize," // erases the self-copies of in-place updates
      "buffer-deallocation-pipeline, convert-bufferization-to-memref,"
      "func.func(nnc-return-arguments),";
  if (opts.kernels)
    p += "nnc-kernel-calls{threads=" + std::to_string(opts.threads) +
         (opts.int8 ? " int8=1" : "") + "},";
  return p + "nnc-plan-buffers, nnc-collective-calls";
}

/// The lowering to the LLVM dialect that the CPU's loops and the GPU's
/// host code share.
static std::string hostConversions(bool gpu) {
  // Integer powers (math.ipowi) become calls of generated functions.
  return std::string(
             "expand-strided-metadata, convert-math-to-funcs{convert-ctlz=0},"
             "lower-affine, convert-scf-to-cf,"
             "finalize-memref-to-llvm{use-generic-functions},"
             "convert-math-to-llvm, convert-math-to-libm,"
             "convert-arith-to-llvm, convert-index-to-llvm, "
             "convert-func-to-llvm,"
             "convert-cf-to-llvm, convert-ub-to-llvm,") +
         (gpu ? "gpu-to-llvm," : "convert-openmp-to-llvm,") +
         "reconcile-unrealized-casts, nnc-kernel-noalias, "
         "nnc-llvm-interfaces";
}

/// Each linalg op's loops as --target=cuda shapes them: matrix products
/// in shared-memory tiles (unless turned off), the rest with parallel
/// loops first, collapsed into one, tiled by the block size and mapped to
/// blocks and threads (nested ones sequential), the host code left
/// (whole-tensor reductions, scalar arithmetic) in kernels of one thread,
/// reductions summed in registers.
static std::string gpuLoops(const PipelineOptions &opts) {
  return std::string("func.func(nnc-copy-loops,") +
         (opts.gpuTiles ? "nnc-gpu-tile-products," : "") +
         "nnc-gpu-parallel-first, convert-linalg-to-parallel-loops,"
         "canonicalize, nnc-gpu-split-reductions, nnc-gpu-map-loops,"
         "nnc-gpu-serial-kernels, nnc-gpu-register-sums)";
}

std::string nnc::gpuKernelsPipeline(const PipelineOptions &opts) {
  // Every linalg op's parallel loops become one launch, with the
  // constants and constant tensors it uses inside; launches are queued on
  // one stream, waited for where the host needs their results.
  return gpuLoops(opts) +
         ", func.func(convert-parallel-loops-to-gpu, nnc-gpu-launch-tiles),"
         "lower-affine,"
         "canonicalize, cse, nnc-gpu-sink-operands, gpu-kernel-outlining,"
         "nnc-gpu-one-module, func.func(gpu-async-region)";
}

namespace {
/// Each chip with the oldest PTX ISA version that supports it (PTX ISA
/// documentation, "PTX ISA version" of each target).
struct Chip {
  const char *name;
  const char *ptx;
};
constexpr Chip kChips[] = {
    {"sm_75", "+ptx63"},  {"sm_80", "+ptx70"},   {"sm_86", "+ptx71"},
    {"sm_87", "+ptx74"},  {"sm_89", "+ptx78"},   {"sm_90", "+ptx78"},
    {"sm_90a", "+ptx80"}, {"sm_100", "+ptx86"},  {"sm_100a", "+ptx86"},
    {"sm_120", "+ptx87"}, {"sm_120a", "+ptx87"},
};
} // namespace

std::string nnc::ptxFeaturesFor(const std::string &chip) {
  for (const Chip &c : kChips)
    if (chip == c.name)
      return c.ptx;
  return "";
}

std::string nnc::knownGpuChips() {
  std::string out;
  for (const Chip &c : kChips)
    out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

std::string nnc::nvvmPipeline(const PipelineOptions &opts) {
  return "nvvm-attach-target{O=3 chip=" + opts.gpuChip +
         " features=" + ptxFeaturesFor(opts.gpuChip) +
         "}, gpu.module(expand-strided-metadata, lower-affine,"
         "convert-scf-to-cf, convert-gpu-to-nvvm, canonicalize, cse,"
         "reconcile-unrealized-casts)";
}

std::string nnc::gpuBinaryPipeline(const PipelineOptions &opts) {
  std::string p = "gpu-module-to-binary{format=isa";
  if (!opts.cudaPath.empty())
    p += " toolkit=" + opts.cudaPath;
  return p + "}";
}

std::string nnc::toLLVMPipeline(const PipelineOptions &opts) {
  if (!opts.gpuChip.empty())
    return hostConversions(/*gpu=*/true);
  // Loops: sequential, or (threads > 1) each op's parallel loops as an
  // OpenMP parallel region of `threads` threads (reductions stay in one
  // thread, so results do not depend on the thread count).
  // --emulate-gpu-loops: the GPU's loop nests, run on the CPU in order.
  if (opts.gpuLoopsOnCpu)
    return gpuLoops(opts) + "," + hostConversions(/*gpu=*/false);
  std::string p = "func.func(nnc-copy-loops), nnc-outline-kernels,";
  if (opts.threads <= 1)
    p += "func.func(nnc-contiguous-loops, convert-linalg-to-loops),";
  else
    p += "func.func(nnc-contiguous-loops, convert-linalg-to-parallel-loops,"
         "nnc-outer-parallel-loops),"
         "convert-scf-to-openmp{num-threads=" +
         std::to_string(opts.threadsAtRunTime ? 0 : opts.threads) +
         "}, canonicalize,";
  return p + hostConversions(/*gpu=*/false);
}

namespace {
struct CodegenPipelineOptions
    : mlir::PassPipelineOptions<CodegenPipelineOptions> {
  Option<unsigned> threads{*this, "threads",
                           llvm::cl::desc("OpenMP threads (default 1)"),
                           llvm::cl::init(1)};
  Option<bool> kernels{*this, "kernels",
                       llvm::cl::desc("Call the runtime's GEMM kernels"),
                       llvm::cl::init(true)};
  Option<bool> threadsAtRunTime{
      *this, "threads-at-run-time",
      llvm::cl::desc("Parallel regions take OpenMP's thread count at run "
                     "time (a library's set_threads)"),
      llvm::cl::init(false)};
  Option<bool> int8{*this, "int8",
                    llvm::cl::desc("Inference products by a parameter in "
                                   "int8 (--quantize=int8)"),
                    llvm::cl::init(false)};
  Option<std::string> gpuChip{
      *this, "gpu-chip",
      llvm::cl::desc("--target=cuda: the GPU's chip (sm_80, ...)"),
      llvm::cl::init("sm_80")};
  Option<bool> gpuTiles{
      *this, "gpu-tiles",
      llvm::cl::desc("--target=cuda: matrix products in shared-memory tiles"),
      llvm::cl::init(true)};
  Option<std::string> cudaPath{*this, "cuda-path",
                               llvm::cl::desc("The CUDA toolkit (libdevice)"),
                               llvm::cl::init("")};
  PipelineOptions get() const {
    PipelineOptions o;
    o.threads = threads;
    o.threadsAtRunTime = threadsAtRunTime;
    o.kernels = kernels;
    o.int8 = int8;
    return o;
  }
  PipelineOptions gpu() const {
    PipelineOptions o;
    o.kernels = false;
    o.gpuChip = gpuChip;
    o.cudaPath = cudaPath;
    o.gpuTiles = gpuTiles;
    return o;
  }
};

void add(mlir::OpPassManager &pm, const std::string &pipeline) {
  if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("nnc: a pass of its own pipeline is missing");
}
} // namespace

void nnc::registerPassesAndPipelines() {
  static bool done = [] {
    mlir::registerAllPasses();
    registerNNTransformsPasses();
    registerNNConversionPasses();
    registerNNCodegenPasses();
    registerNNAutodiffPasses();
    mlir::PassPipelineRegistration<>(
        "nnc-autodiff", "nnc's reverse mode and clean-up (--emit=grad)",
        [](mlir::OpPassManager &pm) { add(pm, autodiffPipeline()); });
    mlir::PassPipelineRegistration<>(
        "nnc-to-linalg", "nnc: nn -> linalg (--emit=linalg)",
        [](mlir::OpPassManager &pm) { add(pm, toLinalgPipeline()); });
    mlir::PassPipelineRegistration<CodegenPipelineOptions>(
        "nnc-bufferize", "nnc: linalg -> buffers (--emit=buffers)",
        [](mlir::OpPassManager &pm, const CodegenPipelineOptions &o) {
          add(pm, bufferizePipeline(o.get()));
        });
    mlir::PassPipelineRegistration<CodegenPipelineOptions>(
        "nnc-to-llvm", "nnc: buffers -> the LLVM dialect (--emit=llvm)",
        [](mlir::OpPassManager &pm, const CodegenPipelineOptions &o) {
          add(pm, toLLVMPipeline(o.get()));
        });
    mlir::PassPipelineRegistration<CodegenPipelineOptions>(
        "nnc-gpu-kernels",
        "nnc --target=cuda: buffers -> GPU kernels (--emit=gpu)",
        [](mlir::OpPassManager &pm, const CodegenPipelineOptions &o) {
          add(pm, gpuKernelsPipeline(o.gpu()));
        });
    mlir::PassPipelineRegistration<CodegenPipelineOptions>(
        "nnc-to-nvvm", "nnc --target=cuda: kernels -> NVVM (--emit=nvvm)",
        [](mlir::OpPassManager &pm, const CodegenPipelineOptions &o) {
          add(pm, nvvmPipeline(o.gpu()));
        });
    return true;
  }();
  (void)done;
}
