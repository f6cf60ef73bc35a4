//===- Winograd.cpp - 3x3 stride-1 convolutions with fewer products ------===//
//
// Winograd's minimal filtering F(m x m, 3 x 3) (Lavin and Gray, 2016): each
// m x m block of output pixels of a 3x3, stride-1 convolution comes from an
// n x n input patch (n = m + 2) with n^2 products per (channel, filter)
// pair instead of 9 m^2: F(2x2) 16 instead of 36, F(4x4) 36 instead of
// 144. For a slice of output pixels:
//
//   U = G g G^T        the filter, once per call: n^2 matrices [C, F]
//   V = B^T d B        each n x n input patch: n^2 rows of C per tile
//   P_k = V_k U_k      n^2 GEMMs [tiles, C] x [C, F] (the runtime's GEMM)
//   Y = A^T P A        each tile's m x m outputs, then bias and ReLU
//
// Tiles are processed in chunks that keep V and P in L2. An output pixel's
// value depends only on its tile, never on how the pixels are split between
// threads, so results stay bit-identical across thread counts. Results
// differ from the direct convolution by rounding only (within 1e-5
// relative on the tests' data). Whether a layer takes this path, and which
// m, is the measured rule of winogradPays and winogradTile (Zen 5).
//
//===----------------------------------------------------------------------===//
#include "Winograd.h"
#include "Gemm.h"
#include "nnc/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#if defined(__x86_64__) && defined(NNC_X86_KERNELS) && defined(__clang__)
// The transforms are loops over channels; one clone per vector width.
#define NNC_CLONES                                                             \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NNC_CLONES
#endif

namespace nnc_rt {
namespace {

/// 16 floats at once (one AVX-512 register, two AVX ones), or one: the
/// transforms run over channels (filters) with both, the tail with floats.
typedef float V16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));

template <typename T> inline T load(const float *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T> inline void store(float *p, T v) {
  std::memcpy(p, &v, sizeof v);
}
inline float reluOf(float v) { return v > 0.0f || v != v ? v : 0.0f; }
inline V16 reluOf(V16 v) { // max(v, 0) with NaN kept
  I16 keep = (v > 0.0f) | (v != v);
  return (V16)((I16)v & keep);
}

/// body(V16{}, j) for j = 0, 16, ... while 16 lanes remain below n, then
/// body(0.0f, j) for each j left: a transform over channels (filters) in
/// vectors, the tail in floats (the argument's type picks the width).
template <typename Body>
[[gnu::always_inline]] inline void overLanes(int64_t n, Body body) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    body(V16{}, j);
  for (; j < n; ++j)
    body(0.0f, j);
}

/// The 1-D transforms of F(m, 3): the filter's 3 taps to n = m + 2
/// values (G), an input row of n to n (B^T), n products to m outputs (A^T).
/// Written out so that no multiplication by 0 or 1 is left.
template <int M> struct Tile;

template <> struct Tile<2> { // Lavin and Gray's F(2, 3)
  static constexpr int N = 4;
  template <typename T> static void filter(const T (&g)[3], T (&u)[N]) {
    u[0] = g[0];
    u[1] = 0.5f * (g[0] + g[1] + g[2]);
    u[2] = 0.5f * (g[0] - g[1] + g[2]);
    u[3] = g[2];
  }
  template <typename T> static void input(const T (&d)[N], T (&r)[N]) {
    r[0] = d[0] - d[2];
    r[1] = d[1] + d[2];
    r[2] = d[2] - d[1];
    r[3] = d[1] - d[3];
  }
  template <typename T> static void output(const T (&m)[N], T (&y)[2]) {
    y[0] = m[0] + m[1] + m[2];
    y[1] = m[1] - m[2] - m[3];
  }
};

