//===- Signature.h - A compiled model's arguments and results ---*- C++ -*-===//
//
// The calling contract of `<Model>_forward`, derived from sema's graph: the
// inputs, then the parameters, then the results, each with its name,
// element type and shape (symbolic sizes named). The JIT turns it into an
// in-memory nnc_model; `nnc build -o` writes it out as C tables.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_SIGNATURE_H
#define NNC_DRIVER_SIGNATURE_H

#include "nnc/runtime.h"
#include "sema/Graph.h"

#include <cstdio>
#include <string>
#include <vector>

namespace nnc {

struct ArgSignature {
  std::string name;
  nnc_arg_kind kind = NNC_ARG_INPUT;
  TensorType type;
  std::string init;   ///< parameters: "normal(std=0.02)"; "" = none
  std::string source; ///< data: "fashion_mnist:test:image"
};

/// The runtime's initializer spec of a parameter node.
inline std::string initSpec(const Node &n) {
  const Attr *init = n.attr("init");
  if (!init || init->kind != Attr::String)
    return "";
  std::string spec = init->s, args;
  for (const auto &a : n.attrs) {
    if (a.first == "init" || a.second.kind != Attr::Float)
      continue;
    char buf[64];
    snprintf(buf, sizeof buf, "%s=%.17g", a.first.c_str(), a.second.f);
    args += (args.empty() ? "" : ",") + std::string(buf);
  }
  return args.empty() ? spec : spec + "(" + args + ")";
}

struct ModelSignature {
  std::string model; ///< model name; the function is <model>_forward
  std::vector<ArgSignature> args, results;
};

/// With `gradients`, the results go on with `grad.<name>` per float input
/// (with `wrtInputs`), then per parameter: the reverse-mode pass's order.
inline ModelSignature signatureOf(const ModelGraph &g, const std::string &model,
                                  bool gradients = false,
                                  bool wrtInputs = false) {
  ModelSignature s;
  s.model = model;
  for (auto &n : g.inputs) {
    const Attr *src = n->attr("source");
    s.args.push_back({n->name, n->op == OpKind::Data ? NNC_ARG_DATA : NNC_ARG_INPUT, n->type, "",
                      src ? src->s : ""});
  }
  for (auto &n : g.params)
    s.args.push_back({n->name,
                      n->op == OpKind::Param ? NNC_ARG_PARAM : NNC_ARG_STATE,
                      n->type, initSpec(*n), ""});
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    auto special = g.outputKinds.find(k);
    nnc_arg_kind kind = NNC_ARG_OUTPUT;
    std::string options;
    if (special != g.outputKinds.end()) {
      kind = nnc_arg_kind(nnc_arg_kind_parse(special->second.first.c_str()));
      options = special->second.second;
    }
    s.results.push_back(
        {g.outputs[k].first, kind, g.outputs[k].second->type, "", options});
  }
  if (gradients && wrtInputs)
    for (auto &n : g.inputs)
      if (isFloat(n->type.dtype))
        s.results.push_back({"grad." + n->name, NNC_ARG_GRADIENT, n->type, "", ""});
  if (gradients)
    for (auto &n : g.params)
      if (n->op == OpKind::Param) // running statistics are state, not trained
        s.results.push_back({"grad." + n->name, NNC_ARG_GRADIENT, n->type, "", ""});
  return s;
}

/// The runtime's dtype code (nnc_dtype) of an element type.
inline int runtimeDType(DType t) {
  switch (t) {
  case DType::F32:
    return 0;
  case DType::F64:
    return 1;
  case DType::I32:
    return 2;
  case DType::I64:
    return 3;
  case DType::Bool:
    return 5;
  }
  return 0;
}

} // namespace nnc

#endif // NNC_DRIVER_SIGNATURE_H
