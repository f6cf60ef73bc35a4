//===- Int8Weights.cpp - Weights quantized once for int8 inference --------===//
//
// An int8 product (NNC_KERNEL_INT8) multiplies activations quantized at
// each call by weights quantized once: per output column (a dense layer's
// unit, a convolution's filter) to int8 with its own scale, max |w| / 127,
// and laid out as the VNNI kernel reads them (GemmAvx512Vnni.cpp). The
// first call that meets a weight matrix quantizes it and keeps the result,
// keyed by its address, shape and strides, as ONNX Runtime pre-packs a
// session's initializers: the weights of an int8 build are constants.
// Each call also compares a fingerprint of 64 of the matrix's values with
// the copy's, so other weights loaded at a freed address (the next member
// of an ensemble) are quantized afresh; nnc_kernels_int8_forget() drops
// every copy (the instance API calls it when it loads or frees weights).
// Portable code: it runs once per matrix.
//
//===----------------------------------------------------------------------===//
#include "Int8.h"
#include "nnc/kernels.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

namespace nnc_rt {
namespace {

using Key = std::tuple<const float *, int64_t, int64_t, int64_t, int64_t>;

struct Cache {
  std::mutex lock;
  std::map<Key, std::shared_ptr<const Int8Weights>> entries;
};

/// A hash of the bits of 64 elements spread over B.
uint64_t fingerprint(const float *b, int64_t k, int64_t n, int64_t bs0,
                     int64_t bs1) {
  uint64_t h = 1469598103934665603ull;
  int64_t count = k * n;
  for (int64_t t = 0; t < 64 && count > 0; ++t) {
    int64_t e = count > 1 ? t * (count - 1) / 63 : 0;
    uint32_t bits;
    std::memcpy(&bits, &b[(e / n) * bs0 + (e % n) * bs1], 4);
    h = (h ^ bits) * 1099511628211ull;
  }
  return h;
}

Cache &cache() {
  static Cache *c = new Cache; // never destroyed: calls may outlive statics
  return *c;
}

std::shared_ptr<Int8Weights> quantize(const float *b, int64_t k, int64_t n,
                                      int64_t bs0, int64_t bs1) {
  auto w = std::make_shared<Int8Weights>();
  w->k = k;
  w->n = n;
  w->kp = (k + 3) / 4 * 4;
  w->np = (n + 15) / 16 * 16;
  w->q.assign(w->np * w->kp, 0);
  w->scale.assign(w->np, 0.0f);
  w->offset.assign(w->np, 0);
  for (int64_t j = 0; j < n; ++j) {
    float mx = 0.0f;
    for (int64_t l = 0; l < k; ++l) {
      float v = std::fabs(b[l * bs0 + j * bs1]);
      if (!(v <= FLT_MAX)) { // NaN or infinite: the caller runs in f32
        w->finite = false;
        return w;
      }
      mx = std::max(mx, v);
    }
    // A zero column quantizes to zeros whatever its scale.
    float scale = mx > 0.0f ? mx / 127.0f : 1.0f;
    w->scale[j] = scale;
    int32_t sum = 0;
    int8_t *panel = &w->q[(j / 16) * w->kp * 16];
    for (int64_t l = 0; l < k; ++l) {
      long v = std::lrint(b[l * bs0 + j * bs1] / scale);
      v = std::min(127L, std::max(-127L, v));
      panel[(l / 4) * 64 + (j % 16) * 4 + l % 4] = int8_t(v);
      sum += int32_t(v);
    }
    w->offset[j] = 128 * sum;
  }
  return w;
}

} // namespace

std::shared_ptr<const Int8Weights>
int8Weights(const float *b, int64_t k, int64_t n, int64_t bs0, int64_t bs1) {
  Cache &c = cache();
  Key key{b, k, n, bs0, bs1};
  uint64_t print = fingerprint(b, k, n, bs0, bs1);
  {
    std::lock_guard<std::mutex> g(c.lock);
    auto it = c.entries.find(key);
    if (it != c.entries.end() && it->second->fingerprint == print)
      return it->second;
  }
  // Quantized outside the lock; two threads meeting a new matrix at once
  // compute the same bytes.
  std::shared_ptr<Int8Weights> w = quantize(b, k, n, bs0, bs1);
  w->fingerprint = print;
  std::lock_guard<std::mutex> g(c.lock);
  c.entries[key] = w;
  return w;
}

} // namespace nnc_rt

extern "C" void nnc_kernels_int8_forget(void) {
  nnc_rt::Cache &c = nnc_rt::cache();
  std::lock_guard<std::mutex> g(c.lock);
  c.entries.clear();
}
