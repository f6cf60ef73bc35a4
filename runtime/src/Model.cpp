//===- Model.cpp - Running compiled model functions -----------------------===//
//
// One implementation of "bind tensors by name, check them, call the
// compiled function, collect its results" for the JIT, executables and
// (later) embedded libraries. Compiled functions take MLIR strided-memref
// descriptors {base, data, offset, sizes[r], strides[r]}; results come
// back as descriptors of buffers the generated code allocated with malloc,
// which this code frees after copying them out (honouring their strides).
//
//===----------------------------------------------------------------------===//
#include "AllocFailure.h"
#include "Checkpoint.h"
#include "Images.h"
#include "Sources.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

static const char *const kArgKindNames[] = {
    "input",  "data",   "param",  "state",    "opt_state", "step", "stream",
    "hparam", "output", "update", "gradient", "image",     "text"};

const char *nnc_arg_kind_name(nnc_arg_kind kind) {
  unsigned k = unsigned(kind);
  return k < sizeof kArgKindNames / sizeof *kArgKindNames ? kArgKindNames[k]
                                                          : "?";
}

int nnc_arg_kind_parse(const char *name) {
  for (unsigned k = 0; k < sizeof kArgKindNames / sizeof *kArgKindNames; ++k)
    if (name && std::strcmp(name, kArgKindNames[k]) == 0)
      return int(k);
  return -1;
}

namespace {
const char *dtypeText(nnc_dtype t) {
  static const char *names[] = {"f32", "f64", "i32", "i64", "u8", "bool"};
  return names[t];
}

std::string describe(nnc_dtype dt, int32_t rank, const int64_t *dims,
                     const char *const *syms) {
  std::string s = dtypeText(dt);
  s += "[";
  for (int32_t k = 0; k < rank; ++k) {
    if (k)
      s += ", ";
    s += dims[k] >= 0 || !syms ? std::to_string(dims[k])
                               : std::string(syms[k] ? syms[k] : "?");
  }
  return s + "]";
}

size_t descriptorWords(int32_t rank) { return 3 + 2 * size_t(rank); }
} // namespace

namespace {
/// The strided-memref descriptor of a dense row-major tensor.
void describeTensor(const nnc_tensor &t, std::vector<int64_t> &w) {
  w.assign(descriptorWords(t.rank), 0);
  std::memcpy(&w[0], &t.data, sizeof(void *));
  std::memcpy(&w[1], &t.data, sizeof(void *));
  int64_t stride = 1;
  for (int32_t d = t.rank - 1; d >= 0; --d) {
    w[3 + d] = t.dims[d];
    w[3 + t.rank + d] = stride;
    stride *= t.dims[d];
  }
}

/// Copies the result described by `w` into `t` (allocating unless t has a
/// buffer of the right size). The buffer itself is freed by the caller:
/// several results may share one, or be an argument's (a view of an input,
/// a state returned unchanged).
int takeResult(const nnc_model_arg &res, const int64_t *w, nnc_tensor &t) {
  void *data;
  std::memcpy(&data, &w[1], sizeof data);
  int64_t n = 1;
  for (int32_t d = 0; d < res.rank; ++d)
    n *= w[3 + d];
  if (!t.data || t.dtype != res.dtype || nnc_tensor_numel(&t) != n) {
    nnc_tensor_free(&t);
    t.dtype = res.dtype;
    t.rank = res.rank;
    for (int32_t d = 0; d < res.rank; ++d)
      t.dims[d] = w[3 + d];
    if (nnc_tensor_alloc(&t))
      return -1;
  }
  t.rank = res.rank;
  for (int32_t d = 0; d < res.rank; ++d)
    t.dims[d] = w[3 + d];
  int64_t esz = int64_t(nnc_dtype_size(t.dtype));
  const char *src = static_cast<const char *>(data) + w[2] * esz;
  bool contiguous = true;
  for (int64_t d = t.rank - 1, stride = 1; d >= 0; --d) {
    contiguous &= t.dims[d] == 1 || w[3 + t.rank + d] == stride;
    stride *= t.dims[d];
  }
  if (contiguous) {
    // A train step writes its updates in place: the result is then t's
    // own buffer, and there is nothing to copy.
    if (t.data != src)
      std::memmove(t.data, src, size_t(n * esz));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i, off = 0;
      for (int32_t d = t.rank - 1; d >= 0; --d) {
        off += (rem % t.dims[d]) * w[3 + t.rank + d];
        rem /= t.dims[d];
      }
      std::memcpy(static_cast<char *>(t.data) + i * esz, src + off * esz,
                  size_t(esz));
    }
  }
  return 0;
}
} // namespace

