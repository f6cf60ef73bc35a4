//===- OnnxExporter.h - The nn-dialect-to-ONNX exporter (internal) -*- C++
//-*-===//
//
// Shared by OnnxExport.cpp (the walk over a forward function, parameters,
// layouts, the file) and OnnxNodes.cpp (one ONNX node or a few per nn op).
// Includes MLIR and protobuf headers: only compiler/onnx includes it.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_ONNX_ONNXEXPORTER_H
#define NNC_ONNX_ONNXEXPORTER_H

#include "dialect/NNDialect.h"
#include "driver/Signature.h"
#include "nnc/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace llvm {
class SourceMgr;
}

namespace nnc {
class DiagnosticEngine;

namespace onnx_export {
using namespace mlir; // (this namespace only: the exporter's own files)

/// The names a value has in the ONNX graph: as nnc lays it out, and (for
/// rank-4 images) transposed to NCHW; either may be missing until asked.
struct Names {
  std::string nhwc, nchw;
};

enum class Layout { NHWC, NCHW };

const int64_t kToNCHW[] = {0, 3, 1, 2}, kToNHWC[] = {0, 2, 3, 1};

/// ONNX's element type of an MLIR element type, or of a runtime tensor.
int onnxType(Type t);
int onnxType(const nnc_tensor &t);

class Exporter {
public:
  Exporter(onnx::GraphProto &g, const nnc_named_tensors &w, std::string prefix,
           int opset, const llvm::SourceMgr &sm, DiagnosticEngine &diags)
      : g(g), cur(&g), weights(w), prefix(std::move(prefix)), opset(opset),
        sm(sm), diags(diags) {}

  bool run(func::FuncOp f, const ModelSignature &sig);

private:
  onnx::GraphProto &g; ///< the model's graph: initializers go here
  onnx::GraphProto *cur; ///< where nodes go: g, or a loop's body
  const nnc_named_tensors &weights;
  std::string prefix; ///< of the weights' names in the checkpoint ("gen.")
  int opset;
  const llvm::SourceMgr &sm;
  DiagnosticEngine &diags;
  llvm::DenseMap<Value, Names> names;
  /// Integer scalars (sizes, loop counters) as int64 ONNX scalars.
  llvm::DenseMap<Value, std::string> ints;
  /// Block arguments that are parameters or state: their checkpoint names.
  llvm::DenseMap<Value, std::string> params;
  /// Initializers made from a parameter in a given form ("name|form").
  llvm::StringMap<std::string> derived;
  llvm::StringMap<bool> used;
  /// Convolutions without a bias yet: their result -> the node's index.
  llvm::DenseMap<Value, int> biasless;
  unsigned counter = 0;
  bool failed = false;

  std::string fresh(llvm::StringRef hint) {
    std::string n;
    do
      n = (hint + "_" + llvm::Twine(counter++)).str();
    while (used.count(n));
    used[n] = true;
    return n;
  }
  std::string unique(const std::string &name) {
    return used.insert({name, true}).second ? name : fresh(name);
  }

  onnx::NodeProto &node(llvm::StringRef op,
                        std::initializer_list<std::string> ins,
                        const std::string &out) {
    onnx::NodeProto &n = *cur->add_node();
    n.set_op_type(op.str());
    n.set_name(out);
    for (const std::string &i : ins)
      n.add_input(i);
    n.add_output(out);
    return n;
  }
  static void attr(onnx::NodeProto &n, const char *name, int64_t v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto &n, const char *name, float v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto &n, const char *name, const char *v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr(onnx::NodeProto &n, const char *name,
                   llvm::ArrayRef<int64_t> v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }

  /// An initializer holding `bytes` as `type` with `dims`.
  std::string initializer(llvm::StringRef hint, int type,
                          llvm::ArrayRef<int64_t> dims, const void *bytes,
                          size_t size) {
    std::string name = fresh(hint);
    onnx::TensorProto &t = *g.add_initializer();
    t.set_name(name);
    t.set_data_type(type);
    for (int64_t d : dims)
      t.add_dims(d);
    t.set_raw_data(bytes, size);
    return name;
  }
  std::string constI64(llvm::StringRef hint, llvm::ArrayRef<int64_t> v) {
    return initializer(hint, onnx::TensorProto::INT64, {int64_t(v.size())},
                       v.data(), v.size() * 8);
  }
  /// A scalar of `like`'s element type.
  std::string scalar(double v, Type like) {
    Type et = cast<ShapedType>(like).getElementType();
    if (et.isF64())
      return initializer("c", onnx::TensorProto::DOUBLE, {}, &v, 8);
    float f = float(v);
    return initializer("c", onnx::TensorProto::FLOAT, {}, &f, 4);
  }

  std::string paramForm(Value v, llvm::StringRef form);
  std::string get(Value v, Layout l = Layout::NHWC);
  void set(Value v, const std::string &name, Layout l = Layout::NHWC) {
    (l == Layout::NHWC ? names[v].nhwc : names[v].nchw) = name;
  }
  bool hasNCHW(Value v) const {
    auto it = names.find(v);
    return it != names.end() && !it->second.nchw.empty();
  }
  /// Reports `why` at the .nn line `op` comes from (once); false.
  bool fail(Operation *op, const llvm::Twine &why);

  bool emit(Operation *op);
  bool emitElementwise(Operation *op);
  bool emitShapeOp(Operation *op);
  bool emitConv(nn::Conv2DOp op);
  bool emitConvTranspose(nn::ConvTranspose2DOp op);
  bool emitPool(nn::Pool2DOp op);
  bool emitReduce(nn::ReduceOp op);
  bool emitSlice(nn::SliceOp op);
  bool emitNorm(Operation *op);
  bool emitConstant(nn::ConstantOp op);
  bool emitFill(nn::FillOp op);
  /// ConstantOfShape: `v` as `et` in the shape named `shape`.
  std::string filled(const std::string &shape, double v, Type et);
  // OnnxLoops.cpp: sizes, loops and random numbers.
  std::string intScalar(Value v);
  std::string shapeOf(RankedTensorType t, ValueRange dynamicSizes);
  bool emitFor(Operation *op);
  bool emitBody(Operation *loop, onnx::GraphProto &body);
  bool emitRandom(Operation *op);
  bool emitFromElements(Operation *op);
  bool emitGenerate(Operation *op);
};

} // namespace onnx_export
} // namespace nnc

#endif // NNC_ONNX_ONNXEXPORTER_H
