//===- Safetensors.cpp - Reading and writing safetensors files ------------===//
//
// The format: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
// "__metadata__": {...}}, then the raw little-endian data. Writes go to a
// temporary file that is fsync'ed and renamed over the target, so a crash
// or a full disk never leaves a half-written checkpoint behind.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "File.h"
#include "nnc/runtime.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {
const char *dtypeName(nnc_dtype t) {
  switch (t) {
  case NNC_F32:
    return "F32";
  case NNC_F64:
    return "F64";
  case NNC_I32:
    return "I32";
  case NNC_I64:
    return "I64";
  case NNC_U8:
    return "U8";
  case NNC_BOOL:
    return "BOOL";
  }
  return "F32";
}

bool parseDtype(const std::string &s, nnc_dtype &t) {
  static const std::pair<const char *, nnc_dtype> table[] = {
      {"F32", NNC_F32}, {"F64", NNC_F64}, {"I32", NNC_I32},
      {"I64", NNC_I64}, {"U8", NNC_U8},   {"BOOL", NNC_BOOL}};
  for (auto &e : table)
    if (s == e.first) {
      t = e.second;
      return true;
    }
  return false;
}

/// Writes all of buf or reports why not (ENOSPC: "No space left").
bool writeAll(int fd, const void *buf, size_t n, const std::string &path) {
  const char *p = static_cast<const char *>(buf);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      nnc_set_error("cannot write '%s': %s", path.c_str(),
                    std::strerror(errno));
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
} // namespace

extern "C" int64_t nnc_named_find(const nnc_named_tensors *t,
                                  const char *name) {
  for (int64_t i = 0; i < t->count; ++i)
    if (std::strcmp(t->names[i], name) == 0)
      return i;
  return -1;
}

extern "C" int nnc_named_append(nnc_named_tensors *t, const char *name,
                                nnc_tensor tensor) {
  auto **names = static_cast<char **>(
      std::realloc(t->names, sizeof(char *) * (t->count + 1)));
  if (!names)
    return nnc_set_error("out of memory");
  t->names = names;
  auto *tensors = static_cast<nnc_tensor *>(
      std::realloc(t->tensors, sizeof(nnc_tensor) * (t->count + 1)));
  if (!tensors)
    return nnc_set_error("out of memory");
  t->tensors = tensors;
  t->names[t->count] = strdup(name);
  t->tensors[t->count] = tensor;
  ++t->count;
  return 0;
}

extern "C" void nnc_named_remove(nnc_named_tensors *t, int64_t k) {
  if (!t || k < 0 || k >= t->count)
    return;
  std::free(t->names[k]);
  nnc_tensor_free(&t->tensors[k]);
  for (int64_t j = k + 1; j < t->count; ++j) {
    t->names[j - 1] = t->names[j];
    t->tensors[j - 1] = t->tensors[j];
  }
  --t->count;
}

extern "C" void nnc_named_free(nnc_named_tensors *t) {
  if (!t)
    return;
  for (int64_t i = 0; i < t->count; ++i) {
    std::free(t->names[i]);
    nnc_tensor_free(&t->tensors[i]);
  }
  std::free(t->names);
  std::free(t->tensors);
  t->names = nullptr;
  t->tensors = nullptr;
  t->count = 0;
}

