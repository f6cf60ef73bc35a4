//===- Sema.cpp - Running the checks of a file ----------------------------===//
//
// checkFile: loads a file with its modules (Loader.cpp), registers their
// declarations, evaluates constants, elaborates every model of the file
// and checks its train blocks and `main` block.
//
//===----------------------------------------------------------------------===//
#include "sema/Sema.h"
#include "parser/Parser.h"
#include "sema/Elaborator.h"
#include "sema/Loader.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace nnc;

std::vector<std::string> nnc::defaultSearchPaths(const char *argv0,
                                                 void *mainAddr) {
  std::vector<std::string> out;
  if (const char *env = std::getenv("NNC_PATH")) {
    llvm::SmallVector<llvm::StringRef, 4> parts;
    llvm::StringRef(env).split(parts, ':', -1, false);
    for (llvm::StringRef p : parts)
      out.push_back(p.str());
  }
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, mainAddr);
  llvm::StringRef bin = llvm::sys::path::parent_path(exe);
  llvm::StringRef prefix = llvm::sys::path::parent_path(bin);
  for (const char *rel : {"stdlib", "share/nnc/stdlib"}) {
    llvm::SmallString<256> p(prefix);
    llvm::sys::path::append(p, rel);
    if (llvm::sys::fs::is_directory(p))
      out.push_back(p.str().str());
  }
  return out;
}

/// Evaluates a command line's data-set expression in the file's scope
/// (built-in data sets, and the file's own `let`s).
static bool evalDataExpr(const std::string &text, Elaborator &el,
                         llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
                         Program &program) {
  auto buf = llvm::MemoryBuffer::getMemBufferCopy(text, "--data");
  llvm::StringRef view = buf->getBuffer();
  srcMgr.AddNewSourceBuffer(std::move(buf), llvm::SMLoc());
  Parser parser(view, "--data", diags);
  ExprPtr e = parser.parseWholeExpr();
  if (!e || diags.hadError())
    return false;
  Result v = el.eval(e.get(), el.globals);
  if (!v)
    return false;
  if (v->kind != Value::Dataset || !v->dataset) {
    diags.error(e->getLoc(), "--data must be a data set, e.g. "
                             "fashion_mnist(\"test\") or npy(\"x.npy\", "
                             "[28, 28]); got " +
                                 v->describe());
    return false;
  }
  if (v->dataset->source.empty()) {
    diags.error(e->getLoc(), "this data set cannot be loaded by the runtime");
    return false;
  }
  program.dataSource = v->dataset->source;
  program.dataFields = v->dataset->fields;
  return true;
}

std::unique_ptr<Program> nnc::checkFile(llvm::StringRef path,
                                        const SemaOptions &opts,
                                        llvm::SourceMgr &srcMgr,
                                        DiagnosticEngine &diags) {
  Loader loader(srcMgr, diags, opts.searchPaths);
  if (!loader.load(path.str(), nullptr) || diags.hadError())
    return nullptr;
  auto program = std::make_unique<Program>();
  program->dimValues = opts.dimValues;
  program->dimValues.values.emplace("B", 1); // per-sample figures
  Elaborator el(diags, opts, *program);
  const Module &mainModule = *loader.modules.back();
  StdHints hints;
  if (!declareModules(el, loader.modules, &mainModule, opts.searchPaths, hints,
                      diags))
    return nullptr;

  // Every model of the main file is elaborated, in source order; `summary`
  // shows the chosen one.
  const CallableDecl *chosen = nullptr;
  std::vector<const CallableDecl *> models;
  for (const auto &c : mainModule.callables)
    if (c->kind == CallableDecl::Model) {
      models.push_back(c.get());
      program->modelNames.push_back(c->name.name);
    }
  if (!opts.modelName.empty()) {
    for (const CallableDecl *m : models)
      if (m->name.name == opts.modelName)
        chosen = m;
    if (!chosen) {
      diags.error(
          "no model named '" + opts.modelName + "' in " + path.str() +
          (models.empty()
               ? std::string(" (it declares no model)")
               : " (models: " + llvm::join(program->modelNames, ", ") + ")"));
      return nullptr;
    }
  } else if (!mainModule.trains.empty() && mainModule.trains[0]->model) {
    const Expr *e = mainModule.trains[0]->model.get();
    if (auto *c = llvm::dyn_cast<CallExpr>(e))
      e = c->callee.get();
    if (auto *n = llvm::dyn_cast<NameExpr>(e))
      for (const CallableDecl *m : models)
        if (m->name.name == n->name)
          chosen = m;
  }
  if (!chosen && !models.empty())
    chosen = models.front();
  for (const CallableDecl *m : models) {
    ModelGraph graph;
    el.graph = m == chosen ? &graph : nullptr;
    auto tree = el.elaborateModel(*m);
    el.graph = nullptr;
    if (m == chosen) {
      program->model = std::move(tree);
      program->graph = std::make_unique<ModelGraph>(std::move(graph));
    }
  }
  if (diags.hadError())
    return nullptr;
  for (const auto &t : mainModule.trains)
    el.checkTrain(*t);
  if (mainModule.mainBlock)
    el.checkMain(*mainModule.mainBlock);
  if (diags.hadError() || !el.checkOverridesUsed())
    return nullptr;
  if (!opts.dataExpr.empty() && !evalDataExpr(opts.dataExpr, el, srcMgr,
                                              diags, *program))
    return nullptr;
  return program;
}
