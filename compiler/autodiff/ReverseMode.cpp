//===- ReverseMode.cpp - Reverse-mode automatic differentiation -----------===//
//
// Turns `(loss, aux...) = f(args)` into
// `(loss, aux..., dloss/dargs[wrt]...) = f(args)` on the nn dialect (aux
// results, such as a train step's metrics, are passed through). The forward ops
// stay as they are; the backward ops follow them, emitted by walking the
// forward ops in reverse order and asking each op's VJPOpInterface for the
// cotangents of its operands. Every forward value the backward uses is kept
// alive (storage, not recomputation: the straight-line graphs of train steps
// fit in memory, and it is what PyTorch does); gradients nothing asks for are
// removed by the canonicaliser and CSE that run after this pass.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNAttrNames.h"
#include "autodiff/Differentiator.h"
#include "autodiff/Passes.h"
#include "autodiff/VJPBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/InliningUtils.h"

namespace nnc {
#define GEN_PASS_DEF_NNREVERSEMODE
#include "autodiff/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc::nn;

bool nnc::nn::isFloatTensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && isa<FloatType>(rt.getElementType());
}

void Differentiator::accumulate(Value v, Value g, Location loc) {
  if (!g || !isFloatTensor(v.getType()))
    return;
  if (g.getType() != v.getType())
    g = tensor::CastOp::create(b, loc, v.getType(), g);
  auto [it, fresh] = cotangent.try_emplace(v, g);
  if (!fresh)
    it->second = AddOp::create(b, loc, v.getType(), it->second, g);
}

bool Differentiator::sliceVJP(Operation *op, ArrayRef<Value> resultGrads) {
  GradBuilder gb(b, op->getLoc());
  Location loc = op->getLoc();
  if (auto ex = dyn_cast<tensor::ExtractSliceOp>(op)) {
    Value g = resultGrads[0];
    auto acc = carried.find(ex.getSource());
    if (acc != carried.end()) {
      // A loop body reading a slice of an outer value: add into the slice
      // of its carried cotangent.
      if (g.getType() != ex.getType())
        g = tensor::CastOp::create(b, loc, ex.getType(), g);
      Value cur = tensor::ExtractSliceOp::create(
          b, loc, ex.getType(), acc->second, ex.getMixedOffsets(),
          ex.getMixedSizes(), ex.getMixedStrides());
      Value sum = AddOp::create(b, loc, ex.getType(), cur, g);
      acc->second = tensor::InsertSliceOp::create(
          b, loc, sum, acc->second, ex.getMixedOffsets(), ex.getMixedSizes(),
          ex.getMixedStrides());
      return true;
    }
    // d source = the cotangent placed back where the slice came from.
    Value zeros = gb.full(ex.getSource(), 0.0);
    accumulate(
        ex.getSource(),
        tensor::InsertSliceOp::create(b, loc, g, zeros, ex.getMixedOffsets(),
                                      ex.getMixedSizes(), ex.getMixedStrides()),
        loc);
    return true;
  }
  if (auto in = dyn_cast<tensor::InsertSliceOp>(op)) {
    // d source = the cotangent's slice; d dest = the cotangent with that
    // region zeroed.
    Value g = resultGrads[0];
    accumulate(in.getSource(),
               tensor::ExtractSliceOp::create(
                   b, loc, cast<RankedTensorType>(in.getSource().getType()), g,
                   in.getMixedOffsets(), in.getMixedSizes(),
                   in.getMixedStrides()),
               loc);
    accumulate(
        in.getDest(),
        tensor::InsertSliceOp::create(b, loc, gb.full(in.getSource(), 0.0), g,
                                      in.getMixedOffsets(), in.getMixedSizes(),
                                      in.getMixedStrides()),
        loc);
    return true;
  }
  return false;
}

