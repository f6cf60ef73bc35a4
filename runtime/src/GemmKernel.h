//===- GemmKernel.h - A packed, register-blocked f32 GEMM -------*- C++ -*-===//
//
// Included once per vector ISA (GemmAvx512.cpp, GemmAvx2.cpp,
// GemmSse2.cpp), each compiled with that ISA's flags and defining
// NNC_GEMM_VL (floats per vector), NNC_GEMM_MR (rows of the register tile)
// and NNC_GEMM_NAME. The structure is the classic one (Goto & van de
// Geijn): B is packed into k x NR column panels per [KC x NC] block, A into
// MR x k row panels per [MC x KC] block, and an MR x NR micro-kernel keeps
// its tile of C in 2*MR vector registers over the k loop (one broadcast of
// A and two vector loads of B per k, all multiply-adds fused). The packing
// reads any strides, so transposed operands need no copies; partial tiles
// are zero-padded in the panels and written through a small buffer.
//
// NNC_CONV_NAME is the same micro-kernel reading A straight from a
// convolution's NHWC input (a direct convolution): each row of the tile
// is an output pixel, each k step one channel of one filter tap, so the
// im2col matrix is neither stored nor gathered. NNC_FILTER_GRAD_NAME, the
// filter gradient, likewise: each row of the tile is a filter tap, each k
// step an output pixel whose window it reads in place.
//
// With NNC_GEMM_HELPERS_ONLY only the packing, scratch and epilogue
// helpers are defined, for GemmAvx512Bf16.cpp's bf16 kernels.
//
//===----------------------------------------------------------------------===//
#include "AllocFailure.h"
#include "Gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace nnc_rt {
namespace {

constexpr int VL = NNC_GEMM_VL;
constexpr int MR = NNC_GEMM_MR;
constexpr int NR = 2 * VL;
constexpr int64_t MC = MR * 16;
constexpr int64_t NC = NR * 64;

typedef float Vec __attribute__((vector_size(VL * sizeof(float))));

inline Vec load(const float *p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float *p, Vec v) { std::memcpy(p, &v, sizeof v); }
/// x in every lane (a broadcast load; `Vec{} + x` would add a scalar 0).
inline Vec splat(float x) {
  Vec v;
#pragma unroll
  for (int i = 0; i < VL; ++i)
    v[i] = x;
  return v;
}

/// A grow-only, 64-byte aligned scratch buffer per thread: packing
/// allocates once per thread, not per call.
float *scratch(int which, int64_t floats) {
  struct Buffer {
    float *p = nullptr;
    int64_t size = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buffers[4];
  Buffer &buf = buffers[which];
  if (buf.size < floats) {
    std::free(buf.p);
    int64_t bytes = (floats * int64_t(sizeof(float)) + 63) / 64 * 64;
    buf.p = static_cast<float *>(std::aligned_alloc(64, bytes));
    buf.size = 0;
    if (!buf.p)
      nnc::allocationFailed("a kernel's packing buffer", size_t(bytes));
    buf.size = floats;
  }
  return buf.p;
}

/// B[0:kc, 0:nc] into ceil(nc / NR) panels of kc rows of NR floats.
void packB(int64_t kc, int64_t nc, const float *b, int64_t s0, int64_t s1,
           float *out) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    int64_t nr = std::min<int64_t>(NR, nc - j0);
    const float *src = b + j0 * s1;
    if (s1 == 1 && nr == NR) {
      for (int64_t l = 0; l < kc; ++l)
        std::memcpy(out + l * NR, src + l * s0, NR * sizeof(float));
    } else {
      for (int64_t l = 0; l < kc; ++l) {
        float *dst = out + l * NR;
        for (int64_t j = 0; j < nr; ++j)
          dst[j] = src[l * s0 + j * s1];
        for (int64_t j = nr; j < NR; ++j)
          dst[j] = 0.0f;
      }
    }
    out += kc * NR;
  }
}

