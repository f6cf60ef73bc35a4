//===- Sema.h - Name resolution, types and shapes for .nn -------*- C++ -*-===//
//
// Sema loads a file with everything it `use`s, then elaborates it: every
// model is instantiated with its hyper-parameters evaluated at compile time,
// every layer call is checked against the layer's declared input types
// (binding and unifying symbolic dimensions), and shapes are inferred
// through every layer and built-in. The result is an instance tree with
// parameters, output shapes, FLOPs and activation sizes, which
// `nnc summary` prints and later stages lower.
//
// Only plain C++ and LLVM Support types appear here; no MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_SEMA_H
#define NNC_SEMA_SEMA_H

#include "sema/Graph.h"
#include "sema/Types.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace nnc {

class DiagnosticEngine;
struct Module;

/// A trainable parameter or non-trainable state of one layer instance.
struct ParamInfo {
  std::string name; ///< short name (`w`)
  TensorType type;
  bool trainable = true;
  std::string init; ///< initializer name (`glorot_uniform`)
};

/// One instantiated layer or model, or (at the top level of a model) one
/// built-in op, as a row of the summary.
struct InstanceInfo {
  std::string name; ///< instance path element (`dense_1`)
  std::string kind; ///< layer / model / built-in name (`dense`)
  bool isBuiltin = false;
  std::vector<TensorType> outputs; ///< result types of the last call
  std::vector<ParamInfo> params;   ///< own params and state
  std::vector<std::unique_ptr<InstanceInfo>> children;
  int64_t flops = 0;           ///< forward FLOPs per sample, children incl.
  int64_t activationBytes = 0; ///< bytes of values produced per sample
  unsigned calls = 0;          ///< times applied (shared weights > 1)

  int64_t paramCount(bool trainable) const;
};

/// What a `train` block resolved to.
struct TrainInfo {
  std::string modelName;
  std::string optimizer;            ///< first optimizer's name
  unsigned optimizerStateSlots = 0; ///< `state` tensors per parameter
  int64_t batch = 0, epochs = 0;
};

/// `schedule NAME = KIND(args)`: a hyper-parameter that the runtime
/// recomputes every step and passes to the train step.
struct ScheduleInfo {
  std::string target; ///< the optimizer hyper-parameter (`lr`)
  std::string kind;   ///< constant, step, exponential, cosine, warmup, linear
  std::vector<std::pair<std::string, double>> args; ///< named arguments
  double base = 0; ///< the hyper-parameter's value in the optimizer call
  /// A float hyper-parameter of the model (annealing), an input of the
  /// loss graph; else an optimizer hyper-parameter.
  bool model = false;
};

