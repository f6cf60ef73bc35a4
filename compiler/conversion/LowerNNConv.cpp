//===- LowerNNConv.cpp - Convolution, pooling and upsampling --------------===//
//
// Named linalg convolutions and poolings after a tensor.pad; grouped
// convolutions as one contraction generic; transposed convolutions as a
// convolution of the stride-dilated input with the flipped kernel;
// nearest-neighbour upsampling with floordiv indexing maps.
//
//===----------------------------------------------------------------------===//
#include "conversion/Lowering.h"
#include "conversion/Passes.h"
#include "dialect/NNAttrNames.h"

#include <cmath>

using namespace mlir;
using namespace nnc::lowering;
namespace nn = nnc::nn;

Value Lowering::pad(Location l, Value x, ArrayRef<int64_t> p, double value) {
  if (llvm::all_of(p, [](int64_t v) { return v == 0; }))
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> low{0, p[0], p[2], 0}, high{0, p[1], p[3], 0};
  SmallVector<int64_t> shape(t.getShape());
  for (int d = 1; d <= 2; ++d)
    if (!t.isDynamicDim(d))
      shape[d] += low[d] + high[d];
  auto pt = RankedTensorType::get(shape, t.getElementType());
  Value v = floatConst(b, l, t.getElementType(), value);
  SmallVector<OpFoldResult> lo, hi;
  for (int d = 0; d < 4; ++d) {
    lo.push_back(b.getIndexAttr(low[d]));
    hi.push_back(b.getIndexAttr(high[d]));
  }
  return tensor::PadOp::create(b, l, pt, x, lo, hi, v);
}

Value Lowering::conv(nn::Conv2DOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Value x = pad(l, op.getInput(), op.getPadding(), 0.0);
  if (op.getGroups() != 1)
    return groupedConv(op, x);
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
  Value filled = linalg::FillOp::create(
                     b, l, floatConst(b, l, rt.getElementType(), 0.0), init)
                     .getResult(0);
  auto conv = linalg::Conv2DNhwcHwcfOp::create(
      b, l, TypeRange{rt}, ValueRange{x, op.getFilter()}, ValueRange{filled},
      b.getI64TensorAttr(op.getStride()), b.getI64TensorAttr(op.getDilation()));
  return conv.getResult(0);
}

