//===- OnnxImporter.h - The ONNX-to-.nn importer (internal) -----*- C++ -*-===//
//
// Shared by OnnxImport.cpp (the graph walk, op by op) and OnnxImportFlow.cpp
// (sizes computed in the graph, random numbers, Loop and Scan). Includes
// libonnx's protobuf headers: only compiler/onnx includes it.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_ONNX_ONNXIMPORTER_H
#define NNC_ONNX_ONNXIMPORTER_H

#include "nnc/runtime.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

#include <onnx/onnx_pb.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace nnc {
namespace onnx_import {

/// A value's element type and dims (-1: unknown; a symbol's name in sym).
struct Shape {
  int elem = 0;
  std::vector<int64_t> dims;
  std::vector<std::string> sym;
  bool known = false;
};

/// A float32 (or int64) initializer or Constant, decoded.
struct Const {
  int type = 0;
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int64_t> i;
  std::vector<double> d; ///< (a double scalar: a literal in the source)
};


/// Input `k` of `n`, or "" when the node has fewer (a malformed file).
inline const std::string &inp(const onnx::NodeProto &n, int k) {
  static const std::string none;
  return k >= 0 && k < n.input_size() ? n.input(k) : none;
}

/// An ONNX filter as nnc's [KH, KW, C, F]: Conv's is [F, C, KH, KW]
/// (`outFirst`), ConvTranspose's [C, F, KH, KW].
Const toKKCF(const Const &w, bool outFirst);

/// A convolution's or pooling's window in its 2-D form.
struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t top = 0, bottom = 0, left = 0, right = 0;
};

/// libonnx's shape inference on `m` (value_info replaced), run first in a
/// forked child so that a malformed node that crashes libonnx is an
/// `error`, not a crash of nnc (OnnxInferShapes.cpp).
bool inferShapes(onnx::ModelProto &m, bool dataProp, std::string &error);

class Importer {
public:
  Importer(onnx::ModelProto &m, DiagnosticEngine &diags)
      : m(m), g(*m.mutable_graph()), diags(diags) {
    // Keywords and the built-ins the source calls are never value names.
    for (const char *w :
         {"use",        "model",   "layer",       "fn",         "optimizer",
          "input",      "output",  "param",       "state",      "let",
          "train",      "main",    "on",          "in",         "for",
          "scan",       "repeat",  "if",          "else",       "true",
          "false",      "relu",    "sigmoid",     "tanh",       "exp",
          "log",        "sqrt",    "abs",         "floor",      "sign",
          "sin",        "cos",     "softplus",    "leaky_relu", "elu",
          "pow",        "maximum", "minimum",     "transpose",  "conv",
          "maxpool",    "avgpool", "mean",        "sum",        "max",
          "min",        "softmax", "log_softmax", "reshape",    "concat",
          "batch_norm", "clip",    "f32",         "i64",        "zeros"})
      taken.insert(w);
  }
  bool run(const std::string &modelName, std::string &source,
           nnc_named_tensors &weights);

private:
  onnx::ModelProto &m;
  onnx::GraphProto &g;
  DiagnosticEngine &diags;
  int64_t opset = 1;
  std::map<std::string, Shape> shapes;
  std::map<std::string, Const> consts;
  std::map<std::string, std::string> expr;    ///< ONNX value -> .nn expression
  std::map<std::string, std::string> paramOf; ///< initializer -> param name
  llvm::StringSet<> taken;
  /// The symbolic sizes of the graph's inputs (shape inference names the
  /// sizes it cannot tell `unk__N`: those are unknown to the source).
  llvm::StringSet<> inputSymbols;
  std::string decls, body;
  std::vector<std::pair<std::string, Const>> params; ///< in declaration order
  std::map<std::string, bool> isState;
  bool failed = false;
  /// Where the next statement goes (deeper inside a loop's body).
  std::string indent = "  ";
  /// int64 values computed from shapes (Shape, Gather of a shape, ...) as
  /// the nnc sizes they hold ("B", "4"; "?" unknown): only what makes a
  /// tensor of a shape reads them.
  std::map<std::string, std::vector<std::string>> sizeOf;
  /// Every value's readers, in every graph (a loop's body reads outer
  /// values by name).
  std::map<std::string, std::vector<const onnx::NodeProto *>> readers;
  llvm::StringSet<> graphOutputs;
  /// Nodes already written as part of another (a Gumbel draw's logs).
  std::vector<const onnx::NodeProto *> done;

