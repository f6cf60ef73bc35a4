//===- Int8Test.cpp - The int8 kernels (NNC_KERNEL_INT8) ------------------===//
//
// The int8 GEMM and convolution against a reference written here from the
// documented scheme (nnc/kernels.h): A per row (a convolution's input per
// image) and B per column quantized symmetrically, exact integer sums,
// scaled back; on edge shapes (one row, k = 1, odd n, transposed and
// strided operands, padding, strides, dilation), with the epilogue. Also:
// close to the f32 product; slices of a split call bit-identical to the
// whole call; NaN rows, images and weights computed in f32; the weight
// copies dropped by nnc_kernels_int8_forget. Skipped, and said so, on CPUs
// without AVX512-VNNI.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "RandomData.h"
#include "nnc/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace nnc_rt;

namespace {

int64_t ptr(const float *p) { return reinterpret_cast<int64_t>(p); }

#define SKIP_WITHOUT_INT8()                                                    \
  if (!int8Runs())                                                             \
  GTEST_SKIP() << "this CPU has no AVX512-VNNI: the int8 kernels are not run"

/// The scale of values of largest magnitude mx.
float scaleOf(float mx) { return mx > 0.0f ? mx / 127.0f : 1.0f; }

/// An activation quantized as the kernels document: round(v * (1 / s)).
int quantA(float v, float s) { return int(std::nearbyint(v * (1.0f / s))); }
/// A weight: round(w / s).
int quantB(float v, float s) { return int(std::nearbyint(v / s)); }

struct Shape {
  int64_t m, n, k;
  bool transA, transB;
};

const Shape kShapes[] = {
    {1, 1, 1, false, false},     {1, 256, 784, false, false},
    {7, 5, 3, false, false},     {64, 10, 255, false, true},
    {13, 33, 301, true, true},   {64, 256, 784, false, false},
    {2, 130, 64, false, false},  {9, 17, 1600, true, false},
    {37, 128, 100, false, true}, {1, 10, 128, false, false}};

struct Product {
  Shape s;
  std::vector<float> a, b, bias, c0;
  int64_t as0, as1, bs0, bs1;
  Product(const Shape &s, unsigned seed) : s(s) {
    nnc_kernels_int8_forget(); // new weights, maybe at a freed address
    a = randomVector(s.m * s.k, seed);
    b = randomVector(s.k * s.n, seed + 1);
    bias = randomVector(s.n, seed + 2);
    c0 = randomVector(s.m * s.n, seed + 3);
    as0 = s.transA ? 1 : s.k;
    as1 = s.transA ? s.m : 1;
    bs0 = s.transB ? 1 : s.n;
    bs1 = s.transB ? s.k : 1;
  }
  float A(int64_t i, int64_t l) const { return a[i * as0 + l * as1]; }
  float B(int64_t l, int64_t j) const { return b[l * bs0 + j * bs1]; }

  /// C through nnc_sgemm with `flags`, in `parts` calls.
  std::vector<float> run(int64_t flags, bool withBias, int64_t parts) const {
    std::vector<float> c = c0;
    for (int64_t p = 0; p < parts; ++p)
      nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0,
                bs0, bs1, ptr(c.data()), 0, s.n, flags,
                withBias ? ptr(bias.data()) : 0, 0, p, parts);
    return c;
  }

  /// What the int8 scheme computes, in double.
  std::vector<double> quantized(bool accumulate, bool withBias,
                                bool relu) const {
    std::vector<float> sb(s.n);
    for (int64_t j = 0; j < s.n; ++j) {
      float mx = 0;
      for (int64_t l = 0; l < s.k; ++l)
        mx = std::max(mx, std::fabs(B(l, j)));
      sb[j] = scaleOf(mx);
    }
    std::vector<double> out(s.m * s.n);
    for (int64_t i = 0; i < s.m; ++i) {
      float mx = 0;
      for (int64_t l = 0; l < s.k; ++l)
        mx = std::max(mx, std::fabs(A(i, l)));
      float sa = scaleOf(mx);
      for (int64_t j = 0; j < s.n; ++j) {
        int64_t sum = 0;
        for (int64_t l = 0; l < s.k; ++l)
          sum += quantA(A(i, l), sa) * quantB(B(l, j), sb[j]);
        double v = double(sum) * sa * sb[j];
        v += (accumulate ? c0[i * s.n + j] : 0) + (withBias ? bias[j] : 0);
        out[i * s.n + j] = relu ? std::max(v, 0.0) : v;
      }
    }
    return out;
  }
};

TEST(Int8, GemmComputesTheQuantizedProduct) {
  SKIP_WITHOUT_INT8();
  unsigned seed = 10;
  for (const Shape &s : kShapes)
    for (int64_t flags : {0, NNC_KERNEL_ACCUMULATE | NNC_KERNEL_RELU}) {
      Product p(s, seed++);
      bool withBias = flags != 0;
      std::vector<float> got = p.run(flags | NNC_KERNEL_INT8, withBias, 1);
      std::vector<double> want = p.quantized(flags & NNC_KERNEL_ACCUMULATE,
                                             withBias, flags & NNC_KERNEL_RELU);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])))
            << s.m << "x" << s.n << "x" << s.k << " element " << i;
    }
}

