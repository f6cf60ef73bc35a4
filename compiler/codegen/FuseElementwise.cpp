//===- FuseElementwise.cpp - Fuse loops whose results are shared ---------===//
//
// linalg-fuse-elementwise-ops fuses an element-wise loop into its consumer
// only when the consumer is its one user. A training step is full of
// values with several element-wise users: an optimizer's gradient feeds
// both moment updates, and the new moments are returned (written in place)
// and feed the parameter's update. Here such a producer is fused into an
// element-wise consumer over the same iteration space anyway: the fused
// loop computes the producer's values once and, where something else still
// reads them, also writes them out as an extra result. Nothing is
// recomputed and the consumer no longer reads them back from memory, so a
// parameter's whole optimizer update (gradient term, moments, step)
// becomes one loop.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNFUSEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Every loop parallel and every result indexed by the loops themselves
/// (inputs may broadcast, e.g. a learning rate).
bool elementwise(linalg::GenericOp op) {
  if (op.getNumLoops() != op.getNumParallelLoops())
    return false;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return false;
  return true;
}

/// Fuse when the consumer reads the producer's value at the same point
/// of the same space (no broadcasting) and every other user of the
/// producer comes after the consumer (so the fused loop can serve them:
/// nothing is computed twice).
bool fusable(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || !elementwise(producer) ||
      !elementwise(consumer) ||
      producer.getNumLoops() != consumer.getNumLoops() ||
      !consumer.getMatchingIndexingMap(operand).isIdentity() ||
      !linalg::areElementwiseOpsFusable(operand))
    return false;
  Block *block = consumer->getBlock();
  for (Operation *user : producer->getUsers()) {
    if (user == consumer.getOperation())
      continue;
    Operation *top = block->findAncestorOpInBlock(*user);
    if (!top || !consumer->isBeforeInBlock(top))
      return false;
  }
  return true;
}

/// Fuses one producer into one consumer; false when there is none left.
bool fuseOne(func::FuncOp f) {
  OpOperand *found = nullptr;
  f.walk([&](linalg::GenericOp consumer) {
    for (OpOperand *in : consumer.getDpsInputOperands())
      if (fusable(in)) {
        found = in;
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (!found)
    return false;
  Operation *consumer = found->getOwner();
  Operation *producer = found->get().getDefiningOp();
  IRRewriter rewriter(f.getContext());
  rewriter.setInsertionPoint(consumer);
  FailureOr<linalg::ElementwiseOpFusionResult> fused =
      linalg::fuseElementwiseOps(rewriter, found);
  if (failed(fused))
    return false;
  // The consumer's results and the producer's results that others still
  // read now come from the fused loop (which sits where the consumer was,
  // before every such reader).
  Operation *fusedOp = fused->fusedOp;
  // Both sources, for --remarks and debug information.
  fusedOp->setLoc(
      rewriter.getFusedLoc({producer->getLoc(), consumer->getLoc()}));
  for (auto [orig, replacement] : fused->replacements)
    rewriter.replaceUsesWithIf(orig, replacement, [&](OpOperand &use) {
      return use.getOwner() != fusedOp;
    });
  if (consumer->use_empty())
    rewriter.eraseOp(consumer);
  if (producer->use_empty())
    rewriter.eraseOp(producer);
  return true;
}

struct NNFuseElementwisePass
    : nnc::impl::NNFuseElementwiseBase<NNFuseElementwisePass> {
  void runOnOperation() override {
    getOperation()->walk([](func::FuncOp f) {
      while (fuseOne(f)) {
      }
    });
  }
};
} // namespace
