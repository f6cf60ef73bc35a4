//===- Predict.cpp - A trained model over a data set ----------------------===//
//
// nnc_predict: what `nnc predict` runs. The forward function is called on
// batches of a data set in order, with the parameters of a checkpoint;
// the first output becomes a CSV (classes and probabilities, or the raw
// values) or an NPY file, and with labels the accuracy and the confusion
// matrix are printed.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "File.h"
#include "Metrics.h"
#include "Sources.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using nnc::DataTable;

/// Releases what a predictor allocated, whatever path it leaves by.
struct Scratch {
  nnc_named_tensors in{}, out{};
  ~Scratch() {
    nnc_named_free(&in);
    nnc_named_free(&out);
  }
};

/// The data field model input `name` reads: the field of that name, else
/// (a model with one input) the one field that is not the label.
const nnc_tensor *fieldFor(const DataTable &t, const char *name,
                           bool onlyInput) {
  for (const auto &f : t.fields)
    if (f.first == name)
      return &f.second;
  if (onlyInput) {
    const nnc_tensor *found = nullptr;
    int candidates = 0;
    for (const auto &f : t.fields)
      if (f.first != "label") {
        found = &f.second;
        ++candidates;
      }
    if (candidates == 1)
      return found;
  }
  std::string names;
  for (const auto &f : t.fields)
    names += (names.empty() ? "" : ", ") + f.first;
  nnc_set_error("the model's input '%s' has no field of that name in the "
                "data (fields: %s)",
                name, names.c_str());
  return nullptr;
}

/// The predictions: what the CSV, the NPY and the summary need.
struct Collected {
  std::vector<float> raw;          ///< every output value, row after row
  std::vector<int64_t> rowShape;   ///< one sample's output shape
  int64_t samples = 0, perRow = 0; ///< rows; values per row
  std::vector<int64_t> predicted, labels;
  std::vector<std::vector<std::pair<int64_t, double>>> top;
  int64_t classes = 0;
};

/// One member's outputs over the whole set, summed over the views of
/// test-time augmentation (divided by their number at the end): class
/// probabilities when `asProbs` (a classifier averaged over several views
/// or members), else the raw outputs.
struct MemberRun {
  std::vector<double> scores;
  std::vector<int64_t> rowShape;
  int64_t per = 0;
  /// A classifier: the output is [B, C] floats, or [B, ..., C] with
  /// integer labels [B, ...] (a class per position: segmentation).
  bool classifier = false, perPosition = false;
  int64_t classes = 0;
  /// Given before the run: one sample's label shape, if labelled.
  std::vector<int64_t> labelRow;
  bool labelled = false;
};

/// Whether outputs of one sample's shape `row` classify the labels of
/// one sample's shape `labelRow` (empty: one label per sample, or none).
void classify(const std::vector<int64_t> &row,
              const std::vector<int64_t> &labelRow, bool labelled,
              MemberRun &r) {
  if (row.size() == 1 && labelRow.empty()) {
    r.classifier = true;
    r.classes = row[0];
  } else if (labelled && row.size() >= 2 && row.back() > 1 &&
             std::vector<int64_t>(row.begin(), row.end() - 1) == labelRow) {
    r.classifier = r.perPosition = true;
    r.classes = row.back();
  }
}

/// Adds one batch of outputs (`out`, [n, ...]) for rows [start, start+n).
int accumulate(const nnc_tensor &out, int64_t start, int64_t total,
               bool asProbs, MemberRun &r) {
  if (out.dtype != NNC_F32 && out.dtype != NNC_F64)
    return nnc_set_error("the model's first output is not a float tensor");
  int64_t n = out.rank ? out.dims[0] : 1, per = nnc_tensor_numel(&out) / n;
  if (r.scores.empty()) {
    r.rowShape.assign(out.dims + 1, out.dims + out.rank);
    r.per = per;
    classify(r.rowShape, r.labelRow, r.labelled, r);
    r.scores.assign(size_t(total * per), 0.0);
  }
  std::vector<float> row(static_cast<size_t>(per));
  std::vector<double> p;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < per; ++j)
      row[j] = out.dtype == NNC_F32
                   ? static_cast<const float *>(out.data)[i * per + j]
                   : float(static_cast<const double *>(out.data)[i * per + j]);
    double *dst = r.scores.data() + (start + i) * per;
    if (asProbs && r.classifier) { // each position's distribution
      for (int64_t at = 0; at < per; at += r.classes) {
        nnc::rt::probabilities(row.data() + at, r.classes, p);
        for (int64_t j = 0; j < r.classes; ++j)
          dst[at + j] += p[j];
      }
    } else {
      for (int64_t j = 0; j < per; ++j)
        dst[j] += row[j];
    }
  }
  return 0;
}