template <> struct Tile<4> { // F(4, 3), points 0, -1, 1, -2, 2 and infinity
  static constexpr int N = 6;
  template <typename T> static void filter(const T (&g)[3], T (&u)[N]) {
    T even = g[0] + g[2], quarter = 0.25f * g[0] + g[2];
    u[0] = 0.25f * g[0];
    u[1] = (-1.0f / 6.0f) * (even + g[1]);
    u[2] = (-1.0f / 6.0f) * (even - g[1]);
    u[3] = (1.0f / 6.0f) * (quarter + 0.5f * g[1]);
    u[4] = (1.0f / 6.0f) * (quarter - 0.5f * g[1]);
    u[5] = g[2];
  }
  template <typename T> static void input(const T (&d)[N], T (&r)[N]) {
    T a = d[4] - 4.0f * d[2], b = d[3] - 4.0f * d[1];
    T c = d[4] - d[2], e = 2.0f * (d[3] - d[1]);
    r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    r[1] = a + b;
    r[2] = a - b;
    r[3] = c + e;
    r[4] = c - e;
    r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
  }
  template <typename T> static void output(const T (&m)[N], T (&y)[4]) {
    T a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
    y[0] = m[0] + a + c;
    y[1] = b + 2.0f * d;
    y[2] = a + 4.0f * c;
    y[3] = b + 8.0f * d + m[5];
  }
};

/// The transformed filter of filters [j, j + lanes) of channel ch: g
/// points at tap (0, 0) of the channel, taps cf apart; out[k * cf] gets
/// element k of the n x n transform.
template <int M, typename T>
inline void filterTile(const float *g, int64_t cf, int64_t j, float *out) {
  constexpr int N = Tile<M>::N;
  T t[N][3];
  for (int kx = 0; kx < 3; ++kx) { // G g, column kx
    T col[3] = {load<T>(g + kx * cf + j), load<T>(g + (3 + kx) * cf + j),
                load<T>(g + (6 + kx) * cf + j)};
    T u[N];
    Tile<M>::filter(col, u);
    for (int i = 0; i < N; ++i)
      t[i][kx] = u[i];
  }
  for (int i = 0; i < N; ++i) { // (G g) G^T, row i
    T u[N];
    Tile<M>::filter(t[i], u);
    for (int k = 0; k < N; ++k)
      store(out + (i * N + k) * cf + j, u[k]);
  }
}

/// U[k][c][f]: the n x n transform of each channel's 3x3 filter of the
/// HWCF filter w[(ky*3 + kx)*c + ch][f].
template <int M>
[[gnu::always_inline]] inline void transformFilterOf(const float *w, int64_t c,
                                                     int64_t f, float *u) {
  const int64_t cf = c * f;
  for (int64_t ch = 0; ch < c; ++ch) {
    const float *g = w + ch * f;
    float *out = u + ch * f;
    overLanes(f, [&](auto lanes, int64_t j) {
      filterTile<M, decltype(lanes)>(g, cf, j, out);
    });
  }
}

/// B^T d B of channels [ch, ch + lanes) of one patch (d[i][j] points at
/// the patch's pixel (i, j)); out[k * stride] gets element k.
template <int M, typename T>
inline void inputTile(const float *const (&d)[Tile<M>::N][Tile<M>::N],
                      int64_t ch, float *out, int64_t stride) {
  constexpr int N = Tile<M>::N;
  T r[N][N];
  for (int j = 0; j < N; ++j) { // B^T d, column j
    T col[N], t[N];
    for (int i = 0; i < N; ++i)
      col[i] = load<T>(d[i][j] + ch);
    Tile<M>::input(col, t);
    for (int i = 0; i < N; ++i)
      r[i][j] = t[i];
  }
  for (int i = 0; i < N; ++i) { // (B^T d) B, row i
    T t[N];
    Tile<M>::input(r[i], t);
    for (int k = 0; k < N; ++k)
      store(out + (i * N + k) * stride + ch, t[k]);
  }
}

