//===- LineColumn.h - Line and column of a source location ------*- C++ -*-===//
//
// llvm::SourceMgr::getLineAndColumn finds the column by scanning back to
// the start of the line, so asking it for every node of a program written
// on one long line (80,000 statements separated by ';') is quadratic. This
// table indexes each buffer's line starts once and answers in O(log lines).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_LINECOLUMN_H
#define NNC_SUPPORT_LINECOLUMN_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <utility>
#include <vector>

namespace nnc {

class LineColumnTable {
public:
  explicit LineColumnTable(const llvm::SourceMgr &sm) : sm(sm) {}
  /// 1-based line and column of `loc` (in buffer `buf`, or the buffer that
  /// holds it when 0), as SourceMgr::getLineAndColumn gives them; {0, 0}
  /// for a location in no buffer.
  std::pair<unsigned, unsigned> get(llvm::SMLoc loc, unsigned buf = 0);

private:
  const llvm::SourceMgr &sm;
  /// Per buffer: the offset of the start of each line.
  std::map<unsigned, std::vector<size_t>> lineStarts;
};

} // namespace nnc

#endif // NNC_SUPPORT_LINECOLUMN_H
