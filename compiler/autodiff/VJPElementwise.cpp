//===- VJPElementwise.cpp - Derivative rules of element-wise nn ops -------===//
//
// Vector-Jacobian products of the element-wise ops, written with the
// forward values the op already has (its operands and its result) so no
// extra forward work is needed. Binary ops sum their cotangents back over
// broadcast dimensions. Piecewise ops (relu, abs, maximum, clip) take the
// subgradient PyTorch takes at the kink, except that maximum/minimum give
// the whole gradient to the left operand on a tie.
//
//===----------------------------------------------------------------------===//
#include "autodiff/VJPBuilder.h"

#include <cmath>

using namespace mlir;

namespace nnc::nn {
namespace {

bool isFloat(Value v) {
  return isa<FloatType>(cast<ShapedType>(v.getType()).getElementType());
}

/// A unary rule: `dx = f(g, x, y)`.
template <typename OpTy, typename Fn>
LogicalResult unaryRule(OpTy op, OpBuilder &b, ValueRange grads,
                        SmallVectorImpl<Value> &out, Fn &&fn) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  GradBuilder gb(b, op.getLoc());
  out[0] = fn(gb, grads[0], op.getInput(), op.getResult());
  return success();
}

/// A binary rule: `(da, db) = f(g, a, b, y)`, then unbroadcast. Integer
/// operands get no gradient.
template <typename OpTy, typename Fn>
LogicalResult binaryRule(OpTy op, OpBuilder &b, ValueRange grads,
                         SmallVectorImpl<Value> &out, Fn &&fn) {
  out.assign(2, Value());
  if (!grads[0] || !isFloat(op.getResult()))
    return success();
  GradBuilder gb(b, op.getLoc());
  auto [da, db] = fn(gb, grads[0], op.getLhs(), op.getRhs(), op.getResult());
  if (da && isFloat(op.getLhs()))
    out[0] = gb.unbroadcast(da, op.getLhs().getType());
  if (db && isFloat(op.getRhs()))
    out[1] = gb.unbroadcast(db, op.getRhs().getType());
  return success();
}

using Pair = std::pair<Value, Value>;

} // namespace

#define UNARY_RULE(OP, ...)                                                    \
  LogicalResult OP::vjp(OpBuilder &b, ValueRange grads,                        \
                        SmallVectorImpl<Value> &out) {                         \
    return unaryRule(                                                          \
        *this, b, grads, out,                                                  \
        [&](GradBuilder &gb, Value g, Value x, Value y) -> Value {             \
          (void)x;                                                             \
          (void)y;                                                             \
          __VA_ARGS__                                                          \
        });                                                                    \
  }

UNARY_RULE(ReluOp, {
  // From the result (y > 0 exactly where x > 0): then the input need not
  // be kept, and a layer's bias and ReLU can fuse into its kernel.
  return gb.select(gb.compare(ComparePredicate::gt, y, gb.scalar(y, 0)), g, gb.scalar(y, 0));
})
UNARY_RULE(SigmoidOp,
           { return gb.mul(g, gb.mul(y, gb.sub(gb.scalar(y, 1), y))); })
UNARY_RULE(TanhOp, { return gb.mul(g, gb.sub(gb.scalar(y, 1), gb.mul(y, y))); })
UNARY_RULE(GeluOp, {
  // Phi(x) + x phi(x), Phi the normal CDF and phi its density.
  Value cdf = gb.mul(gb.add(gb.unary<ErfOp>(gb.mul(x, gb.scalar(x, M_SQRT1_2))),
                            gb.scalar(x, 1)),
                     gb.scalar(x, 0.5));
  Value pdf = gb.mul(gb.unary<ExpOp>(gb.mul(gb.mul(x, x), gb.scalar(x, -0.5))),
                     gb.scalar(x, 0.5 * M_2_SQRTPI * M_SQRT1_2));
  return gb.mul(g, gb.add(cdf, gb.mul(x, pdf)));
})
UNARY_RULE(ErfOp, {
  // 2 / sqrt(pi) * exp(-x^2).
  Value e = gb.unary<ExpOp>(gb.unary<NegOp>(gb.mul(x, x)));
  return gb.mul(g, gb.mul(e, gb.scalar(x, M_2_SQRTPI)));
})
UNARY_RULE(SoftplusOp, { return gb.mul(g, gb.unary<SigmoidOp>(x)); })
UNARY_RULE(ExpOp, { return gb.mul(g, y); })
UNARY_RULE(LogOp, { return gb.div(g, x); })
UNARY_RULE(SqrtOp, { return gb.div(gb.mul(g, gb.scalar(y, 0.5)), y); })
UNARY_RULE(RsqrtOp, {
  return gb.mul(gb.mul(g, gb.scalar(y, -0.5)), gb.mul(y, gb.mul(y, y)));
})
UNARY_RULE(AbsOp, { return gb.mul(g, gb.unary<SignOp>(x)); })
UNARY_RULE(NegOp, { return gb.unary<NegOp>(g); })
UNARY_RULE(SinOp, { return gb.mul(g, gb.unary<CosOp>(x)); })
UNARY_RULE(CosOp, { return gb.unary<NegOp>(gb.mul(g, gb.unary<SinOp>(x))); })
UNARY_RULE(SiluOp, {
  Value s = gb.unary<SigmoidOp>(x);
  Value ds = gb.mul(x, gb.mul(s, gb.sub(gb.scalar(x, 1), s)));
  return gb.mul(g, gb.add(s, ds));
})
UNARY_RULE(SquareOp, { return gb.mul(g, gb.mul(x, gb.scalar(x, 2))); })
UNARY_RULE(FloorOp, { return Value(); }) // zero almost everywhere
UNARY_RULE(SignOp, { return Value(); })
UNARY_RULE(Log1pOp, { return gb.div(g, gb.add(x, gb.scalar(x, 1))); })
UNARY_RULE(EluOp, {
  return gb.select(gb.compare(ComparePredicate::gt, x, gb.scalar(x, 0)), g,
                   gb.mul(g, gb.add(y, gb.scalar(y, 1))));
})
#undef UNARY_RULE

