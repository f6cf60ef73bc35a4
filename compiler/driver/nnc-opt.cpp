//===- nnc-opt.cpp - mlir-opt with the nn dialect -------------------------===//
//
// The tool the lit tests use to run any pass on .mlir input: every upstream
// dialect, pass and extension, plus nnc's own.
//
//===----------------------------------------------------------------------===//
#include "autodiff/Passes.h"
#include "codegen/Passes.h"
#include "dialect/NNDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  registry.insert<nnc::nn::NNDialect>();
  nnc::registerNNCodegenPasses();
  nnc::registerNNAutodiffPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
