//===- VJPBuilder.h - Building blocks of the derivative rules ---*- C++ -*-===//
//
// The derivative rules emit nn ops on tensors whose batch dimensions may be
// dynamic; these helpers do the shape bookkeeping every rule needs
// (broadcast types, summing a cotangent back to an operand's shape, scalar
// constants, tensors of zeros shaped like a value) so that each rule reads
// like its formula. Internal to the autodiff rules: includes MLIR headers.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_AUTODIFF_VJPBUILDER_H
#define NNC_AUTODIFF_VJPBUILDER_H

#include "dialect/NNDialect.h"

#include "mlir/IR/Builders.h"

namespace nnc::nn {

class GradBuilder {
public:
  GradBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  /// NumPy broadcast of two ranked tensor types (element type of `a`).
  static mlir::RankedTensorType broadcastType(mlir::RankedTensorType a,
                                              mlir::RankedTensorType c);

  /// A rank-0 constant of the element type of `like`.
  mlir::Value scalar(mlir::Value like, double v);
  /// A tensor of `v` with the shape (dynamic sizes included) of `like`.
  mlir::Value full(mlir::Value like, double v);

  /// Broadcasting element-wise ops; the result type is the broadcast.
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value div(mlir::Value x, mlir::Value y);
  /// `x <pred> y` as i1, broadcast.
  mlir::Value compare(ComparePredicate pred, mlir::Value x, mlir::Value y);
  /// `cond ? x : y`, broadcast (the float operands decide the type).
  mlir::Value select(mlir::Value cond, mlir::Value x, mlir::Value y);
  template <typename OpTy> mlir::Value unary(mlir::Value x) {
    return OpTy::create(b, loc, x.getType(), x);
  }

  /// Sums a broadcast cotangent `g` back to `target`'s type: leading
  /// dimensions `target` lacks, and dimensions where it has a 1.
  mlir::Value unbroadcast(mlir::Value g, mlir::Type target);
  /// Stretches `g` (the shape of `x` with 1s on `axes`, or with `axes`
  /// dropped when `dropped`) to the shape of `x`.
  mlir::Value expandTo(mlir::Value g, mlir::Value x,
                       llvm::ArrayRef<int64_t> axes, bool dropped);
  /// Sum over `axes` keeping them as 1s.
  mlir::Value sumKeep(mlir::Value x, llvm::ArrayRef<int64_t> axes);
  /// The number of elements of `x` on `axes`, as a rank-0 tensor of x's
  /// element type (computed at run time for dynamic sizes).
  mlir::Value count(mlir::Value x, llvm::ArrayRef<int64_t> axes);
  mlir::Value transposeLast2(mlir::Value x);
  /// The sizes of `like`, dynamic ones read from it (for tensor.empty and
  /// slices whose sizes are only known at run time).
  llvm::SmallVector<mlir::OpFoldResult> mixedSizes(mlir::Value like);

  /// Zeros shaped like `like` but with `n` entries on dimension `d`.
  mlir::Value zerosAlong(mlir::Value like, int64_t d, int64_t n);
  /// `x` with `before` zeros ahead of it and `after` zeros behind it on
  /// dimension `d` (a concatenation; nothing when both are 0).
  mlir::Value padAlong(mlir::Value x, int64_t d, int64_t before, int64_t after);
  /// The contiguous slice [start, start + size) of dimension `d`.
  mlir::Value sliceAlong(mlir::Value x, int64_t d, int64_t start, int64_t size,
                         int64_t stride = 1);
  /// `x` (n entries on the static dimension `d`) spread to n * stride
  /// entries: x[i] lands at i * stride, zeros between (the adjoint of a
  /// strided slice; a dilated filter).
  mlir::Value spread(mlir::Value x, int64_t d, int64_t stride);

  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// The ranked tensor type of a value the rules work on.
inline mlir::RankedTensorType ranked(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}

/// Axes normalised to [0, rank).
llvm::SmallVector<int64_t> normaliseAxes(llvm::ArrayRef<int64_t> axes,
                                         int64_t rank);

} // namespace nnc::nn

#endif // NNC_AUTODIFF_VJPBUILDER_H
