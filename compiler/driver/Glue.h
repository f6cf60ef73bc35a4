//===- Glue.h - C glue around generated code (internal) ---------*- C++ -*-===//
//
// Executables (Executable.cpp) and libraries (Library.cpp) wrap a model's
// object code in a little generated C: the argument tables the runtime
// reads (nnc_model) and a fixed-arity call of `_mlir_ciface_<function>`.
// clang compiles and links it. No MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_GLUE_H
#define NNC_DRIVER_GLUE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace llvm {
class raw_ostream;
}

namespace nnc {

class DiagnosticEngine;
struct ModelSignature;

/// A C string literal.
std::string quoted(const std::string &s);
/// The runtime's types the glue needs (kept in step with nnc/runtime.h;
/// the glue is compiled without include paths).
extern const char *const kGlueTypes;
/// One compiled function as a static nnc_model named `var`.
void writeModel(llvm::raw_ostream &os, const ModelSignature &sig,
                const std::string &function, const std::string &var);
/// The clang that compiles and links glue ($NNC_CLANG, else the one found
/// when nnc was configured); false (reported) if there is none.
bool findClang(std::string &clang, DiagnosticEngine &diags);
/// The static runtime next to the nnc binary (lib/libnnc_runtime.a).
bool findRuntimeLibrary(const char *argv0, std::string &path,
                        DiagnosticEngine &diags);
/// Runs `tool` with `cmd` (cmd[0] is its name); false (reported as
/// "`what` with TOOL failed") unless it succeeds.
bool runTool(const std::string &tool, llvm::ArrayRef<llvm::StringRef> cmd,
             const std::string &what, DiagnosticEngine &diags);

/// In a sanitizer build (NNC_SANITIZE) the runtime archive and generated
/// code are instrumented, so whatever links them needs the sanitizer
/// runtimes: the flag nnc adds to its link commands and to the flags it
/// tells applications to use. Empty in a normal build.
#ifdef NNC_SANITIZE
inline const char *const kSanitizerLinkFlag = "-fsanitize=address,undefined";
#else
inline const char *const kSanitizerLinkFlag = "";
#endif

} // namespace nnc

#endif // NNC_DRIVER_GLUE_H
