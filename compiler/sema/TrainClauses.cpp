//===- TrainClauses.cpp - The clauses that judge a model ------------------===//
//
// The train block's clauses about judging the model rather than training
// it: `metrics` (per-sample metrics the steps compute, and whole-set ones
// the runtime computes from the eval step's predictions), `monitor`,
// `folds`, `tta`, and `resample by` (each epoch's samples drawn by weights
// the model computes). The metric names are defined once, in a table.
//
//===----------------------------------------------------------------------===//
#include "sema/TrainChecker.h"

using namespace nnc;
using namespace nnc::traincheck;

namespace {
/// The metric that takes an argument: top_k(k), recorded as "top_<k>".
constexpr char kTopK[] = "top_k";

/// The metrics compiled training computes (per-sample averages), and how
/// messages show them.
struct MetricDef {
  const char *name, *usage;
  bool wholeSet = false; ///< of the whole validation set, not per sample
};
const MetricDef kMetrics[] = {{"accuracy", "accuracy"},
                              {kTopK, "top_k(k)"},
                              {"mse", "mse"},
                              {"mae", "mae"},
                              {"auc", "auc", true},
                              {"f1", "f1", true},
                              {"confusion", "confusion", true}};
/// Metrics that are not per-sample averages (set overlaps): named, but
/// compiled training cannot compute them yet.
const char *const kLaterMetrics[] = {"iou", "precision", "recall"};

/// "accuracy, top_k(k), mse, mae".
std::string metricUsages() {
  std::vector<llvm::StringRef> usages;
  for (const MetricDef &m : kMetrics)
    usages.push_back(m.usage);
  return joined(usages);
}

} // namespace

bool TrainChecker::metricsClause(const TrainClause &c) {
  if (t.step && !t.model) {
    el.error(c.keyword.loc(),
             "'metrics' compare a model's output with the data's labels; a "
             "custom 'step' block trains instances and has no one output: "
             "measure them with a 'main' program that loads the checkpoint");
    metricsFailed = true;
    return false;
  }
  bool ok = true;
  for (const ExprPtr &m : c.values)
    ok &= checkMetric(m);
  metricsFailed |= !ok;
  return ok;
}

bool TrainChecker::checkMetric(const ExprPtr &m) {
  const Expr *callee = m.get();
  if (auto *call = llvm::dyn_cast<CallExpr>(callee))
    callee = call->callee.get();
  auto *n = llvm::dyn_cast<NameExpr>(callee);
  // top_k(k) is recorded as "top_<k>".
  std::string metric = n ? n->name : "";
  if (auto *call = llvm::dyn_cast<CallExpr>(m.get()); call && metric == kTopK) {
    std::optional<int64_t> k;
    if (call->args.size() == 1)
      k = el.evalInt(call->args[0].value.get(), env, "top_k's k");
    if (!k || *k <= 0) {
      if (call->args.size() != 1 || k)
        el.error(m->getLoc(), "top_k takes one positive integer k");
      return false;
    }
    metric = "top_" + std::to_string(*k);
  }
  if (n && llvm::is_contained(kLaterMetrics, llvm::StringRef(n->name))) {
    el.error(m->getLoc(), "compiled training cannot compute '" + n->name +
                              "' yet (it is no per-sample average); "
                              "metrics: " +
                              metricUsages());
    return false;
  }
  std::vector<llvm::StringRef> known = namesOf(kMetrics);
  if (!n || !llvm::is_contained(known, llvm::StringRef(n->name))) {
    el.error(m->getLoc(), "unknown metric" +
                              (n ? " '" + n->name + "'" +
                                       didYouMean(closestMatch(n->name, known))
                                 : std::string()) +
                              " (known: " + metricUsages() + ")");
    return false;
  }
  bool wholeSet = llvm::any_of(kMetrics, [&](const MetricDef &d) {
    return d.wholeSet && metric == d.name;
  });
  auto &list = wholeSet ? plan->setMetrics : plan->metrics;
  if (!llvm::is_contained(list, metric))
    list.push_back(metric);
  return true;
}

bool TrainChecker::foldsClause(const TrainClause &c) {
  int64_t k = 0;
  if (!positiveInt(c, k))
    return false;
  if (k < 2 || k > 100) {
    el.error(c.values[0]->getLoc(), "'folds' takes a number of folds from 2 "
                                    "to 100; got " +
                                        std::to_string(k));
    return false;
  }
  plan->folds = k;
  return true;
}

