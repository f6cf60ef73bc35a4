//===- Passes.td - Code generation passes of nnc ------------*- tablegen -*-===//
#ifndef NNC_CODEGEN_PASSES_TD
#define NNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNLowerToLinalg : Pass<"nn-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower the nn dialect to linalg, tensor, arith and math";
  let description = [{
    Every nn op becomes linalg on tensors: element-wise ops and
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

def NNMathApproximation : Pass<"nn-math-approximation", "::mlir::ModuleOp"> {
  let summary = "Replace transcendental functions by polynomial approximations";
  let description = [{
    exp, log, log1p, expm1, tanh, erf, sin, cos, ... become arithmetic
    (polynomials and bit manipulation) that vectorises, instead of scalar
    libm calls in hot loops; accuracy is within a few ulp in f32.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def NNContiguousLoops : Pass<"nn-contiguous-loops"> {
  let summary = "Order each linalg op's loops so the innermost walks memory contiguously";
  let description = [{
    Generalizes named linalg ops and interchanges loops so that the loop
    indexing the output's last (contiguous) dimension is innermost: a matrix
    product becomes (m, k, n), a NHWC convolution (n, oh, ow, kh, kw, c, f).
    The innermost loop then reads and writes consecutive elements, which
    LLVM vectorises. A first step before tiling and packing (issue 7).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNOuterParallelLoops : Pass<"nn-outer-parallel-loops"> {
  let summary = "Keep only the outermost scf.parallel of each loop nest";
  let description = [{
    convert-linalg-to-parallel-loops makes every parallel dimension of an
    op an `scf.parallel`, including one nested inside the reduction loop of
    a matrix product. Only the outermost becomes an OpenMP region (one fork
    per op, `--threads N`); nested ones become `scf.for` nests here, so
    they stay plain, vectorisable inner loops.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
