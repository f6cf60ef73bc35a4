//===- LineColumn.cpp - Line and column of a source location --------------===//
#include "support/LineColumn.h"

#include <algorithm>

using namespace nnc;

std::pair<unsigned, unsigned> LineColumnTable::get(llvm::SMLoc loc,
                                                   unsigned buf) {
  if (!buf)
    buf = sm.FindBufferContainingLoc(loc);
  if (!buf)
    return {0, 0};
  llvm::StringRef text = sm.getMemoryBuffer(buf)->getBuffer();
  auto [it, fresh] = lineStarts.try_emplace(buf);
  std::vector<size_t> &starts = it->second;
  if (fresh) {
    starts.push_back(0);
    for (size_t k = 0; k < text.size(); ++k)
      if (text[k] == '\n')
        starts.push_back(k + 1);
  }
  size_t off = loc.getPointer() - text.data();
  // The last line start at or before `off`.
  size_t line =
      std::upper_bound(starts.begin(), starts.end(), off) - starts.begin();
  return {unsigned(line), unsigned(off - starts[line - 1] + 1)};
}
