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
// kernels' module, and the GPU reads its own copy. A view of a constant
// tensor is rebuilt inside the launch from that copy (its offsets become
// kernel arguments).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUSINKOPERANDS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

bool nnc::isConstantGlobal(Operation *op) {
  auto get = dyn_cast_or_null<memref::GetGlobalOp>(op);
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  return global && global.getConstant();
}

namespace {

/// Views of constant tensors that `launch` uses from outside: each is
/// rebuilt inside it from its own copy of the global; their offsets and
/// sizes become the kernel's arguments if they are not constants.
void sinkConstantViews(gpu::LaunchOp launch) {
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(launch.getBody(), above);
  for (Value v : above) {
    SmallVector<Operation *> chain;
    Value source = v;
    while (auto view = source.getDefiningOp<ViewLikeOpInterface>()) {
      chain.push_back(view);
      source = view.getViewSource();
    }
    Operation *get = source.getDefiningOp();
    if (chain.empty() || !nnc::isConstantGlobal(get))
      continue;
    OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
    IRMapping map;
    map.map(source, b.clone(*get)->getResult(0));
    for (Operation *op : llvm::reverse(chain))
      b.clone(*op, map);
    replaceAllUsesInRegionWith(v, map.lookup(v), launch.getBody());
  }
}

struct GpuSinkOperands : nnc::impl::NNGpuSinkOperandsBase<GpuSinkOperands> {
  void runOnOperation() override {
    Operation *root = getOperation();
    auto sinkable = [](Operation *op) {
      return isa<arith::ConstantOp>(op) || nnc::isConstantGlobal(op);
    };
    WalkResult r = root->walk([&](gpu::LaunchOp launch) {
      sinkConstantViews(launch);
      return failed(sinkOperationsIntoLaunchOp(launch, sinkable))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
