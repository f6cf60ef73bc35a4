//===- TrainPlan.cpp - What a compiled train step computes ----------------===//
//
// A train block's loss graph says how to compute the loss; training also
// needs the metrics of each batch and the optimizer's update of every
// parameter. Both are traced here as graphs, like models are, so MLIRGen
// lowers the whole step (forward, backward, update) into one function:
// the optimizer's `.nn` update rule is elaborated once per parameter with
// that parameter's type, its `state` tensors become the optimizer state
// the runtime checkpoints, and scheduled hyper-parameters become scalar
// inputs that the runtime sets every step.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"
#include "sema/TrainChecker.h"

#include <cmath>

using namespace nnc;

namespace {
NodePtr makeNode(OpKind op, std::vector<NodePtr> inputs, TensorType type,
                 llvm::SMLoc loc, unsigned &nextId) {
  auto n = std::make_shared<Node>();
  n->op = op;
  n->inputs = std::move(inputs);
  n->type = std::move(type);
  n->loc = loc;
  n->id = nextId++;
  return n;
}

Attr intAttr(int64_t v) {
  Attr a;
  a.kind = Attr::Int;
  a.i = v;
  return a;
}

Attr stringAttr(std::string s) {
  Attr a;
  a.kind = Attr::String;
  a.s = std::move(s);
  return a;
}
} // namespace

namespace nnc {
/// Completes a plan in parts: the data and metrics, then the update graph
/// (its inputs: the step, scheduled hyper-parameters, then each parameter
/// and its gradient; gradient clipping; the update rule once per
/// parameter). Each part ends Ok (go on), GaveUp (checking succeeded, only
/// compiling it is not possible: the reason is in the plan's loss graph)
/// or Failed (an error was reported).
class TrainPlanner {
public:
  enum Outcome { Ok, GaveUp, Failed };
  TrainPlanner(Elaborator &el, TrainPlan &plan,
               const std::vector<OptimizerGroup> &groups, llvm::SMLoc loc)
      : el(el), plan(plan), groups(groups), loc(loc), up(plan.update) {}
  /// Data sources, the classes of a classifier, and the metrics.
  Outcome checkData(Env &env);
  /// The step and the scheduled hyper-parameters.
  Outcome scheduleInputs();
  /// Each trained parameter and its gradient; the objectives.
  Outcome parameterInputs();
  /// Gradient clipping by the global norm.
  void clipGradients();
  /// The update rule once per parameter, with its state named after it;
  /// then the state's outputs.
  Outcome updateRules();

private:
  /// The update rule of parameter k: its new value is an output, its state
  /// (renamed) goes to `stateOutputs`.
  using Outputs = std::vector<std::pair<std::string, NodePtr>>;
  Outcome updateRule(size_t k, Outputs &stateOutputs);
  Outcome giveUp(llvm::SMLoc at, const std::string &why) {
    plan.loss.unsupported = why;
    plan.loss.unsupportedLoc = at;
    return GaveUp;
  }
  NodePtr node(OpKind op, std::vector<NodePtr> inputs, TensorType type) {
    return makeNode(op, std::move(inputs), std::move(type), loc, el.nextNodeId);
  }
  NodePtr input(const std::string &name, const TensorType &type) {
    NodePtr n = node(OpKind::Input, {}, type);
    n->name = name;
    up.inputs.push_back(n);
    return n;
  }

  Elaborator &el;
  TrainPlan &plan;
  const std::vector<OptimizerGroup> &groups;
  llvm::SMLoc loc;
  ModelGraph &up;
  TensorType scalar{DType::F32, {}};
  Value step;
  /// Each group's hyper-parameters; scheduled ones are inputs.
  std::vector<std::map<std::string, Value>> hparams;
  /// The trained parameters' inputs, their gradients (`used`: clipped)
  /// and their groups.
  std::vector<NodePtr> params, grads, used;
  std::vector<size_t> groupOf;
};
} // namespace nnc

bool Elaborator::planTraining(TrainPlan &plan,
                              const std::vector<OptimizerGroup> &groups,
                              Env &env, llvm::SMLoc loc) {
  TrainPlanner p(*this, plan, groups, loc);
  TrainPlanner::Outcome o = p.checkData(env);
  if (o == TrainPlanner::Ok)
    o = p.scheduleInputs();
  if (o == TrainPlanner::Ok)
    o = p.parameterInputs();
  if (o == TrainPlanner::Ok) {
    p.clipGradients();
    o = p.updateRules();
  }
  return o != TrainPlanner::Failed;
}

