//===- VJPNorm.cpp - Derivative rules of normalisation and slicing --------===//
//
// Layer norm and batch norm in training mode differentiate through their
// own statistics: with x^ = (x - mean) * rstd over the normalised axes and
// h = g * gamma,
//   dx = rstd * (h - mean(h) - x^ * mean(h * x^)),
// dgamma = sum(g * x^) and dbeta = sum(g) over the other axes. The
// statistics are recomputed from x (two cheap reductions) rather than
// kept from the forward, whose lowering fuses them away. Batch norm in
// evaluation mode is affine in x with the running statistics, which get no
// gradient (they are state, not parameters).
//
// A unit-stride slice scatters its cotangent into zeros (concatenation
// with zero blocks), after restoring the squeezed dimensions.
//
//===----------------------------------------------------------------------===//
#include "autodiff/VJPBuilder.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace nnc::nn {
namespace {

Value meanKeep(GradBuilder &gb, Value x, ArrayRef<int64_t> axes) {
  return gb.div(gb.sumKeep(x, axes), gb.count(x, axes));
}

/// Sums `v` (shaped like the input) down to the shape of `param`, which
/// broadcasts against the input from the right.
Value sumToParam(GradBuilder &gb, Value v, Value param) {
  return gb.unbroadcast(v, param.getType());
}

/// The rule shared by layer norm and training-mode batch norm; `axes` are
/// the axes the statistics are taken over.
void normalisationRule(GradBuilder &gb, Value g, Value x, Value gamma,
                       Value beta, double eps, ArrayRef<int64_t> axes,
                       SmallVectorImpl<Value> &out) {
  Value mean = meanKeep(gb, x, axes);
  Value centred = gb.sub(x, mean);
  Value var = meanKeep(gb, gb.mul(centred, centred), axes);
  Value rstd = gb.unary<RsqrtOp>(gb.add(var, gb.scalar(x, eps)));
  Value xhat = gb.mul(centred, rstd);
  Value h = gb.mul(g, gamma);
  Value inner = gb.sub(gb.sub(h, meanKeep(gb, h, axes)),
                       gb.mul(xhat, meanKeep(gb, gb.mul(h, xhat), axes)));
  out[0] = gb.mul(rstd, inner);
  out[1] = sumToParam(gb, gb.mul(g, xhat), gamma);
  out[2] = sumToParam(gb, g, beta);
}

} // namespace

LogicalResult LayerNormOp::vjp(OpBuilder &b, ValueRange grads,
                               SmallVectorImpl<Value> &out) {
  out.assign(3, Value());
  if (!grads[0])
    return success();
  GradBuilder gb(b, getLoc());
  int64_t rank = ranked(getInput()).getRank();
  int64_t gr = ranked(getGamma()).getRank();
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(rank - gr, rank));
  normalisationRule(gb, grads[0], getInput(), getGamma(), getBeta(),
                    getEps().convertToDouble(), axes, out);
  return success();
}

LogicalResult BatchNormOp::vjp(OpBuilder &b, ValueRange grads,
                               SmallVectorImpl<Value> &out) {
  out.assign(5, Value());
  if (!grads[0])
    return success();
  GradBuilder gb(b, getLoc());
  Value g = grads[0], x = getInput();
  double eps = getEps().convertToDouble();
  if (getTraining()) {
    int64_t rank = ranked(x).getRank();
    SmallVector<int64_t> axes =
        llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
    normalisationRule(gb, g, x, getGamma(), getBeta(), eps, axes, out);
    return success();
  }
  Value rstd = gb.unary<RsqrtOp>(gb.add(getVar(), gb.scalar(x, eps)));
  Value xhat = gb.mul(gb.sub(x, getMean()), rstd);
  out[0] = gb.mul(g, gb.mul(getGamma(), rstd));
  out[1] = sumToParam(gb, gb.mul(g, xhat), getGamma());
  out[2] = sumToParam(gb, g, getBeta());
  return success();
}

LogicalResult SliceOp::vjp(OpBuilder &b, ValueRange grads,
                           SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  RankedTensorType xt = ranked(getInput());
  GradBuilder gb(b, getLoc());
  Value g = grads[0];
  ArrayRef<int64_t> starts = getStarts(), sizes = getSizes(),
                    strides = getStrides();
  // Put the squeezed unit dimensions back.
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < xt.getRank(); ++d)
    shape.push_back(sizes[d] < 0 ? ShapedType::kDynamic : sizes[d]);
  if (!getSqueeze().empty())
    g = ReshapeOp::create(b, getLoc(),
                          RankedTensorType::get(shape, xt.getElementType()), g);
  auto cut = [&](int64_t d) {
    return sizes[d] >= 0 &&
           !(starts[d] == 0 && strides[d] == 1 && sizes[d] == xt.getDimSize(d));
  };
  if (llvm::any_of(llvm::seq<int64_t>(0, xt.getRank()),
                   [&](int64_t d) { return cut(d) && xt.isDynamicDim(d); })) {
    // A cut of a symbolic dimension: the cotangent written into zeros of
    // the input's (run-time) shape.
    Location loc = getLoc();
    SmallVector<OpFoldResult> offsets, extents, steps;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      offsets.push_back(b.getIndexAttr(starts[d]));
      steps.push_back(b.getIndexAttr(strides[d]));
      extents.push_back(sizes[d] >= 0 ? OpFoldResult(b.getIndexAttr(sizes[d]))
                                      : OpFoldResult(tensor::DimOp::create(
                                            b, loc, getInput(), d)));
    }
    out[0] = tensor::InsertSliceOp::create(b, loc, g, gb.full(getInput(), 0.0),
                                           offsets, extents, steps);
    return success();
  }
  // On every cut dimension: spread a strided slice back to its positions
  // (zeros between), then zero blocks before and after it.
  for (int64_t d = 0; d < xt.getRank(); ++d) {
    if (!cut(d))
      continue;
    int64_t room = xt.getDimSize(d) - starts[d];
    int64_t len = sizes[d];
    if (strides[d] > 1) {
      g = gb.spread(g, d, strides[d]);
      len = std::min(sizes[d] * strides[d], room);
      if (len < sizes[d] * strides[d])
        g = gb.sliceAlong(g, d, 0, len);
    }
    g = gb.padAlong(g, d, starts[d], room - len);
  }
  out[0] = g;
  return success();
}

} // namespace nnc::nn
