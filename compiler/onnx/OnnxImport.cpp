//===- OnnxImport.cpp - `nnc import`: an ONNX model as .nn source ---------===//
//
// The ONNX graph is read with libonnx's protobuf classes, its shapes are
// completed by ONNX's shape inference, and each node becomes one `let` of
// a .nn model in the graph's order. Initializers become parameters (batch
// norm's running statistics become `state`) and go to a safetensors file
// under the same names; small integer constants (shapes, axes) are folded
// into the source. ONNX images are NCHW and nnc's convolutions NHWC: a
// convolution or pooling is written between two transposes and its filter
// is stored as [KH, KW, C, F], so every other value keeps ONNX's layout and
// the source reads like the graph.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImport.h"
#include "onnx/OnnxImporter.h"
#include "nnc/runtime.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>
#include <onnx/checker.h>

#include <cstring>
#include <fstream>
#include <map>
#include <vector>

using namespace nnc;

using namespace nnc::onnx_import;

namespace {
/// "lenet_5" -> "Lenet5".
std::string modelNameFrom(llvm::StringRef stem) {
  std::string name;
  bool up = true;
  for (char c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      up = true;
      continue;
    }
    name += up ? char(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    name = "Model" + name;
  return name;
}

} // namespace

namespace nnc {
namespace onnx_import {

/// An ONNX filter as nnc's [KH, KW, C, F]: Conv's is [F, C, KH, KW]
/// (`outFirst`), ConvTranspose's [C, F, KH, KW].
Const toKKCF(const Const &w, bool outFirst) {
  int64_t a = w.dims[0], b = w.dims[1], kh = w.dims[2], kw = w.dims[3];
  int64_t c = outFirst ? b : a, f = outFirst ? a : b;
  Const out;
  out.type = w.type;
  out.dims = {kh, kw, c, f};
  out.f.resize(w.f.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          int64_t ci = outFirst ? j : i, fo = outFirst ? i : j;
          out.f[((y * kw + x) * c + ci) * f + fo] =
              w.f[((i * b + j) * kh + y) * kw + x];
        }
  return out;
}

/// A .nn identifier for an ONNX name: letters, digits and `_`, not a
/// keyword, a built-in or a name already given.
std::string Importer::ident(const std::string &raw, const char *prefix) {
  std::string s = prefix;
  for (char c : raw)
    s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  std::string out = s;
  for (int k = 2; !taken.insert(out).second; ++k)
    out = s + "_" + std::to_string(k);
  return out;
}

bool Importer::decode(const onnx::TensorProto &t, Const &c) {
  c.type = t.data_type();
  c.dims.assign(t.dims().begin(), t.dims().end());
  // A hostile file's sizes: negative, or a count past what the file holds.
  int64_t n = 1;
  for (int64_t d : c.dims)
    if (d < 0 || llvm::MulOverflow(n, d, n) || n > (int64_t(1) << 40))
      return false;
  const std::string &raw = t.raw_data();
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 4)
        return false;
      c.f.resize(n);
      std::memcpy(c.f.data(), raw.data(), raw.size());
    } else {
      c.f.assign(t.float_data().begin(), t.float_data().end());
    }
    return int64_t(c.f.size()) == n;
  case onnx::TensorProto::INT64:
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 8)
        return false;
      c.i.resize(n);
      std::memcpy(c.i.data(), raw.data(), raw.size());
    } else {
      c.i.assign(t.int64_data().begin(), t.int64_data().end());
    }
    return int64_t(c.i.size()) == n;
  case onnx::TensorProto::DOUBLE: // (scalars only: literals)
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 8)
        return false;
      c.d.resize(n);
      std::memcpy(c.d.data(), raw.data(), raw.size());
    } else {
      c.d.assign(t.double_data().begin(), t.double_data().end());
    }
    return int64_t(c.d.size()) == n && n == 1;
  case onnx::TensorProto::BOOL: // (a Loop's condition)
    if (!raw.empty()) {
      if (raw.size() != size_t(n))
        return false;
      c.i.assign(raw.begin(), raw.end());
    } else {
      c.i.assign(t.int32_data().begin(), t.int32_data().end());
    }
    return int64_t(c.i.size()) == n;
  default:
    return false;
  }
}

