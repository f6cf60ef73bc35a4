//===- Gradcheck.cpp - Compiled gradients against finite differences ------===//
//
// `nnc check --gradcheck`: the loss and its reverse-mode gradients are
// compiled in f64 (every f32 of the program promoted), evaluated once on
// random data and parameters, and each gradient is compared on sampled
// elements with the central difference (L(p + h) - L(p - h)) / 2h,
// h = 1e-6, of the same compiled loss, with PyTorch gradcheck's tolerances.
// Random ops keep their seeds, so the loss is a deterministic function and
// dropout masks or reparameterised noise are the same in every evaluation.
// A stop_gradient is held at its value at the unperturbed point (a sample
// weight or a guessed label computed from the model's own outputs): the
// loss is compiled with those values as inputs, which a second function
// computes first, so the finite differences see what the gradient means.
//
//===----------------------------------------------------------------------===//
#include "driver/Gradcheck.h"
#include "driver/Runner.h"
#include "nnc/runtime.h"
#include "sema/Graph.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace nnc;

namespace {

constexpr double kAtol = 1e-5, kRtol = 1e-3;

/// Owns the named tensors handed to the compiled model.
struct Tensors {
  nnc_named_tensors t{};
  ~Tensors() { nnc_named_free(&t); }
  double *f64(int64_t i) { return static_cast<double *>(t.tensors[i].data); }
};

/// Random arguments: floats uniform in [-1, 1) (parameters scaled by
/// 1/sqrt(fan-in) so activations stay in range), integers 0 or 1 (valid
/// labels and ids for any class count or vocabulary).
bool makeInputs(const nnc_model &m, const GradcheckOptions &opts, Tensors &in,
                DiagnosticEngine &diags) {
  std::mt19937_64 rng(opts.seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  for (int32_t k = 0; k < m.num_args; ++k) {
    const nnc_model_arg &a = m.args[k];
    nnc_tensor t{};
    t.dtype = a.dtype;
    t.rank = a.rank;
    for (int32_t d = 0; d < a.rank; ++d)
      t.dims[d] = a.dims[d] < 0 ? opts.batch : a.dims[d];
    if (nnc_tensor_alloc(&t)) {
      diags.error(nnc_last_error());
      return false;
    }
    int64_t n = nnc_tensor_numel(&t);
    double scale = 1.0;
    if (a.kind == NNC_ARG_PARAM && a.rank >= 2)
      scale = 1.0 / std::sqrt(double(n / a.dims[a.rank - 1]));
    for (int64_t i = 0; i < n; ++i) {
      switch (t.dtype) {
      case NNC_F64:
        static_cast<double *>(t.data)[i] = uni(rng) * scale;
        break;
      case NNC_I64:
        static_cast<int64_t *>(t.data)[i] = int64_t(rng() % 2);
        break;
      case NNC_I32:
        static_cast<int32_t *>(t.data)[i] = int32_t(rng() % 2);
        break;
      default:
        break; // booleans stay false
      }
    }
    // (The loss entry takes them as plain scalar inputs.)
    if (auto h = a.name && a.kind != NNC_ARG_PARAM && a.rank == 0
                     ? opts.hparams.find(a.name)
                     : opts.hparams.end();
        h != opts.hparams.end() && t.dtype == NNC_F64 && n == 1)
      static_cast<double *>(t.data)[0] = h->second;
    if (a.kind == NNC_ARG_STATE && a.name &&
        std::string(a.name).find("var") != std::string::npos)
      for (int64_t i = 0; i < n && t.dtype == NNC_F64; ++i)
        static_cast<double *>(t.data)[i] = 1.0 + std::abs(uni(rng)) * 0.5;
    nnc_named_append(&in.t, a.name, t);
  }
  return true;
}

/// The loss with its stop_gradient values as inputs ("frozen.<k>"), and a
/// function that computes those values (its outputs, same names).
struct Frozen {
  std::shared_ptr<ModelGraph> loss, values;
};

/// Copies the graph's nodes between its outputs and its stop_gradients,
/// each stop_gradient becoming an input; leaves (inputs, parameters,
/// constants) are shared. Null when the graph has no stop_gradient, or
/// a loop between it and the loss (loop bodies are not copied: such a
/// graph is checked as before, the stop_gradient not held).
std::optional<Frozen> freezeStopGradients(const ModelGraph &g) {
  Frozen f;
  f.loss = std::make_shared<ModelGraph>(g);
  f.values = std::make_shared<ModelGraph>(g);
  f.values->outputs.clear();
  std::map<const Node *, NodePtr> copies;
  bool loops = false;
  std::vector<std::pair<NodePtr, NodePtr>> todo; // (original, its copy)
  auto copyOf = [&](const NodePtr &n) -> NodePtr {
    if (n->inputs.empty())
      return n;
    auto [it, fresh] = copies.try_emplace(n.get());
    if (!fresh)
      return it->second;
    if (n->op == OpKind::StopGradient) {
      auto in = std::make_shared<Node>();
      in->op = OpKind::Input;
      in->type = n->type;
      in->loc = in->site = n->loc;
      in->name = "frozen." + std::to_string(f.values->outputs.size());
      f.loss->inputs.push_back(in);
      f.values->outputs.push_back({in->name, n->inputs[0]});
      return it->second = in;
    }
    // A loop's body is shared with the original graph: a body that read
    // a copied node would still see the original, unfrozen one.
    loops |= !n->bodyArgs.empty() || !n->bodyResults.empty();
    it->second = std::make_shared<Node>(*n);
    todo.push_back({n, it->second});
    return it->second;
  };
  for (auto &[name, out] : f.loss->outputs)
    out = copyOf(out);
  while (!todo.empty()) {
    auto [original, copy] = todo.back();
    todo.pop_back();
    for (size_t k = 0; k < copy->inputs.size(); ++k)
      copy->inputs[k] = copyOf(original->inputs[k]);
  }
  if (f.values->outputs.empty() || loops)
    return std::nullopt;
  return f;
}

/// The loss of one evaluation (result 0).
bool evaluate(const nnc_model &m, Tensors &in, double &loss,
              Tensors *keep = nullptr) {
  Tensors out;
  if (nnc_model_forward(&m, &in.t, &out.t))
    return false;
  loss = out.f64(0)[0];
  if (keep)
    std::swap(keep->t, out.t);
  return true;
}

} // namespace

int nnc::runGradcheck(const Entry &entry, const GradcheckOptions &opts,
                      const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  Entry e = entry, values = entry;
  e.f64 = values.f64 = true;
  std::optional<Frozen> frozen = freezeStopGradients(*entry.graph);
  if (frozen) {
    e.graph = frozen->loss.get();
    values.graph = frozen->values.get();
    values.name += "_frozen";
    values.gradients = values.wrtInputs = false;
  }
  return withJit(e, opts.codegen, srcMgr, diags, [&](const nnc_model &m) {
    Tensors in, grads;
    double loss;
    if (!makeInputs(m, opts, in, diags))
      return 1;
    // The stop_gradients' values at this point, computed from the same
    // inputs and parameters, become the loss's "frozen.<k>" inputs.
    if (frozen &&
        withJit(values, opts.codegen, srcMgr, diags, [&](const nnc_model &v) {
          Tensors held;
          if (nnc_model_forward(&v, &in.t, &held.t))
            return 1;
          for (int64_t k = 0; k < held.t.count; ++k) {
            int64_t at = nnc_named_find(&in.t, held.t.names[k]);
            if (at < 0)
              continue;
            // The value itself, with its own shape (a size such as B*2
            // is not the batch).
            std::swap(in.t.tensors[at], held.t.tensors[k]);
          }
          return 0;
        })) {
      diags.error(nnc_last_error());
      return 1;
    }
    if (!evaluate(m, in, loss, &grads)) {
      diags.error(nnc_last_error());
      return 1;
    }
    std::printf("gradcheck of '%s' (f64, symbolic sizes %lld, loss %.6g, "
                "%u elements per tensor)\n",
                m.name, (long long)opts.batch, loss, opts.samples);
    std::mt19937_64 pick(opts.seed + 1);
    double worstAll = 0;
    for (int32_t r = 1; r < m.num_results; ++r) {
      std::string name = m.results[r].name;
      std::string of = name.substr(5); // "grad.<name>"
      int64_t arg = nnc_named_find(&in.t, of.c_str());
      if (arg < 0 || llvm::StringRef(of).starts_with("frozen.") ||
          (!opts.only.empty() && m.args[arg].kind == NNC_ARG_PARAM &&
           llvm::find(opts.only, of) == opts.only.end()))
        continue;
      nnc_tensor &p = in.t.tensors[arg];
      int64_t n = nnc_tensor_numel(&p);
      std::vector<int64_t> idx(n);
      for (int64_t i = 0; i < n; ++i)
        idx[i] = i;
      std::shuffle(idx.begin(), idx.end(), pick);
      double *value = in.f64(arg);
      const double *analytic = grads.f64(r);
      // A table read by `gather` has a gradient in a few rows only: most
      // picks come from the elements whose analytic gradient is not 0, a
      // quarter from the others (whose finite difference must be 0 too).
      std::vector<int64_t> nonzero, zero;
      for (int64_t i : idx)
        (analytic[i] != 0 ? nonzero : zero).push_back(i);
      int64_t want = opts.samples;
      int64_t fromZero = std::min<int64_t>(zero.size(), want / 4);
      int64_t fromNonzero = std::min<int64_t>(nonzero.size(), want - fromZero);
      fromZero = std::min<int64_t>(zero.size(), want - fromNonzero);
      idx.assign(nonzero.begin(), nonzero.begin() + fromNonzero);
      idx.insert(idx.end(), zero.begin(), zero.begin() + fromZero);
      double worst = 0;
      for (int64_t i : idx) {
        double saved = value[i];
        double h = 1e-6 * std::max(1.0, std::abs(saved)), up, down;
        value[i] = saved + h;
        bool ok = evaluate(m, in, up);
        value[i] = saved - h;
        ok = ok && evaluate(m, in, down);
        value[i] = saved;
        if (!ok) {
          diags.error(nnc_last_error());
          return 1;
        }
        double numeric = (up - down) / (2 * h);
        // PyTorch's gradcheck criterion, |fd - g| <= atol + rtol |g| with
        // atol = 1e-5 and rtol = 1e-3, as one number compared with rtol.
        double err = std::abs(numeric - analytic[i]) /
                     (std::abs(analytic[i]) + kAtol / kRtol);
        worst = std::max(worst, err);
      }
      worstAll = std::max(worstAll, worst);
      std::printf("  %-28s %s worst error %.2e\n", of.c_str(),
                  worst <= opts.tolerance ? "ok  " : "FAIL", worst);
    }
    bool pass = worstAll <= opts.tolerance;
    std::printf("%s: worst %.2e, tolerance %.0e\n",
                pass ? "gradcheck passed" : "gradcheck FAILED", worstAll,
                opts.tolerance);
    return pass ? 0 : 1;
  });
}
