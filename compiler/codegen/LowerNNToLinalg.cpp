//===- LowerNNToLinalg.cpp - nn dialect to linalg on tensors --------------===//
//
// One rewrite per nn op, applied in program order (every nn op is pure and
// works on tensors, so each can be replaced in place). Broadcasting is
// expressed in indexing maps: an operand dimension of static size 1 that
// the result stretches is indexed with the constant 0. Dynamic result
// dimensions are read with `tensor.dim` from an operand that has them.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/Philox.h"
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <functional>

namespace nnc {
#define GEN_PASS_DEF_NNLOWERTOLINALG
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
namespace nn = nnc::nn;

namespace {

using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

Value floatConst(OpBuilder &b, Location l, Type t, double v) {
  return arith::ConstantOp::create(b, l, t, b.getFloatAttr(t, v));
}

Value dimOf(OpBuilder &b, Location l, Value t, int64_t d) {
  return tensor::DimOp::create(b, l, t, d);
}

/// tensor.empty of `type`; dynamic sizes come from `dyn(d)`.
Value emptyTensor(OpBuilder &b, Location l, RankedTensorType type,
                  const std::function<Value(int64_t)> &dyn) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(dyn(d));
  return tensor::EmptyOp::create(b, l, type.getShape(), type.getElementType(),
                                 sizes);
}

/// Dynamic result dimension `d` of a broadcast: from any operand that has
/// a dynamic dimension there (aligned on the right).
Value broadcastDim(OpBuilder &b, Location l, ValueRange operands,
                   int64_t rank, int64_t d) {
  for (Value v : operands) {
    auto t = cast<RankedTensorType>(v.getType());
    int64_t j = d - (rank - t.getRank());
    if (j >= 0 && t.isDynamicDim(j))
      return dimOf(b, l, v, j);
  }
  return {};
}

/// The indexing map of an operand broadcast to `resultType`.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operand,
                       RankedTensorType result) {
  int64_t n = result.getRank(), r = operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t j = 0; j < r; ++j) {
    int64_t i = j + n - r;
    bool stretched = operand.getDimSize(j) == 1 && result.getDimSize(i) != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(i, ctx));
  }
  return AffineMap::get(n, 0, exprs, ctx);
}

/// A parallel linalg.generic over `resultType` applying `body` to the
/// (broadcast) elements of `operands`.
Value elementwise(OpBuilder &b, Location l, RankedTensorType resultType,
                  ValueRange operands, const BodyFn &body) {
  MLIRContext *ctx = b.getContext();
  int64_t n = resultType.getRank();
  Value init = emptyTensor(b, l, resultType, [&](int64_t d) {
    return broadcastDim(b, l, operands, n, d);
  });
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(v.getType()), resultType));
  maps.push_back(AffineMap::getMultiDimIdentityMap(n, ctx));
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, l, TypeRange{resultType}, operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return g.getResult(0);
}

Value sigmoidOf(OpBuilder &b, Location l, Value x) {
  Value one = floatConst(b, l, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}

/// The scalar computation of a unary nn op.
Value unaryBody(Operation *op, OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  auto c = [&](double v) { return floatConst(b, l, t, v); };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](nn::ReluOp) { return arith::MaximumFOp::create(b, l, x, c(0)); })
      .Case([&](nn::SigmoidOp) { return sigmoidOf(b, l, x); })
      .Case([&](nn::TanhOp) { return math::TanhOp::create(b, l, x); })
      .Case([&](nn::GeluOp) {
        Value e = math::ErfOp::create(
            b, l, arith::MulFOp::create(b, l, x, c(M_SQRT1_2)));
        Value h = arith::MulFOp::create(b, l, x, c(0.5));
        return arith::MulFOp::create(b, l, h,
                                     arith::AddFOp::create(b, l, c(1), e));
      })
      .Case([&](nn::SoftplusOp) {
        // max(x, 0) + log1p(exp(-|x|)): no overflow for large x.
        Value ax = math::AbsFOp::create(b, l, x);
        Value t1 = math::Log1pOp::create(
            b, l, math::ExpOp::create(b, l, arith::NegFOp::create(b, l, ax)));
        return arith::AddFOp::create(b, l, arith::MaximumFOp::create(b, l, x, c(0)),
                                     t1);
      })
      .Case([&](nn::ExpOp) { return math::ExpOp::create(b, l, x); })
      .Case([&](nn::LogOp) { return math::LogOp::create(b, l, x); })
      .Case([&](nn::SqrtOp) { return math::SqrtOp::create(b, l, x); })
      .Case([&](nn::RsqrtOp) { return math::RsqrtOp::create(b, l, x); })
      .Case([&](nn::AbsOp) { return math::AbsFOp::create(b, l, x); })
      .Case([&](nn::NegOp) { return arith::NegFOp::create(b, l, x); })
      .Case([&](nn::SinOp) { return math::SinOp::create(b, l, x); })
      .Case([&](nn::CosOp) { return math::CosOp::create(b, l, x); })
      .Case([&](nn::SiluOp) {
        return arith::MulFOp::create(b, l, x, sigmoidOf(b, l, x));
      })
      .Case([&](nn::SquareOp) { return arith::MulFOp::create(b, l, x, x); })
      .Case([&](nn::FloorOp) { return math::FloorOp::create(b, l, x); })
      .Case([&](nn::SignOp) {
        Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0));
        return arith::SelectOp::create(
            b, l, pos, c(1), arith::SelectOp::create(b, l, neg, c(-1), c(0)));
      })
      .Case([&](nn::Log1pOp) { return math::Log1pOp::create(b, l, x); })
      .Case([&](nn::EluOp) {
        Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        return arith::SelectOp::create(b, l, pos, x,
                                       math::ExpM1Op::create(b, l, x));
      })
      .Case([&](nn::LeakyReluOp lr) {
        Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        Value s = arith::MulFOp::create(b, l, x,
                                        c(lr.getSlope().convertToDouble()));
        return arith::SelectOp::create(b, l, pos, x, s);
      })
      .Default([](Operation *) { return Value(); });
}

