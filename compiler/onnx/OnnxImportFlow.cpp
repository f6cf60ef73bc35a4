//===- OnnxImportFlow.cpp - Sizes, random numbers and loops from ONNX -----===//
//
// The parts of `nnc import` beyond one `let` per node. Sizes computed in
// the graph (Shape, Gather of a shape, Concat of sizes) are not values in
// nnc: their one use that matters, ConstantOfShape, becomes `zeros([B, 4])`
// from the sizes shape inference (with data propagation) found. Random
// draws become nnc's random built-ins with the seed `nnc export` kept, so
// a model exported and imported back draws the same numbers. A Loop with
// a constant trip count becomes `for`, carrying its values in variables;
// a Scan over one sequence becomes `scan`, which stacks what the body
// yields along the scanned axis as Scan does.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

using namespace nnc;
using namespace nnc::onnx_import;

namespace {
const onnx::GraphProto *bodyOf(const onnx::NodeProto &n) {
  const onnx::AttributeProto *a = attr(n, "body");
  return a && a->type() == onnx::AttributeProto::GRAPH ? &a->g() : nullptr;
}

/// The seed of a random node: the exact one `nnc export` wrote in the
/// node's doc string ("nnc: normal seed 1592590354"), else ONNX's (a
/// float), else none (nnc derives one from the op's position).
std::string seedOf(const onnx::NodeProto &n) {
  const std::string &doc = n.doc_string();
  size_t at = doc.rfind(" seed ");
  if (doc.rfind("nnc: ", 0) == 0 && at != std::string::npos) {
    char *end = nullptr;
    long long v = std::strtoll(doc.c_str() + at + 6, &end, 10);
    if (end && *end == 0 && v >= 0)
      return ", seed: " + std::to_string(v);
  }
  // A float seed: any finite one maps to a 32-bit seed, deterministically.
  if (const onnx::AttributeProto *a = attr(n, "seed");
      a && std::isfinite(a->f()) && a->f() >= 0)
    return ", seed: " + std::to_string(int64_t(std::fmod(a->f(), 4294967296.0)));
  return "";
}
} // namespace

