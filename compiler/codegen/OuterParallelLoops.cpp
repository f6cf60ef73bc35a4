//===- OuterParallelLoops.cpp - One parallel region per loop nest ---------===//
//
// With `--threads N`, each op's loops come from
// convert-linalg-to-parallel-loops and become OpenMP regions through
// convert-scf-to-openmp. An scf.parallel nested in another loop (the
// output columns inside a matrix product's reduction loop) would fork a
// region per iteration of that loop; this pass turns such nested
// scf.parallel ops into scf.for nests, keeping one parallel region per op,
// and keeps only the first dimension of each outer scf.parallel parallel
// (the others become inner scf.for loops that LLVM vectorises).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNOUTERPARALLELLOOPS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Replaces `op` (no reductions) by scf.for loops over its dimensions.
void sequentialize(scf::ParallelOp op) {
  OpBuilder b(op);
  IRMapping map;
  Location l = op.getLoc();
  for (auto [iv, lo, hi, step] :
       llvm::zip(op.getInductionVars(), op.getLowerBound(), op.getUpperBound(),
                 op.getStep())) {
    auto loop = scf::ForOp::create(b, l, lo, hi, step);
    map.map(iv, loop.getInductionVar());
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  for (Operation &inner : op.getBody()->without_terminator())
    b.clone(inner, map);
  op.erase();
}

/// Keeps only `op`'s first dimension parallel: an OpenMP loop over all of
/// an op's dimensions is collapsed into one, which recovers every index
/// with a division and a remainder per element and defeats vectorisation.
/// Split, the threads take blocks of the outer dimension and each runs the
/// inner dimensions as ordinary, vectorisable loops.
void keepOuterDimension(scf::ParallelOp op) {
  if (op.getNumLoops() <= 1 || op.getNumResults() != 0)
    return;
  OpBuilder b(op);
  Location l = op.getLoc();
  auto outer = scf::ParallelOp::create(b, l, ValueRange{op.getLowerBound()[0]},
                                       ValueRange{op.getUpperBound()[0]},
                                       ValueRange{op.getStep()[0]});
  IRMapping map;
  map.map(op.getInductionVars()[0], outer.getInductionVars()[0]);
  b.setInsertionPoint(outer.getBody()->getTerminator());
  for (unsigned d = 1; d < op.getNumLoops(); ++d) {
    auto loop = scf::ForOp::create(b, l, op.getLowerBound()[d],
                                   op.getUpperBound()[d], op.getStep()[d]);
    map.map(op.getInductionVars()[d], loop.getInductionVar());
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  for (Operation &inner : op.getBody()->without_terminator())
    b.clone(inner, map);
  op.erase();
}

/// Below this many iterations a loop nest runs on the calling thread:
/// starting and joining a parallel region costs more than the work of a
/// row of logits or a bias vector.
constexpr int64_t kMinParallelIterations = 16384;

/// Runs `op` in parallel only when its iteration count reaches
/// kMinParallelIterations (decided at compile time when the bounds are
/// constants, else by an scf.if on the run-time count, with a sequential
/// copy in the other branch). Returns the op that stays parallel, if any.
scf::ParallelOp parallelWhenLarge(scf::ParallelOp op) {
  // Slices of a kernel call (nnc-kernel-calls): one per thread, each large.
  if (op->walk([](func::CallOp) { return WalkResult::interrupt(); })
          .wasInterrupted())
    return op;
  std::optional<int64_t> known = 1;
  for (auto [lo, hi, step] :
       llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
    auto l = getConstantIntValue(lo), h = getConstantIntValue(hi),
         s = getConstantIntValue(step);
    if (!known || !l || !h || !s || *s <= 0)
      known = std::nullopt;
    else
      *known *= std::max<int64_t>(0, (*h - *l + *s - 1) / *s);
  }
  if (known) {
    if (*known >= kMinParallelIterations)
      return op;
    sequentialize(op);
    return {};
  }
  OpBuilder b(op);
  Location l = op.getLoc();
  Value count = arith::ConstantIndexOp::create(b, l, 1);
  for (auto [lo, hi, step] :
       llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
    Value trips = arith::CeilDivUIOp::create(
        b, l, arith::SubIOp::create(b, l, hi, lo), step);
    count = arith::MulIOp::create(b, l, count, trips);
  }
  Value large = arith::CmpIOp::create(
      b, l, arith::CmpIPredicate::uge, count,
      arith::ConstantIndexOp::create(b, l, kMinParallelIterations));
  auto branch = scf::IfOp::create(b, l, large, /*withElseRegion=*/true);
  Operation *small = op->clone();
  b.setInsertionPoint(branch.elseBlock()->getTerminator());
  b.insert(small);
  op->moveBefore(branch.thenBlock()->getTerminator());
  sequentialize(cast<scf::ParallelOp>(small));
  return op;
}

struct NNOuterParallelLoopsPass
    : nnc::impl::NNOuterParallelLoopsBase<NNOuterParallelLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> nested, outer;
    getOperation()->walk([&](scf::ParallelOp op) {
      if (op.getNumResults() != 0)
        return;
      if (op->getParentOfType<LoopLikeOpInterface>())
        nested.push_back(op);
      else
        outer.push_back(op);
    });
    // Innermost first, so that a nested op's parent is still intact.
    for (scf::ParallelOp op : llvm::reverse(nested))
      sequentialize(op);
    for (scf::ParallelOp op : outer)
      if (scf::ParallelOp big = parallelWhenLarge(op))
        keepOuterDimension(big);
  }
};
} // namespace