/// The scalar computation of a binary nn op.
Value binaryBody(Operation *op, OpBuilder &b, Location l, Value x, Value y) {
  bool isF = isa<FloatType>(x.getType());
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](nn::AddOp) {
        return isF ? Value(arith::AddFOp::create(b, l, x, y))
                   : Value(arith::AddIOp::create(b, l, x, y));
      })
      .Case([&](nn::SubOp) {
        return isF ? Value(arith::SubFOp::create(b, l, x, y))
                   : Value(arith::SubIOp::create(b, l, x, y));
      })
      .Case([&](nn::MulOp) {
        return isF ? Value(arith::MulFOp::create(b, l, x, y))
                   : Value(arith::MulIOp::create(b, l, x, y));
      })
      .Case([&](nn::DivOp) {
        return isF ? Value(arith::DivFOp::create(b, l, x, y))
                   : Value(arith::DivSIOp::create(b, l, x, y));
      })
      .Case([&](nn::MaximumOp) {
        return isF ? Value(arith::MaximumFOp::create(b, l, x, y))
                   : Value(arith::MaxSIOp::create(b, l, x, y));
      })
      .Case([&](nn::MinimumOp) {
        return isF ? Value(arith::MinimumFOp::create(b, l, x, y))
                   : Value(arith::MinSIOp::create(b, l, x, y));
      })
      .Case([&](nn::PowOp) {
        return isF ? Value(math::PowFOp::create(b, l, x, y))
                   : Value(math::IPowIOp::create(b, l, x, y));
      })
      .Case([&](nn::CompareOp cmp) -> Value {
        StringRef p = cmp.getPredicate();
        if (isF) {
          auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                          .Case("eq", arith::CmpFPredicate::OEQ)
                          .Case("ne", arith::CmpFPredicate::UNE)
                          .Case("lt", arith::CmpFPredicate::OLT)
                          .Case("le", arith::CmpFPredicate::OLE)
                          .Case("gt", arith::CmpFPredicate::OGT)
                          .Default(arith::CmpFPredicate::OGE);
          return arith::CmpFOp::create(b, l, pred, x, y);
        }
        auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                        .Case("eq", arith::CmpIPredicate::eq)
                        .Case("ne", arith::CmpIPredicate::ne)
                        .Case("lt", arith::CmpIPredicate::slt)
                        .Case("le", arith::CmpIPredicate::sle)
                        .Case("gt", arith::CmpIPredicate::sgt)
                        .Default(arith::CmpIPredicate::sge);
        return arith::CmpIOp::create(b, l, pred, x, y);
      })
      .Default([](Operation *) { return Value(); });
}

class Lowering {
public:
  explicit Lowering(OpBuilder &b) : b(b) {}
  /// Returns the replacement value, or null after reporting an error.
  Value lower(Operation *op);

private:
  Value matmul(nn::MatmulOp op);
  Value reshape(nn::ReshapeOp op);
  Value slice(nn::SliceOp op);
  Value concat(nn::ConcatOp op);
  Value reduce(nn::ReduceOp op);
  Value argReduce(nn::ReduceOp op);
  Value groupedConv(nn::Conv2DOp op, Value paddedInput);
  Value convTranspose(nn::ConvTranspose2DOp op);
  Value reduceAlong(Location l, Value x, ArrayRef<int64_t> axes,
                    bool keepdims, Value initValue,
                    const std::function<Value(OpBuilder &, Location, Value,
                                              Value)> &combine);
  Value softmax(nn::SoftmaxOp op);
  Value oneHot(nn::OneHotOp op);
  Value conv(nn::Conv2DOp op);
  Value pool(nn::Pool2DOp op);
  Value pad(Location l, Value x, ArrayRef<int64_t> padding, double value);
  Value castOp(nn::CastOp op);
  Value gather(nn::GatherOp op);
  Value layerNorm(nn::LayerNormOp op);
  Value batchNorm(nn::BatchNormOp op);
  Value upsample(nn::UpsampleOp op);
  Value random(nn::RandomOp op);
  Value bernoulli(nn::BernoulliOp op);
  /// A generic over `rt` whose body sees the row-major linear index (i64).
  Value withLinearIndex(Location l, RankedTensorType rt, Value init,
                        ValueRange inputs,
                        const std::function<Value(OpBuilder &, Location, Value,
                                                  ValueRange)> &body);
  /// Mean and biased variance of x over `axes`, kept as size-1 dims.
  std::pair<Value, Value> moments(Location l, Value x, ArrayRef<int64_t> axes);

  OpBuilder &b;
};

