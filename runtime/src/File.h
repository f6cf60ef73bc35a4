//===- File.h - Opening input files with nnc's error reporting --*- C++ -*-===//
//
// Internal to the runtime: the loaders (.npy, safetensors) open their input
// the same way, report a missing file the same way, and close it on every
// return path; the writers of predictions and checkpoints name files by
// their suffixes the same way.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_FILE_H
#define NNC_RUNTIME_FILE_H

#include "nnc/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

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

/// Whether file name `s` ends in `suffix` (".npy").
inline bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// `s` without `suffix` when it ends in it (and is more than it), else `s`:
/// "cnn.safetensors" -> "cnn".
inline std::string withoutSuffix(const std::string &s, const char *suffix) {
  return s.size() > std::strlen(suffix) && endsWith(s, suffix)
             ? s.substr(0, s.size() - std::strlen(suffix))
             : s;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_FILE_H
