//===- Pipeline.h - The stages after sema -----------------------*- C++ -*-===//
//
// The driver's view of code generation: which stage to stop at and where
// to print it. No MLIR header here; Pipeline.cpp holds the MLIR code so
// that main.cpp compiles in a second.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_PIPELINE_H
#define NNC_DRIVER_PIPELINE_H

#include "llvm/ADT/StringRef.h"

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace nnc {

class DiagnosticEngine;
struct Program;

/// Where `nnc build --emit=` stops after sema.
enum class Stage { NN };

/// Generates the program's model in the nn dialect and prints the module
/// at `stage`. Returns the process exit code.
int emitStage(const Program &program, llvm::StringRef modelName, Stage stage,
              const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
              llvm::raw_ostream &os);

} // namespace nnc

#endif // NNC_DRIVER_PIPELINE_H