/// The tiles' input transforms: v[k][tile][c], the k-th element of
/// B^T d B for the n x n patch d whose top-left input pixel is
/// (m ty - pt, m tx - pl), zeros outside the image.
template <int M>
[[gnu::always_inline]] inline void
transformInputOf(const ConvArgs &g, int64_t th, int64_t tw, int64_t first,
                 int64_t count, float *v, const float *zeros) {
  constexpr int N = Tile<M>::N;
  const int64_t c = g.c, stride = count * c;
  for (int64_t t = 0; t < count; ++t) {
    int64_t tile = first + t;
    int64_t b = tile / (th * tw), ty = tile / tw % th, tx = tile % tw;
    const float *d[N][N];
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j) {
        int64_t iy = M * ty - g.pt + i, ix = M * tx - g.pl + j;
        d[i][j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w
                      ? g.x + b * g.xs0 + iy * g.xs1 + ix * g.xs2
                      : zeros;
      }
    float *out = v + t * c;
    overLanes(c, [&](auto lanes, int64_t ch) {
      inputTile<M, decltype(lanes)>(d, ch, out, stride);
    });
  }
}

/// A^T P A of filters [j, j + lanes) of one tile (P: its n x n products),
/// then the epilogue, into the pixels dst[i][k] (null: not this call's).
template <int M, typename T>
inline void outputTile(const float *src, int64_t stride, int64_t j,
                       const Epilogue &ep, float *const (&dst)[M][M]) {
  constexpr int N = Tile<M>::N;
  T a[M][N];
  for (int col = 0; col < N; ++col) { // A^T P, column col
    T p[N], y[M];
    for (int r = 0; r < N; ++r)
      p[r] = load<T>(src + (r * N + col) * stride + j);
    Tile<M>::output(p, y);
    for (int i = 0; i < M; ++i)
      a[i][col] = y[i];
  }
  for (int i = 0; i < M; ++i) { // (A^T P) A, row i
    T y[M];
    Tile<M>::output(a[i], y);
    for (int k = 0; k < M; ++k) {
      float *o = dst[i][k];
      if (!o)
        continue;
      T val = y[k];
      if (ep.accumulate)
        val += load<T>(o + j);
      if (ep.bias)
        val += load<T>(ep.bias + j);
      if (ep.relu)
        val = reluOf(val);
      store(o + j, val);
    }
  }
}

/// The tiles' outputs for every filter, then the epilogue, written for the
/// pixels in [begin, end).
template <int M>
[[gnu::always_inline]] inline void
transformOutputOf(const ConvArgs &g, int64_t th, int64_t tw, int64_t first,
                  int64_t count, const float *m) {
  const int64_t f = g.f, stride = count * f;
  for (int64_t t = 0; t < count; ++t) {
    int64_t tile = first + t;
    int64_t b = tile / (th * tw), ty = tile / tw % th, tx = tile % tw;
    float *dst[M][M];
    for (int i = 0; i < M; ++i)
      for (int k = 0; k < M; ++k) {
        int64_t y = M * ty + i, x = M * tx + k;
        int64_t p = (b * g.oh + y) * g.ow + x;
        dst[i][k] = y < g.oh && x < g.ow && p >= g.begin && p < g.end
                        ? g.out + p * f
                        : nullptr;
      }
    const float *src = m + t * f;
    overLanes(f, [&](auto lanes, int64_t j) {
      outputTile<M, decltype(lanes)>(src, stride, j, g.ep, dst);
    });
  }
}

/// The transforms of each tile size, one clone per vector ISA (clones
/// cannot be templates: the templates above are inlined into them).
#define NNC_TRANSFORMS(M)                                                      \
  NNC_CLONES void transformFilter##M(const float *w, int64_t c, int64_t f,     \
                                     float *u) {                               \
    transformFilterOf<M>(w, c, f, u);                                          \
  }                                                                            \
  NNC_CLONES void transformInput##M(const ConvArgs &g, int64_t th, int64_t tw, \
                                    int64_t first, int64_t count, float *v,    \
                                    const float *zeros) {                      \
    transformInputOf<M>(g, th, tw, first, count, v, zeros);                    \
  }                                                                            \
  NNC_CLONES void transformOutput##M(const ConvArgs &g, int64_t th,            \
                                     int64_t tw, int64_t first, int64_t count, \
                                     const float *m) {                         \
    transformOutputOf<M>(g, th, tw, first, count, m);                          \
  }
NNC_TRANSFORMS(2)
NNC_TRANSFORMS(4)
#undef NNC_TRANSFORMS