typedef float Vec4 __attribute__((vector_size(4 * sizeof(float))));

/// out[j * MR + i] = src[i * s0 + j] for i, j < 4: a 4x4 block of rows
/// stored as columns (eight shuffles instead of sixteen scattered stores).
inline void transpose4(const float *src, int64_t s0, float *out) {
  Vec4 r0, r1, r2, r3;
  std::memcpy(&r0, src, sizeof r0);
  std::memcpy(&r1, src + s0, sizeof r1);
  std::memcpy(&r2, src + 2 * s0, sizeof r2);
  std::memcpy(&r3, src + 3 * s0, sizeof r3);
  Vec4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
  Vec4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
  Vec4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
  Vec4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
  Vec4 c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
  Vec4 c1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
  Vec4 c2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
  Vec4 c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
  std::memcpy(out, &c0, sizeof c0);
  std::memcpy(out + MR, &c1, sizeof c1);
  std::memcpy(out + 2 * MR, &c2, sizeof c2);
  std::memcpy(out + 3 * MR, &c3, sizeof c3);
}

/// A[0:mc, 0:kc] into ceil(mc / MR) panels of kc columns of MR floats.
void packA(int64_t mc, int64_t kc, const float *a, int64_t s0, int64_t s1,
           float *out) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    int64_t mr = std::min<int64_t>(MR, mc - i0);
    const float *src = a + i0 * s0;
    if (mr < MR)
      std::memset(out, 0, kc * MR * sizeof(float));
    // Walk the operand along its contiguous direction.
    if (s1 == 1 && mr == MR && MR % 4 == 0) {
      // Rows along k: 4x4 blocks transposed in registers (the compiler's
      // own vectorisation of the loop below scatters every element).
      int64_t l = 0;
      for (; l + 4 <= kc; l += 4)
        for (int64_t i = 0; i < MR; i += 4)
          transpose4(src + i * s0 + l, s0, out + l * MR + i);
      for (; l < kc; ++l)
        for (int64_t i = 0; i < MR; ++i)
          out[l * MR + i] = src[i * s0 + l];
    } else if (s1 == 1) {
      for (int64_t i = 0; i < mr; ++i)
        for (int64_t l = 0; l < kc; ++l)
          out[l * MR + i] = src[i * s0 + l];
    } else {
      for (int64_t l = 0; l < kc; ++l)
        for (int64_t i = 0; i < mr; ++i)
          out[l * MR + i] = src[i * s0 + l * s1];
    }
    out += kc * MR;
  }
}

/// v, then the epilogue's bias (columns j0..) and ReLU (NaN kept).
inline Vec finish(Vec v, const Epilogue &e, Vec bias) {
  if (e.bias)
    v += bias;
  if (e.relu)
    v = v < Vec{} ? Vec{} : v;
  return v;
}

/// The epilogue of the k block [pc, pc + kc) of k, for columns from j:
/// only the first block may overwrite, only the last adds bias and ReLU.
inline Epilogue blockEpilogue(const Epilogue &e, int64_t pc, int64_t kc,
                              int64_t k, int64_t j) {
  bool last = pc + kc >= k;
  return {pc == 0 ? e.accumulate : true, last && e.bias ? e.bias + j : nullptr,
          last && e.relu};
}

