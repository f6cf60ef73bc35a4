//===- Folds.cpp - K-fold cross-validation around the training loop -------===//
//
// `folds K` (or --folds K): the training set is dealt into K folds,
// stratified by label for a classifier and seeded; K models are trained
// with the same compiled steps, each validated on its held-out fold. The
// run prints each fold's validation metrics and their mean and standard
// deviation, keeps one checkpoint per fold, and writes the out-of-fold
// predictions (every training sample predicted once, by the model that
// did not see it) for stacking.
//
//===----------------------------------------------------------------------===//
#include "Folds.h"
#include "File.h"
#include "Metrics.h"
#include "Trainer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>

namespace nnc_rt {

std::vector<int64_t> assignFolds(const std::vector<int64_t> &labels,
                                 int64_t count, int64_t folds, uint64_t seed) {
  // Samples of each class (or all, without labels) in a seeded random
  // order, dealt round-robin with one counter across classes: each fold
  // gets the same share of every class, within one sample.
  std::mt19937_64 rng(seed ^ 0xF01D5ull);
  std::map<int64_t, std::vector<int64_t>> byClass;
  for (int64_t i = 0; i < count; ++i)
    byClass[labels.empty() ? 0 : labels[size_t(i)]].push_back(i);
  std::vector<int64_t> fold(size_t(count), 0);
  int64_t next = 0;
  for (auto &[cls, rows] : byClass) {
    for (size_t i = rows.size(); i > 1; --i) // Fisher-Yates, portable
      std::swap(rows[i - 1], rows[size_t(rng() % i)]);
    for (int64_t r : rows)
      fold[size_t(r)] = next++ % folds;
  }
  return fold;
}

namespace {

/// Copies rows of `src` (its first `count`) into `dst`, keeping each
/// field's element type and the table's augmentation.
int subTable(const nnc::DataTable &src, const std::vector<int64_t> &rows,
             const std::string &name, nnc::DataTable &dst) {
  dst.descriptor = name;
  dst.count = int64_t(rows.size());
  dst.flip = src.flip;
  dst.crop = src.crop;
  dst.noise = src.noise;
  dst.salts = src.salts;
  for (const auto &[field, t] : src.fields) {
    nnc_tensor part = t;
    part.data = nullptr;
    part.dims[0] = int64_t(rows.size());
    if (nnc_tensor_alloc(&part))
      return -1;
    size_t row =
        size_t(nnc_tensor_numel(&t) / std::max<int64_t>(t.dims[0], 1)) *
        nnc_dtype_size(t.dtype);
    for (size_t i = 0; i < rows.size(); ++i)
      std::memcpy(static_cast<char *>(part.data) + i * row,
                  static_cast<const char *>(t.data) + size_t(rows[i]) * row,
                  row);
    dst.fields.push_back({field, part});
  }
  return 0;
}

/// Mean and sample standard deviation.
std::pair<double, double> meanStd(const std::vector<double> &v) {
  double mean = 0, var = 0;
  for (double x : v)
    mean += x / double(v.size());
  for (double x : v)
    var += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) : 0.0};
}

/// The out-of-fold predictions: one row per training sample.
struct OutOfFold {
  std::vector<float> values;  ///< [count, per]
  std::vector<int64_t> shape; ///< one sample's
  std::vector<int64_t> fold, labels;
  int64_t per = 0;
};

