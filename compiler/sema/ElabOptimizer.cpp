//===- ElabOptimizer.cpp - Optimizer calls and their update rules ---------===//
//
// An optimizer (`optimizer adam(lr: 1e-3)` in a train block) is a `.nn`
// update rule of (p, g, t): the parameter, its gradient and the step
// number. A call is checked by running the rule on a generic parameter
// f32[P]; compiled training runs it again once per parameter
// (TrainPlan.cpp). Its `state` tensors become the optimizer's state.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include <cfloat>

using namespace nnc;

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
  // The step reads hyper-parameters as f32: each must be a non-negative
  // number that f32 holds (a NaN or inf learning rate trains nothing).
  for (auto &kv : hparams)
    if (kv.second.isNumber() &&
        !(kv.second.number() >= 0 && kv.second.number() <= FLT_MAX)) {
      error(e->getLoc(), "optimizer hyper-parameter '" + kv.first + "' is " +
                             kv.second.describe() +
                             "; it must be a non-negative number up to "
                             "3.4e38 (the f32 range)");
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
