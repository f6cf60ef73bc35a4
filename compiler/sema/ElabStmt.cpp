//===- ElabStmt.cpp - Statements, blocks and layer application ------------===//
//
// Runs statements on types. Loops are elaborated once with their trip count
// as a multiplier for FLOPs (a `for` body shares its layers across
// iterations); `repeat` is unrolled (fresh layers each time). Variables a
// loop updates must keep their type.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <set>

using namespace nnc;

void Elaborator::collectAssigned(const Block &block,
                                 std::set<std::string> &out) {
  for (const StmtPtr &s : block) {
    if (auto *a = llvm::dyn_cast<AssignStmt>(s.get()))
      out.insert(a->name.name);
    else if (auto *f = llvm::dyn_cast<ForStmt>(s.get()))
      collectAssigned(f->body, out);
    else if (auto *r = llvm::dyn_cast<RepeatStmt>(s.get()))
      collectAssigned(r->body, out);
    else if (auto *i = llvm::dyn_cast<IfStmt>(s.get())) {
      collectAssigned(i->ifExpr->thenBlock, out);
      collectAssigned(i->ifExpr->elseBlock, out);
    }
  }
}

void Elaborator::traceLoop(const ForStmt *f, int64_t lo, int64_t hi,
                           const NodePtr &index,
                           const std::vector<std::string> &carried,
                           const std::vector<Value> &initial,
                           const std::vector<NodePtr> &holders, Env &env) {
  Value loop = Value::ofTensor(TensorType{DType::I64, {}});
  std::vector<NodePtr> inits;
  for (const Value &v : initial)
    inits.push_back(v.node);
  Attr loA, hiA;
  loA.i = lo;
  hiA.i = hi;
  trace(loop, OpKind::For, inits, f->getLoc(), {{"lo", loA}, {"hi", hiA}});
  NodePtr node = loop.node;
  node->bodyArgs.push_back(index);
  for (size_t k = 0; k < carried.size(); ++k) {
    node->bodyArgs.push_back(holders[k]);
    node->bodyResults.push_back(env.lookup(carried[k])->node);
  }
  for (size_t k = 0; k < carried.size(); ++k) {
    Value *slot = env.lookup(carried[k]);
    Value result = Value::ofTensor(slot->type);
    Attr idx;
    idx.i = k;
    trace(result, OpKind::LoopResult, {node}, f->getLoc(), {{"index", idx}});
    *slot = result;
  }
}

Elaborator::Snapshot Elaborator::snapshot(Env &env) {
  Snapshot s;
  for (Env *e = &env; e && e != &globals; e = e->parent)
    for (auto &kv : e->vars)
      if (!s.count(kv.first))
        s[kv.first] = kv.second.describe();
  return s;
}

bool Elaborator::checkCarried(const Snapshot &before, Env &env, llvm::SMLoc loc,
                              llvm::StringRef what) {
  Snapshot after = snapshot(env);
  for (auto &kv : before) {
    auto it = after.find(kv.first);
    if (it != after.end() && it->second != kv.second) {
      error(loc, "'" + kv.first + "' changes from " + kv.second + " to " +
                     it->second + " inside the " + what +
                     "; a loop must keep the types of the variables it "
                     "updates");
      return false;
    }
  }
  return true;
}

bool Elaborator::runStatement(const Stmt *s, Env &env, Value &last) {
  bool produced = false;
  Result v = evalStmt(s, env, produced);
  if (v) {
    last = produced ? *v : Value::none();
    return true;
  }
  if (auto *l = llvm::dyn_cast<LetStmt>(s))
    reportUnknownNames(l->value.get(), env);
  else if (auto *a = llvm::dyn_cast<AssignStmt>(s))
    reportUnknownNames(a->value.get(), env);
  else if (auto *x = llvm::dyn_cast<ExprStmt>(s))
    reportUnknownNames(x->expr.get(), env);
  else if (auto *o = llvm::dyn_cast<OutputStmt>(s))
    reportUnknownNames(o->value.get(), env);
  Value poison;
  poison.poison = true;
  if (auto *l = llvm::dyn_cast<LetStmt>(s))
    for (const Ident &n : l->names)
      env.vars[n.name] = poison;
  else if (auto *a = llvm::dyn_cast<AssignStmt>(s)) {
    if (Value *slot = env.lookup(a->name.name))
      *slot = poison;
  } else if (auto *o = llvm::dyn_cast<OutputStmt>(s)) {
    env.vars[o->name.name] = poison;
  } else if (auto *v = llvm::dyn_cast<VarDeclStmt>(s)) {
    env.vars[v->name.name] = poison;
  }
  last = poison;
  return false;
}

