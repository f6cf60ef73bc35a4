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

namespace nnc {
/// Marks the linalg.generic that nn-lower-to-linalg makes of
/// nn.conv2d_filter_grad (value: strides and dilations, 4 x i64), for
/// nn-kernel-calls.
constexpr const char kFilterGradAttr[] = "nn.conv2d_filter_grad";

/// A fusion that lowering itself made (a loop computing several results
/// of one op), described for --remarks (value: a string).
constexpr const char kFusionNoteAttr[] = "nn.fusion_note";

/// On an outlined kernel (func.func, then llvm.func): the positions of the
/// LLVM arguments that nn-kernel-noalias declares `noalias` (value: dense
/// i32 array).
constexpr const char kNoAliasArgsAttr[] = "nn.noalias_args";

/// Whether a memref is laid out densely in row-major order (an identity
/// layout, or a static shape whose strides say the same): what memcpy can
/// copy and what the kernels need of filters and outputs.
bool isDenseRowMajor(mlir::MemRefType type);

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"
} // namespace nnc

#endif // NNC_CODEGEN_PASSES_H
