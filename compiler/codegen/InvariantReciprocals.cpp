//===- InvariantReciprocals.cpp - Divide by a reciprocal, once per op -----===//
//
// A division inside a linalg.generic by a value that is the same for every
// element (Adam's bias corrections, a mean's count) becomes a
// multiplication by its reciprocal, which LLVM hoists out of the loop: one
// division per op instead of one per element (about 10x cheaper in the
// loop). Spelled out here rather than left to fast-math flags, so that the
// numbers do not depend on how a loop is split between threads.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace nnc {
#define GEN_PASS_DEF_INVARIANTRECIPROCALS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether `v` has one value for all iterations of `g`: a scalar input
/// (an operand indexed by no loop) or a value defined outside `g`.
bool isInvariant(linalg::GenericOp g, Value v) {
  Block &body = g.getRegion().front();
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &body &&
           arg.getArgNumber() < g.getNumDpsInputs() &&
           g.getMatchingIndexingMap(g.getDpsInputOperand(arg.getArgNumber()))
                   .getNumResults() == 0;
  return !g->isAncestor(v.getParentRegion()->getParentOp());
}

struct InvariantReciprocalsPass
    : nnc::impl::InvariantReciprocalsBase<InvariantReciprocalsPass> {
  void runOnOperation() override {
    getOperation()->walk([](linalg::GenericOp g) {
      g.getRegion().front().walk([&](arith::DivFOp div) {
        if (!isInvariant(g, div.getRhs()))
          return;
        OpBuilder b(div);
        Location l = div.getLoc();
        Value one =
            arith::ConstantOp::create(b, l, b.getFloatAttr(div.getType(), 1));
        Value r = arith::DivFOp::create(b, l, one, div.getRhs());
        div.replaceAllUsesWith(
            arith::MulFOp::create(b, l, div.getLhs(), r).getResult());
        div.erase();
      });
    });
  }
};

} // namespace
