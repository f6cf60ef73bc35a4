//===- BuiltinsShape.cpp - Shape, convolution and random built-ins --------===//
//
// The second half of the built-in table (see BuiltinsShape.def): shape
// manipulation, convolution and pooling arithmetic, random tensors and
// constructors. Data sets are in BuiltinsData.cpp.
//
//===----------------------------------------------------------------------===//
#include "sema/BuiltinArgs.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace nnc;

namespace {
using namespace nnc::builtins;

Result produceElemwise(Elaborator &el, const char *op, TensorType t) {
  int64_t n = numElements(t, el.dimValues());
  return produce(el, op, std::move(t), n);
}

/// Symbols of a product dim, sorted, and its constant factor.
void factor(const std::vector<Dim> &dims, int64_t &c,
            std::vector<std::string> &syms) {
  c = 1;
  for (const Dim &d : dims) {
    if (d.isConst()) {
      c *= d.value;
      continue;
    }
    llvm::SmallVector<llvm::StringRef, 4> parts;
    llvm::StringRef(d.sym).split(parts, '*');
    for (llvm::StringRef p : parts) {
      int64_t k;
      if (!p.getAsInteger(10, k))
        c *= k;
      else
        syms.push_back(p.str());
    }
  }
  std::sort(syms.begin(), syms.end());
}

/// The output size of one image axis: input `in`, window `k`, stride `s`,
/// padding `before` and `after` (unless `same`), dilation `dil`.
std::optional<Dim> spatial(Elaborator &el, const CallArg &at, const Dim &in,
                           int64_t k, int64_t s, bool same, int64_t before,
                           int64_t after, int64_t dil) {
  if (same) {
    if (!in.isConst())
      return s == 1
                 ? std::optional<Dim>(in)
                 : Dim::symbol("(" + in.sym + "/" + std::to_string(s) + ")");
    return Dim::constant((in.value + s - 1) / s);
  }
  if (!in.isConst()) {
    el.error(at.loc, "the spatial size " + in.sym +
                         " must be known at "
                         "compile time for this window (use padding \"same\" "
                         "with stride 1, or a fixed size)");
    return std::nullopt;
  }
  // The attributes are in range (BuiltinAttrs.cpp) but a kernel's size
  // comes from its weights: the dilated window may overflow.
  int64_t window, padded;
  bool overflow = llvm::MulOverflow(dil, k - 1, window) ||
                  llvm::AddOverflow(window, int64_t(1), window) ||
                  llvm::AddOverflow(in.value, before, padded) ||
                  llvm::AddOverflow(padded, after, padded);
  if (overflow || window > padded) {
    std::string pads = before == after
                           ? std::to_string(before)
                           : std::to_string(before) + " and " +
                                 std::to_string(after);
    el.error(at.loc,
             llvm::formatv("a window of {0}{3} does not fit an input "
                           "of size {1} (padding {2}): the output "
                           "would be empty",
                           k, in.value, pads,
                           dil == 1 ? std::string()
                                    : " with dilation " + std::to_string(dil)));
    return std::nullopt;
  }
  return Dim::constant((padded - window) / s + 1);
}

bool requireImage(Elaborator &el, const CallArg &a, const TensorType &t,
                  const char *fn) {
  if (t.rank() == 4 && isFloat(t.dtype))
    return true;
  el.error(a.loc, llvm::Twine("'") + fn +
                      "' expects an NHWC image batch "
                      "f32[B, H, W, C]; got " +
                      t.str() +
                      (t.rank() == 3 ? " (add a channel axis with "
                                       "unsqueeze(x, -1)?)"
                                     : ""));
  return false;
}

Result randomOf(Elaborator &el, const char *op, const CallArg &shape) {
  auto dims = shapeArg(el, shape);
  if (!dims)
    return std::nullopt;
  return produceElemwise(el, op, TensorType{DType::F32, *dims});
}

std::optional<DType> dtypeOf(Elaborator &el, const Args &a, size_t k) {
  if (!present(a, k))
    return DType::F32;
  if (a[k].value.kind == Value::String)
    if (auto dt = parseDType(a[k].value.s))
      return dt;
  el.error(a[k].loc, "expected an element type (f32, f64, i32, i64, bool)");
  return std::nullopt;
}

} // namespace