Value Lowering::lower(Operation *op) {
  Location l = op->getLoc();
  if (auto c = dyn_cast<nn::ConstantOp>(op))
    return arith::ConstantOp::create(b, l, cast<TypedAttr>(c.getValue()));
  if (op->getNumOperands() == 1 && op->hasTrait<OpTrait::OneResult>() &&
      isa<nn::ReluOp, nn::SigmoidOp, nn::TanhOp, nn::GeluOp, nn::SoftplusOp,
          nn::ExpOp, nn::LogOp, nn::SqrtOp, nn::RsqrtOp, nn::AbsOp, nn::NegOp,
          nn::SinOp, nn::CosOp, nn::SiluOp, nn::SquareOp, nn::FloorOp,
          nn::SignOp, nn::Log1pOp, nn::EluOp, nn::LeakyReluOp>(op))
    return elementwise(b, l, cast<RankedTensorType>(op->getResult(0).getType()),
                       op->getOperands(),
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         return unaryBody(op, nb, nl, a[0]);
                       });
  if (isa<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::MaximumOp,
          nn::MinimumOp, nn::PowOp, nn::CompareOp>(op))
    return elementwise(b, l, cast<RankedTensorType>(op->getResult(0).getType()),
                       op->getOperands(),
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         return binaryBody(op, nb, nl, a[0], a[1]);
                       });
  if (auto m = dyn_cast<nn::MatmulOp>(op))
    return matmul(m);
  if (auto r = dyn_cast<nn::ReshapeOp>(op))
    return reshape(r);
  if (auto t = dyn_cast<nn::TransposeOp>(op)) {
    auto rt = cast<RankedTensorType>(t.getType());
    Value init = emptyTensor(b, l, rt, [&](int64_t d) {
      return dimOf(b, l, t.getInput(), t.getPerm()[d]);
    });
    return linalg::TransposeOp::create(b, l, t.getInput(), init, t.getPerm())
        .getResult()[0];
  }
  if (auto s = dyn_cast<nn::SliceOp>(op))
    return slice(s);
  if (auto c = dyn_cast<nn::ConcatOp>(op))
    return concat(c);
  if (auto r = dyn_cast<nn::ReduceOp>(op))
    return reduce(r);
  if (auto s = dyn_cast<nn::SoftmaxOp>(op))
    return softmax(s);
  if (auto o = dyn_cast<nn::OneHotOp>(op))
    return oneHot(o);
  if (auto c = dyn_cast<nn::Conv2DOp>(op))
    return conv(c);
  if (auto p = dyn_cast<nn::Pool2DOp>(op))
    return pool(p);
  if (auto c = dyn_cast<nn::ConvTranspose2DOp>(op))
    return convTranspose(c);
  if (auto s = dyn_cast<nn::StopGradientOp>(op))
    return s.getInput();
  if (auto s = dyn_cast<nn::SelectOp>(op))
    return elementwise(b, l, cast<RankedTensorType>(s.getType()),
                       op->getOperands(),
                       [](OpBuilder &nb, Location nl, ValueRange a) {
                         return Value(arith::SelectOp::create(nb, nl, a[0], a[1], a[2]));
                       });
  if (auto c = dyn_cast<nn::CastOp>(op))
    return castOp(c);
  if (auto c = dyn_cast<nn::ClipOp>(op)) {
    double lo = c.getLow().convertToDouble(), hi = c.getHigh().convertToDouble();
    return elementwise(b, l, cast<RankedTensorType>(c.getType()), {c.getInput()},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Type t = a[0].getType();
                         Value v = arith::MinimumFOp::create(nb, nl, a[0],
                                                             floatConst(nb, nl, t, hi));
                         return Value(arith::MaximumFOp::create(
                             nb, nl, v, floatConst(nb, nl, t, lo)));
                       });
  }
  if (auto g = dyn_cast<nn::GatherOp>(op))
    return gather(g);
  if (auto n = dyn_cast<nn::LayerNormOp>(op))
    return layerNorm(n);
  if (auto n = dyn_cast<nn::BatchNormOp>(op))
    return batchNorm(n);
  if (auto d = dyn_cast<nn::DropoutOp>(op)) {
    if (!d.getTraining())
      return d.getInput(); // evaluation mode
    d.emitError("lowering of dropout in training mode is not implemented");
    return {};
  }
  if (auto u = dyn_cast<nn::UpsampleOp>(op))
    return upsample(u);
  if (auto r = dyn_cast<nn::RandomOp>(op))
    return random(r);
  if (auto f = dyn_cast<nn::FillOp>(op)) {
    auto rt = cast<RankedTensorType>(f.getType());
    Type et = rt.getElementType();
    double v = f.getValue().convertToDouble();
    Value init = tensor::EmptyOp::create(b, l, rt.getShape(), et,
                                         f.getDynamicSizes());
    Value c = isa<FloatType>(et)
                  ? floatConst(b, l, et, v)
                  : Value(arith::ConstantOp::create(
                        b, l, et, b.getIntegerAttr(et, int64_t(v))));
    return linalg::FillOp::create(b, l, c, init).getResult(0);
  }
  if (auto r = dyn_cast<nn::BernoulliOp>(op))
    return bernoulli(r);
  op->emitError("lowering of '") << op->getName() << "' is not implemented";
  return {};
}

Value Lowering::matmul(nn::MatmulOp op) {
  Location l = op.getLoc();
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  Value zero = floatConst(b, l, et, 0.0);
  int64_t n = rt.getRank();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) -> Value {
    if (d == n - 2)
      return dimOf(b, l, op.getLhs(), a.getRank() - 2);
    if (d == n - 1)
      return dimOf(b, l, op.getRhs(), bt.getRank() - 1);
    return broadcastDim(b, l, {op.getLhs(), op.getRhs()}, n, d);
  });
  Value filled = linalg::FillOp::create(b, l, zero, init).getResult(0);
  if (a.getRank() == 2 && bt.getRank() == 2)
    return linalg::MatmulOp::create(b, l, TypeRange{rt},
                                    ValueRange{op.getLhs(), op.getRhs()},
                                    ValueRange{filled})
        .getResult(0);
  // A batched product with broadcast batch dimensions: a contraction over
  // k = the last loop dimension.
  MLIRContext *ctx = b.getContext();
  int64_t loops = n + 1, k = n;
  auto mapFor = [&](RankedTensorType t, bool lhs) {
    SmallVector<AffineExpr> e;
    int64_t r = t.getRank();
    for (int64_t j = 0; j < r - 2; ++j) {
      int64_t i = j + (n - 2) - (r - 2);
      bool stretched = t.getDimSize(j) == 1 && rt.getDimSize(i) != 1;
      e.push_back(stretched ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(i, ctx));
    }
    if (lhs) {
      e.push_back(getAffineDimExpr(n - 2, ctx));
      e.push_back(getAffineDimExpr(k, ctx));
    } else {
      e.push_back(getAffineDimExpr(k, ctx));
      e.push_back(getAffineDimExpr(n - 1, ctx));
    }
    return AffineMap::get(loops, 0, e, ctx);
  };
  SmallVector<AffineExpr> outE;
  for (int64_t i = 0; i < n; ++i)
    outE.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps{mapFor(a, true), mapFor(bt, false),
                              AffineMap::get(loops, 0, outE, ctx)};
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, ValueRange{op.getLhs(), op.getRhs()},
             ValueRange{filled}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
               linalg::YieldOp::create(nb, nl,
                                       Value(arith::AddFOp::create(nb, nl, args[2], p)));
             })
      .getResult(0);
}

