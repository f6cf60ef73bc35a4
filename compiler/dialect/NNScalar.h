//===- NNScalar.h - Scalar pieces of the element-wise ops -------*- C++ -*-===//
//
// Helpers the scalar bodies of element-wise ops (written in NNOps.td, see
// NN_ElementwiseOpInterface) share: constants, the logistic function,
// comparisons and conversions on arith/math values. Internal to the
// dialect's library; include only from .cpp files.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNSCALAR_H
#define NNC_DIALECT_NNSCALAR_H

#include "dialect/NNDialect.h"

#include "mlir/IR/Builders.h"

namespace nnc::nn {

/// A scalar constant `v` of float or integer type `t`.
mlir::Value scalarConst(mlir::OpBuilder &b, mlir::Location l, mlir::Type t,
                        double v);
/// 1 / (1 + exp(-x)).
mlir::Value scalarSigmoid(mlir::OpBuilder &b, mlir::Location l, mlir::Value x);
/// `x pred y` as i1: ordered for floats (unordered for `ne`), signed for
/// integers.
mlir::Value scalarCompare(mlir::OpBuilder &b, mlir::Location l,
                          ComparePredicate pred, mlir::Value x, mlir::Value y);
/// `x` converted to `to`: floats truncate toward zero to integers, a
/// non-zero value is true, booleans extend as 0/1.
mlir::Value scalarCast(mlir::OpBuilder &b, mlir::Location l, mlir::Value x,
                       mlir::Type to);

} // namespace nnc::nn

#endif // NNC_DIALECT_NNSCALAR_H