extern "C" int nnc_model_call(const nnc_model *m, nnc_tensor *const *args,
                              nnc_tensor *results) {
  std::vector<std::vector<int64_t>> descs(m->num_args);
  std::vector<void *> argPtrs(m->num_args);
  for (int32_t a = 0; a < m->num_args; ++a) {
    describeTensor(*args[a], descs[a]);
    argPtrs[a] = descs[a].data();
  }
  size_t words = 0;
  for (int32_t r = 0; r < m->num_results; ++r)
    words += descriptorWords(m->results[r].rank);
  std::vector<int64_t> out(words, 0);
  if (nnc::callGuarded(m->invoke, m->ctx, out.data(), argPtrs.data()))
    return -1;
  int rc = 0;
  size_t at = 0;
  // Result buffers belong to the caller: free each once (after all are
  // copied: results may share one), and never one that is an argument's.
  std::vector<void *> freed;
  for (int32_t a = 0; a < m->num_args; ++a)
    freed.push_back(args[a]->data);
  for (int32_t r = 0; r < m->num_results; ++r) {
    if (takeResult(m->results[r], &out[at], results[r]))
      rc = -1;
    at += descriptorWords(m->results[r].rank);
  }
  at = 0;
  for (int32_t r = 0; r < m->num_results; ++r) {
    void *base;
    std::memcpy(&base, &out[at], sizeof base);
    if (std::find(freed.begin(), freed.end(), base) == freed.end()) {
      freed.push_back(base);
      nnc_buffer_free(base);
    }
    at += descriptorWords(m->results[r].rank);
  }
  return rc;
}

extern "C" int nnc_model_forward(const nnc_model *m,
                                 const nnc_named_tensors *in,
                                 nnc_named_tensors *out) {
  std::map<std::string, int64_t> syms;
  std::vector<nnc_tensor *> args(m->num_args);
  std::string missing;
  for (int32_t a = 0; a < m->num_args; ++a) {
    const nnc_model_arg &arg = m->args[a];
    int64_t k = nnc_named_find(in, arg.name);
    if (k < 0) {
      missing += (missing.empty() ? "" : ", ") + std::string(arg.name);
      continue;
    }
    const nnc_tensor &t = in->tensors[k];
    bool ok = t.dtype == arg.dtype && t.rank == arg.rank;
    for (int32_t d = 0; ok && d < arg.rank; ++d)
      ok = arg.dims[d] < 0 || arg.dims[d] == t.dims[d];
    if (!ok)
      return nnc_set_error(
          "tensor '%s' is %s but the model expects %s", arg.name,
          describe(t.dtype, t.rank, t.dims, nullptr).c_str(),
          describe(arg.dtype, arg.rank, arg.dims, arg.syms).c_str());
    for (int32_t d = 0; d < arg.rank; ++d) {
      if (arg.dims[d] >= 0)
        continue;
      std::string sym = arg.syms[d] ? arg.syms[d] : "?";
      auto [it, fresh] = syms.emplace(sym, t.dims[d]);
      if (!fresh && it->second != t.dims[d])
        return nnc_set_error("dimension %s is %lld in one tensor but %lld in "
                             "'%s'",
                             sym.c_str(), (long long)it->second,
                             (long long)t.dims[d], arg.name);
    }
    args[a] = &in->tensors[k];
  }
  if (!missing.empty())
    return nnc_set_error("no tensor for %s", missing.c_str());
  // A result `out` already has (from an earlier call) is written into its
  // buffer: repeated calls allocate nothing.
  std::vector<nnc_tensor> results(m->num_results, nnc_tensor{});
  std::vector<int64_t> reused(m->num_results, -1);
  for (int32_t r = 0; r < m->num_results; ++r)
    if ((reused[r] = nnc_named_find(out, m->results[r].name)) >= 0)
      results[r] = out->tensors[reused[r]];
  int rc = nnc_model_call(m, args.data(), results.data());
  for (int32_t r = 0; r < m->num_results; ++r) {
    if (reused[r] >= 0)
      out->tensors[reused[r]] = results[r];
    else if (rc == 0)
      nnc_named_append(out, m->results[r].name, results[r]);
    else
      nnc_tensor_free(&results[r]);
  }
  return rc;
}

