//===- NpyFuzzer.cpp - libFuzzer target for the NPY reader ----------------===//
//
// Arbitrary bytes as a .npy file through nnc_npy_load, the reader behind
// the npy(...) data set. It must load the file or set an error; a crash,
// an ASan/UBSan report, a leak or an allocation beyond the file's size
// (-rss_limit_mb, -malloc_limit_mb) is a bug. If it loads, every element
// is read, so a tensor smaller than its shape says is caught. Seeds:
// test/fuzz/corpus/npy; build and run: docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"
#include "nnc/runtime.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnc_tensor t;
  if (nnc_npy_load(nnc::fuzz::asFile(data, size).c_str(), &t) != 0)
    return 0;
  size_t bytes = size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
  if (bytes > size)
    std::abort(); // more data than the file holds
  volatile uint8_t sum = 0;
  for (size_t i = 0; i < bytes; ++i)
    sum += static_cast<const uint8_t *>(t.data)[i];
  nnc_tensor_free(&t);
  return 0;
}
