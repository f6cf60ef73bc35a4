//===- LowerNNToLinalg.cpp - nn dialect to linalg on tensors --------------===//
//
// One rewrite per nn op, applied in program order (every nn op is pure and
// works on tensors, so each can be replaced in place). Broadcasting is
// expressed in indexing maps: an operand dimension of static size 1 that
// the result stretches is indexed with the constant 0. Dynamic result
// dimensions are read with `tensor.dim` from an operand that has them.
// This file holds the pass, the dispatch, element-wise ops, products and
// shape ops; see Lowering.h for the rest.
//
//===----------------------------------------------------------------------===//
#include "codegen/Lowering.h"
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace nnc {
#define GEN_PASS_DEF_NNLOWERTOLINALG
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc::lowering;
namespace nn = nnc::nn;

namespace nnc {
namespace lowering {

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
Value broadcastDim(OpBuilder &b, Location l, ValueRange operands, int64_t rank,
                   int64_t d) {
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
} // namespace lowering
} // namespace nnc

namespace {
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
      .Case(
          [&](nn::ReluOp) { return arith::MaximumFOp::create(b, l, x, c(0)); })
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
        return arith::AddFOp::create(
            b, l, arith::MaximumFOp::create(b, l, x, c(0)), t1);
      })
      .Case([&](nn::ExpOp) { return math::ExpOp::create(b, l, x); })
      .Case([&](nn::ErfOp) { return math::ErfOp::create(b, l, x); })
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
        Value pos =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        Value neg =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0));
        return arith::SelectOp::create(
            b, l, pos, c(1), arith::SelectOp::create(b, l, neg, c(-1), c(0)));
      })
      .Case([&](nn::Log1pOp) { return math::Log1pOp::create(b, l, x); })
      .Case([&](nn::EluOp) {
        Value pos =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        return arith::SelectOp::create(b, l, pos, x,
                                       math::ExpM1Op::create(b, l, x));
      })
      .Case([&](nn::LeakyReluOp lr) {
        Value pos =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
        Value s =
            arith::MulFOp::create(b, l, x, c(lr.getSlope().convertToDouble()));
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
} // namespace

SmallVector<Value> Lowering::lowerAll(Operation *op) {
  if (auto m = dyn_cast<nn::ChannelMomentsOp>(op))
    return channelMoments(m);
  if (auto g = dyn_cast<nn::BatchNormGradOp>(op))
    return batchNormGrad(g);
  if (Value v = lower(op))
    return {v};
  return {};
}

Value Lowering::lower(Operation *op) {
  Location l = op->getLoc();
  if (auto c = dyn_cast<nn::ConstantOp>(op))
    return arith::ConstantOp::create(b, l, cast<TypedAttr>(c.getValue()));
  if (op->getNumOperands() == 1 && op->hasTrait<OpTrait::OneResult>() &&
      isa<nn::ReluOp, nn::SigmoidOp, nn::TanhOp, nn::GeluOp, nn::SoftplusOp,
          nn::ExpOp, nn::LogOp, nn::SqrtOp, nn::RsqrtOp, nn::AbsOp, nn::NegOp,
          nn::SinOp, nn::CosOp, nn::SiluOp, nn::SquareOp, nn::FloorOp,
          nn::SignOp, nn::Log1pOp, nn::EluOp, nn::LeakyReluOp, nn::ErfOp>(op))
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
  if (auto c = dyn_cast<nn::Conv2DFilterGradOp>(op))
    return convFilterGrad(c);
  if (auto p = dyn_cast<nn::Pool2DOp>(op))
    return pool(p);
  if (auto p = dyn_cast<nn::Pool2DGradOp>(op))
    return poolGrad(p);
  if (auto p = dyn_cast<nn::Pool2DTakeOp>(op))
    return poolTake(p);
  if (auto c = dyn_cast<nn::ConvTranspose2DOp>(op))
    return convTranspose(c);
  if (auto s = dyn_cast<nn::StopGradientOp>(op))
    return s.getInput();
  if (auto s = dyn_cast<nn::SelectOp>(op))
    return elementwise(
        b, l, cast<RankedTensorType>(s.getType()), op->getOperands(),
        [](OpBuilder &nb, Location nl, ValueRange a) {
          return Value(arith::SelectOp::create(nb, nl, a[0], a[1], a[2]));
        });
  if (auto c = dyn_cast<nn::CastOp>(op))
    return castOp(c);
  if (auto c = dyn_cast<nn::ClipOp>(op)) {
    double lo = c.getLow().convertToDouble(),
           hi = c.getHigh().convertToDouble();
    return elementwise(
        b, l, cast<RankedTensorType>(c.getType()), {c.getInput()},
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Type t = a[0].getType();
          Value v = arith::MinimumFOp::create(nb, nl, a[0],
                                              floatConst(nb, nl, t, hi));
          return Value(
              arith::MaximumFOp::create(nb, nl, v, floatConst(nb, nl, t, lo)));
        });
  }
  if (auto g = dyn_cast<nn::GatherOp>(op))
    return gather(g);
  if (auto n = dyn_cast<nn::LayerNormOp>(op))
    return layerNorm(n);
  if (auto n = dyn_cast<nn::BatchNormOp>(op))
    return batchNorm(n);
  if (auto d = dyn_cast<nn::DropoutOp>(op))
    return d.getTraining() ? dropout(d) : d.getInput(); // eval: identity
  if (auto u = dyn_cast<nn::UpsampleOp>(op))
    return upsample(u);
  if (auto r = dyn_cast<nn::RandomOp>(op))
    return random(r);
  if (auto f = dyn_cast<nn::FillOp>(op)) {
    auto rt = cast<RankedTensorType>(f.getType());
    Type et = rt.getElementType();
    double v = f.getValue().convertToDouble();
    Value init =
        tensor::EmptyOp::create(b, l, rt.getShape(), et, f.getDynamicSizes());
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

/// The input of `v` if `v` is a transpose that swaps the last two
/// dimensions (a matrix product reads it through swapped indices instead
/// of materialising it: reverse mode makes one for most products).
static Value transposedSource(Value v) {
  // Operands are lowered first: the transpose is linalg's by now.
  auto t = v.getDefiningOp<linalg::TransposeOp>();
  if (!t)
    return {};
  ArrayRef<int64_t> perm = t.getPermutation();
  int64_t r = int64_t(perm.size());
  if (r < 2 || perm[r - 2] != r - 1 || perm[r - 1] != r - 2)
    return {};
  for (int64_t d = 0; d + 2 < r; ++d)
    if (perm[d] != d)
      return {};
  return t.getInput();
}

Value Lowering::matmul(nn::MatmulOp op) {
  Location l = op.getLoc();
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  Value zero = floatConst(b, l, et, 0.0);
  int64_t n = rt.getRank();
  Value lhsT = transposedSource(op.getLhs());
  Value rhsT = transposedSource(op.getRhs());
  Value lhs = lhsT ? lhsT : op.getLhs();
  Value rhs = rhsT ? rhsT : op.getRhs();
  Value init = emptyTensor(b, l, rt, [&](int64_t d) -> Value {
    if (d == n - 2)
      return dimOf(b, l, lhs, a.getRank() - (lhsT ? 1 : 2));
    if (d == n - 1)
      return dimOf(b, l, rhs, bt.getRank() - (rhsT ? 2 : 1));
    return broadcastDim(b, l, {op.getLhs(), op.getRhs()}, n, d);
  });
  Value filled = linalg::FillOp::create(b, l, zero, init).getResult(0);
  if (a.getRank() == 2 && bt.getRank() == 2 && !lhsT && !rhsT)
    return linalg::MatmulOp::create(b, l, TypeRange{rt},
                                    ValueRange{op.getLhs(), op.getRhs()},
                                    ValueRange{filled})
        .getResult(0);
  // A batched product with broadcast batch dimensions, or one that reads
  // a transposed operand: a contraction over k = the last loop dimension.
  MLIRContext *ctx = b.getContext();
  int64_t loops = n + 1, k = n;
  auto mapFor = [&](RankedTensorType t, bool isLhs) {
    SmallVector<AffineExpr> e;
    int64_t r = t.getRank();
    for (int64_t j = 0; j < r - 2; ++j) {
      int64_t i = j + (n - 2) - (r - 2);
      bool stretched = t.getDimSize(j) == 1 && rt.getDimSize(i) != 1;
      e.push_back(stretched ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(i, ctx));
    }
    AffineExpr row = getAffineDimExpr(isLhs ? n - 2 : k, ctx);
    AffineExpr col = getAffineDimExpr(isLhs ? k : n - 1, ctx);
    if (isLhs ? lhsT : rhsT)
      std::swap(row, col);
    e.push_back(row);
    e.push_back(col);
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
             b, l, TypeRange{rt}, ValueRange{lhs, rhs}, ValueRange{filled},
             maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], p)));
             })
      .getResult(0);
}

