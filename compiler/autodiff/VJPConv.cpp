//===- VJPConv.cpp - Derivative rules of convolution and pooling ----------===//
//
// conv2d: the input's cotangent is the transposed convolution of the
// output's cotangent with the same filter (channels swapped), padded with
// zeros where the forward's stride skipped trailing rows/columns; the
// filter's cotangent is nn.conv2d_filter_grad of the input and the
// cotangent (no transposes; itself differentiable, being bilinear: its
// rule is the convolution's). Average pooling with non-overlapping windows
// stretches the cotangent back with nearest-neighbour upsampling; max
// pooling, and any pooling whose windows overlap or are padded, becomes
// nn.pool2d_grad (each window's cotangent to the first position holding
// its maximum, as PyTorch; lowered to gathers in codegen).
//
// Dilated filters are spread out with zeros (then the rule above applies),
// grouped convolutions are differentiated group by group, and asymmetric
// padding crops the transposed convolution's extra rows.
//
//===----------------------------------------------------------------------===//
#include "autodiff/VJPBuilder.h"

using namespace mlir;

namespace nnc::nn {
namespace {

Value transpose(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> perm) {
  RankedTensorType t = ranked(x);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return TransposeOp::create(b, loc,
                             RankedTensorType::get(shape, t.getElementType()),
                             x, b.getDenseI64ArrayAttr(perm));
}

/// Grows NHWC `x` with zero rows at the bottom and zero columns at the
/// right until it has `like`'s spatial size.
Value padBottomRight(GradBuilder &gb, Value x, RankedTensorType like) {
  for (int64_t d : {1, 2})
    x = gb.padAlong(
        x, d, 0,
        std::max<int64_t>(like.getDimSize(d) - ranked(x).getDimSize(d), 0));
  return x;
}

bool staticImages(ArrayRef<Value> vs) {
  return llvm::all_of(vs, [](Value v) {
    return !ranked(v).isDynamicDim(1) && !ranked(v).isDynamicDim(2);
  });
}

} // namespace

/// `w` [KH, KW, C, F] reversed along its two spatial dimensions (gathers
/// of the reversed rows; filters are small).
static Value flipSpatial(OpBuilder &b, Location loc, Value w) {
  for (int64_t d : {0, 1}) {
    RankedTensorType t = ranked(w);
    int64_t k = t.getDimSize(d);
    if (k == 1)
      continue;
    SmallVector<int64_t> rows;
    for (int64_t i = k - 1; i >= 0; --i)
      rows.push_back(i);
    auto it = RankedTensorType::get({k}, b.getI64Type());
    Value ids = ConstantOp::create(
        b, loc, it, DenseElementsAttr::get(it, ArrayRef<int64_t>(rows)));
    SmallVector<int64_t> perm = {1, 0, 2, 3};
    Value v = d == 0 ? w : transpose(b, loc, w, perm);
    v = GatherOp::create(b, loc, v.getType(), v, ids);
    w = d == 0 ? v : transpose(b, loc, v, perm);
  }
  return w;
}

/// A stride-1 convolution over images of run-time size (padding "same"):
/// its input cotangent is the convolution of the cotangent with the
/// flipped, channel-swapped filter, padded with the complement of the
/// forward's padding, which gives back the input's size whatever it is.
static LogicalResult symbolicVJP(Conv2DOp op, OpBuilder &b, Value g,
                                 SmallVectorImpl<Value> &out) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> p = op.getPadding(), dil = op.getDilation();
  RankedTensorType wt = ranked(op.getFilter());
  SmallVector<int64_t> pad;
  for (int64_t d : {0, 1}) {
    int64_t span = (wt.getDimSize(d) - 1) * dil[d];
    pad.append({span - p[2 * d + 1], span - p[2 * d]});
  }
  if (llvm::any_of(pad, [](int64_t v) { return v < 0; }))
    return op.emitError("cannot differentiate through a convolution with "
                        "symbolic image sizes and this padding yet");
  Value w =
      transpose(b, loc, flipSpatial(b, loc, op.getFilter()), {0, 1, 3, 2});
  out[0] = Conv2DOp::create(b, loc, op.getInput().getType(), g, w,
                            op.getStrideAttr(), b.getDenseI64ArrayAttr(pad),
                            op.getDilationAttr(), b.getI64IntegerAttr(1));
  out[1] = Conv2DFilterGradOp::create(b, loc, wt, op.getInput(), g,
                                      op.getStrideAttr(), op.getPaddingAttr(),
                                      op.getDilationAttr());
  return success();
}