Value Lowering::convFilterGrad(nn::Conv2DFilterGradOp op) {
  // out[kh, kw, c, f] += x[n, y*s0 + kh*d0, x*s1 + kw*d1, c] * g[n, y, x, f]
  // as one generic over (kh, kw, c, f, n, y, x), marked so that
  // nnc-kernel-calls recognises it (kFilterGradAttr: strides, dilations).
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Value x = pad(l, op.getInput(), op.getPadding(), 0.0);
  if (op.getGroups() != 1)
    return groupedFilterGrad(op, x);
  int64_t s0 = op.getStride()[0], s1 = op.getStride()[1];
  int64_t d0 = op.getDilation()[0], d1 = op.getDilation()[1];
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value init =
      linalg::FillOp::create(b, l, floatConst(b, l, rt.getElementType(), 0.0),
                             Value(tensor::EmptyOp::create(
                                 b, l, rt.getShape(), rt.getElementType())))
          .getResult(0);
  SmallVector<AffineMap> maps{
      AffineMap::get(7, 0,
                     {e(4), e(5) * s0 + e(0) * d0, e(6) * s1 + e(1) * d1, e(2)},
                     ctx),
      AffineMap::get(7, 0, {e(4), e(5), e(6), e(3)}, ctx),
      AffineMap::get(7, 0, {e(0), e(1), e(2), e(3)}, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.append(3, utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, l, TypeRange{rt}, ValueRange{x, op.getGrad()}, ValueRange{init}, maps,
      iters, [](OpBuilder &nb, Location nl, ValueRange a) {
        Value p = arith::MulFOp::create(nb, nl, a[0], a[1]);
        linalg::YieldOp::create(nb, nl,
                                Value(arith::AddFOp::create(nb, nl, a[2], p)));
      });
  generic->setAttr(nnc::attr::kFilterGrad,
                   b.getDenseI64ArrayAttr({s0, s1, d0, d1}));
  return generic.getResult(0);
}

/// The grouped contractions (convolution and filter cotangent): `out` (a
/// zero-filled [.., .., .., G, Fg] view of `rt`) += in[0] * in[1] over 8
/// loops (3 parallel, 3 reductions, then the group and filter loops
/// innermost), collapsed back to `rt`.
static Value groupedContraction(OpBuilder &b, Location l, RankedTensorType rt,
                                Value out, ValueRange in,
                                ArrayRef<AffineMap> maps) {
  Value filled = linalg::FillOp::create(
                     b, l, floatConst(b, l, rt.getElementType(), 0.0), out)
                     .getResult(0);
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  iters.append(3, utils::IteratorType::reduction);
  iters.append(2, utils::IteratorType::parallel);
  Value r = linalg::GenericOp::create(
                b, l, TypeRange{out.getType()}, in, ValueRange{filled}, maps,
                iters,
                [](OpBuilder &nb, Location nl, ValueRange a) {
                  Value p = arith::MulFOp::create(nb, nl, a[0], a[1]);
                  linalg::YieldOp::create(
                      nb, nl, Value(arith::AddFOp::create(nb, nl, a[2], p)));
                })
                .getResult(0);
  SmallVector<ReassociationIndices> grp{{0}, {1}, {2}, {3, 4}};
  return tensor::CollapseShapeOp::create(b, l, rt, r, grp);
}

Value Lowering::groupedFilterGrad(nn::Conv2DFilterGradOp op, Value x) {
  // out[ky, kx, c, g*Fg + f] += x[n, oy*s + ky*d, ox*s + kx*d, g*Cg + c]
  //                              * grad[n, oy, ox, g*Fg + f]
  // over (ky, kx, c, n, oy, ox, g, f): groups and filters innermost.
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  int64_t G = op.getGroups(), Cg = rt.getDimSize(2), Fg = rt.getDimSize(3) / G;
  int64_t s0 = op.getStride()[0], s1 = op.getStride()[1];
  int64_t d0 = op.getDilation()[0], d1 = op.getDilation()[1];
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value out = tensor::EmptyOp::create(
      b, l, ArrayRef<int64_t>{rt.getDimSize(0), rt.getDimSize(1), Cg, G, Fg},
      rt.getElementType());
  return groupedContraction(
      b, l, rt, out, {x, op.getGrad()},
      {AffineMap::get(8, 0,
                      {e(3), e(4) * s0 + e(0) * d0, e(5) * s1 + e(1) * d1,
                       e(6) * Cg + e(2)},
                      ctx),
       AffineMap::get(8, 0, {e(3), e(4), e(5), e(6) * Fg + e(7)}, ctx),
       AffineMap::get(8, 0, {e(0), e(1), e(2), e(6), e(7)}, ctx)});
}

Value Lowering::groupedConv(nn::Conv2DOp op, Value x) {
  // out[n, oy, ox, g*Fg + f] += x[n, oy*s + ky*d, ox*s + kx*d, g*Cg + c]
  //                              * w[ky, kx, c, g*Fg + f]
  // over (n, oy, ox, ky, kx, c, g, f), on the result viewed as [N, OH, OW,
  // G, Fg]: the groups and their filters innermost, where the output and
  // filter are contiguous (a depthwise layer's channel loop vectorises).
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  auto wt = cast<RankedTensorType>(op.getFilter().getType());
  int64_t G = op.getGroups(), Cg = wt.getDimSize(2), Fg = wt.getDimSize(3) / G;
  int64_t s0 = op.getStride()[0], s1 = op.getStride()[1];
  int64_t d0 = op.getDilation()[0], d1 = op.getDilation()[1];
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto gt = RankedTensorType::get(
      {rt.getDimSize(0), rt.getDimSize(1), rt.getDimSize(2), G, Fg},
      rt.getElementType());
  Value out = emptyTensor(
      b, l, gt, [&](int64_t) { return dimOf(b, l, op.getInput(), 0); });
  return groupedContraction(
      b, l, rt, out, {x, op.getFilter()},
      {AffineMap::get(8, 0,
                      {e(0), e(1) * s0 + e(3) * d0, e(2) * s1 + e(4) * d1,
                       e(6) * Cg + e(5)},
                      ctx),
       AffineMap::get(8, 0, {e(3), e(4), e(5), e(6) * Fg + e(7)}, ctx),
       AffineMap::get(8, 0, {e(0), e(1), e(2), e(6), e(7)}, ctx)});
}

Value Lowering::convTranspose(nn::ConvTranspose2DOp op) {
  // A stride-1 convolution of the input dilated by the stride (zeros in
  // between), padded by kernel - 1 - padding, with the kernel flipped.
  Location l = op.getLoc();
  auto x = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getFilter().getType());
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  int64_t s[2] = {op.getStride()[0], op.getStride()[1]};
  int64_t k[2] = {wt.getDimSize(0), wt.getDimSize(1)};
  int64_t p[2] = {op.getPadding()[0], op.getPadding()[1]};
  // The dilated, padded input, zero everywhere but the strided positions.
  SmallVector<int64_t> shape{x.getDimSize(0), 0, 0, x.getDimSize(3)};
  for (int i = 0; i < 2; ++i)
    shape[1 + i] = (x.getDimSize(1 + i) - 1) * s[i] + 1 + 2 * (k[i] - 1 - p[i]);
  auto dt = RankedTensorType::get(shape, et);
  Value zeros =
      linalg::FillOp::create(
          b, l, floatConst(b, l, et, 0.0),
          emptyTensor(b, l, dt,
                      [&](int64_t d) { return dimOf(b, l, op.getInput(), d); }))
          .getResult(0);
  SmallVector<OpFoldResult> offs{
      b.getIndexAttr(0), b.getIndexAttr(k[0] - 1 - p[0]),
      b.getIndexAttr(k[1] - 1 - p[1]), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes,
      strides{b.getIndexAttr(1), b.getIndexAttr(s[0]), b.getIndexAttr(s[1]),
              b.getIndexAttr(1)};
  for (int64_t d = 0; d < 4; ++d)
    sizes.push_back(x.isDynamicDim(d)
                        ? OpFoldResult(dimOf(b, l, op.getInput(), d))
                        : b.getIndexAttr(x.getDimSize(d)));
  Value dilated = tensor::InsertSliceOp::create(b, l, op.getInput(), zeros,
                                                offs, sizes, strides);
  // The kernel flipped in both spatial dimensions.
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto c = [&](int64_t v) { return getAffineConstantExpr(v, ctx); };
  SmallVector<AffineMap> maps{
      AffineMap::get(4, 0, {c(k[0] - 1) - e(0), c(k[1] - 1) - e(1), e(2), e(3)},
                     ctx),
      AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  Value flipped =
      linalg::GenericOp::create(
          b, l, TypeRange{wt}, ValueRange{op.getFilter()},
          ValueRange{tensor::EmptyOp::create(b, l, wt.getShape(), et)}, maps,
          iters,
          [](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(nb, nl, a[0]);
          })
          .getResult(0);
  Value init =
      linalg::FillOp::create(
          b, l, floatConst(b, l, et, 0.0),
          emptyTensor(b, l, rt,
                      [&](int64_t d) { return dimOf(b, l, op.getInput(), d); }))
          .getResult(0);
  return linalg::Conv2DNhwcHwcfOp::create(
             b, l, TypeRange{rt}, ValueRange{dilated, flipped},
             ValueRange{init}, b.getI64TensorAttr({1, 1}),
             b.getI64TensorAttr({1, 1}))
      .getResult(0);
}

Value Lowering::pool(nn::Pool2DOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  bool isMax = op.getKind() == nn::PoolKind::max;
  Value x = pad(l, op.getInput(), op.getPadding(), isMax ? -INFINITY : 0.0);
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
  Value filled = linalg::FillOp::create(
                     b, l, floatConst(b, l, et, isMax ? -INFINITY : 0.0), init)
                     .getResult(0);
  Value window = tensor::EmptyOp::create(b, l, op.getWindow(), et);
  // Named linalg convolutions take dense i64 tensors, not i64 arrays.
  auto strides = b.getI64TensorAttr(op.getStride());
  auto dil = b.getI64TensorAttr({1, 1});
  if (isMax)
    return linalg::PoolingNhwcMaxOp::create(b, l, TypeRange{rt},
                                            ValueRange{x, window},
                                            ValueRange{filled}, strides, dil)
        .getResult(0);
  Value sum = linalg::PoolingNhwcSumOp::create(b, l, TypeRange{rt},
                                               ValueRange{x, window},
                                               ValueRange{filled}, strides, dil)
                  .getResult(0);
  double inv = 1.0 / double(op.getWindow()[0] * op.getWindow()[1]);
  return elementwise(
      b, l, rt, {sum}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return Value(
            arith::MulFOp::create(nb, nl, a[0], floatConst(nb, nl, et, inv)));
      });
}

Value Lowering::upsample(nn::UpsampleOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  MLIRContext *ctx = b.getContext();
  int64_t f = op.getFactor();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) -> Value {
    Value v = dimOf(b, l, op.getInput(), d);
    if (d == 1 || d == 2)
      v = arith::MulIOp::create(b, l, v,
                                arith::ConstantIndexOp::create(b, l, f));
    return v;
  });
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> maps{
      AffineMap::get(4, 0, {d0, d1.floorDiv(f), d2.floorDiv(f), d3}, ctx),
      AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, ValueRange{op.getInput()}, ValueRange{init},
             maps, iters,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, args[0]);
             })
      .getResult(0);
}

