//===- Diagnostics.cpp - Source-located user diagnostics ------------------===//
//
// Formatting is delegated to llvm::SourceMgr. Very long source lines (a
// 1 MB line of garbage) are not echoed in full: the diagnostic is printed
// without the source excerpt when the line is longer than a screenful.
//
//===----------------------------------------------------------------------===//
#include "support/Diagnostics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

using namespace nnc;

namespace {
constexpr size_t kMaxEchoedLine = 400;

/// Length of the source line containing loc (bounded scan).
size_t lineLength(llvm::SourceMgr &sm, llvm::SMLoc loc) {
  unsigned id = sm.FindBufferContainingLoc(loc);
  if (!id)
    return 0;
  const llvm::MemoryBuffer *buf = sm.getMemoryBuffer(id);
  const char *p = loc.getPointer();
  const char *b = buf->getBufferStart(), *e = buf->getBufferEnd();
  const char *s = p, *t = p;
  while (s > b && s[-1] != '\n' && size_t(p - s) <= kMaxEchoedLine)
    --s;
  while (t < e && *t != '\n' && size_t(t - s) <= kMaxEchoedLine)
    ++t;
  return size_t(t - s);
}
} // namespace

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &msg,
                             llvm::SMRange range) {
  ++numErrors;
  lastSuppressed = quiet || numErrors > maxErrors;
  if (!quiet && numErrors == maxErrors + 1) {
    llvm::errs() << "nnc: too many errors, stopping here\n";
    return;
  }
  if (lastSuppressed)
    return;
  if (!loc.isValid()) {
    error(msg);
    --numErrors;
    return;
  }
  int k = inLibrary(loc) ? userFrame() : -1;
  if (k < 0) {
    print(loc, msg, range);
    return;
  }
  // Inside a library layer or loss: at the user's call, then down the
  // chain to the library line itself.
  print(frames[k].site, msg, {});
  for (size_t j = size_t(k) + 1; j < frames.size(); ++j)
    note(frames[j].site, "in '" + frames[j - 1].callee + "', which calls '" +
                             frames[j].callee + "' here");
  note(loc, "in '" + frames.back().callee + "', here");
}

bool DiagnosticEngine::inLibrary(llvm::SMLoc loc) const {
  unsigned id = srcMgr.FindBufferContainingLoc(loc);
  for (unsigned b : libraryBuffers)
    if (b == id)
      return true;
  return false;
}

int DiagnosticEngine::userFrame() const {
  for (int k = int(frames.size()) - 1; k >= 0; --k)
    if (frames[k].site.isValid() && !inLibrary(frames[k].site))
      return k;
  return -1;
}

llvm::SMLoc DiagnosticEngine::userSite(llvm::SMLoc loc) const {
  if (!loc.isValid() || !inLibrary(loc))
    return loc;
  int k = userFrame();
  return k < 0 ? loc : frames[k].site;
}

void DiagnosticEngine::warning(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (quiet)
    return;
  srcMgr.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Warning, msg, {},
                      {}, colors);
}

void DiagnosticEngine::print(llvm::SMLoc loc, const llvm::Twine &msg,
                             llvm::SMRange range) {
  if (lineLength(srcMgr, loc) > kMaxEchoedLine) {
    // Print location + message only; echoing a megabyte line helps nobody.
    auto lc = lines.get(loc);
    unsigned id = srcMgr.FindBufferContainingLoc(loc);
    llvm::errs() << srcMgr.getMemoryBuffer(id)->getBufferIdentifier() << ":"
                 << lc.first << ":" << lc.second << ": error: " << msg << "\n";
    return;
  }
  llvm::ArrayRef<llvm::SMRange> ranges;
  if (range.isValid())
    ranges = range;
  srcMgr.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Error, msg, ranges,
                      {}, colors);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (lastSuppressed || !loc.isValid())
    return;
  if (lineLength(srcMgr, loc) > kMaxEchoedLine)
    return;
  srcMgr.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Note, msg, {}, {},
                      colors);
}

void DiagnosticEngine::remark(llvm::SMLoc loc, const llvm::Twine &msg) {
  srcMgr.PrintMessage(llvm::errs(), loc, llvm::SourceMgr::DK_Remark, msg, {},
                      {}, colors);
}

void DiagnosticEngine::error(const llvm::Twine &msg) {
  ++numErrors;
  if (quiet || numErrors > maxErrors)
    return;
  llvm::errs() << "nnc: error: " << msg << "\n";
}

llvm::StringRef nnc::closestMatch(llvm::StringRef name,
                                  llvm::ArrayRef<llvm::StringRef> candidates) {
  llvm::StringRef best;
  unsigned bestDist = ~0u;
  unsigned limit = name.size() <= 3 ? 1 : name.size() <= 6 ? 2 : 3;
  for (llvm::StringRef c : candidates) {
    if (c == name)
      continue;
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true, limit + 1);
    if (d <= limit && d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}
