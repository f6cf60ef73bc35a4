//===- CompileCache.h - Compiled objects kept between runs ------*- C++ -*-===//
//
// A second `nnc run` of an unchanged model loads its machine code instead
// of compiling it again. No MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_COMPILECACHE_H
#define NNC_DRIVER_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::cache {

/// Where entries live: $NNC_CACHE_DIR, else $XDG_CACHE_HOME/nnc, else
/// ~/.cache/nnc ("" when none of them is known).
std::string directory();

/// The key of an entry: a SHA-256 (hex) of `parts` and of this nnc's
/// identity (version, executable size and time), so that a rebuilt nnc
/// never reads objects of another.
std::string key(llvm::ArrayRef<llvm::StringRef> parts);

/// The object files stored under `key`; false if there is no (valid)
/// entry. A hit marks the entry as recently used.
bool load(const std::string &key, std::vector<std::string> &objects);

/// Stores the object files under `key`: written to a temporary file and
/// renamed into place, so that concurrent runs never see half an entry;
/// then the least recently used entries go until the cache is under its
/// bound ($NNC_CACHE_MAX_MB, default 1024). Failures are ignored: the
/// cache only saves time.
void store(const std::string &key, const std::vector<std::string> &objects);

/// Removes every entry; the number removed, or -1 (with `error`).
int clear(std::string &error);

/// The number of entries and their total size in bytes.
void usage(unsigned &entries, uint64_t &bytes);

} // namespace nnc::cache

#endif // NNC_DRIVER_COMPILECACHE_H
