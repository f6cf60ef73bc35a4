//===- TrainCheck.cpp - Checking train blocks and main --------------------===//
//
// A train block binds a model's inputs to data-set fields (by name, else in
// order), runs the model on the data set's types, and checks every clause:
// the loss is a float scalar, the optimizer's update rule type-checks for a
// parameter (ElabOptimizer.cpp), metrics and schedules exist, and numbers
// are in range. Each clause has its handler (TrainChecker's table); the
// clause, metric and schedule names are defined once, in tables.
//
//===----------------------------------------------------------------------===//
#include "sema/TrainChecker.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::traincheck;

namespace {
/// The clause whose binding may name a model hyper-parameter to anneal.
constexpr char kScheduleClause[] = "schedule";
/// The schedules and the named arguments each reads
/// (runtime/src/Schedule.cpp).
struct ScheduleDef {
  const char *name;
  const char *args[3]; ///< null-padded
};
const ScheduleDef kSchedules[] = {{"constant", {}},
                                  {"step", {"every", "gamma"}},
                                  {"exponential", {"gamma", "start", "end"}},
                                  {"cosine", {"min"}},
                                  {"warmup", {"steps"}},
                                  {"linear", {"start", "end"}},
                                  {"plateau", {"factor", "patience", "min"}}};

/// The named arguments schedule `kind` reads.
std::vector<llvm::StringRef> scheduleArgs(llvm::StringRef kind) {
  std::vector<llvm::StringRef> args;
  for (const ScheduleDef &s : kSchedules)
    if (kind == s.name)
      for (const char *a : s.args)
        if (a)
          args.push_back(a);
  // Any schedule may start with a linear warm-up of `warmup` steps.
  if (kind != "warmup")
    args.push_back("warmup");
  return args;
}

} // namespace

namespace nnc {
const TrainChecker::Clause TrainChecker::clauses[] = {
    {"batch", &TrainChecker::batchClause},
    {"epochs", &TrainChecker::epochsClause},
    {"shuffle", &TrainChecker::shuffleClause},
    {"seed", &TrainChecker::seedClause},
    {"loss", &TrainChecker::lossClause},
    {"optimizer", &TrainChecker::optimizerClause},
    {"metrics", &TrainChecker::metricsClause},
    {"validate", &TrainChecker::validateClause},
    {"checkpoint", &TrainChecker::checkpointClause},
    {kScheduleClause, &TrainChecker::scheduleClause},
    {"clip_norm", &TrainChecker::clipNormClause},
    {"early_stop", &TrainChecker::earlyStopClause},
    {"log_every", &TrainChecker::logEveryClause},
    {"folds", &TrainChecker::foldsClause},
    {"monitor", &TrainChecker::monitorClause},
    {"tta", &TrainChecker::ttaClause},
    {"resample", &TrainChecker::resampleClause},
    {"precision", &TrainChecker::precisionClause}};
} // namespace nnc

bool Elaborator::checkTrain(const TrainDecl &t) {
  ScratchRoot root("train");
  ScopedInstance scope(*this, &root.rt);
  return TrainChecker(*this, t).check();
}

