//===- GpuSplitReductions.cpp - Large whole-tensor sums in two steps ------===//
//
// `--target=cuda`: a whole-tensor reduction (every loop a reduction, one
// output element: a gradient norm for clipping, a loss summed over every
// pixel) has no parallel loop, so it would run in one thread
// (nnc-gpu-serial-kernels), hundreds of thousands of dependent additions.
// Here a large one is split in two: first `kParts` threads each sum every
// kParts-th element (consecutive threads read consecutive elements) into
// a buffer of partial sums, a parallel loop that nnc-gpu-map-loops makes
// a kernel; then one thread adds the partial sums, in order, to the
// output's value. The result is the same for every run, but rounds
// differently from the CPU's single sum. Small reductions (a loss's mean
// over a batch) stay single sums, in the CPU's order.
//
// The loop nest split: perfectly nested scf.for loops from 0 by 1 without
// iteration arguments, whose innermost body loads the output element,
// adds a value computed from other buffers (pure ops and loads), and
// stores the sum back; the output is reached by nothing else in the nest.
// The partial sums live in a buffer of the runtime's pool allocated at the
// function's start and freed at its end, where the host waits anyway.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUSPLITREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Threads of the first step (4 blocks of 256).
constexpr int64_t kParts = 1024;

/// A reduction nest that can be split.
struct Nest {
  SmallVector<scf::ForOp> loops; ///< outermost first
  memref::LoadOp accLoad;
  memref::StoreOp accStore;
  arith::AddFOp add;
  Value term; ///< what each iteration adds
};

/// `outer`'s perfect nest, innermost last; empty unless each loop runs from
/// 0 by 1 without iteration arguments.
SmallVector<scf::ForOp> perfectNest(scf::ForOp outer) {
  SmallVector<scf::ForOp> loops;
  for (scf::ForOp loop = outer; loop;) {
    if (!loop.getInitArgs().empty() ||
        getConstantIntValue(loop.getLowerBound()) != 0 ||
        getConstantIntValue(loop.getStep()) != 1)
      return {};
    loops.push_back(loop);
    Block *body = loop.getBody();
    auto inner = dyn_cast<scf::ForOp>(body->front());
    loop = inner && body->getOperations().size() == 2 ? inner : nullptr;
  }
  return loops;
}

/// The nest's accumulation, if it is one this pass splits.
std::optional<Nest> matchNest(scf::ForOp outer) {
  Nest n;
  n.loops = perfectNest(outer);
  if (n.loops.empty())
    return std::nullopt;
  Block *body = n.loops.back().getBody();
  int stores = 0;
  for (Operation &op : body->without_terminator()) {
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      n.accStore = store;
      ++stores;
    } else if (!isa<memref::LoadOp>(op) && !isMemoryEffectFree(&op)) {
      return std::nullopt;
    }
  }
  if (stores != 1)
    return std::nullopt;
  n.add = n.accStore.getValue().getDefiningOp<arith::AddFOp>();
  if (!n.add)
    return std::nullopt;
  Value acc = n.accStore.getMemRef();
  // The output element: the same indices, defined outside the nest.
  auto outside = [&](Value v) {
    return !n.loops.front()->isAncestor(v.getParentRegion()->getParentOp());
  };
  if (!llvm::all_of(n.accStore.getIndices(), outside) || !outside(acc))
    return std::nullopt;
  for (scf::ForOp loop : n.loops) // a rectangular nest
    if (!outside(loop.getUpperBound()))
      return std::nullopt;
  for (Value side : {n.add.getLhs(), n.add.getRhs()}) {
    auto load = side.getDefiningOp<memref::LoadOp>();
    if (load && load.getMemRef() == acc &&
        load.getIndices() == n.accStore.getIndices() && side.hasOneUse()) {
      n.accLoad = load;
      n.term = side == n.add.getLhs() ? n.add.getRhs() : n.add.getLhs();
    }
  }
  if (!n.accLoad || !n.add->hasOneUse())
    return std::nullopt;
  // Nothing else reads the output's buffer in the nest.
  const void *root = nnc::bufferRoot(acc);
  if (!root)
    return std::nullopt;
  for (Operation &op : body->without_terminator())
    if (auto load = dyn_cast<memref::LoadOp>(op);
        load && load != n.accLoad && nnc::bufferRoot(load.getMemRef()) == root)
      return std::nullopt;
  return n;
}