/// Reassociation that collapses `from` into `to` (or expands `to` into
/// `from`): consecutive groups with equal static products, at most one
/// dynamic dimension per group.
std::optional<SmallVector<ReassociationIndices>>
groups(ArrayRef<int64_t> big, ArrayRef<int64_t> small) {
  SmallVector<ReassociationIndices> out;
  size_t i = 0;
  for (size_t j = 0; j < small.size(); ++j) {
    ReassociationIndices g;
    if (ShapedType::isDynamic(small[j])) {
      // One dynamic dimension, plus any static 1s.
      while (i < big.size() && !ShapedType::isDynamic(big[i]) && big[i] == 1)
        g.push_back(i++);
      if (i >= big.size() || !ShapedType::isDynamic(big[i]))
        return std::nullopt;
      g.push_back(i++);
    } else {
      int64_t prod = 1;
      while (i < big.size() && prod < small[j]) {
        if (ShapedType::isDynamic(big[i]))
          return std::nullopt;
        prod *= big[i];
        g.push_back(i++);
      }
      if (prod != small[j] && !(small[j] == 1 && g.empty()))
        return std::nullopt;
      if (g.empty())
        return std::nullopt;
    }
    out.push_back(g);
  }
  // Trailing static 1s join the last group.
  while (i < big.size() && !ShapedType::isDynamic(big[i]) && big[i] == 1 &&
         !out.empty())
    out.back().push_back(i++);
  if (i != big.size())
    return std::nullopt;
  return out;
}

Value Lowering::reshape(nn::ReshapeOp op) {
  Location l = op.getLoc();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto out = cast<RankedTensorType>(op.getType());
  if (in.getRank() >= out.getRank())
    if (auto g = groups(in.getShape(), out.getShape()))
      return tensor::CollapseShapeOp::create(b, l, out, op.getInput(), *g);
  if (in.getRank() < out.getRank())
    if (auto g = groups(out.getShape(), in.getShape())) {
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < out.getRank(); ++d) {
        if (!out.isDynamicDim(d)) {
          sizes.push_back(b.getIndexAttr(out.getDimSize(d)));
          continue;
        }
        // The group holding d has one dynamic dim: the input's.
        for (auto [j, grp] : llvm::enumerate(*g))
          if (llvm::is_contained(grp, d))
            sizes.push_back(OpFoldResult(dimOf(b, l, op.getInput(), j)));
      }
      return tensor::ExpandShapeOp::create(b, l, out, op.getInput(), *g, sizes);
    }
  op.emitError("lowering of this reshape (") << in << " to " << out
                                             << ") is not implemented";
  return {};
}

Value Lowering::slice(nn::SliceOp op) {
  Location l = op.getLoc();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    offsets.push_back(b.getIndexAttr(op.getStarts()[d]));
    strides.push_back(b.getIndexAttr(op.getStrides()[d]));
    if (op.getSizes()[d] >= 0)
      sizes.push_back(b.getIndexAttr(op.getSizes()[d]));
    else if (in.isDynamicDim(d))
      sizes.push_back(OpFoldResult(dimOf(b, l, op.getInput(), d)));
    else
      sizes.push_back(b.getIndexAttr(in.getDimSize(d)));
  }
  return tensor::ExtractSliceOp::create(
      b, l, cast<RankedTensorType>(op.getType()), op.getInput(), offsets,
      sizes, strides);
}

Value Lowering::concat(nn::ConcatOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  int64_t axis = op.getAxis();
  Value acc = emptyTensor(b, l, rt, [&](int64_t d) -> Value {
    if (d != axis)
      return broadcastDim(b, l, op.getInputs(), rt.getRank(), d);
    Value sum = arith::ConstantIndexOp::create(b, l, 0);
    for (Value v : op.getInputs())
      sum = arith::AddIOp::create(b, l, sum, dimOf(b, l, v, d));
    return sum;
  });
  Value offset = arith::ConstantIndexOp::create(b, l, 0);
  for (Value v : op.getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<OpFoldResult> offs, sizes, strides;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      offs.push_back(d == axis ? OpFoldResult(offset) : b.getIndexAttr(0));
      sizes.push_back(t.isDynamicDim(d) ? OpFoldResult(dimOf(b, l, v, d))
                                        : b.getIndexAttr(t.getDimSize(d)));
      strides.push_back(b.getIndexAttr(1));
    }
    acc = tensor::InsertSliceOp::create(b, l, v, acc, offs, sizes, strides);
    offset = arith::AddIOp::create(b, l, offset, dimOf(b, l, v, axis));
  }
  return acc;
}

Value Lowering::reduceAlong(
    Location l, Value x, ArrayRef<int64_t> axes, bool keepdims,
    Value initValue,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &combine) {
  auto in = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outE;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool red = llvm::is_contained(axes, d);
    iters.push_back(red ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
    if (!red) {
      shape.push_back(in.getDimSize(d));
      outE.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto rt = RankedTensorType::get(shape, in.getElementType());
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!llvm::is_contained(axes, d))
      kept.push_back(d);
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, x, kept[d]);
  });
  Value filled = linalg::FillOp::create(b, l, initValue, init).getResult(0);
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(in.getRank(), ctx),
      AffineMap::get(in.getRank(), 0, outE, ctx)};
  Value r = linalg::GenericOp::create(
                b, l, TypeRange{rt}, ValueRange{x}, ValueRange{filled}, maps,
                iters,
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  linalg::YieldOp::create(nb, nl, combine(nb, nl, args[1], args[0]));
                })
                .getResult(0);
  if (!keepdims)
    return r;
  SmallVector<int64_t> keptShape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    keptShape.push_back(llvm::is_contained(axes, d) ? 1 : in.getDimSize(d));
  auto kt = RankedTensorType::get(keptShape, in.getElementType());
  return nn::ReshapeOp::create(b, l, kt, r); // lowered by the caller's loop
}