namespace nnc {
namespace builtins {

Result matmulOp(Elaborator &el, Args &a, llvm::SMLoc loc) {
  return el.binaryOp(BinOp::MatMul, a[0].value, a[1].value, loc);
}

Result transposeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "transpose");
  if (!t)
    return std::nullopt;
  TensorType out = *t;
  if (!present(a, 1)) {
    if (t->rank() < 2) {
      el.error(a[0].loc, "transpose needs rank 2 or more; got " + t->str());
      return std::nullopt;
    }
    std::swap(out.dims[t->rank() - 1], out.dims[t->rank() - 2]);
  } else {
    const Value &perm = a[1].value;
    std::vector<bool> seen(t->rank(), false);
    bool ok = perm.kind == Value::List && perm.elems.size() == t->rank();
    for (size_t k = 0; ok && k < perm.elems.size(); ++k) {
      const Value &p = perm.elems[k];
      ok = p.kind == Value::Int && p.i >= 0 && p.i < int64_t(t->rank()) &&
           !seen[p.i];
      if (ok) {
        seen[p.i] = true;
        out.dims[k] = t->dims[p.i];
      }
    }
    if (!ok) {
      el.error(a[1].loc, llvm::formatv("perm must be a permutation of 0..{0}",
                                       t->rank() - 1));
      return std::nullopt;
    }
  }
  return produce(el, "transpose", out, 0);
}

Result reshapeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "reshape");
  auto dims = t ? shapeArg(el, a[1], /*allowInfer=*/true) : std::nullopt;
  if (!dims)
    return std::nullopt;
  int64_t inC, outC;
  std::vector<std::string> inS, outS;
  factor(t->dims, inC, inS);
  int infer = -1;
  std::vector<Dim> known;
  for (size_t k = 0; k < dims->size(); ++k) {
    if (isInferredDim((*dims)[k])) {
      if (infer >= 0) {
        el.error(a[1].loc, "only one dimension of a reshape can be -1");
        return std::nullopt;
      }
      infer = k;
    } else {
      known.push_back((*dims)[k]);
    }
  }
  factor(known, outC, outS);
  if (infer >= 0) {
    // The inferred dim takes the constant quotient and leftover symbols.
    std::vector<std::string> left;
    std::set_difference(inS.begin(), inS.end(), outS.begin(), outS.end(),
                        std::back_inserter(left));
    bool covered =
        std::includes(inS.begin(), inS.end(), outS.begin(), outS.end());
    if (!covered || outC == 0 || inC % outC != 0) {
      std::string want;
      for (const Dim &d : *dims)
        want += (want.empty() ? "" : ", ") +
                (isInferredDim(d) ? std::string("-1") : d.str());
      el.error(a[1].loc, "cannot reshape " + t->str() + " to [" + want +
                             "]: its size is not a multiple of the other "
                             "dimensions' product");
      return std::nullopt;
    }
    std::vector<Dim> parts{Dim::constant(inC / outC)};
    for (auto &s : left)
      parts.push_back(Dim::symbol(s));
    (*dims)[infer] = dimProduct(parts);
  } else if (inC != outC || inS != outS) {
    TensorType want{t->dtype, *dims};
    el.error(a[1].loc, "cannot reshape " + t->str() + " to " + want.str() +
                           ": the number of elements differs");
    return std::nullopt;
  }
  return produce(el, "reshape", TensorType{t->dtype, *dims}, 0);
}

Result flattenOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "flatten");
  auto start = intArg(el, a, 1, 1, "start");
  if (!t || !start)
    return std::nullopt;
  if (present(a, 1) && *start >= int64_t(t->rank())) {
    el.error(a[1].loc, llvm::formatv("start of 'flatten' must be below the "
                                     "rank of {0}; got {1}",
                                     t->str(), *start));
    return std::nullopt;
  }
  if (*start >= int64_t(std::max<unsigned>(t->rank(), 1))) {
    el.error(a[0].loc,
             "flatten needs a tensor of rank 2 or more; got " + t->str());
    return std::nullopt;
  }
  std::vector<Dim> head(t->dims.begin(), t->dims.begin() + *start);
  std::vector<Dim> tail(t->dims.begin() + *start, t->dims.end());
  head.push_back(dimProduct(tail));
  return produce(el, "flatten", TensorType{t->dtype, head}, 0);
}