Value Lowering::poolGradTiled(nn::Pool2DGradOp op) {
  // dx[n, y, x, c] = g[n, y / s, x / s, c] if (y % s, x % s) is the first
  // maximum of its window (max), or g / (KH*KW) (avg): each input element
  // reads its own window, so no arg-max is stored, nothing is padded and
  // the loop fuses with what follows (the ReLU before the pooling).
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto gt = cast<RankedTensorType>(op.getGrad().getType());
  ArrayRef<int64_t> win = op.getWindow(), st = op.getStride(),
                    pd = op.getPadding();
  if (win != st || llvm::any_of(pd, [](int64_t p) { return p != 0; }) ||
      win[0] * win[1] > 16)
    return {};
  for (int d = 1; d <= 2; ++d)
    if (xt.isDynamicDim(d) || gt.isDynamicDim(d) ||
        xt.getDimSize(d) != gt.getDimSize(d) * st[d - 1])
      return {};
  Location l = op.getLoc();
  Type et = xt.getElementType();
  MLIRContext *ctx = b.getContext();
  bool isMax = op.getKind() == nn::PoolKind::max;
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // (n, y, x, c): the cotangent of the window, then (max) its elements.
  SmallVector<Value> inputs{op.getGrad()};
  SmallVector<AffineMap> maps{AffineMap::get(
      4, 0, {e(0), e(1).floorDiv(st[0]), e(2).floorDiv(st[1]), e(3)}, ctx)};
  if (isMax)
    for (int64_t ky = 0; ky < win[0]; ++ky)
      for (int64_t kx = 0; kx < win[1]; ++kx) {
        inputs.push_back(op.getInput());
        maps.push_back(AffineMap::get(4, 0,
                                      {e(0), e(1).floorDiv(st[0]) * st[0] + ky,
                                       e(2).floorDiv(st[1]) * st[1] + kx, e(3)},
                                      ctx));
      }
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  Value out = emptyTensor(
      b, l, xt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  int64_t kw = win[1];
  double scale = isMax ? 1.0 : 1.0 / double(win[0] * win[1]);
  return linalg::GenericOp::create(
             b, l, TypeRange{xt}, inputs, ValueRange{out}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value g = arith::MulFOp::create(nb, nl, a[0],
                                               floatConst(nb, nl, et, scale));
               if (!isMax) {
                 linalg::YieldOp::create(nb, nl, g);
                 return;
               }
               auto c = [&](int64_t v) {
                 return arith::ConstantIndexOp::create(nb, nl, v);
               };
               // The first maximum, as poolArgmax finds it (NaN never
               // wins; a window of -inf and NaN has none).
               Value best = floatConst(nb, nl, et, -INFINITY), at = c(-1);
               for (int64_t k = 0; k < win[0] * win[1]; ++k) {
                 Value v = a[1 + k];
                 Value better = arith::CmpFOp::create(
                     nb, nl, arith::CmpFPredicate::OGT, v, best);
                 best = arith::SelectOp::create(nb, nl, better, v, best);
                 at = arith::SelectOp::create(nb, nl, better, c(k), at);
               }
               auto rem = [&](unsigned d, int64_t s) {
                 return arith::RemUIOp::create(
                     nb, nl, linalg::IndexOp::create(nb, nl, d), c(s));
               };
               Value mine = arith::AddIOp::create(
                   nb, nl, arith::MulIOp::create(nb, nl, rem(1, st[0]), c(kw)),
                   rem(2, st[1]));
               Value hit = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::eq, at, mine);
               linalg::YieldOp::create(
                   nb, nl,
                   Value(arith::SelectOp::create(nb, nl, hit, g,
                                                 floatConst(nb, nl, et, 0.0))));
             })
      .getResult(0);
}

