//===- CheckSession.cpp - Checking the sources of a REPL session ----------===//
//
// A REPL session is a list of sources (files loaded, definitions typed)
// checked together with every input. A later definition of a name replaces
// an earlier one, as redefining a function does in Python; a train block
// replaces the earlier one for the same model. Models and train blocks are
// elaborated only when asked for (the newest definition, `:summary`,
// `:train`), so that an expression typed at the prompt is checked in
// milliseconds.
//
//===----------------------------------------------------------------------===//
#include "parser/Parser.h"
#include "sema/Elaborator.h"
#include "sema/Loader.h"
#include "sema/Sema.h"

#include "llvm/ADT/StringExtras.h"

#include <set>

using namespace nnc;

/// The model a train block trains (`train Mlp(...) on`), "" for a custom
/// step without one.
static std::string trainedModel(const TrainDecl &t) {
  const Expr *e = t.model.get();
  if (auto *c = llvm::dyn_cast_or_null<CallExpr>(e))
    e = c->callee.get();
  if (auto *n = llvm::dyn_cast_or_null<NameExpr>(e))
    return n->name;
  return "";
}

/// Drops every callable, constant and train block that a later module
/// defines again.
static void keepNewest(std::vector<std::unique_ptr<Module>> &modules) {
  std::set<std::string> callables, consts, trains;
  for (auto m = modules.rbegin(); m != modules.rend(); ++m) {
    auto &cs = (*m)->callables;
    cs.erase(std::remove_if(cs.begin(), cs.end(),
                            [&](const std::unique_ptr<CallableDecl> &c) {
                              return !callables.insert(c->name.name).second;
                            }),
             cs.end());
    auto &ks = (*m)->consts;
    ks.erase(std::remove_if(ks.begin(), ks.end(),
                            [&](const ConstDecl &c) {
                              return !consts.insert(c.name.name).second;
                            }),
             ks.end());
    auto &ts = (*m)->trains;
    ts.erase(std::remove_if(ts.begin(), ts.end(),
                            [&](const std::unique_ptr<TrainDecl> &t) {
                              return !trains.insert(trainedModel(*t)).second;
                            }),
             ts.end());
    (*m)->mainBlock.reset(); // a loaded file's main block is not run
  }
}

/// Parses REPL statements from a buffer of their own.
static Block parseReplBuffer(const std::string &text, const std::string &name,
                             llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
                             llvm::SMLoc &start) {
  auto buf = llvm::MemoryBuffer::getMemBufferCopy(text, name);
  llvm::StringRef view = buf->getBuffer();
  srcMgr.AddNewSourceBuffer(std::move(buf), llvm::SMLoc());
  start = llvm::SMLoc::getFromPointer(view.data());
  Parser parser(view, name, diags);
  return parser.parseStatements();
}

/// Elaborates the models and checks the train blocks that were asked for.
static void checkChosen(Elaborator &el, Program &program,
                        const std::vector<std::unique_ptr<Module>> &modules,
                        const Module *last, const ReplRequest *repl,
                        const SemaOptions &opts) {
  for (const auto &m : modules)
    for (const auto &c : m->callables) {
      if (c->kind != CallableDecl::Model)
        continue;
      bool chosen = c->name.name == opts.modelName;
      if (!chosen && !(repl && repl->checkDefinitions && m.get() == last))
        continue;
      ModelGraph graph;
      el.graph = chosen ? &graph : nullptr;
      auto tree = el.elaborateModel(*c);
      el.graph = nullptr;
      if (chosen && tree) {
        program.model = std::move(tree);
        program.graph = std::make_unique<ModelGraph>(std::move(graph));
      }
    }
  for (const auto &m : modules)
    for (const auto &t : m->trains) {
      bool chosen = repl && !repl->trainModel.empty() &&
                    trainedModel(*t) == repl->trainModel;
      if (chosen || (repl && repl->checkDefinitions && m.get() == last))
        el.checkTrain(*t);
    }
}

std::unique_ptr<Program>
nnc::checkSession(const std::vector<SessionSource> &sources,
                  const ReplRequest *repl, const SemaOptions &opts,
                  llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  Loader loader(srcMgr, diags, opts.searchPaths);
  const Module *last = nullptr;
  for (const SessionSource &s : sources) {
    if (!loader.loadText(s.name, s.text))
      return nullptr;
    last = loader.modules.back().get();
  }
  if (diags.hadError())
    return nullptr;
  keepNewest(loader.modules);
  auto program = std::make_unique<Program>();
  program->dimValues = opts.dimValues;
  program->dimValues.values.emplace("B", 1);
  Elaborator el(diags, opts, *program);
  StdHints hints;
  if (!declareModules(el, loader.modules, nullptr, opts.searchPaths, hints,
                      diags))
    return nullptr;
  for (const auto &m : loader.modules)
    for (const auto &c : m->callables)
      if (c->kind == CallableDecl::Model)
        program->modelNames.push_back(c->name.name);
  checkChosen(el, *program, loader.modules, last, repl, opts);
  if (diags.hadError())
    return nullptr;
  if (repl) {
    std::vector<llvm::StringRef> names;
    el.globals.collectNames(names);
    for (llvm::StringRef n : names)
      program->repl.names.push_back(n.str());
  }
  if (repl && (!repl->input.empty() || !repl->preamble.empty())) {
    llvm::SMLoc preLoc, inLoc;
    Block pre =
        parseReplBuffer(repl->preamble, "<session>", srcMgr, diags, preLoc);
    Block in =
        parseReplBuffer(repl->input, repl->inputName, srcMgr, diags, inLoc);
    program->repl.names.clear();
    if (diags.hadError() || !el.checkRepl(pre, in, *repl, inLoc) ||
        diags.hadError())
      return nullptr;
  }
  return program;
}

std::vector<std::string> nnc::builtinFunctionNames() {
  std::vector<llvm::StringRef> names;
  builtinNames(names);
  return std::vector<std::string>(names.begin(), names.end());
}
