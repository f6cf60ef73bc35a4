//===- Resample.cpp - Drawing each epoch's samples by their weights -------===//
//
// `resample by OUTPUT` in a train block: before each epoch the compiled
// eval step computes OUTPUT (one weight per sample, "sample_weight") over
// the whole training set with the weights the model has reached, and the
// epoch's batches are drawn with replacement by those weights (DB-VAE's
// resampling of rare samples, PyTorch's WeightedRandomSampler). The draw
// depends only on (seed, epoch, weights), so a resumed run draws what an
// uninterrupted one would.
//
//===----------------------------------------------------------------------===//
#include "Collectives.h"
#include "Trainer.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nnc_rt {

int Trainer::computeSampleWeights() {
  std::vector<nnc_tensor *> args;
  std::vector<const nnc_tensor *> fields;
  if (bind(eval, args, fields, train))
    return -1;
  std::vector<nnc_tensor> results;
  std::vector<int> metricIndex;
  bindResults(eval, results, metricIndex);
  if (weightIndex < 0)
    return nnc_set_error("'%s' has no result \"sample_weight\" for "
                         "'resample by' (a program compiled by another "
                         "version of nnc?)",
                         eval->name);
  sampleWeights.assign(size_t(train.count), 0.0);
  std::vector<int64_t> rows(size_t(cfg.batch));
  // Data-parallel: each rank weighs every size-th batch; the sum of the
  // ranks' vectors (zeros elsewhere) is the same on every rank.
  int64_t b = -1;
  int rc = 0;
  for (int64_t at = 0; at < train.count && rc == 0; at += cfg.batch) {
    if (dist::active() && ++b % dist::size() != dist::rank())
      continue;
    int64_t n = std::min<int64_t>(cfg.batch, train.count - at);
    for (int64_t i = 0; i < n; ++i)
      rows[size_t(i)] = at + i;
    gather(fields, args, rows.data(), n);
    rc = nnc_model_call(eval, args.data(), results.data());
    const nnc_tensor &w = results[size_t(weightIndex)];
    for (int64_t i = 0; rc == 0 && i < n; ++i) // an f32 or f64 output
      sampleWeights[size_t(at + i)] =
          w.dtype == NNC_F64 ? static_cast<const double *>(w.data)[i]
                             : double(static_cast<const float *>(w.data)[i]);
  }
  // A call may have moved these buffers (another batch size, or a failed
  // allocation): the trainer keeps what the results hold now.
  weightT = results[size_t(weightIndex)];
  if (predIndex >= 0)
    predT = results[size_t(predIndex)];
  if (rc) {
    dist::abortJob(nnc_last_error()); // the others wait in the sum
    return -1;
  }
  if (dist::active())
    dist::sum(sampleWeights.data(), train.count, "the resampling weights");
  return checkSampleWeights();
}

int Trainer::checkSampleWeights() {
  double total = 0, squares = 0;
  for (int64_t i = 0; i < train.count; ++i) {
    double w = sampleWeights[size_t(i)];
    if (!std::isfinite(w) || w < 0)
      return nnc_set_error(
          "'resample by': the weight of training sample %lld is %s; weights "
          "must be finite and >= 0 (the model's weights are at step %lld)",
          (long long)i, std::isnan(w) ? "NaN" : std::to_string(w).c_str(),
          (long long)globalStep);
    total += w;
    squares += w * w;
  }
  if (!(total > 0))
    return nnc_set_error("'resample by': every training sample's weight is "
                         "0, so no sample can be drawn");
  // Kish's effective sample size, as a fraction of the set: 1 for equal
  // weights, small when a few samples take most of the draws.
  resampleEss = std::isfinite(squares)
                    ? total * (total / squares) / double(train.count)
                    : NAN;
  return 0;
}

} // namespace nnc_rt
