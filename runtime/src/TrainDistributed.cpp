//===- TrainDistributed.cpp - What the ranks of a data-parallel run share -===//
//
// The trainer's side of data-parallel training (docs/distributed.md) that
// is not the step itself: validation totals shared by the ranks, batch-norm
// statistics made the same at each epoch's end, the data sizes compared
// before training and the weights compared after it. The step's own
// reduction (reduceStep) and the split of each global batch are in
// Train.cpp; the collectives in Collectives.cpp.
//
//===----------------------------------------------------------------------===//
#include "Collectives.h"
#include "Trainer.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace nnc_rt {

void Trainer::shareTotals(Totals &t, bool summed) {
  // Summed shards, or rank 0's whole-set figures (the ranks' batch-norm
  // statistics may differ: every rank must take the same decisions).
  std::vector<double> v{t.loss, double(t.samples)};
  v.insert(v.end(), t.metrics.begin(), t.metrics.end());
  if (!summed)
    v.insert(v.end(), t.set.begin(), t.set.end());
  if (summed)
    dist::sum(v.data(), int64_t(v.size()), "the validation");
  else
    dist::broadcast(v.data(), int64_t(v.size() * sizeof(double)),
                    "the validation");
  t.loss = v[0];
  t.samples = int64_t(v[1]);
  std::copy(v.begin() + 2, v.begin() + 2 + long(t.metrics.size()),
            t.metrics.begin());
  if (!summed)
    std::copy(v.begin() + 2 + long(t.metrics.size()), v.end(), t.set.begin());
}

void Trainer::syncState(bool average) {
  for (int32_t a = 0; a < step->num_args; ++a) {
    if (step->args[a].kind != NNC_ARG_STATE)
      continue;
    nnc_tensor &t = persistent[step->args[a].name];
    int64_t n = nnc_tensor_numel(&t);
    if (!average || t.dtype != NNC_F32) {
      dist::broadcast(t.data, n * int64_t(nnc_dtype_size(t.dtype)),
                      "the batch-norm statistics");
      continue;
    }
    float *p = static_cast<float *>(t.data);
    std::vector<double> v(p, p + n);
    dist::sum(v.data(), n, "the batch-norm statistics");
    for (size_t i = 0; i < v.size(); ++i)
      p[i] = float(v[i] / double(dist::size()));
  }
}

int Trainer::checkSameData() {
  // Rank 0's sizes against each rank's: different data on different
  // machines would otherwise show as a rank that stops answering.
  double mine[2] = {double(train.count), double(valid.count)};
  double first[2] = {mine[0], mine[1]};
  dist::broadcast(first, sizeof first, "the start of training");
  double differ = first[0] != mine[0] || first[1] != mine[1] ? 1.0 : 0.0;
  dist::sum(&differ, 1, "the start of training");
  if (differ > 0)
    return nnc_set_error("the ranks do not load the same data: rank 0 has "
                         "%.0f training and %.0f validation samples, %.0f "
                         "rank(s) have others (every machine needs the same "
                         "data files)",
                         first[0], first[1], differ);
  return 0;
}

int Trainer::checkReplicas() {
  // FNV-1a over the bytes of every parameter, running statistic (made
  // the same at each epoch's end) and optimizer state, compared with
  // rank 0's: data-parallel ranks must end with the same weights.
  uint64_t h = 1469598103934665603ull;
  for (int32_t a = 0; a < step->num_args; ++a) {
    nnc_arg_kind kind = step->args[a].kind;
    if (kind != NNC_ARG_PARAM && kind != NNC_ARG_OPT_STATE &&
        kind != NNC_ARG_STATE)
      continue;
    const nnc_tensor &t = persistent[step->args[a].name];
    const unsigned char *p = static_cast<const unsigned char *>(t.data);
    int64_t bytes = nnc_tensor_numel(&t) * int64_t(nnc_dtype_size(t.dtype));
    for (int64_t i = 0; i < bytes; ++i)
      h = (h ^ p[i]) * 1099511628211ull;
  }
  uint64_t first = h;
  dist::broadcast(&first, sizeof first, "the weights' comparison");
  double differ = first != h ? 1.0 : 0.0;
  dist::sum(&differ, 1, "the weights' comparison");
  if (differ > 0)
    return nnc_set_error("the weights of %.0f of the %d ranks differ from "
                         "rank 0's after training (checksum %016llx): a "
                         "bug of nnc's data-parallel training",
                         differ, dist::size(), (unsigned long long)first);
  std::printf("data-parallel: %d ranks, batch %lld each (%lld per step); "
              "weights identical on every rank (checksum %016llx)\n",
              dist::size(), (long long)cfg.batch,
              (long long)cfg.batch * dist::size(), (unsigned long long)first);
  return 0;
}

} // namespace nnc_rt
