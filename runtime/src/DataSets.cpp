//===- DataSets.cpp - Data sets named by the compiler's descriptors -------===//
//
// The compiler names each data set of a program by a descriptor string
// (DataSets.h): a loader and its arguments, possibly wrapped in subset,
// split and augment. This file turns a descriptor into a table of named
// fields that share their first dimension, using the loaders of Idx.cpp
// and Data.cpp, and Images.cpp for folders of PNG/JPEG images.
//
//===----------------------------------------------------------------------===//
#include "File.h"
#include "Images.h"
#include "Numbers.h"
#include "Sources.h"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

using namespace nnc;

namespace {
/// Splits "a|b|rest..." into its first `n` parts and the rest.
bool takeParts(const std::string &s, size_t n, std::vector<std::string> &parts,
               std::string &rest) {
  size_t at = 0;
  for (size_t k = 0; k < n; ++k) {
    size_t bar = s.find('|', at);
    if (bar == std::string::npos)
      return false;
    parts.push_back(s.substr(at, bar - at));
    at = bar + 1;
  }
  rest = s.substr(at);
  return true;
}

std::vector<std::string> splitBars(const std::string &s) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    size_t bar = s.find('|', at);
    out.push_back(s.substr(at, bar == std::string::npos ? bar : bar - at));
    if (bar == std::string::npos)
      return out;
    at = bar + 1;
  }
}

int addField(DataTable &t, const char *name, nnc_tensor tensor) {
  if (t.fields.empty())
    t.count = tensor.dims[0];
  t.fields.push_back({name, tensor});
  return 0;
}

/// Features of an npy(...) data set as f32, the type sema gives them: f8,
/// i4, i8 and b1 arrays are converted (an f8 value beyond f32's range is
/// an error, not an inf).
int npyFeaturesToF32(const std::string &path, nnc_tensor &x) {
  if (x.dtype == NNC_F32 || x.dtype == NNC_U8)
    return 0; // u8 stays pixel bytes, scaled when a batch is gathered
  nnc_tensor f = x;
  f.dtype = NNC_F32;
  f.data = nullptr;
  if (nnc_tensor_alloc(&f))
    return -1;
  int64_t n = nnc_tensor_numel(&x);
  auto *out = static_cast<float *>(f.data);
  for (int64_t i = 0; i < n; ++i) {
    double v = x.dtype == NNC_F64 ? static_cast<const double *>(x.data)[i]
               : x.dtype == NNC_I32
                   ? double(static_cast<const int32_t *>(x.data)[i])
               : x.dtype == NNC_I64
                   ? double(static_cast<const int64_t *>(x.data)[i])
                   : double(static_cast<const uint8_t *>(x.data)[i] != 0);
    if (std::isfinite(v) && std::fabs(v) > double(FLT_MAX)) {
      nnc_tensor_free(&f);
      return nnc_set_error("'%s': element %lld is %g, beyond the range of "
                           "f32 (the type of an npy data set's features)",
                           path.c_str(), (long long)i, v);
    }
    out[i] = float(v);
  }
  nnc_tensor_free(&x);
  x = f;
  return 0;
}

/// Data holding NaN or inf is refused before training: it would surface
/// as a NaN loss some steps later, blamed on the learning rate.
int checkFinite(const DataTable &t) {
  for (const auto &[name, f] : t.fields) {
    if (f.dtype != NNC_F32 && f.dtype != NNC_F64)
      continue;
    int64_t n = nnc_tensor_numel(&f);
    int64_t perSample = f.rank && f.dims[0] ? n / f.dims[0] : 1;
    for (int64_t i = 0; i < n; ++i) {
      double v = f.dtype == NNC_F32 ? static_cast<const float *>(f.data)[i]
                                    : static_cast<const double *>(f.data)[i];
      if (!std::isfinite(v))
        return nnc_set_error(
            "data set '%s': sample %lld of field '%s' holds %s (element "
            "%lld of the sample); training needs finite numbers, so clean "
            "or drop that sample",
            describeDataSet(t.descriptor).c_str(), (long long)(i / perSample),
            name.c_str(),
            std::isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf",
            (long long)(i % perSample));
    }
  }
  return 0;
}

