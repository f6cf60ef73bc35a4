//===- VJPBuilder.cpp - Building blocks of the derivative rules -----------===//
#include "autodiff/VJPBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc::nn {

SmallVector<int64_t> normaliseAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes)
    out.push_back(a < 0 ? a + rank : a);
  llvm::sort(out);
  return out;
}

RankedTensorType GradBuilder::broadcastType(RankedTensorType a,
                                            RankedTensorType c) {
  int64_t rank = std::max(a.getRank(), c.getRank());
  SmallVector<int64_t> shape(rank);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t da = i < a.getRank() ? a.getDimSize(a.getRank() - 1 - i) : 1;
    int64_t dc = i < c.getRank() ? c.getDimSize(c.getRank() - 1 - i) : 1;
    int64_t d;
    if (da == 1)
      d = dc;
    else if (dc == 1 || da == dc)
      d = da;
    else
      d = ShapedType::isDynamic(da) ? dc : da; // one static, one `?`
    shape[rank - 1 - i] = d;
  }
  return RankedTensorType::get(shape, a.getElementType());
}

/// The float operand decides the element type of a mixed broadcast.
static RankedTensorType resultOf(Value x, Value y) {
  RankedTensorType tx = ranked(x), ty = ranked(y);
  if (!isa<FloatType>(tx.getElementType()))
    std::swap(tx, ty);
  return GradBuilder::broadcastType(tx, ty);
}

Value GradBuilder::scalar(Value like, double v) {
  Type et = ranked(like).getElementType();
  auto t = RankedTensorType::get({}, et);
  return ConstantOp::create(b, loc, t,
                            DenseElementsAttr::get(t, b.getFloatAttr(et, v)));
}

Value GradBuilder::full(Value like, double v) {
  RankedTensorType t = ranked(like);
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, like, d));
  return FillOp::create(b, loc, t, sizes, b.getF64FloatAttr(v));
}

Value GradBuilder::add(Value x, Value y) {
  return AddOp::create(b, loc, resultOf(x, y), x, y);
}
Value GradBuilder::sub(Value x, Value y) {
  return SubOp::create(b, loc, resultOf(x, y), x, y);
}
Value GradBuilder::mul(Value x, Value y) {
  return MulOp::create(b, loc, resultOf(x, y), x, y);
}
Value GradBuilder::div(Value x, Value y) {
  return DivOp::create(b, loc, resultOf(x, y), x, y);
}

Value GradBuilder::compare(ComparePredicate pred, Value x, Value y) {
  RankedTensorType t = broadcastType(ranked(x), ranked(y));
  return CompareOp::create(b, loc,
                           RankedTensorType::get(t.getShape(), b.getI1Type()),
                           pred, x, y);
}

Value GradBuilder::select(Value cond, Value x, Value y) {
  // nn.select's result is the broadcast of its two value operands.
  return SelectOp::create(b, loc, resultOf(x, y), cond, x, y);
}

static Value reduceSum(OpBuilder &b, Location loc, Value x,
                       ArrayRef<int64_t> axes, bool keep) {
  RankedTensorType t = ranked(x);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(t.getDimSize(d));
    else if (keep)
      shape.push_back(1);
  }
  return ReduceOp::create(b, loc,
                          RankedTensorType::get(shape, t.getElementType()),
                          ReduceKind::sum, x, axes, keep);
}

Value GradBuilder::sumKeep(Value x, ArrayRef<int64_t> axes) {
  return reduceSum(b, loc, x, axes, /*keep=*/true);
}

Value GradBuilder::unbroadcast(Value g, Type targetType) {
  auto target = cast<RankedTensorType>(targetType);
  RankedTensorType t = ranked(g);
  int64_t lead = t.getRank() - target.getRank();
  if (lead > 0) {
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, lead));
    g = reduceSum(b, loc, g, axes, /*keep=*/false);
    t = ranked(g);
  }
  SmallVector<int64_t> ones;
  for (int64_t d = 0; d < target.getRank(); ++d)
    if (target.getDimSize(d) == 1 && t.getDimSize(d) != 1)
      ones.push_back(d);
  if (!ones.empty())
    g = reduceSum(b, loc, g, ones, /*keep=*/true);
  if (g.getType() != target)
    g = tensor::CastOp::create(b, loc, target, g);
  return g;
}

Value GradBuilder::expandTo(Value g, Value x, ArrayRef<int64_t> axes,
                            bool dropped) {
  RankedTensorType tx = ranked(x);
  if (dropped && !axes.empty() && ranked(g).getRank() > 0) {
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < tx.getRank(); ++d)
      shape.push_back(llvm::is_contained(axes, d) ? 1 : tx.getDimSize(d));
    g = ReshapeOp::create(b, loc,
                          RankedTensorType::get(shape, tx.getElementType()), g);
  }
  return AddOp::create(b, loc, tx, g, full(x, 0.0));
}

