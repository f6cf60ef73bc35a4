//===- ModelWeights.cpp - A checkpoint checked against a model ------------===//
//
// One check for every command that takes trained weights (see the header):
// each parameter and state of the model present, with its dtype and shape,
// and every mismatch named in one error.
//
//===----------------------------------------------------------------------===//
#include "driver/ModelWeights.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringRef.h"

#include <vector>

using namespace nnc;

namespace {
/// What does not fit in `w` for the parameters and state of `sig` under
/// `prefix`, as a list for an error ("" when everything fits).
std::string misfits(const nnc_named_tensors &w, const ModelSignature &sig,
                    const std::string &prefix) {
  std::string problems;
  for (const ArgSignature &a : sig.args) {
    if (a.kind != NNC_ARG_PARAM && a.kind != NNC_ARG_STATE)
      continue;
    std::string name = prefix + a.name;
    int64_t k = nnc_named_find(&w, name.c_str());
    bool fits = k >= 0 &&
                int(w.tensors[k].dtype) == runtimeDType(a.type.dtype) &&
                unsigned(w.tensors[k].rank) == a.type.rank();
    for (unsigned d = 0; fits && d < a.type.rank(); ++d)
      fits = w.tensors[k].dims[d] == a.type.dims[d].value;
    if (fits)
      continue;
    problems += (problems.empty() ? "'" : ", '") + name;
    if (k < 0) {
      problems += "' is missing";
      continue;
    }
    static const char *const dtypes[] = {"f32", "f64", "i32",
                                         "i64", "u8",  "bool"};
    const nnc_tensor &t = w.tensors[k];
    problems += std::string("' is ") +
                (unsigned(t.dtype) < 6 ? dtypes[t.dtype] : "?") + "[";
    for (int32_t d = 0; d < t.rank; ++d)
      problems += (d ? ", " : "") + std::to_string(t.dims[d]);
    problems += "], the model has " + a.type.str();
  }
  return problems;
}

/// The first parameter or state of `sig` ("" if none).
std::string firstWeight(const ModelSignature &sig) {
  for (const ArgSignature &a : sig.args)
    if (a.kind == NNC_ARG_PARAM || a.kind == NNC_ARG_STATE)
      return a.name;
  return "";
}

/// Every instance name ("gen.") below which `w` holds all of `sig`'s
/// parameters and state.
std::vector<std::string> fittingPrefixes(const nnc_named_tensors &w,
                                         const ModelSignature &sig) {
  std::vector<std::string> fitting;
  std::string first = firstWeight(sig);
  for (int64_t i = 0; !first.empty() && i < w.count; ++i) {
    llvm::StringRef name(w.names[i]);
    if (!name.ends_with("." + first))
      continue;
    std::string p = name.drop_back(first.size()).str();
    if (misfits(w, sig, p).empty())
      fitting.push_back(p);
  }
  return fitting;
}
} // namespace

std::string nnc::instancePrefix(const nnc_named_tensors &w,
                                const ModelSignature &sig) {
  if (misfits(w, sig, "").empty())
    return "";
  std::vector<std::string> fitting = fittingPrefixes(w, sig);
  return fitting.size() == 1 ? fitting[0] : "";
}

bool nnc::loadModelWeights(const std::string &file, const ModelSignature &sig,
                           nnc_named_tensors &w, DiagnosticEngine &diags,
                           std::string *prefix) {
  w = nnc_named_tensors{};
  if (nnc_safetensors_load(file.c_str(), &w)) {
    diags.error(nnc_last_error());
    return false;
  }
  std::string given = prefix ? *prefix : "";
  std::string problems = misfits(w, sig, given);
  if (problems.empty())
    return true;
  // The checkpoint of a custom `step` with several models holds each
  // instance's tensors below its name (`gen.dense_1.w`).
  std::vector<std::string> fitting;
  if (prefix && given.empty())
    fitting = fittingPrefixes(w, sig);
  if (fitting.size() == 1) {
    *prefix = fitting[0];
    return true;
  }
  nnc_named_free(&w);
  if (fitting.size() > 1) {
    std::string list;
    for (const std::string &p : fitting)
      list += (list.empty() ? "'" : ", '") + p.substr(0, p.size() - 1) + "'";
    diags.error("'" + file + "' holds model '" + sig.model +
                "' for several instances (" + list +
                "): choose one with --instance NAME");
    return false;
  }
  diags.error("'" + file + "' does not fit model '" + sig.model +
              "': " + problems);
  return false;
}
