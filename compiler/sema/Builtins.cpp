//===- Builtins.cpp - Shape rules of the built-in operations --------------===//
//
// The primitive operations the language provides (everything the stdlib's
// .nn layers are written in): their argument names, defaults and how each
// computes its result type and FLOPs. Images are NHWC: [B, H, W, C];
// convolution weights are [KH, KW, C_in / groups, C_out].
//
//===----------------------------------------------------------------------===//
#include "sema/BuiltinArgs.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <set>

using namespace nnc;

namespace {
using namespace nnc::builtins;

/// A result computing `flopsPerElt` per element.
Result done(Elaborator &el, const char *op, TensorType t, int64_t flopsPerElt) {
  int64_t n = numElements(t, el.dimValues());
  return produce(el, op, std::move(t), saturatingMul(flopsPerElt, n));
}

//===--- element-wise ----------------------------------------------------===//

template <OpKind K> Result unaryMath(Elaborator &el, Args &a, llvm::SMLoc) {
  const char *name = opKindName(K);
  if (a[0].value.isNumber()) {
    double x = a[0].value.number();
    double r = llvm::StringSwitch<double>(name)
                   .Case("exp", std::exp(x))
                   .Case("log", std::log(x))
                   .Case("sqrt", std::sqrt(x))
                   .Case("abs", std::fabs(x))
                   .Case("sin", std::sin(x))
                   .Case("cos", std::cos(x))
                   .Case("tanh", std::tanh(x))
                   .Case("erf", std::erf(x))
                   .Case("square", x * x)
                   .Case("floor", std::floor(x))
                   .Case("log1p", std::log1p(x))
                   .Case("rsqrt", 1 / std::sqrt(x))
                   .Case("relu", x > 0 ? x : 0)
                   .Case("sigmoid", 1 / (1 + std::exp(-x)))
                   .Default(NAN);
    if (!std::isnan(r))
      return Value::ofFloat(r);
  }
  auto t = tensorArg(el, a[0], name, /*floatOnly=*/true);
  if (!t)
    return std::nullopt;
  return done(el, name, *t, 1);
}

Result leakyRelu(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "leaky_relu", true);
  if (!t || !floatArg(el, a, 1, 0.01, "the slope"))
    return std::nullopt;
  return done(el, "leaky_relu", *t, 1);
}

template <OpKind K> Result binaryMath(Elaborator &el, Args &a, llvm::SMLoc loc) {
  if (a[0].value.isNumber() && a[1].value.isNumber()) {
    double x = a[0].value.number(), y = a[1].value.number();
    return Value::ofFloat(K == OpKind::Maximum   ? std::max(x, y)
                          : K == OpKind::Minimum ? std::min(x, y)
                                                 : std::pow(x, y));
  }
  return tensorBinary(el, K, BinOp::Add, a[0].value, a[1].value, loc);
}

Result whereOp(Elaborator &el, Args &a, llvm::SMLoc loc) {
  auto c = tensorArg(el, a[0], "where");
  if (!c)
    return std::nullopt;
  if (c->dtype != DType::Bool) {
    el.error(a[0].loc,
             "the condition of 'where' must be a bool tensor; got " + c->str());
    return std::nullopt;
  }
  Result v = tensorBinary(el, OpKind::Where, BinOp::Add, a[1].value, a[2].value, loc);
  if (!v)
    return std::nullopt;
  auto s = broadcastShapes(c->dims, v->type.dims);
  if (!s) {
    el.error(loc, "the condition " + c->str() + " does not broadcast with " +
                      v->type.str());
    return std::nullopt;
  }
  v->type.dims = *s;
  return v;
}

Result clipOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "clip", true);
  if (!t || !floatArg(el, a, 1, 0, "the lower bound") ||
      !floatArg(el, a, 2, 0, "the upper bound"))
    return std::nullopt;
  return done(el, "clip", *t, 1);
}

Result identityOp(Elaborator &el, Args &a, const char *name, bool floatOnly) {
  auto t = tensorArg(el, a[0], name, floatOnly);
  if (!t)
    return std::nullopt;
  return done(el, name, *t, 0);
}

