//===- ElabRepl.cpp - Checking what is typed at the REPL's prompt ---------===//
//
// `nnc repl` runs each input as a small `main` program: the tensors the
// session holds are its inputs, the `let`s it keeps (instances, data sets)
// are replayed, then the statements typed run. This file checks such a
// program and tells the REPL how to keep what the input bound: a tensor
// becomes a result of the program (stored after the run), a compile-time
// value or an instance is replayed before later inputs, and the final
// expression's value is shown.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/ADT/StringExtras.h"

using namespace nnc;

/// How the REPL shows a value that is not a tensor of the program.
static std::string replDescribe(const Value &v) {
  switch (v.kind) {
  case Value::Int:
    return std::to_string(v.i);
  case Value::Float:
    return formatNumber(v.f);
  case Value::Bool:
    return v.b ? "true" : "false";
  case Value::String:
    return "\"" + v.s + "\"";
  case Value::List:
  case Value::Tuple: {
    std::string r = v.kind == Value::Tuple ? "(" : "[";
    for (size_t k = 0; k < v.elems.size(); ++k)
      r += (k ? ", " : "") + replDescribe(v.elems[k]);
    return r + (v.kind == Value::Tuple ? ")" : "]");
  }
  case Value::Instance: {
    static const char *kinds[] = {"layer", "model", "fn", "optimizer"};
    const CallableDecl *d = v.inst->decl;
    return std::string("instance of ") + (d ? kinds[d->kind] : "layer") + " " +
           (d ? d->name.name : v.inst->info->kind);
  }
  case Value::Callable: {
    // The declaration's header: `layer dense(units: int)(x: ...) -> ...`.
    llvm::StringRef text(v.decl->range.Start.getPointer(),
                         v.decl->range.End.getPointer() -
                             v.decl->range.Start.getPointer());
    return text.take_until([](char c) { return c == '{'; }).trim().str();
  }
  case Value::Dataset: {
    std::string r = "data set " + v.dataset->name + " {";
    for (size_t k = 0; k < v.dataset->fields.size(); ++k)
      r += (k ? ", " : "") + v.dataset->fields[k].first + ": " +
           v.dataset->fields[k].second.str();
    return r + "}";
  }
  default:
    return v.describe();
  }
}

static bool isConstant(const Value &v) {
  if (v.kind == Value::List)
    return llvm::all_of(v.elems, isConstant);
  return v.isNumber() || v.kind == Value::Bool || v.kind == Value::String;
}

/// The source text of a statement.
static std::string textOf(const Stmt &s) {
  llvm::SMRange r = s.getRange();
  if (!r.isValid())
    return "";
  return std::string(r.Start.getPointer(), r.End.getPointer());
}

bool Elaborator::checkRepl(const Block &preamble, const Block &input,
                           const ReplRequest &req, llvm::SMLoc inputLoc) {
  ScratchRoot root("main");
  ScopedInstance scope(*this, &root.rt);
  Env env(&globals);
  ReplResult &out = program.repl;
  program.mainGraph = std::make_unique<ModelGraph>();
  ScopedGraph traced(*this, req.typeOnly ? nullptr : program.mainGraph.get());
  std::map<std::string, NodePtr> bound;
  for (const auto &[name, type] : req.tensors) {
    Value v = Value::ofTensor(type);
    trace(v, OpKind::Input, {}, inputLoc);
    if (v.node) {
      v.node->name = name;
      graph->inputs.push_back(v.node);
      bound[name] = v.node;
    }
    env.vars[name] = v;
  }
  Value last;
  bool ok = true;
  for (const StmtPtr &s : preamble)
    ok &= runStatement(s.get(), env, last);
  if (!ok)
    return false;
  for (size_t k = 0; k < input.size() && !diags.tooMany(); ++k) {
    const auto *e = llvm::dyn_cast<ExprStmt>(input[k].get());
    if (!e || k + 1 < input.size()) {
      ok &= runStatement(input[k].get(), env, last);
      continue;
    }
    Result v = eval(e->expr.get(), env);
    if (!v) {
      reportUnknownNames(e->expr.get(), env);
      return false;
    }
    if (v->kind == Value::Tensor) {
      out.valueIsTensor = true;
      out.valueType = v->type;
      if (graph) {
        out.valueOutput = int(graph->outputs.size());
        graph->outputs.push_back({"_", nodeOf(*v, v->type.dtype, e->getLoc())});
      }
    } else if (!v->isNone()) {
      out.hasValue = true;
      out.valueText = replDescribe(*v);
      bool described = v->kind == Value::Callable ||
                       v->kind == Value::Instance || v->kind == Value::Dataset;
      out.typeText = described ? out.valueText : v->describe();
    }
  }
  if (!ok || diags.hadError())
    return false;
  std::set<std::string> letNames;
  for (const StmtPtr &s : input) {
    const auto *let = llvm::dyn_cast<LetStmt>(s.get());
    if (!let)
      continue;
    for (const Ident &n : let->names) {
      letNames.insert(n.name);
      const Value *v = env.lookup(n.name);
      if (!v)
        continue;
      ReplResult::Binding b;
      b.name = n.name;
      b.text = textOf(*let);
      b.describe = replDescribe(*v);
      if (v->kind == Value::Tensor && v->node) {
        b.kind = ReplResult::Binding::Tensor;
        b.type = v->type;
        if (graph) {
          b.output = int(graph->outputs.size());
          graph->outputs.push_back({"let:" + n.name, v->node});
        }
      } else if (isConstant(*v)) {
        b.kind = ReplResult::Binding::Constant;
      } else if (v->kind == Value::Instance && v->inst->decl) {
        b.model = v->inst->decl->name.name;
      }
      out.bindings.push_back(b);
    }
  }
  // A session tensor the statements rebound (`x = x + 1`, a `for` loop).
  for (const auto &[name, node] : bound) {
    const Value *v = env.lookup(name);
    if (graph && !letNames.count(name) && v && v->kind == Value::Tensor &&
        v->node && v->node != node) {
      out.assigned.push_back({name, int(graph->outputs.size())});
      graph->outputs.push_back({"set:" + name, v->node});
    }
  }
  std::vector<llvm::StringRef> names;
  env.collectNames(names);
  for (llvm::StringRef n : names)
    out.names.push_back(n.str());
  return true;
}
