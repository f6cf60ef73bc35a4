//===- Instance.cpp - A compiled model with its own parameters ------------===//
//
// What a library built by `nnc build --lib` is made of: the generated
// header's typed functions (`mlp_forward(m, batch, image, output)`,
// `mlp_train_step(...)`) call these with the model's tables. An instance
// owns its parameters, optimizer state and the buffers of its results, so
// repeated calls allocate nothing; separate instances share nothing and
// may run on separate threads. Errors are returned (the message in
// nnc_last_error), never fatal, and the caller's floating-point mode is
// left as it was.
//
//===----------------------------------------------------------------------===//
#include "Checkpoint.h"
#include "DeviceMemory.h"
#include "FloatMode.h"
#include "nnc/kernels.h"
#include "nnc/runtime.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <set>
#include <string>
#include <vector>

struct nnc_instance {
  const nnc_model *model = nullptr, *train = nullptr, *eval = nullptr;
  /// Parameters, state and optimizer state by name.
  nnc_named_tensors params{};
  nnc_named_tensors results{};
  std::set<std::string> optState;
  /// Scalars: scheduled hyper-parameters, the step and stream inputs, and
  /// the steps' loss and metric results (by result name).
  std::map<std::string, nnc_tensor> hparams, scalars;
  nnc_tensor stepT{}, streamT{};
  int64_t steps = 0, epochs = 0;
  uint64_t seed = 0;
  /// OpenMP threads of its calls (0: OpenMP's own setting).
  int threads = 0;
  ~nnc_instance() {
    nnc_named_free(&params);
    nnc_named_free(&results);
    for (auto *m : {&hparams, &scalars})
      for (auto &kv : *m)
        nnc_tensor_free(&kv.second);
    nnc_tensor_free(&stepT);
    nnc_tensor_free(&streamT);
  }
};

// Present when the program links an OpenMP runtime (a library built with
// --threads N).
extern "C" void omp_set_num_threads(int) __attribute__((weak));
extern "C" int omp_get_max_threads(void) __attribute__((weak));

namespace {
/// The instance's thread count for the parallel regions of one call on
/// this thread (OpenMP's setting is per thread); the caller's is restored.
struct ThreadCount {
  int saved = 0;
  explicit ThreadCount(int threads) {
    if (threads > 0 && omp_set_num_threads && omp_get_max_threads) {
      saved = omp_get_max_threads();
      omp_set_num_threads(threads);
    }
  }
  ~ThreadCount() {
    if (saved > 0)
      omp_set_num_threads(saved);
  }
  ThreadCount(const ThreadCount &) = delete;
  ThreadCount &operator=(const ThreadCount &) = delete;
};

/// A tensor of `arg`'s shape with `batch` for its symbolic sizes, over
/// `data` (not owned).
nnc_tensor view(const nnc_model_arg &arg, int64_t batch, void *data) {
  nnc_tensor t{};
  t.data = data;
  t.dtype = arg.dtype;
  t.rank = arg.rank;
  for (int32_t d = 0; d < arg.rank; ++d)
    t.dims[d] = arg.dims[d] < 0 ? batch : arg.dims[d];
  return t;
}

/// The caller's inputs as the compiled code may read them. With a GPU in
/// use (--target=cuda) its kernels reach only managed memory, so each input
/// is copied into a runtime buffer, freed with this; else it is viewed.
struct Inputs {
  std::vector<void *> copies;
  Inputs() = default;
  Inputs(const Inputs &) = delete;
  Inputs &operator=(const Inputs &) = delete;
  ~Inputs() {
    for (void *p : copies)
      nnc_free(p);
  }
  /// A view of `data`, or of its copy; a tensor without data (reported)
  /// when the copy cannot be allocated.
  nnc_tensor operator()(const nnc_model_arg &arg, int64_t batch,
                        const void *data) {
    nnc_tensor t = view(arg, batch, const_cast<void *>(data));
    if (!nnc::deviceMemoryInUse())
      return t;
    size_t bytes = size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype);
    t.data = nnc_alloc(bytes);
    if (t.data) {
      std::memcpy(t.data, data, bytes);
      copies.push_back(t.data);
    }
    return t;
  }
};

nnc_tensor scalar(nnc_dtype dtype) {
  nnc_tensor t{};
  t.dtype = dtype;
  nnc_tensor_alloc(&t);
  return t;
}

nnc_tensor *findParam(nnc_instance &inst, const char *name) {
  int64_t k = nnc_named_find(&inst.params, name);
  return k < 0 ? nullptr : &inst.params.tensors[k];
}

