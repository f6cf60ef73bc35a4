//===- TrainCheck.cpp - Checking train blocks, optimizers and main --------===//
//
// A train block binds a model's inputs to data-set fields (by name, else in
// order), runs the model on the data set's types, and checks every clause:
// the loss is a float scalar, the optimizer's update rule type-checks for a
// parameter, metrics and schedules exist, and numbers are in range.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;

namespace {
const char *const kClauses[] = {
    "batch",     "epochs",     "shuffle",  "seed",       "loss",
    "optimizer", "metrics",    "validate", "checkpoint", "schedule",
    "clip_norm", "early_stop", "log_every"};
/// The named arguments each schedule reads (runtime/src/Schedule.cpp).
std::vector<llvm::StringRef> scheduleArgs(llvm::StringRef kind) {
  if (kind == "step")
    return {"every", "gamma"};
  if (kind == "exponential")
    return {"gamma", "start", "end"};
  if (kind == "cosine")
    return {"min"};
  if (kind == "warmup")
    return {"steps"};
  if (kind == "linear")
    return {"start", "end"};
  return {};
}

const char *const kMetrics[] = {"accuracy", "top_k", "mse", "mae"};
/// Metrics that are not per-sample averages (ranking, set overlaps):
/// named, but compiled training cannot compute them yet.
const char *const kLaterMetrics[] = {"auc", "iou", "precision", "recall"};
const char *const kSchedules[] = {"constant", "step",   "exponential",
                                  "cosine",   "warmup", "linear"};

llvm::StringRef nearest(llvm::StringRef name,
                        llvm::ArrayRef<const char *> list) {
  std::vector<llvm::StringRef> names(list.begin(), list.end());
  return closestMatch(name, names);
}

std::string didYouMean(llvm::StringRef near) {
  return near.empty() ? std::string() : "; did you mean '" + near.str() + "'?";
}

/// A scratch root instance for elaborations whose tree is not kept.
struct ScratchRoot {
  InstanceInfo info;
  InstanceRT rt;
  ScratchRoot(const char *name) {
    info.name = info.kind = name;
    rt.info = &info;
  }
};
} // namespace

Result Elaborator::runUpdateRule(const CallableDecl &decl, Env &body,
                                 const Value &p, const Value &g, const Value &t,
                                 unsigned *stateSlots) {
  body.vars[decl.inputs[0].name.name] = p;
  body.vars[decl.inputs[1].name.name] = g;
  body.vars[decl.inputs[2].name.name] = t;
  InstanceRT inst;
  InstanceInfo info;
  info.name = decl.name.name;
  inst.decl = &decl;
  inst.info = &info;
  ScopedInstance scope(*this, &inst);
  Result out = evalBlock(decl.body, body, true);
  if (stateSlots)
    *stateSlots = unsigned(info.params.size());
  return out;
}

Result Elaborator::checkOptimizerCall(const Expr *e, Env &env,
                                      OptimizerCall *call) {
  const Expr *calleeExpr = e;
  std::vector<CallArg> args;
  if (auto *c = llvm::dyn_cast<CallExpr>(e)) {
    calleeExpr = c->callee.get();
    if (!evalArgs(c->args, env, args))
      return std::nullopt;
  }
  Result callee = eval(calleeExpr, env);
  if (!callee)
    return std::nullopt;
  if (callee->kind != Value::Callable ||
      callee->decl->kind != CallableDecl::Optimizer) {
    error(e->getLoc(), "expected an optimizer such as adam(lr: 1e-3) (from "
                       "'use std.optim'); got " +
                           callee->describe());
    return std::nullopt;
  }
  const CallableDecl &decl = *callee->decl;
  std::map<std::string, Value> hparams;
  if (!bindHParams(decl, args, e->getLoc(), hparams))
    return std::nullopt;
  for (auto &kv : hparams)
    if (kv.second.isNumber() && kv.second.number() < 0) {
      error(e->getLoc(), "optimizer hyper-parameter '" + kv.first +
                             "' must not be negative");
      return std::nullopt;
    }
  if (decl.inputs.size() != 3) {
    error(decl.name.loc(), "an optimizer takes (p, g, t): the parameter, its "
                           "gradient and the step number");
    return std::nullopt;
  }
  // Type-check the update rule for a generic parameter.
  Env body(&globals);
  for (auto &kv : hparams)
    body.vars[kv.first] = kv.second;
  TensorType p{DType::F32, {Dim::symbol("P")}};
  // The generic parameter size P is not a dimension of the model: keep it
  // out of the "taken as 1" note of the summary.
  auto assumed = program.dimValues.assumed;
  unsigned slots = 0;
  Result out =
      runUpdateRule(decl, body, Value::ofTensor(p), Value::ofTensor(p),
                    Value::ofTensor(TensorType{DType::F32, {}}), &slots);
  program.dimValues.assumed = assumed;
  if (!out)
    return std::nullopt;
  if (out->kind != Value::Tensor || out->type != p) {
    error(decl.range.End, "the update rule of '" + decl.name.name +
                              "' must end with the new parameter value (" +
                              p.str() + "); got " + out->describe());
    return std::nullopt;
  }
  if (call) {
    call->decl = &decl;
    call->hparams = hparams;
  }
  Value v;
  v.kind = Value::Optimizer;
  v.s = decl.name.name;
  v.i = slots; // state slots per parameter
  return v;
}

