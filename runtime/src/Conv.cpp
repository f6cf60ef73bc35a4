//===- Conv.cpp - nnc_conv2d_f32: convolutions as blocked im2col + GEMM ---===//
//
// Every convolution of a program, forward or backward (the input's
// gradient is a convolution of the padded cotangent, the filter's a
// correlation of the input with the cotangent), reaches code generation as
// an NHWC x HWCF convolution, and the generated code calls this kernel.
// The output pixels form the rows of a GEMM with the filter seen as a
// [KH*KW*C, F] matrix. Rows are gathered (im2col) a block at a time into a
// per-thread buffer of about 512 KB, for groups of filter rows at least
// 256 long, so the gathered block stays in cache and memory does not grow
// with the image or the batch.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "nnc/kernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace nnc_rt;

namespace {
float *im2colBuffer(int64_t floats) {
  struct Buffer {
    float *p = nullptr;
    int64_t size = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buf;
  if (buf.size < floats) {
    std::free(buf.p);
    buf.p = static_cast<float *>(std::aligned_alloc(
        64, (floats * int64_t(sizeof(float)) + 63) / 64 * 64));
    if (!buf.p)
      std::abort();
    buf.size = floats;
  }
  return buf.p;
}
} // namespace

extern "C" void nnc_conv2d_f32(int64_t xPtr, int64_t xOff, int64_t n, int64_t h,
                               int64_t w, int64_t c, int64_t xs0, int64_t xs1,
                               int64_t xs2, int64_t xs3, int64_t wPtr,
                               int64_t wOff, int64_t kh, int64_t kw, int64_t f,
                               int64_t outPtr, int64_t outOff, int64_t oh,
                               int64_t ow, int64_t sh, int64_t sw, int64_t dh,
                               int64_t dw, int64_t part, int64_t parts) {
  (void)h;
  (void)w;
  const float *x = reinterpret_cast<const float *>(xPtr) + xOff;
  const float *filter = reinterpret_cast<const float *>(wPtr) + wOff;
  float *out = reinterpret_cast<float *>(outPtr) + outOff;
  int64_t rows = n * oh * ow;
  if (rows <= 0 || f <= 0 || kh * kw * c <= 0)
    return;
  // This part's output pixels, in whole blocks of 12 rows.
  int64_t units = (rows + 11) / 12;
  int64_t r0 = std::min(rows, units * part / parts * 12);
  int64_t r1 = std::min(rows, units * (part + 1) / parts * 12);
  // Filter rows per gathered block: whole kernel rows, >= 256 when possible.
  int64_t rowLen = kw * c;
  int64_t group =
      std::min(kh, std::max<int64_t>(1, (256 + rowLen - 1) / rowLen));
  int64_t kBlock = group * rowLen;
  int64_t mBlock = std::max<int64_t>(96, (131072 / kBlock) / 12 * 12);
  float *cols = im2colBuffer(mBlock * kBlock);
  GemmFn gemm = bestGemm();
  for (int64_t rb = r0; rb < r1; rb += mBlock) {
    int64_t mb = std::min(mBlock, r1 - rb);
    for (int64_t k0 = 0; k0 < kh; k0 += group) {
      int64_t kg = std::min(group, kh - k0);
      int64_t len = kg * rowLen;
      for (int64_t r = 0; r < mb; ++r) {
        int64_t pix = rb + r;
        int64_t b = pix / (oh * ow), y = pix / ow % oh, xo = pix % ow;
        float *dst = cols + r * len;
        for (int64_t i = 0; i < kg; ++i) {
          const float *row =
              x + b * xs0 + (y * sh + (k0 + i) * dh) * xs1 + xo * sw * xs2;
          for (int64_t j = 0; j < kw; ++j, dst += c) {
            const float *src = row + j * dw * xs2;
            if (xs3 == 1) {
              std::memcpy(dst, src, c * sizeof(float));
            } else {
              for (int64_t ch = 0; ch < c; ++ch)
                dst[ch] = src[ch * xs3];
            }
          }
        }
      }
      GemmArgs g{mb, f, len,          cols, len, 1, filter + k0 * rowLen * f,
                 f,  1, out + rb * f, f};
      gemm(g);
    }
  }
}
