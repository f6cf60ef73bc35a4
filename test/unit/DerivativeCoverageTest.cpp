//===- DerivativeCoverageTest.cpp - Every nn op has a derivative rule -----===//
//
// Walks every op the nn dialect registers and checks that it implements
// VJPOpInterface, so a new op without a derivative rule fails here rather
// than in a user's train block. The ops whose rules are still to be
// written are listed explicitly: the list must match exactly, so writing a
// rule also means removing the op from it (it is empty today). The
// gradient exchange of data-parallel training is not differentiable by
// design: MLIRGen puts it in train steps, after the gradients.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

TEST(DerivativeCoverage, EveryOpHasARuleOrIsListedAsMissing) {
  const std::set<std::string> missing = {};
  const std::set<std::string> exempt = {"nn.allreduce_start",
                                        "nn.allreduce_wait"};
  mlir::MLIRContext ctx;
  ctx.loadDialect<nnc::nn::NNDialect>();
  std::set<std::string> without;
  unsigned total = 0;
  for (mlir::RegisteredOperationName op : ctx.getRegisteredOperations()) {
    if (op.getDialectNamespace() != "nn")
      continue;
    ++total;
    if (!op.hasInterface<nnc::nn::VJPOpInterface>() &&
        !exempt.count(op.getStringRef().str()))
      without.insert(op.getStringRef().str());
  }
  EXPECT_GE(total, 50u);
  EXPECT_EQ(without, missing);
}

} // namespace
