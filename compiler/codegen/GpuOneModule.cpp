//===- GpuOneModule.cpp - Every kernel in one GPU module ------------------===//
//
// gpu-kernel-outlining gives each kernel a gpu.module of its own; a CNN's
// training step has over a hundred. Each would be compiled to PTX, checked
// by ptxas and loaded by the driver separately: a process and a module
// load per kernel. Here they move into one module, `nnc_kernels`, each
// renamed after the module it came from (the outlining names every kernel
// of a function alike), and every launch is redirected. The constant
// tensors kernels read (the outlining copies them into each module that
// uses them) are kept once.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUONEMODULE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct GpuOneModule : nnc::impl::NNGpuOneModuleBase<GpuOneModule> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernels(module.getOps<gpu::GPUModuleOp>());
    if (kernels.size() < 2)
      return;
    // Only modules made of kernel functions and the constant tensors they
    // read (copies of the host's globals: one name, one value).
    llvm::StringMap<memref::GlobalOp> globals;
    SmallVector<memref::GlobalOp> kept; // in order, once each
    for (gpu::GPUModuleOp m : kernels)
      for (Operation &op : m.getBody()->getOperations()) {
        if (isa<gpu::GPUFuncOp>(op))
          continue;
        auto global = dyn_cast<memref::GlobalOp>(op);
        if (!global)
          return;
        auto [it, added] = globals.try_emplace(global.getSymName(), global);
        if (added)
          kept.push_back(global);
        else if ((it->second.getType() != global.getType() ||
                  it->second.getInitialValueAttr() !=
                      global.getInitialValueAttr()))
          return;
      }
    MLIRContext *ctx = &getContext();
    OpBuilder b(kernels.front());
    auto merged =
        gpu::GPUModuleOp::create(b, kernels.front().getLoc(), "nnc_kernels");
    SymbolTable symbols(module);
    symbols.insert(merged);              // renamed if the name is taken
    llvm::StringMap<StringAttr> renamed; // "module::func" -> new name
    SymbolTable mergedSymbols(merged);
    for (memref::GlobalOp global : kept)
      global->moveBefore(merged.getBody(), merged.getBody()->end());
    for (gpu::GPUModuleOp m : kernels) {
      for (auto f : llvm::make_early_inc_range(m.getOps<gpu::GPUFuncOp>())) {
        std::string key = (m.getSymName() + "::" + f.getName()).str();
        std::string name = m.getSymName().str();
        if (f.getName() != m.getSymName() &&
            !llvm::hasSingleElement(m.getOps<gpu::GPUFuncOp>()))
          name += "_" + f.getName().str();
        f->moveBefore(merged.getBody(), merged.getBody()->end());
        f.setName(name);
        renamed[key] = mergedSymbols.insert(f);
      }
    }
    StringAttr mergedName = merged.getSymNameAttr();
    module.walk([&](gpu::LaunchFuncOp launch) {
      std::string key = (launch.getKernelModuleName().getValue() +
                         "::" + launch.getKernelName().getValue())
                            .str();
      auto it = renamed.find(key);
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            mergedName, {FlatSymbolRefAttr::get(ctx, it->second)}));
    });
    for (gpu::GPUModuleOp m : kernels)
      m.erase();
  }
};
} // namespace
