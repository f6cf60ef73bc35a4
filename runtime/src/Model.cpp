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
#include "nnc/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

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

extern "C" int nnc_model_forward(const nnc_model *m,
                                 const nnc_named_tensors *in,
                                 nnc_named_tensors *out) {
  std::map<std::string, int64_t> syms;
  std::vector<std::vector<int64_t>> descs(m->num_args);
  std::vector<void *> argPtrs(m->num_args);
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
    std::vector<int64_t> &w = descs[a];
    w.assign(descriptorWords(t.rank), 0);
    std::memcpy(&w[0], &t.data, sizeof(void *));
    std::memcpy(&w[1], &t.data, sizeof(void *));
    int64_t stride = 1;
    for (int32_t d = t.rank - 1; d >= 0; --d) {
      w[3 + d] = t.dims[d];
      w[3 + t.rank + d] = stride;
      stride *= t.dims[d];
    }
    argPtrs[a] = w.data();
  }
  if (!missing.empty())
    return nnc_set_error("no tensor for %s", missing.c_str());

  size_t words = 0;
  for (int32_t r = 0; r < m->num_results; ++r)
    words += descriptorWords(m->results[r].rank);
  std::vector<int64_t> results(words, 0);
  m->invoke(m->ctx, results.data(), argPtrs.data());

  size_t at = 0;
  for (int32_t r = 0; r < m->num_results; ++r) {
    const nnc_model_arg &res = m->results[r];
    const int64_t *w = &results[at];
    at += descriptorWords(res.rank);
    void *base, *data;
    std::memcpy(&base, &w[0], sizeof base);
    std::memcpy(&data, &w[1], sizeof data);
    nnc_tensor t{};
    t.dtype = res.dtype;
    t.rank = res.rank;
    for (int32_t d = 0; d < res.rank; ++d)
      t.dims[d] = w[3 + d];
    if (nnc_tensor_alloc(&t)) {
      std::free(base);
      return -1;
    }
    int64_t n = nnc_tensor_numel(&t), esz = int64_t(nnc_dtype_size(t.dtype));
    const char *src = static_cast<const char *>(data) + w[2] * esz;
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i, off = 0;
      for (int32_t d = t.rank - 1; d >= 0; --d) {
        off += (rem % t.dims[d]) * w[3 + t.rank + d];
        rem /= t.dims[d];
      }
      std::memcpy(static_cast<char *>(t.data) + i * esz, src + off * esz,
                  size_t(esz));
    }
    std::free(base); // result buffers belong to the caller
    nnc_named_append(out, res.name, t);
  }
  return 0;
}

extern "C" int nnc_model_main(const nnc_model *m, int argc, char **argv) {
  const char *input = nullptr, *output = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      output = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0) {
      input = nullptr;
      break;
    } else if (!input) {
      input = argv[i];
    } else {
      input = nullptr;
      break;
    }
  }
  if (!input) {
    std::fprintf(stderr,
                 "usage: %s IN.safetensors [-o OUT.safetensors]\n"
                 "Runs model %s forward on the inputs and parameters in "
                 "IN.safetensors (named by input name and parameter path):\n",
                 argv[0], m->name);
    for (int32_t a = 0; a < m->num_args; ++a)
      std::fprintf(stderr, "  %-6s %-24s %s\n", m->args[a].kind,
                   m->args[a].name,
                   describe(m->args[a].dtype, m->args[a].rank,
                            m->args[a].dims, m->args[a].syms)
                       .c_str());
    return 2;
  }
  nnc_named_tensors in{}, out{};
  int rc = 0;
  if (nnc_safetensors_load(input, &in) || nnc_model_forward(m, &in, &out) ||
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