bool isDir(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> listDir(const std::string &p) {
  std::vector<std::string> names;
  if (DIR *d = opendir(p.c_str())) {
    while (dirent *e = readdir(d))
      if (e->d_name[0] != '.')
        names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

int loadImageFiles(const std::vector<std::pair<std::string, int64_t>> &files,
                   int64_t h, int64_t w, int64_t c, bool withLabels,
                   DataTable &out);

/// `folder/<class>/<image>`: classes in alphabetical order are labels 0..;
/// images are decoded by stb_image, converted to `c` channels, resized to
/// h x w (nearest neighbour) and scaled to [0, 1].
int loadImageFolder(const std::string &folder, int64_t h, int64_t w, int64_t c,
                    DataTable &out) {
  if (!isDir(folder))
    return nnc_set_error("image folder '%s' does not exist", folder.c_str());
  std::vector<std::pair<std::string, int64_t>> files;
  std::vector<std::string> classes;
  for (const std::string &cls : listDir(folder)) {
    std::string sub = folder + "/" + cls;
    if (!isDir(sub))
      continue;
    for (const std::string &f : listDir(sub))
      files.push_back({sub + "/" + f, int64_t(classes.size())});
    classes.push_back(cls);
  }
  if (files.empty())
    return nnc_set_error("image folder '%s' has no images: expected one "
                         "sub-folder per class holding PNG or JPEG files",
                         folder.c_str());
  return loadImageFiles(files, h, w, c, /*withLabels=*/true, out);
}

/// Decodes `files` (path, label) into the `image` field, resized to h x w
/// (nearest neighbour) with `c` channels in [0, 1], and their labels into
/// `label` when `withLabels`.
int loadImageFiles(const std::vector<std::pair<std::string, int64_t>> &files,
                   int64_t h, int64_t w, int64_t c, bool withLabels,
                   DataTable &out) {
  nnc_tensor images{}, labels{};
  images.dtype = NNC_F32;
  images.rank = 4;
  int64_t shape[4] = {int64_t(files.size()), h, w, c};
  std::memcpy(images.dims, shape, sizeof shape);
  labels.dtype = NNC_I64;
  labels.rank = 1;
  labels.dims[0] = int64_t(files.size());
  if (nnc_tensor_alloc(&images) || nnc_tensor_alloc(&labels)) {
    nnc_tensor_free(&images);
    return -1;
  }
  float *px = static_cast<float *>(images.data);
  for (size_t i = 0; i < files.size(); ++i) {
    nnc::Picture pic;
    std::string why;
    if (!nnc::readPicture(files[i].first, int(c), pic, why)) {
      nnc_tensor_free(&images);
      nnc_tensor_free(&labels);
      return nnc_set_error("cannot decode image '%s': %s",
                           files[i].first.c_str(), why.c_str());
    }
    int64_t iw = pic.width, ih = pic.height;
    const uint8_t *data = pic.pixels.data();
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        int64_t sy = y * ih / h, sx = x * iw / w;
        for (int64_t k = 0; k < c; ++k)
          px[((int64_t(i) * h + y) * w + x) * c + k] =
              data[(sy * iw + sx) * c + k] / 255.0f;
      }
    static_cast<int64_t *>(labels.data)[i] = files[i].second;
  }
  if (!withLabels) {
    nnc_tensor_free(&labels);
    return addField(out, "image", images);
  }
  addField(out, "image", images);
  return addField(out, "label", labels);
}

/// A ratings CSV (a header, then user, item, rating per row; ids are
/// non-negative integers): user i64, item i64, rating f32.
int loadRatings(const std::string &path, DataTable &out) {
  nnc_tensor x{}, none{};
  if (nnc_csv_load(path.c_str(), 3, nullptr, &x, &none))
    return -1;
  int64_t n = x.dims[0];
  nnc_tensor user{}, item{}, rating{};
  user.dtype = item.dtype = NNC_I64;
  rating.dtype = NNC_F32;
  for (nnc_tensor *t : {&user, &item, &rating}) {
    t->rank = 1;
    t->dims[0] = n;
    if (nnc_tensor_alloc(t))
      return -1;
  }
  const float *v = static_cast<const float *>(x.data);
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < 2; ++c) {
      float id = v[3 * i + c];
      if (!(id >= 0) || id != std::floor(id) || id > 16777216.0f) {
        nnc_tensor_free(&x);
        for (nnc_tensor *t : {&user, &item, &rating})
          nnc_tensor_free(t);
        return nnc_set_error("'%s' row %lld: the %s id %g is not a "
                             "non-negative integer",
                             path.c_str(), (long long)i + 2,
                             c ? "item" : "user", double(id));
      }
      static_cast<int64_t *>(c ? item.data : user.data)[i] = int64_t(id);
    }
    static_cast<float *>(rating.data)[i] = v[3 * i + 2];
  }
  nnc_tensor_free(&x);
  addField(out, "user", user);
  addField(out, "item", item);
  return addField(out, "rating", rating);
}