/// The elements the nest sums whose count is known at compile time (the
/// product of its constant trip counts).
int64_t staticElements(Nest &n) {
  int64_t count = 1;
  for (scf::ForOp loop : n.loops)
    if (std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()))
      count *= *ub;
  return count;
}

/// The first step: kParts threads, thread p summing elements p, p + kParts,
/// ... of the nest (elements numbered with the innermost loop fastest)
/// into partial[p].
void emitPartialSums(OpBuilder &b, Nest &n, Value partial) {
  Location loc = n.loops.front().getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value parts = arith::ConstantIndexOp::create(b, loc, kParts);
  Value total = one;
  for (scf::ForOp loop : n.loops)
    total = arith::MulIOp::create(b, loc, total, loop.getUpperBound());
  Type type = n.add.getType();
  Value fzero =
      arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, 0.0));
  auto par = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                     ValueRange{parts}, ValueRange{one});
  b.setInsertionPointToStart(par.getBody());
  Value p = par.getInductionVars()[0];
  auto sum = scf::ForOp::create(
      b, loc, p, total, parts, ValueRange{fzero},
      [&](OpBuilder &in, Location l, Value element, ValueRange iter) {
        // Element number -> the nest's indices, innermost fastest.
        IRMapping map;
        Value rest = element;
        for (scf::ForOp loop : llvm::reverse(n.loops)) {
          Value ub = loop.getUpperBound();
          map.map(loop.getInductionVar(),
                  loop == n.loops.front()
                      ? rest
                      : arith::RemUIOp::create(in, l, rest, ub).getResult());
          if (loop != n.loops.front())
            rest = arith::DivUIOp::create(in, l, rest, ub);
        }
        for (Operation &op : n.loops.back().getBody()->without_terminator())
          if (&op != n.accLoad && &op != n.add && &op != n.accStore)
            in.clone(op, map);
        Value next =
            arith::AddFOp::create(in, l, iter[0], map.lookupOrDefault(n.term));
        scf::YieldOp::create(in, l, next);
      });
  memref::StoreOp::create(b, loc, sum.getResult(0), partial, p);
}

/// The second step: the output element plus the partial sums, in order.
void emitTotal(OpBuilder &b, Nest &n, Value partial) {
  Location loc = n.loops.front().getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value parts = arith::ConstantIndexOp::create(b, loc, kParts);
  Value acc = n.accStore.getMemRef();
  Value init = memref::LoadOp::create(b, loc, acc, n.accStore.getIndices());
  auto total = scf::ForOp::create(
      b, loc, zero, parts, one, ValueRange{init},
      [&](OpBuilder &in, Location l, Value k, ValueRange iter) {
        Value v = memref::LoadOp::create(in, l, partial, k);
        scf::YieldOp::create(
            in, l, arith::AddFOp::create(in, l, iter[0], v).getResult());
      });
  memref::StoreOp::create(b, loc, total.getResult(0), acc,
                          n.accStore.getIndices());
}

struct GpuSplitReductions
    : nnc::impl::NNGpuSplitReductionsBase<GpuSplitReductions> {
  using NNGpuSplitReductionsBase::NNGpuSplitReductionsBase;

  void runOnOperation() override {
    auto f = dyn_cast<func::FuncOp>(getOperation());
    if (!f || f.isExternal() || !f.getBody().hasOneBlock())
      return;
    Block &entry = f.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret)
      return;
    SmallVector<Nest> nests;
    f.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<scf::ParallelOp>(op))
        return WalkResult::skip(); // a kernel already
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop)
        return WalkResult::advance();
      std::optional<Nest> n = matchNest(loop);
      if (!n)
        return WalkResult::advance(); // a host loop: look inside
      if (staticElements(*n) >= minElements)
        nests.push_back(*n);
      return WalkResult::skip();
    });
    for (Nest &n : nests) {
      OpBuilder b(&entry, entry.begin());
      auto type = MemRefType::get({kParts}, n.add.getType());
      Value partial = memref::AllocOp::create(b, f.getLoc(), type);
      b.setInsertionPoint(ret);
      memref::DeallocOp::create(b, f.getLoc(), partial);
      b.setInsertionPoint(n.loops.front());
      emitPartialSums(b, n, partial);
      b.setInsertionPoint(n.loops.front());
      emitTotal(b, n, partial);
      n.loops.front().erase();
    }
  }
};
} // namespace
