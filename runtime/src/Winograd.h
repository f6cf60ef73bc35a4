//===- Winograd.h - F(2x2, 3x3) convolutions (internal) ---------*- C++ -*-===//
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
/// The convolution `g` describes (pixels [begin, end), channels
/// contiguous), by F(2x2, 3x3).
void winogradConv(const ConvArgs &g);

} // namespace nnc_rt

#endif // NNC_RUNTIME_WINOGRAD_H
