//===- GemmAvx512.cpp - The GEMM for AVX512 -------------------------------===//
//
// GemmKernel.h with 16-float vectors and a 12x32 register
// tile. Compiled with the ISA's flags (runtime/CMakeLists.txt) and only
// called on CPUs that have it (Gemm.cpp).
//
//===----------------------------------------------------------------------===//
#define NNC_GEMM_VL 16
#define NNC_GEMM_MR 12
#define NNC_GEMM_NAME gemmAvx512
#define NNC_CONV_NAME convAvx512
#define NNC_FILTER_GRAD_NAME filterGradAvx512
#include "GemmKernel.h"
