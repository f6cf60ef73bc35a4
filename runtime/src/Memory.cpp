//===- Memory.cpp - Aligned memory and tensors ----------------------------===//
//
// Generated kernels use aligned vector loads, so every buffer the runtime
// hands out is 64-byte aligned (a cache line, one AVX-512 register).
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "DeviceMemory.h"
#include "nnc/runtime.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" void *nnc_alloc(size_t bytes) {
  size_t rounded = (bytes + NNC_ALIGNMENT - 1) / NNC_ALIGNMENT * NNC_ALIGNMENT;
  if (rounded == 0)
    rounded = NNC_ALIGNMENT;
  void *p = nnc::systemAlloc(rounded);
  if (!p)
    nnc_set_error("out of memory allocating %zu bytes", bytes);
  return p;
}

extern "C" void nnc_free(void *p) { nnc::systemFree(p); }

extern "C" size_t nnc_dtype_size(nnc_dtype dtype) {
  switch (dtype) {
  case NNC_F64:
  case NNC_I64:
    return 8;
  case NNC_U8:
  case NNC_BOOL:
    return 1;
  default:
    return 4;
  }
}

extern "C" int64_t nnc_tensor_numel(const nnc_tensor *t) {
  // Saturates: a shape read from a file may multiply past 2^63.
  int64_t n = 1;
  for (int32_t k = 0; k < t->rank && k < NNC_MAX_RANK; ++k)
    if (__builtin_mul_overflow(n, t->dims[k], &n))
      return INT64_MAX;
  return n;
}

extern "C" int nnc_tensor_alloc(nnc_tensor *t) {
  if (t->rank < 0 || t->rank > NNC_MAX_RANK)
    return nnc_set_error("tensor rank %d is out of range (0..%d)", t->rank,
                         NNC_MAX_RANK);
  for (int32_t k = 0; k < t->rank; ++k)
    if (t->dims[k] < 0)
      return nnc_set_error("tensor dimension %d is negative", k);
  // The same limit as the compiler's (2^48 bytes, 256 TiB): a larger
  // shape is a corrupt file or a mistake, not a request to try.
  int64_t n = nnc_tensor_numel(t);
  uint64_t bytes = 0;
  if (n == INT64_MAX ||
      __builtin_mul_overflow(uint64_t(n), nnc_dtype_size(t->dtype), &bytes) ||
      bytes > (uint64_t(1) << 48))
    return nnc_set_error("a tensor %s would take more than 2^48 bytes",
                         nnc::typeText(*t).c_str());
  t->data = nnc_alloc(size_t(bytes));
  if (!t->data)
    return -1;
  std::memset(t->data, 0, bytes);
  return 0;
}

extern "C" void nnc_tensor_free(nnc_tensor *t) {
  if (!t)
    return;
  nnc_free(t->data);
  t->data = nullptr;
}

namespace {
/// MLIR's unranked memref descriptor and the ranked layout it points to.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};
} // namespace

/// The copy MLIR's memref-to-LLVM lowering calls for non-contiguous
/// copies (same contract as mlir_c_runner_utils' memrefCopy), so generated
/// code needs no MLIR library at run time.
extern "C" void memrefCopy(int64_t elemSize, UnrankedMemRef *src,
                           UnrankedMemRef *dst) {
  int64_t rank = src->rank;
  auto *s = static_cast<int64_t *>(src->descriptor);
  auto *d = static_cast<int64_t *>(dst->descriptor);
  char *sp = reinterpret_cast<char *>(s[1]) + s[2] * elemSize;
  char *dp = reinterpret_cast<char *>(d[1]) + d[2] * elemSize;
  const int64_t *sizes = s + 3, *sStr = s + 3 + rank, *dStr = d + 3 + rank;
  int64_t total = 1;
  for (int64_t r = 0; r < rank; ++r)
    total *= sizes[r];
  if (total == 0)
    return;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t so = 0, doff = 0;
    for (int64_t r = 0; r < rank; ++r) {
      so += idx[r] * sStr[r];
      doff += idx[r] * dStr[r];
    }
    std::memcpy(dp + doff * elemSize, sp + so * elemSize, elemSize);
    for (int64_t r = rank - 1; r >= 0; --r) {
      if (++idx[r] < sizes[r])
        break;
      idx[r] = 0;
    }
  }
}
