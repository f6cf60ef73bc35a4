//===- CollectivesTest.cpp - Data-parallel training outside MPI ----------===//
//
// The launcher's environment decides whether a process is one rank of an
// MPI job; outside one, the gradient exchange a distributed train step
// calls must change nothing (the same executable runs both ways).
//
//===----------------------------------------------------------------------===//
#include "Collectives.h"
#include "nnc/kernels.h"
#include "nnc/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace {
struct LauncherEnv {
  ~LauncherEnv() {
    for (const char *v : {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK",
                          "PMI_SIZE", "PMI_RANK"})
      unsetenv(v);
  }
};
} // namespace

TEST(Collectives, LaunchFromEnvironment) {
  LauncherEnv clean;
  EXPECT_EQ(nnc_mpi_launch_size(), 1);
  EXPECT_EQ(nnc_mpi_launch_rank(), 0);
  setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  setenv("OMPI_COMM_WORLD_RANK", "3", 1);
  EXPECT_EQ(nnc_mpi_launch_size(), 4);
  EXPECT_EQ(nnc_mpi_launch_rank(), 3);
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("OMPI_COMM_WORLD_RANK");
  setenv("PMI_SIZE", "2", 1); // MPICH's launcher
  setenv("PMI_RANK", "1", 1);
  EXPECT_EQ(nnc_mpi_launch_size(), 2);
  EXPECT_EQ(nnc_mpi_launch_rank(), 1);
  setenv("PMI_SIZE", "garbage", 1); // not a size: one process
  setenv("PMI_RANK", "-3", 1);
  EXPECT_EQ(nnc_mpi_launch_size(), 1);
  EXPECT_EQ(nnc_mpi_launch_rank(), 0);
}

TEST(Collectives, OneProcessChangesNothing) {
  LauncherEnv clean;
  ASSERT_EQ(nnc_rt::dist::start(), 0);
  EXPECT_FALSE(nnc_rt::dist::active());
  EXPECT_EQ(nnc_rt::dist::rank(), 0);
  EXPECT_EQ(nnc_rt::dist::size(), 1);
  std::vector<float> g{1.5f, -2.0f, 3.25f}, keep = g;
  nnc_rt::dist::setShare(0.5);
  auto at = [](std::vector<float> &v) {
    return int64_t(reinterpret_cast<intptr_t>(v.data()));
  };
  nnc_allreduce_start(0, at(g), int64_t(g.size()));
  nnc_allreduce_wait();
  nnc_allreduce_result(0, at(g), int64_t(g.size()));
  EXPECT_EQ(g, keep);
  double sums[2] = {1.0, 2.0};
  nnc_rt::dist::sum(sums, 2, "a test");
  EXPECT_EQ(sums[0], 1.0);
  EXPECT_EQ(sums[1], 2.0);
}
