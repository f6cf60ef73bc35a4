//===- KernelNoAlias.cpp - noalias on outlined kernels' buffer pointers ---===//
//
// nnc-outline-kernels works out which buffers of a kernel no other argument
// reaches (see noAliasArgs there), but convert-func-to-llvm drops argument
// attributes of memrefs, which become several LLVM arguments each. Once the
// kernels are LLVM functions this pass declares those aligned pointers
// `noalias`: without it LLVM must assume an output may overlap an input,
// keeps loads it could hoist and guards vector loops with run-time overlap
// checks, which made outlined kernels slower than the same loops inside
// one step function.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace nnc {
#define GEN_PASS_DEF_NNKERNELNOALIAS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNKernelNoAliasPass
    : nnc::impl::NNKernelNoAliasBase<NNKernelNoAliasPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::LLVMFuncOp f) {
      auto positions =
          f->getAttrOfType<DenseI32ArrayAttr>(nnc::kNoAliasArgsAttr);
      if (!positions)
        return;
      f->removeAttr(nnc::kNoAliasArgsAttr);
      for (int32_t k : positions.asArrayRef())
        if (k < int32_t(f.getNumArguments()) &&
            isa<LLVM::LLVMPointerType>(f.getArgument(k).getType()))
          f.setArgAttr(k, LLVM::LLVMDialect::getNoAliasAttrName(),
                       UnitAttr::get(f.getContext()));
    });
  }
};
} // namespace
