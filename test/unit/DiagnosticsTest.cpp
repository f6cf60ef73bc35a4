//===- DiagnosticsTest.cpp - Unit tests of the diagnostics engine ---------===//
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

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

TEST(Diagnostics, LineColumnTableAgreesWithSourceMgr) {
  llvm::SourceMgr sm;
  const char *text = "ab\n\ncde; fg\r\nh\n  i";
  sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "t.nn"),
                        llvm::SMLoc());
  LineColumnTable lines(sm);
  const char *start = sm.getMemoryBuffer(1)->getBufferStart();
  for (size_t k = 0; k < strlen(text); ++k) {
    if (text[k] == '\r' || (k && text[k - 1] == '\r'))
      continue; // SourceMgr restarts columns after a lone '\r'
    auto loc = llvm::SMLoc::getFromPointer(start + k);
    EXPECT_EQ(lines.get(loc), sm.getLineAndColumn(loc)) << "offset " << k;
  }
  EXPECT_EQ(lines.get(llvm::SMLoc()), std::make_pair(0u, 0u));
}
