//===- FuzzFile.h - Fuzzer inputs as files for path-taking readers -*- C++ -*-===//
//
// The runtime's NPY, CSV and IDX readers take a path, as users call them.
// A fuzz target writes each input into one anonymous in-memory file
// (memfd) and hands the reader its /proc/self/fd path: no disk traffic, no
// temporary files left behind, and the reader sees a real file with a
// size, as it would in use.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TEST_FUZZ_FUZZFILE_H
#define NNC_TEST_FUZZ_FUZZFILE_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace nnc::fuzz {

/// Replaces the contents of the process's fuzz file with `data`; returns
/// its path.
inline const std::string &asFile(const uint8_t *data, size_t size) {
  static int fd = -1;
  static std::string path;
  if (fd < 0) {
    fd = memfd_create("nnc-fuzz", 0);
    if (fd < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  if (ftruncate(fd, 0) != 0 ||
      (size && pwrite(fd, data, size, 0) != ssize_t(size))) {
    std::perror("writing the fuzz file");
    std::abort();
  }
  return path;
}

} // namespace nnc::fuzz

#endif // NNC_TEST_FUZZ_FUZZFILE_H
