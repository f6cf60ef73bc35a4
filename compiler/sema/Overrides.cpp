//===- Overrides.cpp - `--set NAME=VALUE` on compile-time values ----------===//
//
// A sweep or a quick experiment changes a model's width or an optimizer's
// learning rate without editing the file: `nnc run ae.nn --set code=16
// --set lr=3e-4`. An override replaces every model or optimizer
// hyper-parameter of that name, whether a call gives it or it is
// defaulted, and a top-level `let` of that name; layers' hyper-parameters
// (std's `dense(units)`) are arguments in the source and stay as written.
// The value is read as the kind its declaration asks for.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/ADT/StringExtras.h"

using namespace nnc;

namespace {
/// The value as written: true/false, an integer, a number, else a string.
Value parseOverride(llvm::StringRef text) {
  if (text == "true" || text == "false")
    return Value::ofBool(text == "true");
  int64_t i;
  if (!text.getAsInteger(10, i))
    return Value::ofInt(i);
  double f;
  if (!text.getAsDouble(f))
    return Value::ofFloat(f);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.drop_front().drop_back();
  return Value::ofString(text.str());
}
} // namespace

bool Elaborator::applyOverride(llvm::StringRef name, llvm::StringRef kind,
                               Value &v, const std::string &what) {
  overridable.insert(name.str());
  auto it = opts.overrides.find(name.str());
  if (it == opts.overrides.end())
    return true;
  usedOverrides.insert(it->first);
  std::string given = "--set " + it->first + "=" + it->second;
  // A float the train block schedules is a run-time input, not a constant.
  if (v.kind == Value::Tensor) {
    diags.error(given + ": " + what +
                " is scheduled by the train block; change its schedule");
    return false;
  }
  Value o = parseOverride(it->second);
  bool fits;
  if (!kind.empty()) {
    fits = coerceHParam(kind, o);
  } else { // a `let`: the kind of the value it had
    if (o.kind == Value::Int && v.kind == Value::Float)
      o = Value::ofFloat(double(o.i));
    fits = o.kind == v.kind;
  }
  if (!fits) {
    diags.error(given + ": " + what + " is " +
                (kind.empty() ? v.describe() : kind.str()) + ", not " +
                o.describe());
    return false;
  }
  v = o;
  return true;
}

bool Elaborator::checkOverridesUsed() {
  bool ok = true;
  for (const auto &[name, value] : opts.overrides)
    if (!usedOverrides.count(name)) {
      std::vector<llvm::StringRef> known(overridable.begin(),
                                         overridable.end());
      llvm::StringRef near = closestMatch(name, known);
      diags.error("--set " + name + "=" + value +
                  ": the file has no model or optimizer hyper-parameter and "
                  "no top-level 'let' named '" + name + "'" +
                  (near.empty() ? "" : "; did you mean '" + near.str() + "'?"));
      ok = false;
    }
  return ok;
}