std::string Importer::typeOf(const Shape &s) {
  std::string t = s.elem == onnx::TensorProto::INT64    ? "i64["
                  : s.elem == onnx::TensorProto::DOUBLE ? "f64["
                                                        : "f32[";
  for (size_t k = 0; k < s.dims.size(); ++k)
    t += (k ? ", " : "") +
         (s.dims[k] >= 0 ? std::to_string(s.dims[k]) : s.sym[k]);
  return t + "]";
}

/// A parameter (or state) holding `c`, declared once per name.
std::string Importer::param(const std::string &name, Const c, bool state) {
  std::string id = ident(name, "");
  if (!id.empty() && std::isdigit(static_cast<unsigned char>(id[0])))
    id = ident(name, "p");
  std::string t = "f32[";
  for (size_t k = 0; k < c.dims.size(); ++k)
    t += (k ? ", " : "") + std::to_string(c.dims[k]);
  decls += std::string("  ") + (state ? "state " : "param ") + id + ": " + t +
           "] = zeros()\n";
  params.push_back({id, std::move(c)});
  return id;
}

/// The expression of input `k` of `n`: a value computed before, a graph
/// input, or an initializer (declared as a parameter on first use).
std::string Importer::value(const onnx::NodeProto &n, int k) {
  if (k >= n.input_size() || n.input(k).empty()) {
    fail(n, "input " + std::to_string(k) + " is missing");
    return "0.0";
  }
  const std::string &v = inp(n, k);
  if (auto it = expr.find(v); it != expr.end())
    return it->second;
  if (auto it = consts.find(v); it != consts.end()) {
    const Const &c = it->second;
    if (c.type == onnx::TensorProto::FLOAT && c.dims.empty())
      return num(c.f[0]);
    // 0, 1, ..., n-1 (a Range): arange(n).
    bool counting = c.type == onnx::TensorProto::INT64 && c.dims.size() == 1 &&
                    !c.i.empty();
    for (size_t k = 0; counting && k < c.i.size(); ++k)
      counting = c.i[k] == int64_t(k);
    if (counting)
      return "arange(" + std::to_string(c.i.size()) + ")";
    if (c.type == onnx::TensorProto::DOUBLE && c.d.size() == 1) {
      char buf[64]; // every digit of a double
      std::snprintf(buf, sizeof buf, "%.17g", c.d[0]);
      std::string s = buf;
      return s.find_first_of(".eEn") == std::string::npos ? s + ".0" : s;
    }
    if (c.type == onnx::TensorProto::FLOAT) {
      bool state = false;
      if (n.op_type() == "BatchNormalization" && k >= 3)
        state = true;
      std::string p = param(v, c, state);
      expr[v] = p;
      return p;
    }
  }
  fail(n, "input '" + v +
              "' is not supported: only float tensors are "
              "(and integer constants where a shape or axes are expected)");
  return "0.0";
}