Value Lowering::reduce(nn::ReduceOp op) {
  Location l = op.getLoc();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  Type et = in.getElementType();
  StringRef kind = op.getKind();
  if (!isa<FloatType>(et)) {
    op.emitError("lowering of reduction '") << kind << "' on " << in
                                           << " is not implemented";
    return {};
  }
  if (kind == "argmax" || kind == "argmin")
    return argReduce(op);
  auto ft = cast<FloatType>(et);
  if (kind == "logsumexp") {
    // log(sum(exp(x - max))) + max, stable for large inputs.
    auto maxOf = [](OpBuilder &nb, Location nl, Value a, Value v) {
      return Value(arith::MaximumFOp::create(nb, nl, a, v));
    };
    Value mKeep = reduceAlong(l, op.getInput(), op.getAxes(), true,
                              floatConst(b, l, ft, -INFINITY), maxOf);
    Value e = elementwise(b, l, in, {op.getInput(), mKeep},
                          [](OpBuilder &nb, Location nl, ValueRange a) {
                            return Value(math::ExpOp::create(
                                nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1])));
                          });
    Value sum = reduceAlong(l, e, op.getAxes(), op.getKeepdims(),
                            floatConst(b, l, ft, 0.0),
                            [](OpBuilder &nb, Location nl, Value a, Value v) {
                              return Value(arith::AddFOp::create(nb, nl, a, v));
                            });
    Value m = reduceAlong(l, op.getInput(), op.getAxes(), op.getKeepdims(),
                          floatConst(b, l, ft, -INFINITY), maxOf);
    return elementwise(b, l, cast<RankedTensorType>(op.getType()), {sum, m},
                       [](OpBuilder &nb, Location nl, ValueRange a) {
                         return Value(arith::AddFOp::create(
                             nb, nl, math::LogOp::create(nb, nl, a[0]), a[1]));
                       });
  }
  double init = kind == "max"    ? -INFINITY
                : kind == "min"  ? INFINITY
                : kind == "prod" ? 1.0
                                 : 0.0;
  Value r = reduceAlong(
      l, op.getInput(), op.getAxes(), op.getKeepdims(),
      floatConst(b, l, ft, init),
      [&](OpBuilder &nb, Location nl, Value acc, Value x) -> Value {
        if (kind == "max")
          return arith::MaximumFOp::create(nb, nl, acc, x);
        if (kind == "min")
          return arith::MinimumFOp::create(nb, nl, acc, x);
        if (kind == "prod")
          return arith::MulFOp::create(nb, nl, acc, x);
        return arith::AddFOp::create(nb, nl, acc, x);
      });
  if (kind != "mean")
    return r;
  // Divide by the number of reduced elements (dynamic ones read at run time).
  Value count = arith::ConstantIndexOp::create(b, l, 1);
  for (int64_t a : op.getAxes())
    count = arith::MulIOp::create(b, l, count, dimOf(b, l, op.getInput(), a));
  Value countF = arith::UIToFPOp::create(
      b, l, ft, arith::IndexCastOp::create(b, l, b.getI64Type(), count));
  auto rt = cast<RankedTensorType>(r.getType());
  return elementwise(b, l, rt, {r}, [&](OpBuilder &nb, Location nl, ValueRange a) {
    return Value(arith::DivFOp::create(nb, nl, a[0], countF));
  });
}

Value Lowering::argReduce(nn::ReduceOp op) {
  // One generic with two accumulators: the best value so far and its
  // index; the first occurrence wins ties, like PyTorch.
  Location l = op.getLoc();
  if (op.getAxes().size() != 1) {
    op.emitError("lowering of ") << op.getKind()
                                 << " over several axes is not implemented";
    return {};
  }
  Value x = op.getInput();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t axis = op.getAxes()[0];
  bool isMax = op.getKind() == "argmax";
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outE;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    iters.push_back(d == axis ? utils::IteratorType::reduction
                              : utils::IteratorType::parallel);
    if (d != axis) {
      shape.push_back(in.getDimSize(d));
      outE.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto vt = RankedTensorType::get(shape, in.getElementType());
  auto it = RankedTensorType::get(shape, b.getI64Type());
  auto dyn = [&](int64_t d) {
    return dimOf(b, l, x, d < axis ? d : d + 1);
  };
  Value vals = linalg::FillOp::create(
                   b, l, floatConst(b, l, in.getElementType(), isMax ? -INFINITY : INFINITY),
                   emptyTensor(b, l, vt, dyn))
                   .getResult(0);
  Value zeroIdx = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
  Value idxs =
      linalg::FillOp::create(b, l, zeroIdx, emptyTensor(b, l, it, dyn))
          .getResult(0);
  AffineMap outMap = AffineMap::get(in.getRank(), 0, outE, ctx);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(in.getRank(), ctx),
                              outMap, outMap};
  auto g = linalg::GenericOp::create(
      b, l, TypeRange{vt, it}, ValueRange{x}, ValueRange{vals, idxs}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value i = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, nl, axis));
        Value better = arith::CmpFOp::create(
            nb, nl, isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT,
            a[0], a[1]);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, better, a[0], a[1]),
                       arith::SelectOp::create(nb, nl, better, i, a[2])});
      });
  Value r = g.getResult(1);
  if (!op.getKeepdims())
    return r;
  SmallVector<int64_t> kept(in.getShape());
  kept[axis] = 1;
  return nn::ReshapeOp::create(b, l, RankedTensorType::get(kept, b.getI64Type()), r);
}