  bool fail(const onnx::NodeProto &n, const std::string &why) {
    if (!failed)
      diags.error("node '" + n.name() + "' (" + n.op_type() + ", opset " +
                  std::to_string(opset) + "): " + why);
    failed = true;
    return false;
  }
  std::string ident(const std::string &raw, const char *prefix);
  bool decode(const onnx::TensorProto &t, Const &c);
  std::string value(const onnx::NodeProto &n, int k);
  std::string param(const std::string &name, Const c, bool state = false);
  bool node(const onnx::NodeProto &n);
  // OnnxImportConv.cpp
  bool convLike(const onnx::NodeProto &n, std::string &out);
  std::string dimText(const std::string &v, size_t k);
  bool windowOf(const onnx::NodeProto &n, std::vector<int64_t> kernel,
                Window &w);
  bool imageNHWC(const onnx::NodeProto &n, bool oneD, std::string &x);
  bool imageBack(const onnx::NodeProto &n, bool oneD, const std::string &y,
                 std::string &out);
  bool padPooled(const onnx::NodeProto &n, bool oneD, Window &w,
                 std::string &x);
  bool filterKKCF(const onnx::NodeProto &n, bool outFirst, std::string &w);
  std::vector<int64_t> filterDims(const onnx::NodeProto &n);
  bool moreOps(const onnx::NodeProto &n, std::string &e);
  bool convTranspose(const onnx::NodeProto &n, std::string &e);
  // OnnxImportShapes.cpp
  /// Size `axis` of `v` (-1: unknown).
  int64_t dimOf(const std::string &v, int64_t axis);
  /// `x[:, from:to]` with the range on `axis` of `rank`.
  std::string sliceExpr(const std::string &x, int rank, int64_t axis,
                        int64_t from, int64_t to, int64_t step = 1);
  /// A `let` of `e` for a step of node `n`; its name.
  std::string let(const onnx::NodeProto &n, const std::string &e);
  bool shapeOps(const onnx::NodeProto &n, std::string &e);
  struct SliceBounds {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  bool sliceBounds(const onnx::NodeProto &n, SliceBounds &b);
  bool slice(const onnx::NodeProto &n, std::string &e);
  bool split(const onnx::NodeProto &n);
  bool pad(const onnx::NodeProto &n, std::string &e);
  bool tile(const onnx::NodeProto &n, std::string &e);
  bool expand(const onnx::NodeProto &n, std::string &e);
  bool instanceNorm(const onnx::NodeProto &n, std::string &e);
  bool mathOps(const onnx::NodeProto &n, std::string &e);
  // OnnxImportFold.cpp: int64 computations on constants, done at import
  /// 1 folded, 0 failed, -1 not a constant computation.
  int fold(const onnx::NodeProto &n);
  /// Before shape inference: the graph's foldable nodes become
  /// initializers, so that what reads them (Pad's pads) has known sizes.
  bool foldConstants();
  bool foldShape(const onnx::NodeProto &n,
                 const std::map<std::string, const onnx::NodeProto *> &producer);
  bool foldOp(const onnx::NodeProto &n, Const &out);
  const Const *intConst(const onnx::NodeProto &n, int k);
  // OnnxImportFlow.cpp
  void record(const onnx::ValueInfoProto &vi);
  /// The types of a graph's values, inputs and outputs.
  void recordGraph(const onnx::GraphProto &graph);
  void findReaders(const onnx::GraphProto &graph);
  /// Sizes, random numbers, Loop and Scan: 1 written, 0 failed, -1 not one
  /// of these.
  int flow(const onnx::NodeProto &n);
  bool sizes(const onnx::NodeProto &n);
  bool constantOfShape(const onnx::NodeProto &n);
  bool random(const onnx::NodeProto &n);
  bool loop(const onnx::NodeProto &n);
  bool scan(const onnx::NodeProto &n);
  /// `given`: the shapes of the body's inputs as the loop hands them in.
  bool graphBody(const onnx::NodeProto &n, const onnx::GraphProto &b,
                 const std::vector<Shape> &given);
  /// `let`s for carried values the body hands on unchanged (a swap), then
  /// one assignment per carried value.
  void assignCarried(const std::vector<std::string> &vars,
                     const std::vector<std::string> &values);
  /// An int64 constant input (shape, axes, starts), or fails.
  bool intInput(const onnx::NodeProto &n, int k, std::vector<int64_t> &out) {
    auto it = k < n.input_size() ? consts.find(inp(n, k)) : consts.end();
    if (it == consts.end() || it->second.type != onnx::TensorProto::INT64)
      return fail(n, "input " + std::to_string(k) +
                         " that is not an int64 constant is not supported");
    out = it->second.i;
    return true;
  }
  int rank(const std::string &v) {
    auto it = shapes.find(v);
    return it != shapes.end() && it->second.known ? int(it->second.dims.size())
                                                  : -1;
  }
  std::string typeOf(const Shape &s);
  /// A symbolic size's name: the same for every use of the ONNX name.
  std::string symbol(const std::string &raw) {
    std::string s;
    for (char c : raw)
      s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
      s = "N" + s;
    taken.insert(s);
    return s;
  }
};

inline const onnx::AttributeProto *attr(const onnx::NodeProto &n, const char *name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}
inline int64_t intAttr(const onnx::NodeProto &n, const char *name, int64_t dflt) {
  const auto *a = attr(n, name);
  return a ? a->i() : dflt;
}
inline float floatAttr(const onnx::NodeProto &n, const char *name, float dflt) {
  const auto *a = attr(n, name);
  return a ? a->f() : dflt;
}
inline std::vector<int64_t> intsAttr(const onnx::NodeProto &n, const char *name) {
  const auto *a = attr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end())
           : std::vector<int64_t>{};
}

inline std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}
inline std::string list(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t k = 0; k < v.size(); ++k)
    s += (k ? ", " : "") + std::to_string(v[k]);
  return s + "]";
}

} // namespace onnx_import
} // namespace nnc

#endif // NNC_ONNX_ONNXIMPORTER_H
