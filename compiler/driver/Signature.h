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

#include "sema/Graph.h"

#include <string>
#include <vector>

namespace nnc {

struct ArgSignature {
  std::string name, kind;
  TensorType type;
};

struct ModelSignature {
  std::string model; ///< model name; the function is <model>_forward
  std::vector<ArgSignature> args, results;
};

inline ModelSignature signatureOf(const ModelGraph &g, const std::string &model) {
  ModelSignature s;
  s.model = model;
  for (auto &n : g.inputs)
    s.args.push_back({n->name, "input", n->type});
  for (auto &n : g.params)
    s.args.push_back({n->name, n->op, n->type});
  for (auto &o : g.outputs)
    s.results.push_back({o.first, "output", o.second->type});
  return s;
}

/// The runtime's dtype code (nnc_dtype) of an element type.
inline int runtimeDType(DType t) {
  switch (t) {
  case DType::F32: return 0;
  case DType::F64: return 1;
  case DType::I32: return 2;
  case DType::I64: return 3;
  case DType::Bool: return 5;
  }
  return 0;
}

} // namespace nnc

#endif // NNC_DRIVER_SIGNATURE_H
