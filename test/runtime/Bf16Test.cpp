//===- Bf16Test.cpp - The bf16 kernels (NNC_KERNEL_BF16)
//-------------------===//
//
// The bf16 GEMM and filter gradient against a double-precision sum of the
// operands rounded to bf16 (to nearest even), which is what they compute
// up to f32 summation: on odd k (a half-filled last pair), partial tiles,
// several k blocks, transposed and gathered operands, the epilogue; the
// slices of a split call against the whole call (bit-identical); the
// entry points' flag; and the Winograd path's products in bf16. Skipped,
// and said so, on CPUs without AVX512-BF16.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "RandomData.h"
#include "nnc/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace nnc_rt;

namespace {

int64_t ptr(const float *p) { return reinterpret_cast<int64_t>(p); }

/// x rounded to bf16 (to nearest even), as an f32.
double bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

#define SKIP_WITHOUT_BF16()                                                    \
  if (!bf16Runs())                                                             \
  GTEST_SKIP() << "this CPU has no AVX512-BF16: the bf16 kernels are not run"

struct Shape {
  int64_t m, n, k;
  bool transA, transB;
};

const Shape kShapes[] = {
    {1, 1, 1, false, false},      {7, 5, 3, false, false},
    {64, 256, 784, false, false}, {64, 10, 255, false, true},
    {784, 256, 64, true, false},  {13, 33, 301, true, true},
    {200, 70, 513, false, false}, {25, 1100, 21, false, false},
    {3, 40, 17, false, false}};

/// C = C0 + A*B through nnc_sgemm with NNC_KERNEL_BF16, in `parts` calls
/// (the slices threads would run).
std::vector<float> runGemm(const Shape &s, int64_t parts) {
  std::vector<float> a = randomVector(s.m * s.k, 1),
                     b = randomVector(s.k * s.n, 2);
  std::vector<float> c = randomVector(s.m * s.n, 3);
  int64_t as0 = s.transA ? 1 : s.k, as1 = s.transA ? s.m : 1;
  int64_t bs0 = s.transB ? 1 : s.n, bs1 = s.transB ? s.k : 1;
  for (int64_t p = 0; p < parts; ++p)
    nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0, bs0,
              bs1, ptr(c.data()), 0, s.n,
              NNC_KERNEL_ACCUMULATE | NNC_KERNEL_BF16, 0, 0, p, parts);
  return c;
}

