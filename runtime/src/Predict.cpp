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
#include "Sources.h"
#include "nnc/runtime.h"

#include <algorithm>
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

/// Class probabilities of one row of outputs: the softmax, unless the row
/// already is a distribution (non-negative, sums to 1).
void probabilities(const float *row, int64_t c, std::vector<double> &p) {
  p.assign(row, row + c);
  double sum = 0;
  bool distribution = true;
  for (double v : p) {
    distribution &= v >= 0;
    sum += v;
  }
  if (distribution && std::fabs(sum - 1) < 1e-3)
    return;
  double mx = *std::max_element(p.begin(), p.end()), z = 0;
  for (double &v : p)
    z += (v = std::exp(v - mx));
  for (double &v : p)
    v /= z;
}

/// Writes [n, ...] f32 rows as an NPY file.
int writeNpy(const char *path, const std::vector<float> &values,
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

/// Predictions so far: what the CSV, the NPY and the summary need.
struct Collected {
  std::vector<float> raw;          ///< every output value, row after row
  std::vector<int64_t> rowShape;   ///< one sample's output shape
  int64_t samples = 0, perRow = 0; ///< rows so far; values per row
  std::vector<int64_t> predicted, labels;
  std::vector<std::vector<std::pair<int64_t, double>>> top;
  int64_t classes = 0;
};

/// Adds one batch of outputs (`out`, [n, ...]) and labels.
int collect(const nnc_tensor &out, const nnc_tensor *label,
            const std::vector<int64_t> &rows, int32_t topK, Collected &c) {
  if (out.dtype != NNC_F32 && out.dtype != NNC_F64)
    return nnc_set_error("the model's first output is not a float tensor");
  int64_t n = int64_t(rows.size()), per = nnc_tensor_numel(&out) / n;
  if (!c.samples)
    c.rowShape.assign(out.dims + 1, out.dims + out.rank);
  c.samples += n;
  c.perRow = per;
  std::vector<float> values(size_t(n * per));
  for (int64_t i = 0; i < n * per; ++i)
    values[i] = out.dtype == NNC_F32
                    ? static_cast<const float *>(out.data)[i]
                    : float(static_cast<const double *>(out.data)[i]);
  c.raw.insert(c.raw.end(), values.begin(), values.end());
  if (out.rank == 2) {
    c.classes = per;
    std::vector<double> p;
    std::vector<int64_t> order{};
    order.resize(size_t(per));
    for (int64_t i = 0; i < n; ++i) {
      probabilities(values.data() + i * per, per, p);
      std::iota(order.begin(), order.end(), 0);
      int64_t k = std::min<int64_t>(topK, per);
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int64_t a, int64_t b) { return p[a] > p[b]; });
      std::vector<std::pair<int64_t, double>> best;
      for (int64_t j = 0; j < k; ++j)
        best.push_back({order[j], p[order[j]]});
      c.predicted.push_back(order[0]);
      c.top.push_back(std::move(best));
    }
  }
  if (label)
    for (int64_t r : rows)
      c.labels.push_back(
          label->dtype == NNC_I64
              ? static_cast<const int64_t *>(label->data)[r]
              : int64_t(static_cast<const int32_t *>(label->data)[r]));
  return 0;
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

/// Accuracy and the confusion matrix (rows: label, columns: predicted).
void printSummary(const Collected &c) {
  if (c.labels.empty() || !c.classes)
    return;
  int64_t n = int64_t(c.predicted.size()), hits = 0, k = c.classes;
  std::vector<int64_t> confusion(size_t(k * k), 0);
  for (int64_t i = 0; i < n; ++i) {
    hits += c.predicted[i] == c.labels[i];
    if (c.labels[i] >= 0 && c.labels[i] < k)
      ++confusion[size_t(c.labels[i] * k + c.predicted[i])];
  }
  std::printf("accuracy %.4f (%lld of %lld)\n", double(hits) / double(n),
              (long long)hits, (long long)n);
  std::printf("confusion matrix (rows: label, columns: predicted)\n      ");
  for (int64_t j = 0; j < k; ++j)
    std::printf(" %6lld", (long long)j);
  std::printf("\n");
  for (int64_t i = 0; i < k; ++i) {
    std::printf("%6lld", (long long)i);
    for (int64_t j = 0; j < k; ++j)
      std::printf(" %6lld", (long long)confusion[size_t(i * k + j)]);
    std::printf("\n");
  }
}

