//===- GemmAvx2.cpp - The GEMM for AVX2 -----------------------------------===//
//
// GemmKernel.h with 8-float vectors and a 6x16 register
// tile. Compiled with the ISA's flags (runtime/CMakeLists.txt) and only
// called on CPUs that have it (Gemm.cpp).
//
//===----------------------------------------------------------------------===//
#define NNC_GEMM_VL 8
#define NNC_GEMM_MR 6
#define NNC_GEMM_NAME gemmAvx2
#define NNC_CONV_NAME convAvx2
#define NNC_FILTER_GRAD_NAME filterGradAvx2
#include "GemmKernel.h"