Value GradBuilder::count(Value x, ArrayRef<int64_t> axes) {
  RankedTensorType t = ranked(x);
  int64_t known = 1;
  Value dyn;
  for (int64_t d : axes) {
    if (!t.isDynamicDim(d)) {
      known *= t.getDimSize(d);
      continue;
    }
    Value s = tensor::DimOp::create(b, loc, x, d);
    dyn = dyn ? arith::MulIOp::create(b, loc, dyn, s).getResult() : s;
  }
  if (!dyn)
    return scalar(x, double(known));
  Value n = arith::IndexCastOp::create(b, loc, b.getI64Type(), dyn);
  Type et = t.getElementType();
  Value f = arith::SIToFPOp::create(b, loc, et, n);
  Value c = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({}, et), ValueRange{f});
  return known == 1 ? c : mul(c, scalar(x, double(known)));
}

Value GradBuilder::transposeLast2(Value x) {
  RankedTensorType t = ranked(x);
  int64_t r = t.getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
  std::swap(perm[r - 1], perm[r - 2]);
  SmallVector<int64_t> shape(t.getShape());
  std::swap(shape[r - 1], shape[r - 2]);
  return TransposeOp::create(b, loc,
                             RankedTensorType::get(shape, t.getElementType()),
                             x, b.getDenseI64ArrayAttr(perm));
}

SmallVector<OpFoldResult> GradBuilder::mixedSizes(Value like) {
  RankedTensorType t = ranked(like);
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    sizes.push_back(t.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, like, d))
                        : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
  return sizes;
}

Value GradBuilder::zerosAlong(Value like, int64_t d, int64_t n) {
  RankedTensorType t = ranked(like);
  SmallVector<int64_t> shape(t.getShape());
  shape[d] = n;
  SmallVector<Value> sizes;
  for (int64_t k = 0; k < t.getRank(); ++k)
    if (t.isDynamicDim(k) && k != d)
      sizes.push_back(tensor::DimOp::create(b, loc, like, k));
  return FillOp::create(b, loc,
                        RankedTensorType::get(shape, t.getElementType()), sizes,
                        b.getF64FloatAttr(0));
}

Value GradBuilder::padAlong(Value x, int64_t d, int64_t before, int64_t after) {
  if (before == 0 && after == 0)
    return x;
  SmallVector<Value> parts;
  if (before > 0)
    parts.push_back(zerosAlong(x, d, before));
  parts.push_back(x);
  if (after > 0)
    parts.push_back(zerosAlong(x, d, after));
  RankedTensorType t = ranked(x);
  SmallVector<int64_t> shape(t.getShape());
  shape[d] += before + after;
  return ConcatOp::create(b, loc,
                          RankedTensorType::get(shape, t.getElementType()),
                          parts, b.getI64IntegerAttr(d));
}

Value GradBuilder::sliceAlong(Value x, int64_t d, int64_t start, int64_t size,
                              int64_t stride) {
  RankedTensorType t = ranked(x);
  int64_t rank = t.getRank();
  SmallVector<int64_t> starts(rank, 0), sizes, strides(rank, 1), shape;
  for (int64_t k = 0; k < rank; ++k)
    sizes.push_back(t.isDynamicDim(k) ? -1 : t.getDimSize(k));
  starts[d] = start;
  sizes[d] = size;
  strides[d] = stride;
  shape.assign(t.getShape().begin(), t.getShape().end());
  shape[d] = size;
  return SliceOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), x,
      b.getDenseI64ArrayAttr(starts), b.getDenseI64ArrayAttr(sizes),
      b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr({}));
}

Value GradBuilder::spread(Value x, int64_t d, int64_t stride) {
  if (stride == 1)
    return x;
  // [.., n, ..] -> [.., n, 1, ..] ++ zeros [.., n, stride - 1, ..] on the
  // new axis -> [.., n * stride, ..].
  RankedTensorType t = ranked(x);
  Type et = t.getElementType();
  SmallVector<int64_t> unit(t.getShape());
  unit.insert(unit.begin() + d + 1, 1);
  Value u = ReshapeOp::create(b, loc, RankedTensorType::get(unit, et), x);
  Value wide = padAlong(u, d + 1, 0, stride - 1);
  SmallVector<int64_t> shape(t.getShape());
  shape[d] *= stride;
  return ReshapeOp::create(b, loc, RankedTensorType::get(shape, et), wide);
}

} // namespace nnc::nn
