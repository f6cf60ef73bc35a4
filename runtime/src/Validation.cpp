//===- Validation.cpp - What a training run does with its validations -----===//
//
// The part of the training loop that judges the model on held-out data:
// metrics of the whole validation set (ROC AUC, macro F1, the confusion
// matrix) from the eval step's predictions, the monitored metric that
// early stopping, the best checkpoint and reduce-on-plateau schedules
// watch, and the final test accuracy under test-time augmentation.
//
//===----------------------------------------------------------------------===//
#include "File.h"
#include "Metrics.h"
#include "Trainer.h"

#include <algorithm>
#include <cstring>

namespace nnc_rt {

namespace {
/// Metrics where a lower value is better.
bool lowerIsBetter(const std::string &metric) {
  return metric == "loss" || metric == "mse" || metric == "mae" ||
         nnc::rt::endsWith(metric, "_loss");
}

} // namespace

int Trainer::setUpValidation() {
  std::string list = cfg.set_metrics ? cfg.set_metrics : "";
  for (size_t at = 0; at < list.size();) {
    size_t end = std::min(list.find(',', at), list.size());
    std::string m = list.substr(at, end - at);
    if (m == "confusion")
      wantConfusion = true;
    else if (!m.empty())
      setMetricNames.push_back(m);
    at = end + 1;
  }
  if (cfg.tta && nnc::parseViews(cfg.tta, ttaViews))
    return -1;
  collect |= wantConfusion || !setMetricNames.empty() || ttaViews.size() > 1;
  if (cfg.monitor && *cfg.monitor)
    monitor = cfg.monitor;
  if (monitor.rfind("val_", 0) != 0)
    return nnc_set_error("the monitored metric '%s' is not a validation "
                         "metric (val_loss, val_<metric>)",
                         monitor.c_str());
  std::string m = monitor.substr(4);
  bool known = m == "loss" ||
               std::count(metricNames.begin(), metricNames.end(), m) ||
               std::count(setMetricNames.begin(), setMetricNames.end(), m);
  if (!known)
    return nnc_set_error("the monitored metric '%s' is not computed by this "
                         "train step",
                         monitor.c_str());
  monitorHigher = !lowerIsBetter(m);
  for (int32_t s = 0; s < cfg.num_schedules; ++s)
    if (std::strcmp(cfg.schedules[s].kind, "plateau") == 0) {
      plateauScale[cfg.schedules[s].target] = 1.0;
      plateauBad[cfg.schedules[s].target] = 0;
    }
  return 0;
}

void Trainer::scoreSet(Totals &v) {
  bool classifier = valShape.size() == 1 && valShape[0] > 1 &&
                    valLabels.size() * size_t(valShape[0]) == valOut.size();
  if (!classifier)
    return;
  nnc::rt::ClassPredictions p;
  p.classes = valShape[0];
  p.add(valOut.data(), valLabels.data(), int64_t(valLabels.size()));
  for (size_t k = 0; k < setMetricNames.size(); ++k)
    v.set[k] = nnc::rt::setMetric(setMetricNames[k], p);
  if (wantConfusion)
    lastConfusion = nnc::rt::confusionMatrix(p);
}

double Trainer::monitoredCost(const Totals &v) const {
  std::string m = monitor.substr(4);
  double value = v.meanLoss();
  for (size_t k = 0; k < metricNames.size(); ++k)
    if (metricNames[k] == m)
      value = v.mean(k);
  for (size_t k = 0; k < setMetricNames.size(); ++k)
    if (setMetricNames[k] == m)
      value = v.set[k];
  if (!std::isfinite(value))
    return INFINITY; // a NaN is never an improvement
  return monitorHigher ? -value : value;
}

std::string Trainer::bestPath() const {
  return nnc::rt::withoutSuffix(cfg.checkpoint ? cfg.checkpoint : "",
                                ".safetensors") +
         ".best.safetensors";
}

int Trainer::afterValidation(int64_t epoch, const Totals &v, bool &stop) {
  double cost = monitoredCost(v);
  if (cost < bestVal) {
    bestVal = cost;
    sinceBest = 0;
    bestEpoch = epoch + 1;
    for (auto &[target, bad] : plateauBad)
      bad = 0;
    // The best checkpoint so far, besides the last one.
    if (cfg.checkpoint && saveCheckpoint(epoch + 1, bestPath().c_str()))
      return -1;
    return 0;
  }
  ++sinceBest;
  if (cfg.early_stop > 0 && sinceBest >= cfg.early_stop) {
    std::printf("early stop: %s has not improved for %lld validation%s "
                "(best at epoch %lld)\n",
                monitor.c_str(), (long long)sinceBest, sinceBest == 1 ? "" : "s",
                (long long)bestEpoch);
    stop = true;
  }
  // A plateau lowers its value (kept in the checkpoint, so a longer
  // resumed run goes on as an uninterrupted one), said only when a later
  // epoch of this run uses it.
  bool said = !stop && epoch + 1 < cfg.epochs;
  for (int32_t s = 0; s < cfg.num_schedules; ++s) {
    const nnc_schedule &sc = cfg.schedules[s];
    auto it = plateauScale.find(sc.target);
    if (it == plateauScale.end() ||
        ++plateauBad[sc.target] < int64_t(scheduleArg(sc, "patience", 2)))
      continue;
    plateauBad[sc.target] = 0;
    double floor = sc.base > 0 ? scheduleArg(sc, "min", 0) / sc.base : 0;
    double before = it->second;
    it->second = std::max(it->second * scheduleArg(sc, "factor", 0.1), floor);
    if (it->second < before && said)
      std::printf("plateau: %s has not improved for %lld validation%s; %s "
                  "is now %.3g\n",
                  monitor.c_str(), (long long)scheduleArg(sc, "patience", 2),
                  scheduleArg(sc, "patience", 2) == 1 ? "" : "s", sc.target,
                  sc.base * it->second);
  }
  return 0;
}

int Trainer::ttaAccuracy(double &accuracy) {
  if (valShape.size() != 1 || valLabels.empty() || valOut.empty())
    return -1; // not one row of class scores per sample
  // The first view is the data as it is: the predictions of the run's
  // last validation, made with these weights. The other views' passes
  // leave that validation's results as they were.
  std::vector<int64_t> confusion = lastConfusion;
  std::vector<float> predictions = valOut;
  nnc::rt::ClassPredictions mean; // the views' class probabilities, summed
  for (size_t k = 0; k < ttaViews.size(); ++k) {
    Totals t(metricNames.size(), setMetricNames.size());
    if (k > 0 && evaluate(t, ttaViews[k]))
      return -1;
    nnc::rt::ClassPredictions p;
    p.classes = valShape[0];
    p.add(valOut.data(), valLabels.data(), int64_t(valLabels.size()));
    if (k == 0)
      mean = std::move(p);
    else
      for (size_t i = 0; i < mean.probs.size(); ++i)
        mean.probs[i] += p.probs[i];
  }
  lastConfusion = confusion;
  valOut = predictions;
  for (double &s : mean.probs)
    s /= double(ttaViews.size());
  accuracy = nnc::rt::setMetric("accuracy", mean);
  return 0;
}

void Trainer::printSetMetrics(const Totals &v) const {
  for (size_t k = 0; k < setMetricNames.size(); ++k)
    std::printf("  val_%s %.4f", setMetricNames[k].c_str(), v.set[k]);
}

void Trainer::addSetMetrics(std::string &json, const Totals &v,
                            bool doVal) const {
  for (size_t k = 0; k < setMetricNames.size(); ++k)
    nnc::rt::addJsonField(json, "val_" + setMetricNames[k],
                          doVal && k < v.set.size() ? v.set[k] : NAN);
}

} // namespace nnc_rt