Result Elaborator::evalBlock(const Block &b, Env &env, bool wantValue) {
  Value last;
  bool ok = true;
  for (const StmtPtr &s : b) {
    // Keep going after an error: later, independent errors are reported
    // too, and uses of what failed stay quiet (poison).
    ok &= runStatement(s.get(), env, last);
    if (diags.tooMany())
      return std::nullopt;
  }
  (void)wantValue;
  if (!ok)
    return std::nullopt;
  return last;
}

Result Elaborator::evalLet(const LetStmt *l, Env &env) {
  Result v = eval(l->value.get(), env);
  if (!v)
    return std::nullopt;
  if (l->destructure) {
    if ((v->kind != Value::Tuple && v->kind != Value::List) ||
        v->elems.size() != l->names.size()) {
      error(l->value->getLoc(),
            llvm::formatv("cannot unpack {0} into {1} names", v->describe(),
                          l->names.size()));
      return std::nullopt;
    }
    for (size_t k = 0; k < l->names.size(); ++k)
      env.vars[l->names[k].name] = v->elems[k];
    return Value::none();
  }
  if (l->type && !matchType(*l->type, *v, env, l->value->getLoc(),
                            "'let " + l->names[0].name + "'"))
    return std::nullopt;
  // `let enc = Encoder()` names the instance after the variable.
  if (v->kind == Value::Instance && !v->inst->applied &&
      llvm::isa<CallExpr>(l->value.get())) {
    std::string old = v->inst->info->name;
    v->inst->info->name = l->names[0].name;
    if (!ctx.empty()) { // and its parent finds it by that name
      auto &children = ctx.back()->children;
      auto it = children.find(old);
      if (it != children.end() && it->second == v->inst) {
        children.erase(it);
        children[l->names[0].name] = v->inst;
      }
    }
  }
  if (l->checkpoint && !bindCheckpoint(*l, *v, env))
    return std::nullopt;
  env.vars[l->names[0].name] = *v;
  return Value::none();
}

Result Elaborator::evalAssign(const AssignStmt *a, Env &env) {
  Value *slot = env.lookup(a->name.name);
  if (!slot || env.vars.count(a->name.name) == 0) {
    // Only variables of enclosing blocks in this body can be updated.
    bool inBody = false;
    for (Env *e = &env; e && e != &globals; e = e->parent)
      inBody |= e->vars.count(a->name.name) != 0;
    if (!inBody) {
      error(a->name.loc(), "cannot assign to '" + a->name.name +
                               "': no variable of that name here (declare "
                               "it with 'let " +
                               a->name.name + " = ...')");
      return std::nullopt;
    }
  }
  Result v = eval(a->value.get(), env);
  if (!v)
    return std::nullopt;
  *env.lookup(a->name.name) = *v;
  return Value::none();
}

