//===- CsvFuzzer.cpp - libFuzzer target for the CSV reader ----------------===//
//
// The first byte chooses how the program declares the data (bits 0-2: the
// feature count, bit 3: a label column named "label"); the rest is the
// CSV file given to nnc_csv_load. It must load it or set an error; when it
// loads, the shapes must agree with the declaration and every value must
// be readable. Seeds: test/fuzz/corpus/csv; docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"
#include "nnc/runtime.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int64_t features = data[0] & 7;
  const char *label = (data[0] & 8) ? "label" : nullptr;
  nnc_tensor x, y;
  if (nnc_csv_load(nnc::fuzz::asFile(data + 1, size - 1).c_str(), features,
                   label, &x, &y) != 0)
    return 0;
  if (x.rank != 2 || x.dims[1] != features ||
      (label && (y.rank != 1 || y.dims[0] != x.dims[0])))
    std::abort();
  volatile float sum = 0;
  for (int64_t i = 0; i < nnc_tensor_numel(&x); ++i)
    sum += static_cast<const float *>(x.data)[i];
  nnc_tensor_free(&x);
  nnc_tensor_free(&y);
  return 0;
}
