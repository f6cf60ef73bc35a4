//===- MLIRGen.h - From sema's traced graph to the nn dialect ---*- C++ -*-===//
//
// Forward declarations only: callers need no MLIR header to ask for a
// module.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_MLIRGEN_MLIRGEN_H
#define NNC_MLIRGEN_MLIRGEN_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
}
namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace nnc {

class DiagnosticEngine;
struct ModelGraph;
struct TrainPlan;

/// What to generate besides the plain forward function.
struct GenOptions {
  /// Mark the function (`nn.wrt`) for the reverse-mode pass to append the
  /// gradient of its single scalar output with respect to every float
  /// input (with `wrtInputs`), then every trainable parameter.
  bool wrtParams = false;
  bool wrtInputs = false;
  /// Dropout and batch norm in training mode (a train step's loss).
  bool training = false;
  /// Every f32 becomes f64 (finite-difference gradient checks).
  bool f64 = false;
  /// A last argument `stream` (i64 scalar, a train step's number) feeds
  /// dropout and random ops, so that every step draws fresh noise.
  bool stream = false;
  /// The run's --seed: moves the seed of every random op and dropout that
  /// has no `seed:` of its own (0 keeps the seeds derived from positions).
  uint64_t seed = 0;
  /// Results after the outputs: the new running statistics of every batch
  /// norm in training mode (a train step's state update).
  bool updateState = false;
  /// With wrtParams: only the parameters named here (empty: all).
  std::vector<std::string> wrtOnly;
};

/// Emits `func.func @<name>_forward(inputs..., params...) -> outputs` in
/// the nn dialect, with `.nn` source locations. Reports constructs that
/// code generation does not support (with their location) and returns
/// null then.
mlir::OwningOpRef<mlir::ModuleOp>
mlirGen(mlir::MLIRContext &ctx, const ModelGraph &graph,
        llvm::StringRef modelName, const llvm::SourceMgr &srcMgr,
        DiagnosticEngine &diags, const GenOptions &opts = {});

/// Emits a train block's functions: `<Model>_train_step` (forward, loss,
/// a call of the private `<Model>_loss` marked for the reverse-mode pass,
/// and the optimizer update; see TrainPlan) and `<Model>_eval_step`
/// (loss and metric sums in evaluation mode). With `collectives`, the
/// gradients pass through the data-parallel exchange
/// (nn.allreduce_start/wait) before the update reads them.
mlir::OwningOpRef<mlir::ModuleOp> mlirGenTrain(mlir::MLIRContext &ctx,
                                               const TrainPlan &plan,
                                               const llvm::SourceMgr &srcMgr,
                                               DiagnosticEngine &diags,
                                               bool collectives = false);

} // namespace nnc

#endif // NNC_MLIRGEN_MLIRGEN_H
