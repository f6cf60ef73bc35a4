//===- NumbersTest.cpp - The strict number reader and hostile NPY headers -===//
//
// Numbers read from text are numbers and nothing else (Numbers.h), and an
// NPY file's header lengths and shapes are checked against the file before
// anything is allocated.
//
//===----------------------------------------------------------------------===//
#include "Numbers.h"
#include "nnc/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

using nnc::rt::parseDouble;
using nnc::rt::parseInt;
using nnc::rt::parseUInt;

TEST(Numbers, IntegersAreWholeStrings) {
  int64_t i = 0;
  EXPECT_TRUE(parseInt("12", i));
  EXPECT_EQ(i, 12);
  EXPECT_TRUE(parseInt("-7", i));
  EXPECT_EQ(i, -7);
  EXPECT_FALSE(parseInt("-7", i, /*allowSign=*/false));
  for (const char *bad : {"", "abc", "12abc", " 12", "12 ", "+", "-", "1e3",
                          "99999999999999999999", "0x10"})
    EXPECT_FALSE(parseInt(bad, i)) << bad;
  EXPECT_FALSE(parseInt(std::string("5\0"
                                    "00",
                                    4),
                        i));
  EXPECT_TRUE(parseInt("9223372036854775807", i));
  EXPECT_FALSE(parseInt("9223372036854775808", i));
  uint64_t u = 0;
  EXPECT_TRUE(parseUInt("18446744073709551615", u));
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_FALSE(parseUInt("18446744073709551616", u));
  EXPECT_FALSE(parseUInt("-1", u));
  EXPECT_FALSE(parseUInt("12abc", u));
}

TEST(Numbers, FloatsAreWholeStrings) {
  double d = 0;
  EXPECT_TRUE(parseDouble("1.5e-3", d));
  EXPECT_DOUBLE_EQ(d, 1.5e-3);
  EXPECT_TRUE(parseDouble("-2", d));
  EXPECT_TRUE(parseDouble("1e-320", d)); // a denormal is a number
  for (const char *bad : {"", "5abc", " 5", "5 ", "1e999", "--1", "."})
    EXPECT_FALSE(parseDouble(bad, d)) << bad;
  EXPECT_FALSE(parseDouble(std::string("5\0"
                                       "000",
                                       5),
                           d));
}

namespace {
/// Writes an NPY file: magic, version, header length `len` (as the
/// version's field), the header and `data` bytes of zeros.
std::string writeNpy(const std::string &name, int version,
                     const std::string &header, uint32_t len, size_t data) {
  std::string path = ::testing::TempDir() + name;
  FILE *f = std::fopen(path.c_str(), "wb");
  std::fwrite(version == 1 ? "\x93NUMPY\x01\x00" : "\x93NUMPY\x02\x00", 1, 8,
              f);
  unsigned char l[4] = {uint8_t(len), uint8_t(len >> 8), uint8_t(len >> 16),
                        uint8_t(len >> 24)};
  std::fwrite(l, 1, version == 1 ? 2 : 4, f);
  std::fwrite(header.data(), 1, header.size(), f);
  std::string zeros(data, '\0');
  std::fwrite(zeros.data(), 1, zeros.size(), f);
  std::fclose(f);
  return path;
}

std::string load(const std::string &path) {
  nnc_tensor t{};
  if (nnc_npy_load(path.c_str(), &t) == 0) {
    nnc_tensor_free(&t);
    return "ok";
  }
  return nnc_last_error();
}

std::string header(const char *shape) {
  return std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") +
         shape + ", }\n";
}
} // namespace

TEST(Npy, HostileHeaders) {
  // A v2 header length of 0xFFFFFFFF in a small file: refused before 4 GB
  // are allocated.
  std::string h = header("(2,)");
  std::string p = writeNpy("len.npy", 2, h, 0xFFFFFFFFu, 8);
  EXPECT_NE(load(p).find("its header says 4294967295 bytes"), std::string::npos)
      << load(p);
  // A shape of 2^62 x 4: the bytes it needs overflow; nothing allocated.
  h = header("(4611686018427387904, 4)");
  p = writeNpy("huge.npy", 1, h, uint32_t(h.size()), 16);
  EXPECT_NE(load(p).find("needs more than 2^64 bytes of data"),
            std::string::npos)
      << load(p);
  // Larger than the file: truncated, said before allocating.
  h = header("(100000000, 4)");
  p = writeNpy("big.npy", 1, h, uint32_t(h.size()), 16);
  EXPECT_NE(load(p).find("needs 1600000000 bytes of data, the file has 16"),
            std::string::npos)
      << load(p);
  // A negative dimension is not read as its absolute value.
  h = header("(-2, 2)");
  p = writeNpy("neg.npy", 1, h, uint32_t(h.size()), 16);
  EXPECT_NE(load(p).find("'-2' is not a size"), std::string::npos) << load(p);
  // Good ones: a vector with a trailing comma, a matrix, a scalar.
  for (auto [shape, bytes] :
       {std::pair{"(2,)", 8}, std::pair{"(2, 2)", 16}, std::pair{"()", 4}}) {
    h = header(shape);
    p = writeNpy("good.npy", 1, h, uint32_t(h.size()), size_t(bytes));
    EXPECT_EQ(load(p), "ok") << shape;
  }
}
