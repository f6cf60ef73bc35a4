//===- OnnxImport.h - `nnc import`: an ONNX model as .nn source -*- C++ -*-===//
//
// Reads an ONNX file (libonnx's protobuf classes) and writes an ordinary
// .nn model that computes the same function, with the file's initializers
// as the model's parameters in a safetensors file beside it: the model can
// then be checked, compiled, run and trained like any other.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_ONNX_ONNXIMPORT_H
#define NNC_ONNX_ONNXIMPORT_H

#include <string>

namespace nnc {

class DiagnosticEngine;

struct OnnxImportOptions {
  std::string input;   ///< model.onnx
  std::string output;  ///< model.nn ("" = the input's name with .nn)
  std::string weights; ///< "" = the output's name with .safetensors
  std::string model;   ///< the model's name ("" = from the output's name)
  bool quiet = false;  ///< no "wrote ..." line
};

/// Writes the .nn file and its weights; returns the process exit code,
/// every problem reported through `diags` (an op nnc cannot express names
/// the node, the op and the opset).
int importOnnx(OnnxImportOptions opts, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_ONNX_ONNXIMPORT_H