extern "C" int nnc_model_bench(const nnc_model *m, const nnc_named_tensors *in,
                               nnc_named_tensors *out, unsigned runs,
                               double ms[3]) {
  if (runs == 0)
    return nnc_set_error("--bench needs at least one run");
  std::vector<double> times;
  for (unsigned k = 0; k < runs; ++k) {
    double t0 = nnc_now();
    if (nnc_model_forward(m, in, out))
      return -1;
    times.push_back((nnc_now() - t0) * 1e3);
  }
  std::sort(times.begin(), times.end());
  auto at = [&](double q) { return times[size_t(q * (times.size() - 1))]; };
  ms[0] = at(0.5);
  ms[1] = at(0.1);
  ms[2] = at(0.9);
  return 0;
}

extern "C" int nnc_model_main(const nnc_model *m, int argc, char **argv) {
  const char *input = nullptr, *output = nullptr;
  bool help = false;
  long bench = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      output = argv[++i];
    } else if (std::strcmp(argv[i], "--bench") == 0) {
      char *end = nullptr;
      bench = i + 1 < argc ? std::strtol(argv[++i], &end, 10) : 0;
      if (!end || *end || bench <= 0 || bench > 1000000) {
        input = nullptr; // a usage error: 1 to 1000000 runs
        break;
      }
    } else if (std::strcmp(argv[i], "--help") == 0) {
      help = true;
      break;
    } else if (!input) {
      input = argv[i];
    } else {
      input = nullptr;
      break;
    }
  }
  if (bench > 0 && output)
    input = nullptr; // --bench writes nothing: -o with it is a usage error
  if (help || !input) {
    // --help: the usage on stdout, success; a wrong command line: on
    // stderr, an input error (exit codes: docs/cli.md).
    FILE *to = help ? stdout : stderr;
    std::fprintf(to,
                 "usage: %s IN.safetensors [-o OUT.safetensors] [--bench N]\n"
                 "Runs model %s forward on the inputs and parameters in "
                 "IN.safetensors (named by input name and parameter path); "
                 "--bench N: times N more runs (median, 10th and 90th "
                 "percentile ms):\n",
                 argv[0], m->name);
    for (int32_t a = 0; a < m->num_args; ++a)
      std::fprintf(to, "  %-6s %-24s %s\n",
                   nnc_arg_kind_name(m->args[a].kind), m->args[a].name,
                   describe(m->args[a].dtype, m->args[a].rank, m->args[a].dims,
                            m->args[a].syms)
                       .c_str());
    return help ? 0 : 1;
  }
  nnc_named_tensors in{}, out{};
  int rc = 0;
  double ms[3];
  if (bench > 0) {
    if (nnc_safetensors_load(input, &in) || nnc_model_forward(m, &in, &out) ||
        nnc_model_bench(m, &in, &out, unsigned(bench), ms)) {
      std::fprintf(stderr, "%s: error: %s\n", argv[0], nnc_last_error());
      rc = 1;
    } else {
      std::printf("forward ms: median %.4f p10 %.4f p90 %.4f (%ld runs)\n",
                  ms[0], ms[1], ms[2], bench);
    }
  } else if (nnc_safetensors_load(input, &in) ||
             nnc_model_forward(m, &in, &out) ||
             (output && nnc_safetensors_save(output, &out))) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], nnc_last_error());
    rc = 1;
  } else if (!output) {
    for (int64_t k = 0; k < out.count; ++k) {
      std::printf("%s = ", out.names[k]);
      const nnc_tensor &t = out.tensors[k];
      if (t.dtype == NNC_F32) {
        nnc_print_f32(static_cast<const float *>(t.data), t.rank, t.dims);
      } else {
        std::printf("%s\n", describe(t.dtype, t.rank, t.dims, nullptr).c_str());
      }
    }
  }
  nnc_named_free(&in);
  nnc_named_free(&out);
  return rc;
}

