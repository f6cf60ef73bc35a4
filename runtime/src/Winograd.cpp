//===- Winograd.cpp - 3x3 stride-1 convolutions with fewer products ------===//
//
// Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2016): each
// 2x2 block of output pixels of a 3x3, stride-1 convolution comes from a
// 4x4 input patch with 16 products per (channel, filter) pair instead of
// 36, a 2.25x cut in multiplications. For a slice of output pixels:
//
//   U = G g G^T        the filter, once per call: 16 matrices [C, F]
//   V = B^T d B        each 4x4 input patch: 16 rows of C per tile
//   M_k = V_k U_k      16 GEMMs [tiles, C] x [C, F] (the runtime's GEMM)
//   Y = A^T M A        each tile's 2x2 outputs, then bias and ReLU
//
// Tiles are processed in chunks that keep V and M in L2. An output pixel's
// value depends only on its tile, never on how the pixels are split between
// threads, so results stay bit-identical across thread counts. Results
// differ from the direct convolution by rounding only (the transforms add
// a few terms: within 1e-5 relative of it on the tests' data). Whether a
// layer pays is decided by winogradPays (measured on Zen 5 and Xeon).
//
//===----------------------------------------------------------------------===//
#include "Winograd.h"
#include "Gemm.h"
#include "nnc/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

/// G g G^T of filters [j, j + lanes) of channel ch: g points at tap
/// (0, 0) of the channel, taps cf apart; out[k * cf] gets element k.
template <typename T>
inline void filterTile(const float *g, int64_t cf, int64_t j, float *out) {
  T t[4][3];
  for (int kx = 0; kx < 3; ++kx) { // G g, column kx
    T g0 = load<T>(g + kx * cf + j), g1 = load<T>(g + (3 + kx) * cf + j),
      g2 = load<T>(g + (6 + kx) * cf + j);
    t[0][kx] = g0;
    t[1][kx] = 0.5f * (g0 + g1 + g2);
    t[2][kx] = 0.5f * (g0 - g1 + g2);
    t[3][kx] = g2;
  }
  for (int i = 0; i < 4; ++i) { // (G g) G^T, row i
    float *o = out + (i * 4) * cf + j;
    store(o, t[i][0]);
    store(o + cf, 0.5f * (t[i][0] + t[i][1] + t[i][2]));
    store(o + 2 * cf, 0.5f * (t[i][0] - t[i][1] + t[i][2]));
    store(o + 3 * cf, t[i][2]);
  }
}

/// U[k][c][f] = (G g G^T)[k] for the HWCF filter w[(ky*3 + kx)*c + ch][f],
/// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
NNC_CLONES void transformFilter(const float *w, int64_t c, int64_t f,
                                float *u) {
  const int64_t cf = c * f;
  for (int64_t ch = 0; ch < c; ++ch) {
    const float *g = w + ch * f;
    float *out = u + ch * f;
    int64_t j = 0;
    for (; j + 16 <= f; j += 16)
      filterTile<V16>(g, cf, j, out);
    for (; j < f; ++j)
      filterTile<float>(g, cf, j, out);
  }
}

/// B^T d B of channels [ch, ch + lanes) of one patch (d[i][j] points at
/// the patch's pixel (i, j)); out[k * stride] gets element k.
template <typename T>
inline void inputTile(const float *const (&d)[4][4], int64_t ch, float *out,
                      int64_t stride) {
  T r[4][4];
  for (int j = 0; j < 4; ++j) { // B^T d, column j
    T d0 = load<T>(d[0][j] + ch), d1 = load<T>(d[1][j] + ch),
      d2 = load<T>(d[2][j] + ch), d3 = load<T>(d[3][j] + ch);
    r[0][j] = d0 - d2;
    r[1][j] = d1 + d2;
    r[2][j] = d2 - d1;
    r[3][j] = d1 - d3;
  }
  for (int i = 0; i < 4; ++i) { // (B^T d) B, row i
    float *o = out + (i * 4) * stride + ch;
    store(o, r[i][0] - r[i][2]);
    store(o + stride, r[i][1] + r[i][2]);
    store(o + 2 * stride, r[i][2] - r[i][1]);
    store(o + 3 * stride, r[i][1] - r[i][3]);
  }
}

/// The tiles' input transforms: v[k][tile][c] = (B^T d B)[k] of the 4x4
/// patch d whose top-left input pixel is (2 ty - pt, 2 tx - pl), zeros
/// outside the image. B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
NNC_CLONES void transformInput(const ConvArgs &g, int64_t th, int64_t tw,
                               int64_t first, int64_t count, float *v,
                               const float *zeros) {
  const int64_t c = g.c, stride = count * c;
  for (int64_t t = 0; t < count; ++t) {
    int64_t tile = first + t;
    int64_t b = tile / (th * tw), ty = tile / tw % th, tx = tile % tw;
    const float *d[4][4];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        int64_t iy = 2 * ty - g.pt + i, ix = 2 * tx - g.pl + j;
        d[i][j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w
                      ? g.x + b * g.xs0 + iy * g.xs1 + ix * g.xs2
                      : zeros;
      }
    float *out = v + t * c;
    int64_t ch = 0;
    for (; ch + 16 <= c; ch += 16)
      inputTile<V16>(d, ch, out, stride);
    for (; ch < c; ++ch)
      inputTile<float>(d, ch, out, stride);
  }
}