TrainPlanner::Outcome TrainPlanner::checkData(Env &env) {
  if (plan.trainSource.empty() ||
      (plan.validateSource.empty() && plan.hasValidate))
    return giveUp(loc, "compiled training cannot load this kind of data set "
                       "yet (it loads fashion_mnist, mnist, idx, csv, npy, "
                       "image_folder, text_chars and ratings, and "
                       "subset/split/augment/zip of them)");

  // A classifier's labels index its output's last dimension.
  if (Value *out = env.lookup("output"), *label = env.lookup("label");
      out && label && out->kind == Value::Tensor &&
      label->kind == Value::Tensor && out->type.rank() >= 2 &&
      out->type.rank() == label->type.rank() + 1 &&
      out->type.dims.back().isConst() && out->type.dims.back().value > 1 &&
      !isFloat(label->type.dtype))
    plan.classes = out->type.dims.back().value; // not a [B, 1] regression

  // The eval step also returns the model's output: whole-set metrics,
  // out-of-fold predictions and test-time augmentation read it.
  if (Value *out = env.lookup("output");
      out && out->kind == Value::Tensor && out->node &&
      isFloat(out->type.dtype) && out->type.rank() >= 1 &&
      !out->type.dims[0].isConst())
    plan.prediction = out->node;
  if (!plan.setMetrics.empty() &&
      (!plan.prediction || !plan.classes || plan.prediction->type.rank() != 2))
    return giveUp(loc, "the metrics auc, f1 and confusion need a classifier: "
                       "an output [B, classes] and integer labels [B]");
  if (!plan.metrics.empty() && !el.buildMetrics(plan, env, loc))
    return giveUp(loc, "the metrics compare the model's output with the "
                       "data set's 'label' (or 'y', or 'rating'): accuracy and top_k need an "
                       "output [B, ..., classes] and integer labels "
                       "[B, ...]; mse and mae a float output of the label's "
                       "shape (or [B, 1] for labels [B])");
  return Ok;
}

TrainPlanner::Outcome TrainPlanner::scheduleInputs() {
  step = Value::ofTensor(scalar);
  step.node = input("step", scalar);
  // A schedule sets its hyper-parameter in every optimizer that has it.
  for (const OptimizerGroup &g : groups)
    hparams.push_back(g.opt.hparams);
  if (!hparams.empty())
    if (auto it = hparams[0].find("lr");
        it != hparams[0].end() && it->second.isNumber())
      plan.lr = it->second.number();
  bool lrScheduled = llvm::any_of(
      plan.schedules, [](const ScheduleInfo &s) { return s.target == "lr"; });
  if (el.opts.lrInput && !lrScheduled && !std::isnan(plan.lr)) {
    ScheduleInfo lr;
    lr.target = "lr";
    lr.kind = "constant";
    plan.schedules.push_back(lr);
  }
  for (ScheduleInfo &s : plan.schedules) {
    if (s.model)
      continue; // already an input of the loss graph
    NodePtr node;
    for (auto &h : hparams) {
      auto it = h.find(s.target);
      if (it == h.end() || !it->second.isNumber())
        continue;
      s.base = it->second.number();
      if (!node)
        node = input(s.target, scalar);
      it->second = Value::ofTensor(scalar);
      it->second.node = node;
    }
    if (!node) {
      std::vector<llvm::StringRef> known;
      for (auto &h : hparams)
        for (auto &[name, v] : h)
          if (v.isNumber())
            known.push_back(name);
      bool custom = plan.modelName == "Train"; // a custom step block
      if (custom)
        for (auto &[name, v] : el.globals.vars)
          if (v.kind == Value::Float)
            known.push_back(name);
      return giveUp(loc,
                    "schedule: '" + s.target +
                        "' is neither an optimizer hyper-parameter" +
                        (custom ? " nor a top-level float 'let' the "
                                  "step reads"
                                : " nor a float hyper-parameter of "
                                  "model '" +
                                      plan.modelName + "'") +
                        traincheck::didYouMean(closestMatch(s.target, known)));
    }
  }
  return Ok;
}

