//===- SamplingTest.cpp - Weighted draws of training samples --------------===//
//
// nnc_rng_weighted_draw and the batcher's weighted epochs, which
// `resample by` relies on: draws follow the weights, a weight of 0 is
// never drawn, the draw is a function of (seed, offset, weights), and
// weights that cannot be drawn from are refused with the sample named.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace {

TEST(WeightedDraw, FollowsTheWeights) {
  // Weights 1 : 3 : 0 : 6 over 100k draws: frequencies within 1 %.
  std::vector<double> w{1, 3, 0, 6};
  const int64_t n = 100000;
  std::vector<int64_t> out(n);
  std::vector<int64_t> counts(4, 0);
  // Four draws at a time (the weights' count), each at its own offset.
  for (int64_t i = 0; i < n; i += 4)
    ASSERT_EQ(nnc_rng_weighted_draw(5, uint64_t(i), w.data(), &out[i], 4), 0);
  for (int64_t k : out) {
    ASSERT_GE(k, 0);
    ASSERT_LT(k, 4);
    ++counts[size_t(k)];
  }
  EXPECT_EQ(counts[2], 0); // weight 0: never
  EXPECT_NEAR(double(counts[0]) / n, 0.1, 0.01);
  EXPECT_NEAR(double(counts[1]) / n, 0.3, 0.01);
  EXPECT_NEAR(double(counts[3]) / n, 0.6, 0.01);
}

TEST(WeightedDraw, SameSeedSameDrawsOtherSeedOther) {
  std::vector<double> w(1000, 1.0);
  std::vector<int64_t> a(1000), b(1000), c(1000);
  ASSERT_EQ(nnc_rng_weighted_draw(1, 0, w.data(), a.data(), 1000), 0);
  ASSERT_EQ(nnc_rng_weighted_draw(1, 0, w.data(), b.data(), 1000), 0);
  ASSERT_EQ(nnc_rng_weighted_draw(2, 0, w.data(), c.data(), 1000), 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // With replacement: equal weights repeat some samples and miss others
  // (about 1/e of them).
  std::vector<int> seen(1000, 0);
  for (int64_t k : a)
    seen[size_t(k)] = 1;
  int missed = 1000 - std::accumulate(seen.begin(), seen.end(), 0);
  EXPECT_GT(missed, 300);
  EXPECT_LT(missed, 440);
}

TEST(WeightedDraw, OneWeightDrawsOnlyThatSample) {
  std::vector<double> w{0, 0, 1e-30, 0};
  std::vector<int64_t> out(4);
  ASSERT_EQ(nnc_rng_weighted_draw(9, 0, w.data(), out.data(), 4), 0);
  EXPECT_EQ(out, (std::vector<int64_t>{2, 2, 2, 2}));
}

TEST(WeightedDraw, RefusesWeightsThatCannotBeDrawnFrom) {
  std::vector<int64_t> out(3);
  std::vector<double> negative{1, -0.5, 1};
  EXPECT_EQ(nnc_rng_weighted_draw(1, 0, negative.data(), out.data(), 3), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("sample 1 is -0.5"),
            std::string::npos)
      << nnc_last_error();
  std::vector<double> nan{1, 1, NAN};
  EXPECT_EQ(nnc_rng_weighted_draw(1, 0, nan.data(), out.data(), 3), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("sample 2 is nan"),
            std::string::npos)
      << nnc_last_error();
  std::vector<double> zeros{0, 0, 0};
  EXPECT_EQ(nnc_rng_weighted_draw(1, 0, zeros.data(), out.data(), 3), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("weights is 0"),
            std::string::npos)
      << nnc_last_error();
  std::vector<double> huge{1e308, 1e308, 1e308};
  EXPECT_EQ(nnc_rng_weighted_draw(1, 0, huge.data(), out.data(), 3), -1);
}

TEST(WeightedDraw, BatcherDrawsEachEpochByTheWeights) {
  // Samples 0..9, only the odd ones weighted: every batch holds odd
  // samples, each epoch draws anew, and the same seed draws the same.
  std::vector<double> w(10);
  for (int i = 0; i < 10; ++i)
    w[size_t(i)] = i % 2;
  auto epochs = [&](uint64_t seed) {
    nnc_batcher b;
    EXPECT_EQ(nnc_batcher_init(&b, 10, 4, 1, seed), 0);
    b.weights = w.data();
    std::vector<std::vector<int64_t>> drawn(2);
    for (auto &e : drawn) {
      const int64_t *idx;
      int64_t n;
      std::vector<int64_t> sizes;
      while (nnc_batcher_next(&b, &idx, &n) > 0) {
        sizes.push_back(n);
        e.insert(e.end(), idx, idx + n);
      }
      EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
    }
    nnc_batcher_free(&b);
    return drawn;
  };
  auto first = epochs(42);
  for (auto &e : first)
    for (int64_t k : e)
      EXPECT_EQ(k % 2, 1) << k;
  EXPECT_NE(first[0], first[1]);
  EXPECT_EQ(epochs(42), first);
  // Invalid weights end the epoch's start with an error, not a batch.
  std::vector<double> bad(10, 0.0);
  nnc_batcher b;
  ASSERT_EQ(nnc_batcher_init(&b, 10, 4, 1, 42), 0);
  b.weights = bad.data();
  const int64_t *idx;
  int64_t n;
  EXPECT_EQ(nnc_batcher_next(&b, &idx, &n), -1);
  nnc_batcher_free(&b);
}

} // namespace
