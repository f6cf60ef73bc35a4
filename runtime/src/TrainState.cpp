//===- TrainState.cpp - What a training run keeps between steps -----------===//
//
// The state of a training run outside the compiled step: the data sets,
// the tensors that persist between steps (parameters, batch-norm
// statistics, optimizer state) with their initial values, a checkpoint to
// resume from (checked against the model), the checkpoints it writes, and
// the binding of a compiled step's arguments and results to all of these.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "Collectives.h"
#include "Trainer.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace nnc_rt {
namespace {
bool sameShape(const nnc_tensor &a, const nnc_tensor &b) {
  if (a.dtype != b.dtype || a.rank != b.rank)
    return false;
  for (int32_t d = 0; d < a.rank; ++d)
    if (a.dims[d] != b.dims[d])
      return false;
  return true;
}
} // namespace

Trainer::~Trainer() {
  for (auto *m : {&persistent, &batchInputs, &hparams})
    for (auto &kv : *m)
      nnc_tensor_free(&kv.second);
  for (nnc_tensor *t : {&stepT, &streamT, &lossT})
    nnc_tensor_free(t);
  for (nnc_tensor &t : metricT)
    nnc_tensor_free(&t);
  nnc_tensor_free(&predT);
  nnc_tensor_free(&weightT);
  if (metrics)
    std::fclose(metrics);
  nnc_batcher_free(&batcher);
}

int Trainer::loadSet(DataSet &set, const std::string &name) {
  if (!set.given && nnc::loadDataTable(name, set.own))
    return -1;
  set.loaded = true;
  set.count = set.table().count;
  if (cfg.limit > 0 && cfg.limit < set.count && !set.given)
    set.count = cfg.limit;
  for (auto &f : set.table().fields)
    if (f.first == "label" && cfg.classes > 0 &&
        nnc_check_labels(&f.second, cfg.classes,
                         ("data set " + nnc::describeDataSet(name)).c_str()))
      return -1;
  return 0;
}

int trainSetOf(const nnc_model *step, std::string &set) {
  set.clear();
  for (int32_t a = 0; a < step->num_args; ++a) {
    const nnc_model_arg &arg = step->args[a];
    if (arg.kind != NNC_ARG_INPUT)
      continue;
    std::string src = arg.source ? arg.source : "";
    size_t colon = src.rfind(':');
    if (colon == std::string::npos)
      return nnc_set_error("the train step's input '%s' has no data source",
                           arg.name);
    set = src.substr(0, colon);
  }
  if (set.empty())
    return nnc_set_error("the train step reads no data");
  return 0;
}