/// Per-thread buffers, grown to the largest call and kept.
struct Buffers {
  std::vector<float> u, v, m, zeros;
};
thread_local Buffers buffers;

} // namespace

bool winogradPays(const ConvArgs &g) {
  static const int mode = [] {
    const char *e = std::getenv("NNC_WINOGRAD");
    return e && *e == '0' ? 0 : e && *e == '1' ? 1 : -1;
  }();
  if (mode >= 0)
    return mode == 1 &&
           nnc_conv2d_winograd_applies(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw);
  return nnc_conv2d_winograd_pays(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.c, g.f,
                                  g.oh, g.ow);
}

namespace {
/// F(m x m, 3 x 3) over pixels [begin, end) of `g`; false (nothing done)
/// when its buffers cannot be had.
template <int M> bool convolve(const ConvArgs &g) {
  constexpr int N = Tile<M>::N, NN = N * N;
  const int64_t c = g.c, f = g.f;
  const int64_t th = (g.oh + M - 1) / M, tw = (g.ow + M - 1) / M;
  // The tile rows that hold pixels [begin, end).
  int64_t last = g.end - 1;
  int64_t b0 = g.begin / (g.oh * g.ow), y0 = g.begin / g.ow % g.oh;
  int64_t b1 = last / (g.oh * g.ow), y1 = last / g.ow % g.oh;
  int64_t firstTile = (b0 * th + y0 / M) * tw;
  int64_t endTile = (b1 * th + y1 / M + 1) * tw;
  // Chunks of tiles whose V and P (n^2 x tiles x (c + f) floats) fit in
  // about 512 KB of L2, in whole 12-row GEMM tiles.
  int64_t chunk =
      std::clamp<int64_t>(131072 / (NN * (c + f)) / 12 * 12, 12, 240);
  Buffers &buf = buffers;
  try {
    buf.u.resize(size_t(NN * c * f));
    buf.v.resize(size_t(NN * chunk * c));
    buf.m.resize(size_t(NN * chunk * f));
    buf.zeros.assign(size_t(c), 0.0f);
  } catch (const std::bad_alloc &) {
    buf = Buffers(); // the direct kernel needs none of this
    return false;
  }
  if constexpr (M == 2)
    transformFilter2(g.filter, c, f, buf.u.data());
  else
    transformFilter4(g.filter, c, f, buf.u.data());
  GemmFn gemm = gemmFor(g.bf16);
  Epilogue overwrite;
  overwrite.accumulate = false;
  for (int64_t t0 = firstTile; t0 < endTile; t0 += chunk) {
    int64_t count = std::min(chunk, endTile - t0);
    if constexpr (M == 2)
      transformInput2(g, th, tw, t0, count, buf.v.data(), buf.zeros.data());
    else
      transformInput4(g, th, tw, t0, count, buf.v.data(), buf.zeros.data());
    for (int64_t k = 0; k < NN; ++k) {
      GemmArgs mm{count,
                  f,
                  c,
                  buf.v.data() + k * count * c,
                  c,
                  1,
                  buf.u.data() + k * c * f,
                  f,
                  1,
                  buf.m.data() + k * count * f,
                  f,
                  nullptr,
                  nullptr,
                  false,
                  overwrite};
      gemm(mm);
    }
    if constexpr (M == 2)
      transformOutput2(g, th, tw, t0, count, buf.m.data());
    else
      transformOutput4(g, th, tw, t0, count, buf.m.data());
  }
  return true;
}
} // namespace

int winogradTile(int64_t pixels) {
  // F(4x4) needs 2.25 products per output against F(2x2)'s 4, but its
  // transforms of 6x6 patches and filters cost more per call: it pays on
  // large calls (Zen 5, cnn.nn's 24x24 layer: 5 % faster at batch 64,
  // 1.6x slower at batch 1).
  return pixels >= 16384 ? 4 : 2;
}

bool winogradConv(const ConvArgs &g, int tile) {
  if (g.begin >= g.end)
    return true;
  return tile == 4 ? convolve<4>(g) : convolve<2>(g);
}

} // namespace nnc_rt
