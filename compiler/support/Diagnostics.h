//===- Diagnostics.h - Source-located user diagnostics ----------*- C++ -*-===//
//
// Every user-facing error of the front end goes through this engine. It
// prints `file:line:col: error: message` with the source line and a caret
// (llvm::SourceMgr does the formatting), counts errors so the driver can
// exit with 1, and stops printing after a limit so that binary garbage does
// not flood the terminal.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_DIAGNOSTICS_H
#define NNC_SUPPORT_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

namespace nnc {

/// Reports errors and notes against the buffers of one SourceMgr.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(llvm::SourceMgr &srcMgr) : srcMgr(srcMgr) {}

  /// Reports an error at `loc`, optionally underlining `range`.
  void error(llvm::SMLoc loc, const llvm::Twine &msg, llvm::SMRange range = {});
  /// Attaches a note (e.g. "declared here") to the last error.
  void note(llvm::SMLoc loc, const llvm::Twine &msg);
  /// A remark (--remarks: what the compiler did with this line).
  void remark(llvm::SMLoc loc, const llvm::Twine &msg);
  /// An error with no source location (missing file, bad flag).
  void error(const llvm::Twine &msg);

  unsigned errorCount() const { return numErrors; }
  bool hadError() const { return numErrors != 0; }
  /// True once the print limit is reached; callers may stop early.
  bool tooMany() const { return numErrors >= maxErrors; }
  void setMaxErrors(unsigned n) { maxErrors = n; }
  void setShowColors(bool c) { colors = c; }
  /// Count errors without printing them (tests, speculative parses).
  void setQuiet(bool q) { quiet = q; }
  llvm::SourceMgr &getSourceMgr() { return srcMgr; }

private:
  llvm::SourceMgr &srcMgr;
  unsigned numErrors = 0;
  unsigned maxErrors = 20;
  bool colors = false;
  bool quiet = false;
  bool lastSuppressed = false;
};

/// The closest candidate to `name` by edit distance, or "" if none is close
/// enough to be worth a "did you mean" hint.
llvm::StringRef closestMatch(llvm::StringRef name,
                             llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace nnc

#endif // NNC_SUPPORT_DIAGNOSTICS_H