/// The largest batch a call takes: element and byte counts of every
/// buffer stay far from overflowing.
constexpr int64_t kMaxBatch = (int64_t(1) << 31) - 1;

/// Checks a call's batch size and buffers (`outputs` may be NULL: none).
int checkCall(const nnc_model &m, int64_t batch, const void *const *inputs,
              void *const *outputs) {
  if (batch <= 0 || batch > kMaxBatch)
    return nnc_set_error("%s: the batch size must be 1 to %lld, not %lld",
                         m.name, (long long)kMaxBatch, (long long)batch);
  int32_t k = 0;
  for (int32_t a = 0; a < m.num_args; ++a)
    if (m.args[a].kind == NNC_ARG_INPUT && !inputs[k++])
      return nnc_set_error("%s: the input '%s' is NULL", m.name,
                           m.args[a].name);
  for (int32_t r = 0; outputs && r < m.num_results; ++r)
    if (!outputs[r])
      return nnc_set_error("%s: the output '%s' is NULL", m.name,
                           m.results[r].name);
  return 0;
}

/// Calls a train or eval step: data from `inputs`, the instance's tensors,
/// updates written over what they replace. Returns -1 (reported) on
/// failure.
int callStep(nnc_instance &inst, const nnc_model &m, int64_t batch,
             const void *const *inputs, double *loss, double *metrics) {
  if (checkCall(m, batch, inputs, nullptr))
    return -1;
  std::vector<nnc_tensor> views(size_t(m.num_args));
  std::vector<nnc_tensor *> args(size_t(m.num_args));
  Inputs reachable;
  int32_t k = 0;
  for (int32_t a = 0; a < m.num_args; ++a) {
    const nnc_model_arg &arg = m.args[a];
    nnc_tensor *t = nullptr;
    if (arg.kind == NNC_ARG_INPUT) {
      views[a] = reachable(arg, batch, inputs[k++]);
      if (!views[a].data)
        return -1;
      t = &views[a];
    } else if (arg.kind == NNC_ARG_STEP) {
      t = &inst.stepT;
    } else if (arg.kind == NNC_ARG_STREAM) {
      t = &inst.streamT;
    } else if (arg.kind == NNC_ARG_HPARAM) {
      auto it = inst.hparams.find(arg.name);
      t = it == inst.hparams.end() ? nullptr : &it->second;
    } else {
      t = findParam(inst, arg.name);
    }
    if (!t)
      return nnc_set_error("%s: no value for '%s'", m.name, arg.name);
    args[a] = t;
  }
  *static_cast<float *>(inst.stepT.data) = float(inst.steps + 1);
  *static_cast<int64_t *>(inst.streamT.data) =
      nnc_step_stream(inst.seed, inst.steps);
  std::vector<nnc_tensor> results(size_t(m.num_results));
  for (int32_t r = 0; r < m.num_results; ++r) {
    const nnc_model_arg &res = m.results[r];
    nnc_tensor *p =
        res.kind == NNC_ARG_UPDATE ? findParam(inst, res.name) : nullptr;
    results[r] = p ? *p : inst.scalars[res.name];
  }
  {
    nnc::FlushDenormals mode; // as `nnc run` trains
    ThreadCount threads(inst.threads);
    if (nnc_model_call(&m, args.data(), results.data()))
      return -1;
  }
  size_t metric = 0;
  for (int32_t r = 0; r < m.num_results; ++r) {
    const nnc_model_arg &res = m.results[r];
    if (res.kind == NNC_ARG_UPDATE && findParam(inst, res.name))
      continue;
    inst.scalars[res.name] = results[r]; // allocated by the first call
    double v = double(*static_cast<const float *>(results[r].data));
    if (std::strcmp(res.name, "loss") == 0 && loss)
      *loss = v;
    else if (std::strncmp(res.name, "metric.", 7) == 0 && metrics)
      metrics[metric++] = v;
  }
  return 0;
}
} // namespace

extern "C" nnc_instance *nnc_instance_create(const nnc_model *m,
                                             uint64_t seed) {
  auto *inst = new (std::nothrow) nnc_instance;
  if (!inst) {
    nnc_set_error("out of memory creating an instance of '%s'", m->name);
    return nullptr;
  }
  inst->model = m;
  inst->seed = seed;
  if (nnc_model_init_params(m, seed, &inst->params)) {
    delete inst;
    return nullptr;
  }
  return inst;
}

