//===- ElabExpr.cpp - Expressions: names, operators, calls, pipelines -----===//
//
// Evaluates expressions to compile-time values. Numbers fold; tensors are
// checked and get their result types (broadcasting, matrix products,
// indexing); calls dispatch to layers, models, fns and built-ins; a
// pipeline `x |> f(a)` feeds x as the first input of f.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <set>

using namespace nnc;

std::optional<int64_t> Elaborator::evalInt(const Expr *e, Env &env,
                                           llvm::StringRef what) {
  Result v = eval(e, env);
  if (!v)
    return std::nullopt;
  if (v->kind != Value::Int) {
    error(e->getLoc(), what +
                           " must be an integer known at compile time; "
                           "got " +
                           v->describe());
    return std::nullopt;
  }
  return v->i;
}

Result Elaborator::unknownName(const std::string &name, llvm::SMRange range,
                               Env &env) {
  std::vector<llvm::StringRef> names;
  env.collectNames(names);
  builtinNames(names);
  llvm::StringRef near = closestMatch(name, names);
  std::string hint;
  auto it = stdHints.find(name);
  if (it != stdHints.end())
    hint = "; it is defined in " + it->second->dotted() + ": add 'use " +
           it->second->dotted() + "'";
  else if (!near.empty())
    hint = "; did you mean '" + near.str() + "'?";
  reportedNames.insert(range.Start.getPointer());
  diags.error(range.Start, "unknown name '" + name + "'" + hint, range);
  return std::nullopt;
}

void Elaborator::reportUnknownNames(const Expr *e, Env &env) {
  if (!e)
    return;
  auto walk = [&](const Expr *x) { reportUnknownNames(x, env); };
  switch (e->getKind()) {
  case Expr::EK_Name: {
    auto *n = llvm::cast<NameExpr>(e);
    if (!env.lookup(n->name) && !parseDType(n->name) && n->name != "grad" &&
        !lookupBuiltin(n->name) && !isInitializerName(n->name) &&
        !reportedNames.count(e->getRange().Start.getPointer()))
      unknownName(n->name, e->getRange(), env);
    return;
  }
  case Expr::EK_Unary:
    return walk(llvm::cast<UnaryExpr>(e)->operand.get());
  case Expr::EK_Binary:
    walk(llvm::cast<BinaryExpr>(e)->lhs.get());
    return walk(llvm::cast<BinaryExpr>(e)->rhs.get());
  case Expr::EK_Pipe:
    walk(llvm::cast<PipeExpr>(e)->lhs.get());
    return walk(llvm::cast<PipeExpr>(e)->stage.get());
  case Expr::EK_Call:
    walk(llvm::cast<CallExpr>(e)->callee.get());
    for (const Arg &a : llvm::cast<CallExpr>(e)->args)
      walk(a.value.get());
    return;
  case Expr::EK_Member:
    return walk(llvm::cast<MemberExpr>(e)->base.get());
  case Expr::EK_Index:
    walk(llvm::cast<IndexExpr>(e)->base.get());
    for (const IndexItem &i : llvm::cast<IndexExpr>(e)->items)
      for (const Expr *p : {i.start.get(), i.stop.get(), i.stride.get()})
        walk(p);
    return;
  case Expr::EK_List:
    for (const ExprPtr &x : llvm::cast<ListExpr>(e)->elements)
      walk(x.get());
    return;
  case Expr::EK_Tuple:
    for (const ExprPtr &x : llvm::cast<TupleExpr>(e)->elements)
      walk(x.get());
    return;
  case Expr::EK_Range:
    walk(llvm::cast<RangeExpr>(e)->lo.get());
    return walk(llvm::cast<RangeExpr>(e)->hi.get());
  default:
    return; // blocks bind names of their own (if, scan, repeat)
  }
}

