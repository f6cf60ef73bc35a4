//===- File.h - Opening input files with nnc's error reporting --*- C++ -*-===//
//
// Internal to the runtime: the loaders (.npy, safetensors) open their input
// the same way, report a missing file the same way, and close it on every
// return path.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_FILE_H
#define NNC_RUNTIME_FILE_H

#include "nnc/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace nnc::rt {

struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

/// `path` opened for binary reading; null (with nnc_last_error set to
/// "cannot open '<path>': <reason>") if it cannot be.
inline File openForReading(const char *path) {
  File f(std::fopen(path, "rb"));
  if (!f)
    nnc_set_error("cannot open '%s': %s", path, std::strerror(errno));
  return f;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_FILE_H
