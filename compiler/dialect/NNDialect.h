//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
//
// Include this (it pulls in MLIR's IR headers) only from .cpp files of the
// dialect, MLIRGen and passes, never from front-end headers.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNDIALECT_H
#define NNC_DIALECT_NNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/NNDialect.h.inc"
#include "dialect/NNEnums.h.inc"
#include "dialect/NNInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialect/NNOps.h.inc"

#endif // NNC_DIALECT_NNDIALECT_H