/// Keeps rows [from, to) of every field.
/// A text file as next-character samples: x = characters [i*seq,
/// (i+1)*seq), y = the same window one character later; bytes are the ids.
int loadTextChars(const std::string &path, int64_t seq, int64_t vocab,
                  DataTable &out) {
  rt::File f = rt::openForReading(path.c_str());
  if (!f)
    return -1;
  std::string text;
  char buf[65536];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0)
    text.append(buf, got);
  if (std::ferror(f.get()))
    return nnc_set_error("cannot read '%s': %s", path.c_str(),
                         std::strerror(errno));
  int64_t line = 1;
  for (unsigned char ch : text) {
    if (ch >= vocab)
      return nnc_set_error("'%s' line %lld: byte 0x%02X is outside the "
                           "vocabulary of %lld characters (use vocab: 256 "
                           "for any byte)",
                           path.c_str(), (long long)line, unsigned(ch),
                           (long long)vocab);
    line += ch == '\n';
  }
  int64_t n = (int64_t(text.size()) - 1) / seq;
  if (n < 1)
    return nnc_set_error("'%s' has %lld characters; sequences of %lld need "
                         "at least %lld",
                         path.c_str(), (long long)text.size(), (long long)seq,
                         (long long)seq + 1);
  nnc_tensor x{}, y{};
  x.dtype = y.dtype = NNC_I64;
  x.rank = y.rank = 2;
  x.dims[0] = y.dims[0] = n;
  x.dims[1] = y.dims[1] = seq;
  if (nnc_tensor_alloc(&x) || nnc_tensor_alloc(&y)) {
    nnc_tensor_free(&x);
    return -1;
  }
  auto *xs = static_cast<int64_t *>(x.data),
       *ys = static_cast<int64_t *>(y.data);
  for (int64_t i = 0; i < n * seq; ++i) {
    xs[i] = static_cast<unsigned char>(text[size_t(i)]);
    ys[i] = static_cast<unsigned char>(text[size_t(i + 1)]);
  }
  addField(out, "x", x);
  return addField(out, "y", y);
}

int keepRows(DataTable &t, int64_t from, int64_t to) {
  for (auto &f : t.fields) {
    nnc_tensor &old = f.second;
    nnc_tensor kept = old;
    kept.data = nullptr;
    kept.dims[0] = to - from;
    if (nnc_tensor_alloc(&kept))
      return -1;
    size_t row = nnc_dtype_size(old.dtype);
    for (int32_t d = 1; d < old.rank; ++d)
      row *= size_t(old.dims[d]);
    std::memcpy(kept.data, static_cast<char *>(old.data) + size_t(from) * row,
                size_t(to - from) * row);
    nnc_tensor_free(&old);
    old = kept;
  }
  t.count = to - from;
  return 0;
}
} // namespace

DataTable::~DataTable() {
  for (auto &f : fields)
    nnc_tensor_free(&f.second);
}

uint64_t DataTable::saltOf(const nnc_tensor *tensor) const {
  for (auto &f : fields)
    if (&f.second == tensor) {
      auto it = salts.find(f.first);
      return it == salts.end() ? 0 : it->second;
    }
  return 0;
}

const nnc_tensor *DataTable::field(const std::string &name) const {
  for (auto &f : fields)
    if (f.first == name)
      return &f.second;
  std::string have;
  for (auto &f : fields)
    have += (have.empty() ? "" : ", ") + f.first;
  nnc_set_error("data set '%s' has no field '%s' (it has %s)",
                descriptor.c_str(), name.c_str(), have.c_str());
  return nullptr;
}

namespace {
int loadTable(const std::string &desc, DataTable &out);
} // namespace

