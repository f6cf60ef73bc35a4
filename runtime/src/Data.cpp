//===- Data.cpp - NPY and CSV loading, label checks, batching -------------===//
//
// The data pipeline below the training loop: loaders that say exactly what
// is wrong with a file (which line, which column, what was expected),
// a label range check, and a seeded shuffling batcher whose batches are a
// pure function of (seed, epoch), so a resumed run sees the same order.
//
//===----------------------------------------------------------------------===//
#include "File.h"
#include "Numbers.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int nnc_npy_load(const char *path, nnc_tensor *out) {
  std::memset(out, 0, sizeof *out);
  nnc::rt::File file = nnc::rt::openForReading(path);
  if (!file)
    return -1;
  FILE *f = file.get();
  unsigned char magic[8];
  if (std::fread(magic, 1, 8, f) != 8 || std::memcmp(magic, "\x93NUMPY", 6))
    return nnc_set_error("'%s' is not a .npy file (no \\x93NUMPY magic)", path);
  uint32_t headerLen = 0;
  unsigned char len[4] = {0, 0, 0, 0};
  size_t lenBytes = magic[6] == 1 ? 2 : 4;
  if (std::fread(len, 1, lenBytes, f) != lenBytes)
    return nnc_set_error("'%s' is truncated in its header", path);
  headerLen = len[0] | (len[1] << 8) | (uint32_t(len[2]) << 16) |
              (uint32_t(len[3]) << 24);
  // Every length and size read from the file is checked against the
  // file's size before anything is allocated.
  long start = std::ftell(f);
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  std::fseek(f, start, SEEK_SET);
  if (start < 0 || size < start || headerLen > uint64_t(size - start))
    return nnc_set_error("'%s': its header says %u bytes, the file has %ld "
                         "after the magic",
                         path, headerLen, size < start ? 0L : size - start);
  std::string header(headerLen, '\0');
  if (std::fread(&header[0], 1, headerLen, f) != headerLen)
    return nnc_set_error("'%s' is truncated in its header", path);
  // The value after `key:`, up to the next ',' or '}' (a tuple up to its
  // ')'); "" when the header has no such key or value.
  auto field = [&](const char *key) -> std::string {
    size_t at = header.find(key);
    if (at == std::string::npos ||
        (at = header.find(':', at)) == std::string::npos)
      return "";
    size_t value = header.find_first_not_of(' ', at + 1);
    if (value == std::string::npos)
      return "";
    size_t end = header[value] == '('
                     ? header.find(')', value)
                     : header.find_first_of(",}", value);
    if (end == std::string::npos)
      return "";
    return header.substr(at + 1, end + (header[value] == '(') - at - 1);
  };
  std::string descr = field("'descr'"), order = field("'fortran_order'"),
              shape = field("'shape'");
  auto has = [&](const char *d) { return descr.find(d) != std::string::npos; };
  if (has("'<f4'"))
    out->dtype = NNC_F32;
  else if (has("'<f8'"))
    out->dtype = NNC_F64;
  else if (has("'<i4'"))
    out->dtype = NNC_I32;
  else if (has("'<i8'"))
    out->dtype = NNC_I64;
  else if (has("'|u1'"))
    out->dtype = NNC_U8;
  else if (has("'|b1'"))
    out->dtype = NNC_BOOL;
  else
    return nnc_set_error("'%s': element type %s is not supported (little-"
                         "endian f4, f8, i4, i8, u1 or b1)",
                         path, descr.c_str());
  if (order.find("True") != std::string::npos)
    return nnc_set_error("'%s' is in Fortran order; save it in C order "
                         "(numpy.ascontiguousarray)",
                         path);
  out->rank = 0;
  shape.erase(0, shape.find_first_not_of(' '));
  // "(2, 3)", "(5,)", "()": non-negative integers between commas.
  size_t open = shape.find('('), close = shape.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    return nnc_set_error("'%s': its header has no shape tuple", path);
  std::string inner = shape.substr(open + 1, close - open - 1);
  uint64_t elements = 1;
  for (size_t at = 0; at <= inner.size();) {
    size_t comma = std::min(inner.find(',', at), inner.size());
    std::string dim = inner.substr(at, comma - at);
    dim.erase(0, dim.find_first_not_of(' '));
    dim.erase(dim.find_last_not_of(' ') + 1);
    at = comma + 1;
    if (dim.empty() && comma == inner.size())
      break; // "(5,)" or "()"
    int64_t d = 0;
    if (!nnc::rt::parseInt(dim, d, /*allowSign=*/false))
      return nnc_set_error("'%s': shape %s: '%s' is not a size", path,
                           shape.c_str(), dim.c_str());
    if (out->rank == NNC_MAX_RANK)
      return nnc_set_error("'%s' has more than %d dimensions", path,
                           NNC_MAX_RANK);
    out->dims[out->rank++] = d;
    if (__builtin_mul_overflow(elements, uint64_t(d), &elements))
      elements = UINT64_MAX;
  }
  uint64_t bytes64 = 0;
  long dataAt = std::ftell(f);
  uint64_t have = dataAt >= 0 && size > dataAt ? uint64_t(size - dataAt) : 0;
  bool huge = elements == UINT64_MAX ||
              __builtin_mul_overflow(
                  elements, uint64_t(nnc_dtype_size(out->dtype)), &bytes64);
  if (huge || bytes64 > have)
    return nnc_set_error(
        "'%s' is truncated: its shape %s needs %s bytes of data, the file "
        "has %llu",
        path, shape.c_str(),
        huge ? "more than 2^64" : std::to_string(bytes64).c_str(),
        (unsigned long long)have);
  if (nnc_tensor_alloc(out))
    return -1;
  size_t bytes = size_t(bytes64);
  size_t got = std::fread(out->data, 1, bytes, f);
  if (got != bytes) {
    nnc_tensor_free(out);
    return nnc_set_error("'%s' is truncated: its data needs %zu bytes, the "
                         "file has %zu",
                         path, bytes, got);
  }
  return 0;
}

