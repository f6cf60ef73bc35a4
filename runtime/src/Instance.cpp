//===- Instance.cpp - A compiled model with its own parameters ------------===//
//
// What a library built by `nnc build --lib` is made of: the generated
// header's typed functions (`mlp_forward(m, batch, image, output)`) call
// these with the model's table. An instance owns its parameters and the
// buffers of its results, so repeated calls allocate nothing; separate
// instances share nothing and may run on separate threads. Errors are
// returned (the message in nnc_last_error), never fatal.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct nnc_instance {
  const nnc_model *model = nullptr;
  nnc_named_tensors params{};
  nnc_named_tensors results{};
};

extern "C" nnc_instance *nnc_instance_create(const nnc_model *m,
                                             uint64_t seed) {
  auto *inst = new (std::nothrow) nnc_instance;
  if (!inst) {
    nnc_set_error("out of memory creating an instance of '%s'", m->name);
    return nullptr;
  }
  inst->model = m;
  if (nnc_model_init_params(m, seed, &inst->params)) {
    nnc_instance_destroy(inst);
    return nullptr;
  }
  return inst;
}

extern "C" void nnc_instance_destroy(nnc_instance *inst) {
  if (!inst)
    return;
  nnc_named_free(&inst->params);
  nnc_named_free(&inst->results);
  delete inst;
}

/// A tensor of `arg`'s shape with `batch` for its symbolic sizes, over
/// `data` (not owned).
static nnc_tensor view(const nnc_model_arg &arg, int64_t batch, void *data) {
  nnc_tensor t{};
  t.data = data;
  t.dtype = arg.dtype;
  t.rank = arg.rank;
  for (int32_t d = 0; d < arg.rank; ++d)
    t.dims[d] = arg.dims[d] < 0 ? batch : arg.dims[d];
  return t;
}

extern "C" int nnc_instance_forward(nnc_instance *inst, int64_t batch,
                                    const void *const *inputs,
                                    void *const *outputs) {
  const nnc_model &m = *inst->model;
  if (batch <= 0)
    return nnc_set_error("%s: the batch size must be positive, not %lld",
                         m.name, (long long)batch);
  // The arguments: the caller's inputs (viewed, not copied), then the
  // instance's parameters.
  std::vector<char *> names;
  std::vector<nnc_tensor> tensors;
  int32_t k = 0;
  for (int32_t a = 0; a < m.num_args; ++a)
    if (m.args[a].kind == NNC_ARG_INPUT) {
      names.push_back(const_cast<char *>(m.args[a].name));
      tensors.push_back(
          view(m.args[a], batch, const_cast<void *>(inputs[k++])));
    }
  for (int64_t p = 0; p < inst->params.count; ++p) {
    names.push_back(inst->params.names[p]);
    tensors.push_back(inst->params.tensors[p]);
  }
  nnc_named_tensors in{int64_t(names.size()), names.data(), tensors.data()};
  if (nnc_model_forward(&m, &in, &inst->results))
    return -1;
  for (int32_t r = 0; r < m.num_results; ++r) {
    const nnc_tensor &t = inst->results.tensors[r];
    std::memcpy(outputs[r], t.data,
                size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype));
  }
  return 0;
}

extern "C" int nnc_instance_load(nnc_instance *inst, const char *path) {
  nnc_named_tensors file{};
  if (nnc_safetensors_load(path, &file))
    return -1;
  std::string problems;
  std::vector<int64_t> found;
  for (int64_t p = 0; p < inst->params.count; ++p) {
    const nnc_tensor &mine = inst->params.tensors[p];
    int64_t k = nnc_named_find(&file, inst->params.names[p]);
    found.push_back(k);
    bool fits = k >= 0 && file.tensors[k].dtype == mine.dtype &&
                file.tensors[k].rank == mine.rank;
    for (int32_t d = 0; fits && d < mine.rank; ++d)
      fits = file.tensors[k].dims[d] == mine.dims[d];
    if (!fits)
      problems += std::string(problems.empty() ? "" : ", ") + "'" +
                  inst->params.names[p] + "'" +
                  (k < 0 ? " is missing" : " has another dtype or shape");
  }
  if (!problems.empty()) {
    nnc_named_free(&file);
    return nnc_set_error("checkpoint '%s' does not fit model '%s': %s", path,
                         inst->model->name, problems.c_str());
  }
  for (int64_t p = 0; p < inst->params.count; ++p) {
    nnc_tensor &mine = inst->params.tensors[p];
    std::memcpy(mine.data, file.tensors[found[size_t(p)]].data,
                size_t(nnc_tensor_numel(&mine)) * nnc_dtype_size(mine.dtype));
  }
  nnc_named_free(&file);
  return 0;
}

extern "C" int nnc_instance_save(const nnc_instance *inst, const char *path) {
  return nnc_safetensors_save(path, &inst->params);
}

extern "C" const nnc_named_tensors *
nnc_instance_params(const nnc_instance *inst) {
  return &inst->params;
}