TrainPlanner::Outcome TrainPlanner::parameterInputs() {
  // Each trainable parameter belongs to the one group whose path prefix
  // it has.
  for (const NodePtr &p : plan.loss.params) {
    if (p->op != OpKind::Param)
      continue;
    std::vector<size_t> owners;
    for (size_t k = 0; k < groups.size(); ++k)
      if (llvm::StringRef(p->name).starts_with(groups[k].prefix))
        owners.push_back(k);
    if (owners.size() > 1)
      return giveUp(loc, "parameter '" + p->name + "' is in the groups of '" +
                             groups[owners[0]].binding + "' and '" +
                             groups[owners[1]].binding + "'");
    if (owners.empty())
      continue; // not trained by this block
    params.push_back(input(p->name, p->type));
    grads.push_back(input("grad." + p->name, p->type));
    groupOf.push_back(owners[0]);
  }
  if (params.empty())
    return giveUp(loc, "this train block has no trainable parameters");
  for (size_t k = 0; k < groups.size(); ++k) {
    TrainPlan::Objective obj;
    for (size_t i = 0; i < plan.loss.outputs.size(); ++i)
      if (plan.loss.outputs[i].first == (groups.size() > 1
                                             ? "loss." + groups[k].binding
                                             : std::string("loss")))
        obj.output = unsigned(i);
    for (size_t i = 0; i < params.size(); ++i)
      if (groupOf[i] == k)
        obj.params.push_back(params[i]->name);
    plan.objectives.push_back(obj);
  }
  return Ok;
}

void TrainPlanner::clipGradients() {
  // g *= min(1, c / (|g| + 1e-6)).
  used = grads;
  if (plan.clipNorm <= 0)
    return;
  NodePtr total;
  for (const NodePtr &g : grads) {
    NodePtr sq = node(OpKind::Square, {g}, g->type);
    NodePtr s = node(OpKind::Sum, {sq}, scalar);
    total = total ? node(OpKind::Add, {total, s}, scalar) : s;
  }
  auto constant = [&](double v) {
    NodePtr c = node(OpKind::Const, {}, scalar);
    c->value = v;
    return c;
  };
  NodePtr norm = node(OpKind::Sqrt, {total}, scalar);
  NodePtr denom = node(OpKind::Add, {norm, constant(1e-6)}, scalar);
  NodePtr ratio = node(OpKind::Div, {constant(plan.clipNorm), denom}, scalar);
  NodePtr scale = node(OpKind::Minimum, {ratio, constant(1.0)}, scalar);
  for (NodePtr &g : used)
    g = node(OpKind::Mul, {g, scale}, g->type);
}

TrainPlanner::Outcome TrainPlanner::updateRules() {
  Outputs stateOutputs;
  {
    ScopedGraph traced(el, &up);
    for (size_t k = 0; k < params.size(); ++k)
      if (Outcome o = updateRule(k, stateOutputs); o != Ok)
        return o;
  }
  for (auto &s : stateOutputs)
    up.outputs.push_back(s);
  if (!up.unsupported.empty())
    return giveUp(up.unsupportedLoc, up.unsupported);
  return Ok;
}

TrainPlanner::Outcome TrainPlanner::updateRule(size_t k,
                                               Outputs &stateOutputs) {
  const CallableDecl &decl = *groups[groupOf[k]].opt.decl;
  Env body(&el.globals);
  for (auto &kv : hparams[groupOf[k]])
    body.vars[kv.first] = kv.second;
  Value p = Value::ofTensor(params[k]->type), g = p;
  p.node = params[k];
  g.node = used[k];
  size_t firstState = up.params.size();
  Result out = el.runUpdateRule(decl, body, p, g, step);
  if (!out || !out->node)
    return out ? giveUp(loc, "the update rule of '" + decl.name.name +
                                 "' cannot be compiled")
               : Failed;
  up.outputs.push_back({params[k]->name, out->node});
  for (size_t s = firstState; s < up.params.size(); ++s) {
    NodePtr st = up.params[s];
    std::string slot = st->name.substr(st->name.rfind('.') + 1);
    Value *final = body.lookup(slot);
    // Optimizer state starts as zeros_like(p) / ones_like(p).
    if (const Attr *init = st->attr("init")) {
      std::string kind =
          llvm::StringRef(init->s).starts_with("ones") ? "ones" : "zeros";
      if (init->s != "zeros_like" && init->s != "ones_like" &&
          init->s != "zeros" && init->s != "ones")
        return giveUp(st->loc, "optimizer state starts as zeros_like(p) "
                               "or ones_like(p) in compiled training");
      st->attrs.clear();
      st->attrs.push_back({"init", stringAttr(kind)});
    }
    st->name = params[k]->name + "." + decl.name.name + "." + slot;
    stateOutputs.push_back({st->name, final && final->node ? final->node : st});
  }
  return Ok;
}