/// A^T M A of filters [j, j + lanes) of one tile, then the epilogue, into
/// the pixels dst[i][k] (null: not this call's).
template <typename T>
inline void outputTile(const float *src, int64_t stride, int64_t j,
                       const Epilogue &ep, float *const (&dst)[2][2]) {
  T s[16];
  for (int k = 0; k < 16; ++k)
    s[k] = load<T>(src + k * stride + j);
  T a[2][4];
  for (int col = 0; col < 4; ++col) {
    a[0][col] = s[col] + s[4 + col] + s[8 + col];
    a[1][col] = s[4 + col] - s[8 + col] - s[12 + col];
  }
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k) {
      float *o = dst[i][k];
      if (!o)
        continue;
      T val =
          k == 0 ? a[i][0] + a[i][1] + a[i][2] : a[i][1] - a[i][2] - a[i][3];
      if (ep.accumulate)
        val += load<T>(o + j);
      if (ep.bias)
        val += load<T>(ep.bias + j);
      if (ep.relu)
        val = reluOf(val);
      store(o + j, val);
    }
}

/// The tiles' outputs: Y = A^T M A (A^T = [1 1 1 0; 0 1 -1 -1]) for every
/// filter, then the epilogue, written for the pixels in [begin, end).
NNC_CLONES void transformOutput(const ConvArgs &g, int64_t th, int64_t tw,
                                int64_t first, int64_t count, const float *m) {
  const int64_t f = g.f, stride = count * f;
  for (int64_t t = 0; t < count; ++t) {
    int64_t tile = first + t;
    int64_t b = tile / (th * tw), ty = tile / tw % th, tx = tile % tw;
    float *dst[2][2];
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 2; ++k) {
        int64_t y = 2 * ty + i, x = 2 * tx + k;
        int64_t p = (b * g.oh + y) * g.ow + x;
        dst[i][k] = y < g.oh && x < g.ow && p >= g.begin && p < g.end
                        ? g.out + p * f
                        : nullptr;
      }
    const float *src = m + t * f;
    int64_t j = 0;
    for (; j + 16 <= f; j += 16)
      outputTile<V16>(src, stride, j, g.ep, dst);
    for (; j < f; ++j)
      outputTile<float>(src, stride, j, g.ep, dst);
  }
}

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
  bool applies = g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 &&
                 g.dh == 1 && g.dw == 1;
  if (mode >= 0)
    return applies && mode == 1;
  return nnc_conv2d_winograd_pays(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.c, g.f,
                                  g.oh, g.ow);
}

void winogradConv(const ConvArgs &g) {
  if (g.begin >= g.end)
    return;
  const int64_t c = g.c, f = g.f;
  const int64_t th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2;
  // The tile rows that hold pixels [begin, end).
  int64_t last = g.end - 1;
  int64_t b0 = g.begin / (g.oh * g.ow), y0 = g.begin / g.ow % g.oh;
  int64_t b1 = last / (g.oh * g.ow), y1 = last / g.ow % g.oh;
  int64_t firstTile = (b0 * th + y0 / 2) * tw;
  int64_t endTile = (b1 * th + y1 / 2 + 1) * tw;
  // Chunks of tiles whose V and M (16 x tiles x (c + f) floats) fit in
  // about 512 KB of L2, in whole 12-row GEMM tiles.
  int64_t chunk = std::clamp<int64_t>(8192 / (c + f) / 12 * 12, 12, 240);
  Buffers &buf = buffers;
  buf.u.resize(size_t(16 * c * f));
  buf.v.resize(size_t(16 * chunk * c));
  buf.m.resize(size_t(16 * chunk * f));
  buf.zeros.assign(size_t(c), 0.0f);
  transformFilter(g.filter, c, f, buf.u.data());
  GemmFn gemm = bestGemm();
  for (int64_t t0 = firstTile; t0 < endTile; t0 += chunk) {
    int64_t count = std::min(chunk, endTile - t0);
    transformInput(g, th, tw, t0, count, buf.v.data(), buf.zeros.data());
    for (int64_t k = 0; k < 16; ++k) {
      Epilogue overwrite;
      overwrite.accumulate = false;
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
    transformOutput(g, th, tw, t0, count, buf.m.data());
  }
}

} // namespace nnc_rt