Value Lowering::softmax(nn::SoftmaxOp op) {
  Location l = op.getLoc();
  Value x = op.getInput();
  auto t = cast<RankedTensorType>(x.getType());
  Type et = t.getElementType();
  int64_t axis = op.getAxis();
  auto keep = [&](Value v) {
    // Reduced values broadcast back along the axis.
    SmallVector<int64_t> shape(t.getShape());
    shape[axis] = 1;
    auto kt = RankedTensorType::get(shape, et);
    SmallVector<ReassociationIndices> g;
    for (int64_t d = 0, j = 0; d < t.getRank(); ++d) {
      if (d == axis && !g.empty())
        g.back().push_back(d);
      else if (d == axis) {
        g.push_back({d});
        continue;
      } else if (!g.empty() && g.back().size() == 1 && g.back()[0] == axis &&
                 j == 0)
        g.back().push_back(d);
      else
        g.push_back({d});
      ++j;
    }
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < t.getRank(); ++d)
      sizes.push_back(d == axis ? b.getIndexAttr(1)
                    : t.isDynamicDim(d) ? OpFoldResult(dimOf(b, l, x, d))
                                        : b.getIndexAttr(t.getDimSize(d)));
    return Value(tensor::ExpandShapeOp::create(b, l, kt, v, g, sizes));
  };
  Value mx = reduceAlong(l, x, {axis}, false, floatConst(b, l, et, -INFINITY),
                         [](OpBuilder &nb, Location nl, Value a, Value v) {
                           return Value(arith::MaximumFOp::create(nb, nl, a, v));
                         });
  Value shifted = elementwise(b, l, t, {x, keep(mx)},
                              [](OpBuilder &nb, Location nl, ValueRange a) {
                                return Value(arith::SubFOp::create(nb, nl, a[0], a[1]));
                              });
  Value e = elementwise(b, l, t, {shifted},
                        [](OpBuilder &nb, Location nl, ValueRange a) {
                          return Value(math::ExpOp::create(nb, nl, a[0]));
                        });
  Value s = reduceAlong(l, e, {axis}, false, floatConst(b, l, et, 0.0),
                        [](OpBuilder &nb, Location nl, Value a, Value v) {
                          return Value(arith::AddFOp::create(nb, nl, a, v));
                        });
  if (op.getLog())
    return elementwise(b, l, t, {shifted, keep(s)},
                       [](OpBuilder &nb, Location nl, ValueRange a) {
                         return Value(arith::SubFOp::create(
                             nb, nl, a[0], math::LogOp::create(nb, nl, a[1])));
                       });
  return elementwise(b, l, t, {e, keep(s)},
                     [](OpBuilder &nb, Location nl, ValueRange a) {
                       return Value(arith::DivFOp::create(nb, nl, a[0], a[1]));
                     });
}

Value Lowering::oneHot(nn::OneHotOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  MLIRContext *ctx = b.getContext();
  int64_t n = rt.getRank();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, op.getInput(), d);
  });
  SmallVector<AffineExpr> inE;
  for (int64_t d = 0; d < n - 1; ++d)
    inE.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps{AffineMap::get(n, 0, inE, ctx),
                              AffineMap::getMultiDimIdentityMap(n, ctx)};
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  Type et = rt.getElementType();
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, ValueRange{op.getInput()}, ValueRange{init},
             maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value idx = linalg::IndexOp::create(nb, nl, n - 1);
               Value cls = arith::IndexCastOp::create(nb, nl, args[0].getType(), idx);
               Value eq = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                                args[0], cls);
               linalg::YieldOp::create(
                   nb, nl,
                   Value(arith::SelectOp::create(nb, nl, eq, floatConst(nb, nl, et, 1.0),
                                                 floatConst(nb, nl, et, 0.0))));
             })
      .getResult(0);
}

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
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, op.getInput(), d);
  });
  Value filled =
      linalg::FillOp::create(b, l, floatConst(b, l, rt.getElementType(), 0.0), init)
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
  Value init = emptyTensor(b, l, gt, [&](int64_t) {
    return dimOf(b, l, op.getInput(), 0);
  });
  Value filled =
      linalg::FillOp::create(b, l, floatConst(b, l, rt.getElementType(), 0.0), init)
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
  Value zeros = linalg::FillOp::create(
                    b, l, floatConst(b, l, et, 0.0),
                    emptyTensor(b, l, dt, [&](int64_t d) {
                      return dimOf(b, l, op.getInput(), d);
                    }))
                    .getResult(0);
  SmallVector<OpFoldResult> offs{b.getIndexAttr(0), b.getIndexAttr(k[0] - 1 - p[0]),
                                 b.getIndexAttr(k[1] - 1 - p[1]), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes, strides{b.getIndexAttr(1), b.getIndexAttr(s[0]),
                                           b.getIndexAttr(s[1]), b.getIndexAttr(1)};
  for (int64_t d = 0; d < 4; ++d)
    sizes.push_back(x.isDynamicDim(d)
                        ? OpFoldResult(dimOf(b, l, op.getInput(), d))
                        : b.getIndexAttr(x.getDimSize(d)));
  Value dilated = tensor::InsertSliceOp::create(b, l, op.getInput(), zeros, offs,
                                                sizes, strides);
  // The kernel flipped in both spatial dimensions.
  MLIRContext *ctx = b.getContext();
  auto e = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto c = [&](int64_t v) { return getAffineConstantExpr(v, ctx); };
  SmallVector<AffineMap> maps{
      AffineMap::get(4, 0, {c(k[0] - 1) - e(0), c(k[1] - 1) - e(1), e(2), e(3)}, ctx),
      AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  Value flipped = linalg::GenericOp::create(
                      b, l, TypeRange{wt}, ValueRange{op.getFilter()},
                      ValueRange{tensor::EmptyOp::create(b, l, wt.getShape(), et)},
                      maps, iters,
                      [](OpBuilder &nb, Location nl, ValueRange a) {
                        linalg::YieldOp::create(nb, nl, a[0]);
                      })
                      .getResult(0);
  Value init = linalg::FillOp::create(
                   b, l, floatConst(b, l, et, 0.0),
                   emptyTensor(b, l, rt, [&](int64_t d) {
                     return dimOf(b, l, op.getInput(), d);
                   }))
                   .getResult(0);
  return linalg::Conv2DNhwcHwcfOp::create(
             b, l, TypeRange{rt}, ValueRange{dilated, flipped}, ValueRange{init},
             b.getI64TensorAttr({1, 1}), b.getI64TensorAttr({1, 1}))
      .getResult(0);
}

Value Lowering::pool(nn::Pool2DOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  bool isMax = op.getKind() == "max";
  Value x = pad(l, op.getInput(), op.getPadding(), isMax ? -INFINITY : 0.0);
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, op.getInput(), d);
  });
  Value filled =
      linalg::FillOp::create(b, l, floatConst(b, l, et, isMax ? -INFINITY : 0.0),
                             init)
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
  return elementwise(b, l, rt, {sum}, [&](OpBuilder &nb, Location nl, ValueRange a) {
    return Value(arith::MulFOp::create(nb, nl, a[0], floatConst(nb, nl, et, inv)));
  });
}

