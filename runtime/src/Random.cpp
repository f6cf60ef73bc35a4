//===- Random.cpp - Philox4x32-10 counter-based random numbers ------------===//
//
// A counter-based generator has no state to carry: element i of a stream
// is a pure function of (seed, offset, i). That makes the numbers
// independent of thread count and evaluation order, and lets the backward
// pass regenerate the exact noise the forward pass drew (dropout masks,
// reparameterisation) instead of storing it.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t &hi, uint32_t &lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

/// Four words for counter `index` of the stream keyed by `seed`; `stream`
/// fills the counter's high words (nnc_step_stream, nnc_loop_stream).
inline void block(uint64_t seed, uint64_t index, uint32_t out[4],
                  uint64_t stream = 0) {
  uint32_t ctr[4] = {static_cast<uint32_t>(index),
                     static_cast<uint32_t>(index >> 32),
                     static_cast<uint32_t>(stream),
                     static_cast<uint32_t>(stream >> 32)};
  uint32_t key[2] = {static_cast<uint32_t>(seed),
                     static_cast<uint32_t>(seed >> 32)};
  nnc_philox4x32_10(ctr, key, out);
}

/// Uniform in [0, 1) from the top 24 bits (exact in f32).
inline float unit(uint32_t x) { return (x >> 8) * (1.0f / 16777216.0f); }
/// Uniform in (0, 1], safe for log().
inline float unitOpen(uint32_t x) {
  return ((x >> 8) + 1) * (1.0f / 16777216.0f);
}

template <typename F>
void forEachWord(uint64_t seed, uint64_t offset, int64_t n, F f,
                 uint64_t stream = 0) {
  uint32_t w[4];
  for (int64_t i = 0; i < n; i += 4) {
    block(seed, offset + static_cast<uint64_t>(i) / 4, w, stream);
    for (int64_t k = 0; k < 4 && i + k < n; ++k)
      f(i + k, w[k]);
  }
}
} // namespace

extern "C" void nnc_philox4x32_10(const uint32_t counter[4],
                                  const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round) {
      k0 += kW0;
      k1 += kW1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c0, hi0, lo0);
    mulhilo(kM1, c2, hi1, lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

extern "C" void nnc_rng_uniform_f32(uint64_t seed, uint64_t offset, float *out,
                                    int64_t n, float low, float high) {
  float scale = high - low;
  forEachWord(seed, offset, n,
              [&](int64_t i, uint32_t w) { out[i] = low + scale * unit(w); });
}

extern "C" int64_t nnc_step_stream(uint64_t seed, int64_t step) {
  // Steps count from 1 in the high words (0 is the stream outside
  // training); the seed takes the upper 32 bits.
  return static_cast<int64_t>((seed << 32) + static_cast<uint64_t>(step) + 1);
}

extern "C" int64_t nnc_loop_stream(int64_t outer, int64_t iteration) {
  // splitmix64's finaliser (Steele et al.) of the enclosing stream and the
  // iteration: generated code computes the same in every loop body.
  uint64_t h = static_cast<uint64_t>(outer) ^
               ((static_cast<uint64_t>(iteration) + 1) * 0x9E3779B97F4A7C15ull);
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  return static_cast<int64_t>(h ^ (h >> 31));
}

extern "C" void nnc_rng_uniform_stream_f32(uint64_t seed, int64_t stream,
                                           float *out, int64_t n, float low,
                                           float high) {
  float scale = high - low;
  forEachWord(
      seed, 0, n, [&](int64_t i, uint32_t w) { out[i] = low + scale * unit(w); },
      static_cast<uint64_t>(stream));
}

extern "C" void nnc_rng_normal_f32(uint64_t seed, uint64_t offset, float *out,
                                   int64_t n, float mean, float std) {
  // Box-Muller on word pairs (0,1) and (2,3) of each block.
  uint32_t w[4];
  for (int64_t i = 0; i < n; i += 4) {
    block(seed, offset + static_cast<uint64_t>(i) / 4, w);
    for (int pair = 0; pair < 2; ++pair) {
      float r = std::sqrt(-2.0f * std::log(unitOpen(w[2 * pair])));
      float theta = 6.2831853071795864f * unit(w[2 * pair + 1]);
      if (i + 2 * pair < n)
        out[i + 2 * pair] = mean + std * r * std::cos(theta);
      if (i + 2 * pair + 1 < n)
        out[i + 2 * pair + 1] = mean + std * r * std::sin(theta);
    }
  }
}

extern "C" void nnc_rng_gumbel_f32(uint64_t seed, uint64_t offset, float *out,
                                   int64_t n) {
  forEachWord(seed, offset, n, [&](int64_t i, uint32_t w) {
    out[i] = -std::log(-std::log(unitOpen(w) * 0.99999994f));
  });
}

extern "C" void nnc_rng_bernoulli_f32(uint64_t seed, uint64_t offset,
                                      const float *p, float *out, int64_t n) {
  forEachWord(seed, offset, n, [&](int64_t i, uint32_t w) {
    out[i] = unit(w) < p[i] ? 1.0f : 0.0f;
  });
}

extern "C" void nnc_rng_permutation(uint64_t seed, uint64_t offset,
                                    int64_t *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = i;
  uint32_t w[4];
  for (int64_t i = n - 1; i > 0; --i) {
    block(seed, offset + static_cast<uint64_t>(i), w);
    uint64_t r = (static_cast<uint64_t>(w[0]) << 32) | w[1];
    int64_t j = static_cast<int64_t>(r % static_cast<uint64_t>(i + 1));
    int64_t t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

extern "C" int nnc_rng_weighted_draw(uint64_t seed, uint64_t offset,
                                     const double *weights, int64_t *out,
                                     int64_t n) {
  // Cumulative sums, then one binary search per draw: a sample of weight
  // 0 is never drawn (its sum equals the one before it).
  std::vector<double> cumulative(static_cast<size_t>(n));
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    double w = weights[i];
    if (!std::isfinite(w) || w < 0)
      return nnc_set_error("the weight of sample %lld is %g; weights must be "
                           "finite and >= 0",
                           static_cast<long long>(i), w);
    cumulative[static_cast<size_t>(i)] = total += w;
  }
  if (n > 0 && !(total > 0))
    return nnc_set_error("every one of the %lld samples' weights is 0",
                         static_cast<long long>(n));
  if (!std::isfinite(total))
    return nnc_set_error("the %lld samples' weights add up to more than a "
                         "double holds",
                         static_cast<long long>(n));
  uint32_t w[4];
  for (int64_t i = 0; i < n; ++i) {
    block(seed, offset + static_cast<uint64_t>(i), w);
    uint64_t r = (static_cast<uint64_t>(w[0]) << 32) | w[1];
    double u = static_cast<double>(r >> 11) * 0x1p-53 * total; // [0, total)
    auto at = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    if (at == cumulative.end()) // u rounded up to total
      at = std::lower_bound(cumulative.begin(), cumulative.end(), total);
    out[i] = at - cumulative.begin();
  }
  return 0;
}