int nnc::loadDataTable(const std::string &desc, DataTable &out) {
  if (loadTable(desc, out))
    return -1;
  return checkFinite(out);
}

namespace {
/// zip:PREFIX|LEN|FIRSTSECOND (FIRST the LEN characters after the bars):
/// the first table as it is, beside the second's rows repeated, each
/// repeat in a new seeded order, to the first's length, its fields named
/// PREFIX_field. The pairs are the same in every run; shuffling the zip
/// moves them together.
int loadZip(const std::string &desc, const std::string &args, DataTable &out) {
  std::vector<std::string> parts;
  std::string both;
  uint64_t len = 0;
  if (!takeParts(args, 2, parts, both) || !rt::parseUInt(parts[1], len) ||
      len > both.size())
    return nnc_set_error("malformed data set '%s'", desc.c_str());
  if (loadTable(both.substr(0, size_t(len)), out))
    return -1;
  DataTable other;
  if (loadTable(both.substr(size_t(len)), other))
    return -1;
  out.descriptor = desc;
  if (other.flip || other.crop || other.noise)
    return nnc_set_error("%s: augment the zip as a whole (its batches get one "
                         "augmentation), not its second data set",
                         describeDataSet(desc).c_str());
  if (other.count <= 0 || out.count <= 0)
    return nnc_set_error("%s: a zipped data set is empty",
                         describeDataSet(desc).c_str());
  std::vector<int64_t> rows(size_t(out.count)), order(size_t(other.count));
  for (int64_t at = 0, round = 0; at < out.count; ++round) {
    nnc_rng_permutation(0x21B5EEDull, uint64_t(round) << 40, order.data(),
                        other.count);
    for (int64_t k = 0; k < other.count && at < out.count; ++k)
      rows[size_t(at++)] = order[size_t(k)];
  }
  for (auto &[name, t] : other.fields) {
    nnc_tensor copy = t;
    copy.data = nullptr;
    copy.dims[0] = out.count;
    if (nnc_tensor_alloc(&copy))
      return -1;
    size_t row = nnc_dtype_size(t.dtype);
    for (int32_t d = 1; d < t.rank; ++d)
      row *= size_t(t.dims[d]);
    for (int64_t i = 0; i < out.count; ++i)
      std::memcpy(static_cast<char *>(copy.data) + size_t(i) * row,
                  static_cast<const char *>(t.data) +
                      size_t(rows[size_t(i)]) * row,
                  row);
    std::string renamed = parts[0] + "_" + name;
    out.fields.push_back({renamed, copy});
    out.salts[renamed] = hashName(renamed.c_str());
  }
  return 0;
}

int loadTable(const std::string &desc, DataTable &out) {
  out.descriptor = desc;
  size_t colon = desc.find(':');
  if (colon == std::string::npos)
    return nnc_set_error("malformed data set '%s'", desc.c_str());
  std::string kind = desc.substr(0, colon), args = desc.substr(colon + 1);
  std::vector<std::string> parts;
  std::string inner;
  if (kind == "zip")
    return loadZip(desc, args, out);
  if (kind == "subset" || kind == "split" || kind == "augment") {
    size_t n = kind == "subset" ? 1 : kind == "split" ? 2 : 3;
    if (!takeParts(args, n, parts, inner))
      return nnc_set_error("malformed data set '%s'", desc.c_str());
    if (loadTable(inner, out))
      return -1;
    out.descriptor = desc;
    if (kind == "augment") {
      out.flip = parts[0] == "1";
      out.crop = std::atoll(parts[1].c_str());
      out.noise = std::atof(parts[2].c_str());
      return 0;
    }
    int64_t from = 0, to = out.count;
    if (kind == "subset") {
      to = std::min<int64_t>(std::atoll(parts[0].c_str()), out.count);
    } else {
      from =
          int64_t(std::floor(std::atof(parts[0].c_str()) * double(out.count)));
      to = int64_t(std::floor(std::atof(parts[1].c_str()) * double(out.count)));
    }
    if (to <= from)
      return nnc_set_error("data set '%s' keeps no samples of %lld",
                           desc.c_str(), (long long)out.count);
    return keepRows(out, from, to);
  }
  parts = splitBars(args);
  auto expect = [&](size_t n) {
    if (parts.size() == n)
      return true;
    nnc_set_error("malformed data set '%s'", desc.c_str());
    return false;
  };
  if (kind == "fashion_mnist" || kind == "mnist") {
    nnc_dataset ds;
    if ((kind == "mnist" ? loadMnist : loadFashionMnist)(args.c_str(), true,
                                                         &ds))
      return -1;
    addField(out, "image", ds.images);
    return addField(out, "label", ds.labels);
  }
  if (kind == "idx") {
    nnc_dataset ds;
    if (!expect(2) ||
        loadIdxPair(parts[0].c_str(), parts[1].c_str(), true, &ds))
      return -1;
    addField(out, "image", ds.images);
    return addField(out, "label", ds.labels);
  }
  if (kind == "ratings")
    return loadRatings(args, out);
  if (kind == "csv") {
    nnc_tensor x{}, y{};
    if (!expect(3) ||
        nnc_csv_load(parts[0].c_str(), std::atoll(parts[1].c_str()),
                     parts[2].empty() ? nullptr : parts[2].c_str(), &x, &y))
      return -1;
    addField(out, "x", x);
    return parts[2].empty() ? 0 : addField(out, "label", y);
  }
  if (kind == "npy") {
    nnc_tensor x{}, y{};
    if (!expect(3) || nnc_npy_load(parts[0].c_str(), &x))
      return -1;
    if (npyFeaturesToF32(parts[0], x)) {
      nnc_tensor_free(&x);
      return -1;
    }
    addField(out, "x", x);
    if (parts[1].empty())
      return 0;
    if (nnc_npy_load(parts[1].c_str(), &y))
      return -1;
    // Per sample, or per position with the label_shape "H,W" sema wrote.
    std::vector<int64_t> want{x.dims[0]};
    std::string shapeText = "[" + std::to_string(x.dims[0]);
    for (size_t at = 0; at < parts[2].size();) {
      size_t comma = std::min(parts[2].find(',', at), parts[2].size());
      std::string d = parts[2].substr(at, comma - at);
      want.push_back(std::atoll(d.c_str()));
      shapeText += ", " + d;
      at = comma + 1;
    }
    shapeText += "]";
    bool shaped = y.rank == int32_t(want.size());
    for (size_t k = 0; shaped && k < want.size(); ++k)
      shaped = y.dims[k] == want[k];
    if (!shaped ||
        (y.dtype != NNC_I64 && y.dtype != NNC_I32 && y.dtype != NNC_U8)) {
      nnc_tensor_free(&y);
      return nnc_set_error("labels '%s' must be integers (<i8, <i4 or |u1) "
                           "%s, %s of '%s'",
                           parts[1].c_str(), shapeText.c_str(),
                           want.size() == 1 ? "one per sample"
                                            : "per sample and position",
                           parts[0].c_str());
    }
    if (y.dtype != NNC_I64) { // widen to the model's i64 labels
      nnc_tensor wide = y;
      wide.dtype = NNC_I64;
      wide.data = nullptr;
      if (nnc_tensor_alloc(&wide)) {
        nnc_tensor_free(&y);
        return -1;
      }
      for (int64_t i = 0, n = nnc_tensor_numel(&y); i < n; ++i)
        static_cast<int64_t *>(wide.data)[i] =
            y.dtype == NNC_I32 ? static_cast<int32_t *>(y.data)[i]
                               : static_cast<uint8_t *>(y.data)[i];
      nnc_tensor_free(&y);
      y = wide;
    }
    return addField(out, "label", y);
  }
  if (kind == "text_chars") {
    if (!expect(3))
      return -1;
    return loadTextChars(parts[0], std::atoll(parts[1].c_str()),
                         std::atoll(parts[2].c_str()), out);
  }
  if (kind == "image") { // one PNG/JPEG file: a data set of one sample
    if (!expect(4))
      return -1;
    return loadImageFiles({{parts[0], 0}}, std::atoll(parts[1].c_str()),
                          std::atoll(parts[2].c_str()),
                          std::atoll(parts[3].c_str()), false, out);
  }
  if (kind == "image_folder") {
    if (!expect(4))
      return -1;
    return loadImageFolder(parts[0], std::atoll(parts[1].c_str()),
                           std::atoll(parts[2].c_str()),
                           std::atoll(parts[3].c_str()), out);
  }
  return nnc_set_error("data set '%s' cannot be loaded by this runtime",
                       desc.c_str());
}
} // namespace

