//===- OpKind.h - What a node of the traced graph computes ------*- C++ -*-===//
//
// The kinds of graph nodes: the graph's own structure (inputs, parameters,
// constants, loops, `grad`), then one kind per built-in or operator that
// an nn op implements. The second part is generated from the ops' ODS
// definitions (nnc-tblgen, NNOpKinds.def), so sema cannot trace a node
// that MLIRGen has no way to build. Plain C++: no MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_OPKIND_H
#define NNC_SEMA_OPKIND_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace nnc {

enum class OpKind : uint8_t {
  // Graph structure, built by MLIRGen itself.
  Input,       ///< a model input
  Data,        ///< a data set's field read in a `main` block
  Param,       ///< a trainable parameter
  State,       ///< non-trainable state (batch-norm statistics)
  Hparam,      ///< a scheduled hyper-parameter of a train step
  Const,       ///< a scalar constant (Node::value)
  For,         ///< a `for` loop (Node::bodyArgs / bodyResults)
  LoopIndex,   ///< the i64 index of a loop body
  LoopCarried, ///< a variable a loop body carries
  LoopResult,  ///< the final value of a carried variable
  Scan,        ///< a `scan` over an axis
  ScanSlice,   ///< the slice a scan body sees
  Grad,        ///< `grad(f, w)`
  Arange,      ///< 0, 1, ..., n-1 (a tensor.generate, not an nn op)
// One per built-in or operator of an nn op.
#define NN_OP_KIND(ENUM, NAME) ENUM,
#include "dialect/NNOpKinds.def"
};

/// The `.nn` spelling of a kind ("relu", "add", "param", ...).
const char *opKindName(OpKind k);
/// The kind of an nn op's built-in or operator called `name`.
std::optional<OpKind> opKindOf(llvm::StringRef name);

} // namespace nnc

#endif // NNC_SEMA_OPKIND_H
