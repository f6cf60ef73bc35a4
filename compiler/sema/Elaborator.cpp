//===- Elaborator.cpp - Statements, layers and type matching --------------===//
//
// The core of sema: running statements, instantiating layers and models
// (binding hyper-parameters), applying them (binding input types, which is
// where symbolic dimensions are unified), declaring parameters, and the
// bookkeeping of FLOPs and activation sizes per instance.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace nnc;

std::string Value::describe() const {
  switch (kind) {
  case None:
    return "no value";
  case Int:
    return "int " + std::to_string(i);
  case Float:
    return "float " + formatNumber(f);
  case Bool:
    return b ? "bool true" : "bool false";
  case String:
    return "string \"" + s + "\"";
  case DimV:
    return "dimension " + dim.sym;
  case Tensor:
    return type.str();
  case Tuple:
  case List: {
    std::string r = kind == Tuple ? "(" : "[";
    for (size_t k = 0; k < elems.size(); ++k)
      r += (k ? ", " : "") + elems[k].describe();
    return r + (kind == Tuple ? ")" : "]");
  }
  case Callable: {
    static const char *kinds[] = {"layer", "model", "fn", "optimizer"};
    return std::string(kinds[decl->kind]) + " '" + decl->name.name + "'";
  }
  case Instance:
    return "layer instance '" + inst->info->name + "'";
  case Builtin:
    return "built-in '" + std::string(builtin->name) + "'";
  case Dataset:
    return "data set '" + dataset->name + "'";
  case Optimizer:
    return "optimizer '" + s + "'";
  }
  return "value";
}

Value *Env::lookup(const std::string &name) {
  for (Env *e = this; e; e = e->parent) {
    auto it = e->vars.find(name);
    if (it != e->vars.end())
      return &it->second;
  }
  return nullptr;
}

void Env::collectNames(std::vector<llvm::StringRef> &out) const {
  for (const Env *e = this; e; e = e->parent)
    for (const auto &kv : e->vars)
      out.push_back(kv.first);
}