Value Lowering::castOp(nn::CastOp op) {
  auto rt = cast<RankedTensorType>(op.getType());
  Type from = cast<RankedTensorType>(op.getInput().getType()).getElementType();
  Type to = rt.getElementType();
  return elementwise(b, op.getLoc(), rt, {op.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value x = a[0];
    bool fF = isa<FloatType>(from), tF = isa<FloatType>(to);
    if (from == to)
      return x;
    if (to.isInteger(1)) {
      if (fF)
        return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNE, x,
                                     floatConst(nb, nl, from, 0.0));
      Value zero = arith::ConstantOp::create(nb, nl, from, nb.getIntegerAttr(from, 0));
      return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, x, zero);
    }
    if (fF && tF)
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? Value(arith::ExtFOp::create(nb, nl, to, x))
                 : Value(arith::TruncFOp::create(nb, nl, to, x));
    if (!fF && tF)
      return from.isInteger(1) ? Value(arith::UIToFPOp::create(nb, nl, to, x))
                               : Value(arith::SIToFPOp::create(nb, nl, to, x));
    if (fF && !tF)
      return arith::FPToSIOp::create(nb, nl, to, x);
    if (from.isInteger(1))
      return arith::ExtUIOp::create(nb, nl, to, x);
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? Value(arith::ExtSIOp::create(nb, nl, to, x))
               : Value(arith::TruncIOp::create(nb, nl, to, x));
  });
}

Value Lowering::gather(nn::GatherOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  auto tt = cast<RankedTensorType>(op.getTable().getType());
  auto it = cast<RankedTensorType>(op.getIndex().getType());
  MLIRContext *ctx = b.getContext();
  int64_t n = rt.getRank(), ir = it.getRank();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return d < ir ? dimOf(b, l, op.getIndex(), d)
                  : dimOf(b, l, op.getTable(), d - ir + 1);
  });
  SmallVector<AffineExpr> idxE;
  for (int64_t d = 0; d < ir; ++d)
    idxE.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps{AffineMap::get(n, 0, idxE, ctx),
                              AffineMap::getMultiDimIdentityMap(n, ctx)};
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  Value table = op.getTable();
  int64_t rows = tt.getDimSize(0);
  return linalg::GenericOp::create(
             b, l, TypeRange{rt}, ValueRange{op.getIndex()}, ValueRange{init},
             maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value row = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), args[0]);
               // Clamp to the table so a bad id cannot read out of bounds.
               Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
               Value last = ShapedType::isDynamic(rows)
                                ? Value(arith::SubIOp::create(
                                      nb, nl, tensor::DimOp::create(nb, nl, table, 0),
                                      arith::ConstantIndexOp::create(nb, nl, 1)))
                                : Value(arith::ConstantIndexOp::create(nb, nl, rows - 1));
               row = arith::MaxSIOp::create(nb, nl, row, zero);
               row = arith::MinSIOp::create(nb, nl, row, last);
               SmallVector<Value> at{row};
               for (int64_t d = ir; d < n; ++d)
                 at.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(
                   nb, nl, Value(tensor::ExtractOp::create(nb, nl, table, at)));
             })
      .getResult(0);
}

std::pair<Value, Value> Lowering::moments(Location l, Value x,
                                          ArrayRef<int64_t> axes) {
  auto t = cast<RankedTensorType>(x.getType());
  Type et = t.getElementType();
  Value count = arith::ConstantIndexOp::create(b, l, 1);
  for (int64_t a : axes)
    count = arith::MulIOp::create(b, l, count, dimOf(b, l, x, a));
  Value countF = arith::UIToFPOp::create(
      b, l, et, arith::IndexCastOp::create(b, l, b.getI64Type(), count));
  auto add = [](OpBuilder &nb, Location nl, Value a, Value v) {
    return Value(arith::AddFOp::create(nb, nl, a, v));
  };
  auto divide = [&](Value sum) {
    auto st = cast<RankedTensorType>(sum.getType());
    return elementwise(b, l, st, {sum}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return Value(arith::DivFOp::create(nb, nl, a[0], countF));
    });
  };
  Value mean = divide(reduceAlong(l, x, axes, true, floatConst(b, l, et, 0), add));
  Value centered = elementwise(b, l, t, {x, mean},
                               [](OpBuilder &nb, Location nl, ValueRange a) {
                                 Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
                                 return Value(arith::MulFOp::create(nb, nl, d, d));
                               });
  Value var =
      divide(reduceAlong(l, centered, axes, true, floatConst(b, l, et, 0), add));
  return {mean, var};
}

/// (x - mean) * rsqrt(var + eps) * gamma + beta, broadcasting.
static Value normalize(OpBuilder &b, Location l, RankedTensorType t, Value x,
                       Value mean, Value var, Value gamma, Value beta,
                       double eps) {
  return elementwise(b, l, t, {x, mean, var, gamma, beta},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       Type et = a[0].getType();
                       Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
                       Value s = math::RsqrtOp::create(
                           nb, nl,
                           arith::AddFOp::create(nb, nl, a[2],
                                                 floatConst(nb, nl, et, eps)));
                       Value y = arith::MulFOp::create(
                           nb, nl, arith::MulFOp::create(nb, nl, c, s), a[3]);
                       return Value(arith::AddFOp::create(nb, nl, y, a[4]));
                     });
}

