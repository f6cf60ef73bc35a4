//===- GemmSse2.cpp - The GEMM for SSE2 -----------------------------------===//
//
// GemmKernel.h with 4-float vectors and a 4x8 register
// tile. Compiled with the ISA's flags (runtime/CMakeLists.txt) and only
// called on CPUs that have it (Gemm.cpp).
//
//===----------------------------------------------------------------------===//
#define NNC_GEMM_VL 4
#define NNC_GEMM_MR 4
#define NNC_GEMM_NAME gemmSse2
#define NNC_CONV_NAME convSse2
#define NNC_FILTER_GRAD_NAME filterGradSse2
#include "GemmKernel.h"
