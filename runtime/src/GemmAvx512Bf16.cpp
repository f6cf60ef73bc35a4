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
// Operands are first packed as f32 panels by the f32 packers (or a
// caller's callback, as the filter gradient below), then paired: two rows
// of a panel become one row of words with a vector round and an
// interleaving permutation.
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

/// Words per pair row of a panel of `width` floats: the panel [kc][width]
/// becomes [ceil(kc / 2)][width] words, word (q, j) holding rows 2q and
/// 2q + 1 (zero past kc) of column j, the lower k in the low half.
void pairUp(const float *in, int64_t kc, int width, uint32_t *out) {
  // Lane 2j of the result takes bf16 j of the first row, lane 2j + 1 bf16
  // j of the second (which _mm512_cvtne2ps_pbh puts in lanes 16..31).
  alignas(64) static const uint16_t interleave[32] = {
      0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i perm = _mm512_load_si512(interleave);
  for (int64_t l = 0; l < kc; l += 2) {
    const float *r0 = in + l * width;
    const float *r1 = r0 + width;
    bool second = l + 1 < kc;
    uint32_t *dst = out + l / 2 * width;
    for (int j = 0; j < width; j += 16) {
      int lanes = std::min(16, width - j);
      __mmask16 m = __mmask16((1u << lanes) - 1);
      __m512 a = _mm512_maskz_loadu_ps(m, r0 + j);
      __m512 b = second ? _mm512_maskz_loadu_ps(m, r1 + j) : _mm512_setzero_ps();
      __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, a);
      __m512i pairs = _mm512_permutexvar_epi16(perm, both);
      _mm512_mask_storeu_epi32(dst + j, m, pairs);
    }
  }
}

/// Every panel of a packed block: `panels` panels of kc x width floats into
/// panels of ceil(kc / 2) x width words.
void pairPanels(const float *in, int64_t panels, int64_t kc, int width,
                uint32_t *out) {
  int64_t kc2 = (kc + 1) / 2;
  for (int64_t p = 0; p < panels; ++p)
    pairUp(in + p * kc * width, kc, width, out + p * kc2 * width);
}

/// C[0:mr, 0:nr] (+)= the paired panels' product over kc2 pairs of k.
void microKernelBf16(int64_t kc2, const uint32_t *a, const uint32_t *b,
                     float *c, int64_t ldc, int64_t mr, int64_t nr,
                     const Epilogue &e) {
  Vec acc0[MR], acc1[MR];
#pragma unroll
  for (int i = 0; i < MR; ++i)
    acc0[i] = acc1[i] = Vec{};
  for (int64_t l = 0; l < kc2; ++l) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + VL);
#pragma unroll
    for (int i = 0; i < MR; ++i) {
      __m512bh ai = (__m512bh)_mm512_set1_epi32(int(a[i]));
      acc0[i] = (Vec)_mm512_dpbf16_ps((__m512)acc0[i], ai, b0);
      acc1[i] = (Vec)_mm512_dpbf16_ps((__m512)acc1[i], ai, b1);
    }
    a += MR;
    b += NR;
  }
  addTile(acc0, acc1, c, ldc, mr, nr, e);
}

