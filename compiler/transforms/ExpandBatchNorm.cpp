//===- ExpandBatchNorm.cpp - Batch norm's statistics as their own op ------===//
//
// In training, batch norm normalises with the batch's own statistics, and a
// train step asks for them three times: the forward, the backward
// (nn.batch_norm_grad's operands) and the running-statistics update. The
// last two already use nn.channel_moments; this pass, after reverse mode
// and before lowering, rewrites each training-mode nn.batch_norm into
// nn.channel_moments of its input plus the evaluation form normalising
// with them. The CSE that follows leaves one nn.channel_moments per input:
// with nn.batch_norm_grad's one loop for both of its sums, a step reads a
// batch norm's input three times for its reductions instead of ten
// (forward mean and variance, the same again for the running statistics,
// and six reductions of the backward).
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace nnc {
#define GEN_PASS_DEF_NNEXPANDBATCHNORM
#include "transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNExpandBatchNormPass
    : nnc::impl::NNExpandBatchNormBase<NNExpandBatchNormPass> {
  void runOnOperation() override {
    SmallVector<nnc::nn::BatchNormOp> training;
    getOperation().walk([&](nnc::nn::BatchNormOp op) {
      if (op.getTraining())
        training.push_back(op);
    });
    for (nnc::nn::BatchNormOp op : training) {
      OpBuilder b(op);
      Type c = op.getGamma().getType();
      auto moments = nnc::nn::ChannelMomentsOp::create(b, op.getLoc(), c, c,
                                                       op.getInput());
      auto normalise = nnc::nn::BatchNormOp::create(
          b, op.getLoc(), op.getType(), op.getInput(), op.getGamma(),
          op.getBeta(), moments.getMean(), moments.getVar(), op.getEpsAttr(),
          b.getBoolAttr(false));
      op.replaceAllUsesWith(normalise.getResult());
      op.erase();
    }
  }
};
} // namespace