Result Elaborator::eval(const Expr *e, Env &env) {
  switch (e->getKind()) {
  case Expr::EK_Int:
    return Value::ofInt(llvm::cast<IntExpr>(e)->value);
  case Expr::EK_Float:
    return Value::ofFloat(llvm::cast<FloatExpr>(e)->value);
  case Expr::EK_String:
    return Value::ofString(llvm::cast<StringExpr>(e)->value);
  case Expr::EK_Bool:
    return Value::ofBool(llvm::cast<BoolExpr>(e)->value);
  case Expr::EK_Name: {
    auto *n = llvm::cast<NameExpr>(e);
    if (Value *v = env.lookup(n->name)) {
      if (v->poison)
        return std::nullopt; // already reported where it was defined
      return *v;
    }
    if (parseDType(n->name)) // element types are values: cast(x, f32)
      return Value::ofString(n->name);
    if (const BuiltinDef *b = lookupBuiltin(n->name)) {
      Value v;
      v.kind = Value::Builtin;
      v.builtin = b;
      return v;
    }
    return unknownName(n->name, e->getRange(), env);
  }
  case Expr::EK_Unary: {
    auto *u = llvm::cast<UnaryExpr>(e);
    Result v = eval(u->operand.get(), env);
    if (!v)
      return std::nullopt;
    if (u->op == '!') {
      if (v->kind == Value::Bool)
        return Value::ofBool(!v->b);
      if (v->kind == Value::Tensor && v->type.dtype == DType::Bool) {
        // !m is m == false.
        Value out = Value::ofTensor(v->type);
        account("eq", numElements(v->type, dimValues()), out);
        trace(out, OpKind::Eq,
              {v->node, nodeOf(Value::ofBool(false), DType::Bool, e->getLoc())},
              e->getLoc());
        return out;
      }
      error(e->getLoc(), "'!' needs a bool; got " + v->describe());
      return std::nullopt;
    }
    if (v->kind == Value::Int)
      return Value::ofInt(-v->i);
    if (v->kind == Value::Float)
      return Value::ofFloat(-v->f);
    if (v->kind == Value::Tensor && v->type.dtype != DType::Bool) {
      Value out = Value::ofTensor(v->type);
      account("neg", numElements(v->type, dimValues()), out);
      trace(out, OpKind::Neg, {v->node}, e->getLoc());
      return out;
    }
    error(e->getLoc(),
          "unary '-' needs a number or a tensor; got " + v->describe());
    return std::nullopt;
  }
  case Expr::EK_Binary: {
    auto *b = llvm::cast<BinaryExpr>(e);
    Result l = eval(b->lhs.get(), env);
    if (!l)
      return std::nullopt;
    Result r = eval(b->rhs.get(), env);
    if (!r)
      return std::nullopt;
    return binaryOp(b->op, *l, *r, b->opLoc);
  }
  case Expr::EK_Pipe: {
    auto *p = llvm::cast<PipeExpr>(e);
    Result in = eval(p->lhs.get(), env);
    if (!in)
      return std::nullopt;
    return applyStage(*in, p->stage.get(), env);
  }
  case Expr::EK_Call:
    return evalCall(llvm::cast<CallExpr>(e), env);
  case Expr::EK_Member:
    return evalMember(llvm::cast<MemberExpr>(e), env);
  case Expr::EK_Index:
    return evalIndex(llvm::cast<IndexExpr>(e), env);
  case Expr::EK_List:
  case Expr::EK_Tuple: {
    bool list = e->getKind() == Expr::EK_List;
    const auto &elts = list ? llvm::cast<ListExpr>(e)->elements
                            : llvm::cast<TupleExpr>(e)->elements;
    Value out;
    out.kind = list ? Value::List : Value::Tuple;
    for (const ExprPtr &x : elts) {
      Result v = eval(x.get(), env);
      if (!v)
        return std::nullopt;
      out.elems.push_back(*v);
    }
    return out;
  }
  case Expr::EK_If: {
    auto *i = llvm::cast<IfExpr>(e);
    Result c = eval(i->cond.get(), env);
    if (!c)
      return std::nullopt;
    if (c->kind != Value::Bool) {
      error(i->cond->getLoc(), "the condition of 'if' must be a bool known at "
                               "compile time (a hyper-parameter or constant); "
                               "got " +
                                   c->describe());
      return std::nullopt;
    }
    Env inner(&env);
    if (c->b)
      return evalBlock(i->thenBlock, inner, true);
    if (i->hasElse)
      return evalBlock(i->elseBlock, inner, true);
    return Value::none();
  }
  case Expr::EK_Scan:
    return evalScan(llvm::cast<ScanExpr>(e), env);
  case Expr::EK_Repeat:
    error(e->getLoc(), "'repeat N { ... }' is a pipeline stage here; write "
                       "'x |> repeat N { ... }'");
    return std::nullopt;
  case Expr::EK_Range:
    error(e->getLoc(), "a range 'a..b' is only allowed in a 'for' loop");
    return std::nullopt;
  }
  return std::nullopt;
}

