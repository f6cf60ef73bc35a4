//===- OnnxFuzzer.cpp - libFuzzer target for `nnc import` -----------------===//
//
// Parses arbitrary bytes as an ONNX model (libonnx's protobuf classes) and
// runs the importer on it: constant folding, shape inference, every op's
// translation. A hostile file must give an error, never a crash, a
// sanitizer report or an allocation far beyond its size.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"

#include "llvm/Support/SourceMgr.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, int(size)))
    return 0;
  llvm::SourceMgr sm;
  nnc::DiagnosticEngine diags(sm);
  diags.setQuiet(true);
  std::string source;
  nnc_named_tensors weights{};
  nnc::onnx_import::Importer(model, diags).run("Fuzz", source, weights);
  nnc_named_free(&weights);
  return 0;
}
