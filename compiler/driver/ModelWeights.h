//===- ModelWeights.h - A checkpoint checked against a model ----*- C++ -*-===//
//
// `nnc build --lib --weights` and `nnc export --checkpoint` both take a
// safetensors file of trained weights; both refuse one that lacks a
// parameter or state of the model, or holds it with another dtype or shape,
// before anything is written.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_MODELWEIGHTS_H
#define NNC_DRIVER_MODELWEIGHTS_H

#include "driver/Signature.h"
#include "nnc/runtime.h"

#include <string>

namespace nnc {

class DiagnosticEngine;

/// Reads `file` into `out` and checks that it holds every parameter and
/// state of `sig` with its dtype and shape; false (reported, `out` freed)
/// otherwise. The caller frees `out` with nnc_named_free.
/// With `prefix`, the tensors may also be found below one instance name,
/// as a custom `step` with several models writes them (`gen.dense_1.w`):
/// a given `*prefix` ("gen.") is used, an empty one receives the prefix
/// found (several fitting instances are an error).
bool loadModelWeights(const std::string &file, const ModelSignature &sig,
                      nnc_named_tensors &out, DiagnosticEngine &diags,
                      std::string *prefix = nullptr);

/// The one instance name ("gen.") below which `w` holds every parameter
/// and state of `sig`; "" when they are at the top level, or when no one
/// instance (or several) fits.
std::string instancePrefix(const nnc_named_tensors &w,
                           const ModelSignature &sig);

} // namespace nnc

#endif // NNC_DRIVER_MODELWEIGHTS_H