uint64_t nnc::hashName(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s)
    h = (h ^ static_cast<unsigned char>(*s)) * 1099511628211ull;
  return h;
}

namespace {
/// Loads the data argument `source` ("fashion_mnist:test:image").
int loadData(const char *source,
             std::map<std::string, std::unique_ptr<nnc::DataTable>> &cache,
             nnc_tensor &out) {
  std::string src(source);
  size_t b = src.rfind(':');
  if (b == std::string::npos || src.find(':') == b)
    return nnc_set_error("malformed data source '%s'", source);
  std::string set = src.substr(0, b), field = src.substr(b + 1);
  auto it = cache.find(set);
  if (it == cache.end()) {
    auto table = std::make_unique<nnc::DataTable>();
    if (nnc::loadDataTable(set, *table))
      return -1;
    it = cache.emplace(set, std::move(table)).first;
  }
  const nnc_tensor *t = it->second->field(field);
  if (!t)
    return -1;
  out = *t;
  out.data = nullptr;
  out.dtype = nnc::modelDtype(*t);
  if (nnc_tensor_alloc(&out))
    return -1;
  if (t->dtype == NNC_U8) // pixel bytes
    nnc::pixelsToUnit(static_cast<const uint8_t *>(t->data),
                      static_cast<float *>(out.data), nnc_tensor_numel(t));
  else
    std::memcpy(out.data, t->data,
                size_t(nnc_tensor_numel(t)) * nnc_dtype_size(t->dtype));
  return 0;
}

/// print_text: byte ids as characters, one line per row (of the last
/// dimension); ids outside 0..255 print as '?'.
void printText(const nnc_tensor &t) {
  int64_t n = nnc_tensor_numel(&t), row = t.rank ? t.dims[t.rank - 1] : 1;
  std::string line;
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = t.dtype == NNC_I64 ? static_cast<const int64_t *>(t.data)[i]
                                    : static_cast<const int32_t *>(t.data)[i];
    line += id >= 0 && id < 256 ? char(id) : '?';
    if ((i + 1) % row == 0) {
      std::printf("%s\n", line.c_str());
      line.clear();
    }
  }
}

} // namespace

/// A parameter of `let m = Model() from "file"`: init spec
/// "checkpoint:NAME@FILE", the tensor NAME of that safetensors file
/// (files loaded once), checked against the argument.
static int fromCheckpoint(const nnc_model_arg &arg, const std::string &spec,
                          std::map<std::string, nnc_named_tensors> &files,
                          nnc_tensor &t) {
  size_t at = spec.find('@');
  std::string name = spec.substr(11, at - 11), file = spec.substr(at + 1);
  auto it = files.find(file);
  if (it == files.end()) {
    nnc_named_tensors loaded{};
    if (nnc_safetensors_load(file.c_str(), &loaded))
      return -1;
    it = files.emplace(file, loaded).first;
  }
  int64_t k = nnc_named_find(&it->second, name.c_str());
  if (k < 0)
    return nnc_set_error("checkpoint '%s' has no tensor '%s' (for '%s')",
                         file.c_str(), name.c_str(), arg.name);
  const nnc_tensor &src = it->second.tensors[k];
  bool ok = src.dtype == arg.dtype && src.rank == arg.rank;
  for (int32_t d = 0; ok && d < arg.rank; ++d)
    ok = src.dims[d] == arg.dims[d];
  if (!ok)
    return nnc_set_error(
        "tensor '%s' of checkpoint '%s' is %s but '%s' is %s", name.c_str(),
        file.c_str(), describe(src.dtype, src.rank, src.dims, nullptr).c_str(),
        arg.name, describe(arg.dtype, arg.rank, arg.dims, arg.syms).c_str());
  std::memcpy(t.data, src.data,
              size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype));
  return 0;
}
nnc::InitFiles::~InitFiles() {
  for (auto &[file, tensors] : files)
    nnc_named_free(&tensors);
}

