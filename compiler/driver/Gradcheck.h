//===- Gradcheck.h - Compiled gradients against finite differences -*- C++
//-*-===//
#ifndef NNC_DRIVER_GRADCHECK_H
#define NNC_DRIVER_GRADCHECK_H

#include "driver/Pipeline.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc {

struct GradcheckOptions {
  /// The worst |fd - grad| / (|grad| + 0.01) allowed: the default is
  /// PyTorch gradcheck's |fd - grad| <= 1e-5 + 1e-3 |grad|.
  double tolerance = 1e-3;
  int64_t batch = 3;     ///< the size of every symbolic dimension
  unsigned samples = 12; ///< elements checked per tensor (all if fewer)
  uint64_t seed = 0;
  /// Check only these gradients (all when empty); inputs with --wrt-inputs
  /// are always checked.
  std::vector<std::string> only;
  /// Scheduled hyper-parameters (run-time inputs) by name: their base
  /// values (`--set` included), not random numbers.
  std::map<std::string, double> hparams;
  CodegenOptions codegen;
};

/// Compiles the entry's loss and gradients in f64, evaluates them on random
/// inputs and parameters, and compares each gradient with central finite
/// differences of the loss on sampled elements. Prints the worst relative
/// error per tensor; returns 1 if one exceeds the tolerance.
int runGradcheck(const Entry &entry, const GradcheckOptions &opts,
                 const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_GRADCHECK_H