TEST(Int8, GemmIsCloseToF32) {
  SKIP_WITHOUT_INT8();
  for (const Shape &s : kShapes) {
    if (s.k < 16)
      continue;
    Product p(s, 40);
    std::vector<float> q = p.run(NNC_KERNEL_INT8, true, 1),
                       f = p.run(0, true, 1);
    double err = 0, mag = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      err = std::max(err, double(std::fabs(q[i] - f[i])));
      mag = std::max(mag, double(std::fabs(f[i])));
    }
    EXPECT_LT(err, 0.02 * mag) << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST(Int8, GemmSlicesAreBitIdentical) {
  SKIP_WITHOUT_INT8();
  for (const Shape &s : kShapes) {
    Product p(s, 70);
    std::vector<float> whole =
        p.run(NNC_KERNEL_INT8 | NNC_KERNEL_RELU, true, 1);
    for (int64_t parts : {2, 3, 7})
      EXPECT_EQ(p.run(NNC_KERNEL_INT8 | NNC_KERNEL_RELU, true, parts), whole)
          << s.m << "x" << s.n << "x" << s.k << " in " << parts << " parts";
  }
}

TEST(Int8, NonFiniteRowsAndWeightsRunInF32) {
  SKIP_WITHOUT_INT8();
  Product p({5, 40, 70, false, false}, 90);
  std::vector<float> clean = p.run(NNC_KERNEL_INT8, true, 1);
  p.a[2 * 70 + 7] = std::numeric_limits<float>::quiet_NaN();
  p.a[4 * 70 + 9] = std::numeric_limits<float>::infinity();
  for (int64_t parts : {1, 3}) {
    std::vector<float> got = p.run(NNC_KERNEL_INT8, true, parts);
    std::vector<float> f32 = p.run(0, true, parts);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 40; ++j) {
        float g = got[i * 40 + j];
        if (i == 2 || i == 4)
          EXPECT_TRUE(std::isnan(g) || std::isinf(g)) << i << "," << j;
        else
          EXPECT_EQ(g, clean[i * 40 + j]) << i << "," << j;
        if (i == 2)
          EXPECT_TRUE(std::isnan(f32[i * 40 + j]));
      }
  }
  // A weight that is not finite, first in its column or further down: the
  // whole call in f32.
  for (int64_t at : {5, 7 * 20 + 3, 29 * 20 + 19})
    for (float bad : {std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()}) {
      Product w({3, 20, 30, false, false}, 91);
      w.b[at] = bad;
      std::vector<float> got = w.run(NNC_KERNEL_INT8, false, 1);
      std::vector<float> f32 = w.run(0, false, 1);
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_TRUE(got[i] == f32[i] ||
                    (std::isnan(got[i]) && std::isnan(f32[i])))
            << "weight " << at << " = " << bad << ", output " << i;
    }
}

TEST(Int8, NewWeightsAtTheSameAddressAreQuantizedAfresh) {
  SKIP_WITHOUT_INT8();
  Product p({4, 24, 50, false, false}, 95);
  std::vector<float> before = p.run(NNC_KERNEL_INT8, false, 1);
  for (float &v : p.b)
    v = -v; // other weights at the same address: the fingerprint differs
  std::vector<float> after = p.run(NNC_KERNEL_INT8, false, 1);
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_FLOAT_EQ(after[i], -before[i]);
  // One value changed in place: kept until the copies are forgotten.
  p.b[3] += 0.5f;
  nnc_kernels_int8_forget();
  std::vector<double> want = p.quantized(false, false, false);
  std::vector<float> got = p.run(NNC_KERNEL_INT8, false, 1);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])));
}

struct ConvShape {
  int64_t n, h, w, c, kh, kw, f, sh, sw, dh, dw, pt, pl, oh, ow;
};

// Windows of 64 values or more (nnc_conv2d_int8_pays).
const ConvShape kConvs[] = {{1, 26, 26, 32, 3, 3, 32, 1, 1, 1, 1, 0, 0, 24, 24},
                            {2, 12, 12, 32, 3, 3, 64, 1, 1, 1, 1, 0, 0, 10, 10},
                            {3, 9, 7, 8, 3, 3, 10, 2, 2, 1, 1, 1, 1, 5, 4},
                            {2, 10, 10, 8, 3, 3, 40, 1, 1, 2, 2, 2, 2, 10, 10},
                            {1, 6, 6, 65, 1, 1, 19, 1, 1, 1, 1, 0, 0, 6, 6}};