/// How to run the first train block with a model and a loss: the graphs
/// MLIRGen turns into `<Model>_train_step` / `<Model>_eval_step`, and the
/// clauses the runtime's training loop reads.
struct TrainPlan {
  /// The loss as a function of the data fields and the model's parameters
  /// and state; outputs "loss", then per-batch metric sums
  /// ("metric.accuracy": samples whose arg-max is the label,
  /// "metric.top_<k>": samples whose label is among the k largest).
  ModelGraph loss;
  /// One optimizer step for every trainable parameter. Inputs: "step"
  /// (t = 1, 2, ...), each scheduled hyper-parameter (by name), then per
  /// parameter its value (named by its path) and gradient
  /// ("grad.<path>"). Params: the optimizer's state tensors
  /// ("<path>.<optimizer>.<slot>"). Outputs: the new value of each
  /// parameter and state, named like what it replaces.
  ModelGraph update;
  /// The losses minimised and the parameters each one's optimizer
  /// updates: a train block with a `loss` has one (all parameters), a
  /// custom `step` one per `opt.minimize(...)` (its `over` group).
  struct Objective {
    unsigned output = 0;             ///< index into loss.outputs
    std::vector<std::string> params; ///< parameter paths
  };
  std::vector<Objective> objectives;
  std::string modelName, optimizer;
  std::string trainSource, validateSource; ///< "fashion_mnist:train"
  bool hasValidate = false; ///< a `validate on` clause (even unloadable)
  int64_t batch = 32, epochs = 1, validateEvery = 1, logEvery = 0;
  int64_t earlyStop = 0;
  int64_t classes = 0; ///< labels must be below (0: not a classifier)
  bool shuffle = false;
  uint64_t seed = 0;
  /// The first optimizer's `lr` (NaN if it has none): shown in progress
  /// lines and metrics unless a schedule sets it.
  double lr = __builtin_nan("");
  double clipNorm = 0;
  std::string checkpoint;
  std::vector<std::string> metrics;
  /// Metrics of the whole validation set ("auc", "f1", "confusion"): the
  /// runtime computes them from the eval step's "prediction".
  std::vector<std::string> setMetrics;
  /// The model's output, which the eval step also returns ("prediction"):
  /// for set metrics, out-of-fold predictions and test-time augmentation;
  /// null when the output is not a batch of float tensors.
  NodePtr prediction;
  /// `resample by OUTPUT`: the per-sample weights (f32[B]) the eval step
  /// also returns ("sample_weight"); each epoch draws its samples by them.
  NodePtr resample;
  std::string monitor; ///< `monitor val_accuracy` ("": val_loss)
  int64_t folds = 0;   ///< `folds K`: K-fold cross-validation (0: none)
  std::string tta;     ///< `tta flip, crop(2)` as "flip, crop(2)"
  /// `precision bf16` (or --precision=bf16): the train step's products
  /// and convolutions take bf16 operands with f32 sums; the eval step
  /// stays f32.
  bool bf16 = false;
  std::vector<ScheduleInfo> schedules;
};

/// The plan's whole-set metrics as the runtime reads them ("auc,f1").
inline std::string joinedSetMetrics(const TrainPlan &plan) {
  std::string s;
  for (const std::string &m : plan.setMetrics)
    s += (s.empty() ? "" : ",") + m;
  return s;
}

/// What sema found in the statements typed at `nnc repl`'s prompt
/// (ReplRequest): how each new name is kept and which results of the
/// traced program hold what.
struct ReplResult {
  /// A name the input's top-level `let`s bound.
  struct Binding {
    std::string name;
    /// Tensor: a value the session keeps (the program's output `output`);
    /// Constant: a compile-time value; Other: an instance, a data set or a
    /// tuple, kept by replaying the `let` (`text`) before later inputs.
    enum Kind { Tensor, Constant, Other } kind = Other;
    std::string text;     ///< the `let` statement's source
    std::string describe; ///< `f32[2, 3]`, `int 3`, `instance of Mlp`
    TensorType type;      ///< Tensor
    int output = -1;      ///< Tensor: index of its result
    std::string model;    ///< an instance: its layer or model
  };
  std::vector<Binding> bindings;
  /// Session tensors the input assigned, with the result holding each.
  std::vector<std::pair<std::string, int>> assigned;
  /// The input's final expression: a tensor result (valueOutput >= 0),
  /// else a compile-time value or other thing, described in valueText.
  int valueOutput = -1;
  bool valueIsTensor = false;
  TensorType valueType;
  bool hasValue = false;
  std::string valueText;
  /// What `:type` shows for a value that is not a tensor (`int 5`).
  std::string typeText;
  /// Every name in scope after the input (tab completion).
  std::vector<std::string> names;
};

/// The elaborated program.
struct Program {
  std::unique_ptr<InstanceInfo> model; ///< the model `summary` describes
  std::vector<TrainInfo> trains;
  std::vector<std::string> modelNames;   ///< models of the main file
  DimValues dimValues;                   ///< values used for per-sample counts
  std::unique_ptr<ModelGraph> graph;     ///< traced graph of `model`
  std::unique_ptr<ModelGraph> mainGraph; ///< traced `main` block, if any
  /// The first train block's loss as a function of the data fields and
  /// the model's parameters (its one output is "loss").
  std::unique_ptr<ModelGraph> lossGraph;
  /// The first train block with a model, a loss and one optimizer, ready
  /// to compile (null when there is none).
  std::unique_ptr<TrainPlan> train;
  /// Data files named by data sets that do not exist (resolved path and
  /// the argument naming it): `check` warns, `run` stops there.
  std::vector<std::pair<std::string, llvm::SMLoc>> missingData;
  /// SemaOptions::dataExpr evaluated: the runtime's descriptor of the data
  /// set ("fashion_mnist:test") and its fields with their per-batch types.
  std::string dataSource;
  std::vector<std::pair<std::string, TensorType>> dataFields;
  /// checkSession with a ReplRequest: what the input's statements bound.
  ReplResult repl;
};

