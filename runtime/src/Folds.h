//===- Folds.h - K-fold cross-validation ------------------------*- C++ -*-===//
//
// Internal to the runtime: nnc_train hands a run with `folds K` to
// runFolds; assignFolds is separate so that unit tests can check the
// partition (every sample in one fold, stratified counts).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_FOLDS_H
#define NNC_RUNTIME_FOLDS_H

#include "nnc/runtime.h"

#include <cstdint>
#include <vector>

namespace nnc_rt {

/// The fold (0..folds-1) of each of `count` samples: seeded, and
/// stratified by `labels` when given (each fold holds an equal share of
/// every class, within one sample).
std::vector<int64_t> assignFolds(const std::vector<int64_t> &labels,
                                 int64_t count, int64_t folds, uint64_t seed);

/// Trains cfg.folds models, each validated on its held-out fold; prints
/// and records per-fold and mean +- std metrics, writes the out-of-fold
/// predictions. Returns 0, -1 (nnc_last_error) or 130.
int runFolds(const nnc_model *step, const nnc_model *eval,
             const nnc_train_config &cfg);

} // namespace nnc_rt

#endif // NNC_RUNTIME_FOLDS_H
