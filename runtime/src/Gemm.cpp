//===- Gemm.cpp - nnc_sgemm: ISA dispatch and the split between threads ---===//
//
// The generated code calls nnc_sgemm for every f32 matrix product (and
// batched products, one call per batch element). The variant is chosen
// once from the CPU. Each call computes one of `parts` slices of C: the
// columns when there are enough column panels, else the rows; slices are
// multiples of every variant's register tile, and every element's sum runs
// over k in the same order, so any split gives the same numbers.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "Int8.h"
#include "nnc/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace nnc_rt {

bool cpuRuns(const char *name) {
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  if (!std::strcmp(name, "avx512"))
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  if (!std::strcmp(name, "avx2"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !std::strcmp(name, "sse2");
}

const char *bestGemmName() {
  static const char *name = cpuRuns("avx512") ? "avx512"
                            : cpuRuns("avx2") ? "avx2"
                                              : "sse2";
  return name;
}

#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
/// The variant of a kernel for this machine's widest vector ISA.
template <typename Fn> static Fn pickByIsa(Fn avx512, Fn avx2, Fn sse2) {
  const char *isa = bestGemmName();
  return !std::strcmp(isa, "avx512") ? avx512
         : !std::strcmp(isa, "avx2") ? avx2
                                     : sse2;
}
#define NNC_PICK(name) pickByIsa(name##Avx512, name##Avx2, name##Sse2)
#else
#define NNC_PICK(name) name##Sse2 // only the portable variant is built
#endif

GemmFn bestGemm() {
  static GemmFn fn = NNC_PICK(gemm);
  return fn;
}

Epilogue epilogueOf(int64_t flags, int64_t biasPtr, int64_t biasOff) {
  Epilogue e;
  e.accumulate = flags & NNC_KERNEL_ACCUMULATE;
  e.relu = flags & NNC_KERNEL_RELU;
  if (biasPtr)
    e.bias = reinterpret_cast<const float *>(biasPtr) + biasOff;
  return e;
}

void applyEpilogue(float *c, int64_t ldc, int64_t m, int64_t n,
                   const Epilogue &e) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float v =
          (e.accumulate ? c[i * ldc + j] : 0.0f) + (e.bias ? e.bias[j] : 0.0f);
      c[i * ldc + j] = e.relu && v < 0.0f ? 0.0f : v;
    }
}

/// Whether the environment variable `name` is "0".
static bool envOff(const char *name) {
  const char *v = std::getenv(name);
  return v && !std::strcmp(v, "0");
}

bool bf16Runs() {
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  // NNC_BF16=0: as on a CPU without bf16 (for comparisons and tests).
  static bool runs = cpuRuns("avx512") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512bf16") &&
                     !envOff("NNC_BF16");
  return runs;
#else
  return false;
#endif
}

bool int8Runs() {
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  // NNC_INT8=0: as on a CPU without VNNI (for comparisons and tests).
  static bool runs = cpuRuns("avx512") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vnni") &&
                     !envOff("NNC_INT8");
  return runs;
#else
  return false;
#endif
}

GemmFn gemmFor(bool bf16) {
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  if (bf16 && bf16Runs())
    return gemmAvx512Bf16;
#endif
  return bestGemm();
}

FilterGradFn filterGradFor(bool bf16) {
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  if (bf16 && bf16Runs())
    return filterGradAvx512Bf16;
#endif
  return bestFilterGrad();
}

ConvFn bestConv() {
  static ConvFn fn = NNC_PICK(conv);
  return fn;
}

FilterGradFn bestFilterGrad() {
  static FilterGradFn fn = NNC_PICK(filterGrad);
  return fn;
}

} // namespace nnc_rt

using namespace nnc_rt;

extern "C" void nnc_sgemm(int64_t m, int64_t n, int64_t k, int64_t aPtr,
                          int64_t aOff, int64_t as0, int64_t as1, int64_t bPtr,
                          int64_t bOff, int64_t bs0, int64_t bs1, int64_t cPtr,
                          int64_t cOff, int64_t ldc, int64_t flags,
                          int64_t biasPtr, int64_t biasOff, int64_t part,
                          int64_t parts) {
  GemmArgs g{m,
             n,
             k,
             reinterpret_cast<const float *>(aPtr) + aOff,
             as0,
             as1,
             reinterpret_cast<const float *>(bPtr) + bOff,
             bs0,
             bs1,
             reinterpret_cast<float *>(cPtr) + cOff,
             ldc,
             nullptr,
             nullptr,
             false,
             {}};
  g.ep = epilogueOf(flags, biasPtr, biasOff);
  g.direct = m <= 2;
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
  if ((flags & NNC_KERNEL_INT8) && int8Runs() && gemmInt8(g, part, parts))
    return;
#endif
  if (parts > 1) {
    // Columns when there are enough 32-wide panels, else rows.
    int64_t colUnits = (n + 31) / 32, rowUnits = (m + 11) / 12;
    int64_t begin, end;
    if (colUnits >= parts && (n >= m || rowUnits < parts)) {
      sliceUnits(n, 32, part, parts, begin, end);
      g.b += begin * bs1;
      g.c += begin;
      if (g.ep.bias)
        g.ep.bias += begin;
      g.n = end - begin;
    } else {
      sliceUnits(m, 12, part, parts, begin, end);
      g.a += begin * as0;
      g.c += begin * ldc;
      g.m = end - begin;
    }
  }
  gemmFor(flags & NNC_KERNEL_BF16)(g);
}

extern "C" const char *nnc_gemm_isa(void) { return bestGemmName(); }

extern "C" int nnc_kernels_bf16(void) { return bf16Runs(); }

extern "C" int nnc_kernels_int8(void) { return int8Runs(); }
