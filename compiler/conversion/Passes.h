//===- Passes.h - nn -> linalg conversion                     -*- C++ -*-===//
//
// The conversion of the nn dialect to linalg on tensors (one conversion
// pattern per op; see Lowering.h for how the rules are split).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CONVERSION_PASSES_H
#define NNC_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace nnc {
#define GEN_PASS_DECL
#include "conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "conversion/Passes.h.inc"
} // namespace nnc

#endif // NNC_CONVERSION_PASSES_H
