//===- Remarks.h - `--remarks`: what code generation did per .nn line -----===//
#ifndef NNC_CODEGEN_REMARKS_H
#define NNC_CODEGEN_REMARKS_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir {
class Location;
class ModuleOp;
class FileLineColLoc;
} // namespace mlir

namespace nnc {
class DiagnosticEngine;

/// The first file position inside an MLIR location (through call sites and
/// fused locations); null if there is none.
mlir::FileLineColLoc firstPosition(mlir::Location loc);

/// The .nn source position of an MLIR location, or an invalid SMLoc if its
/// file is not among the SourceMgr's buffers.
llvm::SMLoc sourceLoc(const llvm::SourceMgr &srcMgr, mlir::Location loc);

/// Reports, per .nn position, kernel calls, fused loops, what was not
/// fused and why, and each function's buffer plan (the module after
/// nnc-plan-buffers).
void reportRemarks(mlir::ModuleOp module, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_CODEGEN_REMARKS_H