LogicalResult LeakyReluOp::vjp(OpBuilder &b, ValueRange grads,
                               SmallVectorImpl<Value> &out) {
  double slope = getSlope().convertToDouble();
  return unaryRule(*this, b, grads, out,
                   [&](GradBuilder &gb, Value g, Value x, Value) -> Value {
                     return gb.select(gb.compare(ComparePredicate::gt, x, gb.scalar(x, 0)), g,
                                      gb.mul(g, gb.scalar(x, slope)));
                   });
}

LogicalResult ClipOp::vjp(OpBuilder &b, ValueRange grads,
                          SmallVectorImpl<Value> &out) {
  double lo = getLow().convertToDouble(), hi = getHigh().convertToDouble();
  return unaryRule(
      *this, b, grads, out,
      [&](GradBuilder &gb, Value g, Value x, Value) -> Value {
        Value zero = gb.scalar(x, 0);
        Value in = gb.select(gb.compare(ComparePredicate::gt, x, gb.scalar(x, hi)), zero, g);
        return gb.select(gb.compare(ComparePredicate::lt, x, gb.scalar(x, lo)), zero, in);
      });
}

#define BINARY_RULE(OP, ...)                                                   \
  LogicalResult OP::vjp(OpBuilder &b, ValueRange grads,                        \
                        SmallVectorImpl<Value> &out) {                         \
    return binaryRule(                                                         \
        *this, b, grads, out,                                                  \
        [&](GradBuilder &gb, Value g, Value x, Value z, Value y) -> Pair {     \
          (void)y;                                                             \
          __VA_ARGS__                                                          \
        });                                                                    \
  }

BINARY_RULE(AddOp, { return {g, g}; })
BINARY_RULE(SubOp, { return {g, gb.unary<NegOp>(g)}; })
BINARY_RULE(MulOp, { return {gb.mul(g, z), gb.mul(g, x)}; })
BINARY_RULE(DivOp, {
  return {gb.div(g, z), gb.unary<NegOp>(gb.div(gb.mul(g, y), z))};
})
BINARY_RULE(MaximumOp, {
  Value left = gb.compare(ComparePredicate::ge, x, z), zero = gb.scalar(y, 0);
  return {gb.select(left, g, zero), gb.select(left, zero, g)};
})
BINARY_RULE(MinimumOp, {
  Value left = gb.compare(ComparePredicate::le, x, z), zero = gb.scalar(y, 0);
  return {gb.select(left, g, zero), gb.select(left, zero, g)};
})
BINARY_RULE(PowOp, {
  // d/dx x^z = z x^(z-1); d/dz x^z = x^z log x.
  Value zm1 = gb.sub(z, gb.scalar(y, 1));
  Value pw = PowOp::create(gb.b, gb.loc, y.getType(), x, zm1);
  Value dz = isFloat(z) ? gb.mul(g, gb.mul(y, gb.unary<LogOp>(x))) : Value();
  return {gb.mul(g, gb.mul(z, pw)), dz};
})
BINARY_RULE(RemOp, {
  // y = x - trunc(x / z) * z: dy/dx = 1, dy/dz = -trunc(x / z) = (y - x) / z.
  return {g, gb.div(gb.mul(g, gb.sub(y, x)), z)};
})
#undef BINARY_RULE

/// Ops through which no gradient flows: integer or boolean results, values
/// that do not depend on their operands (constants, fills, random draws),
/// and `stop_gradient` by definition.
#define NO_GRADIENT(OP)                                                        \
  LogicalResult OP::vjp(OpBuilder &, ValueRange,                               \
                        SmallVectorImpl<Value> &out) {                         \
    out.assign((*this)->getNumOperands(), Value());                            \
    return success();                                                          \
  }
NO_GRADIENT(CompareOp)
NO_GRADIENT(AndOp)
NO_GRADIENT(OrOp)
NO_GRADIENT(ConstantOp)
NO_GRADIENT(OneHotOp)
NO_GRADIENT(StopGradientOp)
NO_GRADIENT(RandomOp)
NO_GRADIENT(FillOp)
NO_GRADIENT(BernoulliOp)
#undef NO_GRADIENT

LogicalResult SelectOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(3, Value());
  if (!grads[0] || !isFloat(getResult()))
    return success();
  GradBuilder gb(b, getLoc());
  Value zero = gb.scalar(getResult(), 0);
  out[1] =
      gb.unbroadcast(gb.select(getCond(), grads[0], zero), getLhs().getType());
  out[2] =
      gb.unbroadcast(gb.select(getCond(), zero, grads[0]), getRhs().getType());
  return success();
}

LogicalResult CastOp::vjp(OpBuilder &b, ValueRange grads,
                          SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (grads[0] && isFloat(getInput()) && isFloat(getResult()))
    out[0] = CastOp::create(b, getLoc(), getInput().getType(), grads[0]);
  return success();
}

LogicalResult DropoutOp::vjp(OpBuilder &b, ValueRange grads,
                             SmallVectorImpl<Value> &out) {
  out.assign(getNumOperands(), Value());
  if (!grads[0])
    return success();
  // Dropout is linear with a mask regenerated from the same Philox seed
  // and stream, so its transpose is the same dropout of the cotangent.
  out[0] = DropoutOp::create(b, getLoc(), getType(), grads[0], getStream(),
                             getRateAttr(), getSeedAttr(), getTrainingAttr());
  return success();
}

} // namespace nnc::nn
