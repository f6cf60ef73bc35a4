//===- BuiltinArgs.cpp - Argument checks shared by the built-ins ----------===//
#include "sema/BuiltinArgs.h"

#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::builtins;

bool builtins::present(const Args &a, size_t k) {
  return k < a.size() && !a[k].value.isNone();
}

std::optional<TensorType> builtins::tensorArg(Elaborator &el, const CallArg &a,
                                              const char *fn, bool floatOnly) {
  if (a.value.kind != Value::Tensor) {
    el.error(a.loc, llvm::Twine("'") + fn + "' expects a tensor; got " +
                        a.value.describe());
    return std::nullopt;
  }
  if (floatOnly && !isFloat(a.value.type.dtype)) {
    el.error(a.loc, llvm::Twine("'") + fn + "' expects a float tensor; got " +
                        a.value.type.str() + " (use cast(x, f32)?)");
    return std::nullopt;
  }
  return a.value.type;
}

std::optional<int64_t> builtins::intArg(Elaborator &el, const Args &a, size_t k,
                                        int64_t dflt, const char *what) {
  if (!present(a, k))
    return dflt;
  if (a[k].value.kind != Value::Int) {
    el.error(a[k].loc, llvm::Twine(what) +
                           " must be a compile-time integer; "
                           "got " +
                           a[k].value.describe());
    return std::nullopt;
  }
  return a[k].value.i;
}

std::optional<std::array<int64_t, 2>>
builtins::pairArg(Elaborator &el, const Args &a, size_t k,
                  std::array<int64_t, 2> dflt, const char *what) {
  if (!present(a, k))
    return dflt;
  const Value &v = a[k].value;
  if (v.kind == Value::Int)
    return std::array<int64_t, 2>{v.i, v.i};
  if (v.kind == Value::List && v.elems.size() == 2 &&
      v.elems[0].kind == Value::Int && v.elems[1].kind == Value::Int)
    return std::array<int64_t, 2>{v.elems[0].i, v.elems[1].i};
  el.error(a[k].loc, llvm::Twine(what) +
                         " must be an integer or a list of two, [height, "
                         "width]; got " +
                         v.describe());
  return std::nullopt;
}

std::optional<builtins::Pads> builtins::padsArg(Elaborator &el, const Args &a,
                                                size_t k) {
  Pads out;
  if (!present(a, k))
    return out;
  const Value &v = a[k].value;
  bool ints = v.kind == Value::List &&
              llvm::all_of(v.elems,
                           [](const Value &e) { return e.kind == Value::Int; });
  if (v.kind == Value::String && (v.s == "valid" || v.s == "same")) {
    out.same = v.s == "same";
  } else if (v.kind == Value::Int) {
    out.p = {v.i, v.i, v.i, v.i};
  } else if (ints && v.elems.size() == 2) {
    out.p = {v.elems[0].i, v.elems[0].i, v.elems[1].i, v.elems[1].i};
  } else if (ints && v.elems.size() == 4) {
    out.p = {v.elems[0].i, v.elems[1].i, v.elems[2].i, v.elems[3].i};
  } else {
    el.error(a[k].loc, "padding must be \"valid\", \"same\", an integer, "
                       "[height, width] or [top, bottom, left, right]; got " +
                           v.describe());
    return std::nullopt;
  }
  return out;
}

std::optional<double> builtins::floatArg(Elaborator &el, const Args &a,
                                         size_t k, double dflt,
                                         const char *what) {
  if (!present(a, k))
    return dflt;
  if (!a[k].value.isNumber()) {
    el.error(a[k].loc, llvm::Twine(what) + " must be a number; got " +
                           a[k].value.describe());
    return std::nullopt;
  }
  return a[k].value.number();
}

std::optional<int64_t> builtins::axisOf(Elaborator &el, const CallArg &a,
                                        int64_t v, int64_t rank) {
  int64_t ax = v < 0 ? v + rank : v;
  if (ax < 0 || ax >= rank) {
    el.error(a.loc, llvm::formatv("axis {0} is out of range for a tensor of "
                                  "rank {1}",
                                  v, rank));
    return std::nullopt;
  }
  return ax;
}

std::optional<std::vector<Dim>>
builtins::shapeArg(Elaborator &el, const CallArg &a, bool allowInfer) {
  if (a.value.kind != Value::List && a.value.kind != Value::Tuple) {
    el.error(a.loc, "a shape is a list of dimensions such as [B, 10]; got " +
                        a.value.describe());
    return std::nullopt;
  }
  std::vector<Dim> dims;
  for (const Value &v : a.value.elems) {
    if (v.kind == Value::Int && v.i == -1 && allowInfer)
      dims.push_back(inferredDim());
    else if (v.kind == Value::Int && v.i > 0)
      dims.push_back(Dim::constant(v.i));
    else if (v.kind == Value::Int) {
      el.error(a.loc, "a shape's sizes must be positive" +
                          std::string(allowInfer ? " (or one -1, inferred)"
                                                 : "") +
                          "; got " + std::to_string(v.i));
      return std::nullopt;
    } else if (v.kind == Value::DimV)
      dims.push_back(v.dim);
    else {
      el.error(a.loc, "a shape may only contain integers and dimensions; "
                      "got " +
                          v.describe());
      return std::nullopt;
    }
  }
  return dims;
}

Result builtins::produce(Elaborator &el, const char *op, TensorType t,
                         int64_t flops) {
  Value v = Value::ofTensor(std::move(t));
  el.account(op, flops, v);
  return v;
}

bool builtins::stringArg(Elaborator &el, const Args &a, size_t k,
                         const char *what) {
  if (a[k].value.kind == Value::String)
    return true;
  el.error(a[k].loc, llvm::Twine(what) + " must be a string; got " +
                         a[k].value.describe());
  return false;
}
