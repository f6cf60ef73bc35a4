//===- GemmAvx512Vnni.cpp - int8 products and convolutions (AVX512-VNNI) --===//
//
// The kernels behind NNC_KERNEL_INT8 (`nnc build --quantize=int8`):
// activations are quantized at each call, symmetrically, to
// round(v / s) + 128 (unsigned bytes, what `vpdpbusd` multiplies; s =
// max |v| / 127 over a row of a product's A, or over one image of a
// convolution's input), weights once per output column (Int8Weights.cpp).
// Each `vpdpbusd` adds four u8 x s8 products to 16 int32 sums: four times
// the multiplications of an f32 FMA, from a quarter of the bytes. The sum
// of column j, minus 128 * sum(q[., j]), times s_row * s_j, is the f32
// result, then the epilogue (accumulate, bias, ReLU) as in f32.
//
// Integer sums are exact and each element's scales do not depend on the
// slicing, so results are the same for any thread count. A row (an image)
// holding a NaN or an infinity is computed in f32 instead, so that it
// propagates as in f32.
//
// Compiled with the ISA's flags (runtime/CMakeLists.txt) and only called
// on CPUs with AVX512-VNNI and AVX512-BW (Gemm.cpp).
//
//===----------------------------------------------------------------------===//
#include "Int8.h"

#include <immintrin.h>

#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <utility>

namespace nnc_rt {
namespace {

/// max |x[i * s]| over n elements; -1 when one is a NaN or an infinity.
float maxAbs(const float *x, int64_t s, int64_t n) {
  const __m512 big = _mm512_set1_ps(FLT_MAX);
  __m512 mx = _mm512_setzero_ps();
  __mmask16 bad = 0;
  int64_t i = 0;
  if (s == 1)
    for (; i + 16 <= n; i += 16) {
      __m512 v = _mm512_abs_ps(_mm512_loadu_ps(x + i));
      bad |= _mm512_cmp_ps_mask(v, big, _CMP_NLE_UQ); // NaN or infinite
      mx = _mm512_max_ps(mx, v);
    }
  float m = _mm512_reduce_max_ps(mx);
  for (; i < n; ++i) {
    float v = std::fabs(x[i * s]);
    if (!(v <= FLT_MAX))
      return -1.0f;
    m = std::max(m, v);
  }
  return bad ? -1.0f : m;
}

/// The scale of values whose largest magnitude is `mx` (-1: not finite).
float scaleOf(float mx) { return mx < 0.0f ? -1.0f : mx > 0.0f ? mx / 127 : 1; }

/// q[i] = round(x[i * s] / scale) + 128 for n elements.
void quantizeRun(const float *x, int64_t s, int64_t n, float scale,
                 uint8_t *q) {
  float inv = 1.0f / scale;
  int64_t i = 0;
  if (s == 1) {
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i off = _mm512_set1_epi32(128);
    for (; i + 16 <= n; i += 16) {
      __m512i v = _mm512_cvtps_epi32(
          _mm512_mul_ps(_mm512_loadu_ps(x + i), vinv)); // to nearest even
      v = _mm512_max_epi32(_mm512_add_epi32(v, off), _mm512_set1_epi32(1));
      _mm_storeu_si128(reinterpret_cast<__m128i *>(q + i),
                       _mm512_cvtusepi32_epi8(v));
    }
  }
  for (; i < n; ++i) {
    long v = std::lrint(x[i * s] * inv) + 128;
    q[i] = uint8_t(std::min(255L, std::max(1L, v)));
  }
}

/// Where a tile's sums go: C at the tile's first row and column j0, the
/// rows' scales (a negative one: the row runs in f32 instead, skipped).
struct TileOut {
  const float *sa;
  const Int8Weights *w;
  int64_t j0;
  float *c;
  int64_t ldc;
  const Epilogue *ep;
};

/// Output columns [j, j + 16) of one row from its int32 sums: minus the
/// +128 offset, times the row's and the columns' scales, then the epilogue.
inline void storeSums(__m512i sums, float rowScale, int64_t j, float *cp,
                      const TileOut &o) {
  const Int8Weights &w = *o.w;
  __mmask16 mask = w.n - j >= 16 ? 0xffff : (1u << (w.n - j)) - 1;
  __m512i s = _mm512_sub_epi32(sums, _mm512_loadu_si512(&w.offset[j]));
  __m512 v = _mm512_mul_ps(
      _mm512_cvtepi32_ps(s),
      _mm512_mul_ps(_mm512_set1_ps(rowScale), _mm512_loadu_ps(&w.scale[j])));
  if (o.ep->accumulate)
    v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, cp), v);
  if (o.ep->bias)
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, o.ep->bias + j));
  if (o.ep->relu)
    v = _mm512_max_ps(v, _mm512_setzero_ps());
  _mm512_mask_storeu_ps(cp, mask, v);
}

