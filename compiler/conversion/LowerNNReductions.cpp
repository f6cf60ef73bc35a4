//===- LowerNNReductions.cpp - Reductions and normalisation ---------------===//
//
// Reductions as linalg.generic with reduction iterators (arg-reductions
// with a value and an index accumulator), stable softmax and logsumexp,
// one-hot, and layer/batch normalisation from their moments, with batch
// norm's two-sum backward.
//
//===----------------------------------------------------------------------===//
#include "conversion/Lowering.h"
#include "conversion/Passes.h"
#include "dialect/NNAttrNames.h"

#include <cmath>

using namespace mlir;
using namespace nnc::lowering;
namespace nn = nnc::nn;

SmallVector<Value> Lowering::reduceLoop(Location l, Value x,
                                        ArrayRef<int64_t> axes,
                                        ValueRange operands,
                                        ValueRange initValues,
                                        const StepFn &step) {
  auto in = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = in.getRank();
  SmallVector<int64_t> shape, kept;
  SmallVector<AffineExpr> keptE;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool red = llvm::is_contained(axes, d);
    iters.push_back(red ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
    if (!red) {
      shape.push_back(in.getDimSize(d));
      kept.push_back(d);
      keptE.push_back(getAffineDimExpr(d, ctx));
    }
  }
  auto rt = RankedTensorType::get(shape, in.getElementType());
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx),
            reduced = AffineMap::get(rank, 0, keptE, ctx);
  SmallVector<Value> inits;
  for (Value v : initValues)
    inits.push_back(
        linalg::FillOp::create(
            b, l, v,
            emptyTensor(b, l, rt,
                        [&](int64_t d) { return dimOf(b, l, x, kept[d]); }))
            .getResult(0));
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(cast<RankedTensorType>(v.getType()).getRank() == rank
                       ? identity
                       : reduced);
  maps.append(inits.size(), reduced);
  auto g = linalg::GenericOp::create(
      b, l, TypeRange(ValueRange(inits)), operands, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                step(nb, nl, args.take_front(operands.size()),
                                     args.drop_front(operands.size())));
      });
  return SmallVector<Value>(g->getResults());
}

SmallVector<Value> Lowering::sumsAlong(Location l, Value x,
                                       ArrayRef<int64_t> axes,
                                       ValueRange operands, unsigned sums,
                                       const TermsFn &terms) {
  Value zero = floatConst(
      b, l, cast<RankedTensorType>(x.getType()).getElementType(), 0.0);
  return reduceLoop(
      l, x, axes, operands, SmallVector<Value>(sums, zero),
      [&](OpBuilder &nb, Location nl, ValueRange elems, ValueRange accs) {
        SmallVector<Value> add = terms(nb, nl, elems), next;
        for (unsigned i = 0; i < sums; ++i)
          next.push_back(arith::AddFOp::create(nb, nl, accs[i], add[i]));
        return next;
      });
}

Value Lowering::keepDims(Location l, Value r, Value x, ArrayRef<int64_t> axes) {
  auto in = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> keptShape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    keptShape.push_back(llvm::is_contained(axes, d) ? 1 : in.getDimSize(d));
  auto kt = RankedTensorType::get(keptShape, in.getElementType());
  return nn::ReshapeOp::create(b, l, kt, r); // lowered by the caller's loop
}

Value Lowering::reduceAlong(
    Location l, Value x, ArrayRef<int64_t> axes, bool keepdims, Value initValue,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &combine) {
  Value r = reduceLoop(
      l, x, axes, {x}, {initValue},
      [&](OpBuilder &nb, Location nl, ValueRange elems, ValueRange accs) {
        return SmallVector<Value>{combine(nb, nl, accs[0], elems[0])};
      })[0];
  return keepdims ? keepDims(l, r, x, axes) : r;
}