Result Elaborator::evalFor(const ForStmt *f, Env &env) {
  auto *r = llvm::cast<RangeExpr>(f->range.get());
  auto lo = evalInt(r->lo.get(), env, "the start of a loop range");
  auto hi = evalInt(r->hi.get(), env, "the end of a loop range");
  if (!lo || !hi)
    return std::nullopt;
  if (*hi <= *lo) {
    error(r->getLoc(),
          llvm::formatv("the loop range {0}..{1} is empty", *lo, *hi));
    return std::nullopt;
  }
  int64_t trips;
  if (llvm::SubOverflow(*hi, *lo, trips)) {
    error(r->getLoc(), llvm::formatv("the loop range {0}..{1} has more than "
                                     "2^63 iterations",
                                     *lo, *hi));
    return std::nullopt;
  }
  Snapshot before = snapshot(env);
  Env body(&env);
  body.vars[f->var.name] = Value::ofTensor(TensorType{DType::I64, {}});
  // For the graph, the body sees placeholders for the index and for
  // every variable it updates; the loop's results replace them after.
  std::vector<std::string> carried;
  std::vector<Value> initial;
  std::vector<NodePtr> holders;
  NodePtr loopIndex;
  if (graph) {
    std::set<std::string> assigned;
    collectAssigned(f->body, assigned);
    for (const std::string &name : assigned) {
      Value *slot = env.lookup(name);
      bool outer = false;
      for (Env *e = &env; e && e != &globals; e = e->parent)
        outer |= e->vars.count(name) != 0;
      if (!slot || !outer || slot->kind != Value::Tensor)
        continue;
      carried.push_back(name);
      initial.push_back(*slot);
      Value p = Value::ofTensor(slot->type);
      trace(p, OpKind::LoopCarried, {}, f->getLoc());
      holders.push_back(p.node);
      *slot = p;
    }
    Value &idx = body.vars[f->var.name];
    trace(idx, OpKind::LoopIndex, {}, f->var.loc());
    loopIndex = idx.node;
  }
  // At the top of the summarised model a loop is one summary row.
  InstanceRT loop;
  std::optional<ScopedInstance> loopScope;
  if (ctx.back()->info == modelRoot) {
    InstanceRT *root = ctx.back();
    auto row = std::make_unique<InstanceInfo>();
    row->name = "for_" + std::to_string(++root->childCounters["for"]);
    row->kind = "for x" + std::to_string(trips);
    row->isBuiltin = true;
    row->calls = 1;
    loop.decl = root->decl;
    loop.info = row.get();
    root->info->children.push_back(std::move(row));
    loopScope.emplace(*this, &loop);
  }
  scale.push_back(saturatingMul(scale.back(), trips));
  Result v = evalBlock(f->body, body, false);
  scale.pop_back();
  loopScope.reset();
  if (!v || !checkCarried(before, env, f->getLoc(), "'for' loop"))
    return std::nullopt;
  if (graph)
    traceLoop(f, *lo, *hi, loopIndex, carried, initial, holders, env);
  return Value::none();
}

Result Elaborator::evalRepeat(const RepeatStmt *r, Env &env) {
  auto n = evalInt(r->count.get(), env, "the repeat count");
  if (!n)
    return std::nullopt;
  if (*n < 1 || *n > 10000) {
    error(r->count->getLoc(), llvm::formatv("repeat count must be between "
                                            "1 and 10000, got {0}",
                                            *n));
    return std::nullopt;
  }
  for (int64_t k = 0; k < *n; ++k) {
    Env body(&env);
    if (r->var)
      body.vars[r->var->name] = Value::ofInt(k);
    unrollPath.push_back(k);
    bool ok = evalBlock(r->body, body, false).has_value();
    unrollPath.pop_back();
    if (!ok)
      return std::nullopt;
  }
  return Value::none();
}