namespace {
std::vector<std::string> splitCsv(const std::string &line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted) {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r')
      cell += c;
  }
  cells.push_back(cell);
  return cells;
}

/// A cell as an error message shows it: bytes that do not print (a NUL
/// inside a number, a control character) as \xNN, so the message names
/// what the file holds instead of stopping at the first NUL.
std::string printableCell(const std::string &cell) {
  std::string out;
  for (unsigned char c : cell) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
      continue;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
  }
  return out;
}
} // namespace

extern "C" int nnc_csv_load(const char *path, int64_t features,
                            const char *labelColumn, nnc_tensor *x,
                            nnc_tensor *labels) {
  std::memset(x, 0, sizeof *x);
  std::memset(labels, 0, sizeof *labels);
  std::ifstream in(path);
  if (!in)
    return nnc_set_error("cannot open '%s': %s", path, std::strerror(errno));
  std::string line;
  if (!std::getline(in, line))
    return nnc_set_error("'%s' is empty; expected a header row", path);
  std::vector<std::string> header = splitCsv(line);
  int64_t labelAt = -1;
  if (labelColumn) {
    for (size_t k = 0; k < header.size(); ++k)
      if (header[k] == labelColumn)
        labelAt = int64_t(k);
    if (labelAt < 0)
      return nnc_set_error("'%s' has no column '%s' for the labels", path,
                           labelColumn);
  }
  int64_t have = int64_t(header.size()) - (labelAt >= 0 ? 1 : 0);
  if (have != features)
    return nnc_set_error("'%s' has %lld feature columns but the program "
                         "declares %lld",
                         path, (long long)have, (long long)features);
  std::vector<float> xs;
  std::vector<int64_t> ys;
  int64_t lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line == "\r")
      continue;
    std::vector<std::string> cells = splitCsv(line);
    if (cells.size() != header.size())
      return nnc_set_error("'%s' line %lld has %zu cells; the header has %zu",
                           path, (long long)lineNo, cells.size(),
                           header.size());
    for (size_t k = 0; k < cells.size(); ++k) {
      std::string shown = printableCell(cells[k]);
      const char *s = shown.c_str();
      double v = 0;
      if (!nnc::rt::parseDouble(cells[k], v))
        return nnc_set_error("'%s' line %lld, column '%s': '%s' is not a "
                             "number",
                             path, (long long)lineNo, header[k].c_str(), s);
      if (int64_t(k) == labelAt) {
        // In range before the cast (casting 1e30 to int64_t is undefined).
        if (!(v >= -9.2e18 && v <= 9.2e18) || v != double(int64_t(v)))
          return nnc_set_error("'%s' line %lld: label '%s' is not an integer "
                               "class",
                               path, (long long)lineNo, s);
        ys.push_back(int64_t(v));
      } else {
        if (!(std::fabs(v) <= double(FLT_MAX)))
          return nnc_set_error("'%s' line %lld, column '%s': '%s' is not a "
                               "finite f32 number",
                               path, (long long)lineNo, header[k].c_str(), s);
        xs.push_back(float(v));
      }
    }
  }
  int64_t n = features ? int64_t(xs.size()) / features : int64_t(ys.size());
  if (n == 0)
    return nnc_set_error("'%s' has a header row but no data rows", path);
  x->dtype = NNC_F32;
  x->rank = 2;
  x->dims[0] = n;
  x->dims[1] = features;
  if (nnc_tensor_alloc(x))
    return -1;
  if (!xs.empty())
    std::memcpy(x->data, xs.data(), xs.size() * sizeof(float));
  if (labelAt >= 0) {
    labels->dtype = NNC_I64;
    labels->rank = 1;
    labels->dims[0] = n;
    if (nnc_tensor_alloc(labels)) {
      nnc_tensor_free(x);
      return -1;
    }
    std::memcpy(labels->data, ys.data(), ys.size() * sizeof(int64_t));
  }
  return 0;
}

