//===- DataRowsTest.cpp - Gathering batch rows from data-set fields -------===//
//
// Data sets keep IDX pixels as bytes; a gathered batch reads them as f32
// in [0, 1]. Other fields are copied row by row unchanged.
//
//===----------------------------------------------------------------------===//
#include "Sources.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

TEST(DataRows, PixelBytesBecomeUnitFloats) {
  std::vector<uint8_t> pixels = {0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40};
  nnc_tensor src{};
  src.dtype = NNC_U8;
  src.rank = 3;
  src.dims[0] = 3;
  src.dims[1] = 2;
  src.dims[2] = 2;
  src.data = pixels.data();
  EXPECT_EQ(nnc::modelDtype(src), NNC_F32);
  std::vector<float> out(8);
  nnc_tensor dst = src;
  dst.dtype = NNC_F32;
  dst.data = out.data();
  int64_t rows[] = {2, 0};
  nnc::copyRows(src, rows, 2, dst);
  EXPECT_FLOAT_EQ(out[0], 10.0f / 255.0f);
  EXPECT_FLOAT_EQ(out[3], 40.0f / 255.0f);
  EXPECT_FLOAT_EQ(out[4], 0.0f);
  EXPECT_FLOAT_EQ(out[5], 1.0f);
  EXPECT_FLOAT_EQ(out[6], 0.2f);
}

TEST(DataRows, OtherFieldsCopiedAsTheyAre) {
  std::vector<int64_t> labels = {5, 6, 7, 8};
  nnc_tensor src{};
  src.dtype = NNC_I64;
  src.rank = 1;
  src.dims[0] = 4;
  src.data = labels.data();
  EXPECT_EQ(nnc::modelDtype(src), NNC_I64);
  std::vector<int64_t> out(3);
  nnc_tensor dst = src;
  dst.data = out.data();
  int64_t rows[] = {3, 3, 1};
  nnc::copyRows(src, rows, 3, dst);
  EXPECT_EQ(out, (std::vector<int64_t>{8, 8, 6}));
}

} // namespace