bool Elaborator::checkTrain(const TrainDecl &t) {
  ScratchRoot root("train");
  ScopedInstance scope(*this, &root.rt);
  Env env(&globals);
  TrainInfo ti;
  std::map<std::string, double> annealedBase; // model hparams, by name
  Result ds = eval(t.dataset.get(), env);
  if (!ds)
    return false;
  if (ds->kind != Value::Dataset) {
    error(t.dataset->getLoc(), "train needs a data set after 'on', such as "
                               "fashion_mnist(\"train\"); got " +
                                   ds->describe());
    return false;
  }
  // The first train block with a model and a loss is traced: the data
  // fields are its inputs, the loss its output. So is the first custom
  // `step` block, whose `minimize`d losses are the outputs.
  std::unique_ptr<ModelGraph> lossGraph;
  if ((!program.lossGraph && t.model && !t.step) ||
      (!program.train && t.step && !t.model))
    lossGraph = std::make_unique<ModelGraph>();
  for (auto &f : ds->dataset->fields) {
    env.vars[f.first] = Value::ofTensor(f.second);
    if (lossGraph) {
      graph = lossGraph.get();
      trace(env.vars[f.first], OpKind::Input, {}, t.dataset->getLoc());
      env.vars[f.first].node->name = f.first;
      Attr src;
      src.kind = Attr::String;
      src.s = ds->dataset->source + ":" + f.first;
      env.vars[f.first].node->attrs.push_back({"source", src});
      graph->inputs.push_back(env.vars[f.first].node);
      graph = nullptr;
    }
    // The batch dimension of the data is `B` in the block.
    if (!f.second.dims.empty() && !f.second.dims[0].isConst())
      env.vars[f.second.dims[0].sym] = Value::ofDim(f.second.dims[0]);
  }
  for (const StmtPtr &s : t.setup) {
    bool produced;
    if (!evalStmt(s.get(), env, produced))
      return false;
  }
  if (t.model) {
    Result m = eval(t.model.get(), env);
    if (!m)
      return false;
    if (m->kind == Value::Callable && m->decl->kind == CallableDecl::Model) {
      // A scheduled float hyper-parameter of the model is annealed: the
      // traced loss reads it as a scalar input the runtime sets per step.
      std::vector<CallArg> annealed;
      for (const TrainClause &c : t.clauses) {
        if (c.keyword.name != "schedule" || !c.binding || !lossGraph)
          continue;
        for (const ParamDecl &h : m->decl->hparams)
          if (h.name.name == c.binding->name && h.type &&
              h.type->name.name == "float") {
            Value v = Value::ofTensor(TensorType{DType::F32, {}});
            graph = lossGraph.get();
            trace(v, OpKind::Hparam, {}, c.binding->loc());
            graph = nullptr;
            v.node->name = h.name.name;
            lossGraph->inputs.push_back(v.node);
            annealed.push_back({h.name.name, v, c.binding->loc(), {}, {}});
            double base = 0;
            if (h.defaultValue)
              if (Result d = eval(h.defaultValue.get(), globals);
                  d && d->isNumber())
                base = d->number();
            annealedBase[h.name.name] = base;
          }
      }
      m = instantiate(*m->decl, annealed, t.model->getLoc(), "");
      if (!m)
        return false;
    }
    if (m->kind != Value::Instance ||
        m->inst->decl->kind != CallableDecl::Model) {
      error(t.model->getLoc(), "train expects a model; got " + m->describe());
      return false;
    }
    ti.modelName = m->inst->decl->name.name;
    m->inst->pathless = true;
    // Bind inputs to fields: by name first, then the unused ones in order.
    std::vector<CallArg> args;
    std::vector<bool> used(ds->dataset->fields.size(), false);
    for (const StmtPtr &s : m->inst->decl->body) {
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
        error(t.model->getLoc(), "data set '" + ds->dataset->name +
                                     "' has no field left for model input '" +
                                     in->name.name + "'");
        return false;
      }
      used[pick] = true;
      args.push_back(
          {"", env.vars[ds->dataset->fields[pick].first], t.model->getLoc(),
           {}, {}});
    }
    graph = lossGraph.get();
    Result out = apply(*m, args, t.model->getLoc(), t.model.get());
    graph = nullptr;
    if (!out)
      return false;
    const auto &names = m->inst->outputNames;
    if (names.size() == 1)
      env.vars[names[0]] = *out;
    else
      for (size_t k = 0; k < names.size(); ++k)
        env.vars[names[k]] = out->elems[k];
    env.vars[m->inst->info->name] = *m;
  }

  // What the runtime's training loop needs, gathered from the clauses.
  auto plan = std::make_unique<TrainPlan>();
  plan->modelName = ti.modelName;
  plan->trainSource = ds->dataset->source;
  std::vector<OptimizerGroup> groups;
  std::string whyNoPlan; // a construct compiled training cannot run yet
  llvm::SMLoc whyLoc;
  auto noPlan = [&](llvm::SMLoc loc, const std::string &why) {
    if (whyNoPlan.empty()) {
      whyNoPlan = why;
      whyLoc = loc;
    }
  };
  bool ok = true, sawLoss = false, sawOpt = false;
  for (const TrainClause &c : t.clauses) {
    llvm::StringRef kw = c.keyword.name;
    auto single = [&]() -> const Expr * {
      if (c.values.size() == 1)
        return c.values[0].get();
      error(c.keyword.loc(), "'" + kw + "' takes one value");
      return nullptr;
    };
    auto positiveInt = [&](int64_t &out) {
      const Expr *e = single();
      if (!e)
        return false;
      auto v = evalInt(e, env, "'" + kw.str() + "'");
      if (!v)
        return false;
      if (*v <= 0) {
        error(e->getLoc(),
              "'" + kw + "' must be positive; got " + std::to_string(*v));
        return false;
      }
      out = *v;
      return true;
    };
    int64_t scratch = 0;
    if (kw == "batch") {
      ok &= positiveInt(ti.batch);
      plan->batch = ti.batch;
    } else if (kw == "epochs") {
      ok &= positiveInt(ti.epochs);
      plan->epochs = ti.epochs;
    } else if (kw == "early_stop" || kw == "log_every") {
      ok &= positiveInt(scratch);
      (kw == "early_stop" ? plan->earlyStop : plan->logEvery) = scratch;
    } else if (kw == "seed") {
      std::optional<int64_t> v;
      if (const Expr *e = single())
        v = evalInt(e, env, "'seed'");
      ok &= v.has_value();
      plan->seed = v ? uint64_t(*v) : 0;
    } else if (kw == "shuffle") {
      plan->shuffle = true;
      if (!c.values.empty()) {
        Result v = eval(c.values[0].get(), env);
        if (!v || v->kind != Value::Bool) {
          if (v)
            error(c.values[0]->getLoc(), "'shuffle' takes no value or a bool");
          ok = false;
        } else {
          plan->shuffle = v->b;
        }
      }
    } else if (kw == "loss") {
      const Expr *e = single();
      graph = lossGraph.get();
      Result v = e ? eval(e, env) : std::nullopt;
      if (!v && e)
        reportUnknownNames(e, env);
      if (v && v->node && lossGraph)
        lossGraph->outputs.push_back({"loss", v->node});
      graph = nullptr;
      if (v && (v->kind != Value::Tensor || !v->type.isScalar() ||
                !isFloat(v->type.dtype))) {
        error(e->getLoc(),
              "the loss must be a float scalar; got " + v->describe() +
                  (v->kind == Value::Tensor ? " (take the mean?)" : ""));
        v.reset();
      }
      ok &= v.has_value();
      sawLoss = true;
    } else if (kw == "optimizer") {
      const Expr *e = single();
      OptimizerCall call;
      Result v = e ? checkOptimizerCall(e, env, &call) : std::nullopt;
      if (!t.step && (sawOpt || c.over))
        noPlan(c.keyword.loc(), "a train block with a 'loss' trains all "
                                "parameters with one optimizer; write a "
                                "custom 'step' for parameter groups");
      OptimizerGroup group{c.binding ? c.binding->name : "", call, ""};
      if (v && c.over) {
        Result g = eval(c.over.get(), env);
        if (g && g->kind != Value::Instance) {
          error(c.over->getLoc(), "'over' takes a layer or model instance "
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
      ok &= v.has_value();
      sawOpt = true;
    } else if (kw == "metrics") {
      for (const ExprPtr &m : c.values) {
        const Expr *callee = m.get();
        if (auto *call = llvm::dyn_cast<CallExpr>(callee))
          callee = call->callee.get();
        auto *n = llvm::dyn_cast<NameExpr>(callee);
        // top_k(k) is recorded as "top_<k>".
        std::string metric = n ? n->name : "";
        if (auto *call = llvm::dyn_cast<CallExpr>(m.get());
            call && metric == "top_k") {
          std::optional<int64_t> k;
          if (call->args.size() == 1)
            k = evalInt(call->args[0].value.get(), env, "top_k's k");
          if (!k || *k <= 0) {
            if (call->args.size() != 1 || k)
              error(m->getLoc(), "top_k takes one positive integer k");
            ok = false;
            continue;
          }
          metric = "top_" + std::to_string(*k);
        }
        if (n && llvm::is_contained(kLaterMetrics, llvm::StringRef(n->name))) {
          error(m->getLoc(), "compiled training cannot compute '" + n->name +
                                 "' yet (it is no per-sample average); "
                                 "metrics: accuracy, top_k(k), mse, mae");
          ok = false;
        } else if (!n ||
                   !llvm::is_contained(kMetrics, llvm::StringRef(n->name))) {
          error(m->getLoc(), "unknown metric" +
                                 (n ? " '" + n->name + "'" +
                                          didYouMean(nearest(n->name, kMetrics))
                                    : std::string()) +
                                 " (known: accuracy, top_k(k), mse, mae)");
          ok = false;
        } else if (!llvm::is_contained(plan->metrics, metric)) {
          plan->metrics.push_back(metric);
        }
      }
    } else if (kw == "validate") {
      if (!c.on) {
        error(c.keyword.loc(), "write 'validate on DATA [every N]'");
        ok = false;
        continue;
      }
      Result v = eval(c.on.get(), env);
      if (v && v->kind != Value::Dataset) {
        error(c.on->getLoc(),
              "'validate on' takes a data set; got " + v->describe());
        v.reset();
      }
      if (v && v->dataset->fields != ds->dataset->fields) {
        error(c.on->getLoc(), "the validation data set has other fields than "
                              "the training data set");
        v.reset();
      }
      if (v)
        plan->validateSource = v->dataset->source;
      plan->hasValidate = true;
      if (v && !c.values.empty()) {
        v = positiveInt(scratch) ? v : std::nullopt;
        plan->validateEvery = scratch;
      }
      ok &= v.has_value();
    } else if (kw == "checkpoint") {
      const Expr *e = c.values.empty() ? nullptr : c.values[0].get();
      Result v = e ? eval(e, env) : std::nullopt;
      if (v && v->kind == Value::String)
        plan->checkpoint = v->s;
      if (e && v && v->kind != Value::String) {
        error(e->getLoc(), "'checkpoint' takes a file name string");
        v.reset();
      } else if (!e) {
        error(c.keyword.loc(), "'checkpoint' takes a file name string");
      }
      ok &= v.has_value();
    } else if (kw == "schedule") {
      const Expr *e = single();
      auto *call = e ? llvm::dyn_cast<CallExpr>(e) : nullptr;
      auto *n = call ? llvm::dyn_cast<NameExpr>(call->callee.get())
                     : llvm::dyn_cast_or_null<NameExpr>(e);
      if (!n || !llvm::is_contained(kSchedules, llvm::StringRef(n->name))) {
        error(e ? e->getLoc() : c.keyword.loc(),
              "unknown schedule" +
                  (n ? " '" + n->name + "'" +
                           didYouMean(nearest(n->name, kSchedules))
                     : std::string()) +
                  " (known: constant, step, exponential, cosine, warmup, "
                  "linear)");
        ok = false;
        continue;
      }
      ScheduleInfo sched;
      sched.target = c.binding ? c.binding->name : "lr";
      sched.kind = n->name;
      if (auto it = annealedBase.find(sched.target); it != annealedBase.end()) {
        sched.model = true;
        sched.base = it->second;
      }
      if (call)
        for (const Arg &a : call->args) {
          Result v = eval(a.value.get(), env);
          if (v && !v->isNumber()) {
            error(a.value->getLoc(), "schedule arguments are numbers");
            v.reset();
          }
          std::vector<llvm::StringRef> known = scheduleArgs(sched.kind);
          if (v && !a.name)
            noPlan(a.value->getLoc(), "name the schedule's arguments, e.g. "
                                      "step(every: 2, gamma: 0.5)");
          else if (v && !llvm::is_contained(known, a.name->name)) {
            std::string list;
            for (llvm::StringRef k : known)
              list += (list.empty() ? "" : ", ") + k.str();
            error(a.name->loc(),
                  "'" + sched.kind + "' has no argument '" + a.name->name +
                      "'" + didYouMean(closestMatch(a.name->name, known)) +
                      (list.empty() ? " (it takes none)"
                                    : " (it takes " + list + ")"));
            v.reset();
          } else if (v)
            sched.args.push_back({a.name->name, v->number()});
          ok &= v.has_value();
        }
      plan->schedules.push_back(sched);
    } else if (kw == "clip_norm") {
      const Expr *e = single();
      Result v = e ? eval(e, env) : std::nullopt;
      if (v && (!v->isNumber() || v->number() <= 0)) {
        error(e->getLoc(), "'clip_norm' takes a positive number");
        v.reset();
      }
      plan->clipNorm = v ? v->number() : 0;
      ok &= v.has_value();
    } else {
      error(c.keyword.loc(), "unknown train clause '" + kw + "'" +
                                 didYouMean(nearest(kw, kClauses)));
      ok = false;
    }
  }
  std::vector<std::pair<std::string, NodePtr>> losses;
  if (t.step) {
    inTrainStep = true;
    Env stepEnv(&env);
    graph = lossGraph.get();
    minimized = lossGraph ? &losses : nullptr;
    ok &= evalBlock(*t.step, stepEnv, false).has_value();
    graph = nullptr;
    minimized = nullptr;
    inTrainStep = false;
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
  } else if (ok && !sawLoss) {
    error(t.range.Start, "this train block has no 'loss' (or a custom "
                         "'step { ... }' block)");
    ok = false;
  }
  if (ok && !sawOpt) {
    error(t.range.Start, "this train block has no 'optimizer' clause, e.g. "
                         "'optimizer adam(lr: 1e-3)'");
    ok = false;
  }
  program.trains.push_back(ti);
  if (ok && lossGraph && !lossGraph->outputs.empty()) {
    if (!program.train && !groups.empty()) {
      plan->loss = *lossGraph;
      plan->optimizer = groups[0].opt.decl->name.name;
      if (plan->modelName.empty())
        plan->modelName = "Train"; // a custom step block has no model
      if (!whyNoPlan.empty()) {
        plan->loss.unsupported = whyNoPlan;
        plan->loss.unsupportedLoc = whyLoc;
      } else if (!planTraining(*plan, groups, env, t.range.Start))
        return false;
      program.train = std::move(plan);
    }
    if (!t.step)
      program.lossGraph = std::move(lossGraph);
  }
  return ok;
}

bool Elaborator::checkMain(const Block &block) {
  ScratchRoot root("main");
  ScopedInstance scope(*this, &root.rt);
  Env env(&globals);
  // The main block is compiled like a model: its data-set fields and
  // parameters are the arguments, its printed tensors the results.
  program.mainGraph = std::make_unique<ModelGraph>();
  graph = program.mainGraph.get();
  bool ok = evalBlock(block, env, false).has_value();
  graph = nullptr;
  return ok;
}
