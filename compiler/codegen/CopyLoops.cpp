//===- CopyLoops.cpp - Strided buffer copies as loops
//----------------------===//
//
// Bufferization copies into views (the interior of a padded image, a slice
// of a concatenation, a transposed layout) with memref.copy. Between dense
// buffers that lowers to memcpy, but between strided views it lowers to a
// call of the generic `memrefCopy`, which walks one element at a time
// through descriptors and was the largest single cost of a convolutional
// training step. Here such copies become linalg.copy, whose loops LLVM
// vectorises like every other op.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace nnc {
#define GEN_PASS_DEF_NNCOPYLOOPS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

bool nnc::isDenseRowMajor(MemRefType m) {
  return m.getLayout().isIdentity() ||
         (m.hasStaticShape() && m.areTrailingDimsContiguous(m.getRank()));
}

namespace {
struct NNCopyLoopsPass : nnc::impl::NNCopyLoopsBase<NNCopyLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) {
      auto dense = [](Type t) {
        return nnc::isDenseRowMajor(cast<MemRefType>(t));
      };
      if (!dense(op.getSource().getType()) || !dense(op.getTarget().getType()))
        copies.push_back(op);
    });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};
} // namespace
