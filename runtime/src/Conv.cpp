//===- Conv.cpp - Convolutions as GEMMs over an implicit im2col matrix ----===//
//
// Every convolution of a program reaches code generation as one of two
// contractions, and the generated code calls these kernels for them:
//
//  - nnc_conv2d_f32, an NHWC x HWCF convolution (the forward pass, and the
//    input's gradient, a convolution of the padded cotangent): output
//    pixels are the GEMM's rows, the filter seen as a [KH*KW*C, F] matrix
//    its B operand. With contiguous channels (the usual case) the GEMM's
//    micro-kernel reads the input in place (a direct convolution, ConvArgs
//    in Gemm.h); otherwise it runs on an implicit im2col matrix;
//  - nnc_conv2d_filter_grad_f32, the filter's gradient: the filter taps
//    (kh, kw, c) are the rows, the cotangent seen as a [pixels, F] matrix
//    the B operand, and the sum runs over every output pixel; its
//    micro-kernel (FilterGradArgs) reads the input in place too.
//
// The im2col matrix is never stored: on the forward's rare strided-channel
// path, the GEMM's packing callback gathers each block of it from the
// input straight into packed panels.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "Int8.h"
#include "Winograd.h"
#include "nnc/kernels.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace nnc_rt;

namespace {
/// The input of a convolution and the window geometry.
struct Window {
  const float *x;
  int64_t xs0, xs1, xs2, xs3;
  int64_t c, kw, oh, ow, sh, sw, dh, dw;
  int64_t first; ///< first GEMM row of this slice
};

/// Rows = output pixels (n, y, x), columns = taps (kh, kw, c).
void packPixels(const void *ctx, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                float *out, int mr) {
  const Window &g = *static_cast<const Window *>(ctx);
  const float *base[32];
  for (int64_t r0 = 0; r0 < mc; r0 += mr, out += kc * mr) {
    int64_t rows = std::min<int64_t>(mr, mc - r0);
    if (rows < mr)
      std::memset(out, 0, kc * mr * sizeof(float));
    for (int64_t r = 0; r < rows; ++r) {
      int64_t pix = g.first + i0 + r0 + r;
      int64_t b = pix / (g.oh * g.ow), y = pix / g.ow % g.oh, xo = pix % g.ow;
      base[r] = g.x + b * g.xs0 + y * g.sh * g.xs1 + xo * g.sw * g.xs2;
    }
    // Column by column: each column's offset is the same for every row,
    // and a panel column (mr floats) is written contiguously.
    int64_t ch = p0 % g.c, tap = p0 / g.c;
    int64_t kx = tap % g.kw, ky = tap / g.kw;
    int64_t tapOff = ky * g.dh * g.xs1 + kx * g.dw * g.xs2;
    for (int64_t l = 0; l < kc; ++l) {
      int64_t off = tapOff + ch * g.xs3;
      float *dst = out + l * mr;
      for (int64_t r = 0; r < rows; ++r)
        dst[r] = base[r][off];
      if (++ch == g.c) {
        ch = 0;
        if (++kx == g.kw) {
          kx = 0;
          ++ky;
        }
        tapOff = ky * g.dh * g.xs1 + kx * g.dw * g.xs2;
      }
    }
  }
}

/// out[rows, f] (+)= im2col[rows, k] * b[k, f], then `ep`, for slice
/// `part` of `parts` of the rows, the im2col panels gathered by `pack`
/// from `win`.
void implicitGemm(Window win, int64_t rows, int64_t f, int64_t k,
                  const float *b, float *out,
                  void (*pack)(const void *, int64_t, int64_t, int64_t, int64_t,
                               float *, int),
                  const Epilogue &ep, bool bf16, int64_t part, int64_t parts) {
  int64_t begin, end;
  sliceUnits(rows, 12, part, parts, begin, end);
  win.first = begin;
  GemmArgs g{end - begin,     f, k,    nullptr, 0,     0, b, f, 1,
             out + begin * f, f, pack, &win,    false, ep};
  gemmFor(bf16)(g);
}
} // namespace

