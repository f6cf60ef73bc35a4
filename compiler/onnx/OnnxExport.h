//===- OnnxExport.h - `nnc export`: a trained model as ONNX -----*- C++ -*-===//
//
// Writes a model's inference graph (evaluation-mode batch norm and
// dropout) with the weights of a checkpoint as an ONNX file, so that a
// model trained with nnc can be served by ONNX Runtime, TensorRT and the
// other tools that read ONNX. No MLIR or protobuf header here.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_ONNX_ONNXEXPORT_H
#define NNC_ONNX_ONNXEXPORT_H

#include <string>

namespace llvm {
class SourceMgr;
}

namespace nnc {

class DiagnosticEngine;
struct Entry;

struct OnnxExportOptions {
  std::string checkpoint; ///< safetensors with every parameter and state
  std::string output;     ///< model.onnx
  int opset = 17;         ///< the default ONNX opset: 13 .. 17
  /// The instance whose weights the checkpoint holds below its name
  /// (`gen` for `gen.dense_1.w`); "" = found from the file.
  std::string instance;
};

/// The opsets `nnc export` writes.
constexpr int kOnnxMinOpset = 13, kOnnxMaxOpset = 17;

/// Exports `entry` (a model's forward function, evaluation mode); returns
/// the process exit code, every problem reported through `diags`.
int exportOnnx(const Entry &entry, const OnnxExportOptions &opts,
               const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_ONNX_ONNXEXPORT_H
