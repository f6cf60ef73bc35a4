//===- JitEngine.cpp - Object files loaded into this process -------------===//
//
// An ORC LLJIT that takes object files rather than IR, so that the objects
// can come from parallel code generation or from the compile cache. The
// generated code calls the runtime linked into nnc (kernels, the buffer
// pool, the workspace), which nnc does not export: those symbols are
// defined explicitly; the C and OpenMP libraries are found in the process.
// With NNC_PERF_JIT set, perf's JIT dump files are written (profile with
// `perf record -k 1` and `perf inject --jit`).
//
//===----------------------------------------------------------------------===//
#include "driver/JitEngine.h"
#include "driver/ObjectCode.h"
#include "nnc/kernels.h"
#include "nnc/runtime.h"
#include "support/Diagnostics.h"

#include "llvm/ExecutionEngine/JITEventListener.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>

using namespace nnc;

extern "C" void memrefCopy(int64_t, void *, void *);
// The buffer pool behind generated code's allocations (runtime).
extern "C" void *_mlir_memref_to_llvm_alloc(size_t);
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t, size_t);
extern "C" void _mlir_memref_to_llvm_free(void *);

namespace {
/// The runtime functions generated code calls.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::LLJIT &jit) {
  llvm::orc::SymbolMap map;
  auto add = [&](const char *name, auto *fn) {
    map[jit.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                      llvm::JITSymbolFlags::Exported};
  };
  add("memrefCopy", &memrefCopy);
  add("nnc_sgemm", &nnc_sgemm);
  add("nnc_conv2d_f32", &nnc_conv2d_f32);
  add("nnc_conv2d_filter_grad_f32", &nnc_conv2d_filter_grad_f32);
  add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
  add("_mlir_memref_to_llvm_aligned_alloc",
      &_mlir_memref_to_llvm_aligned_alloc);
  add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
  add("_mlir_ciface_nnc_workspace", &_mlir_ciface_nnc_workspace);
  return map;
}

llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>>
objectLayer(llvm::orc::ExecutionSession &es) {
  auto layer = std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
      es, [](const llvm::MemoryBuffer &) {
        // One reservation for all of an object's sections: the x86-64
        // stubs reach their GOT with 32-bit offsets, which separate mmaps
        // for code and data can put beyond 2 GB of each other (it happened
        // under ASan, whose reservations fill the address space; the
        // offset was truncated and a call jumped into unmapped memory).
        return std::make_unique<llvm::SectionMemoryManager>(
            /*MM=*/nullptr, /*ReserveAlloc=*/true);
      });
  if (std::getenv("NNC_PERF_JIT"))
    if (llvm::JITEventListener *perf =
            llvm::JITEventListener::createPerfJITEventListener())
      layer->registerJITEventListener(*perf);
  return std::move(layer);
}
} // namespace

JitEngine::~JitEngine() = default;

std::unique_ptr<JitEngine>
JitEngine::create(const std::vector<std::string> &objects,
                  DiagnosticEngine &diags) {
  auto fail = [&](llvm::Error e) -> std::unique_ptr<JitEngine> {
    diags.error("JIT compilation failed: " + llvm::toString(std::move(e)));
    return nullptr;
  };
  auto jit = llvm::orc::LLJITBuilder()
                 .setObjectLinkingLayerCreator(objectLayer)
                 .create();
  if (!jit)
    return fail(jit.takeError());
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  if (llvm::Error e =
          main.define(llvm::orc::absoluteSymbols(runtimeSymbols(**jit))))
    return fail(std::move(e));
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return fail(process.takeError());
  main.addGenerator(std::move(*process));
  for (const std::string &object : objects)
    if (llvm::Error e = (*jit)->addObjectFile(
            llvm::MemoryBuffer::getMemBufferCopy(object, "nnc-jit")))
      return fail(std::move(e));
  auto engine = std::unique_ptr<JitEngine>(new JitEngine);
  engine->jit = std::move(*jit);
  return engine;
}

JitEngine::Packed JitEngine::lookupPacked(const std::string &name,
                                          DiagnosticEngine &diags) {
  auto sym = jit->lookup(kPackedPrefix + name);
  if (!sym) {
    diags.error("internal error: no function '" + name +
                "' in the JIT: " + llvm::toString(sym.takeError()));
    return nullptr;
  }
  return sym->toPtr<Packed>();
}
