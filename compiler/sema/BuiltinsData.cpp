//===- BuiltinsData.cpp - Data-set built-ins ------------------------------===//
//
// The data-set constructors (see BuiltinsShape.def): sema needs their
// field types (`image f32[B, 28, 28]`, `label i64[B]`), code generation
// needs to tell the runtime where the data is. Each data set gets a
// descriptor (runtime/src/Sources.h): the loader and its arguments, with
// relative file paths resolved against the folder of the .nn file that
// names them, wrapped by subset/split/augment. The loaders live in the
// runtime.
//
//===----------------------------------------------------------------------===//
#include "sema/BuiltinArgs.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cctype>

using namespace nnc;
using namespace nnc::builtins;

namespace {
Result dataset(const char *name,
               std::vector<std::pair<std::string, TensorType>> fields,
               std::string source = "") {
  Value v;
  v.kind = Value::Dataset;
  v.dataset = std::make_shared<DatasetRT>();
  v.dataset->name = name;
  v.dataset->fields = std::move(fields);
  v.dataset->source = std::move(source);
  return v;
}

TensorType batchOf(DType dt, std::vector<Dim> rest) {
  rest.insert(rest.begin(), Dim::symbol("B"));
  return TensorType{dt, rest};
}

/// A path argument, relative paths taken from the folder of the .nn file
/// the argument is written in.
std::string resolvedPath(Elaborator &el, const CallArg &a) {
  llvm::StringRef p = a.value.s;
  if (p.empty() || llvm::sys::path::is_absolute(p))
    return p.str();
  llvm::SourceMgr &sm = el.diags.getSourceMgr();
  unsigned buf = sm.FindBufferContainingLoc(a.loc);
  if (!buf)
    return p.str();
  llvm::SmallString<256> full(llvm::sys::path::parent_path(
      sm.getMemoryBuffer(buf)->getBufferIdentifier()));
  llvm::sys::path::append(full, p);
  return std::string(full);
}

/// resolvedPath, remembering a file that does not exist (Program::
/// missingData) so that it is reported at this argument.
std::string pathOf(Elaborator &el, const CallArg &a) {
  std::string path = resolvedPath(el, a);
  auto &missing = el.program.missingData;
  if (!path.empty() && !llvm::sys::fs::exists(path) &&
      llvm::none_of(missing, [&](const auto &m) { return m.second == a.loc; }))
    missing.push_back({path, a.loc});
  return path;
}

Result imageSet(Elaborator &el, Args &a, const char *name) {
  if (!stringArg(el, a, 0, "the split"))
    return std::nullopt;
  if (a[0].value.s != "train" && a[0].value.s != "test") {
    el.error(a[0].loc, llvm::Twine("the split of ") + name +
                           " is \"train\" or \"test\"; got \"" + a[0].value.s +
                           "\"");
    return std::nullopt;
  }
  std::string source = std::string(name) + ":" + a[0].value.s;
  return dataset(
      name,
      {{"image", batchOf(DType::F32, {Dim::constant(28), Dim::constant(28)})},
       {"label", batchOf(DType::I64, {})}},
      source);
}

/// A derived data set: a copy of `d` whose descriptor wraps d's.
Result derived(Elaborator &el, const CallArg &d, const char *what,
               const std::string &wrapper) {
  if (d.value.kind != Value::Dataset) {
    el.error(d.loc, llvm::Twine(what) + " takes a data set; got " +
                        d.value.describe());
    return std::nullopt;
  }
  Value v = d.value;
  v.dataset = std::make_shared<DatasetRT>(*d.value.dataset);
  if (!v.dataset->source.empty())
    v.dataset->source = wrapper + v.dataset->source;
  return v;
}
} // namespace

namespace nnc {
namespace builtins {

Result fashionMnistOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return imageSet(el, a, "fashion_mnist");
}
Result mnistOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return imageSet(el, a, "mnist");
}

Result idxOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto h = stringArg(el, a, 0, "the image file") &&
                   stringArg(el, a, 1, "the label file")
               ? intArg(el, a, 2, 1, "height")
               : std::nullopt;
  auto w = h ? intArg(el, a, 3, 1, "width") : std::nullopt;
  if (!w)
    return std::nullopt;
  return dataset(
      "idx",
      {{"image", batchOf(DType::F32, {Dim::constant(*h), Dim::constant(*w)})},
       {"label", batchOf(DType::I64, {})}},
      "idx:" + pathOf(el, a[0]) + "|" + pathOf(el, a[1]));
}