Result stopGradient(Elaborator &el, Args &a, llvm::SMLoc) {
  return identityOp(el, a, "stop_gradient", false);
}

Result castOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "cast");
  if (!t)
    return std::nullopt;
  std::optional<DType> dt;
  if (a[1].value.kind == Value::String)
    dt = parseDType(a[1].value.s);
  if (!dt) {
    el.error(a[1].loc, "cast needs an element type (f32, f64, i32, i64, "
                       "bool); got " +
                           a[1].value.describe());
    return std::nullopt;
  }
  t->dtype = *dt;
  return done(el, "cast", *t, 0);
}

//===--- reductions and normalisation ------------------------------------===//

template <OpKind K> Result reduceOp(Elaborator &el, Args &a, llvm::SMLoc) {
  const char *name = opKindName(K);
  // Code generation reduces float tensors (integers: cast to f32 first).
  auto t = tensorArg(el, a[0], name, /*floatOnly=*/true);
  if (!t)
    return std::nullopt;
  int64_t inElems = numElements(*t, el.dimValues());
  bool keep = present(a, 2) && a[2].value.kind == Value::Bool && a[2].value.b;
  std::set<int64_t> axes;
  if (present(a, 1)) {
    std::vector<Value> list = a[1].value.kind == Value::List
                                  ? a[1].value.elems
                                  : std::vector<Value>{a[1].value};
    for (const Value &v : list) {
      if (v.kind != Value::Int) {
        el.error(a[1].loc, "axis must be an integer or a list of integers");
        return std::nullopt;
      }
      auto ax = axisOf(el, a[1], v.i, t->rank());
      if (!ax)
        return std::nullopt;
      axes.insert(*ax);
    }
  } else {
    for (unsigned k = 0; k < t->rank(); ++k)
      axes.insert(k);
  }
  TensorType out{t->dtype, {}};
  if (K == OpKind::Argmax || K == OpKind::Argmin)
    out.dtype = DType::I64;
  for (unsigned k = 0; k < t->rank(); ++k) {
    if (!axes.count(k))
      out.dims.push_back(t->dims[k]);
    else if (keep)
      out.dims.push_back(Dim::constant(1));
  }
  Value v = Value::ofTensor(out);
  el.account(name, inElems, v);
  return v;
}

template <bool Log> Result softmaxOp(Elaborator &el, Args &a, llvm::SMLoc) {
  const char *name = Log ? "log_softmax" : "softmax";
  auto t = tensorArg(el, a[0], name, true);
  auto ax = intArg(el, a, 1, -1, "axis");
  if (!t || !ax || t->rank() == 0 || !axisOf(el, a[0], *ax, t->rank())) {
    if (t && t->rank() == 0)
      el.error(a[0].loc, llvm::Twine("'") + name +
                             "' needs a tensor of rank 1 "
                             "or more");
    return std::nullopt;
  }
  return done(el, name, *t, 5);
}

Result batchNorm(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "batch_norm", true);
  if (!x)
    return std::nullopt;
  if (x->rank() < 2) {
    el.error(a[0].loc, "batch_norm needs [B, ..., C]; got " + x->str());
    return std::nullopt;
  }
  TensorType vec{x->dtype, {x->dims.back()}};
  for (size_t k = 1; k <= 4; ++k) {
    auto t = tensorArg(el, a[k], "batch_norm", true);
    if (!t)
      return std::nullopt;
    if (*t != vec) {
      el.error(a[k].loc, "batch_norm statistics and scales must be " +
                             vec.str() + " (one per channel); got " + t->str());
      return std::nullopt;
    }
  }
  if (!floatArg(el, a, 5, 0.1, "momentum") || !floatArg(el, a, 6, 1e-5, "eps"))
    return std::nullopt;
  return done(el, "batch_norm", *x, 6);
}

