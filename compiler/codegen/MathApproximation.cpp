//===- MathApproximation.cpp - Polynomial transcendental functions --------===//
//
// MLIR's math approximation patterns, as a pass of our pipeline: element-
// wise kernels then contain only arithmetic, which LLVM vectorises, and no
// calls to libm (math.erf has no libm-free lowering otherwise).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_NNMATHAPPROXIMATION
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct NNMathApproximationPass
    : nnc::impl::NNMathApproximationBase<NNMathApproximationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