Result csvOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto f = stringArg(el, a, 0, "the CSV path") ? intArg(el, a, 1, 1, "features")
                                               : std::nullopt;
  if (!f || (present(a, 2) && !stringArg(el, a, 2, "the label column")))
    return std::nullopt;
  std::vector<std::pair<std::string, TensorType>> fields{
      {"x", batchOf(DType::F32, {Dim::constant(*f)})}};
  if (present(a, 2))
    fields.push_back({"label", batchOf(DType::I64, {})});
  return dataset("csv", fields,
                 "csv:" + pathOf(el, a[0]) + "|" + std::to_string(*f) + "|" +
                     (present(a, 2) ? a[2].value.s : ""));
}

Result npyOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto dims =
      stringArg(el, a, 0, "the NPY path") ? shapeArg(el, a[1]) : std::nullopt;
  if (!dims || (present(a, 2) && !stringArg(el, a, 2, "the label file")))
    return std::nullopt;
  // Labels per sample ([B]), or per position of a sample ([B, H, W] for a
  // segmentation's pixels) with `label_shape`.
  std::vector<Dim> labelDims;
  if (present(a, 3)) {
    auto ld = present(a, 2) ? shapeArg(el, a[3]) : std::nullopt;
    if (!ld) {
      if (!present(a, 2))
        el.error(a[3].loc, "'label_shape' needs a label file");
      return std::nullopt;
    }
    labelDims = *ld;
    if (llvm::any_of(labelDims, [](const Dim &d) { return !d.isConst(); })) {
      el.error(a[3].loc, "'label_shape' is a list of positive integers");
      return std::nullopt;
    }
  }
  std::vector<std::pair<std::string, TensorType>> fields{
      {"x", batchOf(DType::F32, *dims)}};
  std::string shape;
  for (const Dim &d : labelDims)
    shape += (shape.empty() ? "" : ",") + std::to_string(d.value);
  if (present(a, 2))
    fields.push_back({"label", batchOf(DType::I64, labelDims)});
  return dataset("npy", fields,
                 "npy:" + pathOf(el, a[0]) + "|" +
                     (present(a, 2) ? pathOf(el, a[2]) : "") + "|" + shape);
}

/// The path, height, width and channels (default 3) of an image data set;
/// "image:PATH|H|W|C" (kind `kind`) with its image field type, or nullopt
/// after an error.
std::optional<std::pair<std::string, TensorType>>
imageArgs(Elaborator &el, Args &a, const char *kind, const char *what) {
  auto h =
      stringArg(el, a, 0, what) ? intArg(el, a, 1, 1, "height") : std::nullopt;
  auto w = h ? intArg(el, a, 2, 1, "width") : std::nullopt;
  auto c = w ? intArg(el, a, 3, 3, "channels") : std::nullopt;
  if (!c)
    return std::nullopt;
  return std::make_pair(
      std::string(kind) + ":" + pathOf(el, a[0]) + "|" + std::to_string(*h) +
          "|" + std::to_string(*w) + "|" + std::to_string(*c),
      batchOf(DType::F32,
              {Dim::constant(*h), Dim::constant(*w), Dim::constant(*c)}));
}

Result imageFolderOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto img = imageArgs(el, a, "image_folder", "the folder");
  if (!img)
    return std::nullopt;
  return dataset("image_folder",
                 {{"image", img->second}, {"label", batchOf(DType::I64, {})}},
                 img->first);
}

/// One PNG/JPEG file: a data set of one sample, no label.
Result imageOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto img = imageArgs(el, a, "image", "the image file");
  if (!img)
    return std::nullopt;
  return dataset("image", {{"image", img->second}}, img->first);
}

Result textCharsOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto seq = stringArg(el, a, 0, "the text file") ? intArg(el, a, 1, 1, "seq")
                                                  : std::nullopt;
  auto vocab = seq ? intArg(el, a, 2, 128, "vocab") : std::nullopt;
  if (!vocab)
    return std::nullopt;
  return dataset("text_chars",
                 {{"x", batchOf(DType::I64, {Dim::constant(*seq)})},
                  {"y", batchOf(DType::I64, {Dim::constant(*seq)})}},
                 "text_chars:" + pathOf(el, a[0]) + "|" + std::to_string(*seq) +
                     "|" + std::to_string(*vocab));
}

