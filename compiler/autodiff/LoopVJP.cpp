//===- LoopVJP.cpp - Reverse mode through loops of run-time length --------===//
//
// Loops with a constant trip count are unrolled before differentiation;
// this handles the others (a `scan` over a sequence of symbolic length, a
// `for` to a run-time bound). Strategy: store the carried state, recompute
// the body.
//
// - The forward loop gets one extra carried "tape" per carried tensor the
//   backward needs: iteration k writes the state it started from into row
//   k of a [trip count, ...] tensor. A scan's stacked output is not taped:
//   its only use is as the destination of the slice each iteration writes,
//   and that transpose does not read it.
// - The backward loop runs the iterations in reverse. Each one reads its
//   state back from the tapes, recomputes the body from it (so the body's
//   intermediates live for one iteration only) and walks the recomputed ops
//   in reverse with the same rules as straight-line code. It carries the
//   cotangents of the loop's carried values, and of every outer value the
//   body reads (parameters, the sequence); slices the body reads from an
//   outer value (the scan's x_t) add into the matching slice of its
//   carried cotangent, so a scan over T steps costs O(T), not O(T^2).
//
// Memory: one copy of the carried state per iteration (what PyTorch stores
// for an RNN is more: every gate); time: the body twice.
//
//===----------------------------------------------------------------------===//
#include "autodiff/Differentiator.h"
#include "autodiff/VJPBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace nnc::nn {
namespace {

/// Whether the backward needs the value a carried argument holds at the
/// start of each iteration: anything but a scan's stacked output.
bool needsTape(BlockArgument arg) {
  return llvm::any_of(arg.getUses(), [](OpOperand &use) {
    auto ins = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
    return !ins || use.get() != ins.getDest();
  });
}

/// The slice of row `k` of a tape [N, ...] whose rows have `rowSizes`.
struct TapeRow {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  TapeRow(OpBuilder &b, Value k, ArrayRef<OpFoldResult> rowSizes)
      : offsets{k}, sizes{b.getIndexAttr(1)},
        strides(rowSizes.size() + 1, b.getIndexAttr(1)) {
    offsets.append(rowSizes.size(), b.getIndexAttr(0));
    sizes.append(rowSizes.begin(), rowSizes.end());
  }
};

/// A loop's reverse mode in pieces: the forward loop with its tapes, and
/// the body of the backward loop, which reads the tapes.
struct LoopReverser {
  Location loc;
  Value lo, step, n, one; ///< bounds; n: the trip count
  unsigned numCarried = 0;
  scf::ForOp fwd;                   ///< the forward loop, tapes carried last
  SmallVector<unsigned> taped;      ///< the carried values with a tape
  Operation *firstTapeOp = nullptr; ///< the recomputation stops here
  llvm::SetVector<Value> outer;     ///< the outer float values the body reads
  SmallVector<unsigned> floats;     ///< the float carried values
  SmallVector<bool> outerTouched;   ///< an outer value got a cotangent
  LogicalResult status = success();

