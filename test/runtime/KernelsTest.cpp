//===- KernelsTest.cpp - The GEMM and convolution kernels -----------------===//
//
// Every GEMM variant this CPU runs against a double-precision reference,
// on shapes with partial register tiles, several k blocks and transposed
// operands; the slices of a split call against the whole call (they must
// be bit-identical: results may not depend on the thread count); and the
// convolution kernel against a direct loop with strides and dilations.
//
//===----------------------------------------------------------------------===//
#include "nnc/kernels.h"
#include "Gemm.h"
#include "RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace nnc_rt;

namespace {

int64_t ptr(const float *p) { return reinterpret_cast<int64_t>(p); }

struct Shape {
  int64_t m, n, k;
  bool transA, transB;
};

/// Runs `fn` (or nnc_sgemm when null) on C = C0 + A*B and checks every
/// element against a double-precision sum.
void checkGemm(GemmFn fn, const Shape &s) {
  std::vector<float> a = randomVector(s.m * s.k, 1),
                     b = randomVector(s.k * s.n, 2);
  std::vector<float> c = randomVector(s.m * s.n, 3), c0 = c;
  int64_t as0 = s.transA ? 1 : s.k, as1 = s.transA ? s.m : 1;
  int64_t bs0 = s.transB ? 1 : s.n, bs1 = s.transB ? s.k : 1;
  if (fn) {
    GemmArgs g{s.m,      s.n, s.k, a.data(), as0, as1,
               b.data(), bs0, bs1, c.data(), s.n};
    g.direct = s.m <= 2; // as nnc_sgemm decides
    fn(g);
  } else
    nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0, bs0,
              bs1, ptr(c.data()), 0, s.n, NNC_KERNEL_ACCUMULATE, 0, 0, 0, 1);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double ref = c0[i * s.n + j], mag = std::fabs(ref);
      for (int64_t l = 0; l < s.k; ++l) {
        double p = double(a[i * as0 + l * as1]) * b[l * bs0 + j * bs1];
        ref += p;
        mag += std::fabs(p);
      }
      ASSERT_NEAR(c[i * s.n + j], ref, 1e-6 * mag + 1e-6)
          << "at (" << i << ", " << j << ") of " << s.m << "x" << s.n << "x"
          << s.k;
    }
}

const Shape kShapes[] = {
    {1, 1, 1, false, false},
    {7, 5, 3, false, false},
    {64, 256, 784, false, false},
    {64, 10, 256, false, true},
    {784, 256, 64, true, false},
    {13, 33, 300, true, true},
    {200, 70, 513, false, false},
    {25, 1100, 20, false, false},
    // One or two rows: the direct path of nnc_sgemm (batch-1 inference),
    // its register blocks of columns and the columns after them.
    {1, 256, 784, false, false},
    {1, 300, 70, false, false},
    {2, 300, 500, true, true}};

TEST(Gemm, EveryVariantMatchesTheReference) {
  struct Variant {
    const char *name;
    GemmFn fn;
  } variants[] = {{"sse2", gemmSse2},
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
                  {"avx2", gemmAvx2},
                  {"avx512", gemmAvx512}
#endif
  };
  int ran = 0;
  for (const Variant &v : variants) {
    if (!cpuRuns(v.name))
      continue;
    ++ran;
    for (const Shape &s : kShapes) {
      SCOPED_TRACE(v.name);
      checkGemm(v.fn, s);
    }
  }
  EXPECT_GE(ran, 1);
}

TEST(Gemm, EntryPointUsesTheBestVariant) {
  EXPECT_TRUE(cpuRuns(nnc_gemm_isa())) << nnc_gemm_isa();
  for (const Shape &s : kShapes)
    checkGemm(nullptr, s);
}

TEST(Gemm, SlicesGiveTheSameBitsAsOneCall) {
  for (Shape s :
       {Shape{64, 256, 784, false, false}, Shape{784, 10, 64, true, false},
        Shape{5, 3, 700, false, true}, Shape{100, 100, 300, false, false},
        Shape{2, 700, 30, false, false}}) {
    std::vector<float> a = randomVector(s.m * s.k, 4),
                       b = randomVector(s.k * s.n, 5);
    int64_t as0 = s.transA ? 1 : s.k, as1 = s.transA ? s.m : 1;
    int64_t bs0 = s.transB ? 1 : s.n, bs1 = s.transB ? s.k : 1;
    std::vector<float> whole(s.m * s.n, 0.0f);
    nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0, bs0,
              bs1, ptr(whole.data()), 0, s.n, NNC_KERNEL_ACCUMULATE, 0, 0, 0,
              1);
    for (int64_t parts : {2, 3, 8}) {
      std::vector<float> split(s.m * s.n, 0.0f);
      for (int64_t p = 0; p < parts; ++p)
        nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0,
                  bs0, bs1, ptr(split.data()), 0, s.n, NNC_KERNEL_ACCUMULATE, 0,
                  0, p, parts);
      EXPECT_EQ(whole, split)
          << parts << " parts of " << s.m << "x" << s.n << "x" << s.k;
    }
  }
}