Value Lowering::reduce(nn::ReduceOp op) {
  Location l = op.getLoc();
  auto in = cast<RankedTensorType>(op.getInput().getType());
  Type et = in.getElementType();
  nn::ReduceKind kind = op.getKind();
  if (!isa<FloatType>(et)) {
    op.emitError("lowering of reduction '")
        << nn::stringifyReduceKind(kind) << "' on " << in << " is not implemented";
    return {};
  }
  if (kind == nn::ReduceKind::argmax || kind == nn::ReduceKind::argmin)
    return argReduce(op);
  auto ft = cast<FloatType>(et);
  if (kind == nn::ReduceKind::logsumexp) {
    // log(sum(exp(x - max))) + max, stable for large inputs.
    auto maxOf = [](OpBuilder &nb, Location nl, Value a, Value v) {
      return Value(arith::MaximumFOp::create(nb, nl, a, v));
    };
    Value mKeep = reduceAlong(l, op.getInput(), op.getAxes(), true,
                              floatConst(b, l, ft, -INFINITY), maxOf);
    Value e =
        elementwise(b, l, in, {op.getInput(), mKeep},
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
  double init = kind == nn::ReduceKind::max    ? -INFINITY
                : kind == nn::ReduceKind::min  ? INFINITY
                : kind == nn::ReduceKind::prod ? 1.0
                                 : 0.0;
  Value r =
      reduceAlong(l, op.getInput(), op.getAxes(), op.getKeepdims(),
                  floatConst(b, l, ft, init),
                  [&](OpBuilder &nb, Location nl, Value acc, Value x) -> Value {
                    if (kind == nn::ReduceKind::max)
                      return arith::MaximumFOp::create(nb, nl, acc, x);
                    if (kind == nn::ReduceKind::min)
                      return arith::MinimumFOp::create(nb, nl, acc, x);
                    if (kind == nn::ReduceKind::prod)
                      return arith::MulFOp::create(nb, nl, acc, x);
                    return arith::AddFOp::create(nb, nl, acc, x);
                  });
  if (kind != nn::ReduceKind::mean)
    return r;
  // Divide by the number of reduced elements (dynamic ones read at run time).
  Value count = arith::ConstantIndexOp::create(b, l, 1);
  for (int64_t a : op.getAxes())
    count = arith::MulIOp::create(b, l, count, dimOf(b, l, op.getInput(), a));
  Value countF = arith::UIToFPOp::create(
      b, l, ft, arith::IndexCastOp::create(b, l, b.getI64Type(), count));
  auto rt = cast<RankedTensorType>(r.getType());
  return elementwise(
      b, l, rt, {r}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return Value(arith::DivFOp::create(nb, nl, a[0], countF));
      });
}

Value Lowering::argReduce(nn::ReduceOp op) {
  // One generic with two accumulators: the best value so far and its
  // index; the first occurrence wins ties, like PyTorch.
  Location l = op.getLoc();
  if (op.getAxes().size() != 1) {
    op.emitError("lowering of ")
        << nn::stringifyReduceKind(op.getKind()) << " over several axes is not implemented";
    return {};
  }
  Value x = op.getInput();
  auto in = cast<RankedTensorType>(x.getType());
  int64_t axis = op.getAxes()[0];
  bool isMax = op.getKind() == nn::ReduceKind::argmax;
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
  auto dyn = [&](int64_t d) { return dimOf(b, l, x, d < axis ? d : d + 1); };
  Value vals = linalg::FillOp::create(b, l,
                                      floatConst(b, l, in.getElementType(),
                                                 isMax ? -INFINITY : INFINITY),
                                      emptyTensor(b, l, vt, dyn))
                   .getResult(0);
  Value zeroIdx = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
  Value idxs = linalg::FillOp::create(b, l, zeroIdx, emptyTensor(b, l, it, dyn))
                   .getResult(0);
  AffineMap outMap = AffineMap::get(in.getRank(), 0, outE, ctx);
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(in.getRank(), ctx), outMap, outMap};
  auto g = linalg::GenericOp::create(
      b, l, TypeRange{vt, it}, ValueRange{x}, ValueRange{vals, idxs}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value i = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
        Value better = arith::CmpFOp::create(nb, nl,
                                             isMax ? arith::CmpFPredicate::OGT
                                                   : arith::CmpFPredicate::OLT,
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
  return nn::ReshapeOp::create(b, l,
                               RankedTensorType::get(kept, b.getI64Type()), r);
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
      sizes.push_back(d == axis           ? b.getIndexAttr(1)
                      : t.isDynamicDim(d) ? OpFoldResult(dimOf(b, l, x, d))
                                          : b.getIndexAttr(t.getDimSize(d)));
    return Value(tensor::ExpandShapeOp::create(b, l, kt, v, g, sizes));
  };
  Value mx =
      reduceAlong(l, x, {axis}, false, floatConst(b, l, et, -INFINITY),
                  [](OpBuilder &nb, Location nl, Value a, Value v) {
                    return Value(arith::MaximumFOp::create(nb, nl, a, v));
                  });
  Value shifted = elementwise(
      b, l, t, {x, keep(mx)}, [](OpBuilder &nb, Location nl, ValueRange a) {
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
  Value init = emptyTensor(
      b, l, rt, [&](int64_t d) { return dimOf(b, l, op.getInput(), d); });
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
               Value cls =
                   arith::IndexCastOp::create(nb, nl, args[0].getType(), idx);
               Value eq = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::eq, args[0], cls);
               linalg::YieldOp::create(
                   nb, nl,
                   Value(arith::SelectOp::create(nb, nl, eq,
                                                 floatConst(nb, nl, et, 1.0),
                                                 floatConst(nb, nl, et, 0.0))));
             })
      .getResult(0);
}