int writeOof(const std::string &path, const OutOfFold &o) {
  int64_t n = int64_t(o.fold.size());
  if (nnc::rt::endsWith(path, ".npy")) {
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), o.shape.begin(), o.shape.end());
    return nnc::writeNpyF32(path.c_str(), o.values, shape);
  }
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"),
                                           std::fclose);
  if (!f)
    return nnc_set_error("cannot write '%s': %s", path.c_str(),
                         std::strerror(errno));
  bool classifier = o.shape.size() == 1 && o.per > 1 && !o.labels.empty();
  std::fprintf(f.get(), "index,fold%s", o.labels.empty() ? "" : ",label");
  if (classifier)
    std::fprintf(f.get(), ",predicted");
  for (int64_t j = 0; j < o.per; ++j)
    std::fprintf(f.get(), classifier ? ",p%lld" : ",out%lld", (long long)j);
  std::fprintf(f.get(), "\n");
  std::vector<double> p;
  for (int64_t i = 0; i < n; ++i) {
    const float *row = o.values.data() + i * o.per;
    std::fprintf(f.get(), "%lld,%lld", (long long)i,
                 (long long)o.fold[size_t(i)] + 1);
    if (!o.labels.empty())
      std::fprintf(f.get(), ",%lld", (long long)o.labels[size_t(i)]);
    if (classifier) {
      nnc::rt::probabilities(row, o.per, p);
      std::fprintf(
          f.get(), ",%lld",
          (long long)(std::max_element(p.begin(), p.end()) - p.begin()));
    }
    for (int64_t j = 0; j < o.per; ++j)
      std::fprintf(f.get(), classifier ? ",%.6f" : ",%.7g",
                   classifier ? p[size_t(j)] : double(row[j]));
    std::fprintf(f.get(), "\n");
  }
  if (std::ferror(f.get()))
    return nnc_set_error("cannot write '%s'", path.c_str());
  return 0;
}

} // namespace

