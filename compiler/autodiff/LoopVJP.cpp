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

/// The sizes of `like`'s type, dynamic ones read from `like`.
SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value like) {
  auto t = cast<RankedTensorType>(like.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    sizes.push_back(t.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, like, d))
                        : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
  return sizes;
}

/// Row `k` of `tape` (a [N, ...] tensor), as a tensor of type `t`.
Value tapeRow(OpBuilder &b, Location loc, Value tape, Value k,
              RankedTensorType t) {
  SmallVector<OpFoldResult> offsets{k}, sizes{b.getIndexAttr(1)},
      strides(t.getRank() + 1, b.getIndexAttr(1));
  SmallVector<OpFoldResult> rest = sizesOf(b, loc, tape);
  sizes.append(rest.begin() + 1, rest.end());
  offsets.append(t.getRank(), b.getIndexAttr(0));
  return tensor::ExtractSliceOp::create(b, loc, t, tape, offsets, sizes,
                                        strides);
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
  Value lo = loop.getLowerBound(), step = loop.getStep();
  Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
  Value one = arith::ConstantIndexOp::create(rw, loc, 1);
  Value n = arith::CeilDivSIOp::create(
      rw, loc, arith::SubIOp::create(rw, loc, loop.getUpperBound(), lo), step);
  n = arith::MaxSIOp::create(rw, loc, n, zero);

  // Forward: tape the carried values the backward needs.
  unsigned numCarried = loop.getNumRegionIterArgs();
  SmallVector<unsigned> taped;
  SmallVector<Value> tapes;
  for (auto [q, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    if (!needsTape(arg))
      continue;
    auto t = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape{ShapedType::kDynamic};
    shape.append(t.getShape().begin(), t.getShape().end());
    SmallVector<Value> dyn{n};
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (t.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(rw, loc, loop.getInitArgs()[q], d));
    taped.push_back(q);
    tapes.push_back(
        tensor::EmptyOp::create(rw, loc, shape, t.getElementType(), dyn));
  }
  // The same loop with the tapes carried too; each iteration writes the
  // state it started from into row (iv - lo) / step.
  SmallVector<Value> fwdInits(loop.getInitArgs());
  fwdInits.append(tapes);
  auto fwd =
      scf::ForOp::create(rw, loc, lo, loop.getUpperBound(), step, fwdInits);
  Block *fb = fwd.getBody();
  if (!fb->empty() && isa<scf::YieldOp>(fb->back()))
    rw.eraseOp(&fb->back());
  rw.mergeBlocks(loop.getBody(), fb,
                 fb->getArguments().take_front(numCarried + 1));
  auto fwdYield = cast<scf::YieldOp>(fb->getTerminator());
  rw.setInsertionPoint(fwdYield);
  Operation *firstTapeOp = fwdYield; // the recomputation stops before it
  Value row = arith::DivSIOp::create(
      rw, loc, arith::SubIOp::create(rw, loc, fwd.getInductionVar(), lo), step);
  firstTapeOp = row.getDefiningOp()->getOperand(0).getDefiningOp();
  for (auto [t, q] : llvm::enumerate(taped)) {
    Value state = fwd.getRegionIterArgs()[q];
    auto st = cast<RankedTensorType>(state.getType());
    SmallVector<OpFoldResult> offsets{row}, sizes{rw.getIndexAttr(1)},
        strides(st.getRank() + 1, rw.getIndexAttr(1));
    offsets.append(st.getRank(), rw.getIndexAttr(0));
    SmallVector<OpFoldResult> rest = sizesOf(rw, loc, state);
    sizes.append(rest.begin(), rest.end());
    Value written = tensor::InsertSliceOp::create(
        rw, loc, state, fwd.getRegionIterArgs()[numCarried + t], offsets, sizes,
        strides);
    fwdYield.getResultsMutable().append(written);
  }
  rw.replaceOp(loop, fwd.getResults().take_front(numCarried));

  // The outer float values the body reads.
  llvm::SetVector<Value> outer;
  fwd.getBody()->walk([&](Operation *op) {
    for (Value v : op->getOperands())
      if (isFloatTensor(v.getType()) &&
          !fwd.getRegion().isAncestor(v.getParentRegion()))
        outer.insert(v);
  });

  // Backward: carried cotangents (float carried values), then one per
  // outer value.
  SmallVector<unsigned> floats;
  SmallVector<Value> inits;
  GradBuilder gb(b, loc);
  for (unsigned q = 0; q < numCarried; ++q) {
    if (!isFloatTensor(fwd.getResult(q).getType()))
      continue;
    floats.push_back(q);
    inits.push_back(resultGrads[q] ? resultGrads[q]
                                   : gb.full(fwd.getResult(q), 0.0));
  }
  for (Value v : outer)
    inits.push_back(gb.full(v, 0.0));

  LogicalResult status = success();
  SmallVector<bool> outerTouched(outer.size(), false);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto back = scf::ForOp::create(
      b, loc, c0, n, c1, inits,
      [&](OpBuilder &lb, Location l, Value j, ValueRange args) {
        // Iteration k = n - 1 - j, induction value lo + k * step.
        Value k = arith::SubIOp::create(lb, l,
                                        arith::SubIOp::create(lb, l, n, c1), j);
        Value iv = arith::AddIOp::create(lb, l, lo,
                                         arith::MulIOp::create(lb, l, k, step));
        IRMapping map;
        map.map(fwd.getInductionVar(), iv);
        SmallVector<Value> state(numCarried);
        for (unsigned q = 0; q < numCarried; ++q) {
          BlockArgument arg = fwd.getRegionIterArgs()[q];
          auto t = cast<RankedTensorType>(arg.getType());
          auto at = llvm::find(taped, q);
          if (at != taped.end()) {
            state[q] = tapeRow(
                lb, l, fwd.getResult(numCarried + (at - taped.begin())), k, t);
          } else {
            // Only written into: any tensor of its type stands in.
            SmallVector<Value> dyn;
            for (int64_t d = 0; d < t.getRank(); ++d)
              if (t.isDynamicDim(d))
                dyn.push_back(
                    tensor::DimOp::create(lb, l, fwd.getResult(q), d));
            state[q] = tensor::EmptyOp::create(lb, l, t.getShape(),
                                               t.getElementType(), dyn);
          }
          map.map(arg, state[q]);
        }
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
      });
  if (failed(status))
    return failure();
  for (auto [f, q] : llvm::enumerate(floats))
    accumulate(fwd.getInitArgs()[q], back.getResult(f), loc);
  for (auto [o, v] : llvm::enumerate(outer))
    if (outerTouched[o])
      accumulate(v, back.getResult(floats.size() + o), loc);
  return success();
}

} // namespace nnc::nn