Value Lowering::poolGrad(nn::Pool2DGradOp op) {
  if (Value tiled = poolGradTiled(op))
    return tiled;
  // max: idx[n, oy, ox, c] = the first (row-major) window position of the
  // maximum; then every input position gathers the cotangents of the
  // windows that cover it: dx[n, y, x, c] = sum over (ky, kx) with
  // oy = (y + pt - ky) / s integral of g[n, oy, ox, c] * [idx == ky*KW + kx]
  // (avg: * 1 / (KH*KW)). g and idx are padded by ceil((K-1)/s) windows on
  // each side, so that out-of-range windows read 0 / -1.
  Location l = op.getLoc();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  Type et = xt.getElementType();
  bool isMax = op.getKind() == nn::PoolKind::max;
  ArrayRef<int64_t> win = op.getWindow(), st = op.getStride(),
                    pd = op.getPadding();
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Type i64 = b.getI64Type();
  auto par = utils::IteratorType::parallel,
       red = utils::IteratorType::reduction;
  auto sizesOf = [&](Value like) {
    return [&, like](int64_t d) { return dimOf(b, l, like, d); };
  };
  // The window's extent as an operand (like linalg's named poolings), so
  // that the loop bounds of (ky, kx) are known.
  Value windowShape = tensor::EmptyOp::create(b, l, win, et);
  Value idx;
  if (isMax)
    idx = poolArgmax(l, op.getInput(), op.getGrad(), win, st, pd);
  // Pad the cotangent (and the arg-max) by q windows on each side.
  int64_t q[2] = {(win[0] - 1 + st[0] - 1) / st[0],
                  (win[1] - 1 + st[1] - 1) / st[1]};
  auto padBy = [&](Value v, Value fill) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape());
    for (int d = 1; d <= 2; ++d)
      if (!t.isDynamicDim(d))
        shape[d] += 2 * q[d - 1];
    SmallVector<OpFoldResult> lo{b.getIndexAttr(0), b.getIndexAttr(q[0]),
                                 b.getIndexAttr(q[1]), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> hi(lo);
    return tensor::PadOp::create(
        b, l, RankedTensorType::get(shape, t.getElementType()), v, lo, hi,
        fill);
  };
  Value gp = padBy(op.getGrad(), floatConst(b, l, et, 0.0));
  SmallVector<Value> inputs{gp, windowShape};
  if (isMax)
    inputs.push_back(padBy(
        idx, Value(arith::ConstantOp::create(b, l, b.getI64IntegerAttr(-1)))));
  // (n, y, x, c, ky, kx): window row (y + pt - ky + s q) floordiv s.
  auto window = [&](unsigned pos, unsigned k, int d) {
    return (e(pos) + (pd[2 * d] + st[d] * q[d]) - e(k)).floorDiv(st[d]);
  };
  AffineMap gather =
      AffineMap::get(6, 0, {e(0), window(1, 4, 0), window(2, 5, 1), e(3)}, ctx);
  SmallVector<AffineMap> maps{gather, AffineMap::get(6, 0, {e(4), e(5)}, ctx)};
  if (isMax)
    maps.push_back(gather);
  maps.push_back(AffineMap::get(6, 0, {e(0), e(1), e(2), e(3)}, ctx));
  SmallVector<utils::IteratorType> iters{par, par, par, par, red, red};
  Value out =
      linalg::FillOp::create(b, l, floatConst(b, l, et, 0.0),
                             emptyTensor(b, l, xt, sizesOf(op.getInput())))
          .getResult(0);
  double scale = isMax ? 1.0 : 1.0 / double(win[0] * win[1]);
  int64_t kw = win[1];
  // The reduction dims (ky, kx) run over the window.
  auto r = linalg::GenericOp::create(
      b, l, TypeRange{xt}, inputs, ValueRange{out}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        auto idxv = [&](unsigned d) {
          return arith::IndexCastOp::create(nb, nl, i64,
                                            linalg::IndexOp::create(nb, nl, d));
        };
        auto c64 = [&](int64_t v) {
          return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(v));
        };
        // Only windows whose start lands exactly: (y + pt - ky) % s == 0.
        Value ok = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
        for (int d = 0; d < 2; ++d) {
          Value off = arith::SubIOp::create(
              nb, nl,
              arith::AddIOp::create(nb, nl, idxv(1 + d),
                                    c64(pd[2 * d] + st[d] * q[d])),
              idxv(4 + d));
          Value rem = arith::RemSIOp::create(nb, nl, off, c64(st[d]));
          ok = arith::AndIOp::create(
              nb, nl, ok,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, rem,
                                    c64(0)));
        }
        if (isMax) {
          Value pos = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, idxv(4), c64(kw)), idxv(5));
          ok = arith::AndIOp::create(
              nb, nl, ok,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, a[2],
                                    pos));
        }
        Value add =
            arith::MulFOp::create(nb, nl, a[0], floatConst(nb, nl, et, scale));
        Value sum = arith::AddFOp::create(nb, nl, a.back(), add);
        linalg::YieldOp::create(
            nb, nl, Value(arith::SelectOp::create(nb, nl, ok, sum, a.back())));
      });
  return r.getResult(0);
}

