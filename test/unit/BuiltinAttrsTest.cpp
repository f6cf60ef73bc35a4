//===- BuiltinAttrsTest.cpp - The table of built-ins' attribute ranges ----===//
#include "sema/Elaborator.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace nnc;

// Every row of the table names a parameter a built-in has: a renamed
// parameter must not silently lose its range check.
TEST(BuiltinAttrs, EveryRuleNamesABuiltinParameter) {
  std::string why;
  llvm::raw_string_ostream os(why);
  EXPECT_TRUE(builtinAttrRulesValid(os)) << why;
}
