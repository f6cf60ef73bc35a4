//===- LLVMInterfaces.cpp - What the LLVM functions keep of nn ------------===//
//
// After conversion to the LLVM dialect: the C interfaces convert-func-to-
// llvm made copied their entry point's `alwaysinline` (they are what the
// entry points are inlined into, not inlined themselves); and the nn
// attributes on functions and arguments (MLIRGen's calling contract,
// `nn.name`, `nn.kind`; the workspace plan's figures) mean nothing to LLVM,
// whose translation warns about each one, printing the whole function into
// the warning (a second of a large training step's compile).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace nnc {
#define GEN_PASS_DEF_NNLLVMINTERFACES
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Removes the entries of `dict` not named `llvm.*` through `remove`.
template <typename Remove>
void keepLLVMOnly(DictionaryAttr dict, Remove remove) {
  if (!dict)
    return;
  for (NamedAttribute a : dict)
    if (!a.getName().getValue().starts_with("llvm."))
      remove(a.getName());
}

struct NNLLVMInterfacesPass
    : nnc::impl::NNLLVMInterfacesBase<NNLLVMInterfacesPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::LLVMFuncOp f) {
      if (f.getName().starts_with("_mlir_ciface_"))
        f->removeAttr("passthrough");
      SmallVector<StringAttr> nnAttrs;
      for (NamedAttribute a : f->getDiscardableAttrs())
        if (a.getName().getValue().starts_with("nn."))
          nnAttrs.push_back(a.getName());
      for (StringAttr name : nnAttrs)
        f->removeAttr(name);
      for (unsigned k = 0; k < f.getNumArguments(); ++k)
        keepLLVMOnly(f.getArgAttrDict(k),
                     [&](StringAttr n) { f.removeArgAttr(k, n); });
      for (unsigned k = 0; k < f.getNumResults(); ++k)
        keepLLVMOnly(f.getResultAttrDict(k),
                     [&](StringAttr n) { f.removeResultAttr(k, n); });
    });
  }
};
} // namespace
