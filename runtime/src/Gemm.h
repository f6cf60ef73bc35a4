//===- Gemm.h - The runtime's GEMM variants (internal) ----------*- C++ -*-===//
//
// One blocked GEMM per vector ISA, compiled from GemmKernel.h with that
// ISA's flags; Gemm.cpp picks one from the CPU. Declared here for the
// convolution kernel and the unit tests, which check every variant the
// machine can run.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_GEMM_H
#define NNC_RUNTIME_GEMM_H

#include <algorithm>
#include <cstdint>

namespace nnc_rt {

/// What a kernel does with each finished element of C: add it to C's old
/// value (or overwrite it, which saves the zero fill before a product),
/// then add bias[j] and apply ReLU (max(v, 0), NaN kept), the elementwise
/// loop that usually follows a layer's product, done while the tile is in
/// registers.
struct Epilogue {
  bool accumulate = true;
  const float *bias = nullptr; ///< indexed by C's column
  bool relu = false;
};

/// C[i, j] (+)= sum_l A[i, l] * B[l, j], then `ep`; element (i, l) of A is at
/// a[i * as0 + l * as1], (l, j) of B at b[l * bs0 + j * bs1], (i, j) of C at
/// c[i * ldc + j].
///
/// With `packA` set, A is not read from memory as a matrix: the callback
/// writes the rows [i0, i0 + mc) and columns [p0, p0 + kc) of A as panels
/// of `mr` rows (out[(panel * kc + l) * mr + r]; rows past mc zero), which
/// is how convolutions gather their im2col matrix straight into the GEMM's
/// packed layout.
struct GemmArgs {
  int64_t m, n, k;
  const float *a;
  int64_t as0, as1;
  const float *b;
  int64_t bs0, bs1;
  float *c;
  int64_t ldc;
  void (*packA)(const void *ctx, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                float *out, int mr) = nullptr;
  const void *packCtx = nullptr;
  /// A product of one or two rows (batch-1 inference): C's rows are
  /// accumulated straight from A and B in k order, without packing B (whose
  /// packing would cost as much as the product). Decided on the whole
  /// product, before it is split into slices, so slices agree with it.
  bool direct = false;
  Epilogue ep;
};

using GemmFn = void (*)(const GemmArgs &);

/// out[p, j] (+)= sum_{ky, kx, ch} x[window of pixel p at (ky, kx), ch] *
/// w[(ky * kw + kx) * c + ch, j] for the output pixels p in [begin, end)
/// (p = (n * oh + y) * ow + x), read straight from the NHWC input: element
/// (n, iy, ix, ch) of x is at x[n * xs0 + iy * xs1 + ix * xs2 + ch]
/// (channels contiguous), the window of (y, x) at (ky, kx) is
/// (y * sh + ky * dh - pt, x * sw + kx * dw - pl), and positions outside
/// the h x w image read zeros (implicit padding). w is the
/// [kh * kw * c, f] `filter`, out the [pixels, f] output, both dense; then
/// `ep`.
struct ConvArgs {
  const float *x;
  int64_t xs0, xs1, xs2;
  int64_t h, w, pt, pl;
  int64_t c, kh, kw, oh, ow, sh, sw, dh, dw;
  const float *filter;
  int64_t f;
  float *out;
  int64_t begin, end;
  Epilogue ep;
  /// NNC_KERNEL_BF16: the Winograd path's products in bf16 (the direct
  /// kernel stays f32).
  bool bf16 = false;
};

using ConvFn = void (*)(const ConvArgs &);

/// out[t, j] (+)= sum_p x[window of output pixel p at tap t] * grad[p, j]
/// for the tap rows t in [begin, end) (t = (ky * kw + kx) * c + ch) and
/// every output pixel p = (n * oh + y) * ow + x: a convolution's filter
/// gradient, reading the NHWC input in place (element (n, iy, ix, ch) at
/// x[n * xs0 + iy * xs1 + ix * xs2 + ch * xs3]; the window of (y, x) at
/// (ky, kx) is (y * sh + ky * dh, x * sw + kx * dw), inside the image: the
/// compiler pads the input first). grad is the dense [pixels, f]
/// cotangent, out the dense [kh * kw * c, f] gradient; then `ep`.
struct FilterGradArgs {
  const float *x;
  int64_t xs0, xs1, xs2, xs3;
  int64_t n, c, kw, oh, ow, sh, sw, dh, dw;
  const float *grad;
  int64_t f;
  float *out;
  int64_t begin, end;
  Epilogue ep;
};

using FilterGradFn = void (*)(const FilterGradArgs &);

void gemmAvx512(const GemmArgs &g);
void gemmAvx2(const GemmArgs &g);
void gemmSse2(const GemmArgs &g);
void convAvx512(const ConvArgs &g);
void convAvx2(const ConvArgs &g);
void convSse2(const ConvArgs &g);
void filterGradAvx512(const FilterGradArgs &g);
void filterGradAvx2(const FilterGradArgs &g);
void filterGradSse2(const FilterGradArgs &g);
/// bf16 operands, f32 sums (NNC_KERNEL_BF16); only where bf16Runs().
void gemmAvx512Bf16(const GemmArgs &g);
void filterGradAvx512Bf16(const FilterGradArgs &g);

/// The best variant this CPU runs, and its name.
/// The epilogue the kernels' C entry points describe with flags and a
/// bias pointer (nnc/kernels.h).
Epilogue epilogueOf(int64_t flags, int64_t biasPtr, int64_t biasOff);

/// C[0:m, 0:n] after a product over no k: the epilogue of zero sums.
void applyEpilogue(float *c, int64_t ldc, int64_t m, int64_t n,
                   const Epilogue &e);

GemmFn bestGemm();
ConvFn bestConv();
FilterGradFn bestFilterGrad();
/// Whether this CPU runs the bf16 kernels (AVX512-BF16 and -BW), and the
/// variants for the NNC_KERNEL_BF16 flag: the bf16 kernels there, else
/// the f32 ones.
bool bf16Runs();
GemmFn gemmFor(bool bf16);
/// Whether this CPU runs the int8 kernels (AVX512-VNNI and -BW), unless
/// NNC_INT8=0 is set.
bool int8Runs();
FilterGradFn filterGradFor(bool bf16);
const char *bestGemmName();
/// Whether this CPU runs `name` ("avx512", "avx2", "sse2").
bool cpuRuns(const char *name);

/// [begin, end) of slice `part` of `parts` over `count` rows or columns,
/// cut at multiples of `unit` (whole register tiles of every variant: 12
/// rows, 32 columns), so that the slices of a call compute exactly what
/// the whole call does.
inline void sliceUnits(int64_t count, int64_t unit, int64_t part, int64_t parts,
                       int64_t &begin, int64_t &end) {
  int64_t units = (count + unit - 1) / unit;
  begin = std::min(count, units * part / parts * unit);
  end = std::min(count, units * (part + 1) / parts * unit);
}

/// Every C element sums its products over k in blocks of this many, in
/// order, whatever the variant's other blocking: the row/column slices of
/// a call split between threads give the same numbers. Blocks are at most
/// 384 long (a B panel of 384 x 32 floats stays in L1/L2) and of equal
/// size, so k = 288 is one block rather than 256 + 32.
inline int64_t gemmKBlock(int64_t k) {
  int64_t blocks = (k + 383) / 384;
  return blocks ? (k + blocks - 1) / blocks : 1;
}

} // namespace nnc_rt

#endif // NNC_RUNTIME_GEMM_H