Result layerNorm(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "layer_norm", true);
  if (!x)
    return std::nullopt;
  for (size_t k = 1; k <= 2; ++k) {
    auto t = tensorArg(el, a[k], "layer_norm", true);
    if (!t)
      return std::nullopt;
    bool ok = t->rank() <= x->rank() && t->rank() > 0;
    for (unsigned d = 0; ok && d < t->rank(); ++d)
      ok = t->dims[t->rank() - 1 - d] == x->dims[x->rank() - 1 - d];
    if (!ok) {
      el.error(a[k].loc, "layer_norm scale and shift must match the trailing "
                         "dimensions of " +
                             x->str() + "; got " + t->str());
      return std::nullopt;
    }
  }
  if (!floatArg(el, a, 3, 1e-5, "eps"))
    return std::nullopt;
  return done(el, "layer_norm", *x, 7);
}

Result dropoutOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "dropout", true);
  auto rate = floatArg(el, a, 1, 0.5, "the dropout rate");
  if (!t || !rate)
    return std::nullopt;
  if (*rate < 0 || *rate >= 1) {
    el.error(a[1].loc,
             "the dropout rate must be in [0, 1); got " + formatNumber(*rate));
    return std::nullopt;
  }
  return done(el, "dropout", *t, 1);
}

} // namespace

// Shape manipulation, convolution, random and data-set built-ins live in
// BuiltinsShape.cpp; both files contribute to the table below.
namespace nnc {
namespace builtins {
#define BUILTIN(FN, NAME, DOC, ...)                                            \
  Result FN(Elaborator &, std::vector<CallArg> &, llvm::SMLoc);
#define BUILTIN_OP(FN, KIND, DOC, ...) BUILTIN(FN, , DOC)
#include "sema/BuiltinsShape.def"
} // namespace builtins
} // namespace nnc

