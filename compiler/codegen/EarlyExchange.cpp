//===- EarlyExchange.cpp - Gradients leave as soon as they are computed ---===//
//
// MLIRGen puts the gradient exchange of data-parallel training after the
// whole backward pass. Each nn.allreduce_start only reads its gradient, so
// it may run right after the op that produces it: the runtime then starts
// the allreduce of a full bucket while the backward pass computes the
// gradients of earlier layers (the last layers' gradients come first).
// nn.allreduce_wait stays where it is, before the optimizer update.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace nnc {
#define GEN_PASS_DEF_NNEARLYEXCHANGE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNEarlyExchangePass
    : nnc::impl::NNEarlyExchangeBase<NNEarlyExchangePass> {
  void runOnOperation() override {
    SmallVector<nnc::nn::AllreduceStartOp> starts;
    getOperation()->walk(
        [&](nnc::nn::AllreduceStartOp op) { starts.push_back(op); });
    for (nnc::nn::AllreduceStartOp op : starts) {
      Value g = op.getGrad();
      if (Operation *def = g.getDefiningOp()) {
        if (def->getBlock() == op->getBlock())
          op->moveAfter(def);
      } else if (cast<BlockArgument>(g).getOwner() == op->getBlock()) {
        op->moveBefore(&op->getBlock()->front());
      }
    }
  }
};
} // namespace
