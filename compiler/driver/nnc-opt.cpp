//===- nnc-opt.cpp - mlir-opt with the nn dialect -------------------------===//
//
// The tool the lit tests use to run any pass on .mlir input: every upstream
// dialect, pass and extension, plus nnc's own, and nnc's stages as named
// pipelines (--nnc-to-linalg, --nnc-bufferize, --nnc-to-llvm,
// --nnc-autodiff; pipelines/Pipelines.h).
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"
#include "pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR (--target=cuda).
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<nnc::nn::NNDialect>();
  // The same passes as nnc, and its stages as named pipelines.
  nnc::registerPassesAndPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
