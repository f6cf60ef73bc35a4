//===- OnnxImportFold.cpp - Integer constants computed at import ----------===//
//
// Exporters write small integer computations into their graphs: PyTorch's
// F.pad builds its pads with ConstantOfShape, Concat, Reshape, a reversing
// Slice, Transpose and Cast; torch.chunk computes its split points from a
// Shape with Add, Div and Mul. When every input is an int64 constant (or a
// size that shape inference knows as a number) such a node is computed
// here, once, and its result is one more constant: the source never sees
// it, and the op that reads it (Pad, Slice, Reshape) gets plain numbers.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"


#include <algorithm>
#include <numeric>

using namespace nnc;
using namespace nnc::onnx_import;

namespace {
constexpr int kInt64 = onnx::TensorProto::INT64;

int64_t count(const std::vector<int64_t> &dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// Row-major strides of `dims`.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;)
    s[k - 1] = s[k] * dims[k];
  return s;
}

/// out[idx] = in[map(idx)] over every index of `outDims`.
template <typename Map>
std::vector<int64_t> gatherAll(const Const &in,
                               const std::vector<int64_t> &outDims, Map map) {
  std::vector<int64_t> out(size_t(count(outDims)));
  std::vector<int64_t> idx(outDims.size(), 0), inStrides = stridesOf(in.dims);
  for (size_t flat = 0; flat < out.size(); ++flat) {
    out[flat] = in.i[size_t(map(idx, inStrides))];
    for (size_t d = idx.size(); d-- > 0;) { // next index
      if (++idx[d] < outDims[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}
} // namespace

namespace nnc {
namespace onnx_import {

/// The int64 constant input `k` holds, if it is one (an initializer, a
/// folded node, or a size list of numbers).
const Const *Importer::intConst(const onnx::NodeProto &n, int k) {
  auto it = consts.find(inp(n, k));
  if (it != consts.end() && it->second.type == kInt64)
    return &it->second;
  return nullptr;
}

/// Folded tensors are shapes and indices: small. Larger (or a hostile
/// file's huge ConstantOfShape) stays a node.
constexpr int64_t kMaxFolded = 1 << 16;

/// Whether `dims` describe at most kMaxFolded elements.
static bool smallDims(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    if (d < 0 || llvm::MulOverflow(n, d, n) || n > kMaxFolded)
      return false;
  return true;
}

int Importer::fold(const onnx::NodeProto &n) {
  static const char *const foldable[] = {
      "ConstantOfShape", "Concat", "Reshape", "Slice",   "Transpose",
      "Cast",            "Squeeze", "Unsqueeze", "Gather", "Add",
      "Sub",             "Mul",     "Div",       "Neg",    "Range",
      "Identity"};
  const std::string &op = n.op_type();
  if (!llvm::is_contained(foldable, op) || n.output_size() != 1 ||
      n.input_size() == 0)
    return -1;
  for (int k = 0; k < n.input_size(); ++k)
    if (!inp(n, k).empty() && !intConst(n, k))
      return -1;
  if (op == "Cast" && intAttr(n, "to", 0) != kInt64)
    return -1;
  Const out;
  out.type = kInt64;
  if (op == "ConstantOfShape") {
    const onnx::AttributeProto *a = attr(n, "value");
    Const v;
    if (a && (!decode(a->t(), v) || v.type != kInt64))
      return -1; // a float tensor: the source's zeros()/full()
    out.dims = intConst(n, 0)->i;
    if (!smallDims(out.dims) || (a && v.i.size() != 1))
      return -1;
    out.i.assign(size_t(count(out.dims)), a ? v.i[0] : 0);
  } else if (!foldOp(n, out)) {
    return failed ? 0 : -1;
  }
  if (!smallDims(out.dims) || int64_t(out.i.size()) != count(out.dims))
    return -1;
  consts[n.output(0)] = std::move(out);
  return 1;
}

bool Importer::foldOp(const onnx::NodeProto &n, Const &out) {
  const std::string &op = n.op_type();
  const Const &x = *intConst(n, 0);
  int64_t r = int64_t(x.dims.size());
  auto axisOf = [&](int64_t a, int64_t rank) { return a < 0 ? a + rank : a; };
  if (op == "Identity" || op == "Cast") {
    out = x;
  } else if (op == "Neg") {
    out = x;
    for (int64_t &v : out.i)
      v = -v;
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const Const &y = *intConst(n, 1);
    if (x.i.size() != y.i.size() && x.i.size() != 1 && y.i.size() != 1)
      return false; // (only same shapes or a scalar)
    out = x.i.size() >= y.i.size() ? x : y;
    for (size_t k = 0; k < out.i.size(); ++k) {
      int64_t a = x.i[x.i.size() == 1 ? 0 : k], b = y.i[y.i.size() == 1 ? 0 : k];
      if (op == "Div" && b == 0)
        return fail(n, "an integer division by zero");
      out.i[k] = op == "Add"   ? a + b
                 : op == "Sub" ? a - b
                 : op == "Mul" ? a * b
                               : (a - ((a % b + b) % b)) / b; // floor
    }
  } else if (op == "Range") {
    int64_t start = x.i.at(0), limit = intConst(n, 1)->i.at(0),
            delta = intConst(n, 2)->i.at(0);
    if (delta == 0)
      return fail(n, "a range with step 0");
    for (int64_t v = start; delta > 0 ? v < limit : v > limit; v += delta) {
      if (int64_t(out.i.size()) >= kMaxFolded)
        return false;
      out.i.push_back(v);
    }
    out.dims = {int64_t(out.i.size())};
  } else if (op == "Reshape") {
    std::vector<int64_t> shape = intConst(n, 1)->i;
    int64_t known = 1, infer = -1;
    for (size_t k = 0; k < shape.size(); ++k) {
      if (shape[k] == 0 && k < x.dims.size())
        shape[k] = x.dims[k];
      if (shape[k] == -1)
        infer = int64_t(k);
      else
        known *= shape[k];
    }
    if (infer >= 0 && known > 0)
      shape[size_t(infer)] = count(x.dims) / known;
    if (count(shape) != count(x.dims))
      return false;
    out = x;
    out.dims = shape;
  } else if (op == "Squeeze" || op == "Unsqueeze") {
    std::vector<int64_t> axes = intsAttr(n, "axes");
    if (n.input_size() > 1 && !inp(n, 1).empty())
      axes = intConst(n, 1)->i;
    out = x;
    if (op == "Unsqueeze") {
      int64_t rank = r + int64_t(axes.size());
      for (int64_t &a : axes) {
        a = axisOf(a, rank);
        if (a < 0 || a >= rank)
          return false;
      }
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes)
        out.dims.insert(out.dims.begin() + std::min<int64_t>(a, int64_t(out.dims.size())), 1);
    } else {
      out.dims.clear();
      for (int64_t d = 0; d < r; ++d) {
        bool drop = axes.empty() ? x.dims[size_t(d)] == 1
                                 : llvm::is_contained(axes, d) ||
                                       llvm::is_contained(axes, d - r);
        if (!drop)
          out.dims.push_back(x.dims[size_t(d)]);
      }
    }
  } else if (op == "Concat") {
    int64_t axis = axisOf(intAttr(n, "axis", 0), r);
    if (axis < 0 || axis >= r)
      return false;
    out.dims = x.dims;
    out.dims[size_t(axis)] = 0;
    std::vector<const Const *> parts;
    for (int k = 0; k < n.input_size(); ++k) {
      parts.push_back(intConst(n, k));
      std::vector<int64_t> d = parts.back()->dims;
      if (d.size() != size_t(r))
        return false;
      out.dims[size_t(axis)] += d[size_t(axis)];
      d[size_t(axis)] = x.dims[size_t(axis)];
      if (d != x.dims)
        return false; // (the other sizes must agree)
    }
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.dims[size_t(d)];
    for (int64_t o = 0; o < outer; ++o)
      for (const Const *p : parts) {
        int64_t block = count(p->dims) / std::max<int64_t>(outer, 1);
        out.i.insert(out.i.end(), p->i.begin() + o * block,
                     p->i.begin() + (o + 1) * block);
      }
  } else if (op == "Transpose") {
    std::vector<int64_t> perm = intsAttr(n, "perm");
    if (perm.empty())
      for (int64_t d = r - 1; d >= 0; --d)
        perm.push_back(d);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t d = 0; d < int64_t(sorted.size()); ++d)
      if (sorted[size_t(d)] != d)
        return false;
    if (int64_t(perm.size()) != r)
      return false;
    for (int64_t p : perm)
      out.dims.push_back(x.dims[size_t(p)]);
    out.i = gatherAll(x, out.dims, [&](const std::vector<int64_t> &idx,
                                       const std::vector<int64_t> &st) {
      int64_t at = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        at += idx[d] * st[size_t(perm[d])];
      return at;
    });
  } else if (op == "Gather") {
    const Const &ix = *intConst(n, 1);
    int64_t axis = axisOf(intAttr(n, "axis", 0), r);
    if (ix.dims.size() > 1 || axis < 0 || axis >= r)
      return false;
    for (int64_t v : ix.i)
      if (v < -x.dims[size_t(axis)] || v >= x.dims[size_t(axis)])
        return false;
    out.dims = x.dims;
    out.dims.erase(out.dims.begin() + axis);
    if (!ix.dims.empty())
      out.dims.insert(out.dims.begin() + axis, ix.dims[0]);
    int64_t size = x.dims[size_t(axis)];
    out.i = gatherAll(x, out.dims, [&](const std::vector<int64_t> &idx,
                                       const std::vector<int64_t> &st) {
      int64_t at = 0, o = 0;
      for (int64_t d = 0; d < r; ++d) {
        int64_t v;
        if (d == axis) {
          v = ix.i[size_t(ix.dims.empty() ? 0 : idx[size_t(o++)])];
          v = v < 0 ? v + size : v;
        } else {
          v = idx[size_t(o++)];
        }
        at += v * st[size_t(d)];
      }
      return at;
    });
  } else { // Slice
    SliceBounds bounds;
    if (!sliceBounds(n, bounds))
      return false;
    const auto &starts = bounds.starts, &ends = bounds.ends,
               &axes = bounds.axes, &steps = bounds.steps;
    std::vector<int64_t> from(size_t(r), 0), step(size_t(r), 1);
    out.dims = x.dims;
    for (size_t k = 0; k < starts.size() && k < ends.size(); ++k) {
      int64_t a = axisOf(axes.size() > k ? axes[k] : int64_t(k), r);
      if (a < 0 || a >= r)
        return false;
      int64_t s = steps.size() > k ? steps[k] : 1, size = x.dims[size_t(a)];
      if (s == 0)
        return fail(n, "a slice with step 0");
      auto clampTo = [&](int64_t v, int64_t lo, int64_t hi) {
        v = v < 0 ? v + size : v;
        return std::max(lo, std::min(v, hi));
      };
      int64_t b = s > 0 ? clampTo(starts[k], 0, size)
                        : clampTo(starts[k], -1, size - 1);
      int64_t e = s > 0 ? clampTo(ends[k], 0, size)
                        : clampTo(ends[k], -1, size - 1);
      int64_t len = s > 0 ? (e - b + s - 1) / s : (b - e - s - 1) / -s;
      from[size_t(a)] = b;
      step[size_t(a)] = s;
      out.dims[size_t(a)] = std::max<int64_t>(len, 0);
    }
    out.i = gatherAll(x, out.dims, [&](const std::vector<int64_t> &idx,
                                       const std::vector<int64_t> &st) {
      int64_t at = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        at += (from[d] + idx[d] * step[d]) * st[d];
      return at;
    });
  }
  return true;
}

/// The sizes of `name` shape inference found (-1 unknown); empty if its
/// rank is unknown.
static std::vector<int64_t> inferredDims(const onnx::GraphProto &g,
                                         const std::string &name,
                                         bool &known) {
  auto fromInfo = [&](const onnx::ValueInfoProto &vi) {
    std::vector<int64_t> d;
    known = vi.type().tensor_type().has_shape();
    for (const auto &dim : vi.type().tensor_type().shape().dim())
      d.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    return d;
  };
  for (const auto *list : {&g.value_info(), &g.input(), &g.output()})
    for (const auto &vi : *list)
      if (vi.name() == name)
        return fromInfo(vi);
  known = false;
  return {};
}

/// Shape(x), Gather of it, or Size(x), where the sizes asked for are
/// numbers.
bool Importer::foldShape(const onnx::NodeProto &n,
                         const std::map<std::string, const onnx::NodeProto *>
                             &producer) {
  const onnx::NodeProto *shape = &n;
  if (n.op_type() == "Size") { // of a constant, or of a tensor of known size
    bool known = false;
    std::vector<int64_t> dims = inferredDims(g, inp(n, 0), known);
    if (const Const *c = intConst(n, 0)) {
      dims = c->dims;
      known = true;
    }
    if (!known || llvm::is_contained(dims, -1))
      return false;
    Const out;
    out.type = kInt64;
    out.i = {count(dims)};
    consts[n.output(0)] = out;
    return true;
  }
  if (n.op_type() == "Gather") {
    auto p = producer.find(inp(n, 0));
    if (p == producer.end() || p->second->op_type() != "Shape" ||
        !intConst(n, 1))
      return false;
    shape = p->second;
  } else if (n.op_type() != "Shape") {
    return false;
  }
  bool known = false;
  std::vector<int64_t> dims = inferredDims(g, inp(*shape, 0), known);
  if (!known)
    return false;
  int64_t r = int64_t(dims.size());
  int64_t from = intAttr(*shape, "start", 0), to = intAttr(*shape, "end", r);
  from = std::clamp<int64_t>(from < 0 ? from + r : from, 0, r);
  to = std::clamp<int64_t>(to < 0 ? to + r : to, 0, r);
  std::vector<int64_t> sizes(dims.begin() + from, dims.begin() + std::max(from, to));
  Const out;
  out.type = kInt64;
  if (&n == shape) {
    out.dims = {int64_t(sizes.size())};
    out.i = sizes;
  } else {
    const Const &ix = *intConst(n, 1);
    if (ix.dims.size() > 1)
      return false;
    if (!ix.dims.empty())
      out.dims = {int64_t(ix.i.size())};
    for (int64_t k : ix.i) {
      k = k < 0 ? k + int64_t(sizes.size()) : k;
      if (k < 0 || k >= int64_t(sizes.size()))
        return false;
      out.i.push_back(sizes[size_t(k)]);
    }
  }
  if (llvm::is_contained(out.i, -1))
    return false;
  consts[n.output(0)] = out;
  return true;
}

bool Importer::foldConstants() {
  for (const auto &t : g.initializer()) {
    Const c;
    if (decode(t, c) && c.type == kInt64)
      consts[t.name()] = c;
  }
  // Folding a size can make the next one known: infer, fold, again.
  for (int round = 0; round < 8; ++round) {
    std::string error;
    if (!inferShapes(m, /*dataProp=*/true, error))
      break; // (run() reports it)
    std::map<std::string, const onnx::NodeProto *> producer;
    for (const auto &n : g.node())
      for (const std::string &o : n.output())
        producer[o] = &n;
    std::vector<int> folded;
    for (int k = 0; k < g.node_size(); ++k) {
      const onnx::NodeProto &n = g.node(k);
      const onnx::AttributeProto *v = attr(n, "value");
      Const c;
      if (n.op_type() == "Constant" && v && decode(v->t(), c) &&
          c.type == kInt64) {
        consts[n.output(0)] = c;
        folded.push_back(k);
        continue;
      }
      int r = foldShape(n, producer) ? 1 : fold(n);
      if (r == 0)
        return false;
      if (r == 1)
        folded.push_back(k);
    }
    if (folded.empty())
      break;
    // Each folded value is an initializer now; its node goes.
    for (int k : folded) {
      const std::string &name = g.node(k).output(0);
      const Const &c = consts[name];
      onnx::TensorProto &t = *g.add_initializer();
      t.set_name(name);
      t.set_data_type(kInt64);
      for (int64_t d : c.dims)
        t.add_dims(d);
      t.set_raw_data(c.i.data(), c.i.size() * sizeof(int64_t));
    }
    for (auto k = folded.rbegin(); k != folded.rend(); ++k)
      g.mutable_node()->DeleteSubrange(*k, 1);
  }
  g.clear_value_info();
  consts.clear(); // (decoded again with the other initializers)
  return true;
}

} // namespace onnx_import
} // namespace nnc
