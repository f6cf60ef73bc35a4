//===- GpuRegisterSums.cpp - Reductions summed in a register --------------===//
//
// `--target=cuda` gives each output element of a matrix product or a
// convolution its own thread, which runs the reduction loops. Lowered from
// linalg, each iteration loads the output element, adds a product and
// stores it back: a global-memory round trip per multiply-add, which the
// GPU's compiler cannot remove because it cannot tell that the operands do
// not overlap the output. nnc can (the buffer plan never lets two buffers
// one op uses share memory): here a loop whose body loads and stores one
// element of a buffer at indices fixed in the loop, and touches no other
// memory of that buffer, carries the element as an iteration argument
// instead: one load before the loop, one store after it. Applied from the
// innermost loop outwards, a convolution's three reduction loops keep the
// sum in a register throughout. The additions happen in the same order.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUREGISTERSUMS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Whether `v` is defined outside `loop` (fixed during it).
bool invariant(Value v, scf::ForOp loop) {
  return !loop->isAncestor(v.getParentRegion()->getParentOp());
}

/// The load and store of one element that `loop` accumulates into: the
/// only store among its body's own ops, a load of the same element before
/// it, and no other access to that buffer's memory anywhere in the loop
/// (nor an access whose buffer is unknown). Null if there is none.
std::pair<memref::LoadOp, memref::StoreOp> accumulation(scf::ForOp loop) {
  memref::StoreOp store;
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto s = dyn_cast<memref::StoreOp>(op)) {
      if (store)
        return {};
      store = s;
    }
  if (!store || !llvm::all_of(store.getIndices(),
                              [&](Value i) { return invariant(i, loop); }))
    return {};
  Value buffer = store.getMemRef();
  const void *root = nnc::bufferRoot(buffer);
  if (!root || !invariant(buffer, loop))
    return {};
  memref::LoadOp load;
  bool safe = true;
  loop.getBody()->walk([&](Operation *op) {
    if (op == store)
      return;
    for (Value operand : op->getOperands()) {
      if (!isa<MemRefType>(operand.getType()))
        continue;
      auto l = dyn_cast<memref::LoadOp>(op);
      const void *r = nnc::bufferRoot(operand);
      if (r && r != root && (l || isa<memref::StoreOp>(op)))
        continue; // another buffer's memory
      if (l && !load && operand == buffer &&
          l->getBlock() == store->getBlock() && l->isBeforeInBlock(store) &&
          l.getIndices() == store.getIndices()) {
        load = l;
        continue;
      }
      safe = false;
    }
  });
  if (!safe || !load)
    return {};
  return {load, store};
}

/// Rewrites `loop` (no results) to carry the element in a register.
void carry(scf::ForOp loop, memref::LoadOp load, memref::StoreOp store,
           IRRewriter &rewriter) {
  rewriter.setInsertionPoint(loop);
  auto init = memref::LoadOp::create(rewriter, load.getLoc(), load.getMemRef(),
                                     load.getIndices());
  auto carried = scf::ForOp::create(
      rewriter, loop.getLoc(), loop.getLowerBound(), loop.getUpperBound(),
      loop.getStep(), ValueRange{init.getResult()});
  // Built with an iteration argument, the body has no terminator yet: the
  // old body's ops (and its yield, replaced below) move into it.
  Block *body = carried.getBody();
  if (!body->empty())
    rewriter.eraseOp(&body->back());
  rewriter.mergeBlocks(loop.getBody(), body, {carried.getInductionVar()});
  Operation *yield = body->getTerminator();
  rewriter.setInsertionPoint(yield);
  scf::YieldOp::create(rewriter, yield->getLoc(),
                       ValueRange{store.getValueToStore()});
  rewriter.eraseOp(yield);
  rewriter.replaceAllUsesWith(load.getResult(), body->getArgument(1));
  rewriter.setInsertionPointAfter(carried);
  memref::StoreOp::create(rewriter, store.getLoc(), carried.getResult(0),
                          store.getMemRef(), store.getIndices());
  rewriter.eraseOp(store);
  rewriter.eraseOp(load);
  rewriter.eraseOp(loop);
}

struct GpuRegisterSums : nnc::impl::NNGpuRegisterSumsBase<GpuRegisterSums> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Innermost first: the load and store a rewrite leaves around an inner
    // loop are the outer loop's to carry.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk<WalkOrder::PostOrder>([&](scf::ForOp loop) {
      if (loop.getNumResults() == 0 && loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      auto [load, store] = accumulation(loop);
      if (load)
        carry(loop, load, store, rewriter);
    }
  }
};
} // namespace
