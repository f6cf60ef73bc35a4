//===- MLIRGenTrain.cpp - A train block's train and eval steps ------------===//
//
// The train step is one function: it calls one loss function per
// objective (marked for the reverse-mode pass, which appends the
// gradients of the objective's parameters; the inliner then dissolves the
// calls), emits the optimizer's traced update graph on those gradients,
// and returns the loss, metric sums, batch-norm running statistics and
// every new parameter and optimizer state. See docs/training.md.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNAttrNames.h"
#include "autodiff/VJPBuilder.h"
#include "dialect/NNDialect.h"
#include "mlirgen/Generator.h"

#include <map>
#include <optional>

using namespace mlir;
using namespace nnc;
using namespace nnc::mlirgen;

namespace nnc::mlirgen {

void Generator::updateRunningStats(SmallVectorImpl<Value> &results,
                                   SmallVectorImpl<std::string> &names,
                                   Location l) {
  // PyTorch's rule: running = (1 - momentum) running + momentum batch,
  // with the unbiased batch variance. A batch norm applied several times
  // (a shared encoder, a discriminator on real then fake batches) updates
  // its statistics once per application, in call order (the order the
  // calls were traced in): each update starts from the previous one's
  // result, and the state is returned once, with the last value.
  std::vector<const Node *> calls(batchNorms.begin(), batchNorms.end());
  llvm::sort(calls, [](const Node *a, const Node *b) { // ids are unique
    return a->id < b->id;
  });
  std::map<const Node *, size_t> resultOf; // state -> index in results
  for (const Node *n : calls) {
    const Node *mean = n->inputs[3].get(), *var = n->inputs[4].get();
    if (mean->op != OpKind::State || var->op != OpKind::State)
      continue;
    const Attr *m = n->attr("momentum");
    double momentum = !m ? 0.1 : m->kind == Attr::Float ? m->f : double(m->i);
    Value x = values[n->inputs[0].get()];
    nn::GradBuilder gb(b, l);
    // The same statistics as the forward's and the backward's (CSE
    // leaves one nn.channel_moments), the variance made unbiased.
    Type c = values[mean].getType();
    auto moments = nn::ChannelMomentsOp::create(b, l, c, c, x);
    Value count = gb.count(x, nn::ChannelMomentsOp::axesOf(x));
    Value batchVar = gb.mul(
        moments.getVar(), gb.div(count, gb.sub(count, gb.scalar(count, 1.0))));
    for (auto [state, batch] : {std::pair{mean, Value(moments.getMean())},
                                std::pair{var, batchVar}}) {
      auto seen = resultOf.find(state);
      Value running =
          seen == resultOf.end() ? values[state] : results[seen->second];
      Value next = gb.add(gb.mul(running, gb.scalar(running, 1 - momentum)),
                          gb.mul(batch, gb.scalar(running, momentum)));
      if (seen != resultOf.end()) {
        results[seen->second] = next;
        continue;
      }
      resultOf[state] = results.size();
      results.push_back(next);
      names.push_back(state->name);
    }
  }
}

/// Data-parallel training: every gradient goes through the exchange, in
/// the order of the parameters (the same on every rank), and the update
/// reads the sums.
void Generator::exchangeGradients(const ModelGraph &lg,
                                  std::map<std::string, Value> &grads,
                                  Location loc) {
  SmallVector<Value> sent;
  SmallVector<std::string> names;
  for (auto &n : lg.params) {
    auto g = grads.find("grad." + n->name);
    if (g == grads.end())
      continue;
    nn::AllreduceStartOp::create(b, loc, g->second,
                                 b.getI64IntegerAttr(int64_t(sent.size())));
    sent.push_back(g->second);
    names.push_back(g->first);
  }
  if (sent.empty())
    return;
  auto wait =
      nn::AllreduceWaitOp::create(b, loc, ValueRange(sent).getTypes(), sent);
  for (auto [k, name] : llvm::enumerate(names))
    grads[name] = wait.getResult(k);
}

/// `<model>_train_step(data..., params and state..., step, scheduled
/// hyper-parameters..., optimizer state...)` returns the loss, the metric
/// sums, then the new value of every parameter and optimizer state. It
/// calls the (private) loss function, whose gradients the reverse-mode
/// pass appends and which the inliner then dissolves into the step.
func::FuncOp Generator::emitTrainStep(ModuleOp module, const TrainPlan &plan,
                                      ArrayRef<func::FuncOp> lossFns,
                                      llvm::StringRef fname) {
  training = true;
  const ModelGraph &lg = plan.loss, &ug = plan.update;
  if (!ug.unsupported.empty()) {
    diags.error(ug.unsupportedLoc, ug.unsupported);
    return nullptr;
  }
  // Update inputs that are parameters or gradients come from the loss
  // calls; the others (step, scheduled hyper-parameters) are arguments.
  std::map<std::string, const Node *> lossParams;
  for (auto &n : lg.params)
    lossParams[n->name] = n.get();
  std::vector<std::pair<const Node *, llvm::StringRef>> args;
  for (auto &n : lg.inputs)
    args.push_back({n.get(), opKindName(n->op)}); // input, or an annealed hparam
  for (auto &n : lg.params)
    args.push_back({n.get(), opKindName(n->op)});
  for (auto &n : ug.inputs)
    if (!lossParams.count(n->name) &&
        !llvm::StringRef(n->name).starts_with("grad."))
      args.push_back({n.get(), n->name == "step" ? "step" : "hparam"});
  unsigned streamArg = args.size();
  for (auto &n : ug.params)
    args.push_back({n.get(), "opt_state"});
  SmallVector<Type> argTypes, resultTypes;
  for (auto &a : args)
    argTypes.push_back(tensorType(a.first->type));
  argTypes.insert(argTypes.begin() + streamArg, streamType());
  // Where each output of the loss graph comes from: objective k's loss is
  // result 0 of call k; metrics follow the loss in call 0, whose last
  // results (before the gradients) are the running-statistics updates.
  func::FuncOp first = lossFns.front();
  unsigned firstOutputs =
      1 + llvm::count_if(lg.outputs, [](auto &o) {
        return llvm::StringRef(o.first).starts_with("metric.");
      });
  unsigned numStats = first.getNumResults() - firstOutputs;
  std::vector<std::pair<unsigned, unsigned>> source; // (call, result)
  unsigned nextMetric = 1;
  for (auto &o : lg.outputs) {
    std::optional<std::pair<unsigned, unsigned>> from;
    for (auto [k, obj] : llvm::enumerate(plan.objectives))
      if (lg.outputs[obj.output].second == o.second && !from)
        from = std::make_pair(unsigned(k), 0u);
    source.push_back(from ? *from : std::make_pair(0u, nextMetric++));
  }
  for (auto &o : lg.outputs)
    resultTypes.push_back(tensorType(o.second->type));
  for (unsigned k = 0; k < numStats; ++k)
    resultTypes.push_back(first.getResultTypes()[firstOutputs + k]);
  for (auto &o : ug.outputs)
    resultTypes.push_back(tensorType(o.second->type));
  b.setInsertionPointToEnd(module.getBody());
  Location funcLoc = first.getLoc();
  auto func = func::FuncOp::create(b, funcLoc, fname,
                                   b.getFunctionType(argTypes, resultTypes));
  func.addEntryBlock();
  if (plan.bf16)
    func->setAttr(nnc::attr::kBf16, b.getUnitAttr());
  current = func;
  for (auto [k, a] : llvm::enumerate(args))
    tagArgument(func, k < streamArg ? k : k + 1, *a.first, a.second);
  Value streamValue = tagStream(func, streamArg);
  auto named = [&](llvm::StringRef name, llvm::StringRef kind) {
    return b.getDictionaryAttr(
        {b.getNamedAttr(nnc::attr::kName, b.getStringAttr(name)),
         b.getNamedAttr(nnc::attr::kKind, b.getStringAttr(kind))});
  };
  unsigned r = 0;
  for (auto &o : lg.outputs)
    func.setResultAttrs(r++, named(o.first, "output"));
  for (unsigned k = 0; k < numStats; ++k)
    func.setResultAttrs(r++, first.getResultAttrDict(firstOutputs + k));
  for (auto &o : ug.outputs)
    func.setResultAttrs(r++, named(o.first, "update"));
  b.setInsertionPointToStart(&func.front());
  SmallVector<Value> callArgs, results;
  for (unsigned k = 0; k < lg.inputs.size() + lg.params.size(); ++k)
    callArgs.push_back(func.getArgument(k));
  callArgs.push_back(streamValue);
  // Each loss function's results after the reverse-mode pass: its
  // outputs, running statistics, then one gradient per parameter of its
  // objective.
  SmallVector<func::CallOp> calls;
  std::map<std::string, Value> grads;
  for (size_t k = 0; k < lossFns.size(); ++k) {
    func::FuncOp fn = lossFns[k];
    SmallVector<Type> callTypes(fn.getResultTypes());
    unsigned base = callTypes.size();
    SmallVector<std::string> names;
    for (auto &n : lg.params)
      if (n->op == OpKind::Param &&
          llvm::is_contained(plan.objectives[k].params, n->name)) {
        names.push_back("grad." + n->name);
        callTypes.push_back(tensorType(n->type));
      }
    calls.push_back(
        func::CallOp::create(b, funcLoc, fn.getSymName(), callTypes, callArgs));
    for (auto [i, name] : llvm::enumerate(names))
      grads[name] = calls.back().getResult(base + i);
  }
  if (collectives)
    exchangeGradients(lg, grads, funcLoc);
  for (auto [call, result] : source)
    results.push_back(calls[call].getResult(result));
  for (unsigned k = 0; k < numStats; ++k)
    results.push_back(calls[0].getResult(firstOutputs + k));
  for (auto &n : ug.inputs) {
    if (auto it = lossParams.find(n->name); it != lossParams.end())
      values[n.get()] = values[it->second];
    else if (auto g = grads.find(n->name); g != grads.end())
      values[n.get()] = g->second;
  }
  for (auto &o : ug.outputs) {
    Value v = emit(*o.second);
    if (!v)
      return nullptr;
    results.push_back(v);
  }
  func::ReturnOp::create(b, funcLoc, results);
  return func;
}

} // namespace nnc::mlirgen