TEST(Bf16, GemmMatchesTheRoundedReference) {
  SKIP_WITHOUT_BF16();
  EXPECT_TRUE(nnc_kernels_bf16());
  for (const Shape &s : kShapes) {
    std::vector<float> a = randomVector(s.m * s.k, 1),
                       b = randomVector(s.k * s.n, 2),
                       c0 = randomVector(s.m * s.n, 3);
    int64_t as0 = s.transA ? 1 : s.k, as1 = s.transA ? s.m : 1;
    int64_t bs0 = s.transB ? 1 : s.n, bs1 = s.transB ? s.k : 1;
    std::vector<float> c = runGemm(s, 1);
    // One or two rows stay f32 (nnc_sgemm's direct path).
    bool f32 = s.m <= 2;
    int64_t differs = 0;
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) {
        double ref = c0[i * s.n + j], exact = ref, mag = std::fabs(ref);
        for (int64_t l = 0; l < s.k; ++l) {
          float x = a[i * as0 + l * as1], y = b[l * bs0 + j * bs1];
          double p = f32 ? double(x) * y : bf16(x) * bf16(y);
          ref += p;
          exact += double(x) * y;
          mag += std::fabs(p);
        }
        ASSERT_NEAR(c[i * s.n + j], ref, 1e-6 * mag + 1e-6)
            << "at (" << i << ", " << j << ") of " << s.m << "x" << s.n << "x"
            << s.k;
        differs += std::fabs(c[i * s.n + j] - exact) > 1e-5 * mag;
      }
    // The operands were rounded: most sums differ from the f32 product's.
    if (!f32 && s.k > 1)
      EXPECT_GT(differs, s.m * s.n / 2) << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST(Bf16, SlicesGiveTheSameBitsAsOneCall) {
  SKIP_WITHOUT_BF16();
  for (Shape s :
       {Shape{64, 256, 784, false, false}, Shape{784, 10, 63, true, false},
        Shape{5, 3, 701, false, true}, Shape{100, 100, 300, false, false}}) {
    std::vector<float> whole = runGemm(s, 1);
    for (int64_t parts : {2, 3, 8})
      EXPECT_EQ(whole, runGemm(s, parts))
          << parts << " parts of " << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST(Bf16, EpilogueOverwritesAddsBiasAndClamps) {
  SKIP_WITHOUT_BF16();
  const int64_t m = 30, n = 37, k = 11;
  std::vector<float> a = randomVector(m * k, 4), b = randomVector(k * n, 5),
                     bias = randomVector(n, 6);
  std::vector<float> c(m * n, NAN);
  nnc_sgemm(m, n, k, ptr(a.data()), 0, k, 1, ptr(b.data()), 0, n, 1,
            ptr(c.data()), 0, n, NNC_KERNEL_RELU | NNC_KERNEL_BF16,
            ptr(bias.data()), 0, 0, 1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = bias[j], mag = std::fabs(ref);
      for (int64_t l = 0; l < k; ++l) {
        ref += bf16(a[i * k + l]) * bf16(b[l * n + j]);
        mag += std::fabs(bf16(a[i * k + l]) * bf16(b[l * n + j]));
      }
      ASSERT_NEAR(c[i * n + j], std::max(ref, 0.0), 1e-6 * mag + 1e-6)
          << i << "," << j;
    }
}

TEST(Bf16, EmptySumsGiveTheEpilogue) {
  SKIP_WITHOUT_BF16();
  // k = 0: bias, then ReLU, over the whole output.
  std::vector<float> bias = randomVector(40, 30), c(20 * 40, NAN);
  nnc_sgemm(20, 40, 0, 0, 0, 0, 1, 0, 0, 40, 1, ptr(c.data()), 0, 40,
            NNC_KERNEL_RELU | NNC_KERNEL_BF16, ptr(bias.data()), 0, 0, 1);
  for (int64_t i = 0; i < 20; ++i)
    for (int64_t j = 0; j < 40; ++j)
      ASSERT_EQ(c[i * 40 + j], std::max(bias[j], 0.0f)) << i << "," << j;
  // No pixels (an empty batch): the filter gradient overwrites with 0.
  std::vector<float> dw(9 * 4 * 8, NAN), x(1), g(1);
  nnc_conv2d_filter_grad_f32(ptr(x.data()), 0, 0, 4, 1, 1, 1, 1, ptr(g.data()),
                             0, 3, 3, 8, ptr(dw.data()), 0, 3, 3, 1, 1, 1, 1,
                             NNC_KERNEL_BF16, 0, 1);
  for (float v : dw)
    ASSERT_EQ(v, 0.0f);
}

TEST(Bf16, FilterGradientMatchesTheRoundedReference) {
  SKIP_WITHOUT_BF16();
  struct Case {
    int64_t n, h, w, c, kh, kw, f, sh, sw, xs3;
  } cases[] = {{2, 12, 11, 24, 3, 3, 40, 1, 1, 1},  // full tiles, 2 panels
               {3, 10, 9, 5, 2, 3, 7, 2, 1, 2},     // strided channels
               {4, 16, 16, 1, 3, 3, 32, 1, 1, 1},   // tiles across taps
               {3, 15, 14, 13, 3, 3, 16, 1, 1, 1}}; // odd pixel blocks
  for (const Case &k : cases) {
    int64_t oh = (k.h - k.kh) / k.sh + 1, ow = (k.w - k.kw) / k.sw + 1;
    int64_t xs2 = k.c * k.xs3 + 1, xs1 = k.w * xs2, xs0 = k.h * xs1;
    int64_t taps = k.kh * k.kw * k.c;
    std::vector<float> x = randomVector(k.n * xs0, 7),
                       g = randomVector(k.n * oh * ow * k.f, 8),
                       base = randomVector(taps * k.f, 9);
    for (int64_t parts : {1, 3}) {
      std::vector<float> dw = base;
      for (int64_t p = 0; p < parts; ++p)
        nnc_conv2d_filter_grad_f32(
            ptr(x.data()), 0, k.n, k.c, xs0, xs1, xs2, k.xs3, ptr(g.data()), 0,
            oh, ow, k.f, ptr(dw.data()), 0, k.kh, k.kw, k.sh, k.sw, 1, 1,
            NNC_KERNEL_ACCUMULATE | NNC_KERNEL_BF16, p, parts);
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t f = 0; f < k.f; ++f) {
          int64_t ch = t % k.c, kx = t / k.c % k.kw, ky = t / (k.c * k.kw);
          double sum = base[t * k.f + f], mag = std::fabs(sum);
          for (int64_t b = 0; b < k.n; ++b)
            for (int64_t y = 0; y < oh; ++y)
              for (int64_t xo = 0; xo < ow; ++xo) {
                double p = bf16(x[b * xs0 + (y * k.sh + ky) * xs1 +
                                  (xo * k.sw + kx) * xs2 + ch * k.xs3]) *
                           bf16(g[((b * oh + y) * ow + xo) * k.f + f]);
                sum += p;
                mag += std::fabs(p);
              }
          ASSERT_NEAR(dw[t * k.f + f], sum, 1e-6 * mag + 1e-6)
              << "c " << k.c << " parts " << parts << " tap " << t << " column "
              << f;
        }
    }
  }
}

// Operands neither of whose strides is 1 (packed as f32, then paired), and
// a convolution of strided channels (the im2col callback's f32 panels,
// then paired).
TEST(Bf16, StridedOperandsAndGatheredPanels) {
  SKIP_WITHOUT_BF16();
  const int64_t m = 29, n = 35, k = 19;
  std::vector<float> a = randomVector(m * k * 2, 20),
                     b = randomVector(k * n, 21);
  std::vector<float> c(m * n, NAN);
  nnc_sgemm(m, n, k, ptr(a.data()), 0, 2 * k, 2, ptr(b.data()), 0, n, 1,
            ptr(c.data()), 0, n, NNC_KERNEL_BF16, 0, 0, 0, 1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t l = 0; l < k; ++l) {
        double p = bf16(a[i * 2 * k + l * 2]) * bf16(b[l * n + j]);
        ref += p;
        mag += std::fabs(p);
      }
      ASSERT_NEAR(c[i * n + j], ref, 1e-6 * mag + 1e-6) << i << "," << j;
    }
  // NHWC input with every other channel: 2 images, 7x6, 5 channels.
  const int64_t nb = 2, h = 7, w = 6, ch = 5, f = 9, oh = h - 2, ow = w - 2;
  const int64_t xs3 = 2, xs2 = ch * xs3, xs1 = w * xs2, xs0 = h * xs1;
  std::vector<float> x = randomVector(nb * xs0, 22),
                     flt = randomVector(9 * ch * f, 23);
  std::vector<float> out(nb * oh * ow * f, NAN);
  nnc_conv2d_f32(ptr(x.data()), 0, nb, h, w, ch, xs0, xs1, xs2, xs3,
                 ptr(flt.data()), 0, 3, 3, f, ptr(out.data()), 0, oh, ow, 1, 1,
                 1, 1, 0, 0, NNC_KERNEL_BF16, 0, 0, 0, 1);
  for (int64_t p = 0; p < nb * oh * ow; ++p)
    for (int64_t j = 0; j < f; ++j) {
      int64_t img = p / (oh * ow), y = p / ow % oh, xo = p % ow;
      double ref = 0, mag = 0;
      for (int64_t ky = 0; ky < 3; ++ky)
        for (int64_t kx = 0; kx < 3; ++kx)
          for (int64_t q = 0; q < ch; ++q) {
            double v =
                bf16(
                    x[img * xs0 + (y + ky) * xs1 + (xo + kx) * xs2 + q * xs3]) *
                bf16(flt[((ky * 3 + kx) * ch + q) * f + j]);
            ref += v;
            mag += std::fabs(v);
          }
      ASSERT_NEAR(out[p * f + j], ref, 1e-6 * mag + 1e-6) << p << "," << j;
    }
}

/// A 3x3 convolution the Winograd path takes (nnc_conv2d_winograd_pays),
/// with and without NNC_KERNEL_BF16, split into `parts`.
std::vector<float> winogradConv(int64_t flags, int64_t parts) {
  const int64_t n = 2, h = 10, w = 9, c = 20, f = 24, oh = h - 2, ow = w - 2;
  std::vector<float> x = randomVector(n * h * w * c, 10),
                     k = randomVector(9 * c * f, 11);
  std::vector<float> out(n * oh * ow * f, NAN);
  for (int64_t p = 0; p < parts; ++p)
    nnc_conv2d_f32(ptr(x.data()), 0, n, h, w, c, h * w * c, w * c, c, 1,
                   ptr(k.data()), 0, 3, 3, f, ptr(out.data()), 0, oh, ow, 1, 1,
                   1, 1, 0, 0, flags, 0, 0, p, parts);
  return out;
}

TEST(Bf16, WinogradProductsInBf16) {
  SKIP_WITHOUT_BF16();
  ASSERT_TRUE(nnc_conv2d_winograd_pays(3, 3, 1, 1, 1, 1, 20, 24, 8, 7));
  std::vector<float> f32 = winogradConv(0, 1), bf = winogradConv(4, 1);
  double err = 0, mag = 0;
  for (size_t i = 0; i < f32.size(); ++i) {
    err = std::max(err, double(std::fabs(bf[i] - f32[i])));
    mag = std::max(mag, double(std::fabs(f32[i])));
  }
  // bf16 keeps 8 bits: errors of a few 2^-9 of the largest terms, not 0.
  EXPECT_GT(err, 1e-6 * mag);
  EXPECT_LT(err, 2e-2 * mag);
  EXPECT_EQ(bf, winogradConv(4, 3));
}

} // namespace
