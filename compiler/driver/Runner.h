//===- Runner.h - Running compiled models in the JIT ------------*- C++ -*-===//
#ifndef NNC_DRIVER_RUNNER_H
#define NNC_DRIVER_RUNNER_H

#include "driver/Pipeline.h"

#include <cstdint>
#include <functional>
#include <string>

struct nnc_model; // runtime/include/nnc/runtime.h

namespace nnc {

struct ForwardOptions {
  std::string inputFile;  ///< safetensors with inputs and parameters
  /// A checkpoint whose tensors bind the arguments the input file does
  /// not have (`nnc run --forward IN --checkpoint C`): "" = none.
  std::string checkpoint;
  /// The instance whose weights to take from a checkpoint that holds
  /// several ("gen"); "" = the one that fits.
  std::string instance;
  std::string outputFile; ///< safetensors for the outputs ("" = print)
  unsigned benchRuns = 0; ///< > 0: time this many runs, print statistics
  CodegenOptions codegen;
};

/// JIT-compiles the model's forward function, binds its inputs and
/// parameters by name from a safetensors file, runs it once and writes or
/// prints the outputs. Returns the process exit code.
int runForward(const Entry &entry, const ForwardOptions &opts,
               const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

/// JIT-compiles the entry and calls `use` with its in-memory model (valid
/// during the call only); returns what `use` returns, or 1 if compilation
/// failed.
int withJit(const Entry &entry, const CodegenOptions &codegen,
            const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
            const std::function<int(const ::nnc_model &)> &use);

/// JIT-compiles a train entry (trainEntryOf) and calls `use` with its
/// `<Model>_train_step` and `<Model>_eval_step`.
int withTrainJit(
    const Entry &entry, const CodegenOptions &codegen,
    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
    const std::function<int(const ::nnc_model &, const ::nnc_model &)> &use);

struct PredictOptions {
  std::string data;       ///< the runtime's data-set descriptor
  /// Safetensors with the parameters and state; several: an ensemble.
  std::vector<std::string> checkpoints;
  bool averageLogits = false; ///< an ensemble averages logits, not probs
  std::string tta;            ///< test-time augmentation ("flip, crop(2)")
  std::string metricsOut;     ///< a JSON file of the metrics ("" = none)
  std::string output;         ///< .csv or .npy ("" = none)
  int64_t batch = 256;
  int32_t topK = 3;
  bool progress = true;
  /// The instance whose weights to take from a checkpoint of several
  /// models ("" = the one that fits).
  std::string instance;
  CodegenOptions codegen;
};

/// `nnc init` of a model without a train block: its parameters and state
/// by their initializers (seeded), written to `out`.
int initModel(const Entry &entry, uint64_t seed, const std::string &out,
              const CodegenOptions &codegen, const llvm::SourceMgr &srcMgr,
              DiagnosticEngine &diags);

/// `nnc predict`: JIT-compiles the model's forward function and runs it
/// over the data set with the checkpoint's parameters (nnc_predict).
int runPredict(const Entry &entry, const PredictOptions &opts,
               const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

/// JIT-compiles and runs a file's `main` block (nnc_program_run): data
/// loaded by the runtime, parameters initialised from `seed`.
int runProgram(const Entry &entry, uint64_t seed, const CodegenOptions &codegen,
               const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_RUNNER_H
