//===- EntryPoints.cpp - How generated functions are called ---------------===//
//
// The runtime, the JIT and executables call every entry point through its
// C interface (`_mlir_ciface_<name>`, one pointer per memref descriptor).
// Each function gets one; each entry point (a public function with a body)
// becomes internal and is inlined into its interface: called with its
// memrefs expanded, a training step takes a thousand scalar arguments,
// whose passing was the largest block of straight-line code LLVM compiled.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace nnc {
#define GEN_PASS_DEF_NNENTRYPOINTS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNEntryPointsPass : nnc::impl::NNEntryPointsBase<NNEntryPointsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation()->walk([&](func::FuncOp f) {
      f->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
      if (!f.isPublic() || f.isExternal())
        return;
      f->setAttr("llvm.linkage",
                 LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      f->setAttr("passthrough",
                 ArrayAttr::get(ctx, {StringAttr::get(ctx, "alwaysinline")}));
    });
  }
};
} // namespace