bool Elaborator::evalArgs(const std::vector<Arg> &args, Env &env,
                          std::vector<CallArg> &out) {
  for (const Arg &a : args) {
    Result v = eval(a.value.get(), env);
    if (!v)
      return false;
    out.push_back({a.name ? a.name->name : "", *v, a.value->getLoc(),
                   a.name ? a.name->loc() : a.value->getLoc(),
                   a.value->getRange()});
  }
  return true;
}

Result Elaborator::evalCall(const CallExpr *c, Env &env) {
  // grad(expr, wrt) and opt.minimize(loss) need their arguments unevaluated
  // or checked specially.
  if (auto *n = llvm::dyn_cast<NameExpr>(c->callee.get()))
    if (n->name == "grad" && !env.lookup("grad"))
      return evalGrad(c, env);
  if (auto *m = llvm::dyn_cast<MemberExpr>(c->callee.get())) {
    Result base = eval(m->base.get(), env);
    if (!base)
      return std::nullopt;
    if (base->kind == Value::Optimizer) {
      if (m->member.name != "minimize") {
        error(m->member.loc(), "an optimizer has one method, 'minimize(loss)'");
        return std::nullopt;
      }
      if (c->args.size() != 1) {
        error(c->getLoc(), "'minimize' takes one argument, the loss");
        return std::nullopt;
      }
      Result loss = eval(c->args[0].value.get(), env);
      if (!loss)
        return std::nullopt;
      if (loss->kind != Value::Tensor || !loss->type.isScalar() ||
          !isFloat(loss->type.dtype)) {
        error(c->args[0].value->getLoc(),
              "the loss to minimize must be a float scalar; got " +
                  loss->describe() + " (take the mean?)");
        return std::nullopt;
      }
      if (auto *opt = llvm::dyn_cast<NameExpr>(m->base.get());
          opt && minimized && loss->node)
        minimized->push_back({opt->name, loss->node});
      return Value::none();
    }
  }
  Result callee = eval(c->callee.get(), env);
  if (!callee)
    return std::nullopt;
  std::vector<CallArg> args;
  if (!evalArgs(c->args, env, args))
    return std::nullopt;
  return apply(*callee, args, c->getLoc(), c->callee.get());
}

Result Elaborator::applyStage(const Value &input, const Expr *stage, Env &env) {
  if (auto *p = llvm::dyn_cast<PipeExpr>(stage)) {
    Result mid = applyStage(input, p->lhs.get(), env);
    if (!mid)
      return std::nullopt;
    return applyStage(*mid, p->stage.get(), env);
  }
  if (auto *r = llvm::dyn_cast<RepeatExpr>(stage)) {
    auto n = evalInt(r->count.get(), env, "the repeat count");
    if (!n)
      return std::nullopt;
    if (*n < 1 || *n > 10000) {
      error(r->count->getLoc(), "repeat count must be between 1 and 10000");
      return std::nullopt;
    }
    Value v = input;
    for (int64_t k = 0; k < *n; ++k) {
      unrollPath.push_back(k);
      Result next = applyStage(v, r->stages.get(), env);
      unrollPath.pop_back();
      if (!next)
        return std::nullopt;
      v = *next;
    }
    return v;
  }
  std::vector<CallArg> args{{"", input, stage->getLoc(), {}, {}}};
  if (auto *c = llvm::dyn_cast<CallExpr>(stage)) {
    Result callee = eval(c->callee.get(), env);
    if (!callee)
      return std::nullopt;
    bool curried = callee->kind == Value::Instance ||
                   (callee->kind == Value::Callable &&
                    (callee->decl->kind == CallableDecl::Model ||
                     callee->decl->hasHParamList));
    std::vector<CallArg> rest;
    if (!evalArgs(c->args, env, rest))
      return std::nullopt;
    if (!curried) {
      // `x |> maxpool(2)` is `maxpool(x, 2)`.
      for (CallArg &a : rest)
        args.push_back(a);
      return apply(*callee, args, c->getLoc(), c->callee.get());
    }
    // `x |> dense(10)` is `dense(10)(x)`.
    Result inst = apply(*callee, rest, c->getLoc(), c->callee.get());
    if (!inst)
      return std::nullopt;
    return apply(*inst, args, c->getLoc(), c);
  }
  Result callee = eval(stage, env);
  if (!callee)
    return std::nullopt;
  if (callee->kind == Value::Callable &&
      (callee->decl->kind == CallableDecl::Model ||
       callee->decl->hasHParamList)) {
    // `x |> dense` with all hyper-parameters defaulted.
    std::vector<CallArg> none;
    Result inst = instantiate(*callee->decl, none, stage->getLoc(), "", stage);
    if (!inst)
      return std::nullopt;
    return apply(*inst, args, stage->getLoc(), stage);
  }
  return apply(*callee, args, stage->getLoc(), stage);
}

