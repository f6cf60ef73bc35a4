//===- RuntimeCalls.h - Declaring the runtime functions code calls --*- C++
//-*-===//
//
// The codegen passes that replace ops by calls of the runtime (kernels,
// the gradient exchange) declare them the same way: private functions of
// i64 arguments (pointers travel as integers), no results.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_RUNTIMECALLS_H
#define NNC_CODEGEN_RUNTIMECALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace nnc {

/// The declaration of `name` taking `n` i64 arguments in `module`, added
/// at its start if it is not there yet.
mlir::func::FuncOp declareRuntimeFunction(mlir::ModuleOp module,
                                          llvm::StringRef name, unsigned n);

} // namespace nnc

#endif // NNC_CODEGEN_RUNTIMECALLS_H
