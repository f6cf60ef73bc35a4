//===- Passes.h - Automatic differentiation passes of nnc -------*- C++ -*-===//
#ifndef NNC_AUTODIFF_PASSES_H
#define NNC_AUTODIFF_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith {
class ArithDialect;
}
namespace tensor {
class TensorDialect;
}
} // namespace mlir

namespace nnc {
#define GEN_PASS_DECL
#include "autodiff/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "autodiff/Passes.h.inc"
} // namespace nnc

#endif // NNC_AUTODIFF_PASSES_H
