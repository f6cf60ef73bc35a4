//===- Pipelines.h - The pass pipelines of nnc, by stage --------*- C++ -*-===//
//
// What `nnc build` runs at each stage, written once: the driver runs these
// pipelines, and nnc-opt knows them by name (`--nnc-to-linalg`,
// `--nnc-bufferize`, `--nnc-to-llvm`, `--nnc-autodiff`), so that
// `nnc build --emit=nn | nnc-opt --nnc-to-linalg` prints what
// `nnc build --emit=linalg` does. No MLIR header here.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_PIPELINES_PIPELINES_H
#define NNC_PIPELINES_PIPELINES_H

#include <string>

namespace nnc {

/// The options code generation passes take.
struct PipelineOptions {
  unsigned threads = 1; ///< OpenMP threads of generated loops and kernels
  /// Parallel regions without a thread count: OpenMP's setting at run time.
  bool threadsAtRunTime = false;
  bool kernels = true;  ///< f32 products and convolutions on the runtime's
  bool int8 = false;    ///< --quantize=int8: inference products in int8
  /// --target=cuda: the GPU's chip (sm_80, ...); empty for the CPU.
  std::string gpuChip;
  /// The CUDA toolkit (libdevice for math functions); may be empty.
  std::string cudaPath;
  /// For tests: the CPU runs the loop nests --target=cuda would launch
  /// (parallel loops first, collapsed, tiled, guarded), sequentially.
  bool gpuLoopsOnCpu = false;
  /// --target=cuda: matrix products in shared-memory tiles
  /// (nnc-gpu-tile-products); off: one thread per output element.
  bool gpuTiles = true;
};

/// Each stage as a textual pipeline on builtin.module (assembled by name,
/// which keeps the driver free of the conversion passes' headers).
/// nn -> nn after reverse mode: gradients, then inlining and clean-up.
std::string autodiffPipeline();
/// nn -> linalg, tensor, arith, math (fused).
std::string toLinalgPipeline();
/// linalg on tensors -> buffers: entry points, bufferization, kernel
/// calls, the workspace plan.
std::string bufferizePipeline(const PipelineOptions &opts);
/// buffers -> the LLVM dialect: kernels outlined, loops, conversions
/// (with a gpuChip: the host's code, kernels already in gpu.binary ops).
std::string toLLVMPipeline(const PipelineOptions &opts);
/// --target=cuda, buffers -> each op's loops one kernel: gpu.launch_func
/// on the host, the kernel in a gpu.module (--emit=gpu).
std::string gpuKernelsPipeline(const PipelineOptions &opts);
/// The kernels' gpu.module ops -> NVVM and the LLVM dialect (--emit=nvvm).
std::string nvvmPipeline(const PipelineOptions &opts);
/// Each gpu.module -> a gpu.binary holding its PTX.
std::string gpuBinaryPipeline(const PipelineOptions &opts);

/// The PTX version nnc emits for a GPU chip ("sm_80" -> "+ptx70": the
/// oldest that supports it, which the most drivers can compile); "" for a
/// chip nnc does not know.
std::string ptxFeaturesFor(const std::string &chip);
/// The chips --target=cuda compiles for, for help and errors
/// ("sm_75, sm_80, ...").
std::string knownGpuChips();

/// Registers every pass nnc runs (upstream and its own) and the named
/// pipelines above; idempotent.
void registerPassesAndPipelines();

} // namespace nnc

#endif // NNC_PIPELINES_PIPELINES_H