/// C[0:mr, 0:nr] (+)= the register tile (acc0 | acc1 per row), then the
/// epilogue (whose bias starts at the tile's first column).
__attribute__((always_inline)) inline void
addTile(const Vec *acc0, const Vec *acc1, float *c, int64_t ldc, int64_t mr,
        int64_t nr, const Epilogue &e) {
  if (mr == MR && nr == NR) {
    Vec bias0{}, bias1{};
    if (e.bias) {
      bias0 = load(e.bias);
      bias1 = load(e.bias + VL);
    }
#pragma unroll
    for (int i = 0; i < MR; ++i) {
      Vec v0 = acc0[i], v1 = acc1[i];
      if (e.accumulate) {
        v0 += load(c + i * ldc);
        v1 += load(c + i * ldc + VL);
      }
      store(c + i * ldc, finish(v0, e, bias0));
      store(c + i * ldc + VL, finish(v1, e, bias1));
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    store(tile + i * NR, acc0[i]);
    store(tile + i * NR + VL, acc1[i]);
  }
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float v = tile[i * NR + j] + (e.accumulate ? c[i * ldc + j] : 0.0f);
      if (e.bias)
        v += e.bias[j];
      c[i * ldc + j] = e.relu && v < 0.0f ? 0.0f : v;
    }
}

/// C[0:mr, 0:nr] (+)= the packed panels' product over `steps` rows of
/// panels: per step, acc = madd(acc, a[i] in every lane, B's row) for the
/// tile's 2 x MR vectors. madd is f32's multiply-add (microKernel) or
/// vdpbf16ps on panels of bf16 pairs (GemmAvx512Bf16.cpp).
template <typename MulAdd>
[[gnu::always_inline]] inline void
panelProduct(int64_t steps, const float *a, const float *b, float *c,
             int64_t ldc, int64_t mr, int64_t nr, const Epilogue &e,
             MulAdd madd) {
  Vec acc0[MR], acc1[MR];
#pragma unroll
  for (int i = 0; i < MR; ++i)
    acc0[i] = acc1[i] = Vec{};
  for (int64_t l = 0; l < steps; ++l) {
    Vec b0 = load(b), b1 = load(b + VL);
#pragma unroll
    for (int i = 0; i < MR; ++i) {
      Vec ai = splat(a[i]);
      acc0[i] = madd(acc0[i], ai, b0);
      acc1[i] = madd(acc1[i], ai, b1);
    }
    a += MR;
    b += NR;
  }
  addTile(acc0, acc1, c, ldc, mr, nr, e);
}

/// The blocked product of g's sizes: for each [KC x NC] block of B,
/// packBlockB(pc, jc, kc, nc) packs it and returns its panels; for each
/// [MC x KC] block of A, packBlockA(ic, pc, mc, kc) likewise; then
/// kernel(steps, A panel, B panel, C tile, ...) on every register tile,
/// a panel holding `steps` = stepsOf(kc) rows (kc in f32, kc's pairs in
/// bf16). k blocks are gemmKBlock's; only the first overwrites C, only the
/// last adds bias and ReLU.
template <typename PackB, typename PackA, typename Steps, typename Kernel>
[[gnu::always_inline]] inline void
blockedProduct(const GemmArgs &g, PackB packBlockB, PackA packBlockA,
               Steps stepsOf, Kernel kernel) {
  const int64_t KC = gemmKBlock(g.k);
  for (int64_t jc = 0; jc < g.n; jc += NC) {
    int64_t nc = std::min(NC, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      int64_t kc = std::min(KC, g.k - pc), steps = stepsOf(kc);
      const float *bp = packBlockB(pc, jc, kc, nc);
      for (int64_t ic = 0; ic < g.m; ic += MC) {
        int64_t mc = std::min(MC, g.m - ic);
        const float *ap = packBlockA(ic, pc, mc, kc);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR)
            kernel(steps, ap + ir * steps, bp + jr * steps,
                   g.c + (ic + ir) * g.ldc + jc + jr, g.ldc,
                   std::min<int64_t>(MR, mc - ir),
                   std::min<int64_t>(NR, nc - jr),
                   blockEpilogue(g.ep, pc, kc, g.k, jc + jr));
      }
    }
  }
}

#ifndef NNC_GEMM_HELPERS_ONLY
/// C[0:mr, 0:nr] += the packed panels' product over kc.
void microKernel(int64_t kc, const float *a, const float *b, float *c,
                 int64_t ldc, int64_t mr, int64_t nr, const Epilogue &e) {
  panelProduct(kc, a, b, c, ldc, mr, nr, e,
               [](Vec acc, Vec x, Vec y) { return acc + x * y; });
}

