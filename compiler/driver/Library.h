//===- Library.h - `nnc build --lib` ----------------------------*- C++ -*-===//
#ifndef NNC_DRIVER_LIBRARY_H
#define NNC_DRIVER_LIBRARY_H

#include "driver/Pipeline.h"

#include <string>

namespace nnc {

struct LibraryOptions {
  std::string output;  ///< libNAME.a
  std::string header;  ///< "" = NAME.h next to the library
  bool shared = false; ///< libNAME.so instead of libNAME.a
  /// A safetensors file compiled in: `create` starts from it ("" = none).
  std::string weights;
  /// The train block's entry (trainEntryOf) when the library trains too;
  /// null for inference only.
  const Entry *train = nullptr;
};

/// Compiles the model's forward function (and, with lo.train, its train and
/// eval steps) into a static library with a C header and a pkg-config file
/// (see Library.cpp). Returns the process
/// exit code.
int buildLibrary(const Entry &entry, const LibraryOptions &lo,
                 const CodegenOptions &opts, const char *argv0,
                 const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_LIBRARY_H
