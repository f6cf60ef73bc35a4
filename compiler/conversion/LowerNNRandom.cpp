//===- LowerNNRandom.cpp - Random tensors ---------------------------------===//
//
// Random tensors drawn inline, element by element, from the Philox stream
// the runtime uses (codegen/Philox.h): uniform, Box-Muller normal, Gumbel
// and Bernoulli.
//
//===----------------------------------------------------------------------===//
#include "conversion/Lowering.h"
#include "conversion/Philox.h"

#include <cmath>

using namespace mlir;
using namespace nnc::lowering;
namespace nn = nnc::nn;

Value Lowering::withLinearIndex(
    Location l, RankedTensorType rt, Value init, ValueRange inputs,
    const std::function<Value(OpBuilder &, Location, Value, ValueRange)>
        &body) {
  MLIRContext *ctx = b.getContext();
  int64_t n = rt.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              AffineMap::getMultiDimIdentityMap(n, ctx));
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, inputs, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value idx = arith::ConstantIndexOp::create(nb, nl, 0);
               for (int64_t d = 0; d < n; ++d) {
                 Value size =
                     rt.isDynamicDim(d)
                         ? Value(tensor::DimOp::create(nb, nl, init, d))
                         : Value(arith::ConstantIndexOp::create(
                               nb, nl, rt.getDimSize(d)));
                 idx = arith::AddIOp::create(
                     nb, nl, arith::MulIOp::create(nb, nl, idx, size),
                     linalg::IndexOp::create(nb, nl, d));
               }
               Value i64 =
                   arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx);
               linalg::YieldOp::create(nb, nl,
                                       body(nb, nl, i64, args.drop_back()));
             })
      .getResult(0);
}

Value Lowering::streamNumber(Value stream, Location l) {
  if (!stream)
    return nullptr;
  return tensor::ExtractOp::create(b, l, stream, ValueRange{});
}

Value Lowering::random(nn::RandomOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type ft = rt.getElementType();
  Value init =
      tensor::EmptyOp::create(b, l, rt.getShape(), ft, op.getDynamicSizes());
  uint64_t seed = op.getSeed(), offset = op.getOffset();
  Value high = streamNumber(op.getStream(), l);
  double a = op.getA().convertToDouble(), bb = op.getB().convertToDouble();
  nn::RandomKind kind = op.getKind();
  return withLinearIndex(
      l, rt, init, {},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange) -> Value {
        auto c = [&](double v) { return floatConst(nb, nl, ft, v); };
        nnc::StreamWords w = nnc::streamWords(nb, nl, i, seed, offset, high);
        if (kind == nn::RandomKind::uniform)
          return arith::AddFOp::create(
              nb, nl, c(a),
              arith::MulFOp::create(
                  nb, nl, c(bb - a),
                  nnc::unitInterval(nb, nl, w.word, ft, false)));
        if (kind == nn::RandomKind::gumbel) {
          Value u = arith::MulFOp::create(
              nb, nl, nnc::unitInterval(nb, nl, w.word, ft, true),
              c(0.99999994));
          Value inner =
              arith::NegFOp::create(nb, nl, math::LogOp::create(nb, nl, u));
          return arith::NegFOp::create(nb, nl,
                                       math::LogOp::create(nb, nl, inner));
        }
        // Box-Muller on the lane's word pair; even lanes cos, odd lanes sin.
        Value r = math::SqrtOp::create(
            nb, nl,
            arith::MulFOp::create(
                nb, nl, c(-2.0),
                math::LogOp::create(
                    nb, nl, nnc::unitInterval(nb, nl, w.pairFirst, ft, true))));
        Value theta = arith::MulFOp::create(
            nb, nl, c(6.2831853071795864),
            nnc::unitInterval(nb, nl, w.pairSecond, ft, false));
        Value odd = arith::TruncIOp::create(nb, nl, nb.getI1Type(), w.lane);
        Value trig = arith::SelectOp::create(
            nb, nl, odd, math::SinOp::create(nb, nl, theta),
            math::CosOp::create(nb, nl, theta));
        return arith::AddFOp::create(
            nb, nl, c(a),
            arith::MulFOp::create(nb, nl, c(bb),
                                  arith::MulFOp::create(nb, nl, r, trig)));
      });
}

Value Lowering::bernoulli(nn::BernoulliOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type ft = rt.getElementType();
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getP(), d); });
  uint64_t seed = op.getSeed(), offset = op.getOffset();
  Value high = streamNumber(op.getStream(), l);
  return withLinearIndex(
      l, rt, init, {op.getP()},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange in) -> Value {
        nnc::StreamWords w = nnc::streamWords(nb, nl, i, seed, offset, high);
        Value u = nnc::unitInterval(nb, nl, w.word, ft, false);
        Value keep =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, u, in[0]);
        return arith::SelectOp::create(nb, nl, keep,
                                       floatConst(nb, nl, ft, 1.0),
                                       floatConst(nb, nl, ft, 0.0));
      });
}

Value Lowering::dropout(nn::DropoutOp op) {
  // Keep element i (scaled by 1 / (1 - rate)) when u_i >= rate, u_i from
  // the Philox stream `seed`: a backward pass regenerates the same mask.
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type ft = rt.getElementType();
  double rate = op.getRate().convertToDouble();
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
  uint64_t seed = op.getSeed();
  Value high = streamNumber(op.getStream(), l);
  return withLinearIndex(
      l, rt, init, {op.getInput()},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange in) -> Value {
        nnc::StreamWords w = nnc::streamWords(nb, nl, i, seed, 0, high);
        Value u = nnc::unitInterval(nb, nl, w.word, ft, false);
        Value keep = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, u,
                                           floatConst(nb, nl, ft, rate));
        Value scaled = arith::MulFOp::create(
            nb, nl, in[0], floatConst(nb, nl, ft, 1.0 / (1.0 - rate)));
        return arith::SelectOp::create(nb, nl, keep, scaled,
                                       floatConst(nb, nl, ft, 0.0));
      });
}