bool Importer::node(const onnx::NodeProto &n) {
  const std::string &op = n.op_type();
  if (int r = flow(n); r >= 0)
    return r == 1;
  if (n.output_size() < 1 || n.output(0).empty())
    return fail(n, "a node without an output is not supported");
  for (const std::string &v : n.output())
    if (auto it = shapes.find(v);
        it != shapes.end() && llvm::is_contained(it->second.dims, 0))
      return fail(n, "empty tensors (a dimension of size 0) are not "
                     "supported");
  static const llvm::StringMap<const char *> unary = {
      {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"},
      {"Exp", "exp"},   {"Log", "log"},         {"Sqrt", "sqrt"},
      {"Abs", "abs"},   {"Floor", "floor"},     {"Sign", "sign"},
      {"Sin", "sin"},   {"Cos", "cos"},         {"Softplus", "softplus"},
      {"Erf", "erf"},
  };
  static const llvm::StringMap<const char *> binary = {
      {"Add", "+"},          {"Sub", "-"},
      {"Mul", "*"},          {"Div", "/"},
      {"MatMul", "@"},       {"Greater", ">"},
      {"Less", "<"},         {"GreaterOrEqual", ">="},
      {"LessOrEqual", "<="}, {"Equal", "=="},
      {"And", "&&"},         {"Or", "||"}};
  std::string e;
  if (op == "Constant") {
    const auto *a = attr(n, "value");
    Const c;
    if (!a || !decode(a->t(), c))
      return fail(
          n, "constants other than float and int64 tensors are not supported");
    consts[n.output(0)] = c;
    return true;
  }
  if (auto it = unary.find(op); it != unary.end()) {
    e = std::string(it->second) + "(" + value(n, 0) + ")";
  } else if (auto it = binary.find(op); it != binary.end()) {
    // Before opset 7, `broadcast` with an `axis` aligned B's first axis
    // there; NumPy's rule (nnc's) aligns the last axes.
    if (opset < 7 && intAttr(n, "broadcast", 0) && attr(n, "axis") &&
        intAttr(n, "axis", 0) != rank(inp(n, 0)) - rank(inp(n, 1)))
      return fail(n, "broadcasting along axis " +
                         std::to_string(intAttr(n, "axis", 0)) +
                         " (opset 6's axis attribute) is not supported");
    e = "(" + value(n, 0) + " " + it->second + " " + value(n, 1) + ")";
  } else if (op == "Neg") {
    e = "(-" + value(n, 0) + ")";
  } else if (op == "Identity" || op == "Dropout") {
    if (n.output_size() > 1 && !n.output(1).empty())
      return fail(n, "the mask output of Dropout is not supported");
    e = value(n, 0);
  } else if (op == "LeakyRelu") {
    e = "leaky_relu(" + value(n, 0) + ", " + num(floatAttr(n, "alpha", 0.01f)) +
        ")";
  } else if (op == "Elu" && floatAttr(n, "alpha", 1.0f) == 1.0f) {
    e = "elu(" + value(n, 0) + ")";
  } else if (op == "Elu" || op == "Selu") {
    // alpha (e^x - 1) below 0; Selu scales both sides by gamma.
    bool selu = op == "Selu";
    std::string x = value(n, 0);
    std::string a = num(floatAttr(n, "alpha", selu ? 1.67326319f : 1.0f));
    e = "where(" + x + " > 0.0, " + x + ", " + a + " * (exp(" + x + ") - 1.0))";
    if (selu)
      e = "(" + num(floatAttr(n, "gamma", 1.05070102f)) + " * " + e + ")";
  } else if (op == "PRelu") {
    std::string x = value(n, 0), slope = value(n, 1);
    // Before opset 7 a slope of one value per channel applies to axis 1.
    auto st = consts.find(inp(n, 1));
    int r = rank(inp(n, 0));
    if (opset < 7 && st != consts.end() && st->second.dims.size() == 1 &&
        r > 2) {
      std::vector<int64_t> dims(size_t(r - 1), 1);
      dims[0] = st->second.dims[0];
      slope = "reshape(" + slope + ", " + list(dims) + ")";
    }
    e = "where(" + x + " > 0.0, " + x + ", " + slope + " * " + x + ")";
  } else if (op == "Pow" && shapes[inp(n, 0)].elem != shapes[inp(n, 1)].elem &&
             !consts.count(inp(n, 1))) {
    return fail(n, "a base and an exponent of different types are not "
                   "supported");
  } else if (op == "Pow") {
    e = "pow(" + value(n, 0) + ", " + value(n, 1) + ")";
  } else if (op == "Max" || op == "Min" || op == "Sum") {
    e = value(n, 0);
    for (int k = 1; k < n.input_size(); ++k)
      e = op == "Sum" ? "(" + e + " + " + value(n, k) + ")"
                      : std::string(op == "Max" ? "maximum(" : "minimum(") + e +
                            ", " + value(n, k) + ")";
  } else if (op == "Gemm") {
    std::string a = value(n, 0), b = value(n, 1);
    if (intAttr(n, "transA", 0))
      a = "transpose(" + a + ", [1, 0])";
    if (intAttr(n, "transB", 0))
      b = "transpose(" + b + ", [1, 0])";
    e = "(" + a + " @ " + b + ")";
    if (float alpha = floatAttr(n, "alpha", 1.0f); alpha != 1.0f)
      e = "(" + num(alpha) + " * " + e + ")";
    if (n.input_size() > 2 && !inp(n, 2).empty()) {
      std::string c = value(n, 2);
      if (float beta = floatAttr(n, "beta", 1.0f); beta != 1.0f)
        c = "(" + num(beta) + " * " + c + ")";
      e = "(" + e + " + " + c + ")";
    }
  } else if (op == "Conv" || op == "MaxPool" || op == "AveragePool") {
    if (n.output_size() > 1 && !n.output(1).empty())
      return fail(n, "the indices output of MaxPool is not supported");
    if (!convLike(n, e))
      return false;
  } else if (op == "GlobalAveragePool") {
    e = "mean(" + value(n, 0) + ", axis: [2, 3], keepdims: true)";
  } else if (op == "Softmax" || op == "LogSoftmax") {
    int r = rank(inp(n, 0));
    int64_t axis = intAttr(n, "axis", opset < 13 ? 1 : -1);
    if (axis < 0)
      axis += r;
    if (opset < 13 && axis != r - 1)
      return fail(n, "softmax before opset 13 over axes " +
                         std::to_string(axis) + ".. is not supported");
    e = std::string(op == "Softmax" ? "softmax(" : "log_softmax(") +
        value(n, 0) + ", axis: " + std::to_string(axis) + ")";
  } else if (op == "Transpose") {
    std::vector<int64_t> perm = intsAttr(n, "perm");
    if (perm.empty())
      for (int k = rank(inp(n, 0)) - 1; k >= 0; --k)
        perm.push_back(k);
    e = "transpose(" + value(n, 0) + ", " + list(perm) + ")";
  } else if (op == "Reshape" && !consts.count(inp(n, 1)) &&
             !sizeOf.count(inp(n, 1))) {
    return fail(n, "a shape that is data (not a constant or computed from "
                   "shapes) is not supported");
  } else if (op == "Flatten" || op == "Reshape" || op == "Squeeze" ||
             op == "Unsqueeze") {
    // To the shape inference found, with the input's symbols.
    auto it = shapes.find(n.output(0));
    if (it == shapes.end() || !it->second.known)
      return fail(n, "a result whose shape ONNX's shape inference cannot tell "
                     "is not supported");
    const Shape &s = it->second;
    std::string dims;
    int unknown = 0;
    for (size_t k = 0; k < s.dims.size(); ++k) {
      std::string d = s.dims[k] >= 0 ? std::to_string(s.dims[k]) : s.sym[k];
      if (!d.empty() && s.dims[k] < 0 && !inputSymbols.count(d))
        d.clear();
      if (d.empty()) {
        d = "-1";
        ++unknown;
      }
      dims += (k ? ", " : "") + d;
    }
    if (unknown > 1)
      return fail(
          n, "a result with more than one unknown dimension is not supported");
    e = "reshape(" + value(n, 0) + ", [" + dims + "])";
  } else if (op == "Concat") {
    e = "concat([";
    for (int k = 0; k < n.input_size(); ++k)
      e += (k ? ", " : "") + value(n, k);
    int64_t axis = intAttr(n, "axis", 0);
    if (axis < 0)
      axis += rank(inp(n, 0));
    e += "], axis: " + std::to_string(axis) + ")";
  } else if (op == "BatchNormalization") {
    if (n.output_size() > 1)
      return fail(n, "training-mode batch normalization is not supported");
    int r = rank(inp(n, 0));
    std::string args = ", " + value(n, 1) + ", " + value(n, 2) + ", " +
                       value(n, 3) + ", " + value(n, 4) +
                       ", eps: " + num(floatAttr(n, "epsilon", 1e-5f)) + ")";
    if (r == 2) {
      e = "batch_norm(" + value(n, 0) + args;
    } else if (r >= 3) { // channels last, and back
      std::vector<int64_t> last{0}, first{0, r - 1};
      for (int64_t k = 2; k < r; ++k)
        last.push_back(k);
      last.push_back(1);
      for (int64_t k = 1; k < r - 1; ++k)
        first.push_back(k);
      e = "transpose(batch_norm(transpose(" + value(n, 0) + ", " + list(last) +
          ")" + args + ", " + list(first) + ")";
    } else {
      return fail(n, "batch normalization of rank " + std::to_string(r) +
                         " is not supported");
    }
  } else if (op == "Clip") {
    std::string lo, hi;
    if (opset < 11) {
      lo = num(floatAttr(n, "min", -3.4e38f));
      hi = num(floatAttr(n, "max", 3.4e38f));
    } else {
      lo = n.input_size() > 1 && !inp(n, 1).empty() ? value(n, 1) : "-3.4e38";
      hi = n.input_size() > 2 && !inp(n, 2).empty() ? value(n, 2) : "3.4e38";
    }
    // Bounds that are tensors (graph inputs) clamp element-wise.
    e = "minimum(maximum(" + value(n, 0) + ", " + lo + "), " + hi + ")";
  } else if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" ||
             op == "ReduceMin") {
    std::vector<int64_t> axes = intsAttr(n, "axes");
    if (op == "ReduceSum" && opset >= 13 && n.input_size() > 1) {
      auto it = consts.find(inp(n, 1));
      if (it == consts.end())
        return fail(n, "axes that are not constants are not supported");
      axes = it->second.i;
    }
    int r = rank(inp(n, 0));
    if (axes.empty())
      for (int k = 0; k < r; ++k)
        axes.push_back(k);
    for (int64_t &a : axes)
      if (a < 0)
        a += r;
    static const llvm::StringMap<const char *> fns = {{"ReduceMean", "mean"},
                                                      {"ReduceSum", "sum"},
                                                      {"ReduceMax", "max"},
                                                      {"ReduceMin", "min"}};
    e = std::string(fns.lookup(op)) + "(" + value(n, 0) +
        ", axis: " + list(axes) +
        ", keepdims: " + (intAttr(n, "keepdims", 1) ? "true" : "false") + ")";
  } else if (!moreOps(n, e)) {
    return false;
  }
  if (failed)
    return false;
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty())
      return fail(n, "outputs beyond the first (" + n.output(k) +
                         ") are not supported");
  std::string v = ident(n.output(0), "v_");
  body += indent + "let " + v + " = " + e + "\n";
  expr[n.output(0)] = v;
  return true;
}