namespace {

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
} // namespace

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
  if (in.getRank() == 0 || out.getRank() == 0) {
    op.emitError("lowering of this reshape (")
        << in << " to " << out << ") is not implemented";
    return {};
  }
  // Anything else (unit dimensions moved, factors regrouped): through one
  // dimension. The verifier allows one dynamic result dimension: the
  // element count divided by the static ones.
  Value flat = op.getInput();
  ReassociationIndices allIn, allOut;
  for (int64_t d = 0; d < in.getRank(); ++d)
    allIn.push_back(d);
  for (int64_t d = 0; d < out.getRank(); ++d)
    allOut.push_back(d);
  if (in.getRank() > 1) {
    int64_t n =
        in.hasStaticShape() ? in.getNumElements() : ShapedType::kDynamic;
    flat = tensor::CollapseShapeOp::create(
        b, l, RankedTensorType::get({n}, in.getElementType()), flat,
        SmallVector<ReassociationIndices>{allIn});
  }
  if (out.getRank() == 1)
    return flat;
  int64_t known = 1;
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (!out.isDynamicDim(d))
      known *= out.getDimSize(d);
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (out.isDynamicDim(d))
      sizes.push_back(OpFoldResult(
          arith::DivUIOp::create(b, l, dimOf(b, l, flat, 0),
                                 arith::ConstantIndexOp::create(b, l, known))));
    else
      sizes.push_back(b.getIndexAttr(out.getDimSize(d)));
  return tensor::ExpandShapeOp::create(
      b, l, out, flat, SmallVector<ReassociationIndices>{allOut}, sizes);
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
  return tensor::ExtractSliceOp::create(b, l,
                                        cast<RankedTensorType>(op.getType()),
                                        op.getInput(), offsets, sizes, strides);
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

