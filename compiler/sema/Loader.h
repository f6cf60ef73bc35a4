//===- Loader.h - Loading .nn modules (internal) ----------------*- C++ -*-===//
//
// Resolves and parses the modules of a program: a file with everything it
// `use`s (checkFile), or the sources of a REPL session (checkSession).
// Private to compiler/sema.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_LOADER_H
#define NNC_SEMA_LOADER_H

#include "ast/AST.h"
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

class Elaborator;

class Loader {
public:
  Loader(llvm::SourceMgr &sm, DiagnosticEngine &diags,
         const std::vector<std::string> &paths)
      : sm(sm), diags(diags), searchPaths(paths) {}

  /// Loads `path`; `from` is the `use` that asked for it (null for main).
  /// A `library` module (found on a search path) gets its errors reported
  /// where user code calls into it.
  bool load(const std::string &path, const UseDecl *from, bool library = false);
  /// Loads `text` as a module named `name` (a REPL input, a file the
  /// session read earlier); its `use`s resolve next to `name`.
  bool loadText(const std::string &name, llvm::StringRef text);
  /// The file of `use`; `library` tells whether it came from a search path
  /// rather than the importer's folder.
  std::string resolve(const UseDecl &use, llvm::StringRef importer,
                      std::vector<std::string> &tried, bool &library);

  std::vector<std::unique_ptr<Module>> modules; ///< dependencies first
  std::vector<std::string> stack;               ///< files being loaded

private:
  bool parseAndLoad(const std::string &key, const std::string &path,
                    std::unique_ptr<llvm::MemoryBuffer> buf, bool library);
  llvm::SourceMgr &sm;
  DiagnosticEngine &diags;
  const std::vector<std::string> &searchPaths;
  std::map<std::string, bool> done;
};

/// Names the stdlib declares in modules a program did not `use`, for the
/// "add 'use std.layers'" hint (the parsed modules are kept alive here).
class StdHints {
public:
  /// Registers the hints for every name `el` does not know.
  void apply(const std::vector<std::string> &paths, Elaborator &el);

private:
  std::vector<std::unique_ptr<Module>> modules;
  std::vector<std::unique_ptr<UseDecl>> uses;
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> bufs;
};

/// Registers the declarations of `modules` with `el` (`main`'s as the main
/// file's; null: every module's), the stdlib hints (kept in `hints`), the
/// constants, and checks each declaration. False after errors.
bool declareModules(Elaborator &el,
                    const std::vector<std::unique_ptr<Module>> &modules,
                    const Module *main, const std::vector<std::string> &paths,
                    StdHints &hints, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_SEMA_LOADER_H
