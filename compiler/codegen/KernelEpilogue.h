//===- KernelEpilogue.h - What a kernel call takes over around it -*- C++ -*-=//
//
// Shared by nnc-kernel-calls and its matchers (KernelEpilogue.cpp): before
// a product or convolution runs on a runtime kernel, the zero fill of its
// output and the element-wise loop that adds a bias and applies ReLU to it
// can become part of the call (nnc/kernels.h, "epilogue"), and so can the
// zero padding of a convolution's input.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_KERNELEPILOGUE_H
#define NNC_CODEGEN_KERNELEPILOGUE_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>

#include "dialect/NNAttrNames.h"

namespace nnc {

constexpr const char *kEpilogueAttr = attr::kEpilogue;
constexpr const char *kNotFusedAttr = attr::kNotFused;

struct KernelEpilogue {
  /// The buffer the call writes: the op's output, or the fused loop's.
  mlir::Value out;
  /// False when a zero fill wrote the output just before: the kernel
  /// stores its sums instead of adding them (and the fill goes).
  bool accumulate = true;
  mlir::Value bias; ///< 1-D, indexed by the output's last dimension
  /// A buffer of the output's shape added to it (a residual connection):
  /// copied into `out` where the zero fill was, the call then accumulates
  /// onto it (no copy when the loop wrote over it in place).
  mlir::Value residual;
  bool relu = false;
  mlir::Operation *fill = nullptr;  ///< the zero fill the call replaces
  mlir::Operation *fused = nullptr; ///< the element-wise loop it replaces
  std::string what;                 ///< "bias add and ReLU", for remarks

  /// The NNC_KERNEL_* flags of the call.
  bool bf16 = false; ///< bf16 operands (NNC_KERNEL_BF16)
  bool int8 = false; ///< int8 inference (NNC_KERNEL_INT8)
  int64_t flags() const {
    return (accumulate ? 1 : 0) | (relu ? 2 : 0) | (bf16 ? 4 : 0) |
           (int8 ? 8 : 0);
  }
};

/// What a kernel call replacing `op` (a product or convolution on buffers
/// writing `out`, whose last dimension has unit stride) can take over: the
/// zero fill right before it, and, when `fusable`, the element-wise loop
/// right after it that only adds a bias along that last dimension and/or
/// a residual of the output's shape, and/or applies ReLU, if nothing else
/// reads `out`. A loop that reads `out` but
/// cannot be fused is tagged with kNotFusedAttr.
KernelEpilogue planEpilogue(mlir::Operation *op, mlir::Value out, bool fusable);

/// After the call is emitted: erases what it replaced (the fill, the fused
/// loop, and the op's own output buffer when nothing uses it any more).
void eraseReplaced(const KernelEpilogue &e, mlir::Value opOut);

/// A convolution's input made by padding (tensor.pad, bufferized): a
/// buffer filled with zeros and the image copied into its middle. The call
/// can read the image in place with implicit zero padding instead; then
/// the buffer, its fill and the copy go (erasePadding).
struct PaddedInput {
  mlir::Value image;
  int64_t top = 0, left = 0;
  mlir::Value buffer;
  mlir::Operation *fill = nullptr, *subview = nullptr, *copy = nullptr;
};

/// The padding of `x`, the input of `conv`, when nothing else reads the
/// padded buffer, the image has contiguous channels and is not written
/// between the copy and `conv`.
std::optional<PaddedInput> matchPaddedInput(mlir::Operation *conv,
                                            mlir::Value x);
void erasePadding(const PaddedInput &p);

} // namespace nnc

#endif // NNC_CODEGEN_KERNELEPILOGUE_H
