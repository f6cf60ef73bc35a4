//===- MetricsTest.cpp - Whole-set metrics, folds and TTA views -----------===//
//
// ROC AUC, macro F1, top-k accuracy and the confusion matrix against values
// worked out by hand; K-fold assignment partitions the samples exactly and
// stratifies by label; test-time augmentation views move pixels as named.
//
//===----------------------------------------------------------------------===//
#include "Metrics.h"
#include "Folds.h"
#include "Sources.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using namespace nnc::rt;

TEST(Metrics, RocAucCountsPairsAndHalvesTies) {
  // Positives 0.9, 0.4; negatives 0.5, 0.1: 3 of 4 pairs ranked right.
  EXPECT_DOUBLE_EQ(rocAuc({0.9, 0.5, 0.4, 0.1}, {true, false, true, false}),
                   0.75);
  // A tie between a positive and a negative counts one half.
  EXPECT_DOUBLE_EQ(rocAuc({0.5, 0.5, 0.2}, {true, false, false}), 0.75);
  EXPECT_DOUBLE_EQ(rocAuc({0.1, 0.2}, {false, true}), 1.0);
  EXPECT_TRUE(std::isnan(rocAuc({0.1, 0.2}, {true, true})));
}

/// Three samples of three classes with given probabilities.
static ClassPredictions threeByThree() {
  ClassPredictions p;
  p.classes = 3;
  const float probs[] = {0.7f, 0.2f, 0.1f,  // label 0, predicted 0
                         0.3f, 0.4f, 0.3f,  // label 2, predicted 1
                         0.1f, 0.1f, 0.8f,  // label 2, predicted 2
                         0.2f, 0.5f, 0.3f}; // label 1, predicted 1
  const int64_t labels[] = {0, 2, 2, 1};
  p.add(probs, labels, 4);
  return p;
}

TEST(Metrics, ConfusionF1AndTopK) {
  ClassPredictions p = threeByThree();
  std::vector<int64_t> m = confusionMatrix(p);
  EXPECT_EQ(m, (std::vector<int64_t>{1, 0, 0, 0, 1, 0, 0, 1, 1}));
  // F1: class 0 = 1, class 1 = 2/3 (tp 1, fp 1), class 2 = 2/3 (tp 1, fn 1).
  EXPECT_NEAR(macroF1(m, 3), (1.0 + 2.0 / 3 + 2.0 / 3) / 3, 1e-12);
  EXPECT_DOUBLE_EQ(accuracyOf(m, 3), 0.75);
  EXPECT_DOUBLE_EQ(topKAccuracy(p, 1), 0.75);
  EXPECT_DOUBLE_EQ(topKAccuracy(p, 2), 1.0);
  EXPECT_DOUBLE_EQ(setMetric("top_2", p), 1.0);
  // A class that never occurs, as label or prediction, is left out of F1.
  std::vector<int64_t> four = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(macroF1(four, 4), 1.0);
}

TEST(Metrics, MacroAucIsOneVsRestMean) {
  ClassPredictions p = threeByThree();
  // Class 0: the positive (0.7) above all 3 negatives: 1. Class 1: the
  // positive 0.5 above 0.2, 0.4, 0.1: 1. Class 2: positives 0.3, 0.8 vs
  // negatives 0.1, 0.3: 0.3 ties 0.3 (1/2), beats 0.1; 0.8 beats both:
  // 3.5 / 4.
  EXPECT_NEAR(macroAuc(p), (1.0 + 1.0 + 0.875) / 3, 1e-12);
  // Logits are turned into probabilities first (the same ranking).
  ClassPredictions q;
  q.classes = 2;
  const float logits[] = {2, -1, -1, 3, 0, 0.5f};
  const int64_t labels[] = {0, 1, 1};
  q.add(logits, labels, 3);
  EXPECT_DOUBLE_EQ(macroAuc(q), 1.0);
}

TEST(Folds, PartitionExactlyAndStratify) {
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 1003; ++i)
    labels.push_back(i % 7 == 0 ? 3 : i % 3); // uneven classes
  std::vector<int64_t> fold = nnc_rt::assignFolds(labels, 1003, 5, 42);
  ASSERT_EQ(fold.size(), 1003u);
  std::map<int64_t, std::map<int64_t, int64_t>> perClass; // label -> fold
  std::map<int64_t, int64_t> sizes;
  for (size_t i = 0; i < fold.size(); ++i) {
    ASSERT_GE(fold[i], 0);
    ASSERT_LT(fold[i], 5);
    ++perClass[labels[i]][fold[i]];
    ++sizes[fold[i]];
  }
  // Every sample is in exactly one fold (the vector), the folds' sizes
  // differ by at most one, and so do each class's counts across folds.
  auto spread = [](const std::map<int64_t, int64_t> &m, int64_t folds = 5) {
    int64_t lo = INT64_MAX, hi = 0;
    for (int64_t f = 0; f < folds; ++f) {
      int64_t n = m.count(f) ? m.at(f) : 0;
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    return hi - lo;
  };
  EXPECT_LE(spread(sizes), 1);
  for (auto &[label, counts] : perClass)
    EXPECT_LE(spread(counts), 1) << "label " << label;
  // Seeded: the same seed deals the same folds, another seed others.
  EXPECT_EQ(fold, nnc_rt::assignFolds(labels, 1003, 5, 42));
  EXPECT_NE(fold, nnc_rt::assignFolds(labels, 1003, 5, 43));
  // Without labels, the folds are still a balanced partition.
  std::vector<int64_t> plain = nnc_rt::assignFolds({}, 10, 3, 1);
  std::map<int64_t, int64_t> plainSizes;
  for (int64_t f : plain)
    ++plainSizes[f];
  EXPECT_EQ(plainSizes.size(), 3u);
  EXPECT_LE(spread(plainSizes, 3), 1);
}

TEST(Views, ParseAndMovePixels) {
  std::vector<nnc::View> views;
  ASSERT_EQ(nnc::parseViews("flip, crop(2)", views), 0);
  ASSERT_EQ(views.size(), 6u); // as is, flip, 4 shifts
  EXPECT_TRUE(views[1].flip);
  EXPECT_EQ(views[2].dy, -2);
  EXPECT_EQ(views[5].dx, 2);
  ASSERT_EQ(nnc::parseViews("none", views), 0);
  EXPECT_EQ(views.size(), 1u);
  for (const char *bad : {"flop", "crop(0)", "crop(65)", "crop(2", "crop(x)"})
    EXPECT_NE(nnc::parseViews(bad, views), 0) << bad;
  // A 1 x 2 x 3 image: a flip mirrors each row, a shift moves rows in
  // with zeros.
  float px[6] = {1, 2, 3, 4, 5, 6};
  nnc_tensor t{};
  t.data = px;
  t.dtype = NNC_F32;
  t.rank = 3;
  t.dims[0] = 1;
  t.dims[1] = 2;
  t.dims[2] = 3;
  nnc::viewBatch(t, nnc::View{true, 0, 0});
  EXPECT_EQ(std::vector<float>(px, px + 6),
            (std::vector<float>{3, 2, 1, 6, 5, 4}));
  nnc::viewBatch(t, nnc::View{false, 1, 0}); // row y reads row y + 1
  EXPECT_EQ(std::vector<float>(px, px + 6),
            (std::vector<float>{6, 5, 4, 0, 0, 0}));
}
