//===- WinogradTest.cpp - F(2x2, 3x3) against the direct convolution ------===//
//
// The Winograd path of 3x3 stride-1 convolutions: the same numbers as the
// direct kernel within 1e-5 relative on edge shapes (odd image sizes, tile
// rows cut by the slices, channel and filter counts that are no multiple
// of the vector width, implicit padding, one image), the epilogue
// (accumulate, bias, ReLU keeping NaN), bit-identical results whatever
// the split between threads, and the rule that picks it; with both output
// tiles, F(2x2) and F(4x4).
//
//===----------------------------------------------------------------------===//
#include "Winograd.h"
#include "Gemm.h"
#include "RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace nnc_rt;

namespace {

struct Case {
  int64_t n, h, w, c, f, pt, pl, oh, ow;
};

/// A 3x3 stride-1 convolution of x [n, h, w, c] (pixel stride c + 2) into
/// out [n, oh, ow, f], pixels [begin, end).
ConvArgs argsOf(const Case &k, const std::vector<float> &x,
                const std::vector<float> &w, std::vector<float> &out,
                const Epilogue &ep, int64_t begin, int64_t end) {
  int64_t xs2 = k.c + 2, xs1 = k.w * xs2, xs0 = k.h * xs1;
  return ConvArgs{x.data(), xs0,      xs1, xs2,        k.h,   k.w, k.pt, k.pl,
                  k.c,      3,        3,   k.oh,       k.ow,  1,   1,    1,
                  1,        w.data(), k.f, out.data(), begin, end, ep};
}

const Case kCases[] = {
    {2, 14, 14, 32, 64, 0, 0, 12, 12}, // whole tiles
    {3, 9, 7, 17, 18, 0, 0, 7, 5},     // odd sizes, channel and filter tails
    {1, 7, 9, 48, 80, 1, 1, 7, 9},     // "same" padding, one image
    {2, 6, 6, 20, 33, 2, 0, 8, 4},     // padding past the bottom
    {1, 5, 5, 16, 16, 0, 0, 3, 3}};    // one and a half tiles

TEST(Winograd, MatchesTheDirectConvolution) {
  for (int tile : {2, 4})
    for (const Case &k : kCases) {
      SCOPED_TRACE("F(" + std::to_string(tile) + "x" + std::to_string(tile) +
                   ", 3x3), c " + std::to_string(k.c) + ", f " +
                   std::to_string(k.f));
      std::vector<float> x =
          randomVector(size_t(k.n * k.h * k.w * (k.c + 2)), 1);
      std::vector<float> w = randomVector(size_t(9 * k.c * k.f), 2);
      std::vector<float> bias = randomVector(size_t(k.f), 3);
      std::vector<float> out0 =
          randomVector(size_t(k.n * k.oh * k.ow * k.f), 4);
      int64_t pixels = k.n * k.oh * k.ow;
      for (Epilogue ep : {Epilogue{true, nullptr, false},
                          Epilogue{false, bias.data(), true}}) {
        std::vector<float> direct = out0, wino = out0;
        bestConv()(argsOf(k, x, w, direct, ep, 0, pixels));
        winogradConv(argsOf(k, x, w, wino, ep, 0, pixels), tile);
        double worst = 0, scale = 0;
        for (size_t i = 0; i < direct.size(); ++i) {
          worst = std::max(worst, double(std::fabs(direct[i] - wino[i])));
          scale = std::max(scale, double(std::fabs(direct[i])));
        }
        EXPECT_LE(worst, 1e-5 * scale) << "largest |output| " << scale;
      }
    }
}

TEST(Winograd, SlicesGiveTheSameBitsAsOneCall) {
  // Slices cut tile rows (and tiles) in two: each thread computes the
  // tiles its pixels are in and writes only its pixels.
  for (int tile : {2, 4})
    for (const Case &k : kCases) {
      std::vector<float> x =
          randomVector(size_t(k.n * k.h * k.w * (k.c + 2)), 5);
      std::vector<float> w = randomVector(size_t(9 * k.c * k.f), 6);
      int64_t pixels = k.n * k.oh * k.ow;
      Epilogue ep{false, nullptr, false};
      std::vector<float> whole(size_t(pixels * k.f), NAN);
      winogradConv(argsOf(k, x, w, whole, ep, 0, pixels), tile);
      for (int64_t parts : {2, 3, 5}) {
        std::vector<float> split(whole.size(), NAN);
        for (int64_t p = 0; p < parts; ++p) {
          int64_t begin, end;
          sliceUnits(pixels, 12, p, parts, begin, end);
          winogradConv(argsOf(k, x, w, split, ep, begin, end), tile);
        }
        for (size_t i = 0; i < whole.size(); ++i)
          ASSERT_EQ(std::memcmp(&whole[i], &split[i], sizeof(float)), 0)
              << "element " << i << " with " << parts << " parts";
      }
    }
}

TEST(Winograd, ReLUKeepsNaN) {
  // A NaN input makes its whole output tile NaN (the transforms mix every
  // pixel of a patch), never the tiles whose patches do not hold it.
  for (int tile : {2, 4}) {
    Case k{1, 12, 12, 16, 16, 0, 0, 10, 10};
    std::vector<float> x = randomVector(size_t(12 * 12 * 18), 7);
    std::vector<float> w = randomVector(size_t(9 * 16 * 16), 8);
    x[0] = NAN; // pixel (0, 0), channel 0: feeds output (0, 0)
    std::vector<float> out(size_t(10 * 10 * 16), 0.0f);
    winogradConv(argsOf(k, x, w, out, Epilogue{false, nullptr, true}, 0, 100),
                 tile);
    EXPECT_TRUE(std::isnan(out[0]));
    for (size_t i = 16 * 10 * 4; i < out.size(); ++i) // rows 4 to 9
      ASSERT_GE(out[i], 0.0f) << i;
  }
}

TEST(Winograd, RulePicksMany3x3ChannelsOnly) {
  Case k{1, 14, 14, 32, 32, 0, 0, 12, 12};
  std::vector<float> x(1), w(1), out(1);
  ConvArgs g = argsOf(k, x, w, out, Epilogue{}, 0, 1);
  EXPECT_TRUE(winogradPays(g));
  ConvArgs one = g;
  one.c = 1; // the first layer of an image model
  EXPECT_FALSE(winogradPays(one));
  ConvArgs strided = g;
  strided.sh = 2;
  EXPECT_FALSE(winogradPays(strided));
  ConvArgs five = g;
  five.kh = five.kw = 5;
  EXPECT_FALSE(winogradPays(five));
  EXPECT_EQ(winogradTile(64 * 24 * 24), 4); // large calls: F(4x4)
  EXPECT_EQ(winogradTile(24 * 24), 2);
  ConvArgs tiny = g;
  tiny.oh = tiny.ow = 2;
  EXPECT_FALSE(winogradPays(tiny));
}

} // namespace
