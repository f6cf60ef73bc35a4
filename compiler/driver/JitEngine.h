//===- JitEngine.h - Object files loaded into this process ------*- C++ -*-===//
//
// The JIT's last step: object files (fresh, or from the compile cache)
// linked into this process against the runtime nnc carries. No MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_JITENGINE_H
#define NNC_DRIVER_JITENGINE_H

#include <memory>
#include <string>
#include <vector>

namespace llvm::orc {
class LLJIT;
}

namespace nnc {

class DiagnosticEngine;

class JitEngine {
public:
  /// Links `objects` into this process; null (reported) on failure.
  static std::unique_ptr<JitEngine>
  create(const std::vector<std::string> &objects, DiagnosticEngine &diags);
  ~JitEngine();

  /// The packed form (see kPackedPrefix) of the C interface function
  /// `name`; null (reported) if there is none.
  using Packed = void (*)(void **);
  Packed lookupPacked(const std::string &name, DiagnosticEngine &diags);

private:
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace nnc

#endif // NNC_DRIVER_JITENGINE_H