/// The ops beyond the element-wise, linear and convolutional core.
bool Importer::moreOps(const onnx::NodeProto &n, std::string &e) {
  const std::string &op = n.op_type();
  int r = rank(inp(n, 0));
  auto axisOf = [&](int64_t a) { return a < 0 ? a + r : a; };
  auto keep = [&]() {
    return std::string(intAttr(n, "keepdims", 1) ? "true" : "false");
  };
  if (op == "Reciprocal") {
    e = "(1.0 / " + value(n, 0) + ")";
  } else if (op == "Not") {
    e = "(!" + value(n, 0) + ")";
  } else if (op == "Where") {
    e = "where(" + value(n, 0) + ", " + value(n, 1) + ", " + value(n, 2) + ")";
  } else if (op == "Mod" && intAttr(n, "fmod", 0)) {
    e = "(" + value(n, 0) + " % " + value(n, 1) + ")";
  } else if (op == "LayerNormalization") {
    int scaleRank = consts.count(inp(n, 1)) ? int(consts[inp(n, 1)].dims.size())
                                            : rank(inp(n, 1));
    if (scaleRank < 0 || axisOf(intAttr(n, "axis", -1)) != r - scaleRank)
      return fail(n, "a scale that does not cover the normalised axes is "
                     "not supported");
    if (n.input_size() < 3 || inp(n, 2).empty())
      return fail(n, "layer normalisation without a bias is not supported");
    e = "layer_norm(" + value(n, 0) + ", " + value(n, 1) + ", " + value(n, 2) +
        ", eps: " + num(floatAttr(n, "epsilon", 1e-5f)) + ")";
  } else if (op == "ArgMax" || op == "ArgMin") {
    if (intAttr(n, "select_last_index", 0))
      return fail(n, "select_last_index is not supported");
    e = std::string(op == "ArgMax" ? "argmax(" : "argmin(") + value(n, 0) +
        ", axis: " + std::to_string(axisOf(intAttr(n, "axis", 0))) +
        ", keepdims: " + keep() + ")";
  } else if (op == "Cast") {
    int64_t to = intAttr(n, "to", 0);
    if (to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::INT64)
      return fail(n, "casts to types other than float and int64 are not "
                     "supported");
    auto c = consts.find(inp(n, 0));
    bool literal = c != consts.end() && c->second.dims.empty() &&
                   c->second.type != onnx::TensorProto::INT64;
    if (literal && to == onnx::TensorProto::FLOAT) // a number stays one
      e = value(n, 0);
    else
      e = "cast(" + value(n, 0) + ", " +
          (to == onnx::TensorProto::FLOAT ? "f32" : "i64") + ")";
  } else if (op == "ConvTranspose") {
    if (!convTranspose(n, e))
      return false;
  } else if (op == "Gather" && intAttr(n, "axis", 0) == 0 &&
             consts.count(inp(n, 0)) &&
             shapes[inp(n, 1)].elem == onnx::TensorProto::INT64) {
    e = "gather(" + value(n, 0) + ", " + expr[inp(n, 1)] + ")";
  } else if (op == "ReduceProd" || op == "ReduceLogSumExp") {
    std::vector<int64_t> axes = intsAttr(n, "axes");
    for (int64_t &a : axes)
      a = axisOf(a);
    if (axes.empty())
      for (int k = 0; k < r; ++k)
        axes.push_back(k);
    e = std::string(op == "ReduceProd" ? "prod(" : "logsumexp(") + value(n, 0) +
        ", axis: " + list(axes) + ", keepdims: " + keep() + ")";
  } else if (!shapeOps(n, e)) {
    return false;
  }
  return !failed;
}