bool endsWith(const char *s, const char *suffix) {
  size_t a = std::strlen(s), b = std::strlen(suffix);
  return a >= b && std::strcmp(s + a - b, suffix) == 0;
}

} // namespace

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

extern "C" int nnc_predict(const nnc_model *m, const nnc_predict_config *cfg) {
  if (!cfg->data || !cfg->checkpoint)
    return nnc_set_error("nnc_predict needs a data set and a checkpoint");
  if (cfg->output && !endsWith(cfg->output, ".csv") &&
      !endsWith(cfg->output, ".npy"))
    return nnc_set_error("the predictions file '%s' must end in .csv or .npy",
                         cfg->output);
  int64_t batch = cfg->batch > 0 ? cfg->batch : 256;
  int32_t topK = cfg->top_k > 0 ? cfg->top_k : 3;
  DataTable table;
  if (nnc::loadDataTable(cfg->data, table))
    return -1;
  Scratch s;
  if (nnc_safetensors_load(cfg->checkpoint, &s.in))
    return -1;
  if (cfg->prefix && *cfg->prefix) { // one instance's tensors, renamed
    size_t n = std::strlen(cfg->prefix);
    for (int64_t k = 0; k < s.in.count; ++k) {
      char *name = s.in.names[k];
      if (std::strncmp(name, cfg->prefix, n) == 0)
        std::memmove(name, name + n, std::strlen(name + n) + 1);
      else
        name[0] = '\0'; // (another instance's: found by no argument)
    }
  }
  if (checkCheckpoint(*m, cfg->checkpoint, s.in))
    return -1;
  // One batch buffer per model input, appended to the checkpoint's tensors
  // so that nnc_model_forward binds everything by name.
  std::vector<std::pair<const nnc_tensor *, int64_t>> inputs;
  int32_t numInputs = 0;
  for (int32_t a = 0; a < m->num_args; ++a)
    numInputs += m->args[a].kind == NNC_ARG_INPUT;
  for (int32_t a = 0; a < m->num_args; ++a) {
    const nnc_model_arg &arg = m->args[a];
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
    if (nnc_tensor_alloc(&t) || nnc_named_append(&s.in, arg.name, t))
      return -1;
    inputs.push_back({field, s.in.count - 1});
  }
  const nnc_tensor *label = nullptr;
  for (const auto &f : table.fields)
    if (f.first == "label" &&
        (f.second.dtype == NNC_I64 || f.second.dtype == NNC_I32))
      label = &f.second;
  Collected c;
  bool live = cfg->progress && isatty(2);
  for (int64_t start = 0; start < table.count; start += batch) {
    int64_t n = std::min(batch, table.count - start);
    std::vector<int64_t> rows(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), start);
    for (auto &[field, k] : inputs) {
      s.in.tensors[k].dims[0] = n;
      nnc::copyRows(*field, rows.data(), n, s.in.tensors[k]);
    }
    if (nnc_model_forward(m, &s.in, &s.out))
      return -1;
    if (collect(s.out.tensors[0], label, rows, topK, c))
      return -1;
    if (live)
      std::fprintf(stderr, "\rpredict %lld/%lld", (long long)(start + n),
                   (long long)table.count);
  }
  if (live)
    std::fprintf(stderr, "\n");
  if (cfg->output) {
    std::vector<int64_t> shape{c.samples};
    shape.insert(shape.end(), c.rowShape.begin(), c.rowShape.end());
    int rc = endsWith(cfg->output, ".npy") ? writeNpy(cfg->output, c.raw, shape)
                                           : writeCsv(cfg->output, c, topK);
    if (rc)
      return rc;
  }
  printSummary(c);
  return 0;
}
