//===- ObjectCode.cpp - LLVM IR to object files, in parallel --------------===//
//
// LLVM's code generation is much of a training step's compile time. The
// step's kernels are separate functions (nnc-outline-kernels), so the
// optimised module is split into partitions (whole functions) that are
// compiled to object files at the same time, one thread each. (Splitting
// before optimising measured no faster: kernels made external lose the
// argument specialisation whole-module optimisation gives them.) Each partition
// travels to its thread as bitcode and is read into the thread's own
// LLVMContext: LLVM shares nothing between contexts, so the threads need no
// locks.
//
//===----------------------------------------------------------------------===//
#include "driver/ObjectCode.h"
#include "driver/Compile.h"
#include "driver/Pipeline.h"
#include "driver/Timing.h"
#include "support/Diagnostics.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <thread>
#include <tuple>

using namespace nnc;

namespace {
/// `_mlir__mlir_ciface_<f>(void **args)` for every C interface function.
void addPackedWrappers(llvm::Module &m) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  std::vector<llvm::Function *> interfaces;
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && f.getName().starts_with("_mlir_ciface_"))
      interfaces.push_back(&f);
  for (llvm::Function *f : interfaces) {
    auto *w = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                     kPackedPrefix + f->getName(), m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", w));
    std::vector<llvm::Value *> args;
    for (llvm::Argument &a : f->args()) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, w->getArg(0), a.getArgNo());
      args.push_back(b.CreateLoad(a.getType(), b.CreateLoad(ptr, slot)));
    }
    // Not inlined: the interface function (with the step inlined into
    // it) would be compiled twice.
    llvm::CallInst *result = b.CreateCall(f, args);
    result->setIsNoInline();
    if (!f->getReturnType()->isVoidTy()) {
      llvm::Value *slot =
          b.CreateConstGEP1_64(ptr, w->getArg(0), f->arg_size());
      b.CreateStore(result, b.CreateLoad(ptr, slot));
    }
    b.CreateRetVoid();
  }
}

/// `nnc_jit_init()`, calling the module's constructors in their order:
/// the JIT takes object files and does not run them, and with
/// --target=cuda they load the kernels onto the GPU.
void addJitInit(llvm::Module &m) {
  llvm::GlobalVariable *ctors = m.getNamedGlobal("llvm.global_ctors");
  auto *list = ctors && ctors->hasInitializer()
                   ? llvm::dyn_cast<llvm::ConstantArray>(ctors->getInitializer())
                   : nullptr;
  if (!list)
    return;
  // By priority, then (equal priorities) in the list's order.
  std::vector<std::tuple<uint64_t, size_t, llvm::Function *>> order;
  for (llvm::Value *v : list->operands()) {
    auto *entry = llvm::dyn_cast<llvm::ConstantStruct>(v);
    if (!entry)
      continue;
    auto *priority = llvm::dyn_cast<llvm::ConstantInt>(entry->getOperand(0));
    auto *fn = llvm::dyn_cast<llvm::Function>(entry->getOperand(1));
    if (priority && fn)
      order.push_back({priority->getZExtValue(), order.size(), fn});
  }
  llvm::sort(order);
  llvm::LLVMContext &ctx = m.getContext();
  auto *init = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
      llvm::GlobalValue::ExternalLinkage, kJitInit, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", init));
  for (auto &[priority, index, fn] : order)
    b.CreateCall(fn);
  b.CreateRetVoid();
}

/// A TargetMachine like `tm`, for another thread.
std::unique_ptr<llvm::TargetMachine> copyOf(const llvm::TargetMachine &tm) {
  return std::unique_ptr<llvm::TargetMachine>(
      tm.getTarget().createTargetMachine(
          tm.getTargetTriple(), tm.getTargetCPU(), tm.getTargetFeatureString(),
          tm.Options, tm.getRelocationModel(), tm.getCodeModel(),
          tm.getOptLevel()));
}

/// Compiles one partition, given as bitcode, in a context of its own.
bool compilePartition(const llvm::SmallString<0> &bitcode,
                      const llvm::TargetMachine &like, std::string &object,
                      std::string &error) {
  llvm::LLVMContext ctx;
  auto m = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(llvm::StringRef(bitcode.data(), bitcode.size()),
                            "partition"),
      ctx);
  if (!m) {
    error = llvm::toString(m.takeError());
    return false;
  }
  auto tm = copyOf(like);
  if (!tm) {
    error = "cannot create a code generator for another thread";
    return false;
  }
  return emitFile(**m, *tm, llvm::CodeGenFileType::ObjectFile, object, error);
}
} // namespace

bool nnc::emitFile(llvm::Module &m, llvm::TargetMachine &tm,
                   llvm::CodeGenFileType kind, std::string &out,
                   std::string &error) {
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, kind)) {
    error = "the target cannot emit this kind of file";
    return false;
  }
  pm.run(m);
  out.assign(buffer.begin(), buffer.end());
  return true;
}

bool nnc::compileToObjects(std::unique_ptr<llvm::Module> m,
                           llvm::TargetMachine &tm, const CodegenOptions &opts,
                           bool packed, unsigned threads,
                           std::vector<std::string> &objects,
                           DiagnosticEngine &diags) {
  if (packed) {
    addPackedWrappers(*m);
    addJitInit(*m);
  }
  {
    StageTimer timer("LLVM optimisation");
    optimizeModule(*m, tm, opts.optLevel);
  }
  StageTimer timer("code generation");
  unsigned defined = 0;
  for (llvm::Function &f : *m)
    defined += !f.isDeclaration();
  // Splitting pays only for modules of several kernels. The whole module
  // is optimised first: its kernels are internal, so LLVM may specialise
  // their calling convention and arguments.
  unsigned parts = std::max(1u, std::min(threads, defined / 8));
  if (parts == 1) {
    std::string error;
    if (emitFile(*m, tm, llvm::CodeGenFileType::ObjectFile,
                 objects.emplace_back(), error))
      return true;
    diags.error(error);
    return false;
  }
  std::vector<llvm::SmallString<0>> bitcode;
  llvm::SplitModule(
      *m, parts,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_svector_ostream os(bitcode.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  objects.assign(bitcode.size(), {});
  std::vector<std::string> errors(bitcode.size());
  std::vector<char> ok(bitcode.size(), 0);
  std::vector<std::thread> workers;
  for (size_t k = 1; k < bitcode.size(); ++k)
    workers.emplace_back([&, k] {
      ok[k] = compilePartition(bitcode[k], tm, objects[k], errors[k]);
    });
  ok[0] = compilePartition(bitcode[0], tm, objects[0], errors[0]);
  for (std::thread &t : workers)
    t.join();
  for (size_t k = 0; k < bitcode.size(); ++k)
    if (!ok[k]) {
      diags.error("internal error: code generation failed: " + errors[k]);
      return false;
    }
  return true;
}
