//===- Passes.td - Automatic differentiation passes of nnc --*- tablegen -*-===//
#ifndef NNC_AUTODIFF_PASSES_TD
#define NNC_AUTODIFF_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNReverseMode : Pass<"nn-reverse-mode", "::mlir::ModuleOp"> {
  let summary = "Append reverse-mode gradients to functions marked nn.wrt";
  let description = [{
    A `func.func` with a `nn.wrt = array<i64: ...>` attribute and one scalar
    float result (a loss) gets, after that result, the gradient of the loss
    with respect to each listed argument, with the argument's type.
    The backward ops are emitted after the forward ones by walking the
    forward ops in reverse and asking each for its vector-Jacobian product
    (`VJPOpInterface`); cotangents of values used several times are summed.
    Forward values the backward needs are simply used again (stored, not
    recomputed); the canonicaliser and CSE that follow remove gradients no
    listed argument needs. An op without a rule is reported at its source
    location.

    ```mlir
    func.func @f(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>}
    // becomes
    func.func @f(%x: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // NNC_AUTODIFF_PASSES_TD
