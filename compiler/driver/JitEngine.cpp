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
// All the objects of one engine are placed in one address range (JitArena):
// the parts of a split module call each other, and the x86-64 stubs reach
// their GOT, with 32-bit PC-relative offsets, which memory mapped anywhere
// may not reach (under ASan, whose reservations fill the address space, a
// truncated offset sent a call into unmapped memory).
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
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <sys/mman.h>

using namespace nnc;

extern "C" void memrefCopy(int64_t, void *, void *);
// The buffer pool behind generated code's allocations (runtime).
extern "C" void *_mlir_memref_to_llvm_alloc(size_t);
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t, size_t);
extern "C" void _mlir_memref_to_llvm_free(void *);
// The GPU's side of --target=cuda code (runtime/src/Cuda.cpp).
extern "C" {
void *mgpuModuleLoad(void *, size_t);
void *mgpuModuleLoadJIT(void *, int);
void mgpuModuleUnload(void *);
void *mgpuModuleGetFunction(void *, const char *);
void mgpuLaunchKernel(void *, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t,
                      intptr_t, int32_t, void *, void **, void **, size_t);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *);
void mgpuStreamSynchronize(void *);
void *mgpuMemAlloc(uint64_t, void *, bool);
void mgpuMemFree(void *, void *);
void mgpuMemcpy(void *, void *, size_t, void *);
void mgpuMemset32(void *, unsigned, size_t, void *);
void mgpuMemset16(void *, unsigned short, size_t, void *);
}

namespace {
/// One reserved range of address space (nothing committed until used) from
/// which every section of an engine's objects is carved, page by page, so
/// that any two of them are less than 2 GB apart. Exhausting it is an
/// allocation failure, which RuntimeDyld reports; never a far placement.
class JitArena final : public llvm::SectionMemoryManager::MemoryMapper {
public:
  explicit JitArena(size_t bytes) : size(bytes) {
    void *p = mmap(nullptr, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base = p == MAP_FAILED ? nullptr : static_cast<char *>(p);
  }
  ~JitArena() override {
    if (base)
      munmap(base, size);
  }
  bool valid() const { return base != nullptr; }

  llvm::sys::MemoryBlock
  allocateMappedMemory(llvm::SectionMemoryManager::AllocationPurpose,
                       size_t bytes, const llvm::sys::MemoryBlock *,
                       unsigned flags, std::error_code &ec) override {
    std::lock_guard<std::mutex> lock(mutex);
    size_t rounded =
        llvm::alignTo(bytes, llvm::sys::Process::getPageSizeEstimate());
    if (rounded > size - used) {
      ec = std::make_error_code(std::errc::not_enough_memory);
      return {};
    }
    char *p = base + used;
    if (mprotect(p, rounded, protection(flags))) {
      ec = std::error_code(errno, std::generic_category());
      return {};
    }
    used += rounded;
    return llvm::sys::MemoryBlock(p, rounded);
  }

  std::error_code protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) override {
    // The block may be part of a page (SectionMemoryManager splits its
    // allocations); the protection is the pages'.
    uintptr_t page = llvm::sys::Process::getPageSizeEstimate();
    uintptr_t start = reinterpret_cast<uintptr_t>(block.base());
    uintptr_t end = llvm::alignTo(start + block.allocatedSize(), page);
    start = llvm::alignDown(start, page);
    if (start != end && mprotect(reinterpret_cast<void *>(start), end - start,
                                 protection(flags)))
      return std::error_code(errno, std::generic_category());
    if (flags & llvm::sys::Memory::MF_EXEC)
      llvm::sys::Memory::InvalidateInstructionCache(block.base(),
                                                    block.allocatedSize());
    return {};
  }

  std::error_code releaseMappedMemory(llvm::sys::MemoryBlock &block) override {
    // The range is not reused: its pages go back to the system.
    if (block.base() &&
        (mprotect(block.base(), block.allocatedSize(), PROT_NONE) ||
         madvise(block.base(), block.allocatedSize(), MADV_DONTNEED)))
      return std::error_code(errno, std::generic_category());
    block = llvm::sys::MemoryBlock();
    return {};
  }

private:
  static int protection(unsigned flags) {
    return (flags & llvm::sys::Memory::MF_READ ? PROT_READ : 0) |
           (flags & llvm::sys::Memory::MF_WRITE ? PROT_WRITE : 0) |
           (flags & llvm::sys::Memory::MF_EXEC ? PROT_EXEC : 0);
  }

  char *base = nullptr;
  size_t size;
  size_t used = 0;
  std::mutex mutex;
};

/// Holds the arena for a memory manager; a base class declared before
/// SectionMemoryManager, so the arena outlives the manager's destructor.
struct ArenaHolder {
  std::shared_ptr<JitArena> arena;
};

/// An object's sections, in its engine's arena.
struct ArenaMemoryManager : ArenaHolder, llvm::SectionMemoryManager {
  explicit ArenaMemoryManager(std::shared_ptr<JitArena> a)
      : ArenaHolder{std::move(a)}, llvm::SectionMemoryManager(arena.get()) {}
};

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
  add("nnc_allreduce_start", &nnc_allreduce_start);
  add("nnc_allreduce_wait", &nnc_allreduce_wait);
  add("nnc_allreduce_result", &nnc_allreduce_result);
  // --target=cuda (runtime/src/Cuda.cpp).
  add("mgpuModuleLoad", &mgpuModuleLoad);
  add("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
  add("mgpuModuleUnload", &mgpuModuleUnload);
  add("mgpuModuleGetFunction", &mgpuModuleGetFunction);
  add("mgpuLaunchKernel", &mgpuLaunchKernel);
  add("mgpuStreamCreate", &mgpuStreamCreate);
  add("mgpuStreamDestroy", &mgpuStreamDestroy);
  add("mgpuStreamSynchronize", &mgpuStreamSynchronize);
  add("mgpuMemAlloc", &mgpuMemAlloc);
  add("mgpuMemFree", &mgpuMemFree);
  add("mgpuMemcpy", &mgpuMemcpy);
  add("mgpuMemset32", &mgpuMemset32);
  add("mgpuMemset16", &mgpuMemset16);
  return map;
}

llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>>
objectLayer(llvm::orc::ExecutionSession &es,
            const std::shared_ptr<JitArena> &arena) {
  auto layer = std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
      es, [arena](const llvm::MemoryBuffer &) {
        return std::make_unique<ArenaMemoryManager>(arena);
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
  // Loaded sections take less room than their object files (which also
  // hold relocations and symbols) plus stubs, GOT and page padding.
  size_t bytes = size_t(64) << 20;
  for (const std::string &object : objects)
    bytes += 2 * object.size();
  auto arena = std::make_shared<JitArena>(bytes);
  if (!arena->valid())
    return fail(llvm::createStringError("cannot reserve " +
                                        std::to_string(bytes >> 20) +
                                        " MB of address space"));
  auto jit = llvm::orc::LLJITBuilder()
                 .setObjectLinkingLayerCreator(
                     [arena](llvm::orc::ExecutionSession &es) {
                       return objectLayer(es, arena);
                     })
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
  // Constructors (only --target=cuda's code has them: loading its kernels).
  if (auto init = engine->jit->lookup(kJitInit))
    init->toPtr<void (*)()>()();
  else
    llvm::consumeError(init.takeError());
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