/// The CSV's and summary's view of the averaged scores.
void finish(const MemberRun &r, int64_t total, std::vector<int64_t> labels,
            int32_t topK, Collected &c) {
  c.samples = total;
  c.perRow = r.per;
  c.rowShape = r.rowShape;
  c.raw.assign(r.scores.begin(), r.scores.end());
  c.labels = std::move(labels);
  if (!r.classifier || r.perPosition) // per position: the raw CSV columns
    return;
  c.classes = r.per;
  std::vector<double> p;
  std::vector<int64_t> order(size_t(r.per));
  for (int64_t i = 0; i < total; ++i) {
    nnc::rt::probabilities(r.scores.data() + i * r.per, r.per, p);
    std::iota(order.begin(), order.end(), 0);
    int64_t k = std::min<int64_t>(topK, r.per);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    std::vector<std::pair<int64_t, double>> best;
    for (int64_t j = 0; j < k; ++j)
      best.push_back({order[j], p[order[j]]});
    c.predicted.push_back(order[0]);
    c.top.push_back(std::move(best));
  }
}

int writeCsv(const char *path, const Collected &c, int32_t topK) {
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path, "w"), std::fclose);
  if (!f)
    return nnc_set_error("cannot write '%s': %s", path, std::strerror(errno));
  bool labelled = !c.labels.empty();
  int64_t rows = c.samples, per = c.perRow;
  if (c.classes) {
    std::fprintf(f.get(), "index%s,predicted", labelled ? ",label" : "");
    for (int32_t j = 1; j <= std::min<int64_t>(topK, c.classes); ++j)
      std::fprintf(f.get(), ",top%d,p%d", j, j);
    std::fprintf(f.get(), "\n");
    for (int64_t i = 0; i < rows; ++i) {
      std::fprintf(f.get(), "%lld", (long long)i);
      if (labelled)
        std::fprintf(f.get(), ",%lld", (long long)c.labels[i]);
      std::fprintf(f.get(), ",%lld", (long long)c.predicted[i]);
      for (const auto &[cls, p] : c.top[i])
        std::fprintf(f.get(), ",%lld,%.6f", (long long)cls, p);
      std::fprintf(f.get(), "\n");
    }
  } else {
    std::fprintf(f.get(), "index");
    for (int64_t j = 0; j < per; ++j)
      std::fprintf(f.get(), ",out%lld", (long long)j);
    std::fprintf(f.get(), "\n");
    for (int64_t i = 0; i < rows; ++i) {
      std::fprintf(f.get(), "%lld", (long long)i);
      for (int64_t j = 0; j < per; ++j)
        std::fprintf(f.get(), ",%.7g", c.raw[i * per + j]);
      std::fprintf(f.get(), "\n");
    }
  }
  if (std::ferror(f.get()))
    return nnc_set_error("cannot write '%s'", path);
  return 0;
}

/// The metrics of a classifier's scores against the labels.
struct Scores {
  double accuracy, topK, f1, auc, iou;
  int64_t hits, n;
  std::vector<int64_t> confusion;
};
Scores scoresOf(const std::vector<double> &scores, int64_t classes,
                const std::vector<int64_t> &labels, int32_t topK) {
  nnc::rt::ClassPredictions p;
  p.classes = classes;
  std::vector<float> rows(scores.begin(), scores.end());
  p.add(rows.data(), labels.data(), int64_t(labels.size()));
  Scores s;
  s.confusion = nnc::rt::confusionMatrix(p);
  s.n = p.count();
  s.hits = 0;
  for (int64_t k = 0; k < classes; ++k)
    s.hits += s.confusion[size_t(k * classes + k)];
  s.accuracy = s.n ? double(s.hits) / double(s.n) : NAN;
  s.topK = nnc::rt::topKAccuracy(p, topK);
  s.f1 = nnc::rt::macroF1(s.confusion, classes);
  s.auc = nnc::rt::macroAuc(p);
  s.iou = nnc::rt::meanIoU(s.confusion, classes);
  return s;
}

