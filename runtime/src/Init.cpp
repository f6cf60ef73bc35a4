//===- Init.cpp - Parameter initializers ----------------------------------===//
//
// PyTorch's definitions of the common initializers, drawn from the Philox
// stream so that a seed gives the same parameters everywhere. A spec is
// `name` or `name(key=value, ...)`; positional values are `arg0`, `arg1`.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {
struct Spec {
  std::string name;
  std::map<std::string, double> args;
  double get(const char *key, const char *pos, double dflt) const {
    auto it = args.find(key);
    if (it != args.end())
      return it->second;
    it = args.find(pos);
    return it != args.end() ? it->second : dflt;
  }
};

bool parseSpec(const char *text, Spec &out) {
  std::string s(text);
  size_t open = s.find('(');
  out.name = s.substr(0, open);
  if (open == std::string::npos)
    return true;
  size_t close = s.rfind(')');
  if (close == std::string::npos || close < open)
    return false;
  std::string body = s.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start < body.size()) {
    size_t comma = body.find(',', start);
    std::string item = body.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return false;
    out.args[item.substr(0, eq)] = std::strtod(item.c_str() + eq + 1, nullptr);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return true;
}

void fans(const nnc_tensor *t, double &fanIn, double &fanOut) {
  if (t->rank == 0) {
    fanIn = fanOut = 1;
  } else if (t->rank == 1) {
    fanIn = fanOut = double(t->dims[0]);
  } else {
    fanIn = 1;
    for (int32_t d = 0; d + 1 < t->rank; ++d)
      fanIn *= double(t->dims[d]);
    fanOut = double(t->dims[t->rank - 1]);
    for (int32_t d = 0; d + 2 < t->rank; ++d)
      fanOut *= double(t->dims[d]);
  }
}

/// Orthonormal columns (or rows, when there are fewer rows) of a Gaussian
/// matrix, by modified Gram-Schmidt in double precision.
void orthogonal(float *data, int64_t rows, int64_t cols, uint64_t seed) {
  bool tall = rows >= cols;
  int64_t n = tall ? rows : cols, k = tall ? cols : rows;
  std::vector<float> g(size_t(n * k));
  nnc_rng_normal_f32(seed, 0, g.data(), n * k, 0.0f, 1.0f);
  std::vector<double> q(g.begin(), g.end()); // k vectors of length n
  for (int64_t j = 0; j < k; ++j) {
    double *v = &q[size_t(j * n)];
    for (int64_t i = 0; i < j; ++i) {
      const double *u = &q[size_t(i * n)];
      double dot = 0;
      for (int64_t e = 0; e < n; ++e)
        dot += u[e] * v[e];
      for (int64_t e = 0; e < n; ++e)
        v[e] -= dot * u[e];
    }
    double norm = 0;
    for (int64_t e = 0; e < n; ++e)
      norm += v[e] * v[e];
    norm = std::sqrt(norm) + 1e-12;
    for (int64_t e = 0; e < n; ++e)
      v[e] /= norm;
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      data[r * cols + c] =
          float(tall ? q[size_t(c * n + r)] : q[size_t(r * n + c)]);
}
} // namespace

extern "C" int nnc_init_tensor(nnc_tensor *t, const char *specText,
                               uint64_t seed) {
  if (t->dtype != NNC_F32)
    return nnc_set_error("initializer '%s' needs an f32 tensor", specText);
  Spec spec;
  if (!parseSpec(specText, spec))
    return nnc_set_error("malformed initializer '%s'", specText);
  float *data = static_cast<float *>(t->data);
  int64_t n = nnc_tensor_numel(t);
  double fanIn, fanOut;
  fans(t, fanIn, fanOut);
  const std::string &name = spec.name;
  auto fill = [&](double v) {
    for (int64_t i = 0; i < n; ++i)
      data[i] = float(v);
  };
  auto uniform = [&](double lo, double hi) {
    nnc_rng_uniform_f32(seed, 0, data, n, float(lo), float(hi));
  };
  auto normal = [&](double mean, double std) {
    nnc_rng_normal_f32(seed, 0, data, n, float(mean), float(std));
  };
  if (name == "zeros")
    fill(0);
  else if (name == "ones")
    fill(1);
  else if (name == "constant")
    fill(spec.get("value", "arg0", 0));
  else if (name == "normal")
    normal(spec.get("mean", "arg0", 0), spec.get("std", "arg1", 1));
  else if (name == "uniform")
    uniform(spec.get("low", "arg0", 0), spec.get("high", "arg1", 1));
  else if (name == "truncated_normal") {
    double mean = spec.get("mean", "arg0", 0), std = spec.get("std", "arg1", 1);
    normal(mean, std);
    // Redraw values beyond two standard deviations (as PyTorch's trunc).
    uint64_t round = 1;
    for (int64_t i = 0; i < n; ++i)
      while (std::fabs(data[i] - mean) > 2 * std)
        nnc_rng_normal_f32(seed, (round++ << 40) + uint64_t(i), &data[i], 1,
                           float(mean), float(std));
  } else if (name == "glorot_uniform" || name == "xavier_uniform") {
    double a = std::sqrt(6.0 / (fanIn + fanOut));
    uniform(-a, a);
  } else if (name == "glorot_normal" || name == "xavier_normal")
    normal(0, std::sqrt(2.0 / (fanIn + fanOut)));
  else if (name == "he_uniform" || name == "kaiming_uniform") {
    double a = std::sqrt(6.0 / fanIn);
    uniform(-a, a);
  } else if (name == "he_normal" || name == "kaiming_normal")
    normal(0, std::sqrt(2.0 / fanIn));
  else if (name == "orthogonal") {
    int64_t cols = t->rank ? t->dims[t->rank - 1] : 1;
    orthogonal(data, n / (cols ? cols : 1), cols, seed);
  } else
    return nnc_set_error("unknown initializer '%s'", name.c_str());
  return 0;
}