LogicalResult Differentiator::backprop(ArrayRef<Operation *> ops) {
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool reached = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(cotangent.lookup(r));
      reached |= bool(resultGrads.back());
    }
    if (!reached)
      continue;
    if (auto c = dyn_cast<tensor::CastOp>(op)) {
      accumulate(c.getSource(), resultGrads[0], op->getLoc());
      continue;
    }
    if (sliceVJP(op, resultGrads) || isa<tensor::EmptyOp>(op))
      continue; // an empty tensor (a scan's stacked output) has no inputs
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (failed(loopVJP(loop, resultGrads)))
        return failure();
      continue;
    }
    auto rule = dyn_cast<VJPOpInterface>(op);
    if (!rule || op->getNumRegions() > 0)
      return op->emitError("cannot differentiate through '")
             << op->getName().stripDialect() << "' yet";
    SmallVector<Value> operandGrads;
    if (failed(rule.vjp(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      accumulate(operand, g, op->getLoc());
  }
  return success();
}

namespace {

/// Loops with at most this many iterations are unrolled before
/// differentiation (their values stored like straight-line code); longer
/// ones, and those of run-time length, are differentiated as loops.
constexpr int64_t kMaxUnrolledTrips = 16;

/// Unrolls every scf.for with at most kMaxUnrolledTrips constant-bound
/// iterations (innermost first) and folds
/// the index arithmetic the copies leave.
LogicalResult unrollLoops(func::FuncOp f) {
  SmallVector<scf::ForOp> loops;
  f.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // post-order
  for (scf::ForOp loop : loops) {
    auto lo = getConstantIntValue(loop.getLowerBound());
    auto hi = getConstantIntValue(loop.getUpperBound());
    auto step = getConstantIntValue(loop.getStep());
    // Long loops stay loops (LoopVJP.cpp: state taped, body recomputed):
    // unrolling 64 LSTM steps costs a minute of compile time.
    if (!lo || !hi || !step || *step <= 0 ||
        (*hi - *lo + *step - 1) / *step > kMaxUnrolledTrips)
      continue;
    if (failed(loopUnrollFull(loop)))
      return loop.emitError("cannot unroll this loop to differentiate it");
  }
  RewritePatternSet patterns(f.getContext());
  for (RegisteredOperationName op : f.getContext()->getRegisteredOperations())
    if (op.getDialect().getNamespace() == "tensor" ||
        op.getDialect().getNamespace() == "arith")
      op.getCanonicalizationPatterns(patterns, f.getContext());
  return applyPatternsGreedily(f, std::move(patterns));
}

LogicalResult differentiate(func::FuncOp f, ArrayRef<int64_t> wrt) {
  if (failed(unrollLoops(f)))
    return failure();
  if (!llvm::hasSingleElement(f.getBody()))
    return f.emitError("cannot differentiate a function with several blocks");
  Block &body = f.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() < 1 || !isFloatTensor(ret.getOperand(0).getType()) ||
      cast<RankedTensorType>(ret.getOperand(0).getType()).getRank() != 0)
    return f.emitError("a gradient needs a function whose first result is a "
                       "float scalar (the loss)");
  for (int64_t i : wrt)
    if (i < 0 || i >= int64_t(f.getNumArguments()))
      return f.emitError("nn.wrt names argument ")
             << i << ", but the function has " << f.getNumArguments();

  OpBuilder b(ret);
  Differentiator d(b);
  Value loss = ret.getOperand(0);
  d.accumulate(loss, GradBuilder(b, ret.getLoc()).scalar(loss, 1.0),
               ret.getLoc());
  SmallVector<Operation *> forward;
  for (Operation &op : body.without_terminator())
    forward.push_back(&op);
  if (failed(d.backprop(forward)))
    return failure();

  SmallVector<Value> results(ret.getOperands());
  GradBuilder gb(b, ret.getLoc());
  for (int64_t i : wrt) {
    Value arg = f.getArgument(i);
    Value g = d.lookup(arg);
    if (!g && !isFloatTensor(arg.getType()))
      return f.emitError("nn.wrt names argument ")
             << i << ", which is not a float tensor";
    results.push_back(g ? g : gb.full(arg, 0.0));
  }
  // Gradients are named after their arguments: `grad.<name>`.
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned k = 0; k < f.getNumResults(); ++k)
    resultAttrs.push_back(f.getResultAttrDict(k) ? f.getResultAttrDict(k)
                                                 : b.getDictionaryAttr({}));
  for (int64_t i : wrt) {
    SmallVector<NamedAttribute> attrs;
    if (auto name = f.getArgAttrOfType<StringAttr>(i, nnc::attr::kName))
      attrs.push_back(b.getNamedAttr(
          nnc::attr::kName, b.getStringAttr("grad." + name.getValue())));
    resultAttrs.push_back(b.getDictionaryAttr(attrs));
  }
  ret->setOperands(results);
  f.setFunctionType(FunctionType::get(f.getContext(), f.getArgumentTypes(),
                                      ValueRange(results).getTypes()));
  f.setAllResultAttrs(resultAttrs);
  return success();
}

