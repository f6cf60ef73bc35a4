//===- Metrics.cpp - Metrics of a whole set of predictions ----------------===//
//
// ROC AUC by ranks (ties averaged), macro F1 and the confusion matrix of a
// classifier's predictions over a set. See Metrics.h.
//
//===----------------------------------------------------------------------===//
#include "Metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace nnc::rt {

namespace {
template <typename T>
void probabilitiesOf(const T *row, int64_t c, std::vector<double> &p) {
  p.assign(row, row + c);
  double sum = 0;
  bool distribution = true;
  for (double v : p) {
    distribution &= v >= 0;
    sum += v;
  }
  if (distribution && std::fabs(sum - 1) < 1e-3)
    return;
  double mx = *std::max_element(p.begin(), p.end()), z = 0;
  for (double &v : p)
    z += (v = std::exp(v - mx));
  for (double &v : p)
    v /= z;
}
} // namespace

void probabilities(const float *row, int64_t c, std::vector<double> &p) {
  probabilitiesOf(row, c, p);
}
void probabilities(const double *row, int64_t c, std::vector<double> &p) {
  probabilitiesOf(row, c, p);
}

void ClassPredictions::add(const float *outputs, const int64_t *rowLabels,
                           int64_t n) {
  std::vector<double> p;
  for (int64_t i = 0; i < n; ++i) {
    probabilities(outputs + i * classes, classes, p);
    probs.insert(probs.end(), p.begin(), p.end());
    labels.push_back(rowLabels[i]);
  }
}

int64_t ClassPredictions::predicted(int64_t i) const {
  const double *row = probs.data() + i * classes;
  return std::max_element(row, row + classes) - row;
}

double rocAuc(const std::vector<double> &scores, const std::vector<bool> &pos) {
  size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rankSum = 0, positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]])
      ++j;
    double rank = 0.5 * double(i + j + 1); // mean of ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (pos[order[k]]) {
        rankSum += rank;
        positives += 1;
      }
    i = j;
  }
  double negatives = double(n) - positives;
  if (positives == 0 || negatives == 0)
    return NAN;
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

double macroAuc(const ClassPredictions &p) {
  int64_t n = p.count(), c = p.classes;
  std::vector<double> scores(static_cast<size_t>(n));
  std::vector<bool> pos(static_cast<size_t>(n));
  auto classAuc = [&](int64_t k) {
    for (int64_t i = 0; i < n; ++i) {
      scores[i] = p.probs[size_t(i * c + k)];
      pos[i] = p.labels[i] == k;
    }
    return rocAuc(scores, pos);
  };
  if (c == 2)
    return classAuc(1);
  double sum = 0;
  int64_t counted = 0;
  for (int64_t k = 0; k < c; ++k)
    if (double a = classAuc(k); !std::isnan(a)) {
      sum += a;
      ++counted;
    }
  return counted ? sum / double(counted) : NAN;
}

double topKAccuracy(const ClassPredictions &p, int64_t k) {
  int64_t n = p.count(), c = p.classes, hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double *row = p.probs.data() + i * c;
    int64_t l = p.labels[i];
    if (l < 0 || l >= c)
      continue;
    int64_t above = 0;
    for (int64_t j = 0; j < c; ++j)
      above += row[j] > row[l];
    hits += above < k;
  }
  return n ? double(hits) / double(n) : NAN;
}

std::vector<int64_t> confusionMatrix(const ClassPredictions &p) {
  int64_t c = p.classes;
  std::vector<int64_t> m(size_t(c * c), 0);
  for (int64_t i = 0; i < p.count(); ++i)
    if (p.labels[i] >= 0 && p.labels[i] < c)
      ++m[size_t(p.labels[i] * c + p.predicted(i))];
  return m;
}

namespace {
/// The mean over classes that occur (as label or prediction) of
/// f(TP, times as label, times as prediction).
template <typename F>
double meanOverClasses(const std::vector<int64_t> &m, int64_t c, F f) {
  double sum = 0;
  int64_t counted = 0;
  for (int64_t k = 0; k < c; ++k) {
    int64_t tp = m[size_t(k * c + k)], asLabel = 0, asPredicted = 0;
    for (int64_t j = 0; j < c; ++j) {
      asLabel += m[size_t(k * c + j)];
      asPredicted += m[size_t(j * c + k)];
    }
    if (asLabel == 0 && asPredicted == 0)
      continue;
    sum += f(double(tp), double(asLabel), double(asPredicted));
    ++counted;
  }
  return counted ? sum / double(counted) : NAN;
}
} // namespace

double macroF1(const std::vector<int64_t> &m, int64_t c) {
  return meanOverClasses(m, c, [](double tp, double label, double pred) {
    return 2 * tp / (label + pred);
  });
}

double meanIoU(const std::vector<int64_t> &m, int64_t c) {
  return meanOverClasses(m, c, [](double tp, double label, double pred) {
    return tp / (label + pred - tp);
  });
}

double accuracyOf(const std::vector<int64_t> &m, int64_t c) {
  int64_t hits = 0, all = 0;
  for (int64_t k = 0; k < c; ++k)
    for (int64_t j = 0; j < c; ++j) {
      all += m[size_t(k * c + j)];
      hits += k == j ? m[size_t(k * c + j)] : 0;
    }
  return all ? double(hits) / double(all) : NAN;
}

void printConfusion(FILE *f, const std::vector<int64_t> &m, int64_t c) {
  std::fprintf(f, "confusion matrix (rows: label, columns: predicted)\n      ");
  for (int64_t j = 0; j < c; ++j)
    std::fprintf(f, " %6lld", (long long)j);
  std::fprintf(f, "\n");
  for (int64_t i = 0; i < c; ++i) {
    std::fprintf(f, "%6lld", (long long)i);
    for (int64_t j = 0; j < c; ++j)
      std::fprintf(f, " %6lld", (long long)m[size_t(i * c + j)]);
    std::fprintf(f, "\n");
  }
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void addJsonField(std::string &json, const std::string &key, double v) {
  json += ", \"" + key + "\": " + jsonNumber(v);
}

std::string confusionJson(const std::vector<int64_t> &m, int64_t c) {
  std::string s = "[";
  for (int64_t i = 0; i < c; ++i) {
    s += i ? ", [" : "[";
    for (int64_t j = 0; j < c; ++j)
      s += (j ? ", " : "") + std::to_string(m[size_t(i * c + j)]);
    s += "]";
  }
  return s + "]";
}

double setMetric(const std::string &name, const ClassPredictions &p) {
  if (!p.count() || !p.classes)
    return NAN;
  if (name == "auc")
    return macroAuc(p);
  if (name == "f1")
    return macroF1(confusionMatrix(p), p.classes);
  if (name == "accuracy")
    return accuracyOf(confusionMatrix(p), p.classes);
  if (name.rfind("top_", 0) == 0)
    return topKAccuracy(p, std::atoll(name.c_str() + 4));
  return NAN;
}

} // namespace nnc::rt
