//===- CollectiveCalls.cpp - The gradient exchange as runtime calls -------===//
//
// After bufferization, nn.allreduce_start / nn.allreduce_wait (memref form)
// become calls of the runtime's exchange (runtime/src/Collectives.cpp):
//   nnc_allreduce_start(index, pointer, elements)   per gradient
//   nnc_allreduce_wait()                            once
//   nnc_allreduce_result(index, pointer, elements)  per gradient
// Each gradient is passed as the address of its first element and its
// element count; a gradient whose buffer is not one contiguous block (a
// strided view) is copied into one first and back after the exchange.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/RuntimeCalls.h"
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace nnc {
#define GEN_PASS_DEF_NNCOLLECTIVECALLS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
using nnc::declareRuntimeFunction;

/// Whether the buffer is one block in row-major order.
bool contiguous(MemRefType t) {
  if (t.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(t.getStridesAndOffset(strides, offset)))
    return false;
  int64_t expect = 1;
  for (int64_t d = t.getRank() - 1; d >= 0; --d) {
    if (t.getDimSize(d) == 1)
      continue;
    if (strides[d] != expect || ShapedType::isDynamic(expect))
      return false;
    expect =
        t.isDynamicDim(d) ? ShapedType::kDynamic : expect * t.getDimSize(d);
  }
  return true;
}

/// Calls `fn(index, address of the first element, element count)`.
void callWith(OpBuilder &b, Location l, func::FuncOp fn, int64_t index,
              Value buffer) {
  auto md = memref::ExtractStridedMetadataOp::create(b, l, buffer);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, l, buffer);
  Value four = arith::ConstantIndexOp::create(b, l, 4);
  Value addr = arith::AddIOp::create(
      b, l, base, arith::MulIOp::create(b, l, md.getOffset(), four));
  Value n = arith::ConstantIndexOp::create(b, l, 1);
  for (Value s : md.getSizes())
    n = arith::MulIOp::create(b, l, n, s);
  auto i64 = [&](Value v) {
    return arith::IndexCastOp::create(b, l, b.getI64Type(), v).getResult();
  };
  Value idx = arith::ConstantIntOp::create(b, l, index, 64);
  func::CallOp::create(b, l, fn, ValueRange{idx, i64(addr), i64(n)});
}

/// A new contiguous buffer of `buffer`'s shape.
Value allocLike(OpBuilder &b, Location l, Value buffer) {
  auto t = cast<MemRefType>(buffer.getType());
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.isDynamicDim(d))
      dyn.push_back(memref::DimOp::create(b, l, buffer, d));
  auto plain = MemRefType::get(t.getShape(), t.getElementType());
  return memref::AllocOp::create(b, l, plain, dyn);
}

/// A contiguous buffer with `buffer`'s values (itself when it is one).
Value contiguousCopy(OpBuilder &b, Location l, Value buffer) {
  if (contiguous(cast<MemRefType>(buffer.getType())))
    return buffer;
  Value copy = allocLike(b, l, buffer);
  memref::CopyOp::create(b, l, buffer, copy);
  return copy;
}

struct NNCollectiveCallsPass
    : nnc::impl::NNCollectiveCallsBase<NNCollectiveCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<nnc::nn::AllreduceStartOp, nnc::nn::AllreduceWaitOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location l = op->getLoc();
      if (auto start = dyn_cast<nnc::nn::AllreduceStartOp>(op)) {
        if (!isa<MemRefType>(start.getGrad().getType())) {
          op->emitError("the gradient exchange was not bufferized");
          return signalPassFailure();
        }
        Value buf = contiguousCopy(b, l, start.getGrad());
        callWith(b, l, declareRuntimeFunction(module, "nnc_allreduce_start", 3),
                 start.getIndex(), buf);
        if (buf != start.getGrad())
          memref::DeallocOp::create(b, l, buf);
        op->erase();
        continue;
      }
      auto wait = cast<nnc::nn::AllreduceWaitOp>(op);
      if (!wait.getResults().empty()) {
        op->emitError("the gradient exchange was not bufferized");
        return signalPassFailure();
      }
      func::CallOp::create(
          b, l, declareRuntimeFunction(module, "nnc_allreduce_wait", 0),
          ValueRange{});
      func::FuncOp result =
          declareRuntimeFunction(module, "nnc_allreduce_result", 3);
      for (auto [k, g] : llvm::enumerate(wait.getGrads())) {
        auto t = cast<MemRefType>(g.getType());
        if (contiguous(t)) {
          callWith(b, l, result, int64_t(k), g);
          continue;
        }
        Value tmp = allocLike(b, l, g);
        callWith(b, l, result, int64_t(k), tmp);
        memref::CopyOp::create(b, l, tmp, g);
        memref::DeallocOp::create(b, l, tmp);
      }
      op->erase();
    }
  }
};
} // namespace
