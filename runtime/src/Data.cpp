//===- Data.cpp - NPY and CSV loading, label checks, batching -------------===//
//
// The data pipeline below the training loop: loaders that say exactly what
// is wrong with a file (which line, which column, what was expected),
// a label range check, and a seeded shuffling batcher whose batches are a
// pure function of (seed, epoch), so a resumed run sees the same order.
//
//===----------------------------------------------------------------------===//
#include "File.h"
#include "nnc/runtime.h"

#include <cerrno>
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
  std::string header(headerLen, '\0');
  if (std::fread(&header[0], 1, headerLen, f) != headerLen)
    return nnc_set_error("'%s' is truncated in its header", path);
  auto field = [&](const char *key) -> std::string {
    size_t at = header.find(key);
    if (at == std::string::npos)
      return "";
    at = header.find(':', at);
    size_t end = header.find_first_of(",}", at);
    if (header[header.find_first_not_of(' ', at + 1)] == '(')
      end = header.find(')', at) + 1;
    return header.substr(at + 1, end - at - 1);
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
  for (const char *p = shape.c_str(); *p;) {
    if (*p >= '0' && *p <= '9') {
      if (out->rank == NNC_MAX_RANK)
        return nnc_set_error("'%s' has more than %d dimensions", path,
                             NNC_MAX_RANK);
      char *end;
      out->dims[out->rank++] = std::strtoll(p, &end, 10);
      p = end;
    } else {
      ++p;
    }
  }
  if (nnc_tensor_alloc(out))
    return -1;
  size_t bytes = size_t(nnc_tensor_numel(out)) * nnc_dtype_size(out->dtype);
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
      char *end;
      const char *s = cells[k].c_str();
      double v = std::strtod(s, &end);
      if (end == s || *end)
        return nnc_set_error("'%s' line %lld, column '%s': '%s' is not a "
                             "number",
                             path, (long long)lineNo, header[k].c_str(), s);
      if (int64_t(k) == labelAt) {
        if (v != double(int64_t(v)))
          return nnc_set_error("'%s' line %lld: label '%s' is not an integer "
                               "class",
                               path, (long long)lineNo, s);
        ys.push_back(int64_t(v));
      } else {
        xs.push_back(float(v));
      }
    }
  }
  int64_t n = features ? int64_t(xs.size()) / features : int64_t(ys.size());
  x->dtype = NNC_F32;
  x->rank = 2;
  x->dims[0] = n;
  x->dims[1] = features;
  if (nnc_tensor_alloc(x))
    return -1;
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
  for (int64_t i = 0; i < n; ++i)
    if (l[i] < 0 || l[i] >= classes)
      return nnc_set_error("%s: label %lld of sample %lld is outside the "
                           "%lld classes 0..%lld of the model",
                           what, (long long)l[i], (long long)i,
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
    // Each epoch's order depends only on (seed, epoch): resumable.
    if (b->shuffle)
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