Value Lowering::countOf(Location l, Value x, ArrayRef<int64_t> axes) {
  Type et = cast<RankedTensorType>(x.getType()).getElementType();
  Value count = arith::ConstantIndexOp::create(b, l, 1);
  for (int64_t a : axes)
    count = arith::MulIOp::create(b, l, count, dimOf(b, l, x, a));
  return arith::UIToFPOp::create(
      b, l, et, arith::IndexCastOp::create(b, l, b.getI64Type(), count));
}

std::pair<Value, Value>
Lowering::moments(Location l, Value x, ArrayRef<int64_t> axes, bool keepdims) {
  // Two passes over x: its sum, then the sums of d = x - mean and of d^2
  // (the corrected two-pass algorithm: var = (sum d^2 - (sum d)^2 / n) / n).
  // One pass with a shift (the sums of x - x[0] and their squares) was
  // measured: a channel whose first element lies far from the others'
  // mean loses digits to cancellation, enough to move the gradients of a
  // batch-normalised CNN by 1e-3.
  Value n = countOf(l, x, axes);
  Value sum =
      sumsAlong(l, x, axes, {x}, 1, [](OpBuilder &, Location, ValueRange a) {
        return SmallVector<Value>{a[0]};
      })[0];
  auto rt = cast<RankedTensorType>(sum.getType());
  Value mean = elementwise(
      b, l, rt, {sum}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return Value(arith::DivFOp::create(nb, nl, a[0], n));
      });
  SmallVector<Value> sums = sumsAlong(
      l, x, axes, {x, mean}, 2, [](OpBuilder &nb, Location nl, ValueRange a) {
        Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
        return SmallVector<Value>{d, arith::MulFOp::create(nb, nl, d, d)};
      });
  Value var =
      elementwise(b, l, rt, {sums[0], sums[1]},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value c = arith::DivFOp::create(
                        nb, nl, arith::MulFOp::create(nb, nl, a[0], a[0]), n);
                    return Value(arith::DivFOp::create(
                        nb, nl, arith::SubFOp::create(nb, nl, a[1], c), n));
                  });
  if (!keepdims)
    return {mean, var};
  return {keepDims(l, mean, x, axes), keepDims(l, var, x, axes)};
}

