//===- Passes.h - nn -> nn transformations                    -*- C++ -*-===//
//
// Rewrites within the nn dialect that prepare it for lowering.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TRANSFORMS_PASSES_H
#define NNC_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace nnc {
#define GEN_PASS_DECL
#include "transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "transforms/Passes.h.inc"
} // namespace nnc

#endif // NNC_TRANSFORMS_PASSES_H