namespace {
/// Moves the pixels of one image [H, W, C] (a copy of it in `image`): a
/// horizontal flip, then a shift by (dy, dx) with zero fill.
void shiftFlip(float *img, const std::vector<float> &image, int64_t h,
               int64_t w, int64_t c, bool flip, int64_t dy, int64_t dx) {
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      int64_t sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
      bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
      for (int64_t k = 0; k < c; ++k)
        img[(y * w + x) * c + k] =
            inside ? image[size_t((sy * w + sx) * c + k)] : 0.0f;
    }
}
} // namespace

void nnc::augmentBatch(const DataTable &t, nnc_tensor &batch, uint64_t seed,
                       uint64_t step) {
  if ((!t.flip && t.crop == 0 && t.noise == 0) || batch.dtype != NNC_F32 ||
      batch.rank < 3)
    return;
  // [B, H, W] or [B, H, W, C]: flips and crops move whole pixels.
  int64_t n = batch.dims[0], h = batch.dims[1], w = batch.dims[2];
  int64_t c = batch.rank > 3 ? batch.dims[3] : 1;
  float *px = static_cast<float *>(batch.data);
  std::vector<float> u(size_t(3 * n)), image(size_t(h * w * c));
  // Per step and sample: a flip coin and two crop offsets, from the
  // Philox stream (seed, step), so that runs repeat exactly.
  nnc_rng_uniform_f32(seed ^ 0xA06E17ull, step << 32, u.data(), 3 * n, 0, 1);
  for (int64_t i = 0; i < n; ++i) {
    float *img = px + i * h * w * c;
    std::memcpy(image.data(), img, image.size() * sizeof(float));
    bool flip = t.flip && u[size_t(3 * i)] < 0.5f;
    int64_t span = 2 * t.crop + 1;
    int64_t dy = t.crop ? int64_t(u[size_t(3 * i + 1)] * span) - t.crop : 0;
    int64_t dx = t.crop ? int64_t(u[size_t(3 * i + 2)] * span) - t.crop : 0;
    shiftFlip(img, image, h, w, c, flip, dy, dx);
  }
  if (t.noise > 0) {
    std::vector<float> z(size_t(n * h * w * c));
    nnc_rng_normal_f32(seed ^ 0x9015Eull, step << 32, z.data(),
                       int64_t(z.size()), 0, float(t.noise));
    for (size_t k = 0; k < z.size(); ++k)
      px[k] += z[k];
  }
}