std::string scoresJson(const Scores &s, int32_t topK) {
  using nnc::rt::jsonNumber;
  return "\"accuracy\": " + jsonNumber(s.accuracy) + ", \"top_" +
         std::to_string(topK) + "\": " + jsonNumber(s.topK) +
         ", \"f1\": " + jsonNumber(s.f1) + ", \"auc\": " + jsonNumber(s.auc) +
         ", \"iou\": " + jsonNumber(s.iou);
}

/// What the command line and metrics file say of each member and of the
/// ensemble (averaged) predictions.
int report(const nnc_predict_config *cfg, const std::vector<MemberRun> &runs,
           const std::vector<std::string> &paths, const MemberRun &ensemble,
           const std::vector<int64_t> &labels, int32_t topK,
           const std::string &how) {
  if (labels.empty() || !ensemble.classifier)
    return 0;
  int64_t classes = ensemble.classes;
  if (ensemble.perPosition)
    std::printf("per position (%lld positions of %lld classes per sample, "
                "%zu in all):\n",
                (long long)(ensemble.per / classes), (long long)classes,
                labels.size());
  // top-k accuracy where k leaves something out.
  int32_t k =
      int32_t(std::min<int64_t>(topK, std::max<int64_t>(classes - 1, 1)));
  // What was averaged, then the metrics.
  std::string tta = cfg->tta && std::strcmp(cfg->tta, "none") ? cfg->tta : "";
  std::string json = "{\"samples\": " + std::to_string(labels.size()) +
                     ", \"tta\": \"" + tta + "\", \"average\": \"" +
                     (cfg->average_logits ? "logits" : "probs") + "\"";
  if (runs.size() > 1) {
    json += ", \"members\": [";
    for (size_t m = 0; m < runs.size(); ++m) {
      Scores s = scoresOf(runs[m].scores, classes, labels, k);
      std::printf("member %zu (%s): accuracy %.4f  top_%d %.4f  f1 %.4f  "
                  "auc %.4f\n",
                  m + 1, paths[m].c_str(), s.accuracy, k, s.topK, s.f1, s.auc);
      json += std::string(m ? ", " : "") + "{\"checkpoint\": \"" + paths[m] +
              "\", " + scoresJson(s, k) + "}";
    }
    json += "]";
    std::printf("ensemble of %zu (%s):\n", runs.size(), how.c_str());
  }
  Scores s = scoresOf(ensemble.scores, classes, labels, k);
  std::printf("accuracy %.4f (%lld of %lld)\n", s.accuracy, (long long)s.hits,
              (long long)s.n);
  std::printf("top_%d accuracy %.4f  macro F1 %.4f  ROC AUC %.4f "
              "(one-vs-rest, macro)",
              k, s.topK, s.f1, s.auc);
  if (ensemble.perPosition)
    std::printf("  mean IoU %.4f", s.iou);
  std::printf("\n");
  nnc::rt::printConfusion(stdout, s.confusion, classes);
  if (!cfg->metrics_out)
    return 0;
  json += std::string(", ") + (runs.size() > 1 ? "\"ensemble\": {" : "") +
          scoresJson(s, k) + (runs.size() > 1 ? "}" : "") +
          ", \"confusion\": " + nnc::rt::confusionJson(s.confusion, classes) +
          "}\n";
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(cfg->metrics_out, "w"),
                                           std::fclose);
  if (!f || std::fputs(json.c_str(), f.get()) < 0)
    return nnc_set_error("cannot write '%s': %s", cfg->metrics_out,
                         std::strerror(errno));
  return 0;
}

} // namespace

