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

std::string nnc::toLLVMPipeline(const PipelineOptions &opts) {
  // Loops: sequential, or (threads > 1) each op's parallel loops as an
  // OpenMP parallel region of `threads` threads (reductions stay in one
  // thread, so results do not depend on the thread count).
  std::string p = "func.func(nnc-copy-loops), nnc-outline-kernels,";
  if (opts.threads <= 1)
    p += "func.func(nnc-contiguous-loops, convert-linalg-to-loops),";
  else
    p += "func.func(nnc-contiguous-loops, convert-linalg-to-parallel-loops,"
         "nnc-outer-parallel-loops),"
         "convert-scf-to-openmp{num-threads=" +
         std::to_string(opts.threadsAtRunTime ? 0 : opts.threads) +
         "}, canonicalize,";
  // Integer powers (math.ipowi) become calls of generated functions.
  return p + "expand-strided-metadata, convert-math-to-funcs{convert-ctlz=0},"
             "lower-affine, convert-scf-to-cf,"
             "finalize-memref-to-llvm{use-generic-functions},"
             "convert-math-to-llvm, convert-math-to-libm,"
             "convert-arith-to-llvm, convert-index-to-llvm, "
             "convert-func-to-llvm,"
             "convert-cf-to-llvm, convert-ub-to-llvm, convert-openmp-to-llvm,"
             "reconcile-unrealized-casts, nnc-kernel-noalias, "
             "nnc-llvm-interfaces";
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
  PipelineOptions get() const {
    return {threads, threadsAtRunTime, kernels, int8};
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
    return true;
  }();
  (void)done;
}
