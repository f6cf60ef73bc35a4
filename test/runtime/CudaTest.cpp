//===- CudaTest.cpp - The runtime's GPU layer without a GPU ---------------===//
//
// Code built with --target=cuda loads the CUDA driver at run time; where
// there is none, the runtime says so ("no CUDA device"), keeps allocating
// on the host, and loading the kernels (a constructor) does not abort the
// program: only a launch would. The driver here is a path that does not
// exist, so the test means the same on machines with a GPU.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" void *mgpuModuleLoad(void *data, size_t size);

TEST(Cuda, WithoutADriverSaysNoDeviceAndAllocatesOnTheHost) {
  setenv("NNC_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  EXPECT_EQ(nnc_cuda_init(), -1);
  std::string error = nnc_last_error();
  EXPECT_NE(error.find("no CUDA device: the CUDA driver cannot be loaded"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << error;
  EXPECT_EQ(nnc_cuda_device(), nullptr);
  EXPECT_EQ(nnc_cuda_compute_capability(), 0);
  // Asked again: the same answer, without trying again.
  nnc_clear_error();
  EXPECT_EQ(nnc_cuda_init(), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("no CUDA device"),
            std::string::npos);
  // Buffers still come from the host, aligned as generated code needs.
  void *p = nnc_alloc(1000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % NNC_ALIGNMENT, 0u);
  static_cast<char *>(p)[999] = 1;
  nnc_free(p);
  // A program's kernels load in a constructor: no device leaves them
  // unloaded (the first launch reports it) rather than ending the program.
  char image[] = ".version 7.0";
  EXPECT_EQ(mgpuModuleLoad(image, sizeof image), nullptr);
}
