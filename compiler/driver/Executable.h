//===- Executable.h - `nnc build -o prog` -----------------------*- C++ -*-===//
#ifndef NNC_DRIVER_EXECUTABLE_H
#define NNC_DRIVER_EXECUTABLE_H

#include "driver/Pipeline.h"

#include <string>

namespace nnc {

/// Compiles the model to an object, writes its argument tables and a
/// `main` (the runtime's nnc_model_main), and links an executable with
/// clang against the static runtime. Returns the process exit code.
int buildExecutable(const Entry &entry, const std::string &output,
                    const CodegenOptions &opts, const char *argv0,
                    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_EXECUTABLE_H