Result Elaborator::evalMember(const MemberExpr *m, Env &env) {
  Result base = eval(m->base.get(), env);
  if (!base)
    return std::nullopt;
  const std::string &name = m->member.name;
  if (base->kind == Value::Instance) {
    InstanceRT &inst = *base->inst;
    auto p = inst.params.find(name);
    if (p != inst.params.end())
      return p->second;
    auto h = inst.hparams.find(name);
    if (h != inst.hparams.end())
      return h->second;
    if (auto c = inst.children.find(name); c != inst.children.end()) {
      Value v;
      v.kind = Value::Instance;
      v.inst = c->second;
      return v;
    }
    error(m->member.loc(),
          "'" + inst.info->name +
              "' has no parameter, hyper-parameter or layer '" +
              name + "'" +
              (inst.applied ? ""
                            : " (it has not been applied "
                              "yet, so it has no parameters)"));
    return std::nullopt;
  }
  if (base->kind == Value::Dataset) {
    for (auto &f : base->dataset->fields)
      if (f.first == name) {
        Value v = Value::ofTensor(f.second);
        if (graph) {
          DatasetRT &ds = *base->dataset;
          // In a main block each data set has its own number of samples:
          // its own batch symbol (B, B2, ...), shared by its fields.
          if (graph == program.mainGraph.get() && !v.type.dims.empty() &&
              !v.type.dims[0].isConst() && !ds.source.empty()) {
            std::string sym =
                mainBatchSymbols.size() ? "B" + std::to_string(
                                                    mainBatchSymbols.size() + 1)
                                        : "B";
            v.type.dims[0] =
                Dim::symbol(mainBatchSymbols.emplace(ds.source, sym).first->second);
          }
          if (ds.source.empty()) {
            unsupported(m->getLoc(), "code generation cannot load data set '" +
                                         ds.name + "' yet");
          } else if (ds.fieldNodes.count(name)) {
            v.node = ds.fieldNodes[name];
          } else {
            Attr src;
            src.kind = Attr::String;
            src.s = ds.source + ":" + name;
            trace(v, OpKind::Data, {}, m->getLoc(), {{"source", src}});
            v.node->name = src.s; // unique across data sets
            graph->inputs.push_back(v.node);
            ds.fieldNodes[name] = v.node;
          }
        }
        return v;
      }
    error(m->member.loc(),
          "data set '" + base->dataset->name + "' has no field '" + name + "'");
    return std::nullopt;
  }
  if (base->kind == Value::Tensor && name == "T") {
    if (base->type.rank() < 2) {
      error(m->member.loc(), "'.T' needs a tensor of rank 2 or more");
      return std::nullopt;
    }
    Value v = Value::ofTensor(base->type);
    std::swap(v.type.dims[v.type.rank() - 1], v.type.dims[v.type.rank() - 2]);
    account("transpose", 0, v);
    Attr perm;
    perm.kind = Attr::IntList;
    for (unsigned k = 0; k < v.type.rank(); ++k)
      perm.list.push_back(k);
    std::swap(perm.list[v.type.rank() - 1], perm.list[v.type.rank() - 2]);
    trace(v, OpKind::Transpose, {base->node}, m->member.loc(), {{"perm", perm}});
    return v;
  }
  error(m->member.loc(), base->describe() + " has no member '" + name + "'");
  return std::nullopt;
}

