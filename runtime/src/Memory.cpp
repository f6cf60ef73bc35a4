//===- Memory.cpp - Aligned memory and tensors ----------------------------===//
//
// Generated kernels use aligned vector loads, so every buffer the runtime
// hands out is 64-byte aligned (a cache line, one AVX-512 register).
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <cstdlib>
#include <cstring>

extern "C" void *nnc_alloc(size_t bytes) {
  size_t rounded = (bytes + NNC_ALIGNMENT - 1) / NNC_ALIGNMENT * NNC_ALIGNMENT;
  if (rounded == 0)
    rounded = NNC_ALIGNMENT;
  void *p = std::aligned_alloc(NNC_ALIGNMENT, rounded);
  if (!p)
    nnc_set_error("out of memory allocating %zu bytes", bytes);
  return p;
}

extern "C" void nnc_free(void *p) { std::free(p); }

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
  int64_t n = 1;
  for (int32_t k = 0; k < t->rank; ++k)
    n *= t->dims[k];
  return n;
}

extern "C" int nnc_tensor_alloc(nnc_tensor *t) {
  if (t->rank < 0 || t->rank > NNC_MAX_RANK)
    return nnc_set_error("tensor rank %d is out of range (0..%d)", t->rank,
                         NNC_MAX_RANK);
  for (int32_t k = 0; k < t->rank; ++k)
    if (t->dims[k] < 0)
      return nnc_set_error("tensor dimension %d is negative", k);
  size_t bytes = static_cast<size_t>(nnc_tensor_numel(t)) *
                 nnc_dtype_size(t->dtype);
  t->data = nnc_alloc(bytes);
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