Value Lowering::poolArgmax(Location l, Value input, Value pooled,
                           ArrayRef<int64_t> win, ArrayRef<int64_t> st,
                           ArrayRef<int64_t> pd) {
  auto gt = cast<RankedTensorType>(pooled.getType());
  Type et = gt.getElementType();
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Type i64 = b.getI64Type();
  auto par = utils::IteratorType::parallel,
       red = utils::IteratorType::reduction;
  auto sizes = [&](int64_t d) { return dimOf(b, l, pooled, d); };
  Value windowShape = tensor::EmptyOp::create(b, l, win, et);
  Value xp = pad(l, input, pd, -INFINITY);
  auto it = RankedTensorType::get(gt.getShape(), i64);
  Value best = linalg::FillOp::create(b, l, floatConst(b, l, et, -INFINITY),
                                      emptyTensor(b, l, gt, sizes))
                   .getResult(0);
  Value minusOne = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(-1));
  Value none =
      linalg::FillOp::create(b, l, minusOne, emptyTensor(b, l, it, sizes))
          .getResult(0);
  // (n, oy, ox, c, ky, kx)
  SmallVector<AffineMap> maps{
      AffineMap::get(
          6, 0, {e(0), e(1) * st[0] + e(4), e(2) * st[1] + e(5), e(3)}, ctx),
      AffineMap::get(6, 0, {e(4), e(5)}, ctx),
      AffineMap::get(6, 0, {e(0), e(1), e(2), e(3)}, ctx),
      AffineMap::get(6, 0, {e(0), e(1), e(2), e(3)}, ctx)};
  SmallVector<utils::IteratorType> iters{par, par, par, par, red, red};
  int64_t kw = win[1];
  return linalg::GenericOp::create(
             b, l, TypeRange{gt, it}, ValueRange{xp, windowShape},
             ValueRange{best, none}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value ky = linalg::IndexOp::create(nb, nl, 4);
               Value kx = linalg::IndexOp::create(nb, nl, 5);
               Value pos = arith::AddIOp::create(
                   nb, nl,
                   arith::MulIOp::create(
                       nb, nl, ky, arith::ConstantIndexOp::create(nb, nl, kw)),
                   kx);
               Value pos64 = arith::IndexCastOp::create(nb, nl, i64, pos);
               // a: the input, the window (shape only), max, arg-max.
               Value better = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OGT, a[0], a[2]);
               linalg::YieldOp::create(
                   nb, nl,
                   ValueRange{
                       arith::SelectOp::create(nb, nl, better, a[0], a[2]),
                       arith::SelectOp::create(nb, nl, better, pos64, a[3])});
             })
      .getResult(1);
}