  explicit LoopReverser(Location loc) : loc(loc) {}
  /// Replaces `loop` by the same loop carrying the tapes too.
  void tape(IRRewriter &rw, scf::ForOp loop);
  /// Collects `outer`.
  void collectOuter();
  /// The state iteration `k` started from (its tape rows), mapped from
  /// the forward loop's carried arguments in `map`.
  SmallVector<Value> readState(OpBuilder &lb, Location l, Value k,
                               IRMapping &map);
  /// Iteration `j` of the backward loop (iteration n - 1 - j of the
  /// forward one); `args`: the carried cotangents.
  void backwardIteration(OpBuilder &lb, Location l, Value j, ValueRange args);
};

void LoopReverser::tape(IRRewriter &rw, scf::ForOp loop) {
  GradBuilder before(rw, loc);
  // Forward: tape the carried values the backward needs.
  numCarried = loop.getNumRegionIterArgs();
  SmallVector<Value> tapes;
  for (auto [q, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    if (!needsTape(arg))
      continue;
    SmallVector<OpFoldResult> sizes{n};
    sizes.append(before.mixedSizes(loop.getInitArgs()[q]));
    taped.push_back(q);
    tapes.push_back(tensor::EmptyOp::create(
        rw, loc, sizes,
        cast<RankedTensorType>(arg.getType()).getElementType()));
  }
  // The same loop with the tapes carried too; each iteration writes the
  // state it started from into row (iv - lo) / step.
  SmallVector<Value> fwdInits(loop.getInitArgs());
  fwdInits.append(tapes);
  fwd = scf::ForOp::create(rw, loc, lo, loop.getUpperBound(), step, fwdInits);
  Block *fb = fwd.getBody();
  if (!fb->empty() && isa<scf::YieldOp>(fb->back()))
    rw.eraseOp(&fb->back());
  rw.mergeBlocks(loop.getBody(), fb,
                 fb->getArguments().take_front(numCarried + 1));
  auto fwdYield = cast<scf::YieldOp>(fb->getTerminator());
  rw.setInsertionPoint(fwdYield);
  // The taping ops start here; the recomputation stops before them.
  Value sinceLo = arith::SubIOp::create(rw, loc, fwd.getInductionVar(), lo);
  firstTapeOp = sinceLo.getDefiningOp();
  Value row = arith::DivSIOp::create(rw, loc, sinceLo, step);
  for (auto [t, q] : llvm::enumerate(taped)) {
    Value state = fwd.getRegionIterArgs()[q];
    TapeRow at(rw, row, before.mixedSizes(state));
    Value written = tensor::InsertSliceOp::create(
        rw, loc, state, fwd.getRegionIterArgs()[numCarried + t], at.offsets,
        at.sizes, at.strides);
    fwdYield.getResultsMutable().append(written);
  }
  rw.replaceOp(loop, fwd.getResults().take_front(numCarried));
}

void LoopReverser::collectOuter() {
  fwd.getBody()->walk([&](Operation *op) {
    for (Value v : op->getOperands())
      if (isFloatTensor(v.getType()) &&
          !fwd.getRegion().isAncestor(v.getParentRegion()))
        outer.insert(v);
  });
}

SmallVector<Value> LoopReverser::readState(OpBuilder &lb, Location l, Value k,
                                           IRMapping &map) {
  GradBuilder lgb(lb, l);
  SmallVector<Value> state(numCarried);
  for (unsigned q = 0; q < numCarried; ++q) {
    BlockArgument arg = fwd.getRegionIterArgs()[q];
    auto t = cast<RankedTensorType>(arg.getType());
    auto at = llvm::find(taped, q);
    if (at != taped.end()) {
      Value tape = fwd.getResult(numCarried + (at - taped.begin()));
      TapeRow r(lb, k, ArrayRef(lgb.mixedSizes(tape)).drop_front());
      state[q] = tensor::ExtractSliceOp::create(lb, l, t, tape, r.offsets,
                                                r.sizes, r.strides);
    } else {
      // Only written into: any tensor of its type stands in.
      state[q] = tensor::EmptyOp::create(
          lb, l, lgb.mixedSizes(fwd.getResult(q)), t.getElementType());
    }
    map.map(arg, state[q]);
  }
  return state;
}

void LoopReverser::backwardIteration(OpBuilder &lb, Location l, Value j,
                                     ValueRange args) {
  // Iteration k = n - 1 - j, induction value lo + k * step.
  Value k =
      arith::SubIOp::create(lb, l, arith::SubIOp::create(lb, l, n, one), j);
  Value iv =
      arith::AddIOp::create(lb, l, lo, arith::MulIOp::create(lb, l, k, step));
  IRMapping map;
  map.map(fwd.getInductionVar(), iv);
  SmallVector<Value> state = readState(lb, l, k, map);
  // Recompute the body from the recorded state.
  SmallVector<Operation *> body;
  for (Operation &op : fwd.getBody()->without_terminator()) {
    if (&op == firstTapeOp)
      break;
    body.push_back(lb.clone(op, map));
  }
  // The body's backward, seeded with the carried cotangents.
  OpBuilder inner = lb;
  Differentiator sub(inner);
  for (auto [o, v] : llvm::enumerate(outer))
    sub.carried[v] = args[floats.size() + o];
  auto yield = cast<scf::YieldOp>(fwd.getBody()->getTerminator());
  for (auto [f, q] : llvm::enumerate(floats))
    sub.accumulate(map.lookupOrDefault(yield.getOperand(q)), args[f], l);
  if (failed(sub.backprop(body))) {
    status = failure();
  }
  GradBuilder ib(inner, l);
  SmallVector<Value> next;
  for (unsigned q : floats) {
    Value g = sub.lookup(state[q]);
    next.push_back(g ? g : ib.full(state[q], 0.0));
  }
  for (auto [o, v] : llvm::enumerate(outer)) {
    Value acc = sub.carried[v];
    if (Value g = sub.lookup(v))
      acc = AddOp::create(inner, l, v.getType(), acc, g);
    outerTouched[o] = acc != args[floats.size() + o];
    next.push_back(acc);
  }
  scf::YieldOp::create(inner, l, next);
}

} // namespace

LogicalResult Differentiator::loopVJP(scf::ForOp loop,
                                      ArrayRef<Value> resultGrads) {
  Location loc = loop.getLoc();
  for (BlockArgument arg : loop.getRegionIterArgs())
    if (!isa<RankedTensorType>(arg.getType()))
      return loop.emitError("cannot differentiate a loop that carries a "
                            "non-tensor value yet");

  // The trip count: max(0, ceil((hi - lo) / step)).
  IRRewriter rw(loop.getContext());
  rw.setInsertionPoint(loop);
  LoopReverser r(loc);
  r.lo = loop.getLowerBound();
  r.step = loop.getStep();
  Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
  r.one = arith::ConstantIndexOp::create(rw, loc, 1);
  Value n = arith::CeilDivSIOp::create(
      rw, loc, arith::SubIOp::create(rw, loc, loop.getUpperBound(), r.lo),
      r.step);
  r.n = arith::MaxSIOp::create(rw, loc, n, zero);
  r.tape(rw, loop);
  // The outer float values the body reads.
  r.collectOuter();

  // Backward: carried cotangents (float carried values), then one per
  // outer value.
  scf::ForOp fwd = r.fwd;
  SmallVector<Value> inits;
  GradBuilder gb(b, loc);
  for (unsigned q = 0; q < r.numCarried; ++q) {
    if (!isFloatTensor(fwd.getResult(q).getType()))
      continue;
    r.floats.push_back(q);
    inits.push_back(resultGrads[q] ? resultGrads[q]
                                   : gb.full(fwd.getResult(q), 0.0));
  }
  for (Value v : r.outer)
    inits.push_back(gb.full(v, 0.0));

  r.outerTouched.assign(r.outer.size(), false);
  auto back = scf::ForOp::create(
      b, loc, zero, r.n, r.one, inits,
      [&](OpBuilder &lb, Location l, Value j, ValueRange args) {
        r.backwardIteration(lb, l, j, args);
      });
  if (failed(r.status))
    return failure();
  for (auto [f, q] : llvm::enumerate(r.floats))
    accumulate(fwd.getInitArgs()[q], back.getResult(f), loc);
  for (auto [o, v] : llvm::enumerate(r.outer))
    if (r.outerTouched[o])
      accumulate(v, back.getResult(r.floats.size() + o), loc);
  return success();
}

} // namespace nnc::nn
