//===- Sources.h - Data sets and parameter seeds (runtime-internal) -------===//
//
// Shared by the program runner (Model.cpp) and the training loop
// (Train.cpp): how a data set named by the compiler is loaded, how its
// fields are found, and how a parameter's seed is derived from its name,
// so that both initialise a model identically.
//
// Data-set descriptors (arguments separated by '|'):
//   fashion_mnist:train            idx:IMAGES|LABELS
//   csv:PATH|FEATURES|LABEL_COLUMN (column may be empty)
//   npy:X|LABELS (labels may be empty)
//   image_folder:PATH|H|W|C     text_chars:PATH|SEQ|VOCAB
//   subset:N|INNER   split:FROM|TO|INNER   augment:FLIP|CROP|NOISE|INNER
//   zip:PREFIX|LEN|FIRSTSECOND (FIRST: the LEN characters after the bar)
// A model argument's source appends ":<field>" (image, label, x).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_SOURCES_H
#define NNC_RUNTIME_SOURCES_H

#include "nnc/runtime.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc {

/// FNV-1a of a parameter's name: its seed is `seed ^ hashName(name)`.
uint64_t hashName(const char *s);
/// A loaded data set: named fields that share their first dimension,
/// and the augmentation its batches get in training.
struct DataTable {
  std::string descriptor;
  std::vector<std::pair<std::string, nnc_tensor>> fields;
  int64_t count = 0;
  bool flip = false;
  int64_t crop = 0;
  double noise = 0;
  /// Fields that draw their own augmentation (a zip's second data set),
  /// by name: the salt of their stream's seed.
  std::map<std::string, uint64_t> salts;
  DataTable() = default;
  DataTable(const DataTable &) = delete;
  DataTable &operator=(const DataTable &) = delete;
  ~DataTable();
  /// The field's tensor; null (error set, naming the fields) if none.
  const nnc_tensor *field(const std::string &name) const;
  /// The augmentation salt of one of the table's fields (0: the table's).
  uint64_t saltOf(const nnc_tensor *field) const;
};

/// Loads the data set a descriptor names. IDX images (Fashion-MNIST) stay
/// bytes: a u8 field holds pixels, read as f32 in [0, 1] (x / 255) when a
/// batch is gathered, which keeps a data set at a quarter of its f32 size.
int loadDataTable(const std::string &descriptor, DataTable &out);

/// A data-set descriptor ("npy:x.npy|y.npy|") as a person reads it in a
/// message: `npy("x.npy", labels: "y.npy")`, `fashion_mnist("test")`.
std::string describeDataSet(const std::string &descriptor);

/// Pixel bytes as f32 in [0, 1] (x / 255).
void pixelsToUnit(const uint8_t *in, float *out, int64_t n);
/// The element type a model reads a field as (f32 for pixel bytes).
nnc_dtype modelDtype(const nnc_tensor &field);
/// Copies rows `rows[0..n)` of `src` into rows 0..n of `dst` (of
/// modelDtype(src)), converting pixel bytes.
void copyRows(const nnc_tensor &src, const int64_t *rows, int64_t n,
              nnc_tensor &dst);

/// nnc_dataset_load_idx and nnc_dataset_fashion_mnist, with the images
/// kept as u8 bytes when `pixelBytes`.
int loadIdxPair(const char *images, const char *labels, bool pixelBytes,
                nnc_dataset *out);
int loadFashionMnist(const char *split, bool pixelBytes, nnc_dataset *out);
/// MNIST ("train" or "test"): the same IDX files in a folder `mnist`
/// under $NNC_DATA_PATH entries or /usr/share/datasets.
int loadMnist(const char *split, bool pixelBytes, nnc_dataset *out);

/// Applies the table's augmentation (random horizontal flip, shift within
/// `crop` pixels of zero padding, Gaussian noise) to a batch of images
/// [B, H, W] or [B, H, W, C], drawn from the stream (seed, step).
void augmentBatch(const DataTable &t, nnc_tensor &batch, uint64_t seed,
                  uint64_t step);

/// Writes f32 values of the given shape ([n, ...]) as an NPY file.
int writeNpyF32(const char *path, const std::vector<float> &values,
                const std::vector<int64_t> &shape);

/// One view of test-time augmentation: a horizontal flip and/or a shift
/// by (dy, dx) pixels with zero fill.
struct View {
  bool flip = false;
  int64_t dy = 0, dx = 0;
};
/// The views a `tta` specification asks for ("flip, crop(2)"): the data
/// as it is, its flip, and shifts by each crop up, down, left and right
/// (a view named twice counts once). "" or "none": the data as it is. A
/// malformed one is an error.
int parseViews(const std::string &spec, std::vector<View> &views);
/// Applies a view to a batch of images [B, H, W] or [B, H, W, C] (other
/// tensors are left alone).
void viewBatch(nnc_tensor &batch, const View &v);

} // namespace nnc

#endif // NNC_RUNTIME_SOURCES_H
