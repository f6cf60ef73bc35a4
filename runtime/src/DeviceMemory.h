//===- DeviceMemory.h - Buffers a GPU can reach ------------------*- C++ -*-===//
//
// Where the runtime's allocations come from once a CUDA device is in use
// (Cuda.cpp): managed memory, the same address on the host and the GPU.
// Without a device these say no, and the callers use the C library.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_DEVICEMEMORY_H
#define NNC_RUNTIME_DEVICEMEMORY_H

#include <cstddef>

namespace nnc {

/// Whether a CUDA device has been opened (nnc_cuda_init succeeded).
bool deviceMemoryInUse();
/// `bytes` of managed memory (aligned to at least 256 bytes), or null
/// without a device or on failure.
void *deviceAlloc(size_t bytes);
/// Frees what deviceAlloc returned; false (and nothing done) for any
/// other pointer.
bool deviceFree(void *p);

/// Whether the host may write managed memory while kernels run (the
/// GPU's concurrent managed access: Linux, not WSL), so that work for the
/// next step can overlap the current one.
bool deviceOverlapsHost();
/// Moves `bytes` at `p` (managed memory) to the GPU ahead of the kernels
/// that read it, and waits for the move.
/// Without a device, or a driver without prefetching, nothing.
void devicePrefetch(const void *p, size_t bytes);

/// A 64-byte aligned block: managed memory when a device is in use, else
/// the C library's. Null on failure.
void *systemAlloc(size_t bytes);
/// Frees what systemAlloc returned.
void systemFree(void *p);

} // namespace nnc

#endif // NNC_RUNTIME_DEVICEMEMORY_H