/// Prints a traced graph (`--emit=graph`), one node per line.
void dumpGraph(const ModelGraph &g, const llvm::SourceMgr &sm,
               llvm::raw_ostream &os);

struct SemaOptions {
  std::vector<std::string> searchPaths; ///< stdlib roots, NNC_PATH entries
  std::string modelName;                ///< model to elaborate ("" = auto)
  DimValues dimValues;                  ///< `--dim T=64`; batch dims = 1
  /// A data-set expression to evaluate in the file's scope
  /// (`nnc predict --data 'fashion_mnist("test")'`); "" = none.
  std::string dataExpr;
  /// Train blocks take the first optimizer's `lr` as a run-time input (a
  /// constant schedule unless the block schedules it), so that a library
  /// can set it per step (`nnc build --lib`).
  bool lrInput = false;
  /// `--set NAME=VALUE`: replaces every model or optimizer hyper-parameter
  /// named NAME (given in a call or defaulted) and a top-level `let NAME`
  /// (Overrides.cpp). A name nothing matches is an error.
  std::map<std::string, std::string> overrides;
  /// `--precision=f32|bf16`: every train block's precision ("" = the
  /// file's `precision` clause, f32 by default).
  std::string precision;
};

/// One source of a REPL session: a file (`:load`; the text as read then)
/// or a definition typed at the prompt (`<repl 3>`).
struct SessionSource {
  std::string name; ///< a path, or `<repl N>` (whose `use`s resolve in .)
  std::string text;
};

/// What `nnc repl` asks sema about one input besides the definitions.
struct ReplRequest {
  /// Tensors the session holds, bound (as inputs of the traced program)
  /// before anything else.
  std::vector<std::pair<std::string, TensorType>> tensors;
  std::string preamble;  ///< statements replayed first (`let m = Mlp()`)
  std::string input;     ///< the statements typed ("" = none)
  std::string inputName; ///< its buffer name, `<repl N>`
  bool typeOnly = false; ///< trace nothing: `:type` wants the type only
  /// Elaborate the models and check the train blocks of the last source
  /// (a definition just typed), so their errors show now.
  bool checkDefinitions = false;
  /// The train block to plan (Program::train): the newest one training
  /// this model; "" = none.
  std::string trainModel;
};

/// Loads `path` (and its `use`s), checks it and returns the program. On
/// user errors the diagnostics are printed and nullptr returned.
std::unique_ptr<Program> checkFile(llvm::StringRef path,
                                   const SemaOptions &opts,
                                   llvm::SourceMgr &srcMgr,
                                   DiagnosticEngine &diags);

/// Checks the sources of a REPL session together: a later definition of a
/// name replaces an earlier one. With `repl`, also the statements typed
/// (Program::mainGraph, Program::repl); with opts.modelName, that model
/// (Program::model, Program::graph). Null after reported errors.
std::unique_ptr<Program> checkSession(const std::vector<SessionSource> &sources,
                                      const ReplRequest *repl,
                                      const SemaOptions &opts,
                                      llvm::SourceMgr &srcMgr,
                                      DiagnosticEngine &diags);

/// The names of the built-in functions (tab completion).
std::vector<std::string> builtinFunctionNames();

/// Prints `name(params)  doc` for every built-in, then the initializers.
void listBuiltins(llvm::raw_ostream &os);

/// Where the standard library is found next to a binary at `argv0`.
std::vector<std::string> defaultSearchPaths(const char *argv0, void *mainAddr);

} // namespace nnc

#endif // NNC_SEMA_SEMA_H