Result unsqueezeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "unsqueeze");
  auto ax = intArg(el, a, 1, 0, "axis");
  if (!t || !ax)
    return std::nullopt;
  auto pos = axisOf(el, a[1], *ax, t->rank() + 1);
  if (!pos)
    return std::nullopt;
  TensorType out = *t;
  out.dims.insert(out.dims.begin() + *pos, Dim::constant(1));
  return produce(el, "unsqueeze", out, 0);
}

Result squeezeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto t = tensorArg(el, a[0], "squeeze");
  auto ax = intArg(el, a, 1, 0, "axis");
  if (!t || !ax)
    return std::nullopt;
  auto pos = axisOf(el, a[1], *ax, t->rank());
  if (!pos)
    return std::nullopt;
  if (t->dims[*pos] != Dim::constant(1)) {
    el.error(a[1].loc, "squeeze needs an axis of size 1; axis " +
                           std::to_string(*pos) + " of " + t->str() +
                           " has size " + t->dims[*pos].str());
    return std::nullopt;
  }
  TensorType out = *t;
  out.dims.erase(out.dims.begin() + *pos);
  return produce(el, "squeeze", out, 0);
}

static Result joinOp(Elaborator &el, Args &a, bool stack) {
  const char *name = stack ? "stack" : "concat";
  const Value &xs = a[0].value;
  if ((xs.kind != Value::List && xs.kind != Value::Tuple) || xs.elems.empty()) {
    el.error(a[0].loc, llvm::Twine("'") + name +
                           "' takes a non-empty list "
                           "of tensors, e.g. " +
                           name + "([a, b], axis: -1)");
    return std::nullopt;
  }
  std::vector<TensorType> ts;
  for (const Value &v : xs.elems) {
    if (v.kind != Value::Tensor) {
      el.error(a[0].loc, llvm::Twine("'") + name + "' takes tensors; got " +
                             v.describe());
      return std::nullopt;
    }
    ts.push_back(v.type);
  }
  auto ax = intArg(el, a, 1, stack ? 0 : -1, "axis");
  if (!ax)
    return std::nullopt;
  auto pos = axisOf(el, present(a, 1) ? a[1] : a[0], *ax,
                    ts[0].rank() + (stack ? 1 : 0));
  if (!pos)
    return std::nullopt;
  std::vector<Dim> sizes;
  for (const TensorType &t : ts) {
    bool same = t.dtype == ts[0].dtype && t.rank() == ts[0].rank();
    for (unsigned d = 0; same && d < t.rank(); ++d)
      same = (!stack && d == *pos) || t.dims[d] == ts[0].dims[d];
    if (!same) {
      el.error(a[0].loc, llvm::Twine("'") + name +
                             "' needs tensors that "
                             "agree except on the axis; got " +
                             ts[0].str() + " and " + t.str());
      return std::nullopt;
    }
    if (!stack)
      sizes.push_back(t.dims[*pos]);
  }
  TensorType out = ts[0];
  if (stack) {
    out.dims.insert(out.dims.begin() + *pos, Dim::constant(ts.size()));
  } else {
    int64_t c = 0;
    std::string syms;
    for (const Dim &d : sizes) {
      if (d.isConst())
        c += d.value;
      else
        syms += (syms.empty() ? "" : "+") + d.sym;
    }
    out.dims[*pos] =
        syms.empty() ? Dim::constant(c)
                     : Dim::symbol(c ? syms + "+" + std::to_string(c) : syms);
  }
  return produce(el, name, out, 0);
}

Result concatOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return joinOp(el, a, false);
}
Result stackOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return joinOp(el, a, true);
}

Result gatherOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto table = tensorArg(el, a[0], "gather");
  auto idx = table ? tensorArg(el, a[1], "gather") : std::nullopt;
  if (!idx)
    return std::nullopt;
  if (table->rank() < 1 || isFloat(idx->dtype) || idx->dtype == DType::Bool) {
    el.error(a[1].loc, "gather takes a table [V, ...] and integer indices; "
                       "got " +
                           table->str() + " and " + idx->str());
    return std::nullopt;
  }
  TensorType out{table->dtype, idx->dims};
  out.dims.insert(out.dims.end(), table->dims.begin() + 1, table->dims.end());
  return produce(el, "gather", out, 0);
}