bool Importer::run(const std::string &modelName, std::string &source,
                   nnc_named_tensors &weights) {
  for (const auto &o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  // ONNX's checker first: libonnx's shape inference trusts a node's
  // attributes (a misspelt one on Scan crashes it).
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception &e) {
    diags.error(std::string("not a valid ONNX model: ") + e.what());
    return false;
  }
  if (!foldConstants())
    return false;
  // Data propagation gives a ConstantOfShape of Shape(x) x's sizes, but
  // libonnx 1.12's trips on some graphs: then without it.
  std::string error;
  if (!inferShapes(m, true, error) && !inferShapes(m, false, error)) {
    diags.error("ONNX's shape inference failed: " + error);
    return false;
  }
  recordGraph(g);
  for (const auto &t : g.initializer()) {
    Const c;
    if (!decode(t, c)) {
      diags.error("initializer '" + t.name() +
                  "': tensors other than float and int64 are not supported");
      return false;
    }
    consts[t.name()] = c;
  }
  std::string inputs;
  for (const auto &vi : g.input()) {
    if (consts.count(vi.name()))
      continue; // an initializer listed as an input (older files)
    const Shape &s = shapes[vi.name()];
    if (s.elem != onnx::TensorProto::FLOAT &&
        s.elem != onnx::TensorProto::INT64 &&
        s.elem != onnx::TensorProto::DOUBLE) {
      diags.error("input '" + vi.name() +
                  "': inputs other than float, double and int64 are "
                  "not supported");
      return false;
    }
    for (const std::string &sym : s.sym)
      if (!sym.empty())
        inputSymbols.insert(sym);
    for (size_t k = 0; k < s.dims.size(); ++k)
      if (s.dims[k] < 0 && s.sym[k].empty()) {
        diags.error("input '" + vi.name() + "': dimension " +
                    std::to_string(k) + " has neither a size nor a name");
        return false;
      }
    std::string id = ident(vi.name(), "");
    if (!id.empty() && std::isdigit(static_cast<unsigned char>(id[0])))
      id = ident(vi.name(), "x");
    inputs += "  input " + id + ": " + typeOf(s) + "\n";
    expr[vi.name()] = id;
  }
  findReaders(g);
  for (const auto &n : g.node())
    if (!node(n))
      return false;
  // One output is the model's result (named `output`, as nnc names a
  // model's last expression); several keep their names.
  std::string outputs;
  for (const auto &vi : g.output()) {
    auto it = expr.find(vi.name());
    if (it == expr.end() && consts.count(vi.name()) &&
        consts[vi.name()].type == onnx::TensorProto::FLOAT)
      it = expr.emplace(vi.name(), param(vi.name(), consts[vi.name()])).first;
    if (it == expr.end() &&
        (sizeOf.count(vi.name()) ||
         (consts.count(vi.name()) &&
          consts[vi.name()].type != onnx::TensorProto::FLOAT))) {
      diags.error("output '" + vi.name() +
                  "' is integers computed from shapes or constants: such "
                  "outputs are not supported");
      return false;
    }
    if (it == expr.end()) {
      diags.error("output '" + vi.name() + "' is not computed by the graph");
      return false;
    }
    if (g.output_size() == 1) {
      outputs += "  # ONNX output '" + vi.name() + "'\n  " + it->second + "\n";
      break;
    }
    std::string id = ident(vi.name(), "");
    if (!id.empty() && std::isdigit(static_cast<unsigned char>(id[0])))
      id = ident(vi.name(), "y");
    outputs += "  output " + id + " = " + it->second + "\n";
  }
  std::string producer = m.producer_name();
  if (!m.producer_version().empty())
    producer += " " + m.producer_version();
  source = "# Imported from ONNX by nnc import (opset " +
           std::to_string(opset) +
           (producer.empty() ? "" : ", made by " + producer) +
           "). The parameters'\n# values are in the safetensors file written "
           "beside this one.\n\nmodel " +
           modelName + " {\n" + inputs + decls + body + outputs + "}\n";
  weights.count = int64_t(params.size());
  weights.names =
      static_cast<char **>(std::calloc(params.size() + 1, sizeof(char *)));
  weights.tensors = static_cast<nnc_tensor *>(
      std::calloc(params.size() + 1, sizeof(nnc_tensor)));
  for (size_t k = 0; k < params.size(); ++k) {
    weights.names[k] = strdup(params[k].first.c_str());
    nnc_tensor &t = weights.tensors[k];
    t.dtype = NNC_F32;
    t.rank = int32_t(params[k].second.dims.size());
    for (int32_t d = 0; d < t.rank; ++d)
      t.dims[d] = params[k].second.dims[d];
    if (nnc_tensor_alloc(&t))
      return false;
    std::memcpy(t.data, params[k].second.f.data(),
                params[k].second.f.size() * sizeof(float));
  }
  return true;
}

} // namespace onnx_import
} // namespace nnc