int nnc::writeNpyF32(const char *path, const std::vector<float> &values,
                     const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path, "wb"), std::fclose);
  if (!f)
    return nnc_set_error("cannot write '%s': %s", path, std::strerror(errno));
  uint16_t len = uint16_t(header.size());
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, f.get());
  std::fwrite(&len, 2, 1, f.get());
  std::fwrite(header.data(), 1, header.size(), f.get());
  if (std::fwrite(values.data(), sizeof(float), values.size(), f.get()) !=
      values.size())
    return nnc_set_error("cannot write '%s': %s", path, std::strerror(errno));
  return 0;
}

std::string nnc::typeText(const nnc_tensor &t) {
  static const char *names[] = {"f32", "f64", "i32", "i64", "u8", "bool"};
  std::string s = unsigned(t.dtype) < 6 ? names[t.dtype] : "?";
  s += "[";
  for (int32_t d = 0; d < t.rank; ++d)
    s += (d ? ", " : "") + std::to_string(t.dims[d]);
  return s + "]";
}

std::string nnc::misfitText(const char *name, const nnc_tensor *file,
                            const nnc_tensor &model) {
  if (!file)
    return std::string("'") + name + "' is missing";
  return std::string("'") + name + "' is " + typeText(*file) +
         ", the model has " + typeText(model);
}

std::string nnc::holdsText(const nnc_named_tensors &file) {
  std::string holds;
  for (int64_t k = 0; k < file.count && k < 8; ++k)
    holds += std::string(k ? ", " : "") + file.names[k];
  if (file.count > 8)
    holds += ", ...";
  return "(it holds " + (holds.empty() ? std::string("nothing") : holds) + ")";
}

/// Every parameter and state of the model in the checkpoint, with its
/// dtype and shape; the error names the file, each misfit and what the
/// file holds.
static int checkCheckpoint(const nnc_model &m, const char *path,
                           const nnc_named_tensors &ck) {
  std::string problems;
  for (int32_t a = 0; a < m.num_args; ++a) {
    const nnc_model_arg &arg = m.args[a];
    if (arg.kind != NNC_ARG_PARAM && arg.kind != NNC_ARG_STATE)
      continue;
    int64_t k = nnc_named_find(&ck, arg.name);
    bool fits = k >= 0 && ck.tensors[k].dtype == arg.dtype &&
                ck.tensors[k].rank == arg.rank;
    for (int32_t d = 0; fits && d < arg.rank; ++d)
      fits = arg.dims[d] < 0 || ck.tensors[k].dims[d] == arg.dims[d];
    if (fits)
      continue;
    nnc_tensor want{};
    want.dtype = arg.dtype;
    want.rank = arg.rank;
    for (int32_t d = 0; d < arg.rank; ++d)
      want.dims[d] = arg.dims[d];
    problems +=
        (problems.empty() ? "" : ", ") +
        nnc::misfitText(arg.name, k < 0 ? nullptr : &ck.tensors[k], want);
  }
  if (problems.empty())
    return 0;
  return nnc_set_error("checkpoint '%s' does not fit model '%s': %s %s", path,
                       m.name, problems.c_str(), nnc::holdsText(ck).c_str());
}