/// The blocked product of GemmKernel.h with paired bf16 panels.
void blockedBf16(const GemmArgs &g) {
  int64_t ncMax = std::min(NC, (g.n + NR - 1) / NR * NR);
  const int64_t KC = gemmKBlock(g.k);
  int64_t kcMax = std::min(KC, g.k);
  int64_t mcMax = std::min(MC, (g.m + MR - 1) / MR * MR);
  int64_t kc2Max = (kcMax + 1) / 2;
  float *bp = scratch(0, kcMax * ncMax);
  float *ap = scratch(1, kcMax * mcMax);
  auto *bq = reinterpret_cast<uint32_t *>(scratch(2, kc2Max * ncMax));
  auto *aq = reinterpret_cast<uint32_t *>(scratch(3, kc2Max * mcMax));
  for (int64_t jc = 0; jc < g.n; jc += NC) {
    int64_t nc = std::min(NC, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      int64_t kc = std::min(KC, g.k - pc), kc2 = (kc + 1) / 2;
      packB(kc, nc, g.b + pc * g.bs0 + jc * g.bs1, g.bs0, g.bs1, bp);
      pairPanels(bp, (nc + NR - 1) / NR, kc, NR, bq);
      for (int64_t ic = 0; ic < g.m; ic += MC) {
        int64_t mc = std::min(MC, g.m - ic);
        if (g.packA)
          g.packA(g.packCtx, ic, mc, pc, kc, ap, MR);
        else
          packA(mc, kc, g.a + ic * g.as0 + pc * g.as1, g.as0, g.as1, ap);
        pairPanels(ap, (mc + MR - 1) / MR, kc, MR, aq);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR)
            microKernelBf16(kc2, aq + ir * kc2, bq + jr * kc2,
                            g.c + (ic + ir) * g.ldc + jc + jr, g.ldc,
                            std::min<int64_t>(MR, mc - ir),
                            std::min<int64_t>(NR, nc - jr),
                            blockEpilogue(g.ep, pc, kc, g.k, jc + jr));
      }
    }
  }
}

/// The filter gradient's A operand: rows = filter taps (first + i0 ...),
/// columns = output pixels p0 ..., each element the input at the tap's
/// offset from the pixel's window, gathered into f32 panels of mr rows.
void packTaps(const void *ctx, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
              float *out, int mr) {
  const FilterGradArgs &g = *static_cast<const FilterGradArgs *>(ctx);
  int64_t offsets[MR];
  for (int64_t r0 = 0; r0 < mc; r0 += mr, out += kc * mr) {
    int64_t rows = std::min<int64_t>(mr, mc - r0);
    bool contiguous = true;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t t = g.begin + i0 + r0 + r;
      int64_t ch = t % g.c, kx = t / g.c % g.kw, ky = t / (g.c * g.kw);
      offsets[r] = ky * g.dh * g.xs1 + kx * g.dw * g.xs2 + ch * g.xs3;
      contiguous &= offsets[r] == offsets[0] + r;
    }
    __mmask16 m = __mmask16((1u << rows) - 1), all = __mmask16((1u << mr) - 1);
    int64_t n = p0 / (g.oh * g.ow), y = p0 / g.ow % g.oh, x = p0 % g.ow;
    for (int64_t l = 0; l < kc; ++l) {
      const float *px = g.x + n * g.xs0 + y * g.sh * g.xs1 + x * g.sw * g.xs2;
      float *dst = out + l * mr;
      if (contiguous) {
        // One run of channels: a masked vector copy (zeros past `rows`).
        _mm512_mask_storeu_ps(dst, all, _mm512_maskz_loadu_ps(m, px + offsets[0]));
      } else {
        for (int64_t r = 0; r < rows; ++r)
          dst[r] = px[offsets[r]];
        for (int64_t r = rows; r < mr; ++r)
          dst[r] = 0.0f;
      }
      if (++x == g.ow) {
        x = 0;
        if (++y == g.oh) {
          y = 0;
          ++n;
        }
      }
    }
  }
}
} // namespace

void gemmAvx512Bf16(const GemmArgs &g) {
  if (g.m <= 0 || g.n <= 0)
    return;
  if (g.k <= 0) {
    applyEpilogue(g.c, g.ldc, g.m, g.n, g.ep);
    return;
  }
  // Products of one or two rows are bound by reading B, not by
  // multiplications: they stay f32.
  if (g.direct && !g.packA) {
    gemmAvx512(g);
    return;
  }
  blockedBf16(g);
}

void filterGradAvx512Bf16(const FilterGradArgs &g) {
  int64_t pixels = g.n * g.oh * g.ow;
  if (g.begin >= g.end || g.f <= 0)
    return;
  if (pixels <= 0) {
    applyEpilogue(g.out + g.begin * g.f, g.f, g.end - g.begin, g.f, g.ep);
    return;
  }
  GemmArgs mm{g.end - g.begin,
              g.f,
              pixels,
              nullptr,
              0,
              0,
              g.grad,
              g.f,
              1,
              g.out + g.begin * g.f,
              g.f,
              packTaps,
              &g,
              false,
              g.ep};
  blockedBf16(mm);
}

} // namespace nnc_rt
