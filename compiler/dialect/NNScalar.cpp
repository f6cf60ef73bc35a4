//===- NNScalar.cpp - Scalar pieces of the element-wise ops ---------------===//
//
// The parts of element-wise ops' scalar bodies that are more than one
// arith/math op (see NNScalar.h).
//
//===----------------------------------------------------------------------===//
#include "dialect/NNScalar.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace nnc::nn {

Value scalarConst(OpBuilder &b, Location l, Type t, double v) {
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, l, t, b.getFloatAttr(t, v));
  return arith::ConstantOp::create(b, l, t, b.getIntegerAttr(t, int64_t(v)));
}

Value scalarSigmoid(OpBuilder &b, Location l, Value x) {
  Value one = scalarConst(b, l, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}

Value scalarCompare(OpBuilder &b, Location l, ComparePredicate pred, Value x,
                    Value y) {
  if (isa<FloatType>(x.getType())) {
    arith::CmpFPredicate p = arith::CmpFPredicate::OGE;
    switch (pred) {
    case ComparePredicate::eq: p = arith::CmpFPredicate::OEQ; break;
    case ComparePredicate::ne: p = arith::CmpFPredicate::UNE; break;
    case ComparePredicate::lt: p = arith::CmpFPredicate::OLT; break;
    case ComparePredicate::le: p = arith::CmpFPredicate::OLE; break;
    case ComparePredicate::gt: p = arith::CmpFPredicate::OGT; break;
    case ComparePredicate::ge: p = arith::CmpFPredicate::OGE; break;
    }
    return arith::CmpFOp::create(b, l, p, x, y);
  }
  arith::CmpIPredicate p = arith::CmpIPredicate::sge;
  switch (pred) {
  case ComparePredicate::eq: p = arith::CmpIPredicate::eq; break;
  case ComparePredicate::ne: p = arith::CmpIPredicate::ne; break;
  case ComparePredicate::lt: p = arith::CmpIPredicate::slt; break;
  case ComparePredicate::le: p = arith::CmpIPredicate::sle; break;
  case ComparePredicate::gt: p = arith::CmpIPredicate::sgt; break;
  case ComparePredicate::ge: p = arith::CmpIPredicate::sge; break;
  }
  return arith::CmpIOp::create(b, l, p, x, y);
}

Value scalarCast(OpBuilder &b, Location l, Value x, Type to) {
  Type from = x.getType();
  bool fromF = isa<FloatType>(from), toF = isa<FloatType>(to);
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    Value zero = scalarConst(b, l, from, 0);
    if (fromF)
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x, zero);
  }
  if (fromF && toF)
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? Value(arith::ExtFOp::create(b, l, to, x))
               : Value(arith::TruncFOp::create(b, l, to, x));
  if (!fromF && toF)
    return from.isInteger(1) ? Value(arith::UIToFPOp::create(b, l, to, x))
                             : Value(arith::SIToFPOp::create(b, l, to, x));
  if (fromF)
    return arith::FPToSIOp::create(b, l, to, x);
  if (from.isInteger(1))
    return arith::ExtUIOp::create(b, l, to, x);
  return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
             ? Value(arith::ExtSIOp::create(b, l, to, x))
             : Value(arith::TruncIOp::create(b, l, to, x));
}

} // namespace nnc::nn