Value Lowering::poolTake(nn::Pool2DTakeOp op) {
  // y[n, oy, ox, c] = source[n, oy*s + idx / KW - pt, ox*s + idx % KW - pl,
  // c] with idx the window's arg-max: a gather from the padded source.
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> win = op.getWindow(), st = op.getStride(),
                    pd = op.getPadding();
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
  Value idx = poolArgmax(l, op.getInput(), init, win, st, pd);
  Value src = pad(l, op.getSource(), pd, 0.0);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(4, ctx));
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  int64_t kw = win[1];
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, ValueRange{idx}, ValueRange{init}, maps,
             iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               auto c = [&](int64_t v) {
                 return arith::ConstantIndexOp::create(nb, nl, v);
               };
               Value pos =
                   arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
               Value ky = arith::DivUIOp::create(nb, nl, pos, c(kw));
               Value kx = arith::RemUIOp::create(nb, nl, pos, c(kw));
               Value y = arith::AddIOp::create(
                   nb, nl,
                   arith::MulIOp::create(
                       nb, nl, linalg::IndexOp::create(nb, nl, 1), c(st[0])),
                   ky);
               Value x = arith::AddIOp::create(
                   nb, nl,
                   arith::MulIOp::create(
                       nb, nl, linalg::IndexOp::create(nb, nl, 2), c(st[1])),
                   kx);
               Value v = tensor::ExtractOp::create(
                   nb, nl, src,
                   ValueRange{linalg::IndexOp::create(nb, nl, 0), y, x,
                              linalg::IndexOp::create(nb, nl, 3)});
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}