Result Elaborator::evalIndex(const IndexExpr *ix, Env &env) {
  Result base = eval(ix->base.get(), env);
  if (!base)
    return std::nullopt;
  if (base->kind == Value::Tuple || base->kind == Value::List) {
    if (ix->items.size() != 1 || ix->items[0].isSlice ||
        ix->items[0].isEllipsis) {
      error(ix->getLoc(), "a tuple or list takes one integer index");
      return std::nullopt;
    }
    auto k = evalInt(ix->items[0].start.get(), env, "a tuple index");
    if (!k)
      return std::nullopt;
    int64_t n = base->elems.size();
    if (*k < -n || *k >= n) {
      error(ix->items[0].range.Start,
            llvm::formatv("index {0} is out of range for {1} elements", *k, n));
      return std::nullopt;
    }
    return base->elems[*k < 0 ? *k + n : *k];
  }
  if (base->kind != Value::Tensor) {
    error(ix->getLoc(), "cannot index " + base->describe());
    return std::nullopt;
  }
  const TensorType &t = base->type;
  size_t consumed = 0;
  for (const IndexItem &it : ix->items)
    consumed += it.isEllipsis ? 0 : 1;
  if (consumed > t.rank()) {
    error(ix->getLoc(),
          llvm::formatv("too many indices ({0}) for {1}", consumed, t.str()));
    return std::nullopt;
  }
  TensorType out{t.dtype, {}};
  size_t d = 0;
  // Per source dimension: start, size (-1 = all of a symbolic dim), stride;
  // and which dimensions an integer index drops.
  Attr starts, sizes, strides, squeeze;
  starts.kind = sizes.kind = strides.kind = squeeze.kind = Attr::IntList;
  auto keepWhole = [&](const Dim &dim) {
    starts.list.push_back(0);
    sizes.list.push_back(dim.isConst() ? dim.value : -1);
    strides.list.push_back(1);
    out.dims.push_back(dim);
  };
  for (const IndexItem &it : ix->items) {
    if (it.isEllipsis) {
      size_t skip = t.rank() - consumed;
      for (size_t k = 0; k < skip; ++k)
        keepWhole(t.dims[d++]);
      continue;
    }
    const Dim &dim = t.dims[d++];
    auto bound = [&](const ExprPtr &e, int64_t dflt) -> std::optional<int64_t> {
      if (!e)
        return dflt;
      return evalInt(e.get(), env, "an index");
    };
    if (!it.isSlice) {
      auto k = bound(it.start, 0);
      if (!k)
        return std::nullopt;
      if (dim.isConst() && (*k >= dim.value || *k < -dim.value)) {
        error(it.range.Start, llvm::formatv("index {0} is out of range for "
                                            "dimension {1} of size {2}",
                                            *k, d - 1, dim.value));
        return std::nullopt;
      }
      // An integer index drops the dimension.
      starts.list.push_back(*k < 0 ? *k + dim.value : *k);
      sizes.list.push_back(1);
      strides.list.push_back(1);
      squeeze.list.push_back(d - 1);
      continue;
    }
    if (!it.start && !it.stop && !it.stride) {
      keepWhole(dim);
      continue;
    }
    auto stride = bound(it.stride, 1);
    if (!stride)
      return std::nullopt;
    if (*stride <= 0) {
      error(it.range.Start, "a slice stride must be positive");
      return std::nullopt;
    }
    if (!dim.isConst() && (!it.start || !it.stop)) {
      error(it.range.Start, "cannot slice the symbolic dimension " + dim.sym +
                                " with an open bound; give both bounds");
      return std::nullopt;
    }
    int64_t size = dim.isConst() ? dim.value : 0;
    auto lo = bound(it.start, 0), hi = bound(it.stop, size);
    if (!lo || !hi)
      return std::nullopt;
    int64_t l = *lo < 0 ? *lo + size : *lo, h = *hi < 0 ? *hi + size : *hi;
    if (dim.isConst())
      h = std::min(h, size);
    if (l < 0 || h < l) {
      error(it.range.Start, llvm::formatv("the slice {0}:{1} is empty or out "
                                          "of range",
                                          *lo, *hi));
      return std::nullopt;
    }
    int64_t n = (h - l + *stride - 1) / *stride;
    out.dims.push_back(Dim::constant(n));
    starts.list.push_back(l);
    sizes.list.push_back(n);
    strides.list.push_back(*stride);
  }
  for (; d < t.rank(); ++d)
    keepWhole(t.dims[d]);
  Value v = Value::ofTensor(out);
  account("slice", 0, v);
  trace(v, OpKind::Slice, {base->node}, ix->getLoc(),
        {{"starts", starts},
         {"sizes", sizes},
         {"strides", strides},
         {"squeeze", squeeze}});
  return v;
}

