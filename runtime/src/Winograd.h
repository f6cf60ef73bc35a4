//===- Winograd.h - Winograd convolutions (internal) ------------*- C++ -*-===//
//
// The Winograd path of nnc_conv2d_f32 (Winograd.cpp), for 3x3 stride-1
// convolutions where it is faster than the direct kernel.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_WINOGRAD_H
#define NNC_RUNTIME_WINOGRAD_H

#include "Gemm.h"

namespace nnc_rt {

/// Whether the Winograd path computes this convolution: the measured rule
/// of nnc_conv2d_winograd_pays (nnc/kernels.h), or NNC_WINOGRAD=0 / 1.
bool winogradPays(const ConvArgs &g);
/// The output tile m of F(m x m, 3 x 3) for a convolution of `pixels`
/// output pixels in all (the whole call, not a thread's slice: every
/// slice must take the same path): 2 or 4.
int winogradTile(int64_t pixels);
/// The convolution `g` describes (pixels [begin, end), channels
/// contiguous), by F(tile x tile, 3 x 3), tile 2 or 4; false, with nothing
/// written, when memory for its transforms is short (the caller then runs
/// the direct kernel). Its buffers are per thread and kept.
bool winogradConv(const ConvArgs &g, int tile);

} // namespace nnc_rt

#endif // NNC_RUNTIME_WINOGRAD_H
