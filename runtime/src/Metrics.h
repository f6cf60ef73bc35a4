//===- Metrics.h - Metrics of a whole set of predictions --------*- C++ -*-===//
//
// Internal to the runtime: the metrics that are not per-sample averages
// (ROC AUC, macro F1, the confusion matrix) need every prediction of a set
// at once. Validation in training (Train.cpp), cross-validation's
// out-of-fold predictions (Folds.cpp) and `nnc predict` (Predict.cpp) all
// compute them here, from class probabilities and integer labels.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_METRICS_H
#define NNC_RUNTIME_METRICS_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace nnc::rt {

/// Class probabilities of one row of outputs: the softmax, unless the row
/// already is a distribution (non-negative, sums to 1).
void probabilities(const float *row, int64_t c, std::vector<double> &p);
void probabilities(const double *row, int64_t c, std::vector<double> &p);

/// Predictions of a classifier over a set: `probs` [n, classes] row-major.
struct ClassPredictions {
  int64_t classes = 0;
  std::vector<double> probs;
  std::vector<int64_t> labels;
  int64_t count() const { return int64_t(labels.size()); }
  /// Appends rows of raw outputs (logits or probabilities) and labels.
  void add(const float *outputs, const int64_t *labels, int64_t n);
  int64_t predicted(int64_t i) const;
};

/// The area under the ROC curve of scores against binary truths, with
/// tied scores counted half (the Mann-Whitney U statistic); NaN when
/// either class is absent.
double rocAuc(const std::vector<double> &scores, const std::vector<bool> &pos);

/// One-vs-rest ROC AUC averaged over the classes that have both positive
/// and negative samples (two classes: the AUC of class 1); NaN if none.
double macroAuc(const ClassPredictions &p);
/// Fraction of samples whose label is among the k most probable classes.
double topKAccuracy(const ClassPredictions &p, int64_t k);
/// confusion[label * classes + predicted]; labels outside [0, classes)
/// are not counted.
std::vector<int64_t> confusionMatrix(const ClassPredictions &p);
/// F1 = 2TP / (2TP + FP + FN) per class, averaged over the classes that
/// occur as a label or a prediction (scikit-learn's `average="macro"`).
double macroF1(const std::vector<int64_t> &confusion, int64_t classes);
double accuracyOf(const std::vector<int64_t> &confusion, int64_t classes);
/// IoU = TP / (TP + FP + FN) per class, averaged over the classes that
/// occur as a label or a prediction (segmentation's mean IoU).
double meanIoU(const std::vector<int64_t> &confusion, int64_t classes);

/// Prints the matrix with a header line (rows: label, columns: predicted).
void printConfusion(FILE *f, const std::vector<int64_t> &confusion,
                    int64_t classes);
/// A number as JSON: "%.6g", or null when it is not finite (a NaN loss),
/// so that every record is strict JSON.
std::string jsonNumber(double v);
/// Appends `, "key": value` (jsonNumber) to a JSON object being written.
void addJsonField(std::string &json, const std::string &key, double v);

/// The matrix as JSON: [[...], ...].
std::string confusionJson(const std::vector<int64_t> &confusion,
                          int64_t classes);

/// The metrics `metrics auc, f1, confusion` ask for, by name ("auc",
/// "f1", "confusion", "top_<k>", "accuracy") of a set of predictions; NaN
/// for a name it does not know or cannot compute.
double setMetric(const std::string &name, const ClassPredictions &p);

} // namespace nnc::rt

#endif // NNC_RUNTIME_METRICS_H