extern "C" nnc_instance *
nnc_instance_create_training(const nnc_model *forward,
                             const nnc_model *train_step,
                             const nnc_model *eval_step, int32_t num_hparams,
                             const char *const *hparam_names,
                             const double *hparam_values, uint64_t seed) {
  nnc_instance *inst = nnc_instance_create(forward, seed);
  if (!inst)
    return nullptr;
  inst->train = train_step;
  inst->eval = eval_step;
  inst->stepT = scalar(NNC_F32);
  inst->streamT = scalar(NNC_I64);
  for (int32_t k = 0; k < num_hparams; ++k) {
    nnc_tensor t = scalar(NNC_F32);
    *static_cast<float *>(t.data) = float(hparam_values[k]);
    inst->hparams[hparam_names[k]] = t;
  }
  for (int32_t a = 0; a < train_step->num_args; ++a)
    if (train_step->args[a].kind == NNC_ARG_OPT_STATE)
      inst->optState.insert(train_step->args[a].name);
  if (nnc_model_init_params(train_step, seed, &inst->params)) {
    delete inst;
    return nullptr;
  }
  return inst;
}

extern "C" void nnc_instance_destroy(nnc_instance *inst) {
  // Another instance may get these addresses with other weights.
  nnc_kernels_int8_forget();
  delete inst;
}

extern "C" int nnc_instance_forward(nnc_instance *inst, int64_t batch,
                                    const void *const *inputs,
                                    void *const *outputs) {
  if (!inst)
    return nnc_set_error("forward: the model is NULL (create it first)");
  const nnc_model &m = *inst->model;
  if (checkCall(m, batch, inputs, outputs))
    return -1;
  // The arguments: the caller's inputs (viewed, not copied, but on a
  // GPU), then the instance's parameters.
  std::vector<char *> names;
  std::vector<nnc_tensor> tensors;
  Inputs reachable;
  int32_t k = 0;
  for (int32_t a = 0; a < m.num_args; ++a)
    if (m.args[a].kind == NNC_ARG_INPUT) {
      names.push_back(const_cast<char *>(m.args[a].name));
      tensors.push_back(reachable(m.args[a], batch, inputs[k++]));
      if (!tensors.back().data)
        return -1;
    }
  for (int64_t p = 0; p < inst->params.count; ++p) {
    names.push_back(inst->params.names[p]);
    tensors.push_back(inst->params.tensors[p]);
  }
  nnc_named_tensors in{int64_t(names.size()), names.data(), tensors.data()};
  {
    ThreadCount threads(inst->threads);
    if (nnc_model_forward(&m, &in, &inst->results))
      return -1;
  }
  for (int32_t r = 0; r < m.num_results; ++r) {
    const nnc_tensor &t = inst->results.tensors[r];
    std::memcpy(outputs[r], t.data,
                size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype));
  }
  return 0;
}

extern "C" int nnc_instance_train_step(nnc_instance *inst, int64_t batch,
                                       const void *const *inputs,
                                       double *loss) {
  if (!inst)
    return nnc_set_error("train_step: the model is NULL (create it first)");
  if (!inst->train)
    return nnc_set_error("'%s' was built without its train block",
                         inst->model->name);
  if (callStep(*inst, *inst->train, batch, inputs, loss, nullptr))
    return -1;
  ++inst->steps;
  return 0;
}

extern "C" int nnc_instance_eval_step(nnc_instance *inst, int64_t batch,
                                      const void *const *inputs, double *loss,
                                      double *metric_sums) {
  if (!inst)
    return nnc_set_error("eval_step: the model is NULL (create it first)");
  if (!inst->eval)
    return nnc_set_error("'%s' was built without its train block",
                         inst->model->name);
  return callStep(*inst, *inst->eval, batch, inputs, loss, metric_sums);
}

extern "C" int nnc_instance_set_hparam(nnc_instance *inst, const char *name,
                                       double value) {
  if (!inst)
    return nnc_set_error("set_%s: the model is NULL (create it first)", name);
  if (!std::isfinite(value) || (value < 0 && std::strcmp(name, "lr") == 0))
    return nnc_set_error(
        "'%s': %s must be a finite%s number, not %g", inst->model->name, name,
        std::strcmp(name, "lr") == 0 ? " non-negative" : "", value);
  auto it = inst->hparams.find(name);
  if (it == inst->hparams.end())
    return nnc_set_error("'%s' has no hyper-parameter '%s' to set",
                         inst->model->name, name);
  *static_cast<float *>(it->second.data) = float(value);
  return 0;
}

extern "C" void nnc_instance_set_epoch(nnc_instance *inst, int64_t epochs) {
  if (inst && epochs >= 0)
    inst->epochs = epochs;
}

