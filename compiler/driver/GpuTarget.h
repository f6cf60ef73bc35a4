//===- GpuTarget.h - What --target=cuda needs of the driver -----*- C++ -*-===//
//
// The choices `--target=cuda` makes before and after the pipeline: where
// the CUDA toolkit is (libdevice for math functions), how the kernels' PTX
// is printed (--emit=ptx), checked and assembled. The chips and their PTX
// versions are the pipeline's (pipelines/Pipelines.h).
// No MLIR header here.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_GPUTARGET_H
#define NNC_DRIVER_GPUTARGET_H

#include <string>

namespace llvm {
class raw_ostream;
}
namespace mlir {
class ModuleOp;
}

namespace nnc {

class DiagnosticEngine;

/// The CUDA toolkit to use when --cuda-path is not given: the one found
/// when nnc was configured, else $CUDA_HOME, $CUDA_PATH or /usr/local/cuda
/// if it holds libdevice; "" if none.
std::string defaultCudaPath();
/// Whether `dir` is a CUDA toolkit with libdevice (nvvm/libdevice/...).
bool hasLibdevice(const std::string &dir);

/// Writes the PTX of every kernel (each gpu.binary's object) to `os`.
void printKernelPTX(mlir::ModuleOp module, llvm::raw_ostream &os);
/// Reports kernels whose PTX still calls a libdevice function (a math
/// function the toolkit's libdevice would have defined): the driver could
/// not load them. False if there is one.
bool checkKernelPTX(mlir::ModuleOp module, const std::string &cudaPath,
                    DiagnosticEngine &diags);

/// Where the toolkit has ptxas and fatbinary: replaces each kernel
/// module's PTX by a fat binary holding the cubin for `chip` and the PTX
/// (which the driver compiles for other GPUs), so that loading needs no
/// JIT compilation on the chip compiled for. Without them the PTX stays.
/// False (reported) if ptxas rejects the PTX.
bool addCubins(mlir::ModuleOp module, const std::string &chip,
               const std::string &cudaPath, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_GPUTARGET_H
