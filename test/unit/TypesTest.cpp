//===- TypesTest.cpp - Unit tests of symbolic tensor types ----------------===//
#include "sema/Types.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {
std::vector<Dim> dims(std::initializer_list<const char *> ds) {
  std::vector<Dim> out;
  for (const char *d : ds) {
    char *end;
    long v = std::strtol(d, &end, 10);
    out.push_back(*end ? Dim::symbol(d) : Dim::constant(v));
  }
  return out;
}
} // namespace

TEST(Types, PrintsInSourceSyntax) {
  TensorType t{DType::F32, dims({"B", "28", "28"})};
  EXPECT_EQ(t.str(), "f32[B, 28, 28]");
  EXPECT_EQ((TensorType{DType::I64, {}}).str(), "i64");
}

TEST(Types, BroadcastAlignsOnTheRight) {
  auto r = broadcastShapes(dims({"B", "10"}), dims({"10"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(TensorType({DType::F32, *r}).str(), "f32[B, 10]");
  r = broadcastShapes(dims({"B", "1"}), dims({"1", "7"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(TensorType({DType::F32, *r}).str(), "f32[B, 7]");
}

TEST(Types, BroadcastRejectsMismatches) {
  int bad = -1;
  EXPECT_FALSE(broadcastShapes(dims({"B", "10"}), dims({"B", "20"}), &bad));
  EXPECT_EQ(bad, 0);
  // Two different symbols cannot be proven equal.
  EXPECT_FALSE(broadcastShapes(dims({"B"}), dims({"T"}), &bad));
}

TEST(Types, DimProductFoldsConstants) {
  EXPECT_EQ(dimProduct(dims({"28", "28"})).str(), "784");
  EXPECT_EQ(dimProduct(dims({"H", "W", "4"})).str(), "H*W*4");
  EXPECT_EQ(dimProduct(dims({"T", "0"})).str(), "0");
}

TEST(Types, NumElementsUsesDimValues) {
  DimValues dv;
  dv.values["B"] = 1;
  dv.values["T"] = 64;
  EXPECT_EQ(numElements({DType::F32, dims({"B", "T", "10"})}, dv), 640);
  EXPECT_EQ(numElements({DType::F32, dims({"H*W*4"})}, dv), 4);
  ASSERT_EQ(dv.assumed.size(), 2u);
  EXPECT_EQ(dv.assumed[0], "H");
}

TEST(Types, DTypeNamesAndSizes) {
  EXPECT_EQ(parseDType("f64"), DType::F64);
  EXPECT_FALSE(parseDType("float"));
  EXPECT_EQ(dtypeBytes(DType::F64), 8u);
  EXPECT_EQ(dtypeBytes(DType::Bool), 1u);
}

TEST(Types, CountsSaturateInsteadOfWrapping) {
  EXPECT_EQ(saturatingMul(int64_t(1) << 40, int64_t(1) << 40), INT64_MAX);
  EXPECT_EQ(saturatingAdd(INT64_MAX - 1, 5), INT64_MAX);
  EXPECT_EQ(saturatingMul(6, 7), 42);
  TensorType big{DType::F32, dims({"B", "4294967296", "4294967296"})};
  EXPECT_EQ(numElements(big, DimValues{}), INT64_MAX);
  EXPECT_FALSE(staticBytes(big));
  EXPECT_EQ(dimProduct(dims({"4294967296", "4294967296"})).value, INT64_MAX);
  // Symbols count as 1, a product symbol's constant factor counts.
  TensorType t{DType::F64, dims({"B", "T*4", "10"})};
  EXPECT_EQ(staticBytes(t), std::optional<int64_t>(8 * 4 * 10));
}

TEST(Types, SymbolicSizesHaveOneSpelling) {
  // A concat of three batches and the list [3 * B] are the same size.
  EXPECT_EQ(canonicalDim("B+B+B"), "B*3");
  EXPECT_EQ(canonicalDim("3*B"), "B*3");
  EXPECT_EQ(Dim::symbol("B*3"), Dim::symbol("B+B+B"));
  // A sum is parenthesised, and reads back as itself.
  EXPECT_EQ(canonicalDim("(B+2)*T"), "(B*T+T*2)");
  EXPECT_EQ(canonicalDim("(B*T+T*2)"), "(B*T+T*2)");
  EXPECT_EQ(canonicalDim("T*B*4+B-B"), "B*T*4");
  EXPECT_EQ(canonicalDim("(B-1)"), "(B-1)");
  EXPECT_EQ(canonicalDim("1-B"), "(-B+1)");
  EXPECT_EQ(canonicalDim("(-B+1)"), "(-B+1)");
  EXPECT_EQ(canonicalDim("(1-T)+B"), canonicalDim("B+(1-T)"));
  // Text pasted around a canonical sum keeps its meaning.
  EXPECT_EQ(canonicalDim(canonicalDim("T+1") + "*B"), "(B*T+B)");
  EXPECT_EQ(dimProduct({Dim::symbol("T+1"), Dim::symbol("B")}).str(),
            "(B*T+B)");
  EXPECT_EQ(canonicalDim("(T-" + canonicalDim("T-B") + ")"), "B");
  // Divisions are opaque names (only a '/' at the group's own level).
  EXPECT_EQ(canonicalDim("(H/2)*(H/2)"), "(H/2)*(H/2)");
  EXPECT_EQ(canonicalDim("2*(H/2)"), "(H/2)*2");
  EXPECT_EQ(canonicalDim("((H/2)+1)"), canonicalDim("(H/2)+1"));
  // What is no polynomial, or overflows, stays as written.
  EXPECT_EQ(canonicalDim("B-B"), "B-B");
  EXPECT_EQ(canonicalDim("a b"), "a b");
  EXPECT_EQ(canonicalDim("B*99999999999999999999"), "B*99999999999999999999");
  EXPECT_EQ(canonicalDim("B*9223372036854775807*2"), "B*9223372036854775807*2");
  EXPECT_EQ(canonicalDim("B*T-B*9223372036854775807-B"),
            "B*T-B*9223372036854775807-B");
}