TEST(Gemm, EpilogueOverwritesAddsBiasAndClamps) {
  // Several k blocks, partial tiles, the one-row direct path and an empty
  // k, through the entry point whole and split by columns and by rows; C
  // starts as NaN, which an overwriting product must never read.
  for (Shape s :
       {Shape{30, 70, 800, false, false}, Shape{100, 40, 50, true, false},
        Shape{1, 300, 64, false, true}, Shape{1, 300, 64, false, false},
        Shape{5, 9, 0, false, false}}) {
    std::vector<float> a = randomVector(s.m * s.k, 14),
                       b = randomVector(s.k * s.n, 15),
                       bias = randomVector(s.n + 2, 16);
    int64_t as0 = s.transA ? 1 : s.k, as1 = s.transA ? s.m : 1;
    int64_t bs0 = s.transB ? 1 : s.n, bs1 = s.transB ? s.k : 1;
    for (int64_t parts : {1, 3}) {
      std::vector<float> c(s.m * s.n, NAN);
      for (int64_t p = 0; p < parts; ++p)
        nnc_sgemm(s.m, s.n, s.k, ptr(a.data()), 0, as0, as1, ptr(b.data()), 0,
                  bs0, bs1, ptr(c.data()), 0, s.n, NNC_KERNEL_RELU,
                  ptr(bias.data()), 2, p, parts);
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j) {
          double ref = bias[2 + j], mag = std::fabs(ref);
          for (int64_t l = 0; l < s.k; ++l) {
            double p = double(a[i * as0 + l * as1]) * b[l * bs0 + j * bs1];
            ref += p;
            mag += std::fabs(p);
          }
          ASSERT_NEAR(c[i * s.n + j], std::max(ref, 0.0), 1e-6 * mag + 1e-6)
              << "at (" << i << ", " << j << ") of " << s.m << "x" << s.n << "x"
              << s.k << ", " << parts << " parts";
        }
    }
  }
}

TEST(Gemm, ReLUKeepsNaN) {
  // A NaN in a product must reach the output (training stops on it), not
  // be clamped to 0.
  std::vector<float> a = randomVector(20 * 30, 17),
                     b = randomVector(30 * 40, 18);
  a[3 * 30 + 5] = NAN;
  for (int64_t m : {1, 20}) {
    std::vector<float> c(m * 40, 0.0f);
    nnc_sgemm(m, 40, 30, ptr(a.data() + (m == 1 ? 3 * 30 : 0)), 0, 30, 1,
              ptr(b.data()), 0, 40, 1, ptr(c.data()), 0, 40, NNC_KERNEL_RELU, 0,
              0, 0, 1);
    int64_t row = m == 1 ? 0 : 3;
    for (int64_t j = 0; j < 40; ++j)
      EXPECT_TRUE(std::isnan(c[row * 40 + j])) << m << " rows, column " << j;
  }
}

TEST(Gemm, OffsetsAndRowStrides) {
  // A 3x4 window of a 5x6 C with offset 7, A and B read from offsets.
  std::vector<float> a = randomVector(40, 6), b = randomVector(40, 7);
  std::vector<float> c(30, 1.0f);
  nnc_sgemm(3, 4, 2, ptr(a.data()), 5, 2, 1, ptr(b.data()), 3, 4, 1,
            ptr(c.data()), 7, 6, NNC_KERNEL_ACCUMULATE, 0, 0, 0, 1);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      bool inside = i >= 1 && i < 4 && j >= 1 && j < 5;
      double ref = 1.0;
      if (inside)
        for (int64_t l = 0; l < 2; ++l)
          ref += double(a[5 + (i - 1) * 2 + l]) * b[3 + l * 4 + (j - 1)];
      EXPECT_NEAR(c[i * 6 + j], ref, 1e-6) << i << "," << j;
    }
}

struct ConvCase {
  int64_t n, h, w, c, kh, kw, f, sh, sw, dh, dw;
  int64_t oh() const { return (h - (kh - 1) * dh - 1) / sh + 1; }
  int64_t ow() const { return (w - (kw - 1) * dw - 1) / sw + 1; }
};