int nnc::parseViews(const std::string &spec, std::vector<View> &views) {
  views.assign(1, View{}); // the data as it is
  if (spec.empty() || spec == "none")
    return 0;
  bool flip = false;
  std::vector<int64_t> crops;
  size_t at = 0;
  while (at <= spec.size()) {
    size_t end = spec.find(',', at);
    std::string item =
        spec.substr(at, end == std::string::npos ? end : end - at);
    at = end == std::string::npos ? spec.size() + 1 : end + 1;
    while (!item.empty() && item.front() == ' ')
      item.erase(0, 1);
    while (!item.empty() && item.back() == ' ')
      item.pop_back();
    int64_t k = 0;
    if (item.empty())
      return nnc_set_error("test-time augmentation '%s' has an empty view (a "
                           "stray comma?); views: 'flip', 'crop(N)'",
                           spec.c_str());
    if (item == "flip")
      flip = true;
    else if (item.size() > 6 && item.compare(0, 5, "crop(") == 0 &&
             item.back() == ')' &&
             nnc::rt::parseInt(item.substr(5, item.size() - 6), k) && k >= 1 &&
             k <= 64) {
      if (std::find(crops.begin(), crops.end(), k) == crops.end())
        crops.push_back(k);
    }
    else
      return nnc_set_error("test-time augmentation '%s': expected 'flip' "
                           "or 'crop(N)' (1 <= N <= 64), separated by commas",
                           item.c_str());
  }
  if (flip)
    views.push_back(View{true, 0, 0});
  for (int64_t crop : crops) {
    const int64_t shifts[4][2] = {
        {-crop, 0}, {crop, 0}, {0, -crop}, {0, crop}};
    for (const auto &d : shifts)
      views.push_back(View{false, d[0], d[1]});
  }
  return 0;
}

