//===- BatchLoaderTest.cpp - Batches gathered ahead match the serial ones -===//
//
// The train loop's batches prepared on a thread during the step (what a
// GPU run does) must be the serial loop's: the same rows, in the same
// buffers the step reads, the same step numbers, the same slices per rank.
//
//===----------------------------------------------------------------------===//
#include "BatchLoader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace {
using nnc_rt::BatchLoader;

/// One batch as the step sees it: each row's sample index, the step.
struct Seen {
  std::vector<int64_t> rows;
  int64_t step, n, total;
  bool operator==(const Seen &o) const {
    return rows == o.rows && step == o.step && n == o.n && total == o.total;
  }
};

/// Runs a batcher over `count` samples through a loader and records what
/// each step's input holds (prepared: row r's value is its sample index).
std::vector<Seen> epoch(int64_t count, int64_t batch, int64_t ranks,
                        int64_t rank, bool ahead, int64_t stopAfter = -1) {
  nnc_batcher batcher{};
  EXPECT_EQ(nnc_batcher_init(&batcher, count, batch * ranks, 1, 7), 0);
  nnc_tensor input{};
  input.dtype = NNC_I64;
  input.rank = 1;
  input.dims[0] = batch;
  EXPECT_EQ(nnc_tensor_alloc(&input), 0);
  nnc_tensor other{}; // a parameter: never touched by the loader
  std::vector<nnc_tensor *> args = {&input, &other};
  std::vector<Seen> seen;
  std::vector<int64_t> steps; // as prepare was told them
  {
    BatchLoader::Options opts;
    opts.firstStep = 100;
    opts.ranks = ranks;
    opts.rank = rank;
    opts.capacity = batch;
    opts.ahead = ahead;
    BatchLoader loader(
        batcher, args, {true, false},
        [&](const std::vector<nnc_tensor *> &into, const int64_t *rows,
            int64_t n, int64_t step) {
          EXPECT_EQ(into[1], &other);
          auto *d = static_cast<int64_t *>(into[0]->data);
          for (int64_t i = 0; i < n; ++i)
            d[i] = rows[i];
          into[0]->dims[0] = n;
          steps.push_back(step); // read once the loader is gone
        },
        opts);
    int64_t n, total;
    while (loader.next(n, total) > 0) {
      EXPECT_EQ(input.dims[0], n);
      auto *d = static_cast<int64_t *>(input.data);
      seen.push_back(Seen{std::vector<int64_t>(d, d + n), 0, n, total});
      if (int64_t(seen.size()) == stopAfter) {
        loader.stop();
        break;
      }
    }
  }
  // Steps count from the first, one per batch prepared (ahead: one more
  // may have been prepared than used).
  EXPECT_GE(steps.size(), seen.size());
  for (size_t k = 0; k < seen.size(); ++k)
    seen[k].step = steps[k];
  for (size_t k = 0; k < steps.size(); ++k)
    EXPECT_EQ(steps[k], 100 + int64_t(k));
  nnc_tensor_free(&input);
  nnc_batcher_free(&batcher);
  return seen;
}

TEST(BatchLoader, AheadGivesTheSerialBatches) {
  std::vector<Seen> serial = epoch(103, 10, 1, 0, false);
  ASSERT_EQ(serial.size(), 11u);
  EXPECT_EQ(serial.back().n, 3); // the last, partial batch
  EXPECT_EQ(epoch(103, 10, 1, 0, true), serial);
}

TEST(BatchLoader, RanksGetTheirSlices) {
  // 2 ranks of batch 5: each global batch of 10 split 5 + 5; the last
  // global batch of 3 split 2 + 1.
  for (int64_t rank = 0; rank < 2; ++rank) {
    std::vector<Seen> serial = epoch(103, 5, 2, rank, false);
    ASSERT_EQ(serial.size(), 11u);
    EXPECT_EQ(serial.back().n, rank == 0 ? 2 : 1);
    EXPECT_EQ(serial.back().total, 3);
    EXPECT_EQ(epoch(103, 5, 2, rank, true), serial);
  }
}

TEST(BatchLoader, SkipsABatchTooSmallForTheRanks) {
  // 101 samples, global batches of 10: the last one (1 sample) has none
  // for the second rank and is skipped by both; the steps go on counting
  // (checked in epoch()).
  for (int64_t rank = 0; rank < 2; ++rank) {
    std::vector<Seen> serial = epoch(101, 5, 2, rank, false);
    ASSERT_EQ(serial.size(), 10u);
    EXPECT_EQ(serial.back().total, 10);
    EXPECT_EQ(epoch(101, 5, 2, rank, true), serial);
  }
}

/// Four samples in batches of two, prepared ahead into a one-row-wide
/// input that nothing fills (these tests look at next()'s answers only).
struct TinyEpoch : ::testing::Test {
  void SetUp() override {
    ASSERT_EQ(nnc_batcher_init(&batcher, 4, 2, 1, 7), 0);
    input.dtype = NNC_F32;
    input.rank = 1;
    input.dims[0] = 2;
    ASSERT_EQ(nnc_tensor_alloc(&input), 0);
  }
  void TearDown() override {
    nnc_tensor_free(&input);
    nnc_batcher_free(&batcher);
  }
  /// Runs `body` with a loader over the epoch.
  void withLoader(const std::function<void(BatchLoader &)> &body) {
    std::vector<nnc_tensor *> args = {&input};
    BatchLoader::Options opts;
    opts.capacity = 2;
    opts.ahead = true;
    BatchLoader loader(
        batcher, args, {true},
        [](const std::vector<nnc_tensor *> &, const int64_t *, int64_t,
           int64_t) {},
        opts);
    body(loader);
  }
  nnc_batcher batcher{};
  nnc_tensor input{};
};

TEST_F(TinyEpoch, SaysTheEndAgain) {
  withLoader([](BatchLoader &loader) {
    int64_t n, total;
    EXPECT_EQ(loader.next(n, total), 1);
    EXPECT_EQ(loader.next(n, total), 1);
    EXPECT_EQ(loader.next(n, total), 0);
    EXPECT_EQ(loader.next(n, total), 0); // not a wait for a thread gone
  });
}

TEST(BatchLoader, StopsInTheMiddleOfAnEpoch) {
  std::vector<Seen> serial = epoch(103, 10, 1, 0, false);
  std::vector<Seen> cut = epoch(103, 10, 1, 0, true, 4);
  ASSERT_EQ(cut.size(), 4u);
  EXPECT_TRUE(std::equal(cut.begin(), cut.end(), serial.begin()));
}

TEST_F(TinyEpoch, ReportsTheBatchersError) {
  // Weights that are all zero cannot be drawn from: the thread's error
  // reaches the caller's thread.
  std::vector<double> zero(4, 0.0);
  batcher.weights = zero.data();
  withLoader([](BatchLoader &loader) {
    int64_t n, total;
    nnc_clear_error();
    EXPECT_EQ(loader.next(n, total), -1);
    EXPECT_STRNE(nnc_last_error(), "");
    EXPECT_EQ(loader.next(n, total), -1); // the same again
  });
}
} // namespace