Result oneHotOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto idx = tensorArg(el, a[0], "one_hot");
  if (!idx)
    return std::nullopt;
  if (isFloat(idx->dtype)) {
    el.error(a[0].loc, "one_hot takes integer labels; got " + idx->str());
    return std::nullopt;
  }
  Dim n;
  if (a[1].value.kind == Value::Int && a[1].value.i > 0)
    n = Dim::constant(a[1].value.i);
  else if (a[1].value.kind == Value::DimV)
    n = a[1].value.dim;
  else {
    el.error(a[1].loc, "the number of classes must be a positive integer; "
                       "got " +
                           a[1].value.describe());
    return std::nullopt;
  }
  TensorType out{DType::F32, idx->dims};
  out.dims.push_back(n);
  return produceElemwise(el, "one_hot", out);
}

Result conv2dOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "conv");
  auto w = x ? tensorArg(el, a[1], "conv") : std::nullopt;
  if (!w || !requireImage(el, a[0], *x, "conv"))
    return std::nullopt;
  auto s = pairArg(el, a, 2, {1, 1}, "stride");
  auto dil = pairArg(el, a, 4, {1, 1}, "dilation");
  auto g = intArg(el, a, 5, 1, "groups");
  auto pad = padsArg(el, a, 3);
  if (!s || !dil || !g || !pad)
    return std::nullopt;
  if (w->rank() != 4 || !w->dims[0].isConst() || !w->dims[1].isConst()) {
    el.error(a[1].loc, "conv weights must be [KH, KW, C/groups, F] with a "
                       "fixed kernel size; got " +
                           w->str());
    return std::nullopt;
  }
  const Dim &c = x->dims[3];
  Dim perGroup = c.isConst() && *g > 0 && c.value % *g == 0
                     ? Dim::constant(c.value / *g)
                     : c;
  if (w->dims[2] != perGroup || *g <= 0) {
    el.error(a[1].loc, "conv weights " + w->str() + " do not match " +
                           std::to_string(*g) + " group(s) of the " + c.str() +
                           " input channels of " + x->str());
    return std::nullopt;
  }
  const auto &p = pad->p;
  auto ho = spatial(el, a[0], x->dims[1], w->dims[0].value, (*s)[0], pad->same,
                    p[0], p[1], (*dil)[0]);
  auto wo = ho ? spatial(el, a[0], x->dims[2], w->dims[1].value, (*s)[1],
                         pad->same, p[2], p[3], (*dil)[1])
               : std::nullopt;
  if (!wo)
    return std::nullopt;
  TensorType out{x->dtype, {x->dims[0], *ho, *wo, w->dims[3]}};
  const DimValues &dv = el.dimValues();
  int64_t macs =
      saturatingMul(saturatingMul(numElements(out, dv), w->dims[0].value),
                    saturatingMul(w->dims[1].value, dv.get(w->dims[2])));
  return produce(el, "conv", out, saturatingMul(2, macs));
}

Result convTransposeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "conv_transpose");
  auto w = x ? tensorArg(el, a[1], "conv_transpose") : std::nullopt;
  if (!w || !requireImage(el, a[0], *x, "conv_transpose"))
    return std::nullopt;
  auto s = pairArg(el, a, 2, {1, 1}, "stride");
  auto p = pairArg(el, a, 3, {0, 0}, "padding");
  if (!s || !p)
    return std::nullopt;
  if (w->rank() != 4 || w->dims[2] != x->dims[3] || !w->dims[0].isConst() ||
      !x->dims[1].isConst() || !x->dims[2].isConst()) {
    el.error(a[1].loc, "conv_transpose needs weights [KH, KW, C, F] matching "
                       "the input channels and a fixed input size; got " +
                           x->str() + " and " + w->str());
    return std::nullopt;
  }
  // The transposed convolution crops `padding` from a full output: at
  // most kernel - 1 on each side (code generation pads by k - 1 - p).
  std::vector<Dim> dims{x->dims[0]};
  for (int d = 0; d < 2; ++d) {
    int64_t in = x->dims[1 + d].value, k = w->dims[d].value, full;
    int64_t pd = (*p)[size_t(d)];
    if (pd > k - 1) {
      el.error(a[3].loc, llvm::formatv("padding of 'conv_transpose' must be "
                                       "less than the kernel size {0}; got "
                                       "{1}",
                                       k, pd));
      return std::nullopt;
    }
    if (llvm::MulOverflow(in - 1, (*s)[size_t(d)], full) ||
        llvm::AddOverflow(full, k, full))
      full = INT64_MAX; // too large: the size check of the result says so
    dims.push_back(Dim::constant(full - 2 * pd));
  }
  dims.push_back(w->dims[3]);
  TensorType out{x->dtype, dims};
  const DimValues &dv = el.dimValues();
  int64_t macs =
      saturatingMul(saturatingMul(numElements(*x, dv), w->dims[0].value),
                    saturatingMul(w->dims[1].value, dv.get(w->dims[3])));
  return produce(el, "conv_transpose", out, saturatingMul(2, macs));
}