/// R rows x P panels of 16 columns: the sums over l < kp (a multiple of 4)
/// of a[r * lda + l] times panel p's column, kept in registers and stored
/// through storeSums.
template <int R, int P>
void tile(const uint8_t *a, int64_t lda, const int8_t *b, int64_t kp,
          const TileOut &o) {
  __m512i c[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p)
      c[r][p] = _mm512_setzero_si512();
  for (int64_t l = 0; l < kp; l += 4) {
    __m512i bv[P];
    for (int p = 0; p < P; ++p)
      bv[p] = _mm512_loadu_si512(b + p * kp * 16 + l * 16);
    for (int r = 0; r < R; ++r) {
      int32_t word;
      std::memcpy(&word, a + r * lda + l, 4);
      __m512i av = _mm512_set1_epi32(word);
      for (int p = 0; p < P; ++p)
        c[r][p] = _mm512_dpbusd_epi32(c[r][p], av, bv[p]);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (o.sa[r] < 0.0f)
      continue;
    for (int p = 0; p < P && o.j0 + p * 16 < o.w->n; ++p)
      storeSums(c[r][p], o.sa[r], o.j0 + p * 16, o.c + r * o.ldc + p * 16, o);
  }
}

using TileFn = void (*)(const uint8_t *, int64_t, const int8_t *, int64_t,
                        const TileOut &);
constexpr int kMaxR = 8, kMaxP = 8, kMaxTile = 16; // R * P <= 16 registers

template <int R, int... Ps>
constexpr std::array<TileFn, kMaxP> tileRow(std::integer_sequence<int, Ps...>) {
  return {{(R * (Ps + 1) <= kMaxTile ? &tile<R, Ps + 1> : nullptr)...}};
}
template <int... Rs>
constexpr std::array<std::array<TileFn, kMaxP>, kMaxR>
tileTable(std::integer_sequence<int, Rs...>) {
  return {{tileRow<Rs + 1>(std::make_integer_sequence<int, kMaxP>())...}};
}
constexpr auto kTiles = tileTable(std::make_integer_sequence<int, kMaxR>());

/// C[i, j] for `rows` quantized rows (aq, kp bytes apart; scales sa) and
/// the columns of panels [p0, p1); c is C's row 0, column 0.
void product(const uint8_t *aq, const float *sa, int64_t rows,
             const Int8Weights &w, int64_t p0, int64_t p1, float *c,
             int64_t ldc, const Epilogue &ep) {
  const int pmax = rows <= 2 ? kMaxP : 4;
  for (int64_t p = p0; p < p1;) {
    int P = int(std::min<int64_t>(pmax, p1 - p));
    int rmax = kMaxTile / P;
    for (int64_t i = 0; i < rows;) {
      int R = int(std::min<int64_t>(std::min(rmax, kMaxR), rows - i));
      TileOut o{sa + i, &w, p * 16, c + i * ldc + p * 16, ldc, &ep};
      kTiles[R - 1][P - 1](aq + i * w.kp, w.kp, &w.q[p * w.kp * 16], w.kp, o);
      i += R;
    }
    p += P;
  }
}

/// Per-thread buffers of quantized rows and their scales.
struct Scratch {
  std::vector<uint8_t> rows, image;
  std::vector<float> scales;
};
Scratch &scratch() {
  thread_local Scratch s;
  return s;
}

} // namespace

