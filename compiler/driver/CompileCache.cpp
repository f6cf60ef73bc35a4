//===- CompileCache.cpp - Compiled objects kept between runs --------------===//
//
// One file per entry, `<key>.nnco`: the magic line, the key (64 hex
// digits), the SHA-256 of everything after it (32 bytes), the number of
// objects (u32), then each object's size (u64) and bytes, little-endian.
// An entry is used only if its key is the one asked for and its digest
// matches: a damaged, truncated or misplaced file is compiled afresh and
// replaced, never run. Keys are
// SHA-256 digests of everything that decides the code (the generated
// module, the target, the options; see callers) and of nnc itself. The
// least recently used entries (by modification time, which a hit renews)
// are removed when the directory outgrows its bound.
//
//===----------------------------------------------------------------------===//
#include "driver/CompileCache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>

#ifndef NNC_VERSION
#define NNC_VERSION "dev"
#endif

using namespace nnc;

namespace {
constexpr llvm::StringLiteral kMagic = "nnc-objects-2\n";
constexpr size_t kKeySize = 64, kDigestSize = 32;

std::string digestOf(llvm::StringRef bytes) {
  auto d = llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes));
  return std::string(d.begin(), d.end());
}
constexpr llvm::StringLiteral kSuffix = ".nnco";

/// Identifies the running nnc binary.
std::string identity() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::sys::fs::file_status st;
  std::string id = std::string(NNC_VERSION) + "|" + exe;
  if (!llvm::sys::fs::status(exe, st))
    id += "|" + std::to_string(st.getSize()) + "|" +
          std::to_string(llvm::sys::toTimeT(st.getLastModificationTime()));
  return id;
}

std::string entryPath(const std::string &dir, const std::string &key) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, key + kSuffix.str());
  return std::string(p);
}

struct Entry {
  std::string path;
  uint64_t size;
  llvm::sys::TimePoint<> used;
};

std::vector<Entry> entries(const std::string &dir) {
  std::vector<Entry> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    // Entries, and temporary files a killed run left behind.
    if (!name.ends_with(kSuffix) && !name.contains(".nnco.tmp-"))
      continue;
    llvm::sys::fs::file_status st;
    if (!llvm::sys::fs::status(it->path(), st, /*follow=*/false) &&
        st.type() == llvm::sys::fs::file_type::regular_file)
      out.push_back({it->path(), st.getSize(), st.getLastModificationTime()});
  }
  return out;
}

uint64_t bound() {
  // A bound that is not a positive number of MB is ignored.
  if (const char *mb = std::getenv("NNC_CACHE_MAX_MB")) {
    char *end = nullptr;
    unsigned long long n = std::strtoull(mb, &end, 10);
    if (end != mb && *end == '\0' && n > 0)
      return uint64_t(n) << 20;
  }
  return uint64_t(1024) << 20;
}

void evict(const std::string &dir) {
  std::vector<Entry> all = entries(dir);
  uint64_t total = 0;
  for (const Entry &e : all)
    total += e.size;
  std::sort(all.begin(), all.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &e : all) {
    if (total <= bound())
      break;
    if (!llvm::sys::fs::remove(e.path))
      total -= e.size;
  }
}
} // namespace

std::string cache::directory() {
  if (const char *d = std::getenv("NNC_CACHE_DIR"); d && *d)
    return d;
  llvm::SmallString<256> p;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    p = x;
  else if (const char *h = std::getenv("HOME"); h && *h)
    llvm::sys::path::append(p, h, ".cache");
  else
    return "";
  llvm::sys::path::append(p, "nnc");
  return std::string(p);
}

std::string cache::key(llvm::ArrayRef<llvm::StringRef> parts) {
  llvm::SHA256 sha;
  auto add = [&](llvm::StringRef s) {
    uint64_t n = s.size();
    sha.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(&n), 8));
    sha.update(s);
  };
  static const std::string self = identity();
  add(self);
  for (llvm::StringRef p : parts)
    add(p);
  return llvm::toHex(sha.final(), /*LowerCase=*/true);
}

bool cache::load(const std::string &key, std::vector<std::string> &objects) {
  std::string dir = directory();
  if (dir.empty())
    return false;
  std::string path = entryPath(dir, key);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return false;
  llvm::StringRef data = (*buf)->getBuffer();
  if (!data.consume_front(kMagic) || data.size() < kKeySize + kDigestSize ||
      data.take_front(kKeySize) != key)
    return false;
  data = data.drop_front(kKeySize);
  llvm::StringRef digest = data.take_front(kDigestSize);
  data = data.drop_front(kDigestSize);
  if (digestOf(data) != digest || data.size() < 4)
    return false;
  uint32_t count = llvm::support::endian::read32le(data.data());
  data = data.drop_front(4);
  std::vector<std::string> out;
  for (uint32_t k = 0; k < count; ++k) {
    if (data.size() < 8)
      return false;
    uint64_t n = llvm::support::endian::read64le(data.data());
    data = data.drop_front(8);
    if (n > data.size())
      return false;
    out.emplace_back(data.take_front(n));
    data = data.drop_front(n);
  }
  if (!data.empty() || out.empty())
    return false;
  objects = std::move(out);
  int fd;
  if (!llvm::sys::fs::openFileForRead(path, fd)) {
    (void)llvm::sys::fs::setLastAccessAndModificationTime(
        fd, std::chrono::system_clock::now());
    (void)llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }
  return true;
}

void cache::store(const std::string &key,
                  const std::vector<std::string> &objects) {
  std::string dir = directory();
  if (dir.empty() || llvm::sys::fs::create_directories(dir))
    return;
  std::string path = entryPath(dir, key);
  llvm::SmallString<256> tmp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tmp))
    return;
  {
    std::string body;
    char word[8];
    llvm::support::endian::write32le(word, uint32_t(objects.size()));
    body.append(word, 4);
    for (const std::string &o : objects) {
      llvm::support::endian::write64le(word, o.size());
      body.append(word, 8);
      body += o;
    }
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << kMagic << key << digestOf(body) << body;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return;
    }
  }
  if (llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return;
  }
  evict(dir);
}

int cache::clear(std::string &error) {
  std::string dir = directory();
  if (dir.empty()) {
    error = "no cache directory (set NNC_CACHE_DIR, XDG_CACHE_HOME or HOME)";
    return -1;
  }
  if (!llvm::sys::fs::exists(dir))
    return 0;
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "the cache directory '" + dir + "' is not a directory";
    return -1;
  }
  int removed = 0;
  for (const Entry &e : entries(dir)) {
    if (std::error_code ec = llvm::sys::fs::remove(e.path)) {
      error = "cannot remove '" + e.path + "': " + ec.message() + " (removed " +
              std::to_string(removed) + " entries)";
      return -1;
    }
    ++removed;
  }
  return removed;
}

void cache::usage(unsigned &count, uint64_t &bytes) {
  count = 0;
  bytes = 0;
  std::string dir = directory();
  if (dir.empty())
    return;
  for (const Entry &e : entries(dir)) {
    ++count;
    bytes += e.size;
  }
}