namespace {
/// Where a safetensors file is read from: an open file or bytes in memory.
struct Source {
  FILE *file = nullptr;
  const unsigned char *bytes = nullptr;
  uint64_t size = 0;
  /// Reads n bytes at `offset`; false if they are not there.
  bool read(uint64_t offset, void *dst, uint64_t n) const {
    if (offset > size || n > size - offset)
      return false;
    if (bytes) {
      std::memcpy(dst, bytes + offset, n);
      return true;
    }
    return std::fseek(file, static_cast<long>(offset), SEEK_SET) == 0 &&
           std::fread(dst, 1, n, file) == n;
  }
};

/// Parses a safetensors file from `src`; errors name it `path`.
int parseSafetensors(const char *path, const Source &src,
                     nnc_named_tensors *out) {
  std::memset(out, 0, sizeof *out);
  unsigned char lenBytes[8];
  if (!src.read(0, lenBytes, 8))
    return nnc_set_error("'%s' is not a safetensors file: it is shorter than "
                         "the 8-byte header length",
                         path);
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | lenBytes[i];
  uint64_t fileSize = src.size;
  if (headerLen > fileSize - 8 || headerLen > (100u << 20))
    return nnc_set_error("'%s' is not a safetensors file: its header length "
                         "%llu does not fit the file (%llu bytes)",
                         path, (unsigned long long)headerLen,
                         (unsigned long long)fileSize);
  std::string header(headerLen, '\0');
  if (!src.read(8, &header[0], headerLen))
    return nnc_set_error("'%s' is truncated in its header", path);
  nlohmann::json j = nlohmann::json::parse(header, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return nnc_set_error("'%s' is not a safetensors file: the header is not "
                         "a JSON object",
                         path);
  uint64_t dataStart = 8 + headerLen, dataLen = fileSize - dataStart;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__")
      continue;
    const nlohmann::json &e = it.value();
    nnc_tensor t{};
    bool ok = e.is_object() && e.contains("dtype") && e["dtype"].is_string() &&
              e.contains("shape") && e["shape"].is_array() &&
              e.contains("data_offsets") && e["data_offsets"].is_array() &&
              e["data_offsets"].size() == 2 &&
              parseDtype(e["dtype"].get<std::string>(), t.dtype) &&
              e["shape"].size() <= NNC_MAX_RANK;
    // Sizes and offsets are non-negative integers (a string or a float
    // would make the JSON library throw through this C interface).
    auto natural = [](const nlohmann::json &v) {
      return v.is_number_unsigned() ||
             (v.is_number_integer() && v.get<int64_t>() >= 0);
    };
    for (size_t d = 0; ok && d < e["shape"].size(); ++d)
      ok = natural(e["shape"][d]) &&
           e["shape"][d].get<uint64_t>() <= uint64_t(INT64_MAX);
    ok = ok && natural(e["data_offsets"][0]) && natural(e["data_offsets"][1]);
    if (!ok) {
      nnc_named_free(out);
      return nnc_set_error("'%s': tensor '%s' has a malformed entry "
                           "(supported dtypes: F32 F64 I32 I64 U8 BOOL)",
                           path, it.key().c_str());
    }
    t.rank = static_cast<int32_t>(e["shape"].size());
    for (int32_t d = 0; d < t.rank; ++d)
      t.dims[d] = e["shape"][d].get<int64_t>();
    uint64_t begin = e["data_offsets"][0].get<uint64_t>();
    uint64_t end = e["data_offsets"][1].get<uint64_t>();
    int64_t n = nnc_tensor_numel(&t);
    uint64_t want = 0;
    bool huge = n == INT64_MAX || __builtin_mul_overflow(
                                      uint64_t(n), nnc_dtype_size(t.dtype), &want);
    if (huge || end < begin || end - begin != want || end > dataLen) {
      nnc_named_free(out);
      return nnc_set_error("'%s': tensor '%s' needs %llu bytes at offsets "
                           "[%llu, %llu), which the file does not hold",
                           path, it.key().c_str(), (unsigned long long)want,
                           (unsigned long long)begin, (unsigned long long)end);
    }
    if (nnc_tensor_alloc(&t)) {
      nnc_named_free(out);
      return -1;
    }
    if (!src.read(dataStart + begin, t.data, want)) {
      nnc_tensor_free(&t);
      nnc_named_free(out);
      return nnc_set_error("'%s' is truncated in tensor '%s'", path,
                           it.key().c_str());
    }
    nnc_named_append(out, it.key().c_str(), t);
  }
  return 0;
}
} // namespace