bool TrainChecker::check() {
  if (!bindData() || !runModel())
    return false;
  plan = std::make_unique<TrainPlan>();
  plan->modelName = ti.modelName;
  plan->trainSource = ds->dataset->source;
  bool ok = true;
  llvm::StringSet<> seen;
  for (const TrainClause &c : t.clauses) {
    // Optimizers and schedules are one per group or hyper-parameter, and
    // metrics add up; any other clause given twice is a mistake.
    llvm::StringRef kw = c.keyword.name;
    bool repeatable =
        kw == "optimizer" || kw == kScheduleClause || kw == "metrics";
    if (!repeatable && !seen.insert(kw).second &&
        llvm::any_of(clauses, [&](const Clause &k) { return kw == k.name; })) {
      el.error(c.keyword.loc(), "a train block has one '" + kw.str() +
                                    (kw == "resample" ? " by" : "") +
                                    "' clause; remove one");
      ok = false;
      continue;
    }
    if (c.binding && kw != "optimizer" && kw != kScheduleClause) {
      el.error(c.binding->loc(), "'" + c.binding->name +
                                     " =' names an optimizer or a schedule; '" +
                                     kw.str() + "' takes no name");
      ok = false;
      continue;
    }
    ok &= checkClause(c);
  }
  ok &= checkMonitor();
  if (!el.opts.precision.empty())
    plan->bf16 = el.opts.precision == "bf16";
  if (t.step) {
    ok &= checkStep();
  } else if (ok && !sawLoss) {
    el.error(t.range.Start, "this train block has no 'loss' (or a custom "
                            "'step { ... }' block)");
    ok = false;
  }
  if (ok && !sawOpt) {
    el.error(t.range.Start, "this train block has no 'optimizer' clause, e.g. "
                            "'optimizer adam(lr: 1e-3)'");
    ok = false;
  }
  el.program.trains.push_back(ti);
  return finish(ok);
}

bool TrainChecker::bindData() {
  ds = el.eval(t.dataset.get(), env);
  if (!ds)
    return false;
  if (ds->kind != Value::Dataset) {
    el.error(t.dataset->getLoc(), "train needs a data set after 'on', such as "
                                  "fashion_mnist(\"train\"); got " +
                                      ds->describe());
    return false;
  }
  // The first train block with a model and a loss is traced: the data
  // fields are its inputs, the loss its output. So is the first custom
  // `step` block, whose `minimize`d losses are the outputs.
  if ((!el.program.lossGraph && t.model && !t.step) ||
      (!el.program.train && t.step && !t.model))
    lossGraph = std::make_unique<ModelGraph>();
  for (auto &f : ds->dataset->fields) {
    Value &field = env.vars[f.first] = Value::ofTensor(f.second);
    if (lossGraph) {
      ScopedGraph traced(el, lossGraph.get());
      el.trace(field, OpKind::Input, {}, t.dataset->getLoc());
      field.node->name = f.first;
      Attr src;
      src.kind = Attr::String;
      src.s = ds->dataset->source + ":" + f.first;
      field.node->attrs.push_back({"source", src});
      lossGraph->inputs.push_back(field.node);
    }
    // The batch dimension of the data is `B` in the block.
    if (!f.second.dims.empty() && !f.second.dims[0].isConst())
      env.vars[f.second.dims[0].sym] = Value::ofDim(f.second.dims[0]);
  }
  for (const StmtPtr &s : t.setup) {
    bool produced;
    if (!el.evalStmt(s.get(), env, produced))
      return false;
  }
  return true;
}

bool TrainChecker::runModel() {
  if (!t.model)
    return true;
  Result m = el.eval(t.model.get(), env);
  if (!m)
    return false;
  if (m->kind == Value::Callable && m->decl->kind == CallableDecl::Model) {
    std::vector<CallArg> annealed = annealedHparams(*m->decl);
    m = el.instantiate(*m->decl, annealed, t.model->getLoc(), "");
    if (!m)
      return false;
  }
  if (m->kind != Value::Instance ||
      m->inst->decl->kind != CallableDecl::Model) {
    el.error(t.model->getLoc(), "train expects a model; got " + m->describe());
    return false;
  }
  ti.modelName = m->inst->decl->name.name;
  m->inst->pathless = true;
  std::vector<CallArg> args;
  if (!bindInputs(*m, args))
    return false;
  Result out;
  {
    ScopedGraph traced(el, lossGraph.get());
    out = el.apply(*m, args, t.model->getLoc(), t.model.get());
  }
  if (!out)
    return false;
  const auto &names = m->inst->outputNames;
  if (names.size() == 1)
    env.vars[names[0]] = *out;
  else
    for (size_t k = 0; k < names.size(); ++k)
      env.vars[names[k]] = out->elems[k];
  // With named outputs and a `metrics` clause, the first output is the
  // one the metrics (and whole-set metrics, predictions) read as `output`.
  bool metrics = llvm::any_of(t.clauses, [](const TrainClause &c) {
    return c.keyword.name == "metrics";
  });
  if (metrics && !names.empty() && !env.vars.count("output"))
    env.vars["output"] = names.size() == 1 ? *out : out->elems[0];
  env.vars[m->inst->info->name] = *m;
  return true;
}

