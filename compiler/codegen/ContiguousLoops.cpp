//===- ContiguousLoops.cpp - Innermost loops that walk memory in order ----===//
//
// convert-linalg-to-loops emits loops in the op's dimension order; for a
// linalg.matmul that is (m, n, k), whose innermost loop strides through B
// by a whole row. Moving the dimension that indexes the output's last
// (contiguous) dimension innermost makes every inner loop unit-stride, so
// the LLVM vectoriser turns it into packed FMAs.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNCONTIGUOUSLOOPS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// The loop order with the output's innermost dimension last, or empty if
/// the op is already in that order (or has no such dimension).
SmallVector<unsigned> contiguousOrder(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return {};
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0)
    return {};
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  unsigned n = op.getNumLoops();
  if (!last || last.getPosition() == n - 1)
    return {};
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < n; ++d)
    if (d != last.getPosition())
      order.push_back(d);
  order.push_back(last.getPosition());
  return order;
}

struct NNContiguousLoopsPass
    : nnc::impl::NNContiguousLoopsBase<NNContiguousLoopsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      // Products and convolutions; element-wise ops are already in order.
      if (op.getNumReductionLoops() > 0)
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      SmallVector<unsigned> order = contiguousOrder(generic);
      if (!order.empty())
        (void)linalg::interchangeGenericOp(rewriter, generic, order);
    }
  }
};
} // namespace
