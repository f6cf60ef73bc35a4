//===- BufferPool.cpp - Buffers of generated code, reused across calls ----===//
//
// Generated code allocates its intermediate tensors on the heap and frees
// them when their last use has passed (MLIR's ownership-based buffer
// deallocation), through the generic allocation functions
// (finalize-memref-to-llvm{use-generic-functions}) defined here. A training
// step allocates the same sizes in the same order every time, so freed
// blocks are kept in per-size free lists and handed out again: after the
// first step (and the first step of each batch size), a step takes nothing
// from the system allocator and touches no fresh pages. Blocks are
// 64-byte aligned and carry their size in a 64-byte header.
//
//===----------------------------------------------------------------------===//
#include "AllocFailure.h"
#include "nnc/kernels.h"
#include "DeviceMemory.h"
#include "nnc/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {
constexpr size_t kHeader = 64;

/// The workspaces of compiled functions (nnc-plan-buffers) used on this
/// thread, by the function's key. One grows (never shrinks) to the
/// largest size asked for, e.g. by the first step of a larger batch.
struct Workspace {
  int64_t key;
  char *data;
  int64_t bytes;
};
struct Workspaces {
  std::vector<Workspace> list;
  ~Workspaces() { release(); }
  void release() {
    for (Workspace &w : list)
      nnc::systemFree(w.data);
    list.clear();
  }
};
thread_local Workspaces workspaces;

struct Pool {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<char *>> free; ///< by block size
  nnc_buffer_stats stats{};
};

Pool &pool() {
  static Pool *p = new Pool; // never destroyed: generated code may free late
  return *p;
}

/// Bytes rounded up to whole 64-byte units (blocks and workspaces).
size_t roundUp(size_t bytes) {
  return (bytes + kHeader - 1) / kHeader * kHeader;
}

void *take(size_t bytes) {
  size_t size = roundUp(bytes);
  if (size == 0)
    size = kHeader;
  Pool &p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    auto it = p.free.find(size);
    if (it != p.free.end() && !it->second.empty()) {
      char *block = it->second.back();
      it->second.pop_back();
      ++p.stats.reused;
      p.stats.pooled_bytes -= size;
      return block + kHeader;
    }
    ++p.stats.system_allocations;
    p.stats.system_bytes += size;
  }
  char *block = static_cast<char *>(nnc::systemAlloc(size + kHeader));
  if (!block) {
    {
      std::lock_guard<std::mutex> lock(p.mutex);
      --p.stats.system_allocations;
      p.stats.system_bytes -= size;
    }
    nnc::allocationFailed("a buffer of a compiled function", bytes);
  }
  std::memcpy(block, &size, sizeof size);
  return block + kHeader;
}

void give(void *ptr) {
  if (!ptr)
    return;
  char *block = static_cast<char *>(ptr) - kHeader;
  size_t size;
  std::memcpy(&size, block, sizeof size);
  Pool &p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.free[size].push_back(block);
  p.stats.pooled_bytes += size;
}
} // namespace

extern "C" {
// The functions MLIR's memref-to-LLVM lowering calls with
// use-generic-functions; the pointers it gets are aligned to 64 already.
void *_mlir_memref_to_llvm_alloc(size_t bytes) { return take(bytes); }
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  if (alignment > kHeader)
    return nullptr; // never requested: the pipeline asks for <= 64
  return take(bytes);
}
void _mlir_memref_to_llvm_free(void *ptr) { give(ptr); }

void nnc_buffer_free(void *ptr) {
  // Results planned into a workspace (nnc-plan-buffers) point at it: the
  // workspace stays with its function.
  for (const Workspace &w : workspaces.list)
    if (w.data == ptr)
      return;
  give(ptr);
}

void _mlir_ciface_nnc_workspace(nnc_workspace_descriptor *out, int64_t key,
                                int64_t bytes) {
  Workspace *w = nullptr;
  for (Workspace &c : workspaces.list)
    if (c.key == key)
      w = &c;
  if (!w) {
    workspaces.list.push_back({key, nullptr, 0});
    w = &workspaces.list.back();
  }
  if (bytes > w->bytes) {
    nnc::systemFree(w->data);
    w->data = nullptr;
    w->bytes = 0;
    size_t size = roundUp(size_t(bytes));
    w->data = static_cast<char *>(nnc::systemAlloc(size));
    if (!w->data)
      nnc::allocationFailed("the working memory of a compiled function",
                            size_t(bytes));
    w->bytes = bytes;
    Pool &p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    ++p.stats.system_allocations;
    p.stats.system_bytes += int64_t(size);
    p.stats.workspace_bytes += int64_t(size);
  }
  *out = {w->data, w->data, 0, bytes, 1};
}

nnc_buffer_stats nnc_buffer_pool_stats(void) {
  Pool &p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return p.stats;
}

void nnc_buffer_pool_release(void) {
  Pool &p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto &kv : p.free)
    for (char *block : kv.second)
      nnc::systemFree(block);
  p.free.clear();
  p.stats.pooled_bytes = 0;
  workspaces.release();
}
}
