//===- NNDialect.cpp - The nn dialect -------------------------------------===//
#include "dialect/NNDialect.h"

using namespace mlir;
using namespace nnc::nn;

#include "dialect/NNDialect.cpp.inc"
#include "dialect/NNInterfaces.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
      >();
}