namespace nnc {
namespace onnx_import {

void Importer::record(const onnx::ValueInfoProto &vi) {
  Shape s;
  s.elem = vi.type().tensor_type().elem_type();
  s.known = vi.type().tensor_type().has_shape();
  for (const auto &d : vi.type().tensor_type().shape().dim()) {
    s.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    s.sym.push_back(d.has_dim_param() ? symbol(d.dim_param()) : "");
  }
  shapes[vi.name()] = s;
}

void Importer::recordGraph(const onnx::GraphProto &graph) {
  for (const auto &vi : graph.value_info())
    record(vi);
  for (const auto &vi : graph.input())
    record(vi);
  for (const auto &vi : graph.output())
    record(vi);
}

void Importer::findReaders(const onnx::GraphProto &graph) {
  if (&graph == &g)
    for (const auto &o : g.output())
      graphOutputs.insert(o.name());
  for (const auto &n : graph.node()) {
    for (const std::string &i : n.input())
      if (!i.empty())
        readers[i].push_back(&n);
    for (const auto &a : n.attribute())
      if (a.type() == onnx::AttributeProto::GRAPH)
        findReaders(a.g());
  }
}

int Importer::flow(const onnx::NodeProto &n) {
  const std::string &op = n.op_type();
  if (llvm::is_contained(done, &n))
    return 1;
  if (int r = fold(n); r >= 0)
    return r;
  if (op == "Loop")
    return loop(n);
  if (op == "Scan")
    return scan(n);
  if (op == "Split")
    return split(n) ? 1 : 0;
  if (op == "RandomNormalLike" || op == "RandomUniformLike" ||
      op == "RandomNormal" || op == "RandomUniform")
    return random(n);
  // Arithmetic on sizes; a shape read as the shape of something else
  // (Reshape's second input) is the other path's (which takes the shape
  // inference found).
  bool readsSize = llvm::any_of(
      n.input(), [&](const std::string &i) { return sizeOf.count(i) > 0; });
  bool dataIsSize = n.input_size() > 0 && sizeOf.count(n.input(0));
  if (op == "Shape" || op == "ConstantOfShape" || dataIsSize ||
      (readsSize && op == "Concat"))
    return sizes(n);
  return -1;
}

/// Shape and what computes with shapes (each a list of nnc sizes: numbers
/// and the inputs' symbols); ConstantOfShape of such a list.
bool Importer::sizes(const onnx::NodeProto &n) {
  const std::string &op = n.op_type();
  // The sizes input `k` holds: computed, or an int64 constant.
  auto in = [&](int k, std::vector<std::string> &out) {
    if (auto it = sizeOf.find(inp(n, k)); it != sizeOf.end()) {
      out = it->second;
      return true;
    }
    auto c = consts.find(inp(n, k));
    if (c == consts.end() || c->second.type != onnx::TensorProto::INT64)
      return fail(n, "a tensor's shape used as data is not supported (only "
                     "to make a tensor of a shape)");
    out.clear();
    for (int64_t v : c->second.i)
      out.push_back(std::to_string(v));
    return true;
  };
  std::vector<std::string> a, b, res;
  if (op == "Shape") {
    auto it = shapes.find(inp(n, 0));
    if (it == shapes.end() || !it->second.known)
      return fail(n, "the shape of a tensor of unknown rank");
    const Shape &s = it->second;
    int64_t r = int64_t(s.dims.size());
    int64_t from = intAttr(n, "start", 0), to = intAttr(n, "end", r);
    from = std::clamp<int64_t>(from < 0 ? from + r : from, 0, r);
    to = std::clamp<int64_t>(to < 0 ? to + r : to, 0, r);
    for (int64_t k = from; k < to; ++k)
      res.push_back(s.dims[k] >= 0           ? std::to_string(s.dims[k])
                    : inputSymbols.count(s.sym[k]) ? s.sym[k]
                                                   : "?");
  } else if (op == "Gather") {
    std::vector<int64_t> idx;
    if (!in(0, a) || !intInput(n, 1, idx))
      return false;
    for (int64_t k : idx) {
      if (k < 0)
        k += int64_t(a.size());
      if (k < 0 || k >= int64_t(a.size()))
        return fail(n, "an index out of the shape's range");
      res.push_back(a[size_t(k)]);
    }
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Identity" ||
             op == "Cast" || op == "Reshape") {
    if (!in(0, res))
      return false;
  } else if (op == "Concat") {
    for (int k = 0; k < n.input_size(); ++k) {
      if (!in(k, a))
        return false;
      res.insert(res.end(), a.begin(), a.end());
    }
  } else if (op == "ConstantOfShape") {
    return constantOfShape(n);
  } else {
    return fail(n, "a tensor's shape used as data is not supported (only "
                   "to make a tensor of a shape)");
  }
  sizeOf[n.output(0)] = res;
  // Sizes that are numbers are constants too (torch.chunk's arithmetic).
  bool numbers = llvm::all_of(res, [](const std::string &v) {
    return !v.empty() && v.find_first_not_of("-0123456789") == std::string::npos;
  });
  auto shape = shapes.find(n.output(0));
  if (numbers && shape != shapes.end() && shape->second.known &&
      shape->second.dims.size() <= 1) {
    Const c;
    c.type = onnx::TensorProto::INT64;
    if (!shape->second.dims.empty())
      c.dims = {int64_t(res.size())};
    for (const std::string &v : res)
      c.i.push_back(std::stoll(v));
    consts[n.output(0)] = c;
  }
  return true;
}

/// A tensor of one value in a shape computed in the graph.
bool Importer::constantOfShape(const onnx::NodeProto &n) {
  std::vector<std::string> dims;
  if (auto it = sizeOf.find(inp(n, 0)); it != sizeOf.end()) {
    dims = it->second;
  } else {
    std::vector<int64_t> c;
    if (!intInput(n, 0, c))
      return false;
    for (int64_t v : c)
      dims.push_back(std::to_string(v));
  }
  for (size_t k = 0; k < dims.size(); ++k)
    if (dims[k] == "?")
      return fail(n, "dimension " + std::to_string(k) +
                         " of the result is not known from the inputs' "
                         "sizes");
  double v = 0;
  if (const onnx::AttributeProto *a = attr(n, "value")) {
    Const c;
    if (!decode(a->t(), c) || c.type != onnx::TensorProto::FLOAT ||
        c.f.size() != 1)
      return fail(n, "values other than one float are not supported");
    v = c.f[0];
  }
  std::string shape = "[";
  for (size_t k = 0; k < dims.size(); ++k)
    shape += (k ? ", " : "") + dims[k];
  shape += "]";
  std::string e = v == 0   ? "zeros(" + shape + ")"
                  : v == 1 ? "ones(" + shape + ")"
                           : "full(" + shape + ", " + num(v) + ")";
  std::string out = ident(n.output(0), "v_");
  body += indent + "let " + out + " = " + e + "\n";
  expr[n.output(0)] = out;
  return true;
}

/// Normal and uniform draws; a uniform draw `nnc export` made for a
/// Gumbel draw (-log(-log(u))) is read back as one.
bool Importer::random(const onnx::NodeProto &n) {
  const std::string &op = n.op_type();
  const onnx::AttributeProto *dt = attr(n, "dtype");
  if (dt && dt->i() != onnx::TensorProto::FLOAT)
    return fail(n, "random numbers of types other than float are not "
                   "supported");
  bool like = op == "RandomNormalLike" || op == "RandomUniformLike";
  bool normal = op == "RandomNormal" || op == "RandomNormalLike";
  std::string what;
  if (like) {
    what = value(n, 0);
  } else {
    if (!attr(n, "shape"))
      return fail(n, "a random draw without a shape");
    what = list(intsAttr(n, "shape"));
  }
  std::string seed = seedOf(n), out = n.output(0), e;
  const char *fn = normal ? "normal" : "uniform";
  // The Gumbel chain: Log, Neg, Log, Neg, each read once.
  std::vector<const onnx::NodeProto *> chain;
  if (like && !normal && n.doc_string().rfind("nnc: gumbel ", 0) == 0) {
    static const char *const steps[] = {"Log", "Neg", "Log", "Neg"};
    std::string v = out;
    for (const char *step : steps) {
      auto r = readers.find(v);
      if (r == readers.end() || r->second.size() != 1 ||
          r->second[0]->op_type() != step || graphOutputs.count(v))
        break;
      chain.push_back(r->second[0]);
      v = r->second[0]->output(0);
    }
    if (chain.size() == 4) {
      done.insert(done.end(), chain.begin(), chain.end());
      out = v;
      e = "gumbel_like(" + what + seed + ")";
    }
  }
  if (e.empty()) {
    std::string call = std::string(fn) + (like ? "_like(" : "(") + what +
                       seed + ")";
    double a = floatAttr(n, normal ? "mean" : "low", 0.0f);
    double b = floatAttr(n, normal ? "scale" : "high", 1.0f);
    double scale = normal ? b : b - a;
    e = call;
    if (scale != 1)
      e = num(scale) + " * " + e;
    if (a != 0)
      e = "(" + num(a) + " + " + e + ")";
  }
  std::string v = ident(out, "v_");
  body += indent + "let " + v + " = " + e + "\n";
  expr[out] = v;
  return !failed;
}

/// The nodes of a loop's body, one level deeper.
bool Importer::graphBody(const onnx::NodeProto &n, const onnx::GraphProto &b,
                         const std::vector<Shape> &given) {
  recordGraph(b);
  // A body's inputs have the sizes of what the loop hands in (a file may
  // leave them open: [?, 4] for the outer [B, 4]).
  for (size_t k = 0; k < given.size() && int(k) < b.input_size(); ++k)
    if (given[k].known)
      shapes[b.input(int(k)).name()] = given[k];
  for (const auto &t : b.initializer()) {
    Const c;
    if (!decode(t, c))
      return fail(n, "a body's initializer '" + t.name() +
                         "' of a type other than float and int64");
    consts[t.name()] = c;
  }
  std::string outer = indent;
  indent += "  ";
  for (const auto &bn : b.node())
    if (!node(bn)) {
      indent = outer;
      return false;
    }
  indent = outer;
  return true;
}

void Importer::assignCarried(const std::vector<std::string> &vars,
                             const std::vector<std::string> &values) {
  std::string inner = indent + "  ";
  std::vector<std::string> from = values;
  for (std::string &v : from)
    if (llvm::is_contained(vars, v)) { // read before any is assigned
      std::string t = ident(v, "old_");
      body += inner + "let " + t + " = " + v + "\n";
      v = t;
    }
  for (size_t k = 0; k < vars.size(); ++k)
    if (from[k] != vars[k])
      body += inner + vars[k] + " = " + from[k] + "\n";
}

/// Loop: `for i in 0..M` with a constant M, carried values in variables.
bool Importer::loop(const onnx::NodeProto &n) {
  const onnx::GraphProto *b = bodyOf(n);
  if (!b || b->input_size() < 2 || b->output_size() < 1 ||
      b->input_size() != n.input_size() ||
      b->output_size() < b->input_size() - 1)
    return fail(n, "a Loop without a well-formed body");
  auto trips = consts.find(inp(n, 0));
  if (inp(n, 0).empty() || trips == consts.end() || trips->second.i.size() != 1)
    return fail(n, "a Loop whose trip count is not a constant is not "
                   "supported (nnc's loops have compile-time trip counts)");
  if (!inp(n, 1).empty() &&
      (!consts.count(inp(n, 1)) || consts[inp(n, 1)].i != std::vector<int64_t>{1}))
    return fail(n, "a Loop that may stop on a condition is not supported");
  int carried = n.input_size() - 2;
  if (b->output_size() != carried + 1)
    return fail(n, "a Loop that stacks values (scan outputs) is not "
                   "supported");
  std::vector<std::string> vars, values;
  for (int k = 0; k < carried; ++k) {
    std::string v = ident(b->input(2 + k).name(), "c_");
    body += indent + "let " + v + " = " + value(n, 2 + k) + "\n";
    expr[b->input(2 + k).name()] = v;
    vars.push_back(v);
  }
  std::string i = ident(b->input(0).name(), "i_");
  expr[b->input(0).name()] = i;
  // The body's condition must pass its input on (or be true).
  const std::string &condIn = b->input(1).name(),
                    &condOut = b->output(0).name();
  bool passes = condOut == condIn;
  for (const auto &bn : b->node())
    if (bn.output_size() == 1 && bn.output(0) == condOut)
      passes = bn.op_type() == "Identity" && inp(bn, 0) == condIn;
  if (!passes)
    return fail(n, "a Loop that may stop on a condition is not supported");
  body += indent + "for " + i + " in 0.." +
          std::to_string(trips->second.i[0]) + " {\n";
  for (const auto &bn : b->node())
    if (bn.output_size() == 1 && bn.output(0) == condOut)
      done.push_back(&bn);
  std::vector<Shape> given(2);
  for (int k = 0; k < carried; ++k)
    given.push_back(shapes[inp(n, 2 + k)]);
  if (!graphBody(n, *b, given))
    return false;
  for (int k = 0; k < carried; ++k)
    values.push_back(expr[b->output(1 + k).name()]);
  assignCarried(vars, values);
  body += indent + "}\n";
  for (int k = 0; k < carried && k < n.output_size(); ++k)
    expr[n.output(k)] = vars[size_t(k)];
  return !failed;
}

/// Scan over one sequence: nnc's `scan`, stacking along the same axis.
bool Importer::scan(const onnx::NodeProto &n) {
  const onnx::GraphProto *b = bodyOf(n);
  int64_t inputs = intAttr(n, "num_scan_inputs", 0);
  if (opset < 9)
    return fail(n, "Scan of opset 8 (batched, with sequence lengths) is not "
                   "supported");
  if (!b || inputs < 1 || b->input_size() != n.input_size())
    return fail(n, "a Scan without a well-formed body");
  if (inputs != 1)
    return fail(n, "a Scan over several sequences is not supported (nnc's "
                   "scan reads one)");
  for (const char *dir : {"scan_input_directions", "scan_output_directions"})
    for (int64_t d : intsAttr(n, dir))
      if (d != 0)
        return fail(n, "reversed scans are not supported");
  int carried = n.input_size() - 1;
  int stacked = b->output_size() - carried;
  std::vector<int64_t> inAxes = intsAttr(n, "scan_input_axes"),
                       outAxes = intsAttr(n, "scan_output_axes");
  int r = rank(inp(n, carried));
  int64_t axis = inAxes.empty() ? 0 : inAxes[0];
  if (axis < 0)
    axis += r;
  for (int64_t a : outAxes)
    if ((a < 0 ? a + r : a) != axis)
      return fail(n, "stacking along another axis than the scanned one is "
                     "not supported");
  if (stacked < 1)
    return fail(n, "a Scan that stacks nothing is not supported");
  for (int k = 0; k < carried; ++k)
    if (!n.output(k).empty() &&
        (readers.count(n.output(k)) || graphOutputs.count(n.output(k))))
      return fail(n, "using a Scan's final state is not supported (nnc's "
                     "scan gives the stacked values)");
  std::string seq = value(n, carried);
  std::vector<std::string> vars, values, outs;
  std::string carry;
  for (int k = 0; k < carried; ++k) {
    std::string v = ident(b->input(k).name(), "c_");
    carry += (k ? ", " : "") + v + " = " + value(n, k);
    expr[b->input(k).name()] = v;
    vars.push_back(v);
  }
  std::string xt = ident(b->input(carried).name(), "x_");
  expr[b->input(carried).name()] = xt;
  std::string lhs;
  for (int k = 0; k < stacked; ++k) {
    outs.push_back(ident(n.output(carried + k), "v_"));
    lhs += (k ? ", " : "") + outs.back();
  }
  body += indent + "let " + (stacked > 1 ? "(" + lhs + ")" : lhs) + " = scan " +
          xt + " in " + seq + " axis " + std::to_string(axis) +
          (carried ? " carry (" + carry + ")" : "") + " {\n";
  std::vector<Shape> given;
  for (int k = 0; k < carried; ++k)
    given.push_back(shapes[inp(n, k)]);
  Shape slice = shapes[inp(n, carried)];
  if (slice.known && axis < int64_t(slice.dims.size())) {
    slice.dims.erase(slice.dims.begin() + axis);
    slice.sym.erase(slice.sym.begin() + axis);
  }
  given.push_back(slice);
  if (!graphBody(n, *b, given))
    return false;
  for (int k = 0; k < carried; ++k)
    values.push_back(expr[b->output(k).name()]);
  assignCarried(vars, values);
  std::string y;
  for (int k = 0; k < stacked; ++k)
    y += (k ? ", " : "") + expr[b->output(carried + k).name()];
  body += indent + "  yield " + (stacked > 1 ? "(" + y + ")" : y) + "\n";
  body += indent + "}\n";
  for (int k = 0; k < stacked; ++k)
    expr[n.output(carried + k)] = outs[size_t(k)];
  return !failed;
}

} // namespace onnx_import
} // namespace nnc