std::vector<CallArg> TrainChecker::annealedHparams(const CallableDecl &model) {
  // A scheduled float hyper-parameter of the model is annealed: the
  // traced loss reads it as a scalar input the runtime sets per step.
  std::vector<CallArg> annealed;
  for (const TrainClause &c : t.clauses) {
    if (c.keyword.name != kScheduleClause || !c.binding || !lossGraph)
      continue;
    for (const ParamDecl &h : model.hparams)
      if (h.name.name == c.binding->name && h.type &&
          h.type->name.name == "float") {
        Value v = Value::ofTensor(TensorType{DType::F32, {}});
        {
          ScopedGraph traced(el, lossGraph.get());
          el.trace(v, OpKind::Hparam, {}, c.binding->loc());
        }
        v.node->name = h.name.name;
        lossGraph->inputs.push_back(v.node);
        annealed.push_back({h.name.name, v, c.binding->loc(), {}, {}});
        double base = 0;
        if (h.defaultValue)
          if (Result d = el.eval(h.defaultValue.get(), el.globals);
              d && d->isNumber())
            base = d->number();
        annealedBase[h.name.name] = base;
      }
  }
  return annealed;
}

bool TrainChecker::bindInputs(const Value &m, std::vector<CallArg> &args) {
  std::vector<bool> used(ds->dataset->fields.size(), false);
  for (const StmtPtr &s : m.inst->decl->body) {
    auto *in = llvm::dyn_cast<InputStmt>(s.get());
    if (!in)
      continue;
    size_t pick = used.size();
    for (size_t k = 0; k < used.size(); ++k)
      if (!used[k] && ds->dataset->fields[k].first == in->name.name)
        pick = k;
    for (size_t k = 0; k < used.size() && pick == used.size(); ++k)
      if (!used[k])
        pick = k;
    if (pick == used.size()) {
      el.error(t.model->getLoc(), "data set '" + ds->dataset->name +
                                      "' has no field left for model input '" +
                                      in->name.name + "'");
      return false;
    }
    used[pick] = true;
    args.push_back({"",
                    env.vars[ds->dataset->fields[pick].first],
                    t.model->getLoc(),
                    {},
                    {}});
  }
  return true;
}

bool TrainChecker::checkClause(const TrainClause &c) {
  llvm::StringRef kw = c.keyword.name;
  for (const Clause &clause : clauses)
    if (kw == clause.name)
      return (this->*clause.check)(c);
  el.error(c.keyword.loc(), "unknown train clause '" + kw + "'" +
                                didYouMean(closestMatch(kw, namesOf(clauses))));
  return false;
}

void TrainChecker::annealLets(Env &stepEnv) {
  // A scheduled top-level float `let` (a loss weight ramped up) that no
  // optimizer has is read by the step as a scalar input set per step.
  if (!lossGraph)
    return;
  for (ScheduleInfo &s : plan->schedules) {
    auto global = el.globals.vars.find(s.target);
    if (s.model || global == el.globals.vars.end() ||
        global->second.kind != Value::Float ||
        llvm::any_of(groups, [&](const OptimizerGroup &g) {
          return g.opt.hparams.count(s.target) > 0;
        }))
      continue;
    Value v = Value::ofTensor(TensorType{DType::F32, {}});
    {
      ScopedGraph traced(el, lossGraph.get());
      el.trace(v, OpKind::Hparam, {}, t.range.Start);
    }
    v.node->name = s.target;
    lossGraph->inputs.push_back(v.node);
    stepEnv.vars[s.target] = v;
    s.model = true;
    s.base = global->second.number();
  }
}

