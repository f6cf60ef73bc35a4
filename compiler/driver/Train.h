//===- Train.h - `nnc run` of a train block ---------------------*- C++ -*-===//
//
// Compiles the first train block's train and eval steps in the JIT and
// hands them to the runtime's training loop (nnc_train), with the
// clauses of the block and the command line's overrides.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_TRAIN_H
#define NNC_DRIVER_TRAIN_H

#include "driver/Pipeline.h"

#include <cstdint>
#include <optional>
#include <string>

struct nnc_named_tensors; // runtime/include/nnc/runtime.h

namespace nnc {

/// Command-line overrides of a train block (unset = the file's value).
struct TrainOptions {
  std::optional<int64_t> epochs, batch;
  std::optional<uint64_t> seed;
  std::string checkpoint, resume, metricsOut;
  int progress = -1;      ///< 1 live, 0 plain lines, -1 live on a terminal
  int64_t limit = 0;      ///< first N samples of each data set (0: all)
  CodegenOptions codegen; ///< --threads, --no-kernels
  /// `nnc init`: write the checkpoint of epoch 0 (initial parameters,
  /// zero optimizer state) and train nothing.
  bool initOnly = false;
  /// The REPL: parameters, optimizer state and counts to start from and
  /// to write back (nnc_train_config::state); null for none.
  nnc_named_tensors *state = nullptr;
  int64_t maxSteps = 0; ///< stop after this many steps (0: no limit)
  std::optional<int64_t> folds; ///< --folds K (overrides `folds K`)
  std::string oofOut;           ///< --oof FILE: out-of-fold predictions
  bool syncBatchNorm = false;   ///< --sync-bn (data-parallel training)
};

/// Trains `program`'s first train block; returns the process exit code
/// (130 after SIGINT, once the checkpoint is saved).
int runTraining(const Program &program, const TrainOptions &opts,
                const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_TRAIN_H
