//===- RandomData.h - Seeded random inputs for the kernels' tests -*- C++
//-*-===//
//
// Uniform floats in [-1, 1) from a fixed seed, shared by the GEMM,
// convolution and Winograd tests.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TEST_RUNTIME_RANDOMDATA_H
#define NNC_TEST_RUNTIME_RANDOMDATA_H

#include <random>
#include <vector>

inline std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(gen);
  return v;
}

#endif // NNC_TEST_RUNTIME_RANDOMDATA_H