bool TrainChecker::monitorClause(const TrainClause &c) {
  const Expr *e = single(c);
  auto *n = e ? llvm::dyn_cast<NameExpr>(e) : nullptr;
  if (!n || !llvm::StringRef(n->name).starts_with("val_")) {
    if (e)
      el.error(e->getLoc(), "'monitor' takes a validation metric: val_loss "
                            "or val_<metric> of the metrics clause "
                            "(val_accuracy, val_auc, ...)");
    return false;
  }
  plan->monitor = n->name;
  monitorLoc = e->getLoc();
  return true;
}

bool TrainChecker::ttaClause(const TrainClause &c) {
  // `tta flip, crop(2)`: the views nnc predict and the final test
  // evaluation average over (runtime/src/DataSets.cpp, parseViews).
  std::string spec;
  for (const ExprPtr &v : c.values) {
    auto *call = llvm::dyn_cast<CallExpr>(v.get());
    auto *n = llvm::dyn_cast<NameExpr>(call ? call->callee.get() : v.get());
    std::optional<int64_t> k;
    if (n && n->name == "crop" && call && call->args.size() == 1)
      k = el.evalInt(call->args[0].value.get(), env, "crop's pixels");
    std::string item;
    if (n && n->name == "flip" && !call)
      item = "flip";
    else if (k && *k >= 1 && *k <= 64)
      item = "crop(" + std::to_string(*k) + ")";
    if (item.empty()) {
      el.error(v->getLoc(), "'tta' takes views: flip, crop(N) with 1 <= N "
                            "<= 64 pixels (e.g. 'tta flip, crop(2)')");
      return false;
    }
    if (llvm::StringRef(", " + spec + ",").contains(", " + item + ",")) {
      el.error(v->getLoc(), "'tta' names " + item + " twice");
      return false;
    }
    spec += (spec.empty() ? "" : ", ") + item;
  }
  if (spec.empty()) {
    el.error(c.keyword.loc(), "'tta' takes views: flip, crop(N)");
    return false;
  }
  plan->tta = spec;
  return true;
}

bool TrainChecker::precisionClause(const TrainClause &c) {
  const Expr *e = single(c);
  auto *n = e ? llvm::dyn_cast<NameExpr>(e) : nullptr;
  if (!n || (n->name != "bf16" && n->name != "f32")) {
    if (e)
      el.error(e->getLoc(), "'precision' takes bf16 (products in bf16 with "
                            "f32 sums) or f32 (the default)");
    return false;
  }
  plan->bf16 = n->name == "bf16";
  return true;
}

bool TrainChecker::resampleClause(const TrainClause &c) {
  const Expr *e = single(c);
  if (!e)
    return false;
  if (t.step || !t.model) {
    el.error(c.keyword.loc(),
             "'resample by' draws the samples by an output of the trained "
             "model; a custom 'step' block has no one model to compute it");
    return false;
  }
  Result v;
  {
    ScopedGraph traced(el, lossGraph.get());
    v = el.eval(e, env);
    if (!v)
      el.reportUnknownNames(e, env);
  }
  if (!v)
    return false;
  if (v->kind != Value::Tensor || !isFloat(v->type.dtype) ||
      v->type.rank() != 1 || v->type.dims[0].isConst()) {
    el.error(e->getLoc(), "'resample by' takes one float weight per sample "
                          "(a float tensor [B], e.g. an output 'weight' of "
                          "the model); got " +
                              v->describe());
    return false;
  }
  if (lossGraph)
    plan->resample = v->node;
  return true;
}

bool TrainChecker::checkMonitor() {
  if (metricsFailed) // its metric may be the one that failed
    return true;
  for (const ScheduleInfo &s : plan->schedules)
    if (s.kind == "plateau" && !plan->hasValidate && !plan->folds) {
      el.error(t.range.Start, "schedule " + s.target +
                                  " = plateau(...) lowers it when validation "
                                  "stops improving: add 'validate on DATA' "
                                  "(or 'folds K')");
      return false;
    }
  if (plan->monitor.empty() || plan->monitor == "val_loss")
    return true;
  std::string m = plan->monitor.substr(4);
  if ((llvm::is_contained(plan->metrics, m) ||
       llvm::is_contained(plan->setMetrics, m)) &&
      m != "confusion")
    return true;
  std::vector<std::string> names{"val_loss"};
  for (const auto *list : {&plan->metrics, &plan->setMetrics})
    for (const std::string &k : *list)
      if (k != "confusion")
        names.push_back("val_" + k);
  std::vector<llvm::StringRef> known(names.begin(), names.end());
  el.error(monitorLoc, "'monitor " + plan->monitor +
                           "': not a validation metric of this train block" +
                           didYouMean(closestMatch(plan->monitor, known)) +
                           " (it has " + joined(known) +
                           "; add the metric to 'metrics')");
  return false;
}