void nnc::viewBatch(nnc_tensor &batch, const View &v) {
  if ((!v.flip && !v.dy && !v.dx) || batch.dtype != NNC_F32 || batch.rank < 3)
    return;
  int64_t n = batch.dims[0], h = batch.dims[1], w = batch.dims[2];
  int64_t c = batch.rank > 3 ? batch.dims[3] : 1;
  float *px = static_cast<float *>(batch.data);
  std::vector<float> image(size_t(h * w * c));
  for (int64_t i = 0; i < n; ++i) {
    float *img = px + i * h * w * c;
    std::memcpy(image.data(), img, image.size() * sizeof(float));
    shiftFlip(img, image, h, w, c, v.flip, v.dy, v.dx);
  }
}

void nnc::pixelsToUnit(const uint8_t *in, float *out, int64_t n) {
  for (int64_t k = 0; k < n; ++k)
    out[k] = float(in[k]) * (1.0f / 255.0f);
}

nnc_dtype nnc::modelDtype(const nnc_tensor &field) {
  return field.dtype == NNC_U8 ? NNC_F32 : field.dtype;
}

void nnc::copyRows(const nnc_tensor &src, const int64_t *rows, int64_t n,
                   nnc_tensor &dst) {
  int64_t perRow = 1;
  for (int32_t d = 1; d < src.rank; ++d)
    perRow *= src.dims[d];
  if (src.dtype == NNC_U8 && dst.dtype == NNC_F32) {
    const auto *in = static_cast<const uint8_t *>(src.data);
    auto *out = static_cast<float *>(dst.data);
    for (int64_t i = 0; i < n; ++i)
      pixelsToUnit(in + rows[i] * perRow, out + i * perRow, perRow);
    return;
  }
  size_t row = size_t(perRow) * nnc_dtype_size(src.dtype);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(static_cast<char *>(dst.data) + size_t(i) * row,
                static_cast<const char *>(src.data) + size_t(rows[i]) * row,
                row);
}

std::string nnc::describeDataSet(const std::string &descriptor) {
  size_t colon = descriptor.find(':');
  if (colon == std::string::npos)
    return descriptor;
  std::string kind = descriptor.substr(0, colon),
              args = descriptor.substr(colon + 1);
  std::vector<std::string> parts;
  uint64_t len = 0;
  std::string both;
  if (kind == "zip" && takeParts(args, 2, parts, both) &&
      rt::parseUInt(parts[1], len) && len <= both.size())
    return "zip(" + describeDataSet(both.substr(0, size_t(len))) + ", " +
           describeDataSet(both.substr(size_t(len))) + ", \"" + parts[0] +
           "\")";
  parts.clear();
  if (kind == "subset" || kind == "split" || kind == "augment") {
    std::string inner;
    size_t n = kind == "subset" ? 1 : kind == "split" ? 2 : 3;
    if (!takeParts(args, n, parts, inner))
      return descriptor;
    std::string out = kind + "(" + describeDataSet(inner);
    if (kind == "augment") // the arguments given (not their defaults)
      return out + (parts[0] == "1" ? ", flip: true" : "") +
             (parts[1] != "0" ? ", crop: " + parts[1] : "") +
             (parts[2] != "0" ? ", noise: " + parts[2] : "") + ")";
    for (const std::string &p : parts)
      out += ", " + p;
    return out + ")";
  }
  parts = splitBars(args);
  std::string out = kind + "(";
  if (kind == "npy") {
    out += "\"" + parts[0] + "\"";
    if (parts.size() > 1 && !parts[1].empty())
      out += ", labels: \"" + parts[1] + "\"";
    if (parts.size() > 2 && !parts[2].empty()) {
      std::string dims = parts[2];
      for (size_t at = dims.find(','); at != std::string::npos;
           at = dims.find(',', at + 2))
        dims.replace(at, 1, ", ");
      out += ", label_shape: [" + dims + "]";
    }
    return out + ")";
  }
  bool first = true;
  for (const std::string &p : parts)
    if (!p.empty()) {
      out += (first ? "\"" : ", \"") + p + "\"";
      first = false;
    }
  return out + ")";
}
