//===- SafetensorsFuzzer.cpp - libFuzzer target for safetensors ------------===//
//
// Arbitrary bytes through nnc_safetensors_parse, the reader of checkpoints,
// `nnc build --lib --weights` files and built programs' inputs. It must
// parse the file or set an error; what it returns must hold every tensor
// it names, inside the input (each tensor's bytes are read). Seeds:
// test/fuzz/corpus/safetensors; docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnc_named_tensors st;
  std::memset(&st, 0, sizeof st);
  if (nnc_safetensors_parse(data, size, "fuzz.safetensors", &st) != 0)
    return 0;
  volatile uint8_t sum = 0;
  for (int64_t k = 0; k < st.count; ++k) {
    const nnc_tensor &t = st.tensors[k];
    if (!st.names[k] || nnc_named_find(&st, st.names[k]) < 0)
      std::abort();
    size_t bytes = size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
    if (bytes > size)
      std::abort(); // more data than the input holds
    for (size_t i = 0; i < bytes; ++i)
      sum += static_cast<const uint8_t *>(t.data)[i];
  }
  nnc_named_free(&st);
  return 0;
}