/// Inlines every call in `f` (a `grad(...)` inside the function, already
/// differentiated), so that the walk sees straight-line ops.
LogicalResult inlineCalls(func::FuncOp f, SymbolTable &symbols) {
  SmallVector<func::CallOp> calls;
  f.walk([&](func::CallOp c) { calls.push_back(c); });
  InlinerInterface interface(f.getContext());
  auto clone = [](OpBuilder &, Region *src, Block *inlineBlock,
                  Block *postInsertBlock, IRMapping &mapper, bool cloneIt) {
    Region *dest = inlineBlock->getParent();
    if (cloneIt)
      src->cloneInto(dest, postInsertBlock->getIterator(), mapper);
    else
      dest->getBlocks().splice(postInsertBlock->getIterator(),
                               src->getBlocks());
  };
  for (func::CallOp c : calls) {
    auto callee = symbols.lookup<func::FuncOp>(c.getCallee());
    if (!callee || callee.isExternal())
      continue;
    if (failed(inlineCall(interface, clone, c, callee, &callee.getBody())))
      return c.emitError("cannot inline this call to differentiate it");
    c.erase();
  }
  return success();
}

struct NNReverseModePass : nnc::impl::NNReverseModeBase<NNReverseModePass> {
  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    SmallVector<func::FuncOp> marked;
    getOperation().walk([&](func::FuncOp f) {
      if (f->hasAttr(nnc::attr::kWrt))
        marked.push_back(f);
    });
    // Callees first: a loss that reads a gradient (grad(...) inside a
    // differentiated function, e.g. a second derivative) inlines the
    // differentiated callee, then is differentiated itself.
    auto pending = [&](func::FuncOp f) {
      bool waits = false;
      f.walk([&](func::CallOp c) {
        auto g = symbols.lookup<func::FuncOp>(c.getCallee());
        waits |= g && g->hasAttr(nnc::attr::kWrt);
      });
      return waits;
    };
    while (!marked.empty()) {
      auto ready =
          llvm::find_if(marked, [&](func::FuncOp f) { return !pending(f); });
      if (ready == marked.end()) {
        marked.front().emitError("recursive gradients cannot be "
                                 "differentiated");
        return signalPassFailure();
      }
      func::FuncOp f = *ready;
      marked.erase(ready);
      auto wrt = dyn_cast<DenseI64ArrayAttr>(f->getAttr(nnc::attr::kWrt));
      if (!wrt) {
        f.emitError("nn.wrt must be an array<i64: ...> of argument numbers");
        return signalPassFailure();
      }
      if (failed(inlineCalls(f, symbols)) ||
          failed(differentiate(f, wrt.asArrayRef())))
        return signalPassFailure();
      f->removeAttr(nnc::attr::kWrt);
    }
  }
};

} // namespace
