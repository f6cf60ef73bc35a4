//===- TrainChecker.h - Checking one train block ----------------*- C++ -*-===//
//
// Internal to sema: the checker of train blocks, shared by TrainCheck.cpp
// (data, model, loss, optimizer, schedules and the other clauses) and
// TrainClauses.cpp (the clauses that judge a model: metrics, monitor,
// folds, tta).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_TRAINCHECKER_H
#define NNC_SEMA_TRAINCHECKER_H

#include "sema/Elaborator.h"

#include <string>
#include <vector>

namespace nnc::traincheck {

/// The names of a table's entries, in its order.
template <typename Def, size_t N>
inline std::vector<llvm::StringRef> namesOf(const Def (&defs)[N]) {
  std::vector<llvm::StringRef> names;
  for (const Def &d : defs)
    names.push_back(d.name);
  return names;
}

inline std::string joined(llvm::ArrayRef<llvm::StringRef> names) {
  std::string list;
  for (llvm::StringRef n : names)
    list += (list.empty() ? "" : ", ") + n.str();
  return list;
}

/// "; did you mean 'x'?" when there is a near name, else "".
inline std::string didYouMean(llvm::StringRef near) {
  return near.empty() ? std::string() : "; did you mean '" + near.str() + "'?";
}

} // namespace nnc::traincheck

namespace nnc {
/// Checks one train block: the data set and its fields, the setup, the
/// model (its inputs bound to the fields), each clause with its handler,
/// then a custom step. Fills the block's TrainInfo and, for the first
/// block that can be compiled, the program's TrainPlan.
class TrainChecker {
public:
  TrainChecker(Elaborator &el, const TrainDecl &t)
      : el(el), t(t), env(&el.globals) {}
  bool check();

private:
  /// A clause handler: false after an error.
  using Handler = bool (TrainChecker::*)(const TrainClause &);
  struct Clause {
    const char *name;
    Handler check;
  };
  static const Clause clauses[];

  /// The data set, its fields (the loss graph's inputs) and the setup.
  bool bindData();
  /// Runs the model (if any) on the data fields.
  bool runModel();
  /// The model's float hyper-parameters that a schedule anneals: inputs
  /// of the loss graph.
  std::vector<CallArg> annealedHparams(const CallableDecl &model);
  /// Scheduled top-level float lets of a custom step: run-time inputs.
  void annealLets(Env &stepEnv);
  /// The model's inputs from the data set's fields: by name first, then
  /// the unused ones in order.
  bool bindInputs(const Value &m, std::vector<CallArg> &args);
  bool checkClause(const TrainClause &c);
  /// The custom `step` block; orders the groups as it minimizes them.
  bool checkStep();
  /// Keeps the loss graph and the plan of the first block that has them.
  bool finish(bool ok);
  /// Marks the plan as not compilable yet (the first reason wins).
  void noPlan(llvm::SMLoc loc, const std::string &why) {
    if (whyNoPlan.empty()) {
      whyNoPlan = why;
      whyLoc = loc;
    }
  }

  /// The clause's one value (null after an error).
  const Expr *single(const TrainClause &c);
  bool positiveInt(const TrainClause &c, int64_t &out);
  /// The clause's keyword in quotes, for messages.
  static std::string quoted(const TrainClause &c) {
    return "'" + c.keyword.name + "'";
  }

  bool batchClause(const TrainClause &c);
  bool epochsClause(const TrainClause &c);
  bool shuffleClause(const TrainClause &c);
  bool seedClause(const TrainClause &c);
  bool lossClause(const TrainClause &c);
  bool optimizerClause(const TrainClause &c);
  bool metricsClause(const TrainClause &c);
  bool checkMetric(const ExprPtr &m);
  bool validateClause(const TrainClause &c);
  bool checkpointClause(const TrainClause &c);
  bool scheduleClause(const TrainClause &c);
  bool scheduleArg(const Arg &a, ScheduleInfo &sched);
  bool clipNormClause(const TrainClause &c);
  bool earlyStopClause(const TrainClause &c);
  bool logEveryClause(const TrainClause &c);
  bool foldsClause(const TrainClause &c);
  bool monitorClause(const TrainClause &c);
  bool ttaClause(const TrainClause &c);
  bool resampleClause(const TrainClause &c);
  bool precisionClause(const TrainClause &c);
  /// The monitored metric is one the block computes.
  bool checkMonitor();

  Elaborator &el;
  const TrainDecl &t;
  Env env;
  TrainInfo ti;
  std::map<std::string, double> annealedBase; // model hparams, by name
  Result ds;
  std::unique_ptr<ModelGraph> lossGraph;
  // What the runtime's training loop needs, gathered from the clauses.
  std::unique_ptr<TrainPlan> plan;
  std::vector<OptimizerGroup> groups;
  std::string whyNoPlan; // a construct compiled training cannot run yet
  llvm::SMLoc whyLoc;
  bool sawLoss = false, sawOpt = false;
  llvm::SMLoc monitorLoc;
  bool metricsFailed = false; ///< a `metrics` clause had an error
};

} // namespace nnc

#endif // NNC_SEMA_TRAINCHECKER_H