int Trainer::setUp() {
  // The training data set is where the step's inputs come from.
  std::string trainSet;
  if (trainSetOf(step, trainSet))
    return -1;
  nnc::InitFiles initFiles;
  for (int32_t a = 0; a < step->num_args; ++a) {
    const nnc_model_arg &arg = step->args[a];
    nnc_arg_kind kind = arg.kind;
    if (kind == NNC_ARG_PARAM || kind == NNC_ARG_STATE ||
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
      if (nnc::initArgument(arg, cfg.seed, initFiles, persistent[arg.name]))
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
  if (cfg.init_only)
    return 0; // the initial parameters need no data
  if (loadSet(train, trainSet))
    return -1;
  if ((cfg.validate_source || valid.given) &&
      loadSet(valid, cfg.validate_source ? cfg.validate_source : ""))
    return -1;
  if (setUpValidation())
    return -1;
  if (cfg.metrics_out && dist::rank() == 0) {
    // Opened for appending (a new run empties it first), so that each
    // record, written whole in one write(), lands as one line even when
    // another run writes the same file. Only a regular file is emptied:
    // /dev/stdout or a pipe takes the records as they come.
    metrics = std::fopen(cfg.metrics_out, "a");
    struct stat st;
    bool regular = metrics && fstat(fileno(metrics), &st) == 0 &&
                   S_ISREG(st.st_mode);
    if (!metrics ||
        (regular && !cfg.resume && fold <= 1 && ftruncate(fileno(metrics), 0)))
      return nnc_set_error("cannot write metrics to '%s': %s", cfg.metrics_out,
                           std::strerror(errno));
  }
  return 0;
}

int Trainer::checkWritable() {
  if (!cfg.checkpoint || dist::rank() != 0) // rank 0 writes checkpoints
    return 0;
  // Fail before training, not after an epoch: is it a file (or a new
  // path), and can a file be created next to it (where its temporary file
  // will go)?
  std::string target;
  if (nnc::checkpointTarget(cfg.checkpoint, target))
    return -1;
  std::string probe = target + ".nnc-probe";
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
      problem("'" + name + "' is " + nnc::typeText(theirs) +
              ", the model has " + nnc::typeText(mine));
      continue;
    }
    std::memcpy(mine.data, theirs.data,
                size_t(nnc_tensor_numel(&mine)) * nnc_dtype_size(mine.dtype));
  }
  for (int64_t k = 0; k < ck.count; ++k) {
    std::string name = ck.names[k];
    if (!persistent.count(name) && name.rfind("train.", 0) != 0)
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
      problem(std::string("'") + name + "' is " + nnc::typeText(t) +
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
  // Where validation stood (absent in older checkpoints): the best
  // monitored cost, the validations since, each plateau's factor.
  // Each must be a scalar of its type and in range (a hostile file must
  // not turn into a negative learning rate or an overflowing count).
  auto scalar = [&](const std::string &name, auto &out) {
    using T = std::decay_t<decltype(out)>;
    int64_t k = nnc_named_find(&ck, name.c_str());
    if (k < 0)
      return;
    const nnc_tensor &t = ck.tensors[k];
    bool real = std::is_same_v<T, double>;
    if (t.rank != 0 || t.dtype != (real ? NNC_F64 : NNC_I64)) {
      problem("'" + name + "' is " + nnc::typeText(t) + ", expected " +
              (real ? "an f64 scalar" : "an i64 scalar"));
      return;
    }
    if constexpr (std::is_same_v<T, double>) {
      double v = *static_cast<const double *>(t.data);
      bool scale = name.rfind("train.plateau.", 0) == 0;
      if (std::isnan(v) || (scale && !(v > 0 && v <= 1)))
        problem("'" + name + "' is " + std::to_string(v) +
                (scale ? ", not a factor in (0, 1]" : ", not a number"));
      else
        out = v;
    } else {
      int64_t v = *static_cast<const int64_t *>(t.data);
      if (v < 0)
        problem("'" + name + "' is negative (" + std::to_string(v) + ")");
      else
        out = v;
    }
  };
  validationState(scalar);
  // The seed of the run that wrote it (absent in older checkpoints): a
  // different one continues with other shuffles, dropout masks and noise.
  int64_t seedAt = nnc_named_find(&ck, "train.seed");
  if (seedAt >= 0 && ck.tensors[seedAt].dtype == NNC_I64 &&
      ck.tensors[seedAt].rank == 0) {
    uint64_t theirs =
        uint64_t(*static_cast<const int64_t *>(ck.tensors[seedAt].data));
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

int Trainer::fromState() {
  const nnc_named_tensors &st = *cfg.state;
  for (const std::string &name : persistentOrder) {
    int64_t k = nnc_named_find(&st, name.c_str());
    if (k < 0)
      continue; // not trained before: its initializer's value
    nnc_tensor &mine = persistent[name];
    const nnc_tensor &theirs = st.tensors[k];
    if (!sameShape(mine, theirs))
      return nnc_set_error("'%s' is %s, but the model '%s' has %s",
                           name.c_str(), nnc::typeText(theirs).c_str(),
                           step->name, nnc::typeText(mine).c_str());
    std::memcpy(mine.data, theirs.data,
                size_t(nnc_tensor_numel(&mine)) * nnc_dtype_size(mine.dtype));
  }
  for (auto [name, out] :
       {std::pair<const char *, int64_t *>{"train.epoch", &epoch0},
        {"train.step", &globalStep}}) {
    int64_t k = nnc_named_find(&st, name);
    if (k >= 0 && st.tensors[k].dtype == NNC_I64 && st.tensors[k].rank == 0)
      *out = std::max<int64_t>(0, *static_cast<int64_t *>(st.tensors[k].data));
  }
  cfg.epochs += epoch0;
  return 0;
}

/// Sets entry `name` of `st` to a copy of `t` (replacing one of another
/// shape).
static int storeTensor(nnc_named_tensors &st, const std::string &name,
                       const nnc_tensor &t) {
  int64_t k = nnc_named_find(&st, name.c_str());
  if (k >= 0 && !sameShape(st.tensors[k], t)) {
    nnc_named_remove(&st, k);
    k = -1;
  }
  size_t bytes = size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
  if (k >= 0) {
    std::memcpy(st.tensors[k].data, t.data, bytes);
    return 0;
  }
  nnc_tensor copy = t;
  copy.data = nullptr;
  if (nnc_tensor_alloc(&copy))
    return -1;
  std::memcpy(copy.data, t.data, bytes);
  if (nnc_named_append(&st, name.c_str(), copy)) {
    nnc_tensor_free(&copy);
    return -1;
  }
  return 0;
}

int Trainer::toState() {
  for (const std::string &name : persistentOrder)
    if (storeTensor(*cfg.state, name, persistent[name]))
      return -1;
  int64_t counts[2] = {epochsDone, globalStep};
  const char *names[2] = {"train.epoch", "train.step"};
  for (int k = 0; k < 2; ++k) {
    nnc_tensor t{};
    t.dtype = NNC_I64;
    t.data = &counts[k];
    if (storeTensor(*cfg.state, names[k], t))
      return -1;
  }
  return 0;
}

int Trainer::saveCheckpoint(int64_t epochsDone, const char *path) {
  if (!path)
    path = cfg.checkpoint;
  if (!path)
    return 0;
  if (dist::rank() != 0) { // the ranks hold the same weights: rank 0 writes
    wroteCheckpoint = true;
    return 0;
  }
  std::vector<std::string> names(persistentOrder);
  std::vector<nnc_tensor> tensors;
  for (const std::string &n : persistentOrder)
    tensors.push_back(persistent[n]);
  // Counters (i64) and where validation stands (f64 and i64 scalars);
  // a deque keeps the values where the tensors point.
  std::deque<int64_t> ints;
  std::deque<double> reals;
  auto add = [&](const std::string &name, auto &value) {
    using T = std::decay_t<decltype(value)>;
    nnc_tensor t{};
    if constexpr (std::is_same_v<T, double>) {
      t.dtype = NNC_F64;
      t.data = &reals.emplace_back(value);
    } else {
      t.dtype = NNC_I64;
      t.data = &ints.emplace_back(int64_t(value));
    }
    names.push_back(name);
    tensors.push_back(t);
  };
  int64_t seed = int64_t(cfg.seed);
  add("train.epoch", epochsDone);
  add("train.step", globalStep);
  add("train.seed", seed);
  validationState(add);
  std::vector<char *> namePtrs;
  for (std::string &n : names)
    namePtrs.push_back(&n[0]);
  nnc_named_tensors all{int64_t(names.size()), namePtrs.data(), tensors.data()};
  if (nnc_safetensors_save(path, &all)) {
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
      fields[a] = set.table().field(src.substr(src.rfind(':') + 1));
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
                             set.table().descriptor.c_str(),
                             nnc::typeText(have).c_str(), name.c_str(),
                             name.c_str(), nnc::typeText(want).c_str());
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
    else if (name == "prediction") {
      results[r] = predT;
      predIndex = r;
    } else if (name == "sample_weight") {
      results[r] = weightT;
      weightIndex = r;
    }
    for (size_t k = 0; k < metricNames.size(); ++k)
      if (name == resultName(k)) {
        results[r] = metricT[k];
        metricIndex[k] = r;
      }
  }
}

} // namespace nnc_rt
