//===- PrivateInits.cpp - Every destination gets its own fill -------------===//
//
// CSE merges identical fills of empty tensors, and then one zero tensor is
// the destination of several ops: in a train step, the forward convolution
// and the convolution that computes its input's gradient both start from
// "zeros of [N, 26, 26, 32]". Bufferization gives such a shared
// destination one buffer, fills it once and copies it for each op but the
// last, a whole extra pass over the activations per op. This pass, on
// tensors right before bufferization, clones the fill (and its empty
// tensor) for every destination use, right before the op: each op fills
// its own buffer, nothing is copied, and nnc-kernel-calls sees a fill right
// before each product it can fold into the kernel.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace nnc {
#define GEN_PASS_DEF_NNPRIVATEINITS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNPrivateInitsPass : nnc::impl::NNPrivateInitsBase<NNPrivateInitsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp f) {
      if (f.hasPureTensorSemantics() && !f->getResult(0).hasOneUse())
        fills.push_back(f);
    });
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : fill->getResult(0).getUses())
        if (auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
            dps && dps.isDpsInit(&use))
          inits.push_back(&use);
      for (OpOperand *use : inits) {
        OpBuilder b(use->getOwner());
        Value dest = fill.getOutputs()[0];
        if (auto empty = dest.getDefiningOp<tensor::EmptyOp>())
          dest = b.clone(*empty)->getResult(0);
        auto own =
            linalg::FillOp::create(b, fill.getLoc(), fill.getInputs()[0], dest);
        use->set(own.getResult(0));
      }
      if (fill->use_empty())
        fill->erase();
    }
  }
};
} // namespace
