//===- NNDialect.cpp - The nn dialect -------------------------------------===//
//
// Registers the ops, and lets the inliner move them: a train step calls
// its loss function (differentiated by the reverse-mode pass) and then
// inlines it, so every nn op is legal to inline (they are all pure or
// local to their function).
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace nnc::nn;

#include "dialect/NNDialect.cpp.inc"
#include "dialect/NNEnums.cpp.inc"
#include "dialect/NNInterfaces.cpp.inc"

namespace {
struct NNInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
      >();
  addInterfaces<NNInlinerInterface>();
}
