//===- BuiltinAttrs.cpp - Valid values of built-ins' integer attributes ---===//
//
// One declarative table says what each integer attribute of a built-in
// accepts: a stride or a window is at least 1, a padding at least 0 (or
// "valid"/"same" where the built-in takes them), an axis lies within the
// rank of its tensor, a count has an upper bound. Elaborator::apply checks
// every call against the table before the built-in's shape rule runs, so
// the rules in Builtins*.cpp only ever see values in range. The relations
// between an attribute and a shape (a window larger than its padded
// input) stay with the shape rules.
//
// A second table does the same for the integer hyper-parameters of the
// standard library's layers and functions (dense's units, conv2d's
// groups), checked where a call binds them (Elaborator::bindHParams), so
// that dense(0) is an error about `units`, not about a weight's shape.
//
//===----------------------------------------------------------------------===//
#include "sema/BuiltinArgs.h"

#include "llvm/Support/FormatVariadic.h"

#include <climits>

using namespace nnc;

namespace {
/// Largest window, stride, padding, dilation or factor: far beyond any
/// real image, small enough that products of a few stay in 64 bits.
constexpr int64_t kMaxSpatial = INT32_MAX;
constexpr int64_t kMaxCount = INT64_MAX;

/// Besides an integer, what an attribute may be.
enum Also : unsigned {
  Nothing = 0,
  PadName = 1,   ///< "valid" or "same"
  Dimension = 2, ///< a symbolic dimension (one_hot(x, V), arange(T))
  IntList = 4,   ///< a list of integers (the axes of a reduction)
};

struct IntAttrRule {
  const char *fn;    ///< the built-in
  const char *param; ///< its parameter, as BuiltinDef::params spells it
  int64_t min, max;
  unsigned also = Nothing;
  /// An axis: the parameter holding its tensor (or list of tensors), and
  /// how many axes the result adds (unsqueeze, stack). min/max unused.
  const char *axisOf = nullptr;
  int extraAxes = 0;
  /// When not empty, the only values allowed.
  std::vector<int64_t> oneOf = {};
};

IntAttrRule axis(const char *fn, const char *param, const char *of,
                 unsigned also = Nothing, int extra = 0) {
  return {fn, param, 0, 0, also, of, extra};
}

const std::vector<IntAttrRule> &rules() {
  static const std::vector<IntAttrRule> table = {
      // Shapes.
      {"flatten", "start", 0, kMaxSpatial},
      axis("unsqueeze", "axis", "x", Nothing, 1),
      axis("squeeze", "axis", "x"),
      axis("concat", "axis", "xs"),
      axis("stack", "axis", "xs", Nothing, 1),
      {"one_hot", "classes", 1, kMaxCount, Dimension},
      {"arange", "n", 1, kMaxCount, Dimension},
      // Reductions and normalisation.
      axis("sum", "axis", "x", IntList),
      axis("mean", "axis", "x", IntList),
      axis("max", "axis", "x", IntList),
      axis("min", "axis", "x", IntList),
      axis("logsumexp", "axis", "x", IntList),
      axis("prod", "axis", "x", IntList),
      axis("argmax", "axis", "x", IntList),
      axis("argmin", "axis", "x", IntList),
      axis("softmax", "axis", "x"),
      axis("log_softmax", "axis", "x"),
      // Convolution and pooling.
      // (Per axis as lists: [height, width]; paddings also [t, b, l, r].)
      {"conv", "stride", 1, kMaxSpatial, IntList},
      {"conv", "padding", 0, kMaxSpatial, PadName | IntList},
      {"conv", "dilation", 1, kMaxSpatial, IntList},
      {"conv", "groups", 1, kMaxSpatial},
      {"conv_transpose", "stride", 1, kMaxSpatial, IntList},
      {"conv_transpose", "padding", 0, kMaxSpatial, IntList},
      {"upsample", "factor", 1, kMaxSpatial},
      {"maxpool", "size", 1, kMaxSpatial, IntList},
      {"maxpool", "stride", 1, kMaxSpatial, IntList},
      {"maxpool", "padding", 0, kMaxSpatial, PadName | IntList},
      {"avgpool", "size", 1, kMaxSpatial, IntList},
      {"avgpool", "stride", 1, kMaxSpatial, IntList},
      {"avgpool", "padding", 0, kMaxSpatial, PadName | IntList},
      // Random numbers.
      {"normal", "seed", 0, kMaxCount},
      {"uniform", "seed", 0, kMaxCount},
      {"gumbel", "seed", 0, kMaxCount},
      {"bernoulli", "seed", 0, kMaxCount},
      {"normal_like", "seed", 0, kMaxCount},
      {"uniform_like", "seed", 0, kMaxCount},
      {"gumbel_like", "seed", 0, kMaxCount},
      // Outputs of main blocks.
      {"save_image", "columns", 0, kMaxSpatial},
      // Data sets.
      {"idx", "height", 1, kMaxSpatial},
      {"idx", "width", 1, kMaxSpatial},
      {"csv", "features", 1, kMaxSpatial},
      {"image_folder", "height", 1, kMaxSpatial},
      {"image_folder", "width", 1, kMaxSpatial},
      {"image_folder", "channels", 1, 4, Nothing, nullptr, 0, {1, 3, 4}},
      {"image", "height", 1, kMaxSpatial},
      {"image", "width", 1, kMaxSpatial},
      {"image", "channels", 1, 4, Nothing, nullptr, 0, {1, 3, 4}},
      {"text_chars", "seq", 1, kMaxSpatial},
      {"text_chars", "vocab", 1, 256},
      {"subset", "n", 1, kMaxCount},
      {"augment", "crop", 0, kMaxSpatial},
  };
  return table;
}

/// The integer hyper-parameters of std's layers and functions (std/*.nn).
const std::vector<IntAttrRule> &stdRules() {
  static const std::vector<IntAttrRule> table = {
      {"dense", "units", 1, kMaxCount},
      {"linear", "units", 1, kMaxCount},
      {"conv2d", "filters", 1, kMaxCount},
      {"conv2d", "kernel", 1, kMaxSpatial},
      {"conv2d", "stride", 1, kMaxSpatial},
      {"conv2d", "padding", 0, kMaxSpatial, PadName},
      {"conv2d", "dilation", 1, kMaxSpatial},
      {"conv2d", "groups", 1, kMaxSpatial},
      {"conv2d_transpose", "filters", 1, kMaxCount},
      {"conv2d_transpose", "kernel", 1, kMaxSpatial},
      {"conv2d_transpose", "stride", 1, kMaxSpatial},
      {"conv2d_transpose", "padding", 0, kMaxSpatial},
      {"embedding", "vocab", 1, kMaxCount},
      {"embedding", "dim", 1, kMaxCount},
      {"lstm_cell", "hidden", 1, kMaxCount},
      {"lstm", "hidden", 1, kMaxCount},
      {"gru_cell", "hidden", 1, kMaxCount},
      {"gru", "hidden", 1, kMaxCount},
      {"attention", "dim", 1, kMaxCount},
      {"self_attention", "dim", 1, kMaxCount},
      {"kth_largest", "k", 1, kMaxCount},
  };
  return table;
}

/// The slot of parameter `name` of `b` (params.size() if none).
size_t slotOf(const BuiltinDef &b, llvm::StringRef name) {
  for (size_t k = 0; k < b.params.size(); ++k)
    if (llvm::StringRef(b.params[k]).rtrim('?') == name)
      return k;
  return b.params.size();
}

/// What a value out of rule `r` should have been: "1, 3 or 4", ">= 1".
std::string expected(const IntAttrRule &r, int64_t v) {
  if (r.oneOf.empty())
    return v < r.min ? ">= " + std::to_string(r.min)
                     : "<= " + std::to_string(r.max);
  std::string s;
  for (size_t k = 0; k < r.oneOf.size(); ++k)
    s += (k == 0                    ? ""
          : k + 1 == r.oneOf.size() ? " or "
                                    : ", ") +
         std::to_string(r.oneOf[k]);
  return s;
}

/// The rank an axis of rule `r` ranges over, or -1 when the tensor it
/// belongs to is not there (its shape rule reports that).
int64_t axisRank(const BuiltinDef &b, const IntAttrRule &r,
                 const std::vector<CallArg> &slots) {
  size_t k = slotOf(b, r.axisOf);
  if (k >= slots.size())
    return -1;
  const Value &v = slots[k].value;
  if (v.kind == Value::Tensor)
    return v.type.rank() + r.extraAxes;
  if ((v.kind == Value::List || v.kind == Value::Tuple) && !v.elems.empty() &&
      v.elems[0].kind == Value::Tensor)
    return v.elems[0].type.rank() + r.extraAxes;
  return -1;
}

/// Checks one integer of rule `r`; `rank` is what an axis ranges over.
bool checkInt(Elaborator &el, const IntAttrRule &r, int64_t rank,
              const CallArg &a, int64_t v) {
  std::string what = llvm::formatv("{0} of '{1}'", r.param, r.fn).str();
  if (r.axisOf) {
    if (rank <= 0 || (v >= -rank && v < rank))
      return true;
    el.error(a.loc,
             llvm::formatv("{0} must be between {1} and {2} for a "
                           "tensor of rank {3}; got {4}",
                           what, -rank, rank - 1, rank - r.extraAxes, v));
    return false;
  }
  bool ok = r.oneOf.empty() ? v >= r.min && v <= r.max
                            : llvm::is_contained(r.oneOf, v);
  if (ok)
    return true;
  el.error(a.loc,
           llvm::formatv("{0} must be {1}; got {2}", what, expected(r, v), v));
  return false;
}

/// Checks argument `a` against rule `r`.
bool checkRule(Elaborator &el, const IntAttrRule &r, int64_t rank,
               const CallArg &a) {
  const Value &v = a.value;
  if (v.kind == Value::Int)
    return checkInt(el, r, rank, a, v.i);
  if ((r.also & PadName) && v.kind == Value::String &&
      (v.s == "valid" || v.s == "same"))
    return true;
  if ((r.also & Dimension) && v.kind == Value::DimV)
    return true;
  if ((r.also & IntList) && v.kind == Value::List) {
    bool ints = llvm::all_of(
        v.elems, [](const Value &e) { return e.kind == Value::Int; });
    if (ints) {
      for (const Value &e : v.elems)
        if (!checkInt(el, r, rank, a, e.i))
          return false;
      return true;
    }
  }
  std::string kinds = "an integer";
  if (r.also & PadName)
    kinds = "\"valid\", \"same\" or an integer";
  if (r.also & Dimension)
    kinds = "an integer or a dimension";
  if (r.also & IntList)
    kinds = r.also & PadName ? "\"valid\", \"same\", an integer or a list "
                               "of integers"
                             : "an integer or a list of integers";
  el.error(a.loc, llvm::formatv("{0} of '{1}' must be {2}; got {3}", r.param,
                                r.fn, kinds, v.describe()));
  return false;
}
} // namespace

