//===- GemmAvx512Bf16.cpp - bf16 products with f32 sums (AVX512-BF16) -----===//
//
// The kernels behind NNC_KERNEL_BF16 (mixed-precision training): the same
// blocking, packing and epilogue as GemmKernel.h's f32 GEMM, but the
// packed panels are rounded to bf16 (round to nearest even) and stored as
// pairs of consecutive k, one 32-bit word per row or column, which is what
// `vdpbf16ps` multiplies: each instruction adds a0*b0 + a1*b1 to 16 f32
// sums, twice the products of an f32 FMA. The sums stay f32 and run over
// k in the same blocks (gemmKBlock) and order whatever the slicing, so
// results do not depend on the thread count.
//
// Operands are paired straight from memory where a row or column of the
// panel is contiguous there (two rows rounded together and interleaved by
// one permutation; rows along k rounded to words, then transposed as the
// f32 packer transposes floats); the filter gradient gathers the input's
// taps straight into pair panels. Other strides, and the im2col callback
// of strided-channel convolutions, go through f32 panels first.
//
// As the instructions define it, subnormal operands and sums are flushed
// to zero (vcvtne2ps2bf16 and vdpbf16ps ignore MXCSR).
//
// Panels are stored as floats (the f32 packers' type; a word's bits move
// unchanged) and words are read as floats, never as integers, so no
// access goes through a type other than the one written.
//
// Compiled with the ISA's flags (runtime/CMakeLists.txt) and only called
// on CPUs that have AVX512-BF16 and AVX512-BW (Gemm.cpp).
//
//===----------------------------------------------------------------------===//
#define NNC_GEMM_VL 16
#define NNC_GEMM_MR 12
#define NNC_GEMM_HELPERS_ONLY
#include "GemmKernel.h"

#include <immintrin.h>