extern "C" int nnc_safetensors_load(const char *path, nnc_named_tensors *out) {
  std::memset(out, 0, sizeof *out);
  nnc::rt::File file = nnc::rt::openForReading(path);
  if (!file)
    return -1;
  struct stat st;
  fstat(fileno(file.get()), &st);
  Source src;
  src.file = file.get();
  src.size = static_cast<uint64_t>(st.st_size);
  return parseSafetensors(path, src, out);
}

extern "C" int nnc_safetensors_parse(const void *data, size_t size,
                                     const char *name, nnc_named_tensors *out) {
  Source src;
  src.bytes = static_cast<const unsigned char *>(data);
  src.size = size;
  return parseSafetensors(name, src, out);
}

int nnc::checkpointTarget(const char *path, std::string &target) {
  target = path;
  struct stat st;
  if (::lstat(path, &st) != 0)
    return 0; // a new file
  if (S_ISLNK(st.st_mode)) {
    if (char *real = ::realpath(path, nullptr)) {
      target = real;
      std::free(real);
      if (::stat(target.c_str(), &st) != 0)
        return 0;
    } else {
      // A link to a file not written yet: the file it names.
      char link[4096];
      ssize_t n = ::readlink(path, link, sizeof link - 1);
      if (n <= 0)
        return nnc_set_error("cannot write '%s': %s", path,
                             std::strerror(errno));
      link[n] = '\0';
      std::string dir(path);
      size_t slash = dir.rfind('/');
      target = link[0] == '/' || slash == std::string::npos
                   ? std::string(link)
                   : dir.substr(0, slash + 1) + link;
      return 0;
    }
  }
  if (!S_ISREG(st.st_mode))
    return nnc_set_error("cannot write '%s': it is %s, not a file; give a "
                         "file's path (a new one, or a checkpoint to replace)",
                         path,
                         S_ISDIR(st.st_mode)    ? "a folder"
                         : S_ISFIFO(st.st_mode) ? "a FIFO"
                         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)
                             ? "a device"
                             : "a special file");
  return 0;
}

extern "C" int nnc_safetensors_save(const char *path,
                                    const nnc_named_tensors *tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (int64_t i = 0; i < tensors->count; ++i) {
    const nnc_tensor &t = tensors->tensors[i];
    std::vector<int64_t> shape(t.dims, t.dims + t.rank);
    uint64_t bytes =
        static_cast<uint64_t>(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
    header[tensors->names[i]] = {{"dtype", dtypeName(t.dtype)},
                                 {"shape", shape},
                                 {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8)
    text.push_back(' '); // keep the data 8-byte aligned
  std::string target;
  if (nnc::checkpointTarget(path, target))
    return -1;
  std::string tmp = target + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return nnc_set_error("cannot write '%s': %s", path, std::strerror(errno));
  unsigned char len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>(n >> (8 * i));
  bool ok = writeAll(fd, len, 8, target) &&
            writeAll(fd, text.data(), text.size(), target);
  for (int64_t i = 0; ok && i < tensors->count; ++i) {
    const nnc_tensor &t = tensors->tensors[i];
    ok = writeAll(fd, t.data,
                  static_cast<size_t>(nnc_tensor_numel(&t)) *
                      nnc_dtype_size(t.dtype),
                  target);
  }
  if (ok && ::fsync(fd) != 0)
    ok =
        nnc_set_error("cannot write '%s': %s", path, std::strerror(errno)) == 0;
  if (::close(fd) != 0 && ok)
    ok =
        nnc_set_error("cannot write '%s': %s", path, std::strerror(errno)) == 0;
  if (ok && std::rename(tmp.c_str(), target.c_str()) != 0)
    ok = nnc_set_error("cannot replace '%s': %s", path, std::strerror(errno)) ==
         0;
  if (!ok) {
    ::unlink(tmp.c_str()); // the previous file, if any, stays intact
    return -1;
  }
  return 0;
}
