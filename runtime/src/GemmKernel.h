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
//===----------------------------------------------------------------------===//
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
  thread_local Buffer buffers[2];
  Buffer &buf = buffers[which];
  if (buf.size < floats) {
    std::free(buf.p);
    int64_t bytes = (floats * int64_t(sizeof(float)) + 63) / 64 * 64;
    buf.p = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (!buf.p)
      std::abort();
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

/// A[0:mc, 0:kc] into ceil(mc / MR) panels of kc columns of MR floats.
void packA(int64_t mc, int64_t kc, const float *a, int64_t s0, int64_t s1,
           float *out) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    int64_t mr = std::min<int64_t>(MR, mc - i0);
    const float *src = a + i0 * s0;
    if (mr < MR)
      std::memset(out, 0, kc * MR * sizeof(float));
    // Walk the operand along its contiguous direction.
    if (s1 == 1) {
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

/// C[0:mr, 0:nr] += the packed panels' product over kc.
void microKernel(int64_t kc, const float *a, const float *b, float *c,
                 int64_t ldc, int64_t mr, int64_t nr) {
  Vec acc0[MR], acc1[MR];
#pragma unroll
  for (int i = 0; i < MR; ++i)
    acc0[i] = acc1[i] = Vec{};
  for (int64_t l = 0; l < kc; ++l) {
    Vec b0 = load(b), b1 = load(b + VL);
#pragma unroll
    for (int i = 0; i < MR; ++i) {
      Vec ai = splat(a[i]);
      acc0[i] += ai * b0;
      acc1[i] += ai * b1;
    }
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
#pragma unroll
    for (int i = 0; i < MR; ++i) {
      store(c + i * ldc, load(c + i * ldc) + acc0[i]);
      store(c + i * ldc + VL, load(c + i * ldc + VL) + acc1[i]);
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    store(tile + i * NR, acc0[i]);
    store(tile + i * NR + VL, acc1[i]);
  }
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j)
      c[i * ldc + j] += tile[i * NR + j];
}

} // namespace

void NNC_GEMM_NAME(const GemmArgs &g) {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0)
    return;
  if (g.direct && !g.packA) {
    for (int64_t i = 0; i < g.m; ++i) {
      float *c = g.c + i * g.ldc;
      for (int64_t l = 0; l < g.k; ++l) {
        float a = g.a[i * g.as0 + l * g.as1];
        const float *b = g.b + l * g.bs0;
        if (g.bs1 == 1) {
          for (int64_t j = 0; j < g.n; ++j)
            c[j] += a * b[j];
        } else {
          for (int64_t j = 0; j < g.n; ++j)
            c[j] += a * b[j * g.bs1];
        }
      }
    }
    return;
  }
  int64_t ncMax = std::min(NC, (g.n + NR - 1) / NR * NR);
  const int64_t KC = gemmKBlock(g.k);
  int64_t kcMax = std::min(KC, g.k);
  int64_t mcMax = std::min(MC, (g.m + MR - 1) / MR * MR);
  float *bp = scratch(0, kcMax * ncMax);
  float *ap = scratch(1, kcMax * mcMax);
  for (int64_t jc = 0; jc < g.n; jc += NC) {
    int64_t nc = std::min(NC, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      int64_t kc = std::min(KC, g.k - pc);
      packB(kc, nc, g.b + pc * g.bs0 + jc * g.bs1, g.bs0, g.bs1, bp);
      for (int64_t ic = 0; ic < g.m; ic += MC) {
        int64_t mc = std::min(MC, g.m - ic);
        if (g.packA)
          g.packA(g.packCtx, ic, mc, pc, kc, ap, MR);
        else
          packA(mc, kc, g.a + ic * g.as0 + pc * g.as1, g.as0, g.as1, ap);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR)
            microKernel(kc, ap + ir * kc, bp + jr * kc,
                        g.c + (ic + ir) * g.ldc + jc + jr, g.ldc,
                        std::min<int64_t>(MR, mc - ir),
                        std::min<int64_t>(NR, nc - jr));
      }
    }
  }
}

} // namespace nnc_rt