bool TrainChecker::checkStep() {
  std::vector<std::pair<std::string, NodePtr>> losses;
  el.inTrainStep = true;
  Env stepEnv(&env);
  annealLets(stepEnv);
  bool ok;
  {
    ScopedGraph traced(el, lossGraph.get());
    el.minimized = lossGraph ? &losses : nullptr;
    ok = el.evalBlock(*t.step, stepEnv, false).has_value();
  }
  el.minimized = nullptr;
  el.inTrainStep = false;
  // Each minimized loss is an output ("loss" for the first, and
  // "loss.<optimizer>" for each when there are several); the groups
  // follow the order of the minimize calls.
  std::vector<OptimizerGroup> ordered;
  for (const auto &minimized : losses) {
    const std::string &binding = minimized.first;
    const NodePtr &node = minimized.second;
    auto isBinding = [&](const OptimizerGroup &g) {
      return g.binding == binding;
    };
    auto it = llvm::find_if(groups, isBinding);
    if (it == groups.end() || !lossGraph)
      continue;
    if (llvm::any_of(ordered, isBinding)) {
      noPlan(t.step->empty() ? t.range.Start : (*t.step)[0]->getLoc(),
             "'" + binding + ".minimize' is called twice in one step");
      continue;
    }
    ordered.push_back(*it);
    if (lossGraph->outputs.empty())
      lossGraph->outputs.push_back({"loss", node});
    if (losses.size() > 1)
      lossGraph->outputs.push_back({"loss." + binding, node});
  }
  groups = ordered;
  return ok;
}

bool TrainChecker::finish(bool ok) {
  if (!ok || !lossGraph || lossGraph->outputs.empty())
    return ok;
  Program &program = el.program;
  if (!program.train && !groups.empty()) {
    plan->loss = *lossGraph;
    plan->optimizer = groups[0].opt.decl->name.name;
    if (plan->modelName.empty())
      plan->modelName = "Train"; // a custom step block has no model
    if (!whyNoPlan.empty()) {
      plan->loss.unsupported = whyNoPlan;
      plan->loss.unsupportedLoc = whyLoc;
    } else if (!el.planTraining(*plan, groups, env, t.range.Start))
      return false;
    program.train = std::move(plan);
  }
  if (!t.step)
    program.lossGraph = std::move(lossGraph);
  return ok;
}

//===----------------------------------------------------------------------===//
// Clauses
//===----------------------------------------------------------------------===//

const Expr *TrainChecker::single(const TrainClause &c) {
  if (c.values.size() == 1)
    return c.values[0].get();
  el.error(c.keyword.loc(), quoted(c) + " takes one value");
  return nullptr;
}

bool TrainChecker::positiveInt(const TrainClause &c, int64_t &out) {
  const Expr *e = single(c);
  if (!e)
    return false;
  auto v = el.evalInt(e, env, quoted(c));
  if (!v)
    return false;
  if (*v <= 0) {
    el.error(e->getLoc(),
             quoted(c) + " must be positive; got " + std::to_string(*v));
    return false;
  }
  out = *v;
  return true;
}

bool TrainChecker::batchClause(const TrainClause &c) {
  bool ok = positiveInt(c, ti.batch);
  plan->batch = ti.batch;
  return ok;
}

bool TrainChecker::epochsClause(const TrainClause &c) {
  bool ok = positiveInt(c, ti.epochs);
  plan->epochs = ti.epochs;
  return ok;
}

bool TrainChecker::earlyStopClause(const TrainClause &c) {
  int64_t n = 0;
  bool ok = positiveInt(c, n);
  plan->earlyStop = n;
  return ok;
}

bool TrainChecker::logEveryClause(const TrainClause &c) {
  int64_t n = 0;
  bool ok = positiveInt(c, n);
  plan->logEvery = n;
  return ok;
}

bool TrainChecker::seedClause(const TrainClause &c) {
  std::optional<int64_t> v;
  if (const Expr *e = single(c))
    v = el.evalInt(e, env, quoted(c));
  plan->seed = v ? uint64_t(*v) : 0;
  return v.has_value();
}

