//===- FloatMode.h - Training's floating-point mode -------------*- C++ -*-===//
//
// Values below FLT_MIN (denormals) take microcode assists on x86, 10-100x
// slower per operation; late in training Adam's second moments and tiny
// gradients are full of them. Like TensorFlow (and PyTorch's
// set_flush_denormal), training flushes them to zero (FTZ and DAZ in
// MXCSR; libomp's workers inherit the master's MXCSR at each fork) for a
// scope, and the caller's mode is restored after it: the runtime changes
// no process-wide state for good.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_FLOATMODE_H
#define NNC_RUNTIME_FLOATMODE_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace nnc {

struct FlushDenormals {
#if defined(__x86_64__) || defined(__i386__)
  unsigned saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved); }
  FlushDenormals(const FlushDenormals &) = delete;
  FlushDenormals &operator=(const FlushDenormals &) = delete;
#endif
};

} // namespace nnc

#endif // NNC_RUNTIME_FLOATMODE_H
