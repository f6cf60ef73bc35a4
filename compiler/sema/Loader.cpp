//===- Loader.cpp - Loading .nn modules -----------------------------------===//
//
// Resolves `use a.b` to `a/b.nn`, looked up next to the importing file, then
// in each search path (NNC_PATH entries, then the stdlib next to the
// binary). Modules are loaded depth-first so that a module's dependencies
// are registered before it; a `use` cycle is reported with the whole chain.
//
//===----------------------------------------------------------------------===//
#include "sema/Loader.h"
#include "parser/Parser.h"
#include "sema/Elaborator.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace nnc;

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

bool Loader::load(const std::string &path, const UseDecl *from, bool library) {
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
  return parseAndLoad(key, path, std::move(*buf), library);
}

bool Loader::loadText(const std::string &name, llvm::StringRef text) {
  if (done.count(name))
    return true;
  return parseAndLoad(name, name,
                      llvm::MemoryBuffer::getMemBufferCopy(text, name), false);
}

bool Loader::parseAndLoad(const std::string &key, const std::string &path,
                          std::unique_ptr<llvm::MemoryBuffer> buf,
                          bool library) {
  done[key] = false;
  stack.push_back(key);
  llvm::StringRef text = buf->getBuffer();
  unsigned id = sm.AddNewSourceBuffer(std::move(buf), llvm::SMLoc());
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

void StdHints::apply(const std::vector<std::string> &paths, Elaborator &el) {
  std::map<std::string, const UseDecl *> hints;
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
      uses.push_back(std::move(use));
      modules.push_back(std::move(m));
      bufs.push_back(std::move(*buf));
    }
  }
  for (auto &kv : hints)
    if (!el.globals.lookup(kv.first))
      el.setStdHint(kv.first, kv.second);
}

bool nnc::declareModules(Elaborator &el,
                         const std::vector<std::unique_ptr<Module>> &modules,
                         const Module *main,
                         const std::vector<std::string> &paths,
                         StdHints &hints, DiagnosticEngine &diags) {
  for (const auto &m : modules)
    el.addModule(*m, !main || m.get() == main);
  hints.apply(paths, el);
  for (const auto &m : modules)
    el.evalConsts(*m);
  for (const auto &m : modules)
    for (const auto &c : m->callables)
      el.checkDecl(*c);
  return !diags.hadError();
}
