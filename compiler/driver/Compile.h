//===- Compile.h - Shared code generation steps (internal) ------*- C++ -*-===//
//
// Used by Pipeline.cpp (AOT output) and Runner.cpp (JIT). Includes MLIR and
// LLVM headers: never include it from a front-end header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_COMPILE_H
#define NNC_DRIVER_COMPILE_H

#include "driver/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::func {
class FuncOp;
}

namespace nnc {

struct ModelGraph;
struct ModelSignature;

/// The calling contract of a generated function, read from the `nn.*`
/// attributes MLIRGen put on its arguments and results. Symbolic sizes
/// take their names from `graph`'s inputs of the same name.
ModelSignature signatureOfFunction(mlir::func::FuncOp f,
                                   const ModelGraph &graph);

/// MLIRGen of the entry, then, for a gradient entry, reverse mode.
/// A context with every dialect and pass nnc uses, and the entry's module
/// in the nn dialect (null after an error, reported).
struct GeneratedModule {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  GeneratedModule(const Entry &entry, const llvm::SourceMgr &srcMgr,
                  DiagnosticEngine &diags);
};

mlir::OwningOpRef<mlir::ModuleOp> generate(mlir::MLIRContext &ctx,
                                           const Entry &entry,
                                           const llvm::SourceMgr &srcMgr,
                                           DiagnosticEngine &diags);
/// Every dialect, extension, pass (and named pipeline) and LLVM
/// translation the pipeline uses.
void registerEverything(mlir::DialectRegistry &registry);
/// nn -> linalg (stop there when `stopAt` is Linalg) -> LLVM dialect.
bool lowerToLLVMDialect(mlir::ModuleOp module, Stage stopAt,
                        DiagnosticEngine &diags,
                        const CodegenOptions &opts = {});
/// A TargetMachine for the host (or opts.cpu).
std::unique_ptr<llvm::TargetMachine> hostMachine(const CodegenOptions &opts,
                                                 DiagnosticEngine &diags);
/// The LLVM IR of an LLVM-dialect module, with `tm`'s data layout and
/// triple; null (reported) on failure.
std::unique_ptr<llvm::Module> translate(mlir::ModuleOp module,
                                        llvm::TargetMachine &tm,
                                        llvm::LLVMContext &ctx,
                                        DiagnosticEngine &diags);
/// `module` (nn dialect, as generated) to object files: from the compile
/// cache when opts.cache allows and it has them, else lowered, optimised
/// and compiled (and stored). For the JIT (`jit`), the objects hold packed
/// wrappers (kPackedPrefix) and may be several; otherwise one.
bool compileModule(mlir::ModuleOp module, const CodegenOptions &opts, bool jit,
                   std::vector<std::string> &objects, DiagnosticEngine &diags);
/// The LLVM mid-level optimiser; GEMM_NOTES.md shows the generated register
/// kernels need it (bare llc output is slow, and was even wrong).
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm, unsigned level);

} // namespace nnc

#endif // NNC_DRIVER_COMPILE_H