/// Direct convolution, C[0:mr, 0:nr] (+)= the window products of the
/// output pixels whose image starts at images[0:MR], windows at (iy[i],
/// ix[i]) (rows past mr repeat the last one), with the packed filter panel
/// `b` (taps x channels rows of NR); taps outside the image read `zeros`.
void convMicroKernel(const ConvArgs &g, const float *const *images,
                     const int64_t *iy, const int64_t *ix, const float *zeros,
                     const float *b, float *c, int64_t mr, int64_t nr,
                     const Epilogue &e) {
  Vec acc0[MR], acc1[MR];
#pragma unroll
  for (int i = 0; i < MR; ++i)
    acc0[i] = acc1[i] = Vec{};
  // Whether every window of the tile lies inside the image (no checks).
  bool inside = true;
  for (int i = 0; i < MR; ++i)
    inside &= iy[i] >= 0 && iy[i] + (g.kh - 1) * g.dh < g.h && ix[i] >= 0 &&
              ix[i] + (g.kw - 1) * g.dw < g.w;
  for (int64_t ky = 0; ky < g.kh; ++ky)
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const float *p[MR];
#pragma unroll
      for (int i = 0; i < MR; ++i) {
        int64_t y = iy[i] + ky * g.dh, x = ix[i] + kx * g.dw;
        p[i] = inside || (y >= 0 && y < g.h && x >= 0 && x < g.w)
                   ? images[i] + y * g.xs1 + x * g.xs2
                   : zeros;
      }
      for (int64_t ch = 0; ch < g.c; ++ch) {
        Vec b0 = load(b), b1 = load(b + VL);
#pragma unroll
        for (int i = 0; i < MR; ++i) {
          Vec ai = splat(p[i][ch]);
          acc0[i] += ai * b0;
          acc1[i] += ai * b1;
        }
        b += NR;
      }
    }
  addTile(acc0, acc1, c, g.f, mr, nr, e);
}
/// The filter gradient's micro-kernel: C[0:mr, 0:nr] (+)= the products
/// over the output pixels [p0, p0 + kc) of the input at each tap row's
/// offset from the pixel's window, with the packed cotangent panel `b`.
/// Contiguous: the MR offsets are consecutive (one run of channels), read
/// at constant displacements from one pointer.
template <bool Contiguous>
void filterGradMicroKernel(const FilterGradArgs &g, const int64_t *offsets,
                           int64_t p0, int64_t kc, const float *b, float *c,
                           int64_t mr, int64_t nr, const Epilogue &e) {
  Vec acc0[MR], acc1[MR];
#pragma unroll
  for (int i = 0; i < MR; ++i)
    acc0[i] = acc1[i] = Vec{};
  int64_t n = p0 / (g.oh * g.ow), y = p0 / g.ow % g.oh, x = p0 % g.ow;
  int64_t step = g.sw * g.xs2;
  for (int64_t l = 0; l < kc;) {
    // Along one output row: the window moves by a fixed step.
    int64_t run = std::min(g.ow - x, kc - l);
    const float *px = g.x + n * g.xs0 + y * g.sh * g.xs1 + x * step;
    for (int64_t t = 0; t < run; ++t, px += step) {
      Vec b0 = load(b), b1 = load(b + VL);
      const float *pa = px + offsets[0];
#pragma unroll
      for (int i = 0; i < MR; ++i) {
        Vec ai = splat(Contiguous ? pa[i] : px[offsets[i]]);
        acc0[i] += ai * b0;
        acc1[i] += ai * b1;
      }
      b += NR;
    }
    l += run;
    x += run;
    if (x == g.ow) {
      x = 0;
      if (++y == g.oh) {
        y = 0;
        ++n;
      }
    }
  }
  addTile(acc0, acc1, c, g.f, mr, nr, e);
}
#endif // NNC_GEMM_HELPERS_ONLY
} // namespace