/// Describes the loop that computes `v` for --remarks.
static void note(Value v, llvm::StringRef what) {
  Operation *loop = v.getDefiningOp();
  loop->setAttr(nnc::attr::kFusionNote,
                StringAttr::get(loop->getContext(), what));
}

SmallVector<Value> Lowering::channelMoments(nn::ChannelMomentsOp op) {
  auto [mean, var] =
      moments(op.getLoc(), op.getInput(),
              nn::ChannelMomentsOp::axesOf(op.getInput()), false);
  // The loop of both corrected sums feeds the variance.
  Operation *finish = var.getDefiningOp();
  note(finish->getOperand(0), "batch-norm statistics taken once per step for "
                              "the forward, the backward and the running "
                              "statistics: two passes over the input (its "
                              "sum, then both corrected sums of x - mean in "
                              "one loop)");
  return {mean, var};
}

SmallVector<Value> Lowering::batchNormGrad(nn::BatchNormGradOp op) {
  Location l = op.getLoc();
  Value x = op.getInput(), g = op.getGrad();
  SmallVector<int64_t> axes = nn::ChannelMomentsOp::axesOf(x);
  auto ct = cast<RankedTensorType>(op.getGamma().getType());
  double eps = op.getEps().convertToDouble();
  Value rstd = elementwise(
      b, l, ct, {op.getVar()}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return Value(math::RsqrtOp::create(
            nb, nl,
            arith::AddFOp::create(nb, nl, a[0],
                                  floatConst(nb, nl, a[0].getType(), eps))));
      });
  Value mean = op.getMean();
  auto xhat = [](OpBuilder &nb, Location nl, Value x, Value m, Value r) {
    return Value(
        arith::MulFOp::create(nb, nl, arith::SubFOp::create(nb, nl, x, m), r));
  };
  // dbeta = sum(g), dgamma = sum(g x^): one loop.
  SmallVector<Value> sums =
      sumsAlong(l, x, axes, {g, x, mean, rstd}, 2,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value xh = xhat(nb, nl, a[1], a[2], a[3]);
                  return SmallVector<Value>{
                      a[0], arith::MulFOp::create(nb, nl, a[0], xh)};
                });
  note(sums[0], "batch-norm backward: the gradients of beta and gamma (both "
                "sums) in one loop, the input's gradient in one more, on the "
                "statistics the forward took");
  Value n = countOf(l, x, axes);
  Value dx = elementwise(
      b, l, cast<RankedTensorType>(x.getType()),
      {g, x, mean, rstd, op.getGamma(), sums[0], sums[1]},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value xh = xhat(nb, nl, a[1], a[2], a[3]);
        Value shared = arith::DivFOp::create(
            nb, nl,
            arith::AddFOp::create(nb, nl, a[5],
                                  arith::MulFOp::create(nb, nl, xh, a[6])),
            n);
        Value scale = arith::MulFOp::create(nb, nl, a[4], a[3]);
        return Value(arith::MulFOp::create(
            nb, nl, scale, arith::SubFOp::create(nb, nl, a[0], shared)));
      });
  return {dx, sums[1], sums[0]};
}

/// (x - mean) * rsqrt(var + eps) * gamma + beta, broadcasting.
static Value normalize(OpBuilder &b, Location l, RankedTensorType t, Value x,
                       Value mean, Value var, Value gamma, Value beta,
                       double eps) {
  return elementwise(
      b, l, t, {x, mean, var, gamma, beta},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Type et = a[0].getType();
        Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
        Value s = math::RsqrtOp::create(
            nb, nl,
            arith::AddFOp::create(nb, nl, a[2], floatConst(nb, nl, et, eps)));
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
  auto [mean, var] = moments(l, op.getInput(), axes, true);
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
  // Normally expanded before lowering (nn-expand-batch-norm).
  auto [mean, var] = moments(
      l, op.getInput(), nn::ChannelMomentsOp::axesOf(op.getInput()), false);
  return normalize(b, l, t, op.getInput(), mean, var, op.getGamma(),
                   op.getBeta(), eps);
}
