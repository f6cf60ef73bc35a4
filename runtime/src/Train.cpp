//===- Train.cpp - The training loop around a compiled train step ---------===//
//
// Everything in a training run that is not arithmetic: data sets, seeded
// shuffled batches, the state that persists between steps (parameters,
// batch-norm statistics, optimizer state), schedules, progress and metrics,
// validation with the compiled eval step, and checkpoints that survive
// crashes (atomic writes, SIGINT, a NaN loss never overwrites a good one).
// The compiled `train_step` does one whole step (forward, backward, update)
// per call; this file calls it once per batch.
//
//===----------------------------------------------------------------------===//
#include "Sources.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <malloc.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include <unistd.h>

namespace {
/// VmHWM of /proc/self/status in MB (0 where there is none).
double peakResidentMB() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %lf kB", &kb) == 1)
      break;
  std::fclose(f);
  return kb / 1024.0;
}
} // namespace

namespace {

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

/// Installs the SIGINT handler for the lifetime of a run.
struct InterruptGuard {
  struct sigaction old{};
  InterruptGuard() {
    interrupted = 0;
    struct sigaction sa{};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old, nullptr); }
};

std::string shapeText(const nnc_tensor &t) {
  static const char *names[] = {"f32", "f64", "i32", "i64", "u8", "bool"};
  std::string s = std::string(names[t.dtype]) + "[";
  for (int32_t d = 0; d < t.rank; ++d)
    s += (d ? ", " : "") + std::to_string(t.dims[d]);
  return s + "]";
}

bool sameShape(const nnc_tensor &a, const nnc_tensor &b) {
  if (a.dtype != b.dtype || a.rank != b.rank)
    return false;
  for (int32_t d = 0; d < a.rank; ++d)
    if (a.dims[d] != b.dims[d])
      return false;
  return true;
}

