//===- OnnxImportShapes.cpp - Slicing, padding, tiling from ONNX ----------===//
//
// The ONNX ops that cut, pad, repeat or broadcast a tensor, written with
// what nnc has: slices (`x[:, 2:5]`), `concat`, `zeros`/`full` and
// broadcasting. Split gives one `let` per part; Pad's reflect and edge
// modes concatenate one-wide slices; Tile concatenates copies; Expand adds
// zeros of the result's shape; InstanceNormalization is its formula over
// the spatial axes.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"

#include <algorithm>

using namespace nnc;
using namespace nnc::onnx_import;

namespace nnc {
namespace onnx_import {

int64_t Importer::dimOf(const std::string &v, int64_t axis) {
  auto it = shapes.find(v);
  if (it == shapes.end() || !it->second.known || axis < 0 ||
      axis >= int64_t(it->second.dims.size()))
    return -1;
  return it->second.dims[size_t(axis)];
}

std::string Importer::sliceExpr(const std::string &x, int rank, int64_t axis,
                                int64_t from, int64_t to, int64_t step) {
  std::string s = x + "[";
  for (int k = 0; k < rank; ++k)
    s += (k ? ", " : "") +
         (k == axis ? std::to_string(from) + ":" + std::to_string(to) +
                          (step != 1 ? ":" + std::to_string(step) : "")
                    : std::string(":"));
  return s + "]";
}

std::string Importer::let(const onnx::NodeProto &n, const std::string &e) {
  std::string v = ident(n.output(0) + "_part", "v_");
  body += indent + "let " + v + " = " + e + "\n";
  return v;
}

/// Slice's bounds: opset 10's constant inputs or opset 1's attributes.
bool Importer::sliceBounds(const onnx::NodeProto &n, SliceBounds &b) {
  if (opset < 10) {
    b.starts = intsAttr(n, "starts");
    b.ends = intsAttr(n, "ends");
    b.axes = intsAttr(n, "axes");
    return true;
  }
  if (!intInput(n, 1, b.starts) || !intInput(n, 2, b.ends))
    return false;
  if (n.input_size() > 3 && !inp(n, 3).empty() && !intInput(n, 3, b.axes))
    return false;
  return n.input_size() <= 4 || inp(n, 4).empty() || intInput(n, 4, b.steps);
}

/// Slice with constant bounds: nnc's x[a:b:s].
bool Importer::slice(const onnx::NodeProto &n, std::string &e) {
  SliceBounds bounds;
  if (!sliceBounds(n, bounds))
    return false;
  const auto &starts = bounds.starts, &ends = bounds.ends,
             &axes = bounds.axes, &steps = bounds.steps;
  int r = rank(inp(n, 0));
  if (r < 0)
    return fail(n, "a slice of a tensor of unknown rank is not supported");
  std::vector<std::string> idx(size_t(r), ":");
  for (size_t k = 0; k < starts.size() && k < ends.size(); ++k) {
    int64_t a = axes.size() > k ? axes[k] : int64_t(k);
    if (a < 0)
      a += r;
    int64_t step = steps.size() > k ? steps[k] : 1;
    int64_t size = dimOf(inp(n, 0), a);
    if (step < 1 || size < 0)
      return fail(n, "negative steps or slices of a dynamic dimension are "
                     "not supported");
    auto clampTo = [&](int64_t v) {
      if (v < 0)
        v += size;
      return std::max<int64_t>(0, std::min(v, size));
    };
    int64_t b = clampTo(starts[k]), en = clampTo(ends[k]);
    idx[size_t(a)] = std::to_string(b) + ":" + std::to_string(std::max(b, en)) +
                     (step != 1 ? ":" + std::to_string(step) : "");
  }
  e = value(n, 0) + "[";
  for (int k = 0; k < r; ++k)
    e += (k ? ", " : "") + idx[size_t(k)];
  e += "]";
  return !failed;
}

/// Split: one slice per output.
bool Importer::split(const onnx::NodeProto &n) {
  int r = rank(inp(n, 0));
  int64_t axis = intAttr(n, "axis", 0);
  if (axis < 0)
    axis += r;
  int64_t size = dimOf(inp(n, 0), axis);
  if (r < 0 || size < 0)
    return fail(n, "splitting a dimension of unknown size is not supported");
  std::vector<int64_t> parts = intsAttr(n, "split");
  if (opset >= 13 && n.input_size() > 1 && !inp(n, 1).empty() &&
      !intInput(n, 1, parts))
    return false;
  int64_t count = n.output_size();
  if (parts.empty()) {
    if (count < 1 || size % count)
      return fail(n, "a split into unequal parts without sizes");
    parts.assign(size_t(count), size / count);
  }
  int64_t total = 0;
  for (int64_t p : parts)
    total += p < 0 ? size + 1 : p;
  if (int64_t(parts.size()) != count || total != size)
    return fail(n, "split sizes that do not add up to the dimension");
  std::string x = value(n, 0);
  int64_t at = 0;
  for (int k = 0; k < n.output_size(); ++k) {
    if (!n.output(k).empty()) {
      std::string v = ident(n.output(k), "v_");
      body += indent + "let " + v + " = " +
              sliceExpr(x, r, axis, at, at + parts[size_t(k)]) + "\n";
      expr[n.output(k)] = v;
    }
    at += parts[size_t(k)];
  }
  return !failed;
}

/// Pad (constant, reflect, edge; negative pads crop): one concat per axis.
bool Importer::pad(const onnx::NodeProto &n, std::string &e) {
  std::string mode = attr(n, "mode") ? attr(n, "mode")->s() : "constant";
  std::vector<int64_t> pads = intsAttr(n, "pads");
  if (pads.empty()) // (opset 1)
    pads = intsAttr(n, "paddings");
  double fill = floatAttr(n, "value", 0.0f);
  if (opset >= 11) {
    if (!intInput(n, 1, pads))
      return false;
    if (n.input_size() > 2 && !inp(n, 2).empty()) {
      auto c = consts.find(inp(n, 2));
      if (c == consts.end() || c->second.type != onnx::TensorProto::FLOAT ||
          c->second.f.size() != 1)
        return fail(n, "a padding value that is not a float constant is not "
                       "supported");
      fill = c->second.f[0];
    }
    if (n.input_size() > 3 && !inp(n, 3).empty())
      return fail(n, "Pad's axes input is not supported");
  }
  int r = rank(inp(n, 0));
  if (r < 0 || pads.size() != size_t(2 * r))
    return fail(n, "pads that do not match the tensor's rank");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return fail(n, "padding mode '" + mode + "' is not supported");
  Shape s = shapes[inp(n, 0)];
  std::string cur = value(n, 0);
  for (int a = 0; a < r; ++a) {
    int64_t b = pads[size_t(a)], en = pads[size_t(a + r)];
    if (b == 0 && en == 0)
      continue;
    int64_t size = s.dims[size_t(a)];
    if (size < 0 && (b < 0 || en < 0 || mode != "constant"))
      return fail(n, "padding a dimension of unknown size is not supported");
    if (b < 0 || en < 0) { // crop first
      int64_t from = std::max<int64_t>(0, -b), to = en < 0 ? size + en : size;
      if (to <= from)
        return fail(n, "pads that crop the whole dimension");
      cur = let(n, sliceExpr(cur, r, a, from, to));
      size = to - from;
      b = std::max<int64_t>(0, b);
      en = std::max<int64_t>(0, en);
    }
    if (mode == "reflect" && (b >= size || en >= size))
      return fail(n, "a reflection wider than the tensor is not supported");
    if (mode == "edge" && (b > 4096 || en > 4096))
      return fail(n, "edge padding wider than 4096 is not supported");
    std::vector<std::string> left, right;
    auto block = [&](int64_t width) {
      std::string dims;
      for (int k = 0; k < r; ++k) {
        std::string d = k == a                    ? std::to_string(width)
                        : s.dims[size_t(k)] >= 0  ? std::to_string(s.dims[k])
                        : inputSymbols.count(s.sym[k]) ? s.sym[k]
                                                       : "";
        if (d.empty())
          fail(n, "padding next to a dimension of unknown size is not "
                  "supported");
        dims += (k ? ", " : "") + d;
      }
      return fill == 0 ? "zeros([" + dims + "])"
                       : "full([" + dims + "], " + num(fill) + ")";
    };
    if (mode == "constant") {
      if (b)
        left.push_back(block(b));
      if (en)
        right.push_back(block(en));
    }
    for (int64_t k = 0; mode != "constant" && k < b; ++k) {
      int64_t at = mode == "edge" ? 0 : b - k;
      left.push_back(sliceExpr(cur, r, a, at, at + 1));
    }
    for (int64_t k = 1; mode != "constant" && k <= en; ++k) {
      int64_t at = mode == "edge" ? size - 1 : size - 1 - k;
      right.push_back(sliceExpr(cur, r, a, at, at + 1));
    }
    std::string parts;
    for (const std::string &p : left)
      parts += p + ", ";
    parts += cur;
    for (const std::string &p : right)
      parts += ", " + p;
    cur = let(n, "concat([" + parts + "], axis: " + std::to_string(a) + ")");
    if (size >= 0)
      s.dims[size_t(a)] = size + b + en;
  }
  e = cur;
  return !failed;
}

/// Tile: copies concatenated along each repeated axis.
bool Importer::tile(const onnx::NodeProto &n, std::string &e) {
  std::vector<int64_t> reps;
  if (!intInput(n, 1, reps))
    return false;
  int r = rank(inp(n, 0));
  if (r < 0 || reps.size() != size_t(r))
    return fail(n, "repeats that do not match the tensor's rank");
  int64_t total = 1;
  for (int64_t k : reps)
    if (k < 1 || llvm::MulOverflow(total, k, total) || total > 4096)
      return fail(n, "tiling zero times or over 4096 copies is not "
                     "supported");
  std::string cur = value(n, 0);
  for (int a = 0; a < r; ++a) {
    if (reps[size_t(a)] == 1)
      continue;
    std::string copies;
    for (int64_t k = 0; k < reps[size_t(a)]; ++k)
      copies += (k ? ", " : "") + cur;
    cur = let(n, "concat([" + copies + "], axis: " + std::to_string(a) + ")");
  }
  e = cur;
  return !failed;
}

/// Expand: broadcasting against zeros of the result's shape.
bool Importer::expand(const onnx::NodeProto &n, std::string &e) {
  if (!consts.count(inp(n, 1)) && !sizeOf.count(inp(n, 1)))
    return fail(n, "a shape that is data (not a constant or computed from "
                   "shapes) is not supported");
  auto it = shapes.find(n.output(0));
  if (shapes[inp(n, 0)].elem != onnx::TensorProto::FLOAT)
    return fail(n, "expanding tensors other than float is not supported");
  if (it == shapes.end() || !it->second.known)
    return fail(n, "a result whose shape ONNX's shape inference cannot tell "
                   "is not supported");
  std::string dims;
  for (size_t k = 0; k < it->second.dims.size(); ++k) {
    std::string d = it->second.dims[k] >= 0 ? std::to_string(it->second.dims[k])
                    : inputSymbols.count(it->second.sym[k]) ? it->second.sym[k]
                                                            : "";
    if (d.empty())
      return fail(n, "a result of a size not known from the inputs' sizes "
                     "is not supported");
    dims += (k ? ", " : "") + d;
  }
  e = "(" + value(n, 0) + " + zeros([" + dims + "]))";
  return !failed;
}

/// InstanceNormalization: each sample's channels normalised over space.
bool Importer::instanceNorm(const onnx::NodeProto &n, std::string &e) {
  int r = rank(inp(n, 0));
  int64_t c = dimOf(inp(n, 0), 1);
  if (r < 3 || c < 0)
    return fail(n, "instance normalisation needs a known channel count");
  std::string axes, perChannel = "[" + std::to_string(c);
  for (int k = 2; k < r; ++k) {
    axes += (k > 2 ? ", " : "") + std::to_string(k);
    perChannel += ", 1";
  }
  perChannel += "]";
  std::string x = value(n, 0), scale = value(n, 1), bias = value(n, 2);
  std::string m = let(n, "mean(" + x + ", axis: [" + axes + "], keepdims: true)");
  std::string d = let(n, "(" + x + " - " + m + ")");
  std::string var =
      let(n, "mean(" + d + " * " + d + ", axis: [" + axes + "], keepdims: true)");
  e = "(" + d + " / sqrt(" + var + " + " +
      num(floatAttr(n, "epsilon", 1e-5f)) + ") * reshape(" + scale + ", " +
      perChannel + ") + reshape(" + bias + ", " + perChannel + "))";
  return !failed;
}

bool Importer::shapeOps(const onnx::NodeProto &n, std::string &e) {
  const std::string &op = n.op_type();
  if (op == "Slice")
    return slice(n, e);
  if (op == "Pad")
    return pad(n, e);
  if (op == "Tile")
    return tile(n, e);
  if (op == "Expand")
    return expand(n, e);
  if (op == "InstanceNormalization")
    return instanceNorm(n, e);
  return mathOps(n, e);
}

/// Element-wise ops and reductions that nnc writes as a formula.
bool Importer::mathOps(const onnx::NodeProto &n, std::string &e) {
  const std::string &op = n.op_type();
  static const char *const known[] = {
      "Softsign", "HardSigmoid",     "HardSwish",    "ThresholdedRelu",
      "Shrink",   "Ceil",            "Tan",          "Mean",
      "ReduceL1", "ReduceL2",        "ReduceLogSum", "ReduceSumSquare"};
  if (!llvm::is_contained(known, op))
    return fail(n, "nnc cannot express this op yet");
  std::string x = value(n, 0);
  if (op == "Softsign") {
    e = "(" + x + " / (1.0 + abs(" + x + ")))";
  } else if (op == "HardSigmoid" || op == "HardSwish") {
    bool swish = op == "HardSwish";
    float a = swish ? 1.0f / 6 : floatAttr(n, "alpha", 0.2f);
    float b = swish ? 0.5f : floatAttr(n, "beta", 0.5f);
    e = "clip(" + num(a) + " * " + x + " + " + num(b) + ", 0.0, 1.0)";
    if (swish)
      e = "(" + x + " * " + e + ")";
  } else if (op == "ThresholdedRelu") {
    e = "where(" + x + " > " + num(floatAttr(n, "alpha", 1.0f)) + ", " + x +
        ", 0.0)";
  } else if (op == "Shrink") {
    std::string l = num(floatAttr(n, "lambd", 0.5f)),
                b = num(floatAttr(n, "bias", 0.0f));
    e = "where(" + x + " < -" + l + ", " + x + " + " + b + ", where(" + x +
        " > " + l + ", " + x + " - " + b + ", 0.0))";
  } else if (op == "Ceil") {
    e = "(-floor(-" + x + "))";
  } else if (op == "Tan") {
    e = "(sin(" + x + ") / cos(" + x + "))";
  } else if (op == "Mean") {
    e = x;
    for (int k = 1; k < n.input_size(); ++k)
      e += " + " + value(n, k);
    e = "((" + e + ") / " + num(double(n.input_size())) + ")";
  } else { // the reductions
    int r = rank(inp(n, 0));
    std::vector<int64_t> axes = intsAttr(n, "axes");
    for (int64_t &a : axes)
      a = a < 0 ? a + r : a;
    if (axes.empty())
      for (int k = 0; k < r; ++k)
        axes.push_back(k);
    std::string tail = ", axis: " + list(axes) + ", keepdims: " +
                       (intAttr(n, "keepdims", 1) ? "true" : "false") + ")";
    if (op == "ReduceL1")
      e = "sum(abs(" + x + ")" + tail;
    else if (op == "ReduceL2")
      e = "sqrt(sum(" + x + " * " + x + tail + ")";
    else if (op == "ReduceLogSum")
      e = "log(sum(" + x + tail + ")";
    else
      e = "sum(" + x + " * " + x + tail;
  }
  return !failed;
}

} // namespace onnx_import
} // namespace nnc
