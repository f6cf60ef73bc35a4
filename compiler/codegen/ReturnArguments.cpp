//===- ReturnArguments.cpp - Return an argument, not a copy of it ---------===//
//
// A train step updates its parameters and optimizer state in place
// (nnc-update-in-place) and returns them. Ownership-based buffer deallocation
// must hand the caller buffers it owns, so it returns a fresh copy of each
// such argument: per step, a copy of the whole model and its optimizer
// state, which the runtime then copies back. The runtime never frees a
// result that is one of its arguments (nnc_model_call), so here a result
// that is only an unmodified copy of an argument becomes the argument.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace nnc {
#define GEN_PASS_DEF_NNRETURNARGUMENTS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// `copy` fills a fresh allocation with a function argument, and the
/// allocation is used by nothing but the copy and the return.
bool copiesArgumentForReturn(memref::CopyOp copy, func::ReturnOp ret) {
  auto arg = dyn_cast<BlockArgument>(copy.getSource());
  auto alloc = copy.getTarget().getDefiningOp<memref::AllocOp>();
  if (!arg || !alloc || arg.getOwner()->getParentOp() != ret->getParentOp() ||
      copy.getSource().getType() != copy.getTarget().getType())
    return false;
  for (Operation *user : alloc->getUsers())
    if (user != copy && user != ret)
      return false;
  return true;
}

struct NNReturnArgumentsPass
    : nnc::impl::NNReturnArgumentsBase<NNReturnArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.isExternal())
      return;
    f.walk([&](func::ReturnOp ret) {
      if (ret->getParentOp() != f)
        return;
      // Walk back from the return over the trailing copies of arguments
      // and deallocations: nothing among them writes an argument, so each
      // copy still holds the argument's final value.
      SmallVector<memref::CopyOp> copies;
      for (Operation *op = ret->getPrevNode(); op; op = op->getPrevNode()) {
        if (isa<memref::DeallocOp, memref::AllocOp>(op))
          continue;
        auto copy = dyn_cast<memref::CopyOp>(op);
        if (!copy || !copiesArgumentForReturn(copy, ret))
          break;
        copies.push_back(copy);
      }
      for (memref::CopyOp copy : copies) {
        Operation *alloc = copy.getTarget().getDefiningOp();
        ret->replaceUsesOfWith(copy.getTarget(), copy.getSource());
        copy.erase();
        alloc->erase();
      }
    });
  }
};
} // namespace