#ifndef NNC_GEMM_HELPERS_ONLY

void NNC_FILTER_GRAD_NAME(const FilterGradArgs &g) {
  int64_t pixels = g.n * g.oh * g.ow;
  if (g.begin >= g.end || g.f <= 0)
    return;
  if (pixels <= 0) {
    applyEpilogue(g.out + g.begin * g.f, g.f, g.end - g.begin, g.f, g.ep);
    return;
  }
  // Blocks of pixels as the GEMM sums over k (gemmKBlock): the cotangent's
  // rows of a block packed into NR-wide panels, every tap tile of the
  // slice multiplied with them, the input read in place.
  const int64_t KC = gemmKBlock(pixels);
  int64_t panels = (g.f + NR - 1) / NR;
  float *bp = scratch(0, std::min(KC, pixels) * panels * NR);
  int64_t offsets[MR];
  for (int64_t pc = 0; pc < pixels; pc += KC) {
    int64_t kc = std::min(KC, pixels - pc);
    packB(kc, g.f, g.grad + pc * g.f, g.f, 1, bp);
    for (int64_t t0 = g.begin; t0 < g.end; t0 += MR) {
      int64_t mr = std::min<int64_t>(MR, g.end - t0);
      bool contiguous = mr == MR;
      for (int64_t i = 0; i < MR; ++i) {
        // Rows past mr repeat the last tap (computed, never stored).
        int64_t t = t0 + std::min<int64_t>(i, mr - 1);
        int64_t ch = t % g.c, kx = t / g.c % g.kw, ky = t / (g.c * g.kw);
        offsets[i] = ky * g.dh * g.xs1 + kx * g.dw * g.xs2 + ch * g.xs3;
        contiguous &= offsets[i] == offsets[0] + i;
      }
      auto kernel = contiguous ? filterGradMicroKernel<true>
                               : filterGradMicroKernel<false>;
      for (int64_t j = 0; j < panels; ++j)
        kernel(g, offsets, pc, kc, bp + j * kc * NR, g.out + t0 * g.f + j * NR,
               mr, std::min<int64_t>(NR, g.f - j * NR),
               blockEpilogue(g.ep, pc, kc, pixels, j * NR));
    }
  }
}

void NNC_CONV_NAME(const ConvArgs &g) {
  int64_t k = g.kh * g.kw * g.c;
  if (g.begin >= g.end || g.f <= 0)
    return;
  if (k <= 0) {
    applyEpilogue(g.out + g.begin * g.f, g.f, g.end - g.begin, g.f, g.ep);
    return;
  }
  // The whole filter, packed once per call: k x NR panels; and a row of
  // zeros for taps in the padding.
  int64_t panels = (g.f + NR - 1) / NR;
  float *bp = scratch(0, k * panels * NR);
  packB(k, g.f, g.filter, g.f, 1, bp);
  float *zeros = scratch(1, g.c);
  std::fill(zeros, zeros + g.c, 0.0f);
  const float *images[MR];
  int64_t iy[MR], ix[MR];
  // The first pixel's image, row and column, then each next pixel's by
  // stepping (divisions per pixel cost more than a small window's
  // products: 3 x 3 over one channel).
  int64_t n = g.begin / (g.oh * g.ow), y = g.begin / g.ow % g.oh,
          x = g.begin % g.ow;
  for (int64_t p0 = g.begin; p0 < g.end; p0 += MR) {
    int64_t mr = std::min<int64_t>(MR, g.end - p0);
    for (int64_t i = 0; i < MR; ++i) {
      if (i >= mr) { // rows past mr repeat the last pixel
        images[i] = images[mr - 1];
        iy[i] = iy[mr - 1];
        ix[i] = ix[mr - 1];
        continue;
      }
      images[i] = g.x + n * g.xs0;
      iy[i] = y * g.sh - g.pt;
      ix[i] = x * g.sw - g.pl;
      if (++x == g.ow) {
        x = 0;
        if (++y == g.oh) {
          y = 0;
          ++n;
        }
      }
    }
    for (int64_t j = 0; j < panels; ++j)
      convMicroKernel(g, images, iy, ix, zeros, bp + j * k * NR,
                      g.out + p0 * g.f + j * NR, mr,
                      std::min<int64_t>(NR, g.f - j * NR),
                      blockEpilogue(g.ep, 0, k, k, j * NR));
  }
}

