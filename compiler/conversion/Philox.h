//===- Philox.h - Philox4x32-10 as arith ops (internal) ---------*- C++ -*-===//
//
// Generated code draws random numbers inline, element by element, with the
// same counter-based stream as the runtime (runtime/src/Random.cpp): no
// call, no state, vectorisable.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CONVERSION_PHILOX_H
#define NNC_CONVERSION_PHILOX_H

#include "mlir/IR/Builders.h"

#include <array>

namespace nnc {

/// The four words of Philox4x32-10 for the 128-bit counter (`counter`,
/// `high`: i64 values, high null for 0) and a compile-time 64-bit key.
std::array<mlir::Value, 4> philox4x32(mlir::OpBuilder &b, mlir::Location l,
                                      mlir::Value counter, uint64_t key,
                                      mlir::Value high = nullptr);

/// Element `index` (i64) of the stream (seed, offset): the word the runtime
/// gives element `index` (counter offset + index / 4, word index % 4), and
/// for Box-Muller the pair of words its lane uses.
struct StreamWords {
  mlir::Value word;       ///< word index % 4
  mlir::Value pairFirst;  ///< word 0 or 2 of the lane's pair
  mlir::Value pairSecond; ///< word 1 or 3
  mlir::Value lane;       ///< index % 4 (i64)
};
/// `high` (an i64, or null for 0) fills counter words 2 and 3: a train
/// step's number, so that each step draws other numbers.
StreamWords streamWords(mlir::OpBuilder &b, mlir::Location l, mlir::Value index,
                        uint64_t seed, uint64_t offset,
                        mlir::Value high = nullptr);

/// (w >> 8) * 2^-24 in [0, 1), and ((w >> 8) + 1) * 2^-24 in (0, 1].
mlir::Value unitInterval(mlir::OpBuilder &b, mlir::Location l, mlir::Value w,
                         mlir::Type ft, bool open);

} // namespace nnc

#endif // NNC_CONVERSION_PHILOX_H