namespace {
/// Loads one member's checkpoint into `in` (renamed below `prefix`) and
/// checks it against the model.
int loadMember(const nnc_model &m, const char *path, const char *prefix,
               nnc_named_tensors &in) {
  if (nnc_safetensors_load(path, &in))
    return -1;
  if (prefix && *prefix) { // one instance's tensors, renamed
    size_t n = std::strlen(prefix);
    for (int64_t k = 0; k < in.count; ++k) {
      char *name = in.names[k];
      if (std::strncmp(name, prefix, n) == 0)
        std::memmove(name, name + n, std::strlen(name + n) + 1);
      else
        name[0] = '\0'; // (another instance's: found by no argument)
    }
  }
  return checkCheckpoint(m, path, in);
}

/// Appends one batch buffer per model input to `in` (so that
/// nnc_model_forward binds everything by name); `inputs`: the data field
/// each reads and its index in `in`.
int addInputBuffers(
    const nnc_model &m, const DataTable &table, int64_t batch,
    nnc_named_tensors &in,
    std::vector<std::pair<const nnc_tensor *, int64_t>> &inputs) {
  int32_t numInputs = 0;
  for (int32_t a = 0; a < m.num_args; ++a)
    numInputs += m.args[a].kind == NNC_ARG_INPUT;
  for (int32_t a = 0; a < m.num_args; ++a) {
    const nnc_model_arg &arg = m.args[a];
    if (arg.kind != NNC_ARG_INPUT)
      continue;
    const nnc_tensor *field = fieldFor(table, arg.name, numInputs == 1);
    if (!field)
      return -1;
    // The model's shape where it is static: a picture's [H, W, 1] feeds a
    // model of [H, W] (same elements per sample).
    nnc_tensor t{};
    t.dtype = nnc::modelDtype(*field);
    int64_t perField = 1, perArg = 1;
    for (int32_t d = 1; d < field->rank; ++d)
      perField *= field->dims[d];
    for (int32_t d = 1; d < arg.rank; ++d)
      perArg *= arg.dims[d] < 0 ? field->dims[std::min(d, field->rank - 1)]
                                : arg.dims[d];
    bool asModel = perArg == perField && arg.rank >= 1;
    t.rank = asModel ? arg.rank : field->rank;
    for (int32_t d = 1; d < t.rank; ++d)
      t.dims[d] = asModel && arg.dims[d] >= 0 ? arg.dims[d] : field->dims[d];
    t.dims[0] = std::min(batch, std::max<int64_t>(table.count, 1));
    if (nnc_tensor_alloc(&t) || nnc_named_append(&in, arg.name, t))
      return -1;
    inputs.push_back({field, in.count - 1});
  }
  return 0;
}

/// An output with a value per pixel ([B, H, W, ...] of an input [B, H, W,
/// ...]: segmentation) seen through a flipped view is flipped back, so
/// that the views' predictions of each pixel are averaged; a shift cannot
/// be undone exactly (the pixels it pushed out are lost) and is an error.
int viewBack(nnc_tensor &out, const nnc_tensor &in, const nnc::View &v) {
  if ((!v.flip && !v.dy && !v.dx) || out.rank < 3)
    return 0;
  if (v.dy || v.dx || out.dtype != NNC_F32 || in.rank < 3 ||
      out.dims[1] != in.dims[1] || out.dims[2] != in.dims[2])
    return nnc_set_error(
        "test-time augmentation of a model whose output is an image or a "
        "map (%s): only 'flip' can be undone on its output (a shift loses "
        "the pixels it pushes out); use --tta flip",
        nnc::typeText(out).c_str());
  nnc::viewBatch(out, v);
  return 0;
}

/// Runs the model with one member's checkpoint over every sample and view.
int runMember(const nnc_model &m, const nnc_predict_config &cfg,
              const char *path, const DataTable &table, int64_t batch,
              const std::vector<nnc::View> &views, bool asProbs,
              const std::string &progress, MemberRun &r) {
  Scratch s;
  std::vector<std::pair<const nnc_tensor *, int64_t>> inputs;
  if (loadMember(m, path, cfg.prefix, s.in) ||
      addInputBuffers(m, table, batch, s.in, inputs))
    return -1;
  bool live = cfg.progress && isatty(2);
  std::vector<int64_t> rows;
  for (int64_t start = 0; start < table.count; start += batch) {
    int64_t n = std::min(batch, table.count - start);
    rows.resize(size_t(n));
    std::iota(rows.begin(), rows.end(), start);
    for (const nnc::View &v : views) {
      for (auto &[field, k] : inputs) {
        s.in.tensors[k].dims[0] = n;
        nnc::copyRows(*field, rows.data(), n, s.in.tensors[k]);
        nnc::viewBatch(s.in.tensors[k], v);
      }
      if (nnc_model_forward(&m, &s.in, &s.out) ||
          viewBack(s.out.tensors[0], s.in.tensors[inputs[0].second], v) ||
          accumulate(s.out.tensors[0], start, table.count, asProbs, r))
        return -1;
    }
    if (live)
      std::fprintf(stderr, "\rpredict%s %lld/%lld", progress.c_str(),
                   (long long)(start + n), (long long)table.count);
  }
  if (live)
    std::fprintf(stderr, "\n");
  for (double &v : r.scores)
    v /= double(views.size());
  return 0;
}
} // namespace