static const BuiltinDef kBuiltins[] = {
    {OpKind::Relu, {"x"}, unaryMath<OpKind::Relu>, "max(x, 0)"},
    {OpKind::Sigmoid, {"x"}, unaryMath<OpKind::Sigmoid>, "1 / (1 + exp(-x))"},
    {OpKind::Tanh, {"x"}, unaryMath<OpKind::Tanh>, "hyperbolic tangent"},
    {OpKind::Gelu, {"x"}, unaryMath<OpKind::Gelu>, "Gaussian error linear unit (erf form)"},
    {OpKind::Softplus, {"x"}, unaryMath<OpKind::Softplus>, "log(1 + exp(x))"},
    {OpKind::Erf, {"x"}, unaryMath<OpKind::Erf>, "the error function"},
    {OpKind::Exp, {"x"}, unaryMath<OpKind::Exp>, "e^x"},
    {OpKind::Log, {"x"}, unaryMath<OpKind::Log>, "natural logarithm"},
    {OpKind::Sqrt, {"x"}, unaryMath<OpKind::Sqrt>, "square root"},
    {OpKind::Rsqrt, {"x"}, unaryMath<OpKind::Rsqrt>, "1 / sqrt(x)"},
    {OpKind::Abs, {"x"}, unaryMath<OpKind::Abs>, "absolute value"},
    {OpKind::Sin, {"x"}, unaryMath<OpKind::Sin>, "sine"},
    {OpKind::Cos, {"x"}, unaryMath<OpKind::Cos>, "cosine"},
    {OpKind::Silu, {"x"}, unaryMath<OpKind::Silu>, "x * sigmoid(x)"},
    {OpKind::Square, {"x"}, unaryMath<OpKind::Square>, "x * x"},
    {OpKind::Floor, {"x"}, unaryMath<OpKind::Floor>, "round down"},
    {OpKind::Sign, {"x"}, unaryMath<OpKind::Sign>, "-1, 0 or 1"},
    {OpKind::Log1p, {"x"}, unaryMath<OpKind::Log1p>, "log(1 + x)"},
    {OpKind::Elu, {"x"}, unaryMath<OpKind::Elu>, "exponential linear unit"},
    {OpKind::LeakyRelu, {"x", "slope?"}, leakyRelu, "max(x, slope * x)"},
    {OpKind::Maximum, {"a", "b"}, binaryMath<OpKind::Maximum>, "element-wise maximum"},
    {OpKind::Minimum, {"a", "b"}, binaryMath<OpKind::Minimum>, "element-wise minimum"},
    {OpKind::Pow, {"a", "b"}, binaryMath<OpKind::Pow>, "a ** b"},
    {OpKind::Where, {"cond", "a", "b"}, whereOp, "select a where cond else b"},
    {OpKind::Clip, {"x", "low", "high"}, clipOp, "clamp to [low, high]"},
    {OpKind::StopGradient, {"x"}, stopGradient, "identity; no gradient flows"},
    {OpKind::Cast, {"x", "dtype"}, castOp, "convert the element type"},
    {OpKind::Sum, {"x", "axis?", "keepdims?"}, reduceOp<OpKind::Sum>, "sum over axes"},
    {OpKind::Mean, {"x", "axis?", "keepdims?"}, reduceOp<OpKind::Mean>, "mean over axes"},
    {OpKind::Max, {"x", "axis?", "keepdims?"}, reduceOp<OpKind::Max>, "maximum over axes"},
    {OpKind::Min, {"x", "axis?", "keepdims?"}, reduceOp<OpKind::Min>, "minimum over axes"},
    {OpKind::Logsumexp,
     {"x", "axis?", "keepdims?"},
     reduceOp<OpKind::Logsumexp>,
     "stable log(sum(exp(x)))"},
    {OpKind::Prod, {"x", "axis?", "keepdims?"}, reduceOp<OpKind::Prod>, "product over axes"},
    {OpKind::Argmax,
     {"x", "axis?", "keepdims?"},
     reduceOp<OpKind::Argmax>,
     "index of the maximum (i64)"},
    {OpKind::Argmin,
     {"x", "axis?", "keepdims?"},
     reduceOp<OpKind::Argmin>,
     "index of the minimum (i64)"},
    {OpKind::Softmax,
     {"x", "axis?"},
     softmaxOp<false>,
     "softmax along axis (default -1)"},
    {OpKind::LogSoftmax, {"x", "axis?"}, softmaxOp<true>, "stable log of softmax"},
    {OpKind::BatchNorm,
     {"x", "gamma", "beta", "mean", "var", "momentum?", "eps?"},
     batchNorm,
     "batch normalisation over all but the last axis (batch statistics in "
     "training, running statistics in eval)"},
    {OpKind::LayerNorm,
     {"x", "gamma", "beta", "eps?"},
     layerNorm,
     "normalise over the trailing axes"},
    {OpKind::Dropout,
     {"x", "rate"},
     dropoutOp,
     "zero elements with probability rate in training"},
#define BUILTIN(FN, NAME, DOC, ...) {NAME, {__VA_ARGS__}, builtins::FN, DOC},
#define BUILTIN_OP(FN, KIND, DOC, ...)                                         \
  {OpKind::KIND, {__VA_ARGS__}, builtins::FN, DOC},
#include "sema/BuiltinsShape.def"
};

const BuiltinDef *nnc::lookupBuiltin(llvm::StringRef name) {
  for (const BuiltinDef &b : kBuiltins)
    if (name == b.name)
      return &b;
  return nullptr;
}

void nnc::builtinNames(std::vector<llvm::StringRef> &out) {
  for (const BuiltinDef &b : kBuiltins)
    out.push_back(b.name);
}

void nnc::listBuiltins(llvm::raw_ostream &os) {
  for (const BuiltinDef &b : kBuiltins) {
    os << b.name << "(";
    for (size_t k = 0; k < b.params.size(); ++k)
      os << (k ? ", " : "") << b.params[k];
    os << ")  " << b.summary << "\n";
  }
  std::vector<llvm::StringRef> inits;
  initializerNames(inits);
  for (llvm::StringRef i : inits)
    os << "initializer " << i << "\n";
}

static const char *const kInitializers[] = {
    "zeros",           "ones",           "constant",
    "normal",          "uniform",        "truncated_normal",
    "glorot_uniform",  "glorot_normal",  "xavier_uniform",
    "xavier_normal",   "he_uniform",     "he_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal"};

bool nnc::isInitializerName(llvm::StringRef name) {
  return llvm::is_contained(kInitializers, name);
}

void nnc::initializerNames(std::vector<llvm::StringRef> &out) {
  for (const char *n : kInitializers)
    out.push_back(n);
}