int nnc::initArgument(const nnc_model_arg &arg, uint64_t seed,
                      InitFiles &files, nnc_tensor &t) {
  if (!arg.init)
    return 0;
  if (std::strncmp(arg.init, "checkpoint:", 11) == 0)
    return fromCheckpoint(arg, arg.init, files.files, t);
  return nnc_init_tensor(&t, arg.init, seed ^ nnc::hashName(arg.name));
}

extern "C" int nnc_model_init_params(const nnc_model *m, uint64_t seed,
                                     nnc_named_tensors *values) {
  nnc::InitFiles files;
  int rc = 0;
  for (int32_t a = 0; a < m->num_args && rc == 0; ++a) {
    const nnc_model_arg &arg = m->args[a];
    if ((arg.kind != NNC_ARG_PARAM && arg.kind != NNC_ARG_STATE &&
         arg.kind != NNC_ARG_OPT_STATE) ||
        nnc_named_find(values, arg.name) >= 0)
      continue;
    nnc_tensor t{};
    t.dtype = arg.dtype;
    t.rank = arg.rank;
    for (int32_t d = 0; d < arg.rank; ++d)
      t.dims[d] = arg.dims[d];
    rc = nnc_tensor_alloc(&t);
    if (rc == 0)
      rc = nnc::initArgument(arg, seed, files, t);
    if (rc == 0)
      rc = nnc_named_append(values, arg.name, t);
    else
      nnc_tensor_free(&t);
  }
  return rc;
}

extern "C" int nnc_program_eval(const nnc_model *m, uint64_t seed,
                                nnc_named_tensors *env,
                                nnc_named_tensors *out) {
  std::map<std::string, std::unique_ptr<nnc::DataTable>> cache;
  for (int32_t a = 0; a < m->num_args; ++a) {
    const nnc_model_arg &arg = m->args[a];
    if (nnc_named_find(env, arg.name) >= 0)
      continue;
    if (arg.source) {
      nnc_tensor t{};
      if (loadData(arg.source, cache, t))
        return -1;
      if (nnc_named_append(env, arg.name, t)) {
        nnc_tensor_free(&t);
        return -1;
      }
    } else if (arg.kind == NNC_ARG_INPUT) {
      return nnc_set_error("no value for input '%s'", arg.name);
    }
  }
  if (nnc_model_init_params(m, seed, env))
    return -1;
  return nnc_model_forward(m, env, out);
}

extern "C" int nnc_program_show(const nnc_model *m, int64_t result,
                                const char *name, const nnc_tensor *t) {
  nnc_arg_kind kind =
      result < m->num_results ? m->results[result].kind : NNC_ARG_OUTPUT;
  if (kind == NNC_ARG_IMAGE)
    return nnc::saveImage(*t, name, m->results[result].source);
  if (kind == NNC_ARG_TEXT) {
    printText(*t);
    return 0;
  }
  std::printf("%s%s", name, name[0] ? " " : "");
  nnc_print_tensor(t);
  return 0;
}

extern "C" int nnc_program_run(const nnc_model *m, uint64_t seed) {
  nnc_named_tensors env{}, out{};
  int rc = nnc_program_eval(m, seed, &env, &out);
  for (int64_t k = 0; rc == 0 && k < out.count; ++k)
    rc = nnc_program_show(m, k, out.names[k], &out.tensors[k]);
  nnc_named_free(&env);
  nnc_named_free(&out);
  return rc;
}

extern "C" int nnc_program_main(const nnc_model *m, int argc, char **argv) {
  uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      bool help = std::strcmp(argv[i], "--help") == 0;
      std::fprintf(help ? stdout : stderr,
                   "usage: %s [--seed N]\nRuns the main block of %s "
                   "(parameters initialised from the seed).\n",
                   argv[0], m->name);
      return help ? 0 : 1;
    }
  }
  if (nnc_program_run(m, seed)) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], nnc_last_error());
    return 1;
  }
  return 0;
}