namespace nnc_rt {
namespace {

/// Lane 2j of a pair row takes bf16 j of the first row, lane 2j + 1 bf16
/// j of the second (which _mm512_cvtne2ps_pbh puts in lanes 16..31).
inline __m512i interleave() {
  alignas(64) static const uint16_t order[32] = {
      0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  return _mm512_load_si512(order);
}

inline __mmask16 lanesMask(int64_t lanes) {
  return lanes >= 16  ? __mmask16(0xffff)
         : lanes <= 0 ? __mmask16(0)
                      : __mmask16((1u << lanes) - 1);
}

/// dst[j] = the pair (r0[j], r1[j]) in bf16 for j < lanes, 0 for lanes <= j
/// < width (<= 16); r1 null: a pair with 0 (past the end of k).
inline void pairRows(const float *r0, const float *r1, int64_t lanes,
                     int64_t width, __m512i perm, float *dst) {
  __mmask16 m = lanesMask(std::min(lanes, width));
  __m512 a = _mm512_maskz_loadu_ps(m, r0);
  __m512 b = r1 ? _mm512_maskz_loadu_ps(m, r1) : _mm512_setzero_ps();
  __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, a);
  _mm512_mask_storeu_epi32(dst, lanesMask(width),
                           _mm512_permutexvar_epi16(perm, both));
}

/// Packed f32 panels [kc][width] (the f32 packers' layout) into pair panels
/// [ceil(kc / 2)][width] of words: word (q, j) holds rows 2q and 2q + 1
/// (zero past kc) of column j, the lower k in the low half.
void pairPanels(const float *in, int64_t panels, int64_t kc, int width,
                float *out) {
  __m512i perm = interleave();
  for (int64_t p = 0; p < panels; ++p, in += kc * width)
    for (int64_t l = 0; l < kc; l += 2, out += width)
      for (int j = 0; j < width; j += 16) {
        const float *r0 = in + l * width + j;
        pairRows(r0, l + 1 < kc ? r0 + width : nullptr, width - j, width - j,
                 perm, out + j);
      }
}

/// B[0:kc, 0:nc] (element (l, j) at b[l * s0 + j * s1]) into pair panels of
/// NR columns; rows of B contiguous (s1 == 1) are paired straight from B.
void packPairsB(int64_t kc, int64_t nc, const float *b, int64_t s0, int64_t s1,
                float *staging, float *out) {
  if (s1 != 1) {
    packB(kc, nc, b, s0, s1, staging);
    pairPanels(staging, (nc + NR - 1) / NR, kc, NR, out);
    return;
  }
  __m512i perm = interleave();
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    int64_t nr = std::min<int64_t>(NR, nc - j0);
    for (int64_t l = 0; l < kc; l += 2, out += NR) {
      const float *r0 = b + l * s0 + j0;
      const float *r1 = l + 1 < kc ? r0 + s0 : nullptr;
      pairRows(r0, r1, nr, VL, perm, out);
      pairRows(r0 + VL, r1 ? r1 + VL : nullptr, nr - VL, VL, perm, out + VL);
    }
  }
}

/// A[0:mc, 0:kc] (element (i, l) at a[i * s0 + l * s1]) into pair panels of
/// MR rows. Rows along k (s1 == 1): each row rounded to words of
/// consecutive pairs, then the words transposed into panels by the f32
/// packer (bits move unchanged). Columns along rows (s0 == 1): paired
/// straight from A.
void packPairsA(int64_t mc, int64_t kc, const float *a, int64_t s0, int64_t s1,
                float *staging, float *out) {
  int64_t kc2 = (kc + 1) / 2;
  if (s1 == 1) {
    float *words = staging;
    for (int64_t i = 0; i < mc; ++i)
      for (int64_t l = 0; l < kc; l += 2 * VL) {
        const float *src = a + i * s0 + l;
        __m512 lo = _mm512_maskz_loadu_ps(lanesMask(kc - l), src);
        __m512 hi = _mm512_maskz_loadu_ps(lanesMask(kc - l - VL), src + VL);
        _mm512_mask_storeu_epi32(words + i * kc2 + l / 2,
                                 lanesMask((kc - l + 1) / 2),
                                 (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
      }
    packA(mc, kc2, staging, kc2, 1, out);
    return;
  }
  if (s0 != 1) {
    packA(mc, kc, a, s0, s1, staging);
    pairPanels(staging, (mc + MR - 1) / MR, kc, MR, out);
    return;
  }
  __m512i perm = interleave();
  for (int64_t i0 = 0; i0 < mc; i0 += MR)
    for (int64_t l = 0; l < kc; l += 2, out += MR) {
      const float *r0 = a + i0 + l * s1;
      pairRows(r0, l + 1 < kc ? r0 + s1 : nullptr, mc - i0, MR, perm, out);
    }
}

/// C[0:mr, 0:nr] (+)= the paired panels' product over kc2 pairs of k.
void microKernelBf16(int64_t kc2, const float *a, const float *b, float *c,
                     int64_t ldc, int64_t mr, int64_t nr, const Epilogue &e) {
  // Each lane: acc + x.lo * y.lo + x.hi * y.hi of the words' bf16 pairs.
  panelProduct(kc2, a, b, c, ldc, mr, nr, e, [](Vec acc, Vec x, Vec y) {
    return (Vec)_mm512_dpbf16_ps((__m512)acc, (__m512bh)x, (__m512bh)y);
  });
}

/// Writes rows [i0, i0 + mc) and columns [p0, p0 + kc) of A as pair
/// panels (`staging`: f32 scratch of kc x mc floats).
using PairPacker = void (*)(const void *ctx, int64_t i0, int64_t mc, int64_t p0,
                            int64_t kc, float *staging, float *out);

/// The blocked product of GemmKernel.h with paired bf16 panels; A from
/// `pairA` when given.
void blockedBf16(const GemmArgs &g, PairPacker pairA = nullptr,
                 const void *ctx = nullptr) {
  int64_t ncMax = std::min(NC, (g.n + NR - 1) / NR * NR);
  const int64_t KC = gemmKBlock(g.k);
  int64_t kcMax = std::min(KC, g.k);
  int64_t mcMax = std::min(MC, (g.m + MR - 1) / MR * MR);
  int64_t kc2Max = (kcMax + 1) / 2;
  float *bp = scratch(0, kcMax * ncMax);
  float *ap = scratch(1, kcMax * mcMax);
  float *bq = scratch(2, kc2Max * ncMax);
  float *aq = scratch(3, kc2Max * mcMax);
  blockedProduct(
      g,
      [&](int64_t pc, int64_t jc, int64_t kc, int64_t nc) {
        packPairsB(kc, nc, g.b + pc * g.bs0 + jc * g.bs1, g.bs0, g.bs1, bp, bq);
        return bq;
      },
      [&](int64_t ic, int64_t pc, int64_t mc, int64_t kc) {
        if (pairA) {
          pairA(ctx, ic, mc, pc, kc, ap, aq);
        } else if (g.packA) {
          g.packA(g.packCtx, ic, mc, pc, kc, ap, MR);
          pairPanels(ap, (mc + MR - 1) / MR, kc, MR, aq);
        } else {
          packPairsA(mc, kc, g.a + ic * g.as0 + pc * g.as1, g.as0, g.as1, ap,
                     aq);
        }
        return aq;
      },
      [](int64_t kc) { return (kc + 1) / 2; }, microKernelBf16);
}

/// The filter gradient's A operand as pair panels: rows = filter taps
/// (g.begin + i0 ...), columns = output pixels p0 ..., each element the
/// input at the tap's offset from the pixel's window. A panel's taps are
/// runs of consecutive channels (usually one, or two where the panel
/// crosses from one tap position to the next; up to MR with strided
/// channels): each pixel's MR values are read with one masked vector load
/// per run, and two pixels' values paired.
void pairTaps(const void *ctx, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
              float *, float *out) {
  const FilterGradArgs &g = *static_cast<const FilterGradArgs *>(ctx);
  // Per panel, lanes [start[k], start[k + 1]) read from offset[k] on
  // (shifted so that lane j reads offset[k] + j - start[k]; other lanes
  // masked).
  constexpr int64_t kPanels = MC / MR;
  int64_t offset[kPanels][MR];
  __mmask16 mask[kPanels][MR];
  int runs[kPanels];
  int64_t panels = (mc + MR - 1) / MR;
  for (int64_t p = 0; p < panels; ++p) {
    int64_t rows = std::min<int64_t>(MR, mc - p * MR);
    int start = 0;
    runs[p] = 0;
    for (int64_t r = 0, prev = 0; r <= rows; ++r) {
      int64_t t = g.begin + i0 + p * MR + r;
      int64_t ch = t % g.c, kx = t / g.c % g.kw, ky = t / (g.c * g.kw);
      int64_t off = ky * g.dh * g.xs1 + kx * g.dw * g.xs2 + ch * g.xs3;
      if (r > 0 && (r == rows || off != prev + 1)) {
        mask[p][runs[p]] = __mmask16(lanesMask(r) & ~lanesMask(start));
        offset[p][runs[p]++] -= start;
        start = int(r);
      }
      if (r < rows && start == r)
        offset[p][runs[p]] = off;
      prev = off;
    }
  }
  auto gather = [&](int64_t p, const float *px) {
    __m512 v = _mm512_maskz_loadu_ps(mask[p][0], px + offset[p][0]);
    for (int k = 1; k < runs[p]; ++k)
      v = _mm512_mask_loadu_ps(v, mask[p][k], px + offset[p][k]);
    return v;
  };
  // Pixel pairs outside, panels inside: a pixel's window is read once
  // for every tap of the block, while it is in L1.
  int64_t n = p0 / (g.oh * g.ow), y = p0 / g.ow % g.oh, x = p0 % g.ow;
  int64_t step = g.sw * g.xs2;
  const float *row = g.x + n * g.xs0 + y * g.sh * g.xs1;
  auto next = [&]() {
    const float *px = row + x * step;
    if (++x == g.ow) {
      x = 0;
      if (++y == g.oh) {
        y = 0;
        ++n;
      }
      row = g.x + n * g.xs0 + y * g.sh * g.xs1;
    }
    return px;
  };
  __m512i perm = interleave();
  int64_t kc2 = (kc + 1) / 2;
  for (int64_t l = 0; l < kc; l += 2) {
    const float *pa = next();
    const float *pb = l + 1 < kc ? next() : nullptr;
    float *dst = out + l / 2 * MR;
    for (int64_t p = 0; p < panels; ++p, dst += kc2 * MR) {
      __m512 a = gather(p, pa);
      __m512 b = pb ? gather(p, pb) : _mm512_setzero_ps();
      __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, a);
      _mm512_mask_storeu_epi32(dst, lanesMask(MR),
                               _mm512_permutexvar_epi16(perm, both));
    }
  }
}
} // namespace

void gemmAvx512Bf16(const GemmArgs &g) {
  // Empty products, and products of one or two rows (bound by reading B,
  // not by multiplications), are the f32 kernel's.
  if (g.m <= 0 || g.n <= 0 || g.k <= 0 || (g.direct && !g.packA)) {
    gemmAvx512(g);
    return;
  }
  blockedBf16(g);
}

void filterGradAvx512Bf16(const FilterGradArgs &g) {
  int64_t pixels = g.n * g.oh * g.ow;
  if (g.begin >= g.end || g.f <= 0 || pixels <= 0) {
    filterGradAvx512(g); // nothing, or the epilogue of no sums
    return;
  }
  GemmArgs mm{
      g.end - g.begin,       g.f, pixels,  nullptr, 0,     0,   g.grad, g.f, 1,
      g.out + g.begin * g.f, g.f, nullptr, nullptr, false, g.ep};
  blockedBf16(mm, pairTaps, &g);
}

} // namespace nnc_rt