Result Elaborator::evalScan(const ScanExpr *s, Env &env) {
  Result seq = eval(s->sequence.get(), env);
  if (!seq)
    return std::nullopt;
  if (seq->kind != Value::Tensor || seq->type.rank() < 1) {
    error(s->sequence->getLoc(),
          "scan needs a tensor sequence; got " + seq->describe());
    return std::nullopt;
  }
  int64_t axis = 1;
  if (s->axis) {
    auto a = evalInt(s->axis.get(), env, "the scan axis");
    if (!a)
      return std::nullopt;
    axis = *a;
  }
  int64_t rank = seq->type.rank();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank) {
    error(s->getLoc(), llvm::formatv("scan axis {0} is out of range for {1}",
                                     axis, seq->type.str()));
    return std::nullopt;
  }
  Dim len = seq->type.dims[axis];
  TensorType slice = seq->type;
  slice.dims.erase(slice.dims.begin() + axis);
  Env body(&env);
  // For the graph, the body sees placeholders for the slice and the
  // carried values (see traceScan).
  std::vector<NodePtr> inits, holders;
  for (const CarryBinding &c : s->carries) {
    Result v = eval(c.init.get(), env);
    if (!v)
      return std::nullopt;
    if (graph) {
      if (v->kind != Value::Tensor) {
        unsupported(c.init->getLoc(), "code generation needs tensor carries "
                                      "in a scan");
      } else {
        inits.push_back(nodeOf(*v, v->type.dtype, c.init->getLoc()));
        Value p = Value::ofTensor(v->type);
        trace(p, OpKind::LoopCarried, {}, c.name.loc());
        holders.push_back(p.node);
        v = p;
      }
    }
    body.vars[c.name.name] = *v;
  }
  if (graph) {
    std::set<std::string> assigned;
    collectAssigned(s->body, assigned);
    for (const std::string &name : assigned) {
      bool carried = false;
      for (const CarryBinding &c : s->carries)
        carried |= c.name.name == name;
      if (!carried)
        unsupported(s->getLoc(), "code generation needs every variable a scan "
                                 "body updates to be a carry ('" +
                                     name +
                                     "' "
                                     "is not)");
    }
  }
  Snapshot before = snapshot(body);
  body.vars[s->var.name] = Value::ofTensor(slice);
  NodePtr sliceHolder;
  if (graph) {
    trace(body.vars[s->var.name], OpKind::ScanSlice, {}, s->var.loc());
    sliceHolder = body.vars[s->var.name].node;
  }
  std::optional<Value> yielded;
  auto *saved = yieldSlot;
  yieldSlot = &yielded;
  scale.push_back(saturatingMul(scale.back(), dimValues().get(len)));
  Result r = evalBlock(s->body, body, false);
  scale.pop_back();
  yieldSlot = saved;
  if (!r)
    return std::nullopt;
  before.erase(s->var.name);
  if (!checkCarried(before, body, s->getLoc(), "scan"))
    return std::nullopt;
  if (!yielded) {
    error(s->getLoc(), "a scan body must 'yield' the value to stack");
    return std::nullopt;
  }
  auto stack = [&](const Value &v) -> Result {
    if (v.kind != Value::Tensor) {
      error(s->getLoc(), "scan can only stack tensors; got " + v.describe());
      return std::nullopt;
    }
    Value out = v;
    int64_t at = std::min<int64_t>(axis, out.type.rank());
    out.type.dims.insert(out.type.dims.begin() + at, len);
    return out;
  };
  std::vector<Value> ys = yielded->kind == Value::Tuple
                              ? yielded->elems
                              : std::vector<Value>{*yielded};
  std::vector<Value> stacked;
  for (const Value &e : ys) {
    Result st = stack(e);
    if (!st)
      return std::nullopt;
    stacked.push_back(*st);
  }
  if (graph && seq->node) {
    // One "scan" node: inputs = sequence and initial carries; body = the
    // slice and carry placeholders -> final carries and yielded values.
    Value loop = Value::ofTensor(TensorType{DType::I64, {}});
    std::vector<NodePtr> inputs{seq->node};
    inputs.insert(inputs.end(), inits.begin(), inits.end());
    Attr ax;
    ax.i = axis;
    trace(loop, OpKind::Scan, inputs, s->getLoc(), {{"axis", ax}});
    loop.node->bodyArgs.push_back(sliceHolder);
    loop.node->bodyArgs.insert(loop.node->bodyArgs.end(), holders.begin(),
                               holders.end());
    for (const CarryBinding &c : s->carries)
      loop.node->bodyResults.push_back(body.vars[c.name.name].node);
    for (const Value &y : ys)
      loop.node->bodyResults.push_back(y.node);
    for (size_t k = 0; k < stacked.size(); ++k) {
      Attr idx;
      idx.i = holders.size() + k;
      trace(stacked[k], OpKind::LoopResult, {loop.node}, s->getLoc(),
            {{"index", idx}});
    }
  }
  if (yielded->kind == Value::Tuple) {
    Value out;
    out.kind = Value::Tuple;
    out.elems = stacked;
    return out;
  }
  return stacked[0];
}

