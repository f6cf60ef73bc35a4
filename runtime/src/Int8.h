//===- Int8.h - int8 inference kernels (internal) ---------------*- C++ -*-===//
//
// The pieces of NNC_KERNEL_INT8 (nnc/kernels.h): weights quantized once per
// output column (Int8Weights.cpp, portable) and the VNNI kernels that
// multiply them by activations quantized at each call
// (GemmAvx512Vnni.cpp, run only on CPUs with AVX512-VNNI and -BW).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_INT8_H
#define NNC_RUNTIME_INT8_H

#include "Gemm.h"

#include <memory>
#include <vector>

namespace nnc_rt {

/// B[k, n] as int8: column j is q[., j] * scale[j] (q in [-127, 127],
/// scale = max |B[., j]| / 127). Stored in panels of 16 columns, k padded
/// to a multiple of 4 with zeros: byte (l, j) is at
/// q[(j / 16) * kp * 16 + (l / 4) * 64 + (j % 16) * 4 + l % 4], the layout
/// `vpdpbusd` reads (four consecutive k of one column per 32-bit lane).
/// offset[j] = 128 * sum_l q[l, j] undoes the +128 that makes activations
/// unsigned. `finite` is false when B holds a NaN or an infinity;
/// `fingerprint` hashes 64 of B's values (a copy is used only while they
/// match).
struct Int8Weights {
  int64_t k = 0, n = 0, kp = 0, np = 0;
  bool finite = true;
  uint64_t fingerprint = 0;
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> offset;
};

/// The int8 copy of B (element (l, j) at b[l * bs0 + j * bs1]), made at
/// the first call and kept until nnc_kernels_int8_forget() or until B's
/// fingerprint changes.
std::shared_ptr<const Int8Weights>
int8Weights(const float *b, int64_t k, int64_t n, int64_t bs0, int64_t bs1);

/// The product of `g` (no packA callback) for the rows or columns of slice
/// `part` of `parts` in int8: each row of A quantized with its own scale,
/// max |row| / 127. False, with nothing written, when A or B holds a NaN
/// or an infinity (the caller runs it in f32).
bool gemmInt8(const GemmArgs &g, int64_t part, int64_t parts);

/// The convolution of `g` (contiguous channels) for its pixels
/// [g.begin, g.end) in int8: each image of the input quantized with its
/// own scale. False, with nothing written, as gemmInt8.
bool convInt8(const ConvArgs &g);

} // namespace nnc_rt

#endif // NNC_RUNTIME_INT8_H
