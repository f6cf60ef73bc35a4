//===- Philox.cpp - Philox4x32-10 as arith ops ----------------------------===//
//
// Mirrors nnc_philox4x32_10 in the runtime: ten rounds of two 32x32->64
// multiplies and xors, the key bumped by the Weyl constants between
// rounds. The key is a compile-time constant, so its schedule folds.
//
//===----------------------------------------------------------------------===//
#include "conversion/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace {
Value i32c(OpBuilder &b, Location l, uint32_t v) {
  return arith::ConstantOp::create(
      b, l, b.getI32IntegerAttr(static_cast<int32_t>(v)));
}
Value i64c(OpBuilder &b, Location l, uint64_t v) {
  return arith::ConstantOp::create(
      b, l, b.getI64IntegerAttr(static_cast<int64_t>(v)));
}
} // namespace

std::array<Value, 4> nnc::philox4x32(OpBuilder &b, Location l, Value counter,
                                     uint64_t key, Value high) {
  Type i32 = b.getI32Type();
  Value c0 = arith::TruncIOp::create(b, l, i32, counter);
  Value c1 = arith::TruncIOp::create(
      b, l, i32, arith::ShRUIOp::create(b, l, counter, i64c(b, l, 32)));
  Value c2 = i32c(b, l, 0), c3 = i32c(b, l, 0);
  if (high) {
    c2 = arith::TruncIOp::create(b, l, i32, high);
    c3 = arith::TruncIOp::create(
        b, l, i32, arith::ShRUIOp::create(b, l, high, i64c(b, l, 32)));
  }
  uint32_t k0 = static_cast<uint32_t>(key),
           k1 = static_cast<uint32_t>(key >> 32);
  Value m0 = i32c(b, l, 0xD2511F53u), m1 = i32c(b, l, 0xCD9E8D57u);
  for (int round = 0; round < 10; ++round) {
    if (round) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    auto p0 = arith::MulUIExtendedOp::create(b, l, m0, c0);
    auto p1 = arith::MulUIExtendedOp::create(b, l, m1, c2);
    Value n0 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, p1.getHigh(), c1), i32c(b, l, k0));
    Value n2 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, p0.getHigh(), c3), i32c(b, l, k1));
    c0 = n0;
    c1 = p1.getLow();
    c2 = n2;
    c3 = p0.getLow();
  }
  return {c0, c1, c2, c3};
}

nnc::StreamWords nnc::streamWords(OpBuilder &b, Location l, Value index,
                                  uint64_t seed, uint64_t offset, Value high) {
  Value four = i64c(b, l, 4);
  Value counter = arith::AddIOp::create(
      b, l, i64c(b, l, offset), arith::DivUIOp::create(b, l, index, four));
  Value lane = arith::RemUIOp::create(b, l, index, four);
  auto w = philox4x32(b, l, counter, seed, high);
  auto is = [&](uint64_t k) {
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, lane,
                                 i64c(b, l, k));
  };
  Value word = arith::SelectOp::create(
      b, l, is(0), w[0],
      arith::SelectOp::create(
          b, l, is(1), w[1], arith::SelectOp::create(b, l, is(2), w[2], w[3])));
  Value firstPair = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, lane,
                                          i64c(b, l, 2));
  return {word, arith::SelectOp::create(b, l, firstPair, w[0], w[2]),
          arith::SelectOp::create(b, l, firstPair, w[1], w[3]), lane};
}

Value nnc::unitInterval(OpBuilder &b, Location l, Value w, Type ft, bool open) {
  Value top = arith::ShRUIOp::create(b, l, w, i32c(b, l, 8));
  if (open)
    top = arith::AddIOp::create(b, l, top, i32c(b, l, 1));
  Value f = arith::UIToFPOp::create(b, l, ft, top);
  return arith::MulFOp::create(
      b, l, f,
      arith::ConstantOp::create(b, l, b.getFloatAttr(ft, 1.0 / 16777216.0)));
}