Result ratingsOp(Elaborator &el, Args &a, llvm::SMLoc) {
  if (!stringArg(el, a, 0, "the ratings file"))
    return std::nullopt;
  return dataset("ratings",
                 {{"user", batchOf(DType::I64, {})},
                  {"item", batchOf(DType::I64, {})},
                  {"rating", batchOf(DType::F32, {})}},
                 "ratings:" + pathOf(el, a[0]));
}

Result subsetOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto n = intArg(el, a, 1, 1, "the sample count");
  if (!n)
    return std::nullopt;
  return derived(el, a[0], "subset", "subset:" + std::to_string(*n) + "|");
}

Result splitOp(Elaborator &el, Args &a, llvm::SMLoc) {
  for (size_t k = 1; k <= 2; ++k)
    if (!a[k].value.isNumber() || a[k].value.number() < 0 ||
        a[k].value.number() > 1) {
      el.error(a[k].loc, "split bounds are fractions between 0 and 1");
      return std::nullopt;
    }
  if (a[1].value.number() >= a[2].value.number()) {
    el.error(a[1].loc, "split needs from < to");
    return std::nullopt;
  }
  return derived(el, a[0], "split",
                 "split:" + formatNumber(a[1].value.number()) + "|" +
                     formatNumber(a[2].value.number()) + "|");
}

Result augmentOp(Elaborator &el, Args &a, llvm::SMLoc) {
  bool flip = present(a, 1) && a[1].value.kind == Value::Bool && a[1].value.b;
  if (present(a, 1) && a[1].value.kind != Value::Bool) {
    el.error(a[1].loc, "flip is true or false");
    return std::nullopt;
  }
  auto crop = intArg(el, a, 2, 0, "crop");
  auto noise = crop ? floatArg(el, a, 3, 0.0, "noise") : std::nullopt;
  if (!noise)
    return std::nullopt;
  if (*noise < 0) {
    el.error(a[3].loc, "noise must not be negative");
    return std::nullopt;
  }
  return derived(el, a[0], "augment",
                 std::string("augment:") + (flip ? "1" : "0") + "|" +
                     std::to_string(*crop) + "|" + formatNumber(*noise) + "|");
}

/// zip(data, other, prefix): a sample of `data` beside one of `other`,
/// whose fields are renamed `<prefix>_<field>`. The runtime repeats
/// `other` in fresh seeded orders to `data`'s length (DataSets.cpp).
Result zipOp(Elaborator &el, Args &a, llvm::SMLoc) {
  for (size_t k = 0; k < 2; ++k)
    if (a[k].value.kind != Value::Dataset) {
      el.error(a[k].loc,
               "zip takes two data sets; got " + a[k].value.describe());
      return std::nullopt;
    }
  if (!stringArg(el, a, 2, "the prefix of the second data set's fields"))
    return std::nullopt;
  const std::string &prefix = a[2].value.s;
  auto identifier = [](const std::string &s) {
    if (s.empty() || std::isdigit((unsigned char)s[0]))
      return false;
    return llvm::all_of(
        s, [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
  };
  if (!identifier(prefix)) {
    el.error(a[2].loc,
             "the prefix of zip's second data set is a name (letters, "
             "digits, _), such as \"l\" for fields l_image, l_label; "
             "got \"" +
                 prefix + "\"");
    return std::nullopt;
  }
  const DatasetRT &first = *a[0].value.dataset, &second = *a[1].value.dataset;
  for (size_t k = 0; k < 2; ++k)
    if (a[k].value.dataset->source.find("augment:") != std::string::npos) {
      el.error(a[k].loc, std::string("augment the zip as a whole (its batches "
                                     "get one augmentation, drawn for each "
                                     "field on its own), not its ") +
                             (k ? "second" : "first") + " data set");
      return std::nullopt;
    }
  auto v = dataset("zip", first.fields);
  for (const auto &[name, type] : second.fields) {
    std::string renamed = prefix + "_" + name;
    if (llvm::any_of(first.fields,
                     [&](const auto &f) { return f.first == renamed; })) {
      el.error(a[2].loc, "zip: the first data set already has a field '" +
                             renamed + "'; choose another prefix");
      return std::nullopt;
    }
    v->dataset->fields.push_back({renamed, type});
  }
  if (!first.source.empty() && !second.source.empty())
    v->dataset->source = "zip:" + prefix + "|" +
                         std::to_string(first.source.size()) + "|" +
                         first.source + second.source;
  return v;
}

} // namespace builtins
} // namespace nnc