Value Lowering::castOp(nn::CastOp op) {
  auto rt = cast<RankedTensorType>(op.getType());
  Type from = cast<RankedTensorType>(op.getInput().getType()).getElementType();
  Type to = rt.getElementType();
  return elementwise(
      b, op.getLoc(), rt, {op.getInput()},
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value x = a[0];
        bool fF = isa<FloatType>(from), tF = isa<FloatType>(to);
        if (from == to)
          return x;
        if (to.isInteger(1)) {
          if (fF)
            return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNE, x,
                                         floatConst(nb, nl, from, 0.0));
          Value zero = arith::ConstantOp::create(nb, nl, from,
                                                 nb.getIntegerAttr(from, 0));
          return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, x,
                                       zero);
        }
        if (fF && tF)
          return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                     ? Value(arith::ExtFOp::create(nb, nl, to, x))
                     : Value(arith::TruncFOp::create(nb, nl, to, x));
        if (!fF && tF)
          return from.isInteger(1)
                     ? Value(arith::UIToFPOp::create(nb, nl, to, x))
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
               Value row = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                                      args[0]);
               // Clamp to the table so a bad id cannot read out of bounds.
               Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
               Value last =
                   ShapedType::isDynamic(rows)
                       ? Value(arith::SubIOp::create(
                             nb, nl, tensor::DimOp::create(nb, nl, table, 0),
                             arith::ConstantIndexOp::create(nb, nl, 1)))
                       : Value(
                             arith::ConstantIndexOp::create(nb, nl, rows - 1));
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

namespace {
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
        break;
      for (Operation *op : work) {
        b.setInsertionPoint(op);
        SmallVector<Value> v = lowering.lowerAll(op);
        if (v.empty())
          return signalPassFailure();
        op->replaceAllUsesWith(v);
        op->erase();
      }
    }
    // A division by a value that is the same for every element of an op
    // (Adam's bias corrections, a mean's count) becomes a multiplication by
    // its reciprocal, which LLVM hoists out of the loop: one division per
    // op instead of one per element (~10x cheaper in the loop). Spelled
    // out here rather than left to fast-math flags, so that the numbers do
    // not depend on how a loop is split between threads.
    getOperation().walk([](linalg::GenericOp g) {
      Block &body = g.getRegion().front();
      auto invariant = [&](Value v) {
        if (auto arg = dyn_cast<BlockArgument>(v))
          return arg.getOwner() == &body &&
                 arg.getArgNumber() < g.getNumDpsInputs() &&
                 g.getMatchingIndexingMap(
                      g.getDpsInputOperand(arg.getArgNumber()))
                         .getNumResults() == 0;
        return !g->isAncestor(v.getParentRegion()->getParentOp());
      };
      body.walk([&](arith::DivFOp div) {
        if (!invariant(div.getRhs()))
          return;
        OpBuilder ob(div);
        Value one = arith::ConstantOp::create(
            ob, div.getLoc(), ob.getFloatAttr(div.getType(), 1.0));
        Value r = arith::DivFOp::create(ob, div.getLoc(), one, div.getRhs());
        div.replaceAllUsesWith(
            arith::MulFOp::create(ob, div.getLoc(), div.getLhs(), r)
                .getResult());
        div.erase();
      });
    });
  }
};

} // namespace