Result upsampleOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "upsample");
  auto f = x ? intArg(el, a, 1, 1, "the upsampling factor") : std::nullopt;
  if (!f || !requireImage(el, a[0], *x, "upsample"))
    return std::nullopt;
  TensorType out = *x;
  for (int d = 1; d <= 2; ++d)
    out.dims[d] = dimProduct({x->dims[d], Dim::constant(*f)});
  return produce(el, "upsample", out, 0);
}

static Result poolOp(Elaborator &el, Args &a, const char *name) {
  auto x = tensorArg(el, a[0], name);
  auto k = x ? pairArg(el, a, 1, {1, 1}, "the pool size") : std::nullopt;
  if (!k || !requireImage(el, a[0], *x, name))
    return std::nullopt;
  auto s = pairArg(el, a, 2, *k, "stride");
  auto pad = padsArg(el, a, 3);
  if (!s || !pad)
    return std::nullopt;
  // As in PyTorch: a window is never entirely padding.
  for (int side = 0; side < 4; ++side) {
    int64_t half = (*k)[size_t(side / 2)] / 2;
    if (pad->p[size_t(side)] > half) {
      el.error(a[3].loc, llvm::formatv("padding of '{0}' must be at most "
                                       "half the window ({1}); got {2}",
                                       name, half, pad->p[size_t(side)]));
      return std::nullopt;
    }
  }
  const auto &p = pad->p;
  auto ho = spatial(el, a[0], x->dims[1], (*k)[0], (*s)[0], pad->same, p[0],
                    p[1], 1);
  auto wo = ho ? spatial(el, a[0], x->dims[2], (*k)[1], (*s)[1], pad->same,
                         p[2], p[3], 1)
               : std::nullopt;
  if (!wo)
    return std::nullopt;
  TensorType out{x->dtype, {x->dims[0], *ho, *wo, x->dims[3]}};
  return produce(el, name, out,
                 saturatingMul(numElements(out, el.dimValues()),
                               saturatingMul((*k)[0], (*k)[1])));
}

Result maxpoolOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return poolOp(el, a, "maxpool");
}
Result avgpoolOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return poolOp(el, a, "avgpool");
}

Result globalAvgpoolOp(Elaborator &el, Args &a, llvm::SMLoc) {
  auto x = tensorArg(el, a[0], "global_avgpool");
  if (!x || !requireImage(el, a[0], *x, "global_avgpool"))
    return std::nullopt;
  return produce(el, "global_avgpool",
                 TensorType{x->dtype, {x->dims[0], x->dims[3]}},
                 numElements(*x, el.dimValues()));
}

Result normalOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return randomOf(el, "normal", a[0]);
}
Result uniformOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return randomOf(el, "uniform", a[0]);
}
Result gumbelOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return randomOf(el, "gumbel", a[0]);
}

static Result likeOp(Elaborator &el, Args &a, const char *name,
                     bool floatOnly) {
  auto t = tensorArg(el, a[0], name);
  if (!t)
    return std::nullopt;
  if (floatOnly && !isFloat(t->dtype)) {
    el.error(a[0].loc, llvm::Twine("'") + name +
                           "' needs a float tensor; got " + t->str());
    return std::nullopt;
  }
  return produceElemwise(el, name, *t);
}

