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
#include "conversion/Lowering.h"
#include "conversion/Passes.h"
#include "dialect/NNAttrNames.h"

#include "dialect/NNScalar.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"


#include <cmath>

namespace nnc {
#define GEN_PASS_DEF_NNLOWERTOLINALG
#include "conversion/Passes.h.inc"
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

Value Lowering::elementwiseOp(nn::ElementwiseOpInterface op) {
  assert(op->getNumResults() == 1 && "element-wise ops have one result");
  return elementwise(b, op->getLoc(),
                     cast<RankedTensorType>(op->getResult(0).getType()),
                     op->getOperands(),
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return op.scalar(nb, nl, a);
                     });
}

Value Lowering::constant(nn::ConstantOp op) {
  return arith::ConstantOp::create(b, op.getLoc(),
                                   cast<TypedAttr>(op.getValue()));
}

Value Lowering::transpose(nn::TransposeOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Value init = emptyTensor(b, l, rt, [&](int64_t d) {
    return dimOf(b, l, op.getInput(), op.getPerm()[d]);
  });
  return linalg::TransposeOp::create(b, l, op.getInput(), init, op.getPerm())
      .getResult()[0];
}

Value Lowering::fill(nn::FillOp op) {
  Location l = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  Value init = tensor::EmptyOp::create(b, l, rt.getShape(),
                                       rt.getElementType(),
                                       op.getDynamicSizes());
  Value c = nn::scalarConst(b, l, rt.getElementType(),
                            op.getValue().convertToDouble());
  return linalg::FillOp::create(b, l, c, init).getResult(0);
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
  // A scalar and a tensor of ones ([] <-> [1, 1, 1]): no groups at all.
  if (small.empty()) {
    if (llvm::all_of(big, [](int64_t d) { return d == 1; }))
      return out;
    return std::nullopt;
  }
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

/// The rule of each op that is not element-wise (those share
/// Lowering::elementwiseOp). An nn op without a rule here does not compile:
/// the pattern list below holds every op of the dialect.
Value rule(Lowering &lw, nn::ConstantOp op) { return lw.constant(op); }
Value rule(Lowering &lw, nn::MatmulOp op) { return lw.matmul(op); }
Value rule(Lowering &lw, nn::ReshapeOp op) { return lw.reshape(op); }
Value rule(Lowering &lw, nn::TransposeOp op) { return lw.transpose(op); }
Value rule(Lowering &lw, nn::SliceOp op) { return lw.slice(op); }
Value rule(Lowering &lw, nn::ConcatOp op) { return lw.concat(op); }
Value rule(Lowering &lw, nn::ReduceOp op) { return lw.reduce(op); }
Value rule(Lowering &lw, nn::SoftmaxOp op) { return lw.softmax(op); }
Value rule(Lowering &lw, nn::OneHotOp op) { return lw.oneHot(op); }
Value rule(Lowering &lw, nn::Conv2DOp op) { return lw.conv(op); }
Value rule(Lowering &lw, nn::Conv2DFilterGradOp op) {
  return lw.convFilterGrad(op);
}
Value rule(Lowering &lw, nn::ConvTranspose2DOp op) {
  return lw.convTranspose(op);
}
Value rule(Lowering &lw, nn::Pool2DOp op) { return lw.pool(op); }
Value rule(Lowering &lw, nn::Pool2DGradOp op) { return lw.poolGrad(op); }
Value rule(Lowering &lw, nn::Pool2DTakeOp op) { return lw.poolTake(op); }
Value rule(Lowering &, nn::StopGradientOp op) { return op.getInput(); }
Value rule(Lowering &lw, nn::GatherOp op) { return lw.gather(op); }
Value rule(Lowering &lw, nn::LayerNormOp op) { return lw.layerNorm(op); }
Value rule(Lowering &lw, nn::BatchNormOp op) { return lw.batchNorm(op); }
SmallVector<Value> rule(Lowering &lw, nn::ChannelMomentsOp op) {
  return lw.channelMoments(op);
}
SmallVector<Value> rule(Lowering &lw, nn::BatchNormGradOp op) {
  return lw.batchNormGrad(op);
}
Value rule(Lowering &lw, nn::DropoutOp op) {
  return op.getTraining() ? lw.dropout(op) : op.getInput(); // eval: identity
}
Value rule(Lowering &lw, nn::UpsampleOp op) { return lw.upsample(op); }
Value rule(Lowering &lw, nn::RandomOp op) { return lw.random(op); }
Value rule(Lowering &lw, nn::FillOp op) { return lw.fill(op); }
Value rule(Lowering &lw, nn::BernoulliOp op) { return lw.bernoulli(op); }

SmallVector<Value> asResults(Value v) { return {v}; }
SmallVector<Value> asResults(SmallVector<Value> v) { return v; }

/// Lowers one nn op by its rule. The rule reads the op's operands, so they
/// are first switched to their converted values (a product recognises a
/// transpose that is already linalg's, as when ops were replaced one by
/// one). A rule that fails has reported why.
template <typename OpTy>
struct LowerNNOp : OpConversionPattern<OpTy> {
  LowerNNOp(MLIRContext *ctx, bool &ruleFailed)
      : OpConversionPattern<OpTy>(ctx), ruleFailed(ruleFailed) {}
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    rw.modifyOpInPlace(op, [&] { op->setOperands(adaptor.getOperands()); });
    Lowering lw(rw);
    SmallVector<Value> v;
    if constexpr (OpTy::template hasTrait<
                      nn::ElementwiseOpInterface::Trait>())
      v = {lw.elementwiseOp(op)};
    else
      v = asResults(rule(lw, op));
    if (v.empty() || llvm::is_contained(v, Value())) {
      ruleFailed = true;
      return failure();
    }
    assert(v.size() == op->getNumResults() && "one value per result");
    rw.replaceOp(op, v);
    return success();
  }
  bool &ruleFailed;
};

/// The gradient exchange is not lowered here (NNCollectives.cpp).
template <typename OpTy>
void addLoweringPattern(RewritePatternSet &patterns, bool &ruleFailed) {
  if constexpr (!std::is_same_v<OpTy, nn::AllreduceStartOp> &&
                !std::is_same_v<OpTy, nn::AllreduceWaitOp>)
    patterns.add<LowerNNOp<OpTy>>(patterns.getContext(), ruleFailed);
}

template <typename... Ops>
void addLoweringPatterns(RewritePatternSet &patterns, bool &ruleFailed) {
  (addLoweringPattern<Ops>(patterns, ruleFailed), ...);
}

/// Every nn op is illegal after this pass; one conversion pattern per op.
struct NNLowerToLinalgPass
    : nnc::impl::NNLowerToLinalgBase<NNLowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    bool ruleFailed = false;
    RewritePatternSet patterns(ctx);
    addLoweringPatterns<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
        >(patterns, ruleFailed);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nn::NNDialect>();
    // The gradient exchange stays until bufferization (NNCollectives.cpp).
    target.addLegalOp<nn::AllreduceStartOp, nn::AllreduceWaitOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // A rule that fails has said why; the driver's "failed to legalize"
    // would only repeat it in MLIR's words.
    ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &d) {
      return success(ruleFailed && d.getSeverity() == DiagnosticSeverity::Error &&
                     StringRef(d.str()).starts_with("failed to legalize"));
    });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
