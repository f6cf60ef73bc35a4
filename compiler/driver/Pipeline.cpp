//===- Pipeline.cpp - The stages after sema -------------------------------===//
//
// MLIRGen, then (as they land) autodiff, lowering and code generation,
// each stage printable with `--emit=`.
//
//===----------------------------------------------------------------------===//
#include "driver/Pipeline.h"
#include "mlirgen/MLIRGen.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/raw_ostream.h"

using namespace nnc;

int nnc::emitStage(const Program &program, llvm::StringRef modelName,
                   Stage stage, const llvm::SourceMgr &srcMgr,
                   DiagnosticEngine &diags, llvm::raw_ostream &os) {
  (void)stage;
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlirGen(ctx, *program.graph, modelName, srcMgr, diags);
  if (!module)
    return 1;
  mlir::OpPrintingFlags flags;
  flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module->print(os, flags);
  os << "\n";
  return 0;
}