bool gemmInt8(const GemmArgs &g, int64_t part, int64_t parts) {
  std::shared_ptr<const Int8Weights> w =
      int8Weights(g.b, g.k, g.n, g.bs0, g.bs1);
  if (!w->finite)
    return false;
  // Columns when there are enough panels, else rows (as nnc_sgemm).
  int64_t panels = w->np / 16, r0 = 0, r1 = g.m, p0 = 0, p1 = panels;
  if (parts > 1) {
    if (panels >= parts && (g.n >= g.m || (g.m + 3) / 4 < parts))
      sliceUnits(panels, 1, part, parts, p0, p1);
    else
      sliceUnits(g.m, 4, part, parts, r0, r1);
  }
  int64_t rows = r1 - r0;
  if (rows <= 0 || p0 >= p1)
    return true;
  Scratch &s = scratch();
  s.rows.resize(rows * w->kp);
  s.scales.resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    const float *a = g.a + (r0 + i) * g.as0;
    uint8_t *q = &s.rows[i * w->kp];
    s.scales[i] = scaleOf(maxAbs(a, g.as1, g.k));
    int64_t done = s.scales[i] > 0.0f ? g.k : 0; // a NaN row: all zeros
    quantizeRun(a, g.as1, done, s.scales[i], q);
    std::memset(q + done, 128, w->kp - done);
  }
  float *c = g.c + r0 * g.ldc;
  product(s.rows.data(), s.scales.data(), rows, *w, p0, p1, c, g.ldc, g.ep);
  // Rows with a NaN or an infinity: f32, so that it propagates.
  int64_t j0 = p0 * 16, j1 = std::min(g.n, p1 * 16);
  for (int64_t i = 0; i < rows; ++i)
    if (s.scales[i] < 0.0f) {
      GemmArgs r = g;
      r.m = 1;
      r.n = j1 - j0;
      r.a = g.a + (r0 + i) * g.as0;
      r.b = g.b + j0 * g.bs1;
      r.c = c + i * g.ldc + j0;
      r.direct = true;
      if (r.ep.bias)
        r.ep.bias += j0;
      bestGemm()(r);
    }
  return true;
}

