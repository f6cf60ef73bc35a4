//===- Repl.h - `nnc repl` ----------------------------------------*- C++
//-*-===//
//
// The interactive loop: line editing with history and tab completion on a
// terminal (llvm::LineEditor over libedit), prompts and inputs echoed when
// reading a script from a pipe, multi-line inputs while a bracket is open.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_REPL_REPL_H
#define NNC_REPL_REPL_H

#include "repl/Session.h"

namespace nnc {

/// Runs the REPL on stdin (after loading `file`, if any); returns the
/// process exit code: 0, or 1 when reading a script and an input failed.
int runRepl(const ReplOptions &opts, const std::string &file);

/// Open brackets of `text` ((, [, {) not yet closed; strings and comments
/// are skipped.
int openBrackets(llvm::StringRef text);

} // namespace nnc

#endif // NNC_REPL_REPL_H
