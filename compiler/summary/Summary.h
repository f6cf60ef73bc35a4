//===- Summary.h - Keras-style model summary from sema ----------*- C++ -*-===//
//
// `nnc summary FILE.nn` prints, from the elaborated program alone (nothing
// is compiled), one row per layer with its output shape, parameters, FLOPs
// and activation bytes per sample, and totals including optimizer state.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUMMARY_SUMMARY_H
#define NNC_SUMMARY_SUMMARY_H

#include "sema/Sema.h"

namespace llvm {
class raw_ostream;
}

namespace nnc {

struct SummaryOptions {
  unsigned depth = 1; ///< how many levels of nested layers to list
};

void printSummary(const Program &program, const SummaryOptions &opts,
                  llvm::raw_ostream &os);

/// 203530 -> "203,530".
std::string withCommas(int64_t v);
/// 814120 -> "795.04 KB".
std::string humanBytes(int64_t bytes);

} // namespace nnc

#endif // NNC_SUMMARY_SUMMARY_H