OwningOpRef<ModuleOp> nnc::mlirGenTrain(MLIRContext &ctx, const TrainPlan &plan,
                                        const llvm::SourceMgr &srcMgr,
                                        nnc::DiagnosticEngine &diags,
                                        bool collectives) {
  loadDialects(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  const std::string &name = plan.modelName;
  // One loss function per objective: the first also gives the metrics
  // and the running statistics.
  SmallVector<func::FuncOp> lossFns;
  for (auto [k, obj] : llvm::enumerate(plan.objectives)) {
    ModelGraph g = plan.loss;
    g.outputs = {plan.loss.outputs[obj.output]};
    if (k == 0)
      for (auto &o : plan.loss.outputs)
        if (llvm::StringRef(o.first).starts_with("metric."))
          g.outputs.push_back(o);
    GenOptions opts;
    opts.training = opts.wrtParams = opts.stream = true;
    opts.updateState = k == 0;
    opts.wrtOnly = obj.params;
    func::FuncOp fn =
        Generator(ctx, srcMgr, diags)
            .emitFunction(*module, g, name + "_loss" + std::to_string(k), opts);
    if (!fn)
      return nullptr;
    fn.setPrivate();
    lossFns.push_back(fn);
  }
  if (lossFns.empty()) {
    diags.error(plan.loss.unsupportedLoc.isValid() ? plan.loss.unsupportedLoc
                                                   : llvm::SMLoc(),
                plan.loss.unsupported.empty() ? "nothing to train"
                                              : plan.loss.unsupported);
    return nullptr;
  }
  Generator gen(ctx, srcMgr, diags);
  gen.collectives = collectives;
  // The eval step also returns the model's output, "prediction".
  ModelGraph evalGraph = plan.loss;
  if (plan.prediction)
    evalGraph.outputs.push_back({"prediction", plan.prediction});
  if (plan.resample)
    evalGraph.outputs.push_back({"sample_weight", plan.resample});
  if (!gen.emitTrainStep(*module, plan, lossFns, name + "_train_step") ||
      !Generator(ctx, srcMgr, diags)
           .emitFunction(*module, evalGraph, name + "_eval_step", {}))
    return nullptr;
  // Not verified here: the call expects the gradients that the
  // reverse-mode pass appends to the loss function (the pass manager
  // verifies the module after that pass).
  return module;
}