/// A convolution's input read through strides: an NHWC tensor inside a
/// wider buffer (pixel stride c + 3, channel stride `xs3`).
struct ConvInput {
  int64_t xs0, xs1, xs2, xs3;
  std::vector<float> x, w;
  ConvInput(const ConvCase &k, int64_t xs3 = 1)
      : xs0(0), xs1(0), xs2((k.c + 3) * xs3), xs3(xs3) {
    xs1 = k.w * xs2;
    xs0 = k.h * xs1;
    x = randomVector(k.n * xs0, 8);
    w = randomVector(k.kh * k.kw * k.c * k.f, 9);
  }
  /// The window sum of output (b, y, xo, f) in double, and the sum of the
  /// products' magnitudes (for the tolerance).
  std::pair<double, double> at(const ConvCase &k, int64_t b, int64_t y,
                               int64_t xo, int64_t f) const {
    double sum = 0, mag = 0;
    for (int64_t i = 0; i < k.kh; ++i)
      for (int64_t j = 0; j < k.kw; ++j)
        for (int64_t ch = 0; ch < k.c; ++ch) {
          double p = double(x[b * xs0 + (y * k.sh + i * k.dh) * xs1 +
                              (xo * k.sw + j * k.dw) * xs2 + ch * xs3]) *
                     w[((i * k.kw + j) * k.c + ch) * k.f + f];
          sum += p;
          mag += std::fabs(p);
        }
    return {sum, mag};
  }
};

/// Checks out = epilogue(out0, convolution) element by element.
void checkConvOutput(const ConvCase &k, const ConvInput &in,
                     const std::vector<float> &out0,
                     const std::vector<float> &got, const Epilogue &ep) {
  int64_t oh = k.oh(), ow = k.ow();
  for (int64_t b = 0; b < k.n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xo = 0; xo < ow; ++xo)
        for (int64_t f = 0; f < k.f; ++f) {
          int64_t o = ((b * oh + y) * ow + xo) * k.f + f;
          auto [sum, mag] = in.at(k, b, y, xo, f);
          if (ep.accumulate) {
            sum += out0[o];
            mag += std::fabs(out0[o]);
          }
          if (ep.bias)
            sum += ep.bias[f];
          if (ep.relu)
            sum = std::max(sum, 0.0);
          ASSERT_NEAR(got[o], sum, 1e-6 * mag + 1e-6)
              << "at " << b << "," << y << "," << xo << "," << f;
        }
}

const ConvCase kConvCases[] = {{2, 9, 9, 1, 3, 3, 8, 1, 1, 1, 1},
                               {3, 12, 10, 5, 3, 2, 7, 2, 1, 1, 2},
                               {1, 30, 30, 40, 5, 5, 3, 1, 2, 2, 1},
                               {4, 6, 6, 300, 1, 1, 33, 1, 1, 1, 1},
                               {2, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1}};

TEST(Conv, MatchesADirectLoop) {
  // Channel stride 1 runs the direct convolution, 2 the implicit im2col
  // GEMM; both split into parts.
  for (int64_t xs3 : {1, 2})
    for (const ConvCase &k : kConvCases) {
      ConvInput in(k, xs3);
      std::vector<float> out = randomVector(k.n * k.oh() * k.ow() * k.f, 10);
      for (int64_t parts : {1, 3}) {
        SCOPED_TRACE("channel stride " + std::to_string(xs3) + ", parts " +
                     std::to_string(parts));
        std::vector<float> got = out;
        for (int64_t p = 0; p < parts; ++p)
          nnc_conv2d_f32(ptr(in.x.data()), 0, k.n, k.h, k.w, k.c, in.xs0,
                         in.xs1, in.xs2, in.xs3, ptr(in.w.data()), 0, k.kh,
                         k.kw, k.f, ptr(got.data()), 0, k.oh(), k.ow(), k.sh,
                         k.sw, k.dh, k.dw, 0, 0, NNC_KERNEL_ACCUMULATE, 0, 0, p,
                         parts);
        checkConvOutput(k, in, out, got, Epilogue{});
      }
    }
}