extern "C" int nnc_instance_set_threads(nnc_instance *inst, int threads,
                                        int most) {
  if (!inst)
    return nnc_set_error("set_threads: the model is NULL (create it first)");
  if (threads < 1 || threads > most)
    return nnc_set_error(
        "'%s': %d threads: the library was built for 1 to %d (nnc build "
        "--threads N sets the most)",
        inst->model->name, threads, most);
  inst->threads = most > 1 ? threads : 0;
  return 0;
}

extern "C" int64_t nnc_instance_steps(const nnc_instance *inst) {
  return inst->steps;
}

/// Does `file`'s tensor k have `mine`'s dtype and shape?
static bool sameShape(const nnc_tensor &a, const nnc_tensor &b) {
  bool fits = a.dtype == b.dtype && a.rank == b.rank;
  for (int32_t d = 0; fits && d < a.rank; ++d)
    fits = a.dims[d] == b.dims[d];
  return fits;
}

/// Takes the instance's tensors from `file` (freed here); errors call it
/// `path`.
static int loadFrom(nnc_instance *inst, nnc_named_tensors &file,
                    const char *path) {
  nnc_kernels_int8_forget(); // the parameters change in place
  std::string problems;
  std::vector<int64_t> found;
  for (int64_t p = 0; p < inst->params.count; ++p) {
    const char *name = inst->params.names[p];
    int64_t k = nnc_named_find(&file, name);
    found.push_back(k);
    bool optional = inst->optState.count(name) != 0;
    if ((k < 0 && optional) ||
        (k >= 0 && sameShape(file.tensors[k], inst->params.tensors[p])))
      continue;
    problems += (problems.empty() ? "" : ", ") +
                nnc::misfitText(name, k < 0 ? nullptr : &file.tensors[k],
                                inst->params.tensors[p]);
  }
  if (!problems.empty()) {
    std::string holds = nnc::holdsText(file);
    nnc_named_free(&file);
    return nnc_set_error("checkpoint '%s' does not fit model '%s': %s %s", path,
                         inst->model->name, problems.c_str(), holds.c_str());
  }
  for (int64_t p = 0; p < inst->params.count; ++p) {
    nnc_tensor &mine = inst->params.tensors[p];
    size_t bytes = size_t(nnc_tensor_numel(&mine)) * nnc_dtype_size(mine.dtype);
    int64_t k = found[size_t(p)];
    if (k >= 0)
      std::memcpy(mine.data, file.tensors[k].data, bytes);
    else
      std::memset(mine.data, 0, bytes);
  }
  for (auto [name, out] :
       {std::pair<const char *, int64_t *>{"train.step", &inst->steps},
        {"train.epoch", &inst->epochs}}) {
    int64_t k = nnc_named_find(&file, name);
    bool counter =
        k >= 0 && file.tensors[k].dtype == NNC_I64 && file.tensors[k].rank == 0;
    *out = counter ? *static_cast<const int64_t *>(file.tensors[k].data) : 0;
  }
  nnc_named_free(&file);
  return 0;
}

extern "C" int nnc_instance_load(nnc_instance *inst, const char *path) {
  if (!inst || !path)
    return nnc_set_error("load: the %s is NULL", inst ? "path" : "model");
  nnc_named_tensors file{};
  if (nnc_safetensors_load(path, &file))
    return -1;
  return loadFrom(inst, file, path);
}

extern "C" int nnc_instance_load_memory(nnc_instance *inst, const void *data,
                                        size_t size, const char *name) {
  nnc_named_tensors file{};
  if (nnc_safetensors_parse(data, size, name, &file))
    return -1;
  return loadFrom(inst, file, name);
}

extern "C" int nnc_instance_save(const nnc_instance *inst, const char *path) {
  if (!inst || !path)
    return nnc_set_error("save: the %s is NULL", inst ? "path" : "model");
  if (!inst->train)
    return nnc_safetensors_save(path, &inst->params);
  // A training checkpoint: what `nnc run --resume` reads.
  std::vector<char *> names(inst->params.names,
                            inst->params.names + inst->params.count);
  std::vector<nnc_tensor> tensors(inst->params.tensors,
                                  inst->params.tensors + inst->params.count);
  int64_t counts[3] = {inst->epochs, inst->steps, int64_t(inst->seed)};
  const char *counters[3] = {"train.epoch", "train.step", "train.seed"};
  for (int k = 0; k < 3; ++k) {
    nnc_tensor t{};
    t.dtype = NNC_I64;
    t.data = &counts[k];
    names.push_back(const_cast<char *>(counters[k]));
    tensors.push_back(t);
  }
  nnc_named_tensors all{int64_t(names.size()), names.data(), tensors.data()};
  return nnc_safetensors_save(path, &all);
}

extern "C" const nnc_named_tensors *
nnc_instance_params(const nnc_instance *inst) {
  return &inst->params;
}
