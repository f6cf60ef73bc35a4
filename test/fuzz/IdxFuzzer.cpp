//===- IdxFuzzer.cpp - libFuzzer target for the IDX reader ----------------===//
//
// Arbitrary bytes as an IDX file (MNIST's format, plain or gzip: the
// reader decompresses when it sees gzip's magic) through nnc_idx_load. It
// must load the file or set an error, without allocating far beyond what
// the file holds (-rss_limit_mb). Seeds: test/fuzz/corpus/idx;
// docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"
#include "nnc/runtime.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnc_tensor t;
  if (nnc_idx_load(nnc::fuzz::asFile(data, size).c_str(), &t) != 0)
    return 0;
  size_t bytes = size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
  volatile uint8_t sum = 0;
  for (size_t i = 0; i < bytes; ++i)
    sum += static_cast<const uint8_t *>(t.data)[i];
  nnc_tensor_free(&t);
  return 0;
}