TEST(Conv, ImplicitPaddingReadsZerosOutsideTheImage) {
  // "same" 3x3 and 5x5 (dilated, strided) windows over a 7x9 image: the
  // taps outside it read zeros; the output may be larger than what the
  // top-left padding alone gives (padding at the bottom and right too).
  struct Case {
    ConvCase k;
    int64_t pt, pl, oh, ow;
  };
  for (const Case &t : {Case{{2, 7, 9, 32, 3, 3, 16, 1, 1, 1, 1}, 1, 1, 7, 9},
                        Case{{1, 7, 9, 5, 5, 5, 40, 2, 1, 2, 1}, 4, 2, 6, 9},
                        Case{{3, 7, 9, 1, 3, 3, 8, 1, 1, 1, 1}, 2, 0, 9, 7}}) {
    const ConvCase &k = t.k;
    ConvInput in(k);
    std::vector<float> got(k.n * t.oh * t.ow * k.f, NAN);
    for (int64_t p = 0; p < 2; ++p)
      nnc_conv2d_f32(ptr(in.x.data()), 0, k.n, k.h, k.w, k.c, in.xs0, in.xs1,
                     in.xs2, 1, ptr(in.w.data()), 0, k.kh, k.kw, k.f,
                     ptr(got.data()), 0, t.oh, t.ow, k.sh, k.sw, k.dh, k.dw,
                     t.pt, t.pl, 0, 0, 0, p, 2);
    for (int64_t b = 0; b < k.n; ++b)
      for (int64_t y = 0; y < t.oh; ++y)
        for (int64_t xo = 0; xo < t.ow; ++xo)
          for (int64_t f = 0; f < k.f; ++f) {
            double sum = 0, mag = 0;
            for (int64_t i = 0; i < k.kh; ++i)
              for (int64_t j = 0; j < k.kw; ++j) {
                int64_t iy = y * k.sh + i * k.dh - t.pt,
                        ix = xo * k.sw + j * k.dw - t.pl;
                if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w)
                  continue;
                for (int64_t ch = 0; ch < k.c; ++ch) {
                  double p =
                      double(
                          in.x[b * in.xs0 + iy * in.xs1 + ix * in.xs2 + ch]) *
                      in.w[((i * k.kw + j) * k.c + ch) * k.f + f];
                  sum += p;
                  mag += std::fabs(p);
                }
              }
            ASSERT_NEAR(got[((b * t.oh + y) * t.ow + xo) * k.f + f], sum,
                        1e-6 * mag + 1e-6)
                << "at " << b << "," << y << "," << xo << "," << f;
          }
  }
}

TEST(Conv, EveryVariantWithBiasAndReLU) {
  struct Variant {
    const char *name;
    ConvFn fn;
  } variants[] = {{"sse2", convSse2},
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
                  {"avx2", convAvx2},
                  {"avx512", convAvx512}
#endif
  };
  for (const Variant &v : variants) {
    if (!cpuRuns(v.name))
      continue;
    for (const ConvCase &k : kConvCases) {
      SCOPED_TRACE(v.name);
      ConvInput in(k);
      std::vector<float> bias = randomVector(k.f, 11);
      // Overwritten: what was there must not matter.
      std::vector<float> got(k.n * k.oh() * k.ow() * k.f, NAN);
      Epilogue ep{false, bias.data(), true};
      ConvArgs g{in.x.data(), in.xs0,
                 in.xs1,      in.xs2,
                 k.h,         k.w,
                 0,           0,
                 k.c,         k.kh,
                 k.kw,        k.oh(),
                 k.ow(),      k.sh,
                 k.sw,        k.dh,
                 k.dw,        in.w.data(),
                 k.f,         got.data(),
                 0,           k.n * k.oh() * k.ow(),
                 ep};
      v.fn(g);
      checkConvOutput(k, in, got, got, ep);
    }
  }
}

