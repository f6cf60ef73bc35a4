//===- Idx.cpp - IDX files and labelled data sets -------------------------===//
//
// IDX is the format of (Fashion-)MNIST: a big-endian header (0, 0, type
// code, rank), rank big-endian u32 dimensions, then the elements. zlib's
// gz* functions read plain and gzip-compressed files alike. Every failure
// names the file and says what was expected.
//
//===----------------------------------------------------------------------===//
#include "Sources.h"
#include "nnc/runtime.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {
/// Reads exactly n bytes; reports truncation with what was expected (a
/// part of `total` bytes, of which `before` were read earlier).
bool readAll(gzFile f, void *buf, size_t n, const char *path,
             const char *what, size_t before = 0, size_t total = 0) {
  size_t done = 0;
  while (done < n) {
    unsigned chunk =
        static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int got = gzread(f, static_cast<char *>(buf) + done, chunk);
    if (got < 0) {
      int err;
      const char *msg = gzerror(f, &err);
      nnc_set_error("cannot read '%s': %s", path, msg ? msg : "read error");
      return false;
    }
    if (got == 0) {
      nnc_set_error("'%s' is truncated: %s needs %zu bytes, the file has "
                    "only %zu",
                    path, what, total ? total : n, before + done);
      return false;
    }
    done += static_cast<size_t>(got);
  }
  return true;
}

uint32_t bigEndian(const unsigned char *b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) |
         (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

struct GzCloser {
  gzFile f;
  ~GzCloser() {
    if (f)
      gzclose(f);
  }
};
} // namespace