bool nnc::checkBuiltinAttrs(Elaborator &el, const BuiltinDef &b,
                            const std::vector<CallArg> &slots) {
  for (const IntAttrRule &r : rules()) {
    if (llvm::StringRef(r.fn) != b.name)
      continue;
    size_t k = slotOf(b, r.param);
    if (k >= slots.size() || slots[k].value.isNone())
      continue; // absent: the built-in's default
    if (!checkRule(el, r, r.axisOf ? axisRank(b, r, slots) : 0, slots[k]))
      return false;
  }
  return true;
}

bool nnc::checkStdHParam(Elaborator &el, llvm::StringRef fn,
                         llvm::StringRef param, const CallArg &a) {
  for (const IntAttrRule &r : stdRules())
    if (fn == r.fn && param == r.param)
      return checkRule(el, r, 0, a);
  return true;
}

bool nnc::builtinAttrRulesValid(llvm::raw_ostream &os) {
  // (The std rows are checked by test/sema/attribute-ranges.test, which
  // calls each of them out of range.)
  bool ok = true;
  for (const IntAttrRule &r : rules()) {
    const BuiltinDef *b = lookupBuiltin(r.fn);
    if (!b || slotOf(*b, r.param) == b->params.size() ||
        (r.axisOf && slotOf(*b, r.axisOf) == b->params.size())) {
      os << "attribute rule for " << r.fn << "." << r.param
         << " names no built-in parameter\n";
      ok = false;
    }
  }
  return ok;
}
