//===- Lowering.h - Shared pieces of nn-lower-to-linalg (internal) -*- C++
//-*-===//
//
// The helpers and the Lowering class that the nn-lower-to-linalg pass is
// split across (LowerNNToLinalg.cpp: dispatch, element-wise, products and
// shapes; LowerNNReductions.cpp; LowerNNConv.cpp; LowerNNRandom.cpp).
// Internal to compiler/conversion.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CONVERSION_LOWERING_H
#define NNC_CONVERSION_LOWERING_H

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace nnc {
namespace lowering {

using mlir::ArrayRef;
using mlir::Location;
using mlir::OpBuilder;
using mlir::Operation;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::Type;
using mlir::Value;
using mlir::ValueRange;

using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

/// A scalar constant of float type `t`.
Value floatConst(OpBuilder &b, Location l, Type t, double v);
/// tensor.dim of `t` at `d`.
Value dimOf(OpBuilder &b, Location l, Value t, int64_t d);
/// tensor.empty of `type`; dynamic sizes come from `dyn(d)`.
Value emptyTensor(OpBuilder &b, Location l, RankedTensorType type,
                  const std::function<Value(int64_t)> &dyn);
/// Dynamic result dimension `d` of a broadcast, from an operand having it.
Value broadcastDim(OpBuilder &b, Location l, ValueRange operands, int64_t rank,
                   int64_t d);
/// A parallel linalg.generic applying `body` to broadcast operands.
Value elementwise(OpBuilder &b, Location l, RankedTensorType resultType,
                  ValueRange operands, const BodyFn &body);

/// The lowering rules of the nn ops, one method per op (or family), each
/// returning the replacement of the op's result(s), or null after
/// reporting an error. The conversion patterns in LowerNNToLinalg.cpp call
/// them.
class Lowering {
public:
  explicit Lowering(OpBuilder &b) : b(b) {}
  /// Every op of NN_ElementwiseOpInterface: a parallel generic of its
  /// scalar body.
  Value elementwiseOp(nn::ElementwiseOpInterface op);
  Value constant(nn::ConstantOp op);
  Value transpose(nn::TransposeOp op);
  Value fill(nn::FillOp op);
  Value matmul(nn::MatmulOp op);
  Value reshape(nn::ReshapeOp op);
  Value slice(nn::SliceOp op);
  Value concat(nn::ConcatOp op);
  Value reduce(nn::ReduceOp op);
  Value argReduce(nn::ReduceOp op);
  Value groupedConv(nn::Conv2DOp op, Value paddedInput);
  Value groupedFilterGrad(nn::Conv2DFilterGradOp op, Value x);
  Value convTranspose(nn::ConvTranspose2DOp op);
  Value reduceAlong(
      Location l, Value x, ArrayRef<int64_t> axes, bool keepdims,
      Value initValue,
      const std::function<Value(OpBuilder &, Location, Value, Value)> &combine);
  Value softmax(nn::SoftmaxOp op);
  Value oneHot(nn::OneHotOp op);
  Value conv(nn::Conv2DOp op);
  Value convFilterGrad(nn::Conv2DFilterGradOp op);
  Value pool(nn::Pool2DOp op);
  Value poolGrad(nn::Pool2DGradOp op);
  Value poolTake(nn::Pool2DTakeOp op);
  /// pool2d_grad of windows that tile the input exactly (stride = window,
  /// no padding, sizes multiples of it): one element-wise loop over the
  /// input, or null when the pooling is not of that kind.
  Value poolGradTiled(nn::Pool2DGradOp op);
  /// The first (row-major) window position of each max-pool window's
  /// maximum, i64 shaped like `pooled` (the pooling's result).
  Value poolArgmax(Location l, Value input, Value pooled,
                   ArrayRef<int64_t> window, ArrayRef<int64_t> stride,
                   ArrayRef<int64_t> padding);
  Value pad(Location l, Value x, ArrayRef<int64_t> padding, double value);
  Value gather(nn::GatherOp op);
  Value layerNorm(nn::LayerNormOp op);
  Value batchNorm(nn::BatchNormOp op);
  Value upsample(nn::UpsampleOp op);
  /// The i64 of an optional `stream` operand (null when absent).
  Value streamNumber(Value stream, Location l);
  Value random(nn::RandomOp op);
  Value bernoulli(nn::BernoulliOp op);
  Value dropout(nn::DropoutOp op);
  /// A generic over `rt` whose body sees the row-major linear index (i64).
  Value withLinearIndex(Location l, RankedTensorType rt, Value init,
                        ValueRange inputs,
                        const std::function<Value(OpBuilder &, Location, Value,
                                                  ValueRange)> &body);
  /// Mean and biased variance of x over `axes` (kept as size-1 dims
  /// when `keepdims`), in two passes over x.
  std::pair<Value, Value> moments(Location l, Value x, ArrayRef<int64_t> axes,
                                  bool keepdims);
  /// The number of elements of x along `axes`, as a float scalar.
  Value countOf(Location l, Value x, ArrayRef<int64_t> axes);
  using StepFn = std::function<SmallVector<Value>(OpBuilder &, Location,
                                                  ValueRange, ValueRange)>;
  /// One loop over x's space reducing `axes` into one accumulator per
  /// initial value (x without `axes`, filled with it): `step` maps the
  /// elements of `operands` (shaped like x, or like the accumulators) and
  /// the accumulators to their next values.
  SmallVector<Value> reduceLoop(Location l, Value x, ArrayRef<int64_t> axes,
                                ValueRange operands, ValueRange initValues,
                                const StepFn &step);
  using TermsFn =
      std::function<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;
  /// reduceLoop summing `sums` terms from zero: `terms` maps the elements
  /// of `operands` to the values added to each sum.
  SmallVector<Value> sumsAlong(Location l, Value x, ArrayRef<int64_t> axes,
                               ValueRange operands, unsigned sums,
                               const TermsFn &terms);
  /// `r` (x reduced over `axes`) with those axes back as size-1 dims.
  Value keepDims(Location l, Value r, Value x, ArrayRef<int64_t> axes);
  SmallVector<Value> channelMoments(nn::ChannelMomentsOp op);
  SmallVector<Value> batchNormGrad(nn::BatchNormGradOp op);

private:
  OpBuilder &b;
};

} // namespace lowering
} // namespace nnc

#endif // NNC_CONVERSION_LOWERING_H