int nnc::importOnnx(OnnxImportOptions opts, DiagnosticEngine &diags) {
  std::ifstream in(opts.input, std::ios::binary);
  if (!in) {
    diags.error("cannot open '" + opts.input + "': " + std::strerror(errno));
    return 1;
  }
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) {
    diags.error("'" + opts.input +
                "' is not an ONNX model (its protobuf "
                "does not parse)");
    return 1;
  }
  if (opts.output.empty()) {
    llvm::SmallString<256> out(llvm::sys::path::filename(opts.input));
    llvm::sys::path::replace_extension(out, ".nn");
    opts.output = out.str().str();
  }
  if (opts.weights.empty()) {
    llvm::SmallString<256> w(opts.output);
    llvm::sys::path::replace_extension(w, ".safetensors");
    opts.weights = w.str().str();
  }
  if (opts.model.empty())
    opts.model = modelNameFrom(llvm::sys::path::stem(opts.output));
  std::string source;
  nnc_named_tensors weights{};
  bool ok = Importer(model, diags).run(opts.model, source, weights);
  if (ok && nnc_safetensors_save(opts.weights.c_str(), &weights)) {
    diags.error(nnc_last_error());
    ok = false;
  }
  nnc_named_free(&weights);
  if (!ok)
    return 1;
  std::error_code ec;
  llvm::raw_fd_ostream os(opts.output, ec);
  if (!ec) {
    os << source;
    os.close();
    if (os.has_error())
      ec = os.error();
  }
  if (ec) {
    diags.error("cannot write '" + opts.output + "': " + ec.message());
    return 1;
  }
  if (!opts.quiet)
    llvm::errs() << "wrote " << opts.output << " (model " << opts.model
                 << ") and " << opts.weights << "\n";
  return 0;
}
