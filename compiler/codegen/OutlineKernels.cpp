//===- OutlineKernels.cpp - One function per distinct loop nest -----------===//
//
// A training step is one function holding hundreds of linalg ops; lowered
// to loops it becomes one LLVM function of tens of thousands of
// instructions, and several of LLVM's code generation passes take time
// that grows faster than linearly with a function's size. The blocks of a
// deep model repeat the same ops on the same shapes, so the step also holds
// the same loop nest many times. Here every linalg op on buffers becomes a
// call of a private, never-inlined function that holds only that op, and
// ops that are the same up to their operands share one function: the code
// LLVM sees is one small function per distinct kernel, which it compiles
// in time proportional to their number and which can be compiled in
// parallel.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

namespace nnc {
#define GEN_PASS_DEF_NNOUTLINEKERNELS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Marks an outlined kernel (which is not outlined again).
constexpr const char *kKernelAttr = nnc::attr::kKernel;

/// The values `op` reads that it must receive as arguments: its operands
/// and what its regions use from above, constants excepted (they are
/// cloned into the kernel, where they stay visible to the optimiser).
SmallVector<Value> kernelInputs(Operation *op,
                                SmallVectorImpl<Operation *> &constants) {
  SmallVector<Value> inputs;
  llvm::DenseSet<Value> seen;
  auto add = [&](Value v) {
    if (!seen.insert(v).second)
      return;
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      inputs.push_back(v);
  };
  for (Value v : op->getOperands())
    add(v);
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(op->getRegions(), above);
  for (Value v : above)
    add(v);
  return inputs;
}

} // namespace

const void *nnc::bufferRoot(Value v) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto f = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      bool entryArg = f && f.isPublic() && arg.getOwner()->isEntryBlock();
      return entryArg ? v.getAsOpaquePointer() : nullptr;
    }
    Operation *def = v.getDefiningOp();
    if (isa<memref::ViewOp, memref::AllocOp, memref::AllocaOp>(def))
      return v.getAsOpaquePointer();
    if (auto global = dyn_cast<memref::GetGlobalOp>(def))
      return global.getNameAttr().getAsOpaquePointer();
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return nullptr;
    v = view.getViewSource();
  }
}

namespace {

/// Which of `op`'s kernel arguments may be declared `noalias`: those whose
/// memory no other argument reaches while either writes it. The workspace
/// plan never lets two buffers an op uses share memory, so the buffers of
/// different roots are disjoint; views of one root are disjoint only if
/// none of them is written (they may overlap). Nothing is declared when a
/// root is unknown.
SmallVector<bool> noAliasArgs(Operation *op, ArrayRef<Value> inputs) {
  SmallVector<bool> result(inputs.size(), false);
  auto dps = cast<DestinationStyleOpInterface>(op);
  llvm::DenseMap<const void *, SmallVector<unsigned>> byRoot;
  llvm::DenseSet<const void *> writtenRoots;
  for (auto [k, v] : llvm::enumerate(inputs)) {
    if (!isa<MemRefType>(v.getType()))
      continue;
    const void *root = nnc::bufferRoot(v);
    if (!root)
      return SmallVector<bool>(inputs.size(), false);
    byRoot[root].push_back(k);
    for (OpOperand &init : dps.getDpsInitsMutable())
      if (init.get() == v)
        writtenRoots.insert(root);
  }
  for (auto &[root, members] : byRoot)
    if (members.size() == 1 || !writtenRoots.contains(root))
      for (unsigned k : members)
        result[k] = true;
  return result;
}

/// Where each argument of `type` starts in the LLVM function
/// convert-func-to-llvm makes of it (a ranked memref becomes its
/// descriptor's 3 + 2 * rank fields, allocated then aligned pointer
/// first), or empty for an argument type it is not known to expand so.
SmallVector<int32_t> llvmArgStarts(FunctionType type) {
  SmallVector<int32_t> starts;
  int32_t next = 0;
  for (Type t : type.getInputs()) {
    starts.push_back(next);
    if (auto m = dyn_cast<MemRefType>(t))
      next += 3 + 2 * m.getRank();
    else if (t.isIntOrIndexOrFloat())
      next += 1;
    else
      return {};
  }
  return starts;
}

/// The text of a kernel's body, which identifies it up to its name.
std::string bodyKey(func::FuncOp kernel) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << kernel.getFunctionType() << kernel->getAttr(nnc::kNoAliasArgsAttr);
  for (Operation &op : kernel.getBody().front())
    // Explicitly without locations: the default flags follow the command
    // line (--mlir-print-debuginfo), which must not change what is shared.
    op.print(os, OpPrintingFlags().useLocalScope().enableDebugInfo(false));
  return key;
}

struct NNOutlineKernelsPass
    : nnc::impl::NNOutlineKernelsBase<NNOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f->hasAttr(kKernelAttr))
        f.walk([&](linalg::LinalgOp op) {
          if (op.hasPureBufferSemantics())
            ops.push_back(op);
        });
    SymbolTable symbols(module);
    llvm::StringMap<func::FuncOp> kernels;
    for (Operation *op : ops)
      outline(op, symbols, kernels);
  }

  void outline(Operation *op, SymbolTable &symbols,
               llvm::StringMap<func::FuncOp> &kernels) {
    SmallVector<Operation *> constants;
    SmallVector<Value> inputs = kernelInputs(op, constants);
    auto type =
        FunctionType::get(op->getContext(), ValueRange(inputs).getTypes(), {});
    // Detached until it is known to be new.
    auto kernel = func::FuncOp::create(op->getLoc(), "nn_kernel", type);
    Block *entry = kernel.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
      map.map(v, arg);
    for (Operation *c : constants)
      b.clone(*c, map);
    b.clone(*op, map);
    func::ReturnOp::create(b, op->getLoc());
    // The aligned pointers that may be `noalias` (nnc-kernel-noalias
    // declares them once the kernel is an LLVM function).
    SmallVector<int32_t> starts = llvmArgStarts(type), noalias;
    for (auto [k, may] : llvm::enumerate(noAliasArgs(op, inputs)))
      if (may && !starts.empty())
        noalias.push_back(starts[k] + 1);
    if (!noalias.empty())
      kernel->setAttr(nnc::kNoAliasArgsAttr,
                      DenseI32ArrayAttr::get(op->getContext(), noalias));

    std::string key = bodyKey(kernel);
    func::FuncOp &callee = kernels[key];
    if (callee) {
      kernel.erase();
    } else {
      callee = kernel;
      // What convert-func-to-llvm reads: LLVM's internal linkage (so that
      // its interprocedural passes may specialise the kernel) and no
      // inlining back into the caller.
      MLIRContext *ctx = op->getContext();
      kernel.setPrivate();
      kernel->setAttr(kKernelAttr, UnitAttr::get(ctx));
      kernel->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      kernel->setAttr("passthrough",
                      ArrayAttr::get(ctx, {StringAttr::get(ctx, "noinline")}));
      symbols.insert(kernel); // renames it uniquely
    }
    OpBuilder call(op);
    func::CallOp::create(call, op->getLoc(), callee, inputs);
    op->erase();
  }
};
} // namespace