bool TrainChecker::shuffleClause(const TrainClause &c) {
  plan->shuffle = true;
  if (c.values.empty())
    return true;
  Result v = el.eval(c.values[0].get(), env);
  if (!v || v->kind != Value::Bool) {
    if (v)
      el.error(c.values[0]->getLoc(), quoted(c) + " takes no value or a bool");
    return false;
  }
  plan->shuffle = v->b;
  return true;
}

bool TrainChecker::lossClause(const TrainClause &c) {
  const Expr *e = single(c);
  Result v;
  {
    ScopedGraph traced(el, lossGraph.get());
    v = e ? el.eval(e, env) : std::nullopt;
    if (!v && e)
      el.reportUnknownNames(e, env);
    if (v && v->node && lossGraph)
      lossGraph->outputs.push_back({"loss", v->node});
  }
  if (v && (v->kind != Value::Tensor || !v->type.isScalar() ||
            !isFloat(v->type.dtype))) {
    el.error(e->getLoc(),
             "the loss must be a float scalar; got " + v->describe() +
                 (v->kind == Value::Tensor ? " (take the mean?)" : ""));
    v.reset();
  }
  sawLoss = true;
  return v.has_value();
}

bool TrainChecker::optimizerClause(const TrainClause &c) {
  const Expr *e = single(c);
  OptimizerCall call;
  Result v = e ? el.checkOptimizerCall(e, env, &call) : std::nullopt;
  if (!t.step && (sawOpt || c.over))
    noPlan(c.keyword.loc(), "a train block with a 'loss' trains all "
                            "parameters with one optimizer; write a "
                            "custom 'step' for parameter groups");
  OptimizerGroup group{c.binding ? c.binding->name : "", call, ""};
  if (v && c.over) {
    Result g = el.eval(c.over.get(), env);
    if (g && g->kind != Value::Instance) {
      el.error(c.over->getLoc(), "'over' takes a layer or model instance "
                                 "(its parameters); got " +
                                     g->describe());
      g.reset();
    }
    if (!g)
      v.reset();
    else
      group.prefix = g->inst->info->name + ".";
  }
  if (v && call.decl)
    groups.push_back(group);
  if (v) {
    if (!sawOpt) {
      ti.optimizer = v->s;
      ti.optimizerStateSlots = v->i;
    }
    if (c.binding)
      env.vars[c.binding->name] = *v;
  }
  sawOpt = true;
  return v.has_value();
}

bool TrainChecker::validateClause(const TrainClause &c) {
  if (!c.on) {
    el.error(c.keyword.loc(), "write 'validate on DATA [every N]'");
    return false;
  }
  Result v = el.eval(c.on.get(), env);
  if (v && v->kind != Value::Dataset) {
    el.error(c.on->getLoc(),
             "'validate on' takes a data set; got " + v->describe());
    v.reset();
  }
  if (v && v->dataset->fields != ds->dataset->fields) {
    auto names = [](const DatasetRT &d) {
      std::string out;
      for (const auto &f : d.fields)
        out += (out.empty() ? "" : ", ") + f.first + " " + f.second.str();
      return out;
    };
    el.error(c.on->getLoc(),
             "the validation data set has other fields than the training "
             "data set (it has " +
                 names(*v->dataset) + "; training reads " +
                 names(*ds->dataset) + ")" +
                 (ds->dataset->name == "zip"
                      ? "; evaluate a model trained on a zip with a 'main' "
                        "program that loads its checkpoint"
                      : ""));
    v.reset();
  }
  if (v)
    plan->validateSource = v->dataset->source;
  plan->hasValidate = true;
  if (v && !c.values.empty()) {
    int64_t every = 0;
    v = positiveInt(c, every) ? v : std::nullopt;
    plan->validateEvery = every;
  }
  return v.has_value();
}

