//===- Sema.cpp - Loading modules and running the checks ------------------===//
//
// Resolves `use a.b` to `a/b.nn`, looked up next to the importing file, then
// in each search path (NNC_PATH entries, then the stdlib next to the
// binary). Modules are loaded depth-first so that a module's dependencies
// are registered before it; a `use` cycle is reported with the whole chain.
//
//===----------------------------------------------------------------------===//
#include "sema/Sema.h"
#include "parser/Parser.h"
#include "sema/Elaborator.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace nnc;

namespace {
class Loader {
public:
  Loader(llvm::SourceMgr &sm, DiagnosticEngine &diags,
         const std::vector<std::string> &paths)
      : sm(sm), diags(diags), searchPaths(paths) {}

  /// Loads `path`; `from` is the `use` that asked for it (null for main).
  /// A `library` module (found on a search path) gets its errors reported
  /// where user code calls into it.
  bool load(const std::string &path, const UseDecl *from,
            bool library = false);
  /// The file of `use`; `library` tells whether it came from a search path
  /// rather than the importer's folder.
  std::string resolve(const UseDecl &use, llvm::StringRef importer,
                      std::vector<std::string> &tried, bool &library);

  std::vector<std::unique_ptr<Module>> modules; ///< dependencies first
  std::vector<std::string> stack;               ///< files being loaded

private:
  llvm::SourceMgr &sm;
  DiagnosticEngine &diags;
  const std::vector<std::string> &searchPaths;
  std::map<std::string, bool> done;
};
} // namespace

std::string Loader::resolve(const UseDecl &use, llvm::StringRef importer,
                            std::vector<std::string> &tried, bool &library) {
  llvm::SmallString<128> rel;
  for (size_t k = 0; k < use.path.size(); ++k)
    llvm::sys::path::append(rel, use.path[k].name);
  rel += ".nn";
  std::vector<std::string> roots;
  roots.push_back(llvm::sys::path::parent_path(importer).str());
  roots.insert(roots.end(), searchPaths.begin(), searchPaths.end());
  for (size_t k = 0; k < roots.size(); ++k) {
    llvm::SmallString<256> p(roots[k].empty() ? "." : roots[k]);
    llvm::sys::path::append(p, rel);
    tried.push_back(p.str().str());
    library = k > 0;
    if (llvm::sys::fs::is_regular_file(p))
      return p.str().str();
  }
  return "";
}

bool Loader::load(const std::string &path, const UseDecl *from,
                  bool library) {
  llvm::SmallString<256> real;
  if (llvm::sys::fs::real_path(path, real))
    real = path;
  std::string key = real.str().str();
  if (done.count(key)) {
    if (done[key])
      return true;
    std::string chain;
    bool inCycle = false;
    for (const std::string &s : stack) {
      inCycle |= s == key;
      if (inCycle)
        chain += llvm::sys::path::filename(s).str() + " -> ";
    }
    chain += llvm::sys::path::filename(key).str();
    diags.error(from->range.Start, "cyclic 'use': " + chain);
    return false;
  }
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/true);
  if (!buf) {
    if (from)
      diags.error(from->range.Start, "cannot read module file '" + path +
                                         "': " + buf.getError().message());
    else
      diags.error("cannot read '" + path + "': " + buf.getError().message());
    return false;
  }
  if (llvm::sys::fs::is_directory(path)) {
    diags.error("'" + path + "' is a directory, not a .nn file");
    return false;
  }
  done[key] = false;
  stack.push_back(key);
  llvm::StringRef text = (*buf)->getBuffer();
  unsigned id = sm.AddNewSourceBuffer(std::move(*buf), llvm::SMLoc());
  if (library)
    diags.markLibrary(id);
  std::unique_ptr<Module> m = parseBuffer(text, path, diags);
  bool ok = true;
  for (const UseDecl &u : m->uses) {
    std::vector<std::string> tried;
    bool fromLibrary = false;
    std::string file = resolve(u, path, tried, fromLibrary);
    if (file.empty()) {
      diags.error(u.range.Start,
                  "cannot find module '" + u.dotted() + "' (looked for " +
                      tried.front() +
                      (tried.size() > 1
                           ? " and in " + std::to_string(tried.size() - 1) +
                                 " search path(s); set NNC_PATH "
                                 "to add one)"
                           : ")"));
      ok = false;
      continue;
    }
    ok &= load(file, &u, library || fromLibrary);
  }
  stack.pop_back();
  done[key] = true;
  modules.push_back(std::move(m));
  return ok;
}

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

/// Names declared by stdlib modules the program did not `use`, for the
/// "add 'use std.layers'" hint.
static void
collectStdHints(const std::vector<std::string> &paths,
                std::vector<std::unique_ptr<Module>> &keep,
                std::map<std::string, const UseDecl *> &hints,
                std::vector<std::unique_ptr<UseDecl>> &useKeep,
                std::vector<std::unique_ptr<llvm::MemoryBuffer>> &bufs) {
  for (const std::string &root : paths) {
    llvm::SmallString<256> dir(root);
    llvm::sys::path::append(dir, "std");
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec)) {
      llvm::StringRef file = it->path();
      if (!file.ends_with(".nn"))
        continue;
      auto buf = llvm::MemoryBuffer::getFile(file);
      if (!buf)
        continue;
      llvm::SourceMgr quietSm;
      DiagnosticEngine quiet(quietSm);
      quiet.setQuiet(true);
      std::unique_ptr<Module> m = parseBuffer((*buf)->getBuffer(), file, quiet);
      auto use = std::make_unique<UseDecl>();
      use->path = {Ident{"std", {}},
                   Ident{llvm::sys::path::stem(file).str(), {}}};
      for (const auto &c : m->callables)
        hints.emplace(c->name.name, use.get());
      useKeep.push_back(std::move(use));
      keep.push_back(std::move(m));
      bufs.push_back(std::move(*buf));
    }
  }
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
  for (const auto &m : loader.modules)
    el.addModule(*m, m.get() == &mainModule);
  std::vector<std::unique_ptr<Module>> hintModules;
  std::vector<std::unique_ptr<UseDecl>> hintUses;
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> hintBufs;
  std::map<std::string, const UseDecl *> hints;
  collectStdHints(opts.searchPaths, hintModules, hints, hintUses, hintBufs);
  for (auto &kv : hints)
    if (!el.globals.lookup(kv.first))
      el.setStdHint(kv.first, kv.second);
  for (const auto &m : loader.modules)
    el.evalConsts(*m);
  for (const auto &m : loader.modules)
    for (const auto &c : m->callables)
      el.checkDecl(*c);
  if (diags.hadError())
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
  if (diags.hadError())
    return nullptr;
  if (!opts.dataExpr.empty() && !evalDataExpr(opts.dataExpr, el, srcMgr,
                                              diags, *program))
    return nullptr;
  return program;
}