/// A grouped convolution (depthwise included) over images of static size,
/// as whole-tensor ops rather than one convolution per group (a depthwise
/// layer has as many groups as channels). dX: the cotangent spread by the
/// stride and padded,
/// convolved in the same groups with the spatially flipped filter whose
/// per-group input and output channels swap, cropped to the input. dW: the
/// grouped filter cotangent.
static LogicalResult groupedStaticVJP(Conv2DOp op, OpBuilder &b, Value g,
                                      SmallVectorImpl<Value> &out) {
  Location loc = op.getLoc();
  GradBuilder gb(b, loc);
  RankedTensorType wt = ranked(op.getFilter()), xt = ranked(op.getInput());
  RankedTensorType gt = ranked(g);
  Type et = xt.getElementType();
  int64_t G = op.getGroups(), Cg = wt.getDimSize(2), Fg = wt.getDimSize(3) / G;
  ArrayRef<int64_t> s = op.getStride(), p = op.getPadding(),
                    dil = op.getDilation();
  int64_t K[2] = {wt.getDimSize(0), wt.getDimSize(1)};
  int64_t size[2] = {xt.getDimSize(1), xt.getDimSize(2)};
  int64_t padded[2] = {size[0] + p[0] + p[1], size[1] + p[2] + p[3]};
  int64_t outSize[2] = {gt.getDimSize(1), gt.getDimSize(2)};
  auto typed = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, et);
  };
  auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    return ReshapeOp::create(b, loc, typed(shape), v);
  };
  int64_t N = xt.getDimSize(0);

  // dX over the padded input, then cropped to the input.
  Value gs = g;
  SmallVector<int64_t> pad;
  for (int64_t d : {0, 1}) {
    gs = gb.spread(gs, d + 1, s[d]);
    int64_t len = outSize[d] * s[d];
    if (len > padded[d]) { // trailing zeros past the padded input
      gs = gb.sliceAlong(gs, d + 1, 0, padded[d]);
      len = padded[d];
    }
    pad.append({(K[d] - 1) * dil[d], padded[d] - len});
  }
  Value w = reshape(flipSpatial(b, loc, op.getFilter()),
                    {K[0], K[1], Cg, G, Fg});
  w = reshape(transpose(b, loc, w, {0, 1, 4, 3, 2}), {K[0], K[1], Fg, G * Cg});
  Value dx = Conv2DOp::create(
      b, loc, typed({N, padded[0], padded[1], G * Cg}), gs, w,
      b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr(pad),
      op.getDilationAttr(), b.getI64IntegerAttr(G));
  for (int64_t d : {0, 1})
    if (padded[d] != size[d])
      dx = gb.sliceAlong(dx, d + 1, p[2 * d], size[d]);
  out[0] = dx;

  // dW: the grouped filter cotangent (one loop nest, groups innermost).
  out[1] = Conv2DFilterGradOp::create(
      b, loc, wt, op.getInput(), g, op.getStrideAttr(), op.getPaddingAttr(),
      op.getDilationAttr(), op.getGroupsAttr());
  return success();
}

/// Grouped convolution over images of run-time size: each group is an
/// ordinary convolution of its input channels with its filters, so its
/// rule is that convolution's, and the cotangents are the groups'
/// concatenated along the channels.
static LogicalResult groupedVJP(Conv2DOp op, OpBuilder &b, Value g,
                                SmallVectorImpl<Value> &out) {
  GradBuilder gb(b, op.getLoc());
  RankedTensorType wt = ranked(op.getFilter()), xt = ranked(op.getInput());
  int64_t G = op.getGroups(), Cg = wt.getDimSize(2), Fg = wt.getDimSize(3) / G;
  SmallVector<Value> dxs, dws;
  for (int64_t k = 0; k < G; ++k) {
    Value xg = gb.sliceAlong(op.getInput(), 3, k * Cg, Cg);
    Value wg = gb.sliceAlong(op.getFilter(), 3, k * Fg, Fg);
    Value gg = gb.sliceAlong(g, 3, k * Fg, Fg);
    auto conv = Conv2DOp::create(b, op.getLoc(), gg.getType(), xg, wg,
                                 op.getStrideAttr(), op.getPaddingAttr(),
                                 op.getDilationAttr(), b.getI64IntegerAttr(1));
    SmallVector<Value> parts;
    LogicalResult r = conv.vjp(b, ValueRange{gg}, parts);
    conv.erase();
    if (failed(r))
      return r;
    dxs.push_back(parts[0]);
    dws.push_back(parts[1]);
  }
  out[0] = ConcatOp::create(b, op.getLoc(), xt, dxs, b.getI64IntegerAttr(3));
  out[1] = ConcatOp::create(b, op.getLoc(), wt, dws, b.getI64IntegerAttr(3));
  return success();
}

