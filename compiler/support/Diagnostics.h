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

#include "support/LineColumn.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <string>
#include <vector>

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
  /// A warning (not counted as an error).
  void warning(llvm::SMLoc loc, const llvm::Twine &msg);

  /// Library modules (the standard library, modules found on a search
  /// path): an error inside one while user code calls into it is reported
  /// at the user's call, with notes down the call chain.
  void markLibrary(unsigned bufferId) { libraryBuffers.push_back(bufferId); }
  bool inLibrary(llvm::SMLoc loc) const;
  /// Calls being elaborated, outermost first (a layer, model or fn call
  /// and its callee's name); see CallFrame.
  void pushCall(llvm::SMLoc site, llvm::StringRef callee) {
    frames.push_back({site, callee.str()});
  }
  void popCall() { frames.pop_back(); }
  /// Where user code is for `loc`: `loc` itself, or for a location in a
  /// library, the innermost call from a user file that led there.
  llvm::SMLoc userSite(llvm::SMLoc loc) const;

  unsigned errorCount() const { return numErrors; }
  bool hadError() const { return numErrors != 0; }
  /// True once the print limit is reached; callers may stop early.
  bool tooMany() const { return numErrors >= maxErrors; }
  void setMaxErrors(unsigned n) { maxErrors = n; }
  void setShowColors(bool c) { colors = c; }
  /// Count errors without printing them (tests, speculative parses).
  void setQuiet(bool q) { quiet = q; }
  llvm::SourceMgr &getSourceMgr() { return srcMgr; }
  /// Line and column of `loc` (see LineColumnTable: not a scan of the line).
  std::pair<unsigned, unsigned> lineAndColumn(llvm::SMLoc loc) {
    return lines.get(loc);
  }

private:
  void print(llvm::SMLoc loc, const llvm::Twine &msg, llvm::SMRange range);
  /// The index of the innermost frame called from a user file (-1: none).
  int userFrame() const;
  struct Frame {
    llvm::SMLoc site;
    std::string callee;
  };
  std::vector<Frame> frames;
  std::vector<unsigned> libraryBuffers;
  llvm::SourceMgr &srcMgr;
  LineColumnTable lines{srcMgr};
  unsigned numErrors = 0;
  unsigned maxErrors = 20;
  bool colors = false;
  bool quiet = false;
  bool lastSuppressed = false;
};

/// The closest candidate to `name` by edit distance, or "" if none is close
/// enough to be worth a "did you mean" hint.
/// Marks a call of `callee` at `site` as being elaborated, for as long as
/// it lives (see DiagnosticEngine::pushCall).
class CallFrame {
public:
  CallFrame(DiagnosticEngine &d, llvm::SMLoc site, llvm::StringRef callee)
      : d(d) {
    d.pushCall(site, callee);
  }
  ~CallFrame() { d.popCall(); }
  CallFrame(const CallFrame &) = delete;
  CallFrame &operator=(const CallFrame &) = delete;

private:
  DiagnosticEngine &d;
};

llvm::StringRef closestMatch(llvm::StringRef name,
                             llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace nnc

#endif // NNC_SUPPORT_DIAGNOSTICS_H