TEST(Conv, FilterGradientMatchesADirectLoop) {
  for (ConvCase k : {ConvCase{2, 9, 9, 1, 3, 3, 8, 1, 1, 1, 1},
                     ConvCase{3, 12, 10, 5, 3, 2, 7, 2, 1, 1, 2},
                     ConvCase{4, 30, 30, 13, 5, 5, 3, 1, 2, 2, 1}}) {
    int64_t oh = k.oh(), ow = k.ow();
    int64_t xs3 = 1, xs2 = k.c + 3, xs1 = k.w * xs2, xs0 = k.h * xs1;
    std::vector<float> x = randomVector(k.n * xs0, 11);
    std::vector<float> g = randomVector(k.n * oh * ow * k.f, 12);
    std::vector<float> dw0 = randomVector(k.kh * k.kw * k.c * k.f, 13);
    for (int64_t parts : {1, 4}) {
      std::vector<float> dw = dw0;
      for (int64_t p = 0; p < parts; ++p)
        nnc_conv2d_filter_grad_f32(ptr(x.data()), 0, k.n, k.c, xs0, xs1, xs2,
                                   xs3, ptr(g.data()), 0, oh, ow, k.f,
                                   ptr(dw.data()), 0, k.kh, k.kw, k.sh, k.sw,
                                   k.dh, k.dw, NNC_KERNEL_ACCUMULATE, p, parts);
      for (int64_t i = 0; i < k.kh; ++i)
        for (int64_t j = 0; j < k.kw; ++j)
          for (int64_t ch = 0; ch < k.c; ++ch)
            for (int64_t f = 0; f < k.f; ++f) {
              int64_t o = ((i * k.kw + j) * k.c + ch) * k.f + f;
              double sum = dw0[o], mag = std::fabs(sum);
              for (int64_t b = 0; b < k.n; ++b)
                for (int64_t y = 0; y < oh; ++y)
                  for (int64_t xo = 0; xo < ow; ++xo) {
                    double p = double(x[b * xs0 + (y * k.sh + i * k.dh) * xs1 +
                                        (xo * k.sw + j * k.dw) * xs2 + ch]) *
                               g[((b * oh + y) * ow + xo) * k.f + f];
                    sum += p;
                    mag += std::fabs(p);
                  }
              ASSERT_NEAR(dw[o], sum, 1e-6 * mag + 1e-6)
                  << "parts " << parts << " at " << i << "," << j << "," << ch
                  << "," << f;
            }
    }
  }
}

// Every variant's filter-gradient kernel on its own: full tiles of
// consecutive channels (c = 24), tiles crossing taps, strided channels
// (xs3 = 2), columns past a panel (f = 40) and several pixel blocks
// (n * oh * ow > 384); overwriting (NaN before) and accumulating.
TEST(Conv, FilterGradientEveryVariant) {
  struct Variant {
    const char *name;
    FilterGradFn fn;
  } variants[] = {{"sse2", filterGradSse2},
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
                  {"avx2", filterGradAvx2},
                  {"avx512", filterGradAvx512}
#endif
  };
  struct Case {
    ConvCase k;
    int64_t xs3;
  } cases[] = {{{2, 12, 11, 24, 3, 3, 40, 1, 1, 1, 1}, 1},
               {{3, 10, 9, 5, 2, 3, 7, 2, 1, 1, 2}, 2},
               {{4, 16, 16, 1, 3, 3, 32, 1, 1, 1, 1}, 1}};
  for (const Variant &v : variants) {
    if (!cpuRuns(v.name))
      continue;
    for (const Case &cs : cases) {
      const ConvCase &k = cs.k;
      SCOPED_TRACE(std::string(v.name) + " c " + std::to_string(k.c));
      ConvInput in(k, cs.xs3);
      int64_t oh = k.oh(), ow = k.ow(), taps = k.kh * k.kw * k.c;
      std::vector<float> g = randomVector(k.n * oh * ow * k.f, 12);
      std::vector<float> base = randomVector(taps * k.f, 13);
      for (bool accumulate : {false, true}) {
        std::vector<float> dw =
            accumulate ? base : std::vector<float>(base.size(), NAN);
        FilterGradArgs a{in.x.data(), in.xs0,
                         in.xs1,      in.xs2,
                         in.xs3,      k.n,
                         k.c,         k.kw,
                         oh,          ow,
                         k.sh,        k.sw,
                         k.dh,        k.dw,
                         g.data(),    k.f,
                         dw.data(),   0,
                         taps,        Epilogue{accumulate, nullptr, false}};
        v.fn(a);
        for (int64_t t = 0; t < taps; ++t)
          for (int64_t f = 0; f < k.f; ++f) {
            int64_t ch = t % k.c, kx = t / k.c % k.kw, ky = t / (k.c * k.kw);
            double sum = accumulate ? base[t * k.f + f] : 0.0;
            double mag = std::fabs(sum);
            for (int64_t b = 0; b < k.n; ++b)
              for (int64_t y = 0; y < oh; ++y)
                for (int64_t xo = 0; xo < ow; ++xo) {
                  double p =
                      double(in.x[b * in.xs0 + (y * k.sh + ky * k.dh) * in.xs1 +
                                  (xo * k.sw + kx * k.dw) * in.xs2 +
                                  ch * in.xs3]) *
                      g[((b * oh + y) * ow + xo) * k.f + f];
                  sum += p;
                  mag += std::fabs(p);
                }
            ASSERT_NEAR(dw[t * k.f + f], sum, 1e-6 * mag + 1e-6)
                << "tap " << t << " column " << f << " accumulate "
                << accumulate;
          }
      }
    }
  }
}

} // namespace
