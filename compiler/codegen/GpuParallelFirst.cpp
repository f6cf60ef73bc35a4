//===- GpuParallelFirst.cpp - Parallel loops outside reductions -----------===//
//
// `--target=cuda` launches one kernel per loop nest, over the parallel
// loops that convert-linalg-to-parallel-loops puts outermost. An op whose
// reduction loops come first (a bias gradient sums over batch, height and
// width for each channel: iterators reduction x3, parallel) would become
// host loops launching one tiny kernel per reduced element. Here every
// linalg op is generalized and its loops interchanged so that the parallel
// ones come first, in their order, then the reductions: one launch, one
// thread per output element, each summing its reduction in order (the
// same order of additions as before).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUPARALLELFIRST
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct GpuParallelFirst
    : nnc::impl::NNGpuParallelFirstBase<GpuParallelFirst> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
      SmallVector<unsigned> order;
      for (unsigned d = 0; d < kinds.size(); ++d)
        if (kinds[d] == utils::IteratorType::parallel)
          order.push_back(d);
      for (unsigned d = 0; d < kinds.size(); ++d)
        if (kinds[d] != utils::IteratorType::parallel)
          order.push_back(d);
      bool identity = true;
      for (unsigned d = 0; d < order.size(); ++d)
        identity &= order[d] == d;
      if (identity)
        continue;
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue; // stays as it is: correct, only slower
        generic = *g;
      }
      (void)linalg::interchangeGenericOp(rewriter, generic, order);
    }
  }
};
} // namespace
