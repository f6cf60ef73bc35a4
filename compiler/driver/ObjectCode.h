//===- ObjectCode.h - LLVM dialect to object files (internal) ---*- C++ -*-===//
//
// The last stages of the pipeline, shared by `nnc build` and the JIT:
// translation to LLVM IR, LLVM's optimiser and code generation, split
// over threads. Includes no MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_OBJECTCODE_H
#define NNC_DRIVER_OBJECTCODE_H

#include "llvm/Support/CodeGen.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc {

class DiagnosticEngine;
struct CodegenOptions;

/// How the functions of a JIT-compiled module are called: for every C
/// interface `_mlir_ciface_<f>`, the code also holds `_mlir__mlir_ciface_<f>
/// (void **args)`, which loads each argument through args[i].
constexpr const char kPackedPrefix[] = "_mlir_";
/// The function of JIT objects that runs their module's constructors (the
/// GPU kernels' loading with --target=cuda); the engine calls it once.
constexpr const char kJitInit[] = "nnc_jit_init";

/// Optimises `m` (already given `tm`'s data layout and triple) and
/// compiles it to object files: one, or up to `threads` when the module
/// has enough functions to split (each compiled on its own thread, with
/// its own LLVMContext and TargetMachine). With `packed`, the wrappers of
/// kPackedPrefix are added first. False (reported) on failure.
bool compileToObjects(std::unique_ptr<llvm::Module> m, llvm::TargetMachine &tm,
                      const CodegenOptions &opts, bool packed, unsigned threads,
                      std::vector<std::string> &objects,
                      DiagnosticEngine &diags);

/// Code generation of one module (already optimised) to an object file or
/// assembly in `out`; false with `error` on failure.
bool emitFile(llvm::Module &m, llvm::TargetMachine &tm,
              llvm::CodeGenFileType kind, std::string &out, std::string &error);

} // namespace nnc

#endif // NNC_DRIVER_OBJECTCODE_H