std::string nnc::formatNumber(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

int64_t InstanceInfo::paramCount(bool trainable) const {
  int64_t n = 0;
  DimValues one;
  for (const ParamInfo &p : params)
    if (p.trainable == trainable)
      n = saturatingAdd(n, numElements(p.type, one));
  for (const auto &c : children)
    n = saturatingAdd(n, c->paramCount(trainable));
  return n;
}

void Elaborator::account(const char *op, int64_t flops, const Value &out) {
  int64_t bytes = 0;
  if (out.kind == Value::Tensor)
    bytes = saturatingMul(numElements(out.type, dimValues()),
                          dtypeBytes(out.type.dtype));
  flops = saturatingMul(flops, scale.back());
  bytes = saturatingMul(bytes, scale.back());
  // At the top level of the summarised model each op is its own row.
  if (op && !ctx.empty() && ctx.back()->info == modelRoot) {
    InstanceRT *root = ctx.back();
    auto row = std::make_unique<InstanceInfo>();
    row->kind = op;
    row->isBuiltin = true;
    row->name =
        std::string(op) + "_" + std::to_string(++root->childCounters[op]);
    if (out.kind == Value::Tensor)
      row->outputs.push_back(out.type);
    row->flops = flops;
    row->activationBytes = bytes;
    row->calls = 1;
    root->info->children.push_back(std::move(row));
  }
  for (InstanceRT *inst : ctx) {
    inst->info->flops = saturatingAdd(inst->info->flops, flops);
    inst->info->activationBytes =
        saturatingAdd(inst->info->activationBytes, bytes);
  }
}

bool Elaborator::checkSize(const Value &v, llvm::SMLoc loc) {
  auto fits = [&](const TensorType &t) {
    std::optional<int64_t> bytes = staticBytes(t);
    if (bytes && *bytes <= kMaxTensorBytes)
      return true;
    error(loc, t.str() + " is too large: " +
                   (bytes ? std::to_string(*bytes) + " bytes"
                          : std::string("its size in bytes overflows 64 "
                                        "bits")) +
                   " (a tensor may take at most 2^48 bytes, 256 TiB)");
    return false;
  };
  switch (v.kind) {
  case Value::Tensor:
    return fits(v.type);
  case Value::Tuple:
  case Value::List:
    return llvm::all_of(v.elems,
                        [&](const Value &e) { return checkSize(e, loc); });
  case Value::Dataset:
    return llvm::all_of(v.dataset->fields,
                        [&](const auto &f) { return fits(f.second); });
  default:
    return true;
  }
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

void Elaborator::addModule(const Module &m, bool isMain) {
  bool isStd =
      llvm::sys::path::filename(llvm::sys::path::parent_path(m.path)) == "std";
  for (const auto &c : m.callables) {
    if (isStd && diags.inLibrary(c->name.loc()))
      stdDecls.insert(c.get());
    Value *prev = globals.lookup(c->name.name);
    if (prev && prev->kind == Value::Callable) {
      diags.error(c->name.loc(), "'" + c->name.name + "' is already defined");
      diags.note(prev->decl->name.loc(), "previous definition is here");
      continue;
    }
    Value v;
    v.kind = Value::Callable;
    v.decl = c.get();
    globals.vars[c->name.name] = v;
    if (isMain && c->kind == CallableDecl::Model)
      mainModels.push_back(c.get());
  }
}

bool Elaborator::evalConsts(const Module &m) {
  bool ok = true;
  for (const ConstDecl &c : m.consts) {
    Result v = eval(c.value.get(), globals);
    if (!v) {
      ok = false;
      continue;
    }
    if (!v->isNumber() && v->kind != Value::Bool && v->kind != Value::String &&
        v->kind != Value::List) {
      error(c.value->getLoc(), "a top-level 'let' must be a compile-time "
                               "constant (number, bool, string or list); got " +
                                   v->describe());
      ok = false;
      continue;
    }
    if (!applyOverride(c.name.name, "", *v,
                       "the top-level 'let " + c.name.name + "'"))
      ok = false;
    globals.vars[c.name.name] = *v;
  }
  return ok;
}

static bool isHParamKind(llvm::StringRef n) {
  return n == "int" || n == "float" || n == "bool" || n == "string" ||
         n == "list";
}

bool nnc::coerceHParam(llvm::StringRef kind, Value &v) {
  if (kind == "int")
    return v.kind == Value::Int;
  if (kind == "float") {
    if (v.kind == Value::Int)
      v = Value::ofFloat(double(v.i));
    // A float known only at run time: a scalar the train step receives
    // (an annealed hyper-parameter, `schedule temperature = ...`).
    bool runTime = v.kind == Value::Tensor && v.type.dims.empty() &&
                   v.type.dtype == DType::F32;
    return v.kind == Value::Float || runTime;
  }
  if (kind == "bool")
    return v.kind == Value::Bool;
  if (kind == "string")
    return v.kind == Value::String;
  if (kind == "list")
    return v.kind == Value::List;
  return true;
}

bool Elaborator::checkDecl(const CallableDecl &decl) {
  bool ok = true;
  for (const ParamDecl &h : decl.hparams) {
    if (h.type && (!isHParamKind(h.type->name.name) || h.type->hasShape)) {
      error(
          h.type->range.Start,
          "hyper-parameter '" + h.name.name +
              "' must have type int, "
              "float, bool, string or list; tensors are inputs (write them in "
              "a second parameter list)");
      ok = false;
    }
    if (h.defaultValue) {
      Result v = eval(h.defaultValue.get(), globals);
      if (!v) {
        ok = false;
      } else if (h.type && !coerceHParam(h.type->name.name, *v)) {
        error(h.defaultValue->getLoc(), "default of '" + h.name.name +
                                            "' must be " + h.type->name.name +
                                            ", got " + v->describe());
        ok = false;
      }
    }
  }
  for (const ParamDecl &in : decl.inputs) {
    if (!in.type && decl.kind != CallableDecl::Optimizer) {
      error(in.name.loc(), "input '" + in.name.name + "' needs a type, e.g. '" +
                               in.name.name + ": f32[B, N]'");
      ok = false;
    } else if (in.type && !in.type->isTuple() &&
               !parseDType(in.type->name.name)) {
      error(in.type->range.Start,
            "unknown element type '" + in.type->name.name +
                "' (expected f32, f64, i32, i64 or bool)");
      ok = false;
    }
  }
  return ok;
}

bool Elaborator::bindHParams(const CallableDecl &decl,
                             std::vector<CallArg> &args, llvm::SMLoc loc,
                             std::map<std::string, Value> &out) {
  size_t positional = 0;
  bool ok = true;
  std::vector<llvm::StringRef> names;
  for (const ParamDecl &h : decl.hparams)
    names.push_back(h.name.name);
  for (CallArg &a : args) {
    const ParamDecl *h = nullptr;
    if (a.name.empty()) {
      if (positional >= decl.hparams.size()) {
        error(a.loc, llvm::formatv("'{0}' takes {1} hyper-parameter{2} but "
                                   "more were given",
                                   decl.name.name, decl.hparams.size(),
                                   decl.hparams.size() == 1 ? "" : "s"));
        return false;
      }
      h = &decl.hparams[positional++];
    } else {
      for (const ParamDecl &c : decl.hparams)
        if (c.name.name == a.name)
          h = &c;
      if (!h) {
        llvm::StringRef near = closestMatch(a.name, names);
        error(a.nameLoc,
              "'" + decl.name.name + "' has no hyper-parameter '" + a.name +
                  "'" +
                  (near.empty() ? std::string()
                                : "; did you mean '" + near.str() + "'?"));
        ok = false;
        continue;
      }
      if (out.count(h->name.name)) {
        error(a.nameLoc, "hyper-parameter '" + a.name + "' is given twice");
        ok = false;
        continue;
      }
    }
    Value v = a.value;
    if (h->type && !coerceHParam(h->type->name.name, v)) {
      error(a.loc, "hyper-parameter '" + h->name.name + "' of '" +
                       decl.name.name + "' must be " + h->type->name.name +
                       ", got " + a.value.describe());
      ok = false;
    } else if (stdDecls.count(&decl) &&
               !checkStdHParam(*this, decl.name.name, h->name.name, a)) {
      ok = false;
    }
    out[h->name.name] = v;
  }
  for (const ParamDecl &h : decl.hparams) {
    if (out.count(h.name.name) || !ok) // one error per call is enough
      continue;
    if (!h.defaultValue) {
      error(loc, "'" + decl.name.name +
                     "' needs a value for hyper-parameter '" + h.name.name +
                     "'");
      ok = false;
      continue;
    }
    Result v = eval(h.defaultValue.get(), globals);
    if (!v)
      return false;
    if (h.type)
      coerceHParam(h.type->name.name, *v);
    out[h.name.name] = *v;
  }
  if (ok && (decl.kind == CallableDecl::Model ||
             decl.kind == CallableDecl::Optimizer))
    for (const ParamDecl &h : decl.hparams)
      if (!applyOverride(h.name.name, h.type ? h.type->name.name : "",
                         out[h.name.name],
                         "hyper-parameter '" + h.name.name + "' of '" +
                             decl.name.name + "'"))
        return false;
  return ok;
}

Result Elaborator::instantiate(const CallableDecl &decl,
                               std::vector<CallArg> &args, llvm::SMLoc loc,
                               const std::string &name, const Expr *site) {
  if (ctx.empty()) {
    // Top-level `let`s and hyper-parameter defaults are compile-time
    // constants, evaluated before any model runs.
    error(loc, "'" + decl.name.name +
                   "' cannot be instantiated here: a top-level 'let' (or a "
                   "default value) is a compile-time constant; instantiate "
                   "it in a model, layer, train or main block");
    return std::nullopt;
  }
  InstanceRT *parent = ctx.back();
  std::pair<const Expr *, std::vector<int64_t>> key{site, unrollPath};
  if (site) {
    auto it = parent->sites.find(key);
    if (it != parent->sites.end())
      return it->second; // the parent is being applied again
  }
  CallFrame frame(diags, loc, decl.name.name);
  auto inst = std::make_shared<InstanceRT>();
  inst->decl = &decl;
  if (!bindHParams(decl, args, loc, inst->hparams))
    return std::nullopt;
  auto info = std::make_unique<InstanceInfo>();
  info->kind = decl.name.name;
  info->name =
      !name.empty()
          ? name
          : decl.name.name + "_" +
                std::to_string(++parent->childCounters[decl.name.name]);
  inst->info = info.get();
  parent->children[info->name] = inst;
  parent->info->children.push_back(std::move(info));
  Value v;
  v.kind = Value::Instance;
  v.inst = inst;
  if (site)
    parent->sites[key] = v;
  return v;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

/// Renders a written type with the dimensions bound so far substituted.
static std::string renderPattern(const TypeExpr &t, Env &env) {
  if (t.isTuple()) {
    std::string s = "(";
    for (size_t k = 0; k < t.elements.size(); ++k)
      s += (k ? ", " : "") + renderPattern(t.elements[k], env);
    return s + ")";
  }
  std::string s = t.name.name;
  if (!t.hasShape)
    return s;
  s += "[";
  for (size_t k = 0; k < t.dims.size(); ++k) {
    if (k)
      s += ", ";
    const DimExpr &d = t.dims[k];
    if (d.isEllipsis()) {
      s += "...";
    } else if (auto *n = llvm::dyn_cast<NameExpr>(d.expr.get())) {
      Value *v = env.lookup(n->name);
      s += v && v->kind == Value::Int    ? std::to_string(v->i)
           : v && v->kind == Value::DimV ? v->dim.sym
                                         : n->name;
    } else if (auto *i = llvm::dyn_cast<IntExpr>(d.expr.get())) {
      s += std::to_string(i->value);
    } else {
      s += "<expr>";
    }
  }
  return s + "]";
}

/// What a dimension name in a type means: null if unbound, or bound only
/// to a layer, model, function or built-in (`N` in `f32[..., N]` is a
/// symbol even where the program declares a model N).
static Value *symbolLookup(Env &env, const std::string &name) {
  Value *v = env.lookup(name);
  if (v && (v->kind == Value::Callable || v->kind == Value::Builtin ||
            v->kind == Value::Optimizer))
    return nullptr;
  return v;
}

std::optional<TensorType> Elaborator::resolveType(const TypeExpr &t, Env &env,
                                                  bool bindFresh) {
  if (t.isTuple()) {
    error(t.range.Start, "a tuple type is not allowed here");
    return std::nullopt;
  }
  auto dt = parseDType(t.name.name);
  if (!dt) {
    error(t.name.loc(), "unknown element type '" + t.name.name +
                            "' (expected f32, f64, i32, i64 or bool)");
    return std::nullopt;
  }
  TensorType out;
  out.dtype = *dt;
  for (const DimExpr &d : t.dims) {
    if (d.isEllipsis()) {
      if (bindFresh)
        continue;
      error(d.range.Start, "'...' is only allowed in the types of inputs");
      return std::nullopt;
    }
    if (auto *n = llvm::dyn_cast<NameExpr>(d.expr.get())) {
      if (!symbolLookup(env, n->name)) {
        if (!bindFresh) {
          error(d.range.Start,
                "dimension '" + n->name +
                    "' is not bound; "
                    "it must appear in an input type or be a hyper-parameter");
          return std::nullopt;
        }
        env.vars[n->name] = Value::ofDim(Dim::symbol(n->name));
      }
    }
    Result v = eval(d.expr.get(), env);
    if (!v)
      return std::nullopt;
    if (v->kind == Value::Int && v->i >= 1) {
      out.dims.push_back(Dim::constant(v->i));
    } else if (v->kind == Value::DimV) {
      out.dims.push_back(v->dim);
    } else if (v->kind == Value::Int) {
      // A hyper-parameter of 0 or less (dense(0)) used as a size.
      auto *n = llvm::dyn_cast<NameExpr>(d.expr.get());
      error(d.range.Start,
            (n ? "'" + n->name + "', a dimension of " : "a dimension of ") +
                renderPattern(t, env) + ", must be >= 1; got " +
                std::to_string(v->i));
      return std::nullopt;
    } else {
      error(d.range.Start, "a dimension must be a positive integer or a "
                           "symbol; got " +
                               v->describe());
      return std::nullopt;
    }
  }
  if (!checkSize(Value::ofTensor(out), t.range.Start))
    return std::nullopt;
  return out;
}

/// The earliest product of a tensor with more than two axes by a matrix
/// parameter (a dense layer applied to an image) that `n`'s value comes
/// from, through values of more than `want` axes; null if none.
static const Node *productOfUnflattened(const Node *n, size_t want) {
  const Node *best = nullptr;
  std::set<const Node *> seen;
  std::vector<const Node *> todo{n};
  while (!todo.empty() && seen.size() < 4096) {
    const Node *v = todo.back();
    todo.pop_back();
    if (!v || !seen.insert(v).second || v->type.rank() <= want)
      continue;
    if (v->op == OpKind::Matmul && v->inputs.size() == 2 &&
        v->inputs[0]->type.rank() > 2 && v->inputs[1]->type.rank() == 2 &&
        v->inputs[1]->op == OpKind::Param && (!best || v->id < best->id))
      best = v;
    for (const NodePtr &i : v->inputs)
      todo.push_back(i.get());
  }
  return best;
}

std::string Elaborator::rankHint(size_t want, const Value &actual) {
  size_t got = actual.type.rank();
  if (got < want)
    return " (reshape to add a dimension first?)";
  if (got == want)
    return "";
  // A dense layer on an un-flattened image keeps the image's axes; the
  // flatten belongs before that layer, not here.
  if (const Node *p = actual.node ? productOfUnflattened(actual.node.get(),
                                                         want)
                                  : nullptr) {
    llvm::SMLoc at = p->site.isValid() ? p->site : p->loc;
    auto lc = diags.lineAndColumn(at);
    pendingNote = {at, "this layer is applied to " +
                           p->inputs[0]->type.str() +
                           ", to each slice along the last axis; flatten "
                           "before it (x |> flatten |> ...)"};
    return " (the layer at line " + std::to_string(lc.first) +
           " kept the input's extra axes: flatten before it)";
  }
  return " (flatten first?)";
}

bool Elaborator::matchType(const TypeExpr &t, const Value &actual, Env &env,
                           llvm::SMLoc loc, const llvm::Twine &what) {
  auto fail = [&](const std::string &hint) {
    error(loc, what + " expects " + renderPattern(t, env) + " but got " +
                   actual.describe() + hint);
    if (pendingNote.first.isValid())
      diags.note(pendingNote.first, pendingNote.second);
    pendingNote = {};
    return false;
  };
  if (t.isTuple()) {
    if (actual.kind != Value::Tuple || actual.elems.size() != t.elements.size())
      return fail("");
    for (size_t k = 0; k < t.elements.size(); ++k)
      if (!matchType(t.elements[k], actual.elems[k], env, loc, what))
        return false;
    return true;
  }
  auto dt = parseDType(t.name.name);
  if (!dt) {
    if (isHParamKind(t.name.name)) {
      Value v = actual;
      return coerceHParam(t.name.name, v) || fail("");
    }
    error(t.name.loc(), "unknown element type '" + t.name.name + "'");
    return false;
  }
  TensorType got;
  if (actual.kind == Value::Tensor)
    got = actual.type;
  else if (actual.isNumber() && t.dims.empty())
    return true; // a compile-time number where a scalar tensor is expected
  else
    return fail("");
  if (got.dtype != *dt)
    return fail(isFloat(*dt) && !isFloat(got.dtype)
                    ? " (use cast(x, " + t.name.name + ")?)"
                    : "");
  size_t ell = t.dims.size();
  for (size_t k = 0; k < t.dims.size(); ++k)
    if (t.dims[k].isEllipsis())
      ell = k;
  bool hasEll = ell != t.dims.size();
  size_t fixed = t.dims.size() - (hasEll ? 1 : 0);
  if (hasEll ? got.rank() < fixed : got.rank() != fixed)
    return fail(rankHint(fixed, actual));
  for (size_t k = 0; k < t.dims.size(); ++k) {
    if (k == ell)
      continue;
    size_t gi = k < ell ? k : got.rank() - (t.dims.size() - k);
    const Dim &g = got.dims[gi];
    const Expr *de = t.dims[k].expr.get();
    if (auto *n = llvm::dyn_cast<NameExpr>(de)) {
      Value *bound = symbolLookup(env, n->name);
      if (!bound) {
        env.vars[n->name] = Value::ofDim(g); // first sight binds the symbol
        continue;
      }
      if (bound->kind == Value::Int && g.isConst() && bound->i == g.value)
        continue;
      if (bound->kind == Value::DimV && !g.isConst() && bound->dim == g)
        continue;
      if (bound->kind != Value::Int && bound->kind != Value::DimV) {
        error(t.dims[k].range.Start, "'" + n->name + "' is " +
                                         bound->describe() +
                                         ", not a dimension");
        return false;
      }
      return fail(llvm::formatv(" (dimension {0}: '{1}' is {2} but the "
                                "value has {3})",
                                gi, n->name,
                                bound->kind == Value::Int
                                    ? std::to_string(bound->i)
                                    : bound->dim.sym,
                                g.str())
                      .str() +
                  (g.isConst() && got.rank() > 2 && gi + 1 == got.rank()
                       ? " (flatten first?)"
                       : ""));
    }
    Result v = eval(de, env);
    if (!v)
      return false;
    if (v->kind == Value::Int && g.isConst() && v->i == g.value)
      continue;
    if (v->kind == Value::DimV && v->dim == g)
      continue;
    return fail(gi + 1 == got.rank() && got.rank() > 2 ? " (flatten first?)"
                                                       : "");
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

bool Elaborator::checkInitializer(const Expr *init, Env &env) {
  if (llvm::isa<IntExpr, FloatExpr>(init))
    return true;
  auto *call = llvm::dyn_cast<CallExpr>(init);
  auto *callee = call ? llvm::dyn_cast<NameExpr>(call->callee.get()) : nullptr;
  if (!callee) {
    error(init->getLoc(), "expected an initializer such as glorot_uniform(), "
                          "zeros() or normal(std: 0.02)");
    return false;
  }
  if (!isInitializerName(callee->name)) {
    std::vector<llvm::StringRef> names;
    initializerNames(names);
    llvm::StringRef near = closestMatch(callee->name, names);
    error(callee->getLoc(),
          "unknown initializer '" + callee->name + "'" +
              (near.empty() ? std::string("; see docs/language.md for the list")
                            : "; did you mean '" + near.str() + "'?"));
    return false;
  }
  for (const Arg &a : call->args) {
    Result v = eval(a.value.get(), env);
    if (!v)
      return false;
    if (!v->isNumber()) {
      error(a.value->getLoc(),
            "initializer arguments must be numbers; got " + v->describe());
      return false;
    }
  }
  return true;
}

std::vector<std::pair<std::string, Attr>>
Elaborator::initAttrs(const Expr *init, Env &env) {
  std::vector<std::pair<std::string, Attr>> attrs;
  Attr name;
  name.kind = Attr::String;
  if (auto *c = llvm::dyn_cast<CallExpr>(init)) {
    if (auto *n = llvm::dyn_cast<NameExpr>(c->callee.get()))
      name.s = n->name;
    attrs.push_back({"init", name});
    size_t k = 0;
    for (const Arg &a : c->args) {
      Result v = eval(a.value.get(), env);
      Attr f;
      f.kind = Attr::Float;
      f.f = v && v->isNumber() ? v->number() : 0;
      attrs.push_back({a.name ? a.name->name : "arg" + std::to_string(k), f});
      ++k;
    }
  } else if (Result v = eval(init, env); v && v->isNumber()) {
    name.s = "constant";
    attrs.push_back({"init", name});
    Attr f;
    f.kind = Attr::Float;
    f.f = v->number();
    attrs.push_back({"value", f});
  }
  return attrs;
}

bool Elaborator::declareVar(const VarDeclStmt *v, Env &env) {
  bool isParam = v->getKind() == Stmt::SK_Param;
  InstanceRT *inst = ctx.back();
  const char *kw = isParam ? "param" : "state";
  if (!inst->decl || inst->decl->kind == CallableDecl::Fn) {
    error(v->getLoc(), llvm::Twine("'") + kw +
                           "' is only allowed in a layer, model or optimizer"
                           " (a fn has no parameters; make it a layer)");
    return false;
  }
  TensorType type;
  if (v->type) {
    auto t = resolveType(*v->type, env, /*bindFresh=*/false);
    if (!t)
      return false;
    type = *t;
  }
  if (!v->init) {
    error(v->name.range.End, llvm::Twine("'") + kw + " " + v->name.name +
                                 "' needs an initializer, e.g. '= zeros()'");
    return false;
  }
  if (v->type) {
    if (!checkInitializer(v->init.get(), env))
      return false;
  } else {
    Result iv = eval(v->init.get(), env);
    if (!iv)
      return false;
    if (iv->kind != Value::Tensor) {
      error(v->getLoc(), llvm::Twine("'") + kw + " " + v->name.name +
                             "' needs a type, e.g. ': f32[N]'");
      return false;
    }
    type = iv->type;
  }
  auto it = inst->params.find(v->name.name);
  if (it != inst->params.end()) {
    if (it->second.type != type) {
      error(v->getLoc(), "shared layer '" + inst->info->name +
                             "' was first "
                             "applied with '" +
                             v->name.name + "' of type " +
                             it->second.type.str() + ", now it would be " +
                             type.str() +
                             "; shared weights need the same shapes");
      return false;
    }
  } else {
    std::string init;
    if (auto *c = llvm::dyn_cast<CallExpr>(v->init.get()))
      if (auto *n = llvm::dyn_cast<NameExpr>(c->callee.get()))
        init = n->name;
    inst->info->params.push_back({v->name.name, type, isParam, init});
    Value pv = Value::ofTensor(type);
    auto attrs = initAttrs(v->init.get(), env);
    if (graph && !checkpointInit(v->name.name, type, attrs))
      return false;
    trace(pv, isParam ? OpKind::Param : OpKind::State, {}, v->name.loc(),
          std::move(attrs));
    if (pv.node) {
      // The path of the parameter below the model: `dense_1.w`.
      std::string path;
      for (size_t k = 1; k < ctx.size(); ++k)
        if (!ctx[k]->info->isBuiltin && !ctx[k]->pathless)
          path += ctx[k]->info->name + "."; // loop rows are not in paths
      pv.node->name = path + v->name.name;
      graph->params.push_back(pv.node);
    }
    inst->params[v->name.name] = pv;
  }
  env.vars[v->name.name] = inst->params[v->name.name];
  return true;
}