namespace {

/// The runs of image `img` that are contiguous in memory: the whole image,
/// its rows, or its pixels; `fn(x, first, n)` for each (first: the index of
/// its first value in the h x w x c image).
template <typename Fn> void forEachRun(const ConvArgs &g, int64_t img, Fn fn) {
  const float *x = g.x + img * g.xs0;
  if (g.xs2 == g.c && g.xs1 == g.w * g.c) {
    fn(x, 0, g.h * g.w * g.c);
  } else if (g.xs2 == g.c) {
    for (int64_t y = 0; y < g.h; ++y)
      fn(x + y * g.xs1, y * g.w * g.c, g.w * g.c);
  } else {
    for (int64_t y = 0; y < g.h; ++y)
      for (int64_t i = 0; i < g.w; ++i)
        fn(x + y * g.xs1 + i * g.xs2, (y * g.w + i) * g.c, g.c);
  }
}

/// max |v| over image `img`; -1 when it holds a NaN or an infinity.
float imageMaxAbs(const ConvArgs &g, int64_t img) {
  float mx = 0.0f;
  forEachRun(g, img, [&](const float *x, int64_t, int64_t n) {
    float m = mx < 0.0f ? -1.0f : maxAbs(x, 1, n);
    mx = m < 0.0f ? -1.0f : std::max(mx, m);
  });
  return mx;
}

/// n bytes in 64-byte loads and stores, which may read and write up to 63
/// bytes past both ends (the buffers have that slack, and the runs of an
/// im2col row are written in order): these runs are short (3 bytes for
/// one channel), and masked stores are slow on some CPUs.
constexpr int64_t kSlack = 64;
inline void copyBytes(uint8_t *dst, const uint8_t *src, int64_t n) {
  for (int64_t i = 0; i < n; i += 64)
    _mm512_storeu_si512(dst + i, _mm512_loadu_si512(src + i));
}

/// n quantized zeros (128), with copyBytes' overrun.
inline void fillZeros(uint8_t *dst, int64_t n) {
  const __m512i z = _mm512_set1_epi8(char(128));
  for (int64_t i = 0; i < n; i += 64)
    _mm512_storeu_si512(dst + i, z);
}

/// The im2col row of output pixel `pix` of a quantized image: its window's
/// taps, 128 (zero) outside the image and past k. A window row inside the
/// image with dilation 1 is one run of kw * c bytes.
void windowRow(const ConvArgs &g, const uint8_t *img, int64_t pix, int64_t kp,
               uint8_t *row) {
  int64_t y = pix / g.ow, x = pix % g.ow;
  int64_t ix0 = x * g.sw - g.pl;
  bool inside = g.dw == 1 && ix0 >= 0 && ix0 + g.kw <= g.w;
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    int64_t iy = y * g.sh + ky * g.dh - g.pt;
    uint8_t *dst = row + ky * g.kw * g.c;
    if (iy < 0 || iy >= g.h) {
      fillZeros(dst, g.kw * g.c);
    } else if (inside) {
      copyBytes(dst, img + (iy * g.w + ix0) * g.c, g.kw * g.c);
    } else {
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        int64_t ix = ix0 + kx * g.dw;
        if (ix < 0 || ix >= g.w)
          fillZeros(dst + kx * g.c, g.c);
        else
          copyBytes(dst + kx * g.c, img + (iy * g.w + ix) * g.c, g.c);
      }
    }
  }
  int64_t k = g.kh * g.kw * g.c;
  fillZeros(row + k, kp - k);
}

} // namespace

bool convInt8(const ConvArgs &g) {
  int64_t k = g.kh * g.kw * g.c, perImage = g.oh * g.ow;
  std::shared_ptr<const Int8Weights> w = int8Weights(g.filter, k, g.f, g.f, 1);
  if (!w->finite || g.begin >= g.end)
    return w->finite;
  constexpr int64_t kBlock = 64; // pixels per im2col block
  Scratch &s = scratch();
  s.image.resize(g.h * g.w * g.c + kSlack);
  s.rows.resize(kBlock * w->kp + kSlack);
  for (int64_t img = g.begin / perImage; img * perImage < g.end; ++img) {
    int64_t first = std::max(g.begin, img * perImage);
    int64_t last = std::min(g.end, (img + 1) * perImage);
    float scale = scaleOf(imageMaxAbs(g, img));
    if (scale < 0.0f) {
      // A NaN or an infinity in this image: its pixels in f32.
      ConvArgs f = g;
      f.begin = first;
      f.end = last;
      bestConv()(f);
      continue;
    }
    forEachRun(g, img, [&](const float *x, int64_t first, int64_t n) {
      quantizeRun(x, 1, n, scale, &s.image[first]);
    });
    s.scales.assign(kBlock, scale);
    for (int64_t p = first; p < last; p += kBlock) {
      int64_t rows = std::min(kBlock, last - p);
      for (int64_t i = 0; i < rows; ++i)
        windowRow(g, s.image.data(), p + i - img * perImage, w->kp,
                  &s.rows[i * w->kp]);
      product(s.rows.data(), s.scales.data(), rows, *w, 0, w->np / 16,
              g.out + p * g.f, g.f, g.ep);
    }
  }
  return true;
}

} // namespace nnc_rt