Result Elaborator::evalStmt(const Stmt *s, Env &env, bool &produced) {
  switch (s->getKind()) {
  case Stmt::SK_Let:
    return evalLet(llvm::cast<LetStmt>(s), env);
  case Stmt::SK_Assign:
    return evalAssign(llvm::cast<AssignStmt>(s), env);
  case Stmt::SK_Expr: {
    Result v = eval(llvm::cast<ExprStmt>(s)->expr.get(), env);
    produced = true;
    return v;
  }
  case Stmt::SK_Input:
    error(s->getLoc(), "'input' is only allowed at the top of a model body");
    return std::nullopt;
  case Stmt::SK_Output: {
    auto *o = llvm::cast<OutputStmt>(s);
    if (!outputSlot) {
      error(s->getLoc(), "'output' is only allowed in a model body");
      return std::nullopt;
    }
    Result v = eval(o->value.get(), env);
    if (!v)
      return std::nullopt;
    outputSlot->push_back({o->name.name, *v});
    env.vars[o->name.name] = *v;
    return Value::none();
  }
  case Stmt::SK_Param:
  case Stmt::SK_State:
    if (!declareVar(llvm::cast<VarDeclStmt>(s), env))
      return std::nullopt;
    return Value::none();
  case Stmt::SK_For:
    return evalFor(llvm::cast<ForStmt>(s), env);
  case Stmt::SK_Repeat:
    return evalRepeat(llvm::cast<RepeatStmt>(s), env);
  case Stmt::SK_If: {
    produced = true;
    return eval(llvm::cast<IfStmt>(s)->ifExpr.get(), env);
  }
  case Stmt::SK_Yield: {
    if (!yieldSlot) {
      error(s->getLoc(), "'yield' is only allowed in a scan body");
      return std::nullopt;
    }
    Result v = eval(llvm::cast<YieldStmt>(s)->value.get(), env);
    if (!v)
      return std::nullopt;
    *yieldSlot = *v;
    return Value::none();
  }
  }
  return Value::none();
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

namespace {
/// Guards against layers that (indirectly) call themselves.
struct DepthCounter {
  unsigned &d;
  explicit DepthCounter(unsigned &d) : d(d) { ++d; }
  ~DepthCounter() { --d; }
};
} // namespace

Result Elaborator::runModelBody(InstanceRT &inst, Env &env,
                                std::vector<CallArg> *args, llvm::SMLoc loc) {
  std::vector<std::pair<std::string, Value>> outputs;
  auto *savedOut = outputSlot;
  outputSlot = &outputs;
  size_t nextArg = 0;
  Value last;
  bool bodyOk = true;
  for (const StmtPtr &s : inst.decl->body) {
    if (auto *in = llvm::dyn_cast<InputStmt>(s.get())) {
      Value v;
      if (args) {
        if (nextArg >= args->size()) {
          error(loc, "model '" + inst.decl->name.name +
                         "' needs a value for "
                         "input '" +
                         in->name.name + "'");
          outputSlot = savedOut;
          return std::nullopt;
        }
        v = (*args)[nextArg++].value;
        if (!matchType(in->type, v, env, (*args)[nextArg - 1].loc,
                       "model '" + inst.decl->name.name + "' input '" +
                           in->name.name + "'")) {
          outputSlot = savedOut;
          return std::nullopt;
        }
      } else {
        auto t = resolveType(in->type, env, /*bindFresh=*/true);
        if (!t) {
          outputSlot = savedOut;
          return std::nullopt;
        }
        v = Value::ofTensor(*t);
        trace(v, OpKind::Input, {}, in->name.loc());
        if (v.node) {
          v.node->name = in->name.name;
          graph->inputs.push_back(v.node);
        }
      }
      env.vars[in->name.name] = v;
      continue;
    }
    bodyOk &= runStatement(s.get(), env, last);
    if (diags.tooMany())
      break;
  }
  outputSlot = savedOut;
  if (!bodyOk)
    return std::nullopt;
  if (args && nextArg < args->size()) {
    error((*args)[nextArg].loc,
          llvm::formatv("model '{0}' takes {1} input(s) but {2} were given",
                        inst.decl->name.name, nextArg, args->size()));
    return std::nullopt;
  }
  inst.outputNames.clear();
  if (!outputs.empty()) {
    Value t;
    t.kind = Value::Tuple;
    for (auto &o : outputs) {
      inst.outputNames.push_back(o.first);
      t.elems.push_back(o.second);
    }
    return outputs.size() == 1 ? outputs[0].second : t;
  }
  if (last.isNone()) {
    error(inst.decl->name.loc(), "model '" + inst.decl->name.name +
                                     "' produces no value: end it with an "
                                     "expression or declare 'output' values");
    return std::nullopt;
  }
  inst.outputNames.push_back("output");
  return last;
}

Result Elaborator::applyInstance(const std::shared_ptr<InstanceRT> &inst,
                                 std::vector<CallArg> &args, llvm::SMLoc loc) {
  const CallableDecl &decl = *inst->decl;
  if (callDepth > 64) {
    error(loc, "layer calls nest more than 64 levels deep (does '" +
                   decl.name.name + "' call itself?)");
    return std::nullopt;
  }
  DepthCounter depthGuard(callDepth);
  CallFrame frame(diags, loc, decl.name.name);
  Env env(&globals);
  for (auto &kv : inst->hparams)
    env.vars[kv.first] = kv.second;
  ScopedInstance scope(*this, inst.get());
  Result out;
  if (decl.kind == CallableDecl::Model) {
    out = runModelBody(*inst, env, &args, loc);
  } else {
    size_t positional = 0;
    std::vector<const CallArg *> bound(decl.inputs.size(), nullptr);
    for (const CallArg &a : args) {
      size_t idx = positional;
      if (!a.name.empty()) {
        idx = decl.inputs.size();
        for (size_t k = 0; k < decl.inputs.size(); ++k)
          if (decl.inputs[k].name.name == a.name)
            idx = k;
        if (idx == decl.inputs.size()) {
          error(a.nameLoc,
                "'" + decl.name.name + "' has no input '" + a.name + "'");
          return std::nullopt;
        }
      } else {
        ++positional;
      }
      if (idx >= decl.inputs.size()) {
        error(a.loc,
              llvm::formatv("'{0}' takes {1} input{2} but {3} were "
                            "given",
                            decl.name.name, decl.inputs.size(),
                            decl.inputs.size() == 1 ? "" : "s", args.size()));
        return std::nullopt;
      }
      bound[idx] = &a;
    }
    for (size_t k = 0; k < decl.inputs.size(); ++k) {
      const ParamDecl &in = decl.inputs[k];
      CallArg dflt;
      if (!bound[k] && in.defaultValue) {
        Result v = eval(in.defaultValue.get(), globals);
        if (!v)
          return std::nullopt;
        dflt = {in.name.name, *v, in.defaultValue->getLoc(), {}, {}};
        bound[k] = &dflt;
      }
      if (!bound[k]) {
        error(loc, "'" + decl.name.name + "' needs a value for input '" +
                       in.name.name + "'");
        return std::nullopt;
      }
      std::string what = "'" + decl.name.name + "'";
      if (decl.inputs.size() > 1)
        what += " input '" + in.name.name + "'";
      if (in.type &&
          !matchType(*in.type, bound[k]->value, env, bound[k]->loc, what))
        return std::nullopt;
      env.vars[in.name.name] = bound[k]->value;
    }
    out = evalBlock(decl.body, env, true);
    if (out && out->isNone()) {
      error(decl.range.End, "the body of '" + decl.name.name +
                                "' must end with an expression (its result)");
      return std::nullopt;
    }
  }
  if (!out)
    return std::nullopt;
  if (decl.result && !matchType(*decl.result, *out, env, loc,
                                "the result of '" + decl.name.name + "'"))
    return std::nullopt;
  inst->applied = true;
  inst->info->calls += scale.back();
  inst->info->outputs.clear();
  if (out->kind == Value::Tensor)
    inst->info->outputs.push_back(out->type);
  for (const Value &e : out->elems)
    if (e.kind == Value::Tensor)
      inst->info->outputs.push_back(e.type);
  return out;
}

Result Elaborator::apply(const Value &callee, std::vector<CallArg> &args,
                         llvm::SMLoc loc, const Expr *calleeExpr) {
  switch (callee.kind) {
  case Value::Callable: {
    const CallableDecl &d = *callee.decl;
    if (d.kind == CallableDecl::Optimizer) {
      error(loc, "optimizer '" + d.name.name +
                     "' can only be used in an "
                     "'optimizer' clause of a train block");
      return std::nullopt;
    }
    if (d.kind == CallableDecl::Model || d.hasHParamList)
      return instantiate(d, args, loc, "", calleeExpr);
    std::vector<CallArg> none;
    Result inst = instantiate(d, none, loc, "", calleeExpr);
    if (!inst)
      return std::nullopt;
    return applyInstance(inst->inst, args, loc);
  }
  case Value::Instance:
    return applyInstance(callee.inst, args, loc);
  case Value::Builtin: {
    const BuiltinDef &b = *callee.builtin;
    std::vector<CallArg> slots(b.params.size());
    bool variadic = !b.params.empty() && llvm::StringRef(b.params[0]) == "*";
    if (variadic)
      return b.fn(*this, args, loc);
    size_t positional = 0;
    for (CallArg &a : args) {
      size_t idx = positional;
      if (!a.name.empty()) {
        idx = b.params.size();
        for (size_t k = 0; k < b.params.size(); ++k)
          if (llvm::StringRef(b.params[k]).rtrim('?') == a.name)
            idx = k;
        if (idx == b.params.size()) {
          std::vector<llvm::StringRef> names;
          for (const char *p : b.params)
            names.push_back(llvm::StringRef(p).rtrim('?'));
          llvm::StringRef near = closestMatch(a.name, names);
          error(a.nameLoc,
                "'" + std::string(b.name) + "' has no argument '" + a.name +
                    "'" +
                    (near.empty() ? std::string()
                                  : "; did you mean '" + near.str() + "'?"));
          return std::nullopt;
        }
      } else {
        ++positional;
      }
      if (idx >= b.params.size()) {
        error(a.loc,
              llvm::formatv("'{0}' takes at most {1} argument{2}", b.name,
                            b.params.size(), b.params.size() == 1 ? "" : "s"));
        return std::nullopt;
      }
      slots[idx] = a;
    }
    for (size_t k = 0; k < b.params.size(); ++k) {
      llvm::StringRef p(b.params[k]);
      if (slots[k].value.isNone() && !p.ends_with("?")) {
        error(loc, "'" + std::string(b.name) + "' needs an argument '" +
                       p.str() + "'");
        return std::nullopt;
      }
      if (slots[k].loc == llvm::SMLoc())
        slots[k].loc = loc;
    }
    if (!checkBuiltinAttrs(*this, b, slots))
      return std::nullopt;
    unsigned firstNode = nextNodeId;
    Result r = b.fn(*this, slots, loc);
    if (r && !checkSize(*r, loc))
      return std::nullopt;
    // Built-ins written in terms of an operator (matmul, maximum) already
    // traced themselves; the others get one node here.
    bool traced = r && r->node && r->node->id >= firstNode &&
                  r->node->op == b.kind && b.kind != OpKind::Where;
    if (r && graph && b.isOp() && !traced)
      traceBuiltin(b, slots, *r, loc);
    return r;
  }
  default:
    error(loc, callee.describe() + " is not callable");
    return std::nullopt;
  }
}

std::unique_ptr<InstanceInfo>
Elaborator::elaborateModel(const CallableDecl &model) {
  auto root = std::make_unique<InstanceInfo>();
  root->kind = model.name.name;
  root->name = model.name.name;
  modelRoot = root.get();
  auto inst = std::make_shared<InstanceRT>();
  inst->decl = &model;
  inst->info = root.get();
  std::vector<CallArg> none;
  if (!bindHParams(model, none, model.name.loc(), inst->hparams))
    return nullptr;
  Env env(&globals);
  for (auto &kv : inst->hparams)
    env.vars[kv.first] = kv.second;
  ScopedInstance scope(*this, inst.get());
  Result out = runModelBody(*inst, env, nullptr, model.name.loc());
  modelRoot = nullptr;
  if (!out)
    return nullptr;
  root->calls = 1;
  if (graph) {
    std::vector<Value> outs =
        out->kind == Value::Tuple ? out->elems : std::vector<Value>{*out};
    for (size_t k = 0; k < outs.size(); ++k) {
      NodePtr n = outs[k].kind == Value::Tensor
                      ? nodeOf(outs[k], outs[k].type.dtype, model.name.loc())
                      : nullptr;
      if (!n)
        unsupported(model.name.loc(), "model outputs must be tensors");
      graph->outputs.push_back({inst->outputNames.size() > k
                                    ? inst->outputNames[k]
                                    : "output" + std::to_string(k),
                                n});
    }
  }
  if (out->kind == Value::Tensor)
    root->outputs.push_back(out->type);
  for (const Value &e : out->elems)
    if (e.kind == Value::Tensor)
      root->outputs.push_back(e.type);
  return root;
}