extern "C" int nnc_idx_load(const char *path, nnc_tensor *out) {
  std::memset(out, 0, sizeof *out);
  struct stat st;
  if (stat(path, &st) != 0)
    return nnc_set_error("cannot open '%s': %s", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    return nnc_set_error("'%s' is a directory, not an IDX file", path);
  GzCloser f{gzopen(path, "rb")};
  if (!f.f)
    return nnc_set_error("cannot open '%s': %s", path, std::strerror(errno));
  unsigned char header[4];
  if (!readAll(f.f, header, 4, path, "the IDX header"))
    return -1;
  if (header[0] != 0 || header[1] != 0)
    return nnc_set_error("'%s' is not an IDX file (it starts with bytes "
                         "%02x %02x, expected 00 00)",
                         path, header[0], header[1]);
  int rank = header[3];
  if (rank < 1 || rank > NNC_MAX_RANK)
    return nnc_set_error("'%s': IDX rank %d is not supported (1..%d)", path,
                         rank, NNC_MAX_RANK);
  size_t elemSize;
  switch (header[2]) {
  case 0x08:
    out->dtype = NNC_U8;
    elemSize = 1;
    break;
  case 0x09:
    out->dtype = NNC_I32;
    elemSize = 1;
    break;
  case 0x0B:
    out->dtype = NNC_I32;
    elemSize = 2;
    break;
  case 0x0C:
    out->dtype = NNC_I32;
    elemSize = 4;
    break;
  case 0x0D:
    out->dtype = NNC_F32;
    elemSize = 4;
    break;
  case 0x0E:
    out->dtype = NNC_F64;
    elemSize = 8;
    break;
  default:
    return nnc_set_error("'%s': unknown IDX element type 0x%02x", path,
                         header[2]);
  }
  std::vector<unsigned char> dims(4 * rank);
  if (!readAll(f.f, dims.data(), dims.size(), path, "the IDX dimensions"))
    return -1;
  out->rank = rank;
  for (int k = 0; k < rank; ++k)
    out->dims[k] = bigEndian(&dims[4 * k]);
  int64_t n = nnc_tensor_numel(out);
  uint64_t need = 0;
  if (n == INT64_MAX ||
      __builtin_mul_overflow(uint64_t(n), elemSize, &need) ||
      need > (uint64_t(1) << 48))
    return nnc_set_error("'%s': its IDX shape needs more than 2^48 bytes; "
                         "the file is corrupt",
                         path);
  // Read before allocating the tensor, in doubling chunks: memory grows
  // with what the file holds, not with what its (untrusted) header claims.
  std::vector<unsigned char> raw;
  while (raw.size() < need) {
    size_t at = raw.size();
    size_t chunk = size_t(std::min<uint64_t>(
        need - at, std::max<uint64_t>(at, uint64_t(1) << 16)));
    raw.resize(at + chunk);
    if (!readAll(f.f, raw.data() + at, chunk, path, "the IDX data", at,
                 size_t(need)))
      return -1;
  }
  // The shape accounts for the whole file; reading on to its end also
  // makes zlib check a compressed file's length and checksum.
  // (zlib reports a stream cut short only through gzerror.)
  char extra;
  int more = gzread(f.f, &extra, 1), err = Z_OK;
  const char *msg = gzerror(f.f, &err);
  if (more < 0 || err != Z_OK)
    return nnc_set_error("'%s' is corrupt after its data: %s", path,
                         err == Z_BUF_ERROR ? "the compressed stream is cut "
                                              "short"
                         : msg              ? msg
                                            : "read error");
  if (more > 0)
    return nnc_set_error("'%s' holds more data than its IDX shape needs "
                         "(%llu bytes): the header or the file is wrong",
                         path, (unsigned long long)need);
  if (nnc_tensor_alloc(out))
    return -1;
  const unsigned char *p = raw.data();
  for (int64_t i = 0; i < n; ++i, p += elemSize) {
    switch (header[2]) {
    case 0x08:
      static_cast<uint8_t *>(out->data)[i] = p[0];
      break;
    case 0x09:
      static_cast<int32_t *>(out->data)[i] = int8_t(p[0]);
      break;
    case 0x0B:
      static_cast<int32_t *>(out->data)[i] = int16_t((p[0] << 8) | p[1]);
      break;
    case 0x0C:
      static_cast<int32_t *>(out->data)[i] = int32_t(bigEndian(p));
      break;
    case 0x0D: {
      uint32_t bits = bigEndian(p);
      std::memcpy(static_cast<float *>(out->data) + i, &bits, 4);
      break;
    }
    case 0x0E: {
      uint64_t bits = (uint64_t(bigEndian(p)) << 32) | bigEndian(p + 4);
      std::memcpy(static_cast<double *>(out->data) + i, &bits, 8);
      break;
    }
    }
  }
  return 0;
}

int nnc::loadIdxPair(const char *images, const char *labels, bool pixelBytes,
                     nnc_dataset *out) {
  std::memset(out, 0, sizeof *out);
  nnc_tensor img, lab;
  if (nnc_idx_load(images, &img))
    return -1;
  if (nnc_idx_load(labels, &lab)) {
    nnc_tensor_free(&img);
    return -1;
  }
  auto fail = [&](int) {
    nnc_tensor_free(&img);
    nnc_tensor_free(&lab);
    return -1;
  };
  if (img.dtype != NNC_U8 || img.rank < 2)
    return fail(nnc_set_error("'%s': expected u8 images [N, H, W, ...], got "
                              "a rank-%d tensor of another type",
                              images, img.rank));
  if (lab.dtype != NNC_U8 || lab.rank != 1)
    return fail(nnc_set_error("'%s': expected u8 labels [N], got a rank-%d "
                              "tensor of another type",
                              labels, lab.rank));
  if (img.dims[0] != lab.dims[0])
    return fail(nnc_set_error("'%s' has %lld images but '%s' has %lld labels",
                              images, (long long)img.dims[0], labels,
                              (long long)lab.dims[0]));
  out->count = img.dims[0];
  if (pixelBytes) {
    out->images = img;
    img.data = nullptr;
  }
  out->images.dtype = NNC_F32;
  out->images.rank = img.rank;
  std::memcpy(out->images.dims, img.dims, sizeof img.dims);
  out->labels.dtype = NNC_I64;
  out->labels.rank = 1;
  out->labels.dims[0] = lab.dims[0];
  if (pixelBytes)
    out->images.dtype = NNC_U8;
  if ((!pixelBytes && nnc_tensor_alloc(&out->images)) ||
      nnc_tensor_alloc(&out->labels)) {
    nnc_tensor_free(&out->images);
    return fail(-1);
  }
  if (!pixelBytes)
    pixelsToUnit(static_cast<const uint8_t *>(img.data),
                 static_cast<float *>(out->images.data),
                 nnc_tensor_numel(&img));
  const uint8_t *ls = static_cast<const uint8_t *>(lab.data);
  int64_t *ld = static_cast<int64_t *>(out->labels.data);
  for (int64_t i = 0; i < out->count; ++i) {
    ld[i] = ls[i];
    if (ls[i] + 1 > out->classes)
      out->classes = ls[i] + 1;
  }
  nnc_tensor_free(&img);
  nnc_tensor_free(&lab);
  return 0;
}

static bool isFile(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

extern "C" int nnc_dataset_load_idx(const char *images, const char *labels,
                                    nnc_dataset *out) {
  return nnc::loadIdxPair(images, labels, false, out);
}

extern "C" int nnc_dataset_fashion_mnist(const char *split, nnc_dataset *out) {
  return nnc::loadFashionMnist(split, false, out);
}

namespace {
/// An MNIST-like data set (IDX image and label files `train-*` and
/// `t10k-*`) in `folder` under each $NNC_DATA_PATH entry (or the entry
/// itself) and /usr/share/datasets.
int loadMnistLike(const char *title, const char *folder, const char *install,
                  const char *split, bool pixelBytes, nnc_dataset *out) {
  std::memset(out, 0, sizeof *out);
  std::string prefix;
  if (std::strcmp(split, "train") == 0)
    prefix = "train";
  else if (std::strcmp(split, "test") == 0)
    prefix = "t10k";
  else
    return nnc_set_error("%s has splits \"train\" and \"test\", not \"%s\"",
                         title, split);
  std::vector<std::string> dirs;
  if (const char *env = std::getenv("NNC_DATA_PATH")) {
    std::string s(env);
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(':', start);
      if (end == std::string::npos)
        end = s.size();
      if (end > start) {
        dirs.push_back(s.substr(start, end - start));
        dirs.push_back(s.substr(start, end - start) + "/" + folder);
      }
      start = end + 1;
    }
  }
  dirs.push_back(std::string("/usr/share/datasets/") + folder);
  std::string looked;
  // The first folder with either file is the data set's: one without the
  // other is an error, not a reason to fall back to another copy.
  auto find = [](const std::string &stem) {
    for (const char *ext : {".gz", ""})
      if (isFile(stem + ext))
        return stem + ext;
    return std::string();
  };
  for (const std::string &d : dirs) {
    std::string images = find(d + "/" + prefix + "-images-idx3-ubyte");
    std::string labels = find(d + "/" + prefix + "-labels-idx1-ubyte");
    if (!images.empty() && !labels.empty())
      return nnc::loadIdxPair(images.c_str(), labels.c_str(), pixelBytes,
                              out);
    if (!images.empty() || !labels.empty())
      return nnc_set_error(
          "%s (%s): '%s' has %s but no %s-%s-idx%d-ubyte[.gz]; add it, or "
          "take the folder out of NNC_DATA_PATH",
          title, split, d.c_str(),
          (images.empty() ? labels : images).substr(d.size() + 1).c_str(),
          prefix.c_str(), images.empty() ? "images" : "labels",
          images.empty() ? 3 : 1);
    looked += (looked.empty() ? "" : ", ") + d;
  }
  return nnc_set_error(
      "%s (%s) not found; looked in %s. %s set NNC_DATA_PATH to a folder "
      "holding %s-images-idx3-ubyte.gz and %s-labels-idx1-ubyte.gz (or a "
      "folder '%s' with them)",
      title, split, looked.c_str(), install, prefix.c_str(), prefix.c_str(),
      folder);
}
} // namespace

int nnc::loadFashionMnist(const char *split, bool pixelBytes,
                          nnc_dataset *out) {
  return loadMnistLike("Fashion-MNIST", "fashion-mnist",
                       "Install it with 'apt-get install "
                       "dataset-fashion-mnist', or",
                       split, pixelBytes, out);
}

int nnc::loadMnist(const char *split, bool pixelBytes, nnc_dataset *out) {
  return loadMnistLike("MNIST", "mnist", "No Debian package ships it:",
                       split, pixelBytes, out);
}

extern "C" void nnc_dataset_free(nnc_dataset *ds) {
  if (!ds)
    return;
  nnc_tensor_free(&ds->images);
  nnc_tensor_free(&ds->labels);
}
