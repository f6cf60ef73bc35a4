//===- DiagnosticsTest.cpp - Unit tests of the diagnostics engine ---------===//
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace nnc;

TEST(Diagnostics, ClosestMatchFindsTypos) {
  std::vector<llvm::StringRef> names = {"dense", "conv2d", "relu", "flatten"};
  EXPECT_EQ(closestMatch("desne", names), "dense");
  EXPECT_EQ(closestMatch("flaten", names), "flatten");
  EXPECT_EQ(closestMatch("softmax", names), "");
  EXPECT_EQ(closestMatch("dense", names), ""); // exact names are no hint
}

TEST(Diagnostics, CountsAndCapsErrors) {
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy("abc\n", "t.nn"),
                        llvm::SMLoc());
  DiagnosticEngine d(sm);
  d.setQuiet(true);
  d.setMaxErrors(5);
  auto loc =
      llvm::SMLoc::getFromPointer(sm.getMemoryBuffer(1)->getBufferStart());
  for (int k = 0; k < 5; ++k)
    d.error(loc, "boom");
  EXPECT_EQ(d.errorCount(), 5u);
  EXPECT_TRUE(d.tooMany());
}