Value Lowering::layerNorm(nn::LayerNormOp op) {
  Location l = op.getLoc();
  auto t = cast<RankedTensorType>(op.getType());
  int64_t gr = cast<RankedTensorType>(op.getGamma().getType()).getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = t.getRank() - gr; d < t.getRank(); ++d)
    axes.push_back(d);
  auto [mean, var] = moments(l, op.getInput(), axes);
  return normalize(b, l, t, op.getInput(), mean, var, op.getGamma(),
                   op.getBeta(), op.getEps().convertToDouble());
}

Value Lowering::batchNorm(nn::BatchNormOp op) {
  Location l = op.getLoc();
  auto t = cast<RankedTensorType>(op.getType());
  double eps = op.getEps().convertToDouble();
  if (!op.getTraining())
    return normalize(b, l, t, op.getInput(), op.getMean(), op.getVar(),
                     op.getGamma(), op.getBeta(), eps);
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d + 1 < t.getRank(); ++d)
    axes.push_back(d);
  auto [mean, var] = moments(l, op.getInput(), axes);
  return normalize(b, l, t, op.getInput(), mean, var, op.getGamma(),
                   op.getBeta(), eps);
}

Value Lowering::upsample(nn::UpsampleOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  MLIRContext *ctx = b.getContext();
  int64_t f = op.getFactor();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) -> Value {
    Value v = dimOf(b, l, op.getInput(), d);
    if (d == 1 || d == 2)
      v = arith::MulIOp::create(b, l, v, arith::ConstantIndexOp::create(b, l, f));
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

Value Lowering::withLinearIndex(
    Location l, RankedTensorType rt, Value init, ValueRange inputs,
    const std::function<Value(OpBuilder &, Location, Value, ValueRange)> &body) {
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
                 Value size = rt.isDynamicDim(d)
                                  ? Value(tensor::DimOp::create(nb, nl, init, d))
                                  : Value(arith::ConstantIndexOp::create(
                                        nb, nl, rt.getDimSize(d)));
                 idx = arith::AddIOp::create(
                     nb, nl, arith::MulIOp::create(nb, nl, idx, size),
                     linalg::IndexOp::create(nb, nl, d));
               }
               Value i64 = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx);
               linalg::YieldOp::create(nb, nl,
                                       body(nb, nl, i64, args.drop_back()));
             })
      .getResult(0);
}

Value Lowering::random(nn::RandomOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type ft = rt.getElementType();
  Value init = tensor::EmptyOp::create(b, l, rt.getShape(), ft,
                                       op.getDynamicSizes());
  uint64_t seed = op.getSeed(), offset = op.getOffset();
  double a = op.getA().convertToDouble(), bb = op.getB().convertToDouble();
  StringRef kind = op.getKind();
  return withLinearIndex(l, rt, init, {}, [&](OpBuilder &nb, Location nl,
                                              Value i, ValueRange) -> Value {
    auto c = [&](double v) { return floatConst(nb, nl, ft, v); };
    nnc::StreamWords w = nnc::streamWords(nb, nl, i, seed, offset);
    if (kind == "uniform")
      return arith::AddFOp::create(
          nb, nl, c(a),
          arith::MulFOp::create(nb, nl, c(bb - a),
                                nnc::unitInterval(nb, nl, w.word, ft, false)));
    if (kind == "gumbel") {
      Value u = arith::MulFOp::create(
          nb, nl, nnc::unitInterval(nb, nl, w.word, ft, true), c(0.99999994));
      Value inner = arith::NegFOp::create(nb, nl, math::LogOp::create(nb, nl, u));
      return arith::NegFOp::create(nb, nl, math::LogOp::create(nb, nl, inner));
    }
    // Box-Muller on the lane's word pair; even lanes cos, odd lanes sin.
    Value r = math::SqrtOp::create(
        nb, nl,
        arith::MulFOp::create(
            nb, nl, c(-2.0),
            math::LogOp::create(nb, nl,
                                nnc::unitInterval(nb, nl, w.pairFirst, ft, true))));
    Value theta = arith::MulFOp::create(
        nb, nl, c(6.2831853071795864),
        nnc::unitInterval(nb, nl, w.pairSecond, ft, false));
    Value odd = arith::TruncIOp::create(nb, nl, nb.getI1Type(), w.lane);
    Value trig = arith::SelectOp::create(nb, nl, odd,
                                         math::SinOp::create(nb, nl, theta),
                                         math::CosOp::create(nb, nl, theta));
    return arith::AddFOp::create(
        nb, nl, c(a),
        arith::MulFOp::create(nb, nl, c(bb), arith::MulFOp::create(nb, nl, r, trig)));
  });
}

Value Lowering::bernoulli(nn::BernoulliOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Type ft = rt.getElementType();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, op.getP(), d);
  });
  uint64_t seed = op.getSeed(), offset = op.getOffset();
  return withLinearIndex(l, rt, init, {op.getP()},
                         [&](OpBuilder &nb, Location nl, Value i,
                             ValueRange in) -> Value {
    nnc::StreamWords w = nnc::streamWords(nb, nl, i, seed, offset);
    Value u = nnc::unitInterval(nb, nl, w.word, ft, false);
    Value keep = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, u, in[0]);
    return arith::SelectOp::create(nb, nl, keep, floatConst(nb, nl, ft, 1.0),
                                   floatConst(nb, nl, ft, 0.0));
  });
}

struct NNLowerToLinalgPass
    : nnc::impl::NNLowerToLinalgBase<NNLowerToLinalgPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    Lowering lowering(b);
    // Ops created while lowering (a keepdims reshape) are lowered too.
    while (true) {
      SmallVector<Operation *> work;
      getOperation().walk([&](Operation *op) {
        if (isa<nn::NNDialect>(op->getDialect()))
          work.push_back(op);
      });
      if (work.empty())
        return;
      for (Operation *op : work) {
        b.setInsertionPoint(op);
        Value v = lowering.lower(op);
        if (!v)
          return signalPassFailure();
        op->getResult(0).replaceAllUsesWith(v);
        op->erase();
      }
    }
  }
};

} // namespace
