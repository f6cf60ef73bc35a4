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
  return produce(el, op, std::move(t), flopsPerElt * n);
}

//===--- element-wise ----------------------------------------------------===//

template <int Id> Result unaryMath(Elaborator &el, Args &a, llvm::SMLoc) {
  static const char *names[] = {"relu", "sigmoid", "tanh", "gelu",   "softplus",
                                "exp",  "log",     "sqrt", "rsqrt",  "abs",
                                "sin",  "cos",     "silu", "square", "floor",
                                "sign", "log1p",   "elu"};
  const char *name = names[Id];
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

template <int Id> Result binaryMath(Elaborator &el, Args &a, llvm::SMLoc loc) {
  static const char *names[] = {"maximum", "minimum", "pow"};
  if (a[0].value.isNumber() && a[1].value.isNumber()) {
    double x = a[0].value.number(), y = a[1].value.number();
    return Value::ofFloat(Id == 0   ? std::max(x, y)
                          : Id == 1 ? std::min(x, y)
                                    : std::pow(x, y));
  }
  return tensorBinary(el, names[Id], BinOp::Add, a[0].value, a[1].value, loc);
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
  Result v = tensorBinary(el, "where", BinOp::Add, a[1].value, a[2].value, loc);
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

template <int Id> Result reduceOp(Elaborator &el, Args &a, llvm::SMLoc) {
  static const char *names[] = {"sum",       "mean", "max",    "min",
                                "logsumexp", "prod", "argmax", "argmin"};
  const char *name = names[Id];
  auto t = tensorArg(el, a[0], name);
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
  if (Id >= 6)
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
#define BUILTIN(FN, NAME, DOC, ISOP, ...)                                      \
  Result FN(Elaborator &, std::vector<CallArg> &, llvm::SMLoc);
#include "sema/BuiltinsShape.def"
} // namespace builtins
} // namespace nnc

static const BuiltinDef kBuiltins[] = {
    {"relu", {"x"}, unaryMath<0>, "max(x, 0)"},
    {"sigmoid", {"x"}, unaryMath<1>, "1 / (1 + exp(-x))"},
    {"tanh", {"x"}, unaryMath<2>, "hyperbolic tangent"},
    {"gelu", {"x"}, unaryMath<3>, "Gaussian error linear unit (erf form)"},
    {"softplus", {"x"}, unaryMath<4>, "log(1 + exp(x))"},
    {"exp", {"x"}, unaryMath<5>, "e^x"},
    {"log", {"x"}, unaryMath<6>, "natural logarithm"},
    {"sqrt", {"x"}, unaryMath<7>, "square root"},
    {"rsqrt", {"x"}, unaryMath<8>, "1 / sqrt(x)"},
    {"abs", {"x"}, unaryMath<9>, "absolute value"},
    {"sin", {"x"}, unaryMath<10>, "sine"},
    {"cos", {"x"}, unaryMath<11>, "cosine"},
    {"silu", {"x"}, unaryMath<12>, "x * sigmoid(x)"},
    {"square", {"x"}, unaryMath<13>, "x * x"},
    {"floor", {"x"}, unaryMath<14>, "round down"},
    {"sign", {"x"}, unaryMath<15>, "-1, 0 or 1"},
    {"log1p", {"x"}, unaryMath<16>, "log(1 + x)"},
    {"elu", {"x"}, unaryMath<17>, "exponential linear unit"},
    {"leaky_relu", {"x", "slope?"}, leakyRelu, "max(x, slope * x)"},
    {"maximum", {"a", "b"}, binaryMath<0>, "element-wise maximum"},
    {"minimum", {"a", "b"}, binaryMath<1>, "element-wise minimum"},
    {"pow", {"a", "b"}, binaryMath<2>, "a ** b"},
    {"where", {"cond", "a", "b"}, whereOp, "select a where cond else b"},
    {"clip", {"x", "low", "high"}, clipOp, "clamp to [low, high]"},
    {"stop_gradient", {"x"}, stopGradient, "identity; no gradient flows"},
    {"cast", {"x", "dtype"}, castOp, "convert the element type"},
    {"sum", {"x", "axis?", "keepdims?"}, reduceOp<0>, "sum over axes"},
    {"mean", {"x", "axis?", "keepdims?"}, reduceOp<1>, "mean over axes"},
    {"max", {"x", "axis?", "keepdims?"}, reduceOp<2>, "maximum over axes"},
    {"min", {"x", "axis?", "keepdims?"}, reduceOp<3>, "minimum over axes"},
    {"logsumexp",
     {"x", "axis?", "keepdims?"},
     reduceOp<4>,
     "stable log(sum(exp(x)))"},
    {"prod", {"x", "axis?", "keepdims?"}, reduceOp<5>, "product over axes"},
    {"argmax",
     {"x", "axis?", "keepdims?"},
     reduceOp<6>,
     "index of the maximum (i64)"},
    {"argmin",
     {"x", "axis?", "keepdims?"},
     reduceOp<7>,
     "index of the minimum (i64)"},
    {"softmax",
     {"x", "axis?"},
     softmaxOp<false>,
     "softmax along axis (default -1)"},
    {"log_softmax", {"x", "axis?"}, softmaxOp<true>, "stable log of softmax"},
    {"batch_norm",
     {"x", "gamma", "beta", "mean", "var", "momentum?", "eps?"},
     batchNorm,
     "batch normalisation over all but the last axis (batch statistics in "
     "training, running statistics in eval)"},
    {"layer_norm",
     {"x", "gamma", "beta", "eps?"},
     layerNorm,
     "normalise over the trailing axes"},
    {"dropout",
     {"x", "rate"},
     dropoutOp,
     "zero elements with probability rate in training"},
#define BUILTIN(FN, NAME, DOC, ISOP, ...)                                      \
  {NAME, {__VA_ARGS__}, builtins::FN, DOC, ISOP},
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