LogicalResult Conv2DOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(2, Value());
  if (!grads[0])
    return success();
  if (getGroups() != 1 && staticImages({getInput(), grads[0]}))
    return groupedStaticVJP(*this, b, grads[0], out);
  if (getGroups() != 1)
    return groupedVJP(*this, b, grads[0], out);
  ArrayRef<int64_t> s = getStride(), p = getPadding(), dil = getDilation();
  if (!staticImages({getInput(), grads[0]})) {
    if (s[0] != 1 || s[1] != 1)
      return emitError("cannot differentiate through a strided convolution "
                       "with symbolic image sizes yet");
    return symbolicVJP(*this, b, grads[0], out);
  }
  RankedTensorType xt = ranked(getInput()), wt = ranked(getFilter());
  RankedTensorType gt = ranked(grads[0]);
  GradBuilder gb(b, getLoc());
  Value g = grads[0];
  Type et = xt.getElementType();

  // A dilated filter is the filter spread out with zeros between its taps.
  Value w = getFilter();
  for (int64_t d : {0, 1})
    if (dil[d] != 1)
      w = gb.sliceAlong(gb.spread(w, d, dil[d]), d, 0,
                        (wt.getDimSize(d) - 1) * dil[d] + 1);
  int64_t kh = ranked(w).getDimSize(0), kw = ranked(w).getDimSize(1);

  // dX = conv_transpose(g, W with its channels swapped): rows and columns
  // of the padded input; the transposed convolution crops the smaller pad
  // of each side, the rest of the larger one is sliced off here, and rows
  // the forward's stride skipped at the end come back as zeros.
  Value wSwap = transpose(b, getLoc(), w, {0, 1, 3, 2});
  int64_t q[2] = {std::min(p[0], p[1]), std::min(p[2], p[3])};
  SmallVector<int64_t> dxShape(xt.getShape());
  dxShape[1] = (gt.getDimSize(1) - 1) * s[0] - 2 * q[0] + kh;
  dxShape[2] = (gt.getDimSize(2) - 1) * s[1] - 2 * q[1] + kw;
  Value dx = ConvTranspose2DOp::create(
      b, getLoc(), RankedTensorType::get(dxShape, et), g, wSwap,
      b.getDenseI64ArrayAttr(s), b.getDenseI64ArrayAttr({q[0], q[1]}));
  for (int64_t d : {1, 2}) {
    int64_t off = p[2 * (d - 1)] - q[d - 1];
    int64_t len = std::min(xt.getDimSize(d), dxShape[d] - off);
    if (off > 0 || len < dxShape[d])
      dx = gb.sliceAlong(dx, d, off, len);
  }
  out[0] = padBottomRight(gb, dx, xt);

  // dW[kh, kw, c, f]: the input correlated with the cotangent.
  out[1] = Conv2DFilterGradOp::create(
      b, getLoc(), wt, getInput(), g, b.getDenseI64ArrayAttr(s),
      b.getDenseI64ArrayAttr(p), b.getDenseI64ArrayAttr(dil),
      b.getI64IntegerAttr(1));
  return success();
}

LogicalResult Conv2DFilterGradOp::vjp(OpBuilder &b, ValueRange grads,
                                      SmallVectorImpl<Value> &out) {
  // Bilinear in (input, grad): with U the result's cotangent, the
  // cotangent's cotangent is the convolution of the input with U, and the
  // input's is that convolution's input cotangent for `grad`.
  out.assign(2, Value());
  if (!grads[0])
    return success();
  auto conv = Conv2DOp::create(b, getLoc(), getGrad().getType(), getInput(),
                               grads[0], getStrideAttr(), getPaddingAttr(),
                               getDilationAttr(), getGroupsAttr());
  SmallVector<Value> convGrads;
  LogicalResult r = conv.vjp(b, ValueRange{getGrad()}, convGrads);
  if (succeeded(r)) {
    out[0] = convGrads[0];
    out[1] = conv.getResult();
  } else {
    conv.erase();
  }
  return r;
}

