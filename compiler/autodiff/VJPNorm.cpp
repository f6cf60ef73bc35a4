//===- VJPNorm.cpp - Derivative rules of normalisation and slicing --------===//
//
// Layer norm differentiates through its own statistics: with
// x^ = (x - mean) * rstd over the normalised axes and h = g * gamma,
//   dx = rstd * (h - mean(h) - x^ * mean(h * x^)),
// dgamma = sum(g * x^) and dbeta = sum(g) over the other axes, the
// statistics recomputed from x. Batch norm in training mode has the same
// rule with gamma constant along the reduced axes, which leaves two sums:
// it becomes nn.batch_norm_grad (one loop for both sums, one for dx) on
// nn.channel_moments of x, the op the forward's expansion and the running
// statistics also use, so the statistics are taken once per step; both
// ops have rules of their own, for second derivatives. Batch norm in
// evaluation mode is affine in x with the running statistics,
// which get no gradient (they are state, not parameters).
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
    Type c = getGamma().getType();
    auto moments = ChannelMomentsOp::create(b, getLoc(), c, c, x);
    auto grad = BatchNormGradOp::create(b, getLoc(), x.getType(), c, c, g, x,
                                        getGamma(), moments.getMean(),
                                        moments.getVar(), getEpsAttr());
    llvm::copy(grad->getResults(), out.begin());
    return success();
  }
  Value rstd = gb.unary<RsqrtOp>(gb.add(getVar(), gb.scalar(x, eps)));
  Value xhat = gb.mul(gb.sub(x, getMean()), rstd);
  out[0] = gb.mul(g, gb.mul(getGamma(), rstd));
  out[1] = sumToParam(gb, gb.mul(g, xhat), getGamma());
  out[2] = sumToParam(gb, g, getBeta());
  return success();
}

// mean = sum(x) / n, var = sum((x - mean)^2) / n: the mean's cotangent
// spreads evenly, the variance's as 2 (x - mean) / n (the mean's own
// dependence on x cancels: sum(x - mean) = 0).
LogicalResult ChannelMomentsOp::vjp(OpBuilder &b, ValueRange grads,
                                    SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  GradBuilder gb(b, getLoc());
  Value x = getInput(), n = gb.count(x, ChannelMomentsOp::axesOf(x));
  if (grads[0])
    out[0] = gb.add(gb.full(x, 0.0), gb.div(grads[0], n));
  if (grads[1]) {
    Value v = gb.mul(gb.sub(x, getMean()),
                     gb.div(gb.mul(grads[1], gb.scalar(x, 2.0)), n));
    out[0] = out[0] ? gb.add(out[0], v) : v;
  }
  return success();
}

// The op computes, with s = gamma rstd, rstd = (var + eps)^-1/2 and
// x^ = (x - mean) rstd: dbeta = sum(g), dgamma = sum(g x^) and
// dx = s (g - D / n), D = dbeta + x^ dgamma. Its own cotangents u (of dx),
// a (of dgamma) and c (of dbeta) flow back through D to the two sums
// (T_b, T_g), through s to gamma and var, and through x^ to x, mean and
// var; mean and var are operands in their own right here (second
// derivatives of training batch norm reach x through nn.channel_moments).
LogicalResult BatchNormGradOp::vjp(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &out) {
  out.assign(5, Value());
  Value u = grads[0], tg = grads[1], tb = grads[2];
  if (!u && !tg && !tb)
    return success();
  GradBuilder gb(b, getLoc());
  Value g = getGrad(), x = getInput(), gamma = getGamma();
  Type c = gamma.getType();
  auto sum = [&](Value v) { return gb.unbroadcast(v, c); };
  auto plus = [&](Value p, Value q) { return !p ? q : gb.add(p, q); };
  auto minus = [&](Value p, Value q) {
    return p ? gb.sub(p, q) : gb.mul(q, gb.scalar(x, -1.0));
  };
  Value n = gb.count(x, ChannelMomentsOp::axesOf(x));
  Value rstd = gb.unary<RsqrtOp>(
      gb.add(getVar(), gb.scalar(x, getEps().convertToDouble())));
  Value centred = gb.sub(x, getMean());
  Value xhat = gb.mul(centred, rstd);
  Value s = gb.mul(gamma, rstd);
  Value gBar, xhatBar, sBar;
  if (u) {
    Value d = gb.add(getBetaGrad(), gb.mul(xhat, getGammaGrad()));
    gBar = gb.mul(u, s);
    sBar = sum(gb.mul(u, gb.sub(g, gb.div(d, n))));
    xhatBar = minus(Value(), gb.mul(u, gb.div(gb.mul(s, getGammaGrad()), n)));
    tb = minus(tb, gb.div(gb.mul(s, sum(u)), n));
    tg = minus(tg, gb.div(gb.mul(s, sum(gb.mul(u, xhat))), n));
  }
  if (tb)
    gBar = plus(gBar, gb.add(gb.full(g, 0.0), tb));
  if (tg) {
    gBar = plus(gBar, gb.mul(tg, xhat));
    xhatBar = plus(xhatBar, gb.mul(tg, g));
  }
  out[0] = gBar;
  Value rstdBar;
  if (xhatBar) {
    out[1] = gb.mul(xhatBar, rstd);
    out[3] = minus(Value(), sum(out[1]));
    rstdBar = sum(gb.mul(xhatBar, centred));
  }
  if (sBar) {
    out[2] = gb.mul(sBar, rstd);
    rstdBar = plus(rstdBar, gb.mul(sBar, gamma));
  }
  if (rstdBar) // d rstd / d var = -rstd^3 / 2
    out[4] = gb.mul(
        rstdBar, gb.mul(gb.scalar(x, -0.5), gb.mul(rstd, gb.mul(rstd, rstd))));
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