extern "C" void nnc_conv2d_f32(int64_t xPtr, int64_t xOff, int64_t n, int64_t h,
                               int64_t w, int64_t c, int64_t xs0, int64_t xs1,
                               int64_t xs2, int64_t xs3, int64_t wPtr,
                               int64_t wOff, int64_t kh, int64_t kw, int64_t f,
                               int64_t outPtr, int64_t outOff, int64_t oh,
                               int64_t ow, int64_t sh, int64_t sw, int64_t dh,
                               int64_t dw, int64_t pt, int64_t pl,
                               int64_t flags, int64_t biasPtr, int64_t biasOff,
                               int64_t part, int64_t parts) {
  Epilogue ep = epilogueOf(flags, biasPtr, biasOff);
  if (xs3 == 1) {
    // Channels contiguous (every NHWC tensor the compiler makes): the
    // micro-kernel reads the input directly.
    ConvArgs g{reinterpret_cast<const float *>(xPtr) + xOff,
               xs0,
               xs1,
               xs2,
               h,
               w,
               pt,
               pl,
               c,
               kh,
               kw,
               oh,
               ow,
               sh,
               sw,
               dh,
               dw,
               reinterpret_cast<const float *>(wPtr) + wOff,
               f,
               reinterpret_cast<float *>(outPtr) + outOff,
               0,
               0,
               ep,
               bool(flags & NNC_KERNEL_BF16)};
    sliceUnits(n * oh * ow, 12, part, parts, g.begin, g.end);
#if defined(__x86_64__) && defined(NNC_X86_KERNELS)
    if ((flags & NNC_KERNEL_INT8) && int8Runs() &&
        nnc_conv2d_int8_pays(kh, kw, c) && convInt8(g))
      return;
#endif
    if (!winogradPays(g) || !winogradConv(g, winogradTile(n * oh * ow)))
      bestConv()(g);
    return;
  }
  if (pt || pl) {
    // The compiler only folds padding into calls on contiguous channels.
    std::fprintf(stderr, "nnc: internal error: nnc_conv2d_f32 with implicit "
                         "padding needs contiguous channels\n");
    std::abort();
  }
  Window win{reinterpret_cast<const float *>(xPtr) + xOff,
             xs0,
             xs1,
             xs2,
             xs3,
             c,
             kw,
             oh,
             ow,
             sh,
             sw,
             dh,
             dw,
             0};
  implicitGemm(win, n * oh * ow, f, kh * kw * c,
               reinterpret_cast<const float *>(wPtr) + wOff,
               reinterpret_cast<float *>(outPtr) + outOff, packPixels, ep,
               flags & NNC_KERNEL_BF16, part, parts);
}

extern "C" void nnc_conv2d_filter_grad_f32(
    int64_t xPtr, int64_t xOff, int64_t n, int64_t c, int64_t xs0, int64_t xs1,
    int64_t xs2, int64_t xs3, int64_t gPtr, int64_t gOff, int64_t oh,
    int64_t ow, int64_t f, int64_t outPtr, int64_t outOff, int64_t kh,
    int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t flags,
    int64_t part, int64_t parts) {
  FilterGradArgs g{reinterpret_cast<const float *>(xPtr) + xOff,
                   xs0,
                   xs1,
                   xs2,
                   xs3,
                   n,
                   c,
                   kw,
                   oh,
                   ow,
                   sh,
                   sw,
                   dh,
                   dw,
                   reinterpret_cast<const float *>(gPtr) + gOff,
                   f,
                   reinterpret_cast<float *>(outPtr) + outOff,
                   0,
                   0,
                   epilogueOf(flags, 0, 0)};
  sliceUnits(kh * kw * c, 12, part, parts, g.begin, g.end);
  filterGradFor(flags & NNC_KERNEL_BF16)(g);
}
