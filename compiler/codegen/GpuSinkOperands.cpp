//===- GpuSinkOperands.cpp - Constants inside the kernels -----------------===//
//
// `--target=cuda`: a kernel gets what its launch region uses from outside
// as arguments. Two kinds should be inside instead. Constants: a loop
// bound or tile size passed at run time costs the kernel its constant
// folding (64-bit divisions by a parameter instead of by 256). Constant
// tensors (memref.get_global of a `constant` memref.global, e.g. the
// index table a symbolic convolution's gradient flips its filter with):
// the host's copy lives in its read-only data, which the GPU cannot read.
// Sunk into the launch, gpu-kernel-outlining copies the global into the
// kernels' module, and the GPU reads its own copy. Views of a constant
// tensor go with it (their other operands must be constants or the
// kernel's arguments already).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <functional>

namespace nnc {
#define GEN_PASS_DEF_NNGPUSINKOPERANDS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct GpuSinkOperands : nnc::impl::NNGpuSinkOperandsBase<GpuSinkOperands> {
  void runOnOperation() override {
    Operation *root = getOperation();
    std::function<bool(Operation *)> sinkable = [&](Operation *op) {
      if (isa<arith::ConstantOp>(op))
        return true;
      // A view of a constant tensor (its offsets and sizes constants too).
      if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
        Operation *source = view.getViewSource().getDefiningOp();
        return source && sinkable(source);
      }
      auto get = dyn_cast<memref::GetGlobalOp>(op);
      if (!get)
        return false;
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          op, get.getNameAttr());
      return global && global.getConstant();
    };
    WalkResult r = root->walk([&](gpu::LaunchOp launch) {
      return failed(sinkOperationsIntoLaunchOp(launch, sinkable))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
