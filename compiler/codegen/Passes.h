//===- Passes.h - Code generation passes of nnc -----------------*- C++ -*-===//
#ifndef NNC_CODEGEN_PASSES_H
#define NNC_CODEGEN_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class MemRefType;
namespace arith {
class ArithDialect;
}
namespace linalg {
class LinalgDialect;
}
namespace math {
class MathDialect;
}
namespace tensor {
class TensorDialect;
}
namespace vector {
class VectorDialect;
}
} // namespace mlir

#include "dialect/NNAttrNames.h"

namespace nnc {
// The nn.* attributes the passes share (see dialect/NNAttrNames.h).
constexpr const char *kFilterGradAttr = attr::kFilterGrad;
constexpr const char *kFusionNoteAttr = attr::kFusionNote;
constexpr const char *kNoAliasArgsAttr = attr::kNoAliasArgs;

/// What identifies the memory a buffer is a view of: the planned buffer
/// (a memref.view of the workspace), the allocation, the global, or the
/// entry point's argument it was taken from; null when unknown (a loop's
/// iteration argument, a call's result). The buffer plan never lets two
/// buffers one op uses share memory, so different roots are disjoint.
const void *bufferRoot(mlir::Value v);

/// Whether a memref is laid out densely in row-major order (an identity
/// layout, or a static shape whose strides say the same): what memcpy can
/// copy and what the kernels need of filters and outputs.
bool isDenseRowMajor(mlir::MemRefType type);

/// --target=cuda's tiled products (nnc-gpu-tile-products): the loop over
/// a product's output tiles (its value: the threads per tile) and each of
/// the phases its threads run between barriers.
constexpr const char *kGpuTilesAttr = "nnc.gpu_tiles";
constexpr const char *kGpuThreadsAttr = "nnc.gpu_threads";

/// Whether `op` is a memref.get_global of a `constant` memref.global: a
/// tensor --target=cuda kernels read from their own copy
/// (nnc-gpu-sink-operands).
bool isConstantGlobal(mlir::Operation *op);

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"
} // namespace nnc

#endif // NNC_CODEGEN_PASSES_H