struct Conv {
  ConvShape s;
  std::vector<float> x, w, bias;
  Conv(const ConvShape &s, unsigned seed) : s(s) {
    nnc_kernels_int8_forget();
    x = randomVector(s.n * s.h * s.w * s.c, seed);
    w = randomVector(s.kh * s.kw * s.c * s.f, seed + 1);
    bias = randomVector(s.f, seed + 2);
  }
  std::vector<float> run(int64_t flags, int64_t parts) const {
    std::vector<float> out(s.n * s.oh * s.ow * s.f, 0.0f);
    for (int64_t p = 0; p < parts; ++p)
      nnc_conv2d_f32(ptr(x.data()), 0, s.n, s.h, s.w, s.c, s.h * s.w * s.c,
                     s.w * s.c, s.c, 1, ptr(w.data()), 0, s.kh, s.kw, s.f,
                     ptr(out.data()), 0, s.oh, s.ow, s.sh, s.sw, s.dh, s.dw,
                     s.pt, s.pl, flags, ptr(bias.data()), 0, p, parts);
    return out;
  }
  /// The int8 scheme, per image, in double (bias and ReLU).
  std::vector<double> quantized() const {
    int64_t k = s.kh * s.kw * s.c;
    std::vector<float> sw(s.f);
    for (int64_t j = 0; j < s.f; ++j) {
      float mx = 0;
      for (int64_t l = 0; l < k; ++l)
        mx = std::max(mx, std::fabs(w[l * s.f + j]));
      sw[j] = scaleOf(mx);
    }
    std::vector<double> out;
    int64_t image = s.h * s.w * s.c;
    for (int64_t b = 0; b < s.n; ++b) {
      float mx = 0;
      for (int64_t i = 0; i < image; ++i)
        mx = std::max(mx, std::fabs(x[b * image + i]));
      float sx = scaleOf(mx);
      for (int64_t y = 0; y < s.oh; ++y)
        for (int64_t xo = 0; xo < s.ow; ++xo)
          for (int64_t j = 0; j < s.f; ++j) {
            int64_t sum = 0;
            for (int64_t ky = 0; ky < s.kh; ++ky)
              for (int64_t kx = 0; kx < s.kw; ++kx) {
                int64_t iy = y * s.sh + ky * s.dh - s.pt,
                        ix = xo * s.sw + kx * s.dw - s.pl;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                  continue;
                for (int64_t ch = 0; ch < s.c; ++ch)
                  sum +=
                      quantA(x[b * image + (iy * s.w + ix) * s.c + ch], sx) *
                      quantB(w[((ky * s.kw + kx) * s.c + ch) * s.f + j], sw[j]);
              }
            out.push_back(std::max(double(sum) * sx * sw[j] + bias[j], 0.0));
          }
    }
    return out;
  }
};

TEST(Int8, ConvComputesTheQuantizedConvolution) {
  SKIP_WITHOUT_INT8();
  unsigned seed = 200;
  for (const ConvShape &s : kConvs) {
    Conv c(s, seed++);
    int64_t flags = NNC_KERNEL_INT8 | NNC_KERNEL_RELU;
    std::vector<float> got = c.run(flags, 1);
    std::vector<double> want = c.quantized();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])))
          << s.c << "->" << s.f << " element " << i;
    for (int64_t parts : {2, 5})
      EXPECT_EQ(c.run(flags, parts), got) << "in " << parts << " parts";
  }
}

TEST(Int8, SmallWindowsRunInF32) {
  SKIP_WITHOUT_INT8();
  // 3 x 3 over one channel (an image model's first layer), and over 7.
  for (const ConvShape &s :
       {ConvShape{1, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 0, 0, 26, 26},
        ConvShape{2, 9, 9, 7, 3, 3, 8, 1, 1, 1, 1, 1, 1, 9, 9}}) {
    ASSERT_FALSE(nnc_conv2d_int8_pays(s.kh, s.kw, s.c));
    Conv c(s, 250);
    EXPECT_EQ(c.run(NNC_KERNEL_INT8 | NNC_KERNEL_RELU, 1),
              c.run(NNC_KERNEL_RELU, 1));
  }
}

TEST(Int8, ConvImageWithNaNRunsInF32) {
  SKIP_WITHOUT_INT8();
  Conv c(kConvs[1], 300);
  std::vector<float> clean = c.run(NNC_KERNEL_INT8, 1);
  int64_t image = 12 * 12 * 32, pixels = 10 * 10 * 64;
  c.x[image + 5 * 12 * 32 + 5 * 32 + 3] =
      std::numeric_limits<float>::quiet_NaN();
  std::vector<float> got = c.run(NNC_KERNEL_INT8, 3);
  for (int64_t i = 0; i < pixels; ++i) // the first image is untouched
    ASSERT_EQ(got[i], clean[i]);
  EXPECT_TRUE(std::isnan(got[pixels + (4 * 10 + 4) * 64]));
  EXPECT_FALSE(std::isnan(got[pixels])); // its window misses the NaN
}

} // namespace