std::string rate(double samplesPerSec) {
  char buf[32];
  if (samplesPerSec >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1fM", samplesPerSec / 1e6);
  else if (samplesPerSec >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", samplesPerSec / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", samplesPerSec);
  return buf;
}

/// One data set (its fields) and how much of it a run uses.
struct DataSet {
  nnc::DataTable table;
  int64_t count = 0;
  bool loaded = false;
};

/// Sums of one pass over a data set: the loss and each metric ("metric.X"
/// results are per-batch sums over samples).
struct Totals {
  double loss = 0;
  std::vector<double> metrics;
  int64_t samples = 0;
  explicit Totals(size_t numMetrics) : metrics(numMetrics, 0.0) {}
  double meanLoss() const { return samples ? loss / double(samples) : 0; }
  double mean(size_t k) const {
    return samples ? metrics[k] / double(samples) : 0;
  }
  /// Adds a batch of n samples from the results of a step; `perBatch[k]`:
  /// metric k is a batch mean (the loss of one of several optimizers),
  /// else a sum over the batch.
  void add(const std::vector<nnc_tensor> &results,
           const std::vector<int> &metricIndex,
           const std::vector<bool> &perBatch, int64_t n) {
    loss += double(*static_cast<float *>(results[0].data)) * double(n);
    for (size_t k = 0; k < metrics.size(); ++k)
      if (metricIndex[k] >= 0)
        metrics[k] += *static_cast<float *>(results[metricIndex[k]].data) *
                      (perBatch[k] ? double(n) : 1.0);
    samples += n;
  }
};

/// How a metric is shown in the epoch line ("accuracy" as "acc").
std::string shortName(const std::string &m) {
  return m == "accuracy" ? "acc" : m;
}

class Trainer {
public:
  Trainer(const nnc_model *step, const nnc_model *eval,
          const nnc_train_config &cfg)
      : step(step), eval(eval), cfg(cfg) {}
  ~Trainer();
  int run();

private:
  int setUp();
  int loadSet(DataSet &set, const std::string &name);
  int resume();
  int checkWritable();
  int saveCheckpoint(int64_t epochsDone);
  /// Binds the model's arguments: data fields to `batchInputs` (gathered
  /// from `set`), persistent tensors, the step and hyper-parameters.
  int bind(const nnc_model *m, std::vector<nnc_tensor *> &args,
           std::vector<const nnc_tensor *> &fields, const DataSet &set);
  void gather(const std::vector<const nnc_tensor *> &fields,
              const std::vector<nnc_tensor *> &args, const int64_t *rows,
              int64_t n);
  int evaluate(Totals &t);
  void progressLine(int64_t epoch, int64_t batch, int64_t batches,
                    const Totals &t, double seconds);
  void writeMetrics(const char *json);

  const nnc_model *step, *eval;
  const nnc_train_config &cfg;
  bool live = false;
  DataSet train, valid;
  /// Parameters, state and optimizer state by name, in argument order.
  std::map<std::string, nnc_tensor> persistent;
  std::vector<std::string> persistentOrder;
  std::map<std::string, nnc_tensor> batchInputs; ///< reused buffers
  nnc_tensor stepT{}, streamT{}, lossT{};
  /// The metrics the train step computes ("accuracy", "top_3"), with one
  /// scalar buffer each.
  std::vector<std::string> metricNames;
  std::vector<bool> metricPerBatch;
  std::vector<nnc_tensor> metricT;
  /// Binds `m`'s results: the loss and metrics to their buffers, updates
  /// to the persistent tensors they replace. metricIndex[k]: the result
  /// of metric k (-1 if m lacks it).
  void bindResults(const nnc_model *m, std::vector<nnc_tensor> &results,
                   std::vector<int> &metricIndex);
  /// The result name of metric k ("metric.accuracy", "loss.d_opt").
  std::string resultName(size_t k) const {
    const std::string &m = metricNames[k];
    return metricPerBatch[k] ? "loss." + m.substr(0, m.size() - 5)
                             : "metric." + m;
  }
  std::map<std::string, nnc_tensor> hparams;
  int64_t epoch0 = 0, globalStep = 0;
  /// The learning rate of the latest step (NaN: none to show).
  double lr = NAN;
  bool wroteCheckpoint = false;
  FILE *metrics = nullptr;
};

Trainer::~Trainer() {
  for (auto *m : {&persistent, &batchInputs, &hparams})
    for (auto &kv : *m)
      nnc_tensor_free(&kv.second);
  for (nnc_tensor *t : {&stepT, &streamT, &lossT})
    nnc_tensor_free(t);
  for (nnc_tensor &t : metricT)
    nnc_tensor_free(&t);
  if (metrics)
    std::fclose(metrics);
}

int Trainer::loadSet(DataSet &set, const std::string &name) {
  if (nnc::loadDataTable(name, set.table))
    return -1;
  set.loaded = true;
  set.count = set.table.count;
  if (cfg.limit > 0 && cfg.limit < set.count)
    set.count = cfg.limit;
  for (auto &f : set.table.fields)
    if (f.first == "label" && cfg.classes > 0 &&
        nnc_check_labels(&f.second, cfg.classes, name.c_str()))
      return -1;
  return 0;
}

int Trainer::setUp() {
  // The training data set is where the step's inputs come from.
  std::string trainSet;
  for (int32_t a = 0; a < step->num_args; ++a) {
    const nnc_model_arg &arg = step->args[a];
    nnc_arg_kind kind = arg.kind;
    if (kind == NNC_ARG_INPUT) {
      std::string src = arg.source ? arg.source : "";
      size_t colon = src.rfind(':');
      if (colon == std::string::npos)
        return nnc_set_error("the train step's input '%s' has no data source",
                             arg.name);
      trainSet = src.substr(0, colon);
    } else if (kind == NNC_ARG_PARAM || kind == NNC_ARG_STATE ||
               kind == NNC_ARG_OPT_STATE) {
      nnc_tensor t{};
      t.dtype = arg.dtype;
      t.rank = arg.rank;
      for (int32_t d = 0; d < arg.rank; ++d)
        t.dims[d] = arg.dims[d];
      if (nnc_tensor_alloc(&t))
        return -1;
      persistent[arg.name] = t;
      persistentOrder.push_back(arg.name);
      if (arg.init && nnc_init_tensor(&persistent[arg.name], arg.init,
                                      cfg.seed ^ nnc::hashName(arg.name)))
        return -1;
    } else if (kind == NNC_ARG_HPARAM) {
      bool known = false;
      for (int32_t s = 0; s < cfg.num_schedules; ++s)
        known |= std::strcmp(cfg.schedules[s].target, arg.name) == 0;
      if (!known)
        return nnc_set_error("no schedule for hyper-parameter '%s'", arg.name);
      nnc_tensor t{};
      t.dtype = NNC_F32;
      if (nnc_tensor_alloc(&t))
        return -1;
      hparams[arg.name] = t;
    }
  }
  // Metrics: "metric.X" (sums over the batch) and, with several
  // optimizers, "loss.<optimizer>" (batch means) shown as <optimizer>_loss.
  for (int32_t r = 0; r < step->num_results; ++r) {
    const char *name = step->results[r].name;
    if (std::strncmp(name, "metric.", 7) == 0) {
      metricNames.push_back(name + 7);
      metricPerBatch.push_back(false);
    } else if (std::strncmp(name, "loss.", 5) == 0) {
      metricNames.push_back(std::string(name + 5) + "_loss");
      metricPerBatch.push_back(true);
    }
  }
  metricT.assign(metricNames.size(), nnc_tensor{});
  std::vector<nnc_tensor *> scalars{&stepT, &streamT, &lossT};
  for (nnc_tensor &t : metricT)
    scalars.push_back(&t);
  for (nnc_tensor *t : scalars) {
    t->dtype = t == &streamT ? NNC_I64 : NNC_F32;
    t->rank = 0;
    if (nnc_tensor_alloc(t))
      return -1;
  }
  if (trainSet.empty())
    return nnc_set_error("the train step reads no data");
  if (cfg.init_only)
    return 0; // the initial parameters need no data
  if (loadSet(train, trainSet))
    return -1;
  if (cfg.validate_source && loadSet(valid, cfg.validate_source))
    return -1;
  if (cfg.metrics_out) {
    metrics = std::fopen(cfg.metrics_out, cfg.resume ? "a" : "w");
    if (!metrics)
      return nnc_set_error("cannot write metrics to '%s': %s", cfg.metrics_out,
                           std::strerror(errno));
  }
  return 0;
}

int Trainer::checkWritable() {
  if (!cfg.checkpoint)
    return 0;
  // Fail before training, not after an epoch: can a file be created next
  // to the checkpoint (where its temporary file will go)?
  std::string probe = std::string(cfg.checkpoint) + ".nnc-probe";
  FILE *f = std::fopen(probe.c_str(), "wb");
  if (!f)
    return nnc_set_error("cannot write checkpoint '%s': %s", cfg.checkpoint,
                         std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
  return 0;
}

int Trainer::resume() {
  nnc_named_tensors ck{};
  if (nnc_safetensors_load(cfg.resume, &ck))
    return -1;
  std::string problems;
  auto problem = [&](const std::string &p) {
    problems += (problems.empty() ? "" : "; ") + p;
  };
  for (const std::string &name : persistentOrder) {
    int64_t k = nnc_named_find(&ck, name.c_str());
    nnc_tensor &mine = persistent[name];
    if (k < 0) {
      problem("'" + name + "' is missing");
      continue;
    }
    const nnc_tensor &theirs = ck.tensors[k];
    if (!sameShape(mine, theirs)) {
      problem("'" + name + "' is " + shapeText(theirs) + ", the model has " +
              shapeText(mine));
      continue;
    }
    std::memcpy(mine.data, theirs.data,
                size_t(nnc_tensor_numel(&mine)) * nnc_dtype_size(mine.dtype));
  }
  for (int64_t k = 0; k < ck.count; ++k) {
    std::string name = ck.names[k];
    if (!persistent.count(name) && name != "train.epoch" &&
        name != "train.step" && name != "train.seed")
      problem("'" + name + "' is not in this model");
  }
  auto counter = [&](const char *name, int64_t &out) {
    int64_t k = nnc_named_find(&ck, name);
    if (k < 0) {
      problem(std::string("'") + name + "' (an i64 scalar) is missing");
      return;
    }
    const nnc_tensor &t = ck.tensors[k];
    if (t.dtype != NNC_I64 || t.rank != 0) {
      problem(std::string("'") + name + "' is " + shapeText(t) +
              ", expected an i64 scalar (i64[])");
      return;
    }
    out = *static_cast<const int64_t *>(t.data);
    if (out < 0)
      problem(std::string("'") + name + "' is negative (" +
              std::to_string(out) + ")");
  };
  counter("train.epoch", epoch0);
  counter("train.step", globalStep);
  // The seed of the run that wrote it (absent in older checkpoints): a
  // different one continues with other shuffles, dropout masks and noise.
  int64_t seedAt = nnc_named_find(&ck, "train.seed");
  if (seedAt >= 0 && ck.tensors[seedAt].dtype == NNC_I64 &&
      ck.tensors[seedAt].rank == 0) {
    uint64_t theirs = uint64_t(*static_cast<const int64_t *>(ck.tensors[seedAt].data));
    if (theirs != cfg.seed)
      std::fprintf(stderr,
                   "nnc: warning: '%s' was written by a run with seed %llu; "
                   "this run uses seed %llu, so its shuffling, dropout and "
                   "noise differ from that run's (--seed %llu continues it "
                   "exactly)\n",
                   cfg.resume, (unsigned long long)theirs,
                   (unsigned long long)cfg.seed, (unsigned long long)theirs);
  }
  nnc_named_free(&ck);
  if (!problems.empty())
    return nnc_set_error("checkpoint '%s' does not match model '%s': %s",
                         cfg.resume, step->name, problems.c_str());
  return 0;
}

int Trainer::saveCheckpoint(int64_t epochsDone) {
  if (!cfg.checkpoint)
    return 0;
  int64_t counters[3] = {epochsDone, globalStep, int64_t(cfg.seed)};
  std::vector<std::string> names(persistentOrder);
  names.push_back("train.epoch");
  names.push_back("train.step");
  names.push_back("train.seed");
  std::vector<char *> namePtrs;
  std::vector<nnc_tensor> tensors;
  for (const std::string &n : persistentOrder)
    tensors.push_back(persistent[n]);
  for (int64_t &c : counters) {
    nnc_tensor t{};
    t.dtype = NNC_I64;
    t.data = &c;
    tensors.push_back(t);
  }
  for (std::string &n : names)
    namePtrs.push_back(&n[0]);
  nnc_named_tensors all{int64_t(names.size()), namePtrs.data(), tensors.data()};
  if (nnc_safetensors_save(cfg.checkpoint, &all)) {
    std::string why = nnc_last_error();
    return nnc_set_error("%s; training stopped and %s", why.c_str(),
                         wroteCheckpoint
                             ? "the checkpoint of the previous epoch is intact"
                             : "the file is unchanged");
  }
  wroteCheckpoint = true;
  return 0;
}

int Trainer::bind(const nnc_model *m, std::vector<nnc_tensor *> &args,
                  std::vector<const nnc_tensor *> &fields, const DataSet &set) {
  args.assign(m->num_args, nullptr);
  fields.assign(m->num_args, nullptr);
  for (int32_t a = 0; a < m->num_args; ++a) {
    const nnc_model_arg &arg = m->args[a];
    nnc_arg_kind kind = arg.kind;
    std::string name = arg.name;
    if (kind == NNC_ARG_INPUT) {
      std::string src = arg.source ? arg.source : "";
      fields[a] = set.table.field(src.substr(src.rfind(':') + 1));
      if (!fields[a])
        return -1;
      // The data must have the model's element type and per-sample shape.
      const nnc_tensor &f = *fields[a];
      bool fits = nnc::modelDtype(f) == arg.dtype && f.rank == arg.rank;
      for (int32_t d = 1; fits && d < f.rank; ++d)
        fits = arg.dims[d] < 0 || arg.dims[d] == f.dims[d];
      if (!fits) {
        // Compare per sample: the data's rows and the model's input.
        nnc_tensor have = f, want{};
        have.rank = f.rank - 1;
        std::memmove(have.dims, f.dims + 1,
                     sizeof(int64_t) * size_t(have.rank));
        want.dtype = arg.dtype;
        want.rank = arg.rank - 1;
        for (int32_t d = 1; d < arg.rank; ++d)
          want.dims[d - 1] = arg.dims[d];
        return nnc_set_error("data set '%s' has %s samples in '%s', but the "
                             "model's input '%s' takes %s samples",
                             set.table.descriptor.c_str(),
                             shapeText(have).c_str(), name.c_str(),
                             name.c_str(), shapeText(want).c_str());
      }
      nnc_tensor &buf = batchInputs[name];
      if (!buf.data) {
        buf = *fields[a];
        buf.data = nullptr;
        buf.dtype = nnc::modelDtype(*fields[a]);
        buf.dims[0] = cfg.batch;
        if (nnc_tensor_alloc(&buf))
          return -1;
      }
      args[a] = &buf;
    } else if (persistent.count(name)) {
      args[a] = &persistent[name];
    } else if (kind == NNC_ARG_STEP) {
      args[a] = &stepT;
    } else if (kind == NNC_ARG_STREAM) {
      args[a] = &streamT;
    } else if (hparams.count(name)) {
      args[a] = &hparams[name];
    } else {
      return nnc_set_error("cannot bind argument '%s' (%s) of '%s'", arg.name,
                           nnc_arg_kind_name(arg.kind), m->name);
    }
  }
  return 0;
}

void Trainer::gather(const std::vector<const nnc_tensor *> &fields,
                     const std::vector<nnc_tensor *> &args, const int64_t *rows,
                     int64_t n) {
  for (size_t a = 0; a < fields.size(); ++a) {
    if (!fields[a])
      continue;
    nnc::copyRows(*fields[a], rows, n, *args[a]);
    args[a]->dims[0] = n;
  }
}

void Trainer::bindResults(const nnc_model *m, std::vector<nnc_tensor> &results,
                          std::vector<int> &metricIndex) {
  results.assign(m->num_results, nnc_tensor{});
  metricIndex.assign(metricNames.size(), -1);
  for (int32_t r = 0; r < m->num_results; ++r) {
    std::string name = m->results[r].name;
    if (m->results[r].kind == NNC_ARG_UPDATE && persistent.count(name))
      results[r] = persistent[name];
    else if (name == "loss")
      results[r] = lossT;
    for (size_t k = 0; k < metricNames.size(); ++k)
      if (name == resultName(k)) {
        results[r] = metricT[k];
        metricIndex[k] = r;
      }
  }
}

int Trainer::evaluate(Totals &t) {
  std::vector<nnc_tensor *> args;
  std::vector<const nnc_tensor *> fields;
  if (bind(eval, args, fields, valid))
    return -1;
  std::vector<nnc_tensor> results;
  std::vector<int> metricIndex;
  bindResults(eval, results, metricIndex);
  std::vector<int64_t> rows(cfg.batch);
  int rc = 0;
  for (int64_t at = 0; at < valid.count && rc == 0; at += cfg.batch) {
    int64_t n = std::min<int64_t>(cfg.batch, valid.count - at);
    for (int64_t i = 0; i < n; ++i)
      rows[i] = at + i;
    gather(fields, args, rows.data(), n);
    rc = nnc_model_call(eval, args.data(), results.data());
    t.add(results, metricIndex, metricPerBatch, n);
  }
  return rc;
}

void Trainer::progressLine(int64_t epoch, int64_t batch, int64_t batches,
                           const Totals &t, double seconds) {
  const int width = 24;
  int filled = int(double(width) * double(batch) / double(batches));
  std::string bar(size_t(filled), '=');
  if (filled < width)
    bar += '>' + std::string(size_t(width - filled - 1), ' ');
  std::fprintf(stderr, "\r  epoch %lld/%lld [%s] %lld/%lld  loss %.4f",
               (long long)epoch + 1, (long long)cfg.epochs, bar.c_str(),
               (long long)batch, (long long)batches, t.meanLoss());
  for (size_t k = 0; k < metricNames.size(); ++k)
    std::fprintf(stderr, "  %s %.4f", shortName(metricNames[k]).c_str(),
                 t.mean(k));
  if (!std::isnan(lr))
    std::fprintf(stderr, "  lr %.3g", lr);
  std::fprintf(stderr, "  %s samples/s\x1b[K",
               rate(double(t.samples) / std::max(seconds, 1e-9)).c_str());
  std::fflush(stderr);
}

void Trainer::writeMetrics(const char *json) {
  if (!metrics)
    return;
  std::fprintf(metrics, "%s\n", json);
  std::fflush(metrics);
}

int Trainer::run() {
  live = cfg.progress > 0 || (cfg.progress < 0 && isatty(2));
  if (setUp() || (cfg.resume && resume()) || checkWritable())
    return -1;
  if (cfg.init_only) { // `nnc init`: the checkpoint before any step
    if (saveCheckpoint(0))
      return -1;
    std::printf("initial parameters of '%s' (seed %llu) written to %s\n",
                step->name, (unsigned long long)cfg.seed, cfg.checkpoint);
    return 0;
  }
  std::vector<nnc_tensor *> args;
  std::vector<const nnc_tensor *> fields;
  if (bind(step, args, fields, train))
    return -1;
  // Results: loss, metrics, then updates written over what they replace.
  std::vector<nnc_tensor> results;
  std::vector<int> metricIndex;
  bindResults(step, results, metricIndex);
  auto accuracyOf = [&](const Totals &t) {
    for (size_t k = 0; k < metricNames.size(); ++k)
      if (metricNames[k] == "accuracy")
        return t.mean(k);
    return -1.0;
  };
  bool hasAccuracy = std::find(metricNames.begin(), metricNames.end(),
                               "accuracy") != metricNames.end();
  if (epoch0 >= cfg.epochs) {
    std::printf("nothing to train: '%s' is at epoch %lld of %lld (raise "
                "--epochs to go on)\n",
                cfg.resume, (long long)epoch0, (long long)cfg.epochs);
    return 0;
  }
  nnc_batcher batcher;
  if (nnc_batcher_init(&batcher, train.count, cfg.batch, cfg.shuffle, cfg.seed))
    return -1;
  batcher.epoch = epoch0 - 1; // each epoch's order depends on (seed, epoch)
  int64_t batches = (train.count + cfg.batch - 1) / cfg.batch;
  int64_t totalSteps = batches * cfg.epochs;
  InterruptGuard guard;
  double runStart = nnc_now(), bestVal = INFINITY;
  int64_t sinceBest = 0;
  Totals lastVal(metricNames.size());
  bool validated = false;
  int rc = 0;
  // The results alias the persistent tensors (same sizes, so
  // nnc_model_call writes into them): nothing to copy back.
  auto finish = [&](int code) {
    nnc_batcher_free(&batcher);
    return code;
  };
  for (int64_t epoch = epoch0; epoch < cfg.epochs; ++epoch) {
    double epochStart = nnc_now(), lastDraw = 0;
    Totals t(metricNames.size());
    const int64_t *rows;
    int64_t n, batch = 0;
    while (nnc_batcher_next(&batcher, &rows, &n)) {
      gather(fields, args, rows, n);
      for (size_t a = 0; a < fields.size(); ++a)
        if (fields[a])
          nnc::augmentBatch(train.table, *args[a], cfg.seed,
                            uint64_t(globalStep));
      *static_cast<float *>(stepT.data) = float(globalStep + 1);
      // Dropout masks and random ops draw from the step's own stream.
      *static_cast<int64_t *>(streamT.data) =
          nnc_step_stream(cfg.seed, globalStep);
      lr = cfg.lr;
      for (int32_t s = 0; s < cfg.num_schedules; ++s) {
        auto it = hparams.find(cfg.schedules[s].target);
        if (it == hparams.end())
          continue;
        float value = float(nnc_schedule_value(&cfg.schedules[s], globalStep,
                                               epoch, totalSteps));
        *static_cast<float *>(it->second.data) = value;
        if (std::strcmp(cfg.schedules[s].target, "lr") == 0)
          lr = value;
      }
      rc = nnc_model_call(step, args.data(), results.data());
      if (rc)
        return finish(-1);
      ++globalStep;
      ++batch;
      float loss = *static_cast<float *>(results[0].data);
      if (!std::isfinite(loss)) {
        if (live)
          std::fprintf(stderr, "\r\x1b[K");
        std::string kept = cfg.checkpoint && wroteCheckpoint
                               ? std::string("the last checkpoint '") +
                                     cfg.checkpoint + "' is intact"
                               : std::string("no checkpoint was written");
        nnc_set_error("the loss is %s at step %lld (epoch %lld, batch %lld); "
                      "training stopped and %s (a smaller learning rate or "
                      "gradient clipping may help)",
                      std::isnan(loss) ? "NaN" : "infinite",
                      (long long)globalStep, (long long)epoch + 1,
                      (long long)batch, kept.c_str());
        return finish(-1);
      }
      t.add(results, metricIndex, metricPerBatch, n);
      double now = nnc_now();
      if (live && (now - lastDraw > 0.1 || batch == batches)) {
        progressLine(epoch, batch, batches, t, now - epochStart);
        lastDraw = now;
      } else if (!live && cfg.log_every > 0 &&
                 globalStep % cfg.log_every == 0) {
        std::printf("  step %lld  loss %.4f\n", (long long)globalStep,
                    t.meanLoss());
        std::fflush(stdout);
      }
      if (interrupted) {
        if (live)
          std::fprintf(stderr, "\r\x1b[K");
        finish(0);
        if (!cfg.checkpoint) {
          std::fprintf(stderr,
                       "interrupted at step %lld; no checkpoint file "
                       "is set, nothing saved\n",
                       (long long)globalStep);
          return 130;
        }
        if (saveCheckpoint(epoch))
          return -1;
        std::fprintf(stderr,
                     "interrupted at step %lld (epoch %lld): saved '%s'; "
                     "--resume %s restarts epoch %lld\n",
                     (long long)globalStep, (long long)epoch + 1,
                     cfg.checkpoint, cfg.checkpoint, (long long)epoch + 1);
        return 130;
      }
    }
    double trainSeconds = nnc_now() - epochStart;
    if (live)
      std::fprintf(stderr, "\r\x1b[K");
    // Validation every N epochs and after the last.
    Totals v(metricNames.size());
    bool doVal = valid.loaded &&
                 ((epoch + 1) % std::max<int64_t>(cfg.validate_every, 1) == 0 ||
                  epoch + 1 == cfg.epochs);
    if (doVal && evaluate(v))
      return finish(-1);
    double seconds = nnc_now() - epochStart;
    double sps = double(t.samples) / std::max(trainSeconds, 1e-9);
    std::printf("epoch %lld/%lld  loss %.4f", (long long)epoch + 1,
                (long long)cfg.epochs, t.meanLoss());
    for (size_t k = 0; k < metricNames.size(); ++k)
      std::printf("  %s %.4f", shortName(metricNames[k]).c_str(), t.mean(k));
    if (doVal) {
      std::printf("  val_loss %.4f", v.meanLoss());
      for (size_t k = 0; k < metricNames.size(); ++k)
        std::printf("  val_%s %.4f", shortName(metricNames[k]).c_str(),
                    v.mean(k));
    }
    if (!std::isnan(lr))
      std::printf("  lr %.3g", lr);
    std::printf("  %s samples/s  %.1f s\n", rate(sps).c_str(), seconds);
    std::fflush(stdout);
    char json[2048];
    int len =
        std::snprintf(json, sizeof json, "{\"epoch\": %lld, \"loss\": %.6g",
                      (long long)epoch + 1, t.meanLoss());
    auto add = [&](const char *key, double value, bool present) {
      if (present)
        len += std::snprintf(json + len, sizeof json - size_t(len),
                             ", \"%s\": %.6g", key, value);
      else
        len += std::snprintf(json + len, sizeof json - size_t(len),
                             ", \"%s\": null", key);
    };
    // accuracy and val_accuracy always appear (null without the metric).
    if (!hasAccuracy)
      add("accuracy", 0, false);
    for (size_t k = 0; k < metricNames.size(); ++k)
      add(metricNames[k].c_str(), t.mean(k), true);
    add("val_loss", v.meanLoss(), doVal);
    if (!hasAccuracy)
      add("val_accuracy", 0, false);
    for (size_t k = 0; k < metricNames.size(); ++k)
      add(("val_" + metricNames[k]).c_str(), v.mean(k), doVal);
    add("lr", lr, !std::isnan(lr));
    add("samples_per_sec", sps, true);
    add("seconds", seconds, true);
    std::snprintf(json + len, sizeof json - size_t(len), "}");
    writeMetrics(json);
    if (saveCheckpoint(epoch + 1))
      return finish(-1);
    if (doVal) {
      lastVal = v;
      validated = true;
      if (v.meanLoss() < bestVal) {
        bestVal = v.meanLoss();
        sinceBest = 0;
      } else if (cfg.early_stop > 0 && ++sinceBest >= cfg.early_stop) {
        std::printf("early stop: val_loss has not improved for %lld "
                    "epochs\n",
                    (long long)sinceBest);
        break;
      }
    }
  }
  finish(0);
  double total = nnc_now() - runStart;
  bool isTest = cfg.validate_source &&
                std::strstr(cfg.validate_source, ":test") != nullptr;
  char json[320];
  // The process's peak resident memory (Linux's VmHWM, which unlike
  // getrusage's maximum is not inherited from a parent at fork).
  char rss[48] = "";
  if (double mb = peakResidentMB(); mb > 0)
    std::snprintf(rss, sizeof rss, ", \"peak_rss_mb\": %.1f", mb);
  if (validated && isTest && hasAccuracy) {
    std::printf("test accuracy %.4f  (test loss %.4f, %lld samples)\n",
                accuracyOf(lastVal), lastVal.meanLoss(),
                (long long)lastVal.samples);
    std::snprintf(json, sizeof json,
                  "{\"final\": true, \"test_accuracy\": %.6g, \"test_loss\": "
                  "%.6g, \"steps\": %lld, \"seconds\": %.6g%s}",
                  accuracyOf(lastVal), lastVal.meanLoss(),
                  (long long)globalStep, total, rss);
  } else {
    std::snprintf(json, sizeof json,
                  "{\"final\": true, \"steps\": %lld, \"seconds\": %.6g%s}",
                  (long long)globalStep, total, rss);
  }
  writeMetrics(json);
  if (std::getenv("NNC_BUFFER_STATS")) {
    nnc_buffer_stats b = nnc_buffer_pool_stats();
    std::fprintf(stderr,
                 "nnc: buffers: %lld taken from the system (%.1f MB, of "
                 "which workspaces %.1f MB), %lld reused\n",
                 (long long)b.system_allocations, b.system_bytes / 1048576.0,
                 b.workspace_bytes / 1048576.0, (long long)b.reused);
  }
  return 0;
}

} // namespace

/// Values below FLT_MIN (denormals) take microcode assists on x86, 10-100x
/// slower per operation; late in training Adam's second moments and tiny
/// gradients are full of them. Like TensorFlow (and PyTorch's
/// set_flush_denormal), training flushes them to zero (FTZ and DAZ in
/// MXCSR; libomp's workers inherit the master's MXCSR at each fork).
static void flushDenormals() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

/// A step frees its intermediates and allocates the same sizes again in the
/// next step. glibc returns large blocks to the kernel (mmap/munmap, heap
/// trimming), so every step would page-fault and zero all of them again;
/// keeping freed memory in the heap makes later steps reuse it.
static void keepFreedMemory() {
#ifdef __GLIBC__
  // 32 MB is the largest mmap threshold glibc accepts.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

extern "C" int nnc_train(const nnc_model *train_step,
                         const nnc_model *eval_step,
                         const nnc_train_config *cfg) {
  if (cfg->init_only && !cfg->checkpoint)
    return nnc_set_error("initialisation needs a checkpoint file to write");
  if (!cfg->init_only && (cfg->batch <= 0 || cfg->epochs <= 0))
    return nnc_set_error("batch and epochs must be positive");
  keepFreedMemory();
  flushDenormals();
  Trainer t(train_step, eval_step, *cfg);
  return t.run();
}