Result bernoulliOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "bernoulli", true);
}
Result normalLikeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "normal_like", true);
}
Result uniformLikeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "uniform_like", true);
}
Result gumbelLikeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "gumbel_like", true);
}
Result zerosLikeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "zeros_like", false);
}
Result onesLikeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return likeOp(el, a, "ones_like", false);
}

static Result filled(Elaborator &el, Args &a, const char *name, size_t dtIdx) {
  auto dims = shapeArg(el, a[0]);
  auto dt = dims ? dtypeOf(el, a, dtIdx) : std::nullopt;
  if (!dt)
    return std::nullopt;
  return produce(el, name, TensorType{*dt, *dims}, 0);
}

Result zerosOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return filled(el, a, "zeros", 1);
}
Result onesOp(Elaborator &el, Args &a, llvm::SMLoc) {
  return filled(el, a, "ones", 1);
}
Result fullOp(Elaborator &el, Args &a, llvm::SMLoc) {
  if (!a[1].value.isNumber() && a[1].value.kind != Value::Bool) {
    el.error(a[1].loc, "the fill value must be a number");
    return std::nullopt;
  }
  return filled(el, a, "full", 2);
}

Result arangeOp(Elaborator &el, Args &a, llvm::SMLoc) {
  Dim n;
  if (a[0].value.kind == Value::Int && a[0].value.i > 0)
    n = Dim::constant(a[0].value.i);
  else if (a[0].value.kind == Value::DimV)
    n = a[0].value.dim;
  else {
    el.error(a[0].loc, "arange takes a positive size");
    return std::nullopt;
  }
  return produce(el, "arange", TensorType{DType::I64, {n}}, 0);
}

Result saveImageOp(Elaborator &el, Args &a, llvm::SMLoc loc) {
  auto t = tensorArg(el, a[0], "save_image", /*floatOnly=*/true);
  if (!t || !stringArg(el, a, 1, "the file of save_image"))
    return std::nullopt;
  if (t->rank() < 2 || t->rank() > 4) {
    el.error(a[0].loc, "save_image takes [H, W], [H, W, C] or a batch [N, H, "
                       "W(, C)]; got " +
                           t->str());
    return std::nullopt;
  }
  if (t->rank() == 4 && !(t->dims[3].isConst() &&
                          (t->dims[3].value == 1 || t->dims[3].value == 3 ||
                           t->dims[3].value == 4))) {
    el.error(a[0].loc, "save_image of [N, H, W, C] needs C = 1, 3 or 4; got " +
                           t->str());
    return std::nullopt;
  }
  if (!llvm::StringRef(a[1].value.s).ends_with(".png")) {
    el.error(a[1].loc, "save_image writes PNG files: the file must end in "
                       ".png; got \"" +
                           a[1].value.s + "\"");
    return std::nullopt;
  }
  bool normalize = false;
  if (present(a, 2)) {
    if (a[2].value.kind != Value::Bool) {
      el.error(a[2].loc, "normalize must be true or false; got " +
                             a[2].value.describe());
      return std::nullopt;
    }
    normalize = a[2].value.b;
  }
  auto columns = intArg(el, a, 3, 0, "columns");
  auto scale = columns ? intArg(el, a, 4, 1, "scale") : std::nullopt;
  if (!scale)
    return std::nullopt;
  if (*scale < 1 || *scale > 16) {
    el.error(a[4].loc, "scale draws each pixel as a k x k square: k must be "
                       "1 to 16; got " + std::to_string(*scale));
    return std::nullopt;
  }
  el.traceImage(a[0], a[1].value.s,
                "normalize=" + std::to_string(normalize) +
                    ",columns=" + std::to_string(*columns) +
                    ",scale=" + std::to_string(*scale),
                loc);
  return Value::none();
}

Result printTextOp(Elaborator &el, Args &a, llvm::SMLoc loc) {
  auto t = tensorArg(el, a[0], "print_text");
  if (!t)
    return std::nullopt;
  if (t->dtype != DType::I64 && t->dtype != DType::I32) {
    el.error(a[0].loc, "print_text prints byte ids (i64 or i32); got " +
                           t->str());
    return std::nullopt;
  }
  el.traceText(a[0], loc);
  return Value::none();
}

Result printOp(Elaborator &el, Args &a, llvm::SMLoc loc) {
  el.tracePrint(a, loc);
  return Value::none();
}

} // namespace builtins
} // namespace nnc