LogicalResult ConvTranspose2DOp::vjp(OpBuilder &b, ValueRange grads,
                                     SmallVectorImpl<Value> &out) {
  out.assign(2, Value());
  if (!grads[0])
    return success();
  if (!staticImages({getInput(), grads[0]}))
    return emitError("cannot differentiate through a transposed convolution "
                     "with symbolic image sizes yet");
  GradBuilder gb(b, getLoc());
  Value g = grads[0], w = getFilter();
  ArrayRef<int64_t> s = getStride(), p = getPadding();
  SmallVector<int64_t> pad4 = {p[0], p[0], p[1], p[1]};
  RankedTensorType xt = ranked(getInput()), wt = ranked(w);
  // The transposed convolution is the adjoint of conv2d with the channel-
  // swapped filter, so its input's cotangent is that convolution.
  Value wSwap = transpose(b, getLoc(), w, {0, 1, 3, 2});
  out[0] =
      Conv2DOp::create(b, getLoc(), xt, g, wSwap, b.getDenseI64ArrayAttr(s),
                       b.getDenseI64ArrayAttr(pad4),
                       b.getDenseI64ArrayAttr({1, 1}), b.getI64IntegerAttr(1));
  // Its filter's cotangent is that convolution's filter cotangent (for the
  // channel-swapped filter, [KH, KW, C_out, C_in]), swapped back.
  auto swapped = RankedTensorType::get(
      {wt.getDimSize(0), wt.getDimSize(1), wt.getDimSize(3), wt.getDimSize(2)},
      wt.getElementType());
  Value dw = Conv2DFilterGradOp::create(
      b, getLoc(), swapped, g, getInput(), b.getDenseI64ArrayAttr(s),
      b.getDenseI64ArrayAttr(pad4), b.getDenseI64ArrayAttr({1, 1}),
      b.getI64IntegerAttr(1));
  out[1] = transpose(b, getLoc(), dw, {0, 1, 3, 2});
  return success();
}

LogicalResult UpsampleOp::vjp(OpBuilder &b, ValueRange grads,
                              SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  // Each input pixel was copied to a factor x factor block: sum the block.
  GradBuilder gb(b, getLoc());
  int64_t k = getFactor();
  Value avg = Pool2DOp::create(
      b, getLoc(), getInput().getType(), PoolKind::avg, grads[0],
      b.getDenseI64ArrayAttr({k, k}), b.getDenseI64ArrayAttr({k, k}),
      b.getDenseI64ArrayAttr({0, 0, 0, 0}));
  out[0] = gb.mul(avg, gb.scalar(avg, double(k * k)));
  return success();
}

LogicalResult Pool2DOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  ArrayRef<int64_t> win = getWindow(), s = getStride(), p = getPadding();
  bool padded = llvm::any_of(p, [](int64_t v) { return v != 0; });
  RankedTensorType xt = ranked(getInput()), yt = ranked(getResult());
  bool symbolic = xt.isDynamicDim(1) || xt.isDynamicDim(2);
  if (symbolic || win[0] != win[1] || s[0] != win[0] || s[1] != win[1] ||
      padded || getKind() == PoolKind::max) {
    // The general rule (and max pooling's first-argmax routing, as
    // PyTorch): one gather per input position over the windows covering it.
    out[0] = Pool2DGradOp::create(b, getLoc(), xt, getKindAttr(), getInput(),
                                  grads[0], getWindowAttr(), getStrideAttr(),
                                  getPaddingAttr());
    return success();
  }
  GradBuilder gb(b, getLoc());
  int64_t k = win[0];
  SmallVector<int64_t> upShape(yt.getShape());
  upShape[1] *= k;
  upShape[2] *= k;
  auto upType = RankedTensorType::get(upShape, yt.getElementType());
  auto upsample = [&](Value v) -> Value {
    return UpsampleOp::create(b, getLoc(), upType, v, b.getI64IntegerAttr(k));
  };
  // Average pooling with non-overlapping windows: stretch and scale.
  Value g = upsample(grads[0]);
  g = gb.mul(g, gb.scalar(g, 1.0 / double(k * k)));
  out[0] = padBottomRight(gb, g, xt);
  return success();
}

LogicalResult Pool2DGradOp::vjp(OpBuilder &b, ValueRange grads,
                                SmallVectorImpl<Value> &out) {
  // Linear in the cotangent g: average pooling's transpose is average
  // pooling, max pooling's reads the arg-max of each window. The input
  // only picks the arg-max (piecewise constant): no cotangent.
  out.assign(2, Value());
  if (!grads[0])
    return success();
  Type gt = getGrad().getType();
  if (getKind() == PoolKind::avg)
    out[1] =
        Pool2DOp::create(b, getLoc(), gt, getKindAttr(), grads[0],
                         getWindowAttr(), getStrideAttr(), getPaddingAttr());
  else
    out[1] = Pool2DTakeOp::create(b, getLoc(), gt, getInput(), grads[0],
                                  getWindowAttr(), getStrideAttr(),
                                  getPaddingAttr());
  return success();
}

LogicalResult Pool2DTakeOp::vjp(OpBuilder &b, ValueRange grads,
                                SmallVectorImpl<Value> &out) {
  // Linear in the source: each window's cotangent goes back to its
  // arg-max, which is max pooling's own rule.
  out.assign(2, Value());
  if (!grads[0])
    return success();
  out[1] = Pool2DGradOp::create(
      b, getLoc(), getSource().getType(), PoolKind::max, getInput(),
      grads[0], getWindowAttr(), getStrideAttr(), getPaddingAttr());
  return success();
}

} // namespace nnc::nn