extern "C" int nnc_predict(const nnc_model *m, const nnc_predict_config *cfg) {
  std::vector<std::string> paths;
  for (int32_t k = 0; k < cfg->num_members; ++k)
    if (cfg->members && cfg->members[k])
      paths.push_back(cfg->members[k]);
  if (paths.empty() && cfg->checkpoint)
    paths.push_back(cfg->checkpoint);
  if (!cfg->data || paths.empty())
    return nnc_set_error("nnc_predict needs a data set and a checkpoint");
  if (cfg->output && !nnc::rt::endsWith(cfg->output, ".csv") &&
      !nnc::rt::endsWith(cfg->output, ".npy"))
    return nnc_set_error("the predictions file '%s' must end in .csv or .npy",
                         cfg->output);
  int64_t batch = cfg->batch > 0 ? cfg->batch : 256;
  int32_t topK = cfg->top_k > 0 ? cfg->top_k : 3;
  std::vector<nnc::View> views;
  if (nnc::parseViews(cfg->tta ? cfg->tta : "", views))
    return -1;
  DataTable table;
  if (nnc::loadDataTable(cfg->data, table))
    return -1;
  if (table.count == 0)
    return nnc_set_error("the data set %s has no samples",
                         nnc::describeDataSet(cfg->data).c_str());
  // Integer labels, one per sample or one per position ([N, H, W]).
  std::vector<int64_t> labels, labelRow;
  for (const auto &f : table.fields)
    if (f.first == "label" &&
        (f.second.dtype == NNC_I64 || f.second.dtype == NNC_I32) &&
        f.second.rank >= 1) {
      labelRow.assign(f.second.dims + 1, f.second.dims + f.second.rank);
      for (int64_t r = 0, n = nnc_tensor_numel(&f.second); r < n; ++r)
        labels.push_back(
            f.second.dtype == NNC_I64
                ? static_cast<const int64_t *>(f.second.data)[r]
                : int64_t(static_cast<const int32_t *>(f.second.data)[r]));
    }
  bool averaged = paths.size() > 1 || views.size() > 1;
  bool asProbs = averaged && !cfg->average_logits;
  std::vector<MemberRun> runs(paths.size());
  for (MemberRun &r : runs) {
    r.labelRow = labelRow;
    r.labelled = !labels.empty();
  }
  for (size_t k = 0; k < paths.size(); ++k) {
    std::string progress = paths.size() > 1
                               ? " (member " + std::to_string(k + 1) + " of " +
                                     std::to_string(paths.size()) + ")"
                               : "";
    if (runMember(*m, *cfg, paths[k].c_str(), table, batch, views, asProbs,
                  progress, runs[k]))
      return -1;
  }
  MemberRun ensemble = runs[0];
  for (size_t k = 1; k < runs.size(); ++k)
    for (size_t i = 0; i < ensemble.scores.size(); ++i)
      ensemble.scores[i] += runs[k].scores[i];
  for (double &v : ensemble.scores)
    v /= double(runs.size());
  if (views.size() > 1)
    std::printf("test-time augmentation: the mean over %zu views (%s)\n",
                views.size(), cfg->tta);
  Collected c;
  finish(ensemble, table.count, labels, topK, c);
  if (cfg->output) {
    std::vector<int64_t> shape{c.samples};
    shape.insert(shape.end(), c.rowShape.begin(), c.rowShape.end());
    int rc = nnc::rt::endsWith(cfg->output, ".npy")
                 ? nnc::writeNpyF32(cfg->output, c.raw, shape)
                 : writeCsv(cfg->output, c, topK);
    if (rc)
      return rc;
  }
  std::string how = cfg->average_logits || !ensemble.classifier
                        ? "the mean of the outputs"
                        : "the mean of the class probabilities";
  return report(cfg, runs, paths, ensemble, labels, topK, how);
}