bool TrainChecker::checkpointClause(const TrainClause &c) {
  const Expr *e = c.values.empty() ? nullptr : c.values[0].get();
  Result v = e ? el.eval(e, env) : std::nullopt;
  if (v && v->kind == Value::String)
    plan->checkpoint = v->s;
  std::string usage = quoted(c) + " takes a file name string";
  if (e && v && v->kind != Value::String) {
    el.error(e->getLoc(), usage);
    v.reset();
  } else if (!e) {
    el.error(c.keyword.loc(), usage);
  }
  return v.has_value();
}

bool TrainChecker::scheduleClause(const TrainClause &c) {
  const Expr *e = single(c);
  auto *call = e ? llvm::dyn_cast<CallExpr>(e) : nullptr;
  auto *n = call ? llvm::dyn_cast<NameExpr>(call->callee.get())
                 : llvm::dyn_cast_or_null<NameExpr>(e);
  std::vector<llvm::StringRef> known = namesOf(kSchedules);
  if (!n || !llvm::is_contained(known, llvm::StringRef(n->name))) {
    el.error(
        e ? e->getLoc() : c.keyword.loc(),
        "unknown schedule" +
            (n ? " '" + n->name + "'" + didYouMean(closestMatch(n->name, known))
               : std::string()) +
            " (known: " + joined(known) + ")");
    return false;
  }
  ScheduleInfo sched;
  sched.target = c.binding ? c.binding->name : "lr";
  sched.kind = n->name;
  if (llvm::any_of(plan->schedules, [&](const ScheduleInfo &s) {
        return s.target == sched.target;
      })) {
    el.error(c.binding ? c.binding->loc() : c.keyword.loc(),
             "'" + sched.target +
                 "' already has a schedule in this block (one schedule per "
                 "hyper-parameter; a warm-up is its 'warmup:' argument)");
    return false;
  }
  if (auto it = annealedBase.find(sched.target); it != annealedBase.end()) {
    sched.model = true;
    sched.base = it->second;
  }
  bool ok = true;
  if (call)
    for (const Arg &a : call->args)
      ok &= scheduleArg(a, sched);
  plan->schedules.push_back(sched);
  return ok;
}

bool TrainChecker::scheduleArg(const Arg &a, ScheduleInfo &sched) {
  Result v = el.eval(a.value.get(), env);
  if (v && !v->isNumber()) {
    el.error(a.value->getLoc(), "schedule arguments are numbers");
    v.reset();
  }
  std::vector<llvm::StringRef> known = scheduleArgs(sched.kind);
  if (v && !a.name)
    noPlan(a.value->getLoc(), "name the schedule's arguments, e.g. "
                              "step(every: 2, gamma: 0.5)");
  else if (v && !llvm::is_contained(known, a.name->name)) {
    std::string list = joined(known);
    el.error(
        a.name->loc(),
        "'" + sched.kind + "' has no argument '" + a.name->name + "'" +
            didYouMean(closestMatch(a.name->name, known)) +
            (list.empty() ? " (it takes none)" : " (it takes " + list + ")"));
    v.reset();
  } else if (v)
    sched.args.push_back({a.name->name, v->number()});
  return v.has_value();
}

bool TrainChecker::clipNormClause(const TrainClause &c) {
  const Expr *e = single(c);
  Result v = e ? el.eval(e, env) : std::nullopt;
  if (v && (!v->isNumber() || v->number() <= 0)) {
    el.error(e->getLoc(), quoted(c) + " takes a positive number");
    v.reset();
  }
  plan->clipNorm = v ? v->number() : 0;
  return v.has_value();
}

bool Elaborator::checkMain(const Block &block) {
  ScratchRoot root("main");
  ScopedInstance scope(*this, &root.rt);
  Env env(&globals);
  // The main block is compiled like a model: its data-set fields and
  // parameters are the arguments, its printed tensors the results.
  program.mainGraph = std::make_unique<ModelGraph>();
  ScopedGraph traced(*this, program.mainGraph.get());
  return evalBlock(block, env, false).has_value();
}
