//===- Sweep.h - `nnc sweep`: a grid of hyper-parameters --------*- C++ -*-===//
//
// `nnc sweep FILE.nn --grid 'hidden=128,256' --grid 'lr=1e-3,3e-4'` trains
// the file's train block at every point of the grid (through `nnc run
// --set`), one after another or N at a time, and writes a CSV of the
// validation metrics (mean +- std over folds or seeds) naming the best
// point.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_SWEEP_H
#define NNC_DRIVER_SWEEP_H

#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

class DiagnosticEngine;

/// The `sweep` subcommand (shared options name it with cl::sub).
llvm::cl::SubCommand &sweepCommand();

/// What the shared options of the command line say of a sweep.
struct SweepOptions {
  std::string file, output;
  std::vector<std::string> sets, includes; ///< --set, -I for every run
  std::optional<int64_t> epochs, limit, folds;
  std::optional<uint64_t> seed;
  unsigned threads = 1;
  std::string precision; ///< --precision to pass on ("" = the file's)
};

/// Runs the sweep; returns the process exit code.
int runSweep(const char *argv0, const SweepOptions &opts,
             DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_SWEEP_H
