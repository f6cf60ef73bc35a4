//===- Differentiator.h - Reverse-mode walk over a list of ops --*- C++ -*-===//
//
// The core of the reverse-mode pass, shared by a function's body and the
// body of a loop over a run-time length (whose backward is a loop of its
// own, LoopVJP.cpp): given the cotangents of some values, walk ops in
// reverse and emit the cotangents of their operands. Internal to the
// autodiff library: includes MLIR headers.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_AUTODIFF_DIFFERENTIATOR_H
#define NNC_AUTODIFF_DIFFERENTIATOR_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace nnc::nn {

class Differentiator {
public:
  explicit Differentiator(mlir::OpBuilder &b) : b(b) {}

  /// Emits, at the builder's insertion point, the cotangents of the
  /// operands of `ops` (walked in reverse) from those of their results.
  mlir::LogicalResult backprop(llvm::ArrayRef<mlir::Operation *> ops);
  /// Adds `g` to the cotangent of `v` (float tensors only).
  void accumulate(mlir::Value v, mlir::Value g, mlir::Location loc);
  mlir::Value lookup(mlir::Value v) const { return cotangent.lookup(v); }

  /// In a loop body's backward: values from outside the loop whose
  /// cotangents are carried by the backward loop, with the current value of
  /// each carrier; slices read from them (a scan's input) add their
  /// cotangent into the carrier's slice instead of a full-size tensor.
  llvm::DenseMap<mlir::Value, mlir::Value> carried;

private:
  /// The transposes of the slices a scan reads and writes.
  bool sliceVJP(mlir::Operation *op, llvm::ArrayRef<mlir::Value> resultGrads);
  /// A loop over a run-time length (LoopVJP.cpp).
  mlir::LogicalResult loopVJP(mlir::scf::ForOp loop,
                              llvm::ArrayRef<mlir::Value> resultGrads);

  mlir::OpBuilder &b;
  llvm::DenseMap<mlir::Value, mlir::Value> cotangent;
};

/// True for ranked tensors of floats (the values that have cotangents).
bool isFloatTensor(mlir::Type t);

} // namespace nnc::nn

#endif // NNC_AUTODIFF_DIFFERENTIATOR_H