void NNC_GEMM_NAME(const GemmArgs &g) {
  if (g.m <= 0 || g.n <= 0)
    return;
  if (g.k <= 0) {
    applyEpilogue(g.c, g.ldc, g.m, g.n, g.ep);
    return;
  }
  if (g.direct && !g.packA) {
    for (int64_t i = 0; i < g.m; ++i) {
      float *c = g.c + i * g.ldc;
      const float *a = g.a + i * g.as0;
      // Blocks of columns summed in registers over all of k (B streamed
      // once, C touched once); the same order of additions as below.
      constexpr int64_t NB = 8, W = NB * VL;
      int64_t j0 = 0;
      if (g.bs1 == 1)
        for (; j0 + W <= g.n; j0 += W) {
          Vec acc[NB];
#pragma unroll
          for (int v = 0; v < NB; ++v)
            acc[v] = g.ep.accumulate ? load(c + j0 + v * VL) : Vec{};
          const float *b = g.b + j0;
          for (int64_t l = 0; l < g.k; ++l, b += g.bs0) {
            Vec av = splat(a[l * g.as1]);
#pragma unroll
            for (int v = 0; v < NB; ++v)
              acc[v] += av * load(b + v * VL);
          }
#pragma unroll
          for (int v = 0; v < NB; ++v)
            store(c + j0 + v * VL, acc[v]);
        }
      if (!g.ep.accumulate)
        std::fill(c + j0, c + g.n, 0.0f);
      for (int64_t l = 0; l < g.k && j0 < g.n; ++l) {
        float al = a[l * g.as1];
        const float *b = g.b + l * g.bs0;
        if (g.bs1 == 1) {
          for (int64_t j = j0; j < g.n; ++j)
            c[j] += al * b[j];
        } else {
          for (int64_t j = j0; j < g.n; ++j)
            c[j] += al * b[j * g.bs1];
        }
      }
      applyEpilogue(c, g.ldc, 1, g.n, {true, g.ep.bias, g.ep.relu});
    }
    return;
  }
  int64_t ncMax = std::min(NC, (g.n + NR - 1) / NR * NR);
  const int64_t KC = gemmKBlock(g.k);
  int64_t kcMax = std::min(KC, g.k);
  int64_t mcMax = std::min(MC, (g.m + MR - 1) / MR * MR);
  float *bp = scratch(0, kcMax * ncMax);
  float *ap = scratch(1, kcMax * mcMax);
  blockedProduct(
      g,
      [&](int64_t pc, int64_t jc, int64_t kc, int64_t nc) {
        packB(kc, nc, g.b + pc * g.bs0 + jc * g.bs1, g.bs0, g.bs1, bp);
        return bp;
      },
      [&](int64_t ic, int64_t pc, int64_t mc, int64_t kc) {
        if (g.packA)
          g.packA(g.packCtx, ic, mc, pc, kc, ap, MR);
        else
          packA(mc, kc, g.a + ic * g.as0 + pc * g.as1, g.as0, g.as1, ap);
        return ap;
      },
      [](int64_t kc) { return kc; }, microKernel);
}
#endif // NNC_GEMM_HELPERS_ONLY

} // namespace nnc_rt
