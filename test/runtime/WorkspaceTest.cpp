//===- WorkspaceTest.cpp - The planned workspaces of compiled functions ---===//
//
// nnc_workspace hands a compiled function the memory its buffer plan
// places intermediates in: one block per function key and thread, kept
// between calls and grown only when a call asks for more.
//
//===----------------------------------------------------------------------===//
#include "nnc/kernels.h"
#include "nnc/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace {
nnc_workspace_descriptor workspace(int64_t key, int64_t bytes) {
  nnc_workspace_descriptor d{};
  _mlir_ciface_nnc_workspace(&d, key, bytes);
  return d;
}

TEST(Workspace, KeptPerKeyAndGrownOnlyWhenLarger) {
  static char keyA, keyB;
  nnc_buffer_stats before = nnc_buffer_pool_stats();
  nnc_workspace_descriptor a = workspace(int64_t(&keyA), 1000);
  ASSERT_NE(a.aligned, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.aligned) % 64, 0u);
  EXPECT_EQ(a.size, 1000);
  EXPECT_EQ(a.stride, 1);
  std::memset(a.aligned, 1, 1000); // the whole block is usable
  // A smaller or equal request reuses the block and takes nothing new.
  EXPECT_EQ(workspace(int64_t(&keyA), 1000).aligned, a.aligned);
  EXPECT_EQ(workspace(int64_t(&keyA), 10).aligned, a.aligned);
  nnc_buffer_stats kept = nnc_buffer_pool_stats();
  EXPECT_EQ(kept.system_allocations, before.system_allocations + 1);
  EXPECT_GE(kept.workspace_bytes, before.workspace_bytes + 1000);
  // Another function has its own workspace.
  nnc_workspace_descriptor b = workspace(int64_t(&keyB), 64);
  EXPECT_NE(b.aligned, a.aligned);
  // A larger request grows the block.
  nnc_workspace_descriptor grown = workspace(int64_t(&keyA), 1 << 20);
  std::memset(grown.aligned, 2, 1 << 20);
  EXPECT_EQ(grown.size, 1 << 20);
  EXPECT_EQ(nnc_buffer_pool_stats().system_allocations,
            before.system_allocations + 3);
}

TEST(Workspace, EachThreadHasItsOwn) {
  static char key;
  char *mine = workspace(int64_t(&key), 256).aligned;
  char *theirs = nullptr;
  std::thread t([&] { theirs = workspace(int64_t(&key), 256).aligned; });
  t.join();
  EXPECT_NE(theirs, nullptr);
  EXPECT_NE(mine, theirs);
}
} // namespace

// A result planned into a workspace comes back to nnc_buffer_free from
// nnc_model_call: the workspace stays with its function.
TEST(Workspace, NotFreedAsAResultBuffer) {
  static char key;
  nnc_workspace_descriptor a = workspace(int64_t(&key), 256);
  std::memset(a.aligned, 7, 256);
  nnc_buffer_free(a.allocated);
  nnc_workspace_descriptor b = workspace(int64_t(&key), 256);
  EXPECT_EQ(b.aligned, a.aligned);
  EXPECT_EQ(b.aligned[255], 7);
}

// A workspace the system cannot provide stops the process with a clear
// message instead of handing generated code a null pointer.
TEST(WorkspaceDeathTest, OutOfMemoryIsReported) {
  static char key;
  EXPECT_EXIT(workspace(int64_t(&key), int64_t(1) << 62),
              ::testing::ExitedWithCode(1),
              "out of memory: the working memory of a compiled function of "
              "4611686018427387904 bytes could not be allocated");
}

namespace {
/// A compiled function that asks for `hugeWorkspace` bytes of working
/// memory, then writes a result.
int64_t hugeWorkspace = 0;
void askForWorkspace(void *, void *, void **) {
  static char key;
  nnc_workspace_descriptor d = workspace(int64_t(&key), hugeWorkspace);
  static_cast<char *>(d.aligned)[0] = 1;
}
} // namespace

TEST(Workspace, FailedAllocationInACallIsAnError) {
  // Under nnc_model_call a workspace the system cannot provide is an
  // error the caller gets back; the process and later calls go on.
  nnc_model m{"Huge", 0, nullptr, 0, nullptr, askForWorkspace, nullptr};
  hugeWorkspace = int64_t(1) << 62;
  EXPECT_EQ(nnc_model_call(&m, nullptr, nullptr), -1);
  EXPECT_NE(std::string(nnc_last_error())
                .find("out of memory: the working memory of a compiled "
                      "function of 4611686018427387904 bytes"),
            std::string::npos)
      << nnc_last_error();
  hugeWorkspace = 4096;
  EXPECT_EQ(nnc_model_call(&m, nullptr, nullptr), 0) << nnc_last_error();
}