/// Appends "metric.<name>" outputs to the loss graph: per-batch sums over
/// samples of each sample's value, itself a mean over the sample's
/// positions (a sequence's tokens). accuracy: the arg-max is the label;
/// top_<k>: the label's logit has fewer than k larger ones; mse / mae: the
/// squared / absolute difference of output and label (as the output's
/// type). False if the output and label do not fit the metric.
bool Elaborator::buildMetrics(TrainPlan &plan, Env &env, llvm::SMLoc loc) {
  // The target: the data set's `label`, else `y` (text_chars' next
  // characters), else `rating` (ratings').
  Value *out = env.lookup("output"), *label = env.lookup("label");
  for (const char *other : {"y", "rating"})
    if (!label)
      label = env.lookup(other);
  if (!out || !out->node || !label || !label->node ||
      out->kind != Value::Tensor || label->kind != Value::Tensor ||
      out->type.rank() < 1)
    return false;
  const TensorType &ot = out->type, &lt = label->type;
  const Dim &b = ot.dims[0];
  TensorType scalar{DType::F32, {}};
  auto node = [&](OpKind op, std::vector<NodePtr> in, TensorType t) {
    return makeNode(op, std::move(in), std::move(t), loc, nextNodeId);
  };
  // f32 per position [B, ...] -> the sum over samples of their means.
  auto perSampleSum = [&](NodePtr v) {
    if (v->type.rank() > 1) {
      Attr axes;
      axes.kind = Attr::IntList;
      for (int64_t k = 1; k < int64_t(v->type.rank()); ++k)
        axes.list.push_back(k);
      v = node(OpKind::Mean, {v}, TensorType{DType::F32, {b}});
      v->attrs.push_back({"axis", axes});
    }
    return node(OpKind::Sum, {v}, scalar);
  };
  std::vector<Dim> lead(ot.dims.begin(), ot.dims.end() - 1);
  bool classes = !isFloat(lt.dtype) && ot.rank() >= 2 && lt.dims == lead;
  // mse / mae: a label of the output's shape, or [B] for an output [B, 1]
  // (a regression head), converted to the output's element type.
  std::vector<Dim> labelOne(lt.dims);
  labelOne.push_back(Dim::constant(1));
  bool values = isFloat(ot.dtype) && lt.dtype != DType::Bool &&
                (lt.dims == ot.dims || labelOne == ot.dims);
  for (const std::string &m : plan.metrics) {
    bool regression = m == "mse" || m == "mae";
    if (regression ? !values : !classes)
      return false;
    NodePtr sum;
    if (regression) {
      NodePtr lab = label->node;
      if (lt.dims != ot.dims)
        lab = node(OpKind::Reshape, {lab}, TensorType{lt.dtype, ot.dims});
      if (lt.dtype != ot.dtype)
        lab = node(OpKind::Cast, {lab}, ot);
      NodePtr d = node(OpKind::Sub, {out->node, lab}, ot);
      d = node(m == "mse" ? OpKind::Square : OpKind::Abs, {d}, ot);
      if (ot.dtype != DType::F32)
        d = node(OpKind::Cast, {d}, TensorType{DType::F32, ot.dims});
      sum = perSampleSum(d);
    } else {
      TensorType ids{DType::I64, lead}, hitsT{DType::Bool, lead};
      NodePtr lab = label->node;
      if (lt.dtype != DType::I64)
        lab = node(OpKind::Cast, {lab}, ids);
      int64_t last = int64_t(ot.rank()) - 1;
      NodePtr hits;
      if (m == "accuracy") {
        NodePtr am = node(OpKind::Argmax, {out->node}, ids);
        am->attrs.push_back({"axis", intAttr(last)});
        hits = node(OpKind::Eq, {am, lab}, hitsT);
      } else {
        int64_t k = std::stoll(m.substr(4));
        NodePtr hot = node(OpKind::OneHot, {lab}, ot);
        NodePtr picked = node(OpKind::Mul, {hot, out->node}, ot);
        std::vector<Dim> keptDims(lead);
        keptDims.push_back(Dim::constant(1));
        NodePtr mine = node(OpKind::Sum, {picked}, TensorType{ot.dtype, keptDims});
        mine->attrs.push_back({"axis", intAttr(last)});
        Attr keep;
        keep.kind = Attr::Bool;
        keep.i = 1;
        mine->attrs.push_back({"keepdims", keep});
        NodePtr above = node(OpKind::Gt, {out->node, mine},
                             TensorType{DType::Bool, ot.dims});
        NodePtr aboveF =
            node(OpKind::Cast, {above}, TensorType{DType::F32, ot.dims});
        NodePtr rank = node(OpKind::Sum, {aboveF}, TensorType{DType::F32, lead});
        rank->attrs.push_back({"axis", intAttr(last)});
        NodePtr kc = node(OpKind::Const, {}, scalar);
        kc->value = double(k);
        hits = node(OpKind::Lt, {rank, kc}, hitsT);
      }
      sum = perSampleSum(node(OpKind::Cast, {hits}, TensorType{DType::F32, lead}));
    }
    plan.loss.outputs.push_back({"metric." + m, sum});
  }
  return true;
}