extern "C" int nnc_check_labels(const nnc_tensor *labels, int64_t classes,
                                const char *what) {
  if (labels->dtype != NNC_I64)
    return nnc_set_error("%s: labels must be i64", what);
  const int64_t *l = static_cast<const int64_t *>(labels->data);
  int64_t n = nnc_tensor_numel(labels);
  int64_t per = labels->rank > 0 && labels->dims[0] > 0 ? n / labels->dims[0]
                                                        : 1; // per sample
  for (int64_t i = 0; i < n; ++i)
    if (l[i] < 0 || l[i] >= classes)
      return nnc_set_error("%s: label %lld of sample %lld%s is outside the "
                           "%lld classes 0..%lld of the model",
                           what, (long long)l[i], (long long)(i / per),
                           per > 1 ? (" (position " + std::to_string(i % per) +
                                      " of the sample)")
                                         .c_str()
                                   : "",
                           (long long)classes, (long long)classes - 1);
  return 0;
}

extern "C" int nnc_batcher_init(nnc_batcher *b, int64_t count, int64_t batch,
                                int shuffle, uint64_t seed) {
  std::memset(b, 0, sizeof *b);
  if (count <= 0 || batch <= 0)
    return nnc_set_error("cannot batch %lld samples by %lld", (long long)count,
                         (long long)batch);
  b->count = count;
  b->batch = batch;
  b->shuffle = shuffle;
  b->seed = seed;
  b->order = static_cast<int64_t *>(std::malloc(sizeof(int64_t) * count));
  if (!b->order)
    return nnc_set_error("out of memory");
  b->epoch = -1;
  b->between_epochs = 1; // the first call starts epoch 0
  return 0;
}

extern "C" int nnc_batcher_next(nnc_batcher *b, const int64_t **indices,
                                int64_t *n) {
  if (!b->between_epochs && b->position >= b->count) {
    b->between_epochs = 1; // report the end of the epoch once
    return 0;
  }
  if (b->between_epochs) {
    ++b->epoch;
    // Each epoch's order depends only on (seed, epoch) (and the weights
    // given for it): resumable.
    if (b->weights) {
      if (nnc_rng_weighted_draw(b->seed,
                                (uint64_t(b->epoch) << 40) + (1ull << 39),
                                b->weights, b->order, b->count)) {
        b->between_epochs = 1;
        --b->epoch;
        return -1;
      }
    } else if (b->shuffle)
      nnc_rng_permutation(b->seed, uint64_t(b->epoch) << 40, b->order,
                          b->count);
    else
      for (int64_t i = 0; i < b->count; ++i)
        b->order[i] = i;
    b->position = 0;
    b->between_epochs = 0;
  }
  *indices = b->order + b->position;
  *n = b->batch < b->count - b->position ? b->batch : b->count - b->position;
  b->position += *n;
  return 1;
}

extern "C" void nnc_batcher_free(nnc_batcher *b) {
  std::free(b->order);
  b->order = nullptr;
}

extern "C" int nnc_gather_rows(const nnc_tensor *src, const int64_t *indices,
                               int64_t n, nnc_tensor *dst) {
  *dst = *src;
  dst->data = nullptr;
  dst->dims[0] = n;
  if (src->rank < 1)
    return nnc_set_error("cannot take rows of a scalar");
  if (nnc_tensor_alloc(dst))
    return -1;
  size_t row = nnc_dtype_size(src->dtype);
  for (int32_t d = 1; d < src->rank; ++d)
    row *= size_t(src->dims[d]);
  for (int64_t i = 0; i < n; ++i) {
    if (indices[i] < 0 || indices[i] >= src->dims[0]) {
      nnc_tensor_free(dst);
      return nnc_set_error("row %lld is out of range (%lld rows)",
                           (long long)indices[i], (long long)src->dims[0]);
    }
    std::memcpy(static_cast<char *>(dst->data) + size_t(i) * row,
                static_cast<const char *>(src->data) + size_t(indices[i]) * row,
                row);
  }
  return 0;
}
