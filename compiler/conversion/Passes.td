//===- Passes.td - nn -> linalg conversion ------------------*- tablegen -*-===//
#ifndef NNC_CONVERSION_PASSES_TD
#define NNC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNLowerToLinalg : Pass<"nn-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower the nn dialect to linalg, tensor, arith and math";
  let description = [{
    A dialect conversion with one pattern per nn op (the nn dialect is
    illegal afterwards). Every nn op becomes linalg on tensors: element-wise
    ops (their scalar body from ODS) and
    broadcasting become `linalg.generic` with broadcasting indexing maps,
    2-D products `linalg.matmul` (other products a contraction
    `linalg.generic`), convolutions `linalg.conv_2d_nhwc_hwcf` after a
    `tensor.pad`, pooling `linalg.pooling_nhwc_*`, shapes
    `tensor.collapse_shape` / `expand_shape` / `extract_slice`.
    Transcendental functions use the math dialect, which later lowers to
    vectorisable polynomial approximations.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif // NNC_CONVERSION_PASSES_TD