int runFolds(const nnc_model *step, const nnc_model *eval,
             const nnc_train_config &cfg) {
  if (cfg.resume || cfg.state || cfg.max_steps || cfg.init_only)
    return nnc_set_error("cross-validation (folds) trains K models from "
                         "scratch: it cannot be combined with --resume, a "
                         "step limit or the REPL's state");
  if (cfg.oof_out && !nnc::rt::endsWith(cfg.oof_out, ".csv") &&
      !nnc::rt::endsWith(cfg.oof_out, ".npy"))
    return nnc_set_error("the out-of-fold predictions file '%s' must end in "
                         ".csv or .npy",
                         cfg.oof_out);
  // The training set, loaded once for all folds.
  std::string trainSet;
  nnc::DataTable all;
  if (trainSetOf(step, trainSet) || nnc::loadDataTable(trainSet, all))
    return -1;
  int64_t count = cfg.limit > 0 ? std::min(cfg.limit, all.count) : all.count;
  if (count < cfg.folds)
    return nnc_set_error("%lld folds need at least as many training samples "
                         "(there are %lld)",
                         (long long)cfg.folds, (long long)count);
  OutOfFold oof;
  oof.fold.resize(size_t(count));
  for (const auto &[name, t] : all.fields)
    if (name == "label" && t.rank == 1 && t.dtype == NNC_I64)
      oof.labels.assign(static_cast<const int64_t *>(t.data),
                        static_cast<const int64_t *>(t.data) + count);
  std::vector<int64_t> fold =
      assignFolds(cfg.classes > 0 ? oof.labels : std::vector<int64_t>{}, count,
                  cfg.folds, cfg.seed);
  if (cfg.validate_source)
    std::printf("cross-validation: %lld folds of %s (the train block's "
                "validation set is not used; each fold validates on the "
                "samples it did not train on)\n",
                (long long)cfg.folds,
                nnc::describeDataSet(all.descriptor).c_str());
  std::string stem =
      cfg.checkpoint ? nnc::rt::withoutSuffix(cfg.checkpoint, ".safetensors")
                     : "";
  std::map<std::string, std::vector<double>> perFold; // val metric -> folds
  std::vector<std::string> order;
  for (int64_t k = 0; k < cfg.folds; ++k) {
    std::vector<int64_t> trainRows, validRows;
    for (int64_t i = 0; i < count; ++i)
      (fold[size_t(i)] == k ? validRows : trainRows).push_back(i);
    nnc::DataTable trainK, validK;
    std::string name = nnc::describeDataSet(all.descriptor);
    if (subTable(all, trainRows,
                 name + " without fold " + std::to_string(k + 1), trainK) ||
        subTable(all, validRows, name + " fold " + std::to_string(k + 1),
                 validK))
      return -1;
    nnc_train_config c = cfg;
    c.folds = 0;
    c.limit = 0;
    c.validate_source = nullptr;
    c.tta = nullptr;
    std::string checkpoint =
        stem + ".fold" + std::to_string(k + 1) + ".safetensors";
    c.checkpoint = cfg.checkpoint ? checkpoint.c_str() : nullptr;
    std::printf("fold %lld/%lld: training on %zu samples, validating on %zu\n",
                (long long)k + 1, (long long)cfg.folds, trainRows.size(),
                validRows.size());
    std::fflush(stdout);
    Trainer t(step, eval, c);
    t.useFold(&trainK, &validK, k + 1);
    if (int rc = t.run())
      return rc;
    const Totals &v = t.lastValidation();
    auto record = [&](const std::string &metric, double value) {
      if (!perFold.count(metric))
        order.push_back(metric);
      perFold[metric].push_back(value);
    };
    record("val_loss", v.meanLoss());
    for (size_t m = 0; m < t.metricList().size(); ++m)
      record("val_" + t.metricList()[m], v.mean(m));
    for (size_t m = 0; m < t.setMetricList().size(); ++m)
      record("val_" + t.setMetricList()[m], v.set[m]);
    const std::vector<float> &pred = t.lastPredictions();
    if (!validRows.empty() && !pred.empty()) {
      oof.per = int64_t(pred.size() / validRows.size());
      oof.shape = t.predictionShape();
      oof.values.resize(size_t(count * oof.per));
      for (size_t i = 0; i < validRows.size(); ++i)
        std::copy_n(pred.data() + i * size_t(oof.per), oof.per,
                    oof.values.data() + validRows[i] * oof.per);
    }
    for (int64_t r : validRows)
      oof.fold[size_t(r)] = k;
  }
  // The summary: mean +- std over folds, out-of-fold metrics.
  std::printf("cross-validation, %lld folds:", (long long)cfg.folds);
  std::string json = "{\"cv\": true, \"folds\": " + std::to_string(cfg.folds);
  for (const std::string &m : order) {
    auto [mean, sd] = meanStd(perFold[m]);
    std::printf("  %s %.4f ± %.4f", m.c_str(), mean, sd);
    json += ", \"" + m + "_mean\": " + nnc::rt::jsonNumber(mean) + ", \"" + m +
            "_std\": " + nnc::rt::jsonNumber(sd) + ", \"" + m + "\": [";
    for (size_t k = 0; k < perFold[m].size(); ++k)
      json += (k ? ", " : "") + nnc::rt::jsonNumber(perFold[m][k]);
    json += "]";
  }
  std::printf("\n");
  bool classifier = oof.shape.size() == 1 && oof.per > 1 &&
                    !oof.labels.empty() && !oof.values.empty();
  if (classifier) {
    nnc::rt::ClassPredictions p;
    p.classes = oof.per;
    p.add(oof.values.data(), oof.labels.data(), count);
    double acc = nnc::rt::setMetric("accuracy", p),
           f1 = nnc::rt::setMetric("f1", p), auc = nnc::rt::setMetric("auc", p);
    std::printf(
        "out-of-fold (%lld samples): accuracy %.4f  f1 %.4f  auc %.4f\n",
        (long long)count, acc, f1, auc);
    json += ", \"oof_accuracy\": " + nnc::rt::jsonNumber(acc) +
            ", \"oof_f1\": " + nnc::rt::jsonNumber(f1) +
            ", \"oof_auc\": " + nnc::rt::jsonNumber(auc);
    if (cfg.set_metrics && std::strstr(cfg.set_metrics, "confusion"))
      nnc::rt::printConfusion(stdout, nnc::rt::confusionMatrix(p), p.classes);
  }
  std::string oofPath = cfg.oof_out      ? cfg.oof_out
                        : cfg.checkpoint ? stem + ".oof.csv"
                                         : "";
  if (!oofPath.empty() && !oof.values.empty()) {
    if (writeOof(oofPath, oof))
      return -1;
    std::printf("out-of-fold predictions: %s\n", oofPath.c_str());
  }
  if (cfg.checkpoint)
    std::printf("checkpoints: %s.fold1.safetensors ... %s.fold%lld"
                ".safetensors (nnc predict --checkpoint with all of them: "
                "their ensemble)\n",
                stem.c_str(), stem.c_str(), (long long)cfg.folds);
  json += "}\n";
  if (cfg.metrics_out) {
    FILE *f = std::fopen(cfg.metrics_out, "a");
    if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f))
      return nnc_set_error("cannot write metrics to '%s'", cfg.metrics_out);
  }
  return 0;
}

} // namespace nnc_rt