Result Elaborator::evalGrad(const CallExpr *c, Env &env) {
  if (c->args.size() != 2) {
    error(c->getLoc(), "grad takes two arguments: grad(scalar_expr, wrt)");
    return std::nullopt;
  }
  Result wrt = eval(c->args[1].value.get(), env);
  if (!wrt)
    return std::nullopt;
  Result f = eval(c->args[0].value.get(), env);
  if (!f)
    return std::nullopt;
  if (f->kind != Value::Tensor || !f->type.isScalar() ||
      !isFloat(f->type.dtype)) {
    error(c->args[0].value->getLoc(),
          "grad needs a float scalar to differentiate; got " + f->describe() +
              (f->kind == Value::Tensor ? " (sum or mean it first?)" : ""));
    return std::nullopt;
  }
  auto check = [&](const Value &w) {
    if (w.kind == Value::Tensor && isFloat(w.type.dtype))
      return true;
    error(c->args[1].value->getLoc(), "grad is taken with respect to float "
                                      "tensors; got " +
                                          w.describe());
    return false;
  };
  if (wrt->kind == Value::Tuple || wrt->kind == Value::List) {
    // One gradient per tensor, each its own `grad` node: after inlining,
    // CSE merges the forward and backward work they share.
    Value out = *wrt;
    for (Value &w : out.elems) {
      if (!check(w))
        return std::nullopt;
      const NodePtr wn = w.node;
      w.node = nullptr;
      if (f->node && wn)
        trace(w, OpKind::Grad, {f->node, wn}, c->getLoc());
      account(nullptr, 0, w);
    }
    return out;
  }
  if (!check(*wrt))
    return std::nullopt;
  // The gradient has the type of what it is taken with respect to; MLIRGen
  // differentiates f's graph with respect to w's node.
  Value out = *wrt;
  out.node = nullptr;
  if (wrt->kind == Value::Tensor && f->node && wrt->node)
    trace(out, OpKind::Grad, {f->node, wrt->node}, c->getLoc());
  account(nullptr, 0, out);
  return out;
}
