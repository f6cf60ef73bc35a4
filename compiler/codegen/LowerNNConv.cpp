//===- LowerNNConv.cpp - Convolution, pooling and upsampling --------------===//
//
// Named linalg convolutions and poolings after a tensor.pad; grouped
// convolutions as one contraction generic; transposed convolutions as a
// convolution of the stride-dilated input with the flipped kernel;
// nearest-neighbour upsampling with floordiv indexing maps.
//
//===----------------------------------------------------------------------===//
#include "codegen/Lowering.h"

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

Value Lowering::groupedConv(nn::Conv2DOp op, Value x) {
  // out[n, oy, ox, g*Fg + f] += x[n, oy*s + ky*d, ox*s + kx*d, g*Cg + c]
  //                              * w[ky, kx, c, g*Fg + f]
  // as one generic over (n, oy, ox, g, f, ky, kx, c), on the result viewed
  // as [N, OH, OW, G, Fg].
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  auto wt = cast<RankedTensorType>(op.getFilter().getType());
  int64_t G = op.getGroups(), Cg = wt.getDimSize(2), Fg = wt.getDimSize(3) / G;
  int64_t s0 = op.getStride()[0], s1 = op.getStride()[1];
  int64_t d0 = op.getDilation()[0], d1 = op.getDilation()[1];
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<int64_t> shape{rt.getDimSize(0), rt.getDimSize(1),
                             rt.getDimSize(2), G, Fg};
  auto gt = RankedTensorType::get(shape, rt.getElementType());
  Value init = emptyTensor(
      b, l, gt, [&](int64_t) { return dimOf(b, l, op.getInput(), 0); });
  Value filled = linalg::FillOp::create(
                     b, l, floatConst(b, l, rt.getElementType(), 0.0), init)
                     .getResult(0);
  SmallVector<AffineMap> maps{
      AffineMap::get(8, 0,
                     {e(0), e(1) * s0 + e(5) * d0, e(2) * s1 + e(6) * d1,
                      e(3) * Cg + e(7)},
                     ctx),
      AffineMap::get(8, 0, {e(5), e(6), e(7), e(3) * Fg + e(4)}, ctx),
      AffineMap::get(8, 0, {e(0), e(1), e(2), e(3), e(4)}, ctx)};
  SmallVector<utils::IteratorType> iters(5, utils::IteratorType::parallel);
  iters.append(3, utils::IteratorType::reduction);
  Value r = linalg::GenericOp::create(
                b, l, TypeRange{gt}, ValueRange{x, op.getFilter()},
                ValueRange{filled}, maps, iters,
                [](OpBuilder &nb, Location nl, ValueRange a) {
                  Value p = arith::MulFOp::create(nb, nl, a[0], a[1]);
                  linalg::YieldOp::create(
                      nb, nl, Value(arith::AddFOp::create(nb, nl, a[2], p)));
                })
                .getResult(0);
  SmallVector<ReassociationIndices> grp{{0}, {1}, {2}, {3, 4}};
  return tensor::CollapseShapeOp::create(b, l, rt, r, grp);
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
  bool isMax = op.getKind() == "max";
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
