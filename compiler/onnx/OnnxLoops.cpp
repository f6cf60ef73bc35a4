//===- OnnxLoops.cpp - Sizes, loops and random numbers as ONNX ------------===//
//
// What the op-by-op part of the exporter (OnnxNodes.cpp) does not write:
// integer scalars (a dynamic batch size, a loop counter) become int64 ONNX
// scalars where they are used, so `zeros([B, 4])` is a ConstantOfShape of
// the input's batch size; a `scan` becomes ONNX's Scan (the body runs on
// slices along an axis and stacks what it yields, as nnc's scan does) and
// any other `for` a Loop with its counter and carried values; random
// tensors become RandomNormalLike / RandomUniformLike carrying nnc's seed,
// so that `nnc import` gives back a model that draws the same numbers.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxExporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"

using namespace nnc;
using namespace nnc::onnx_export;
using namespace mlir;

namespace {
constexpr int kInt64 = onnx::TensorProto::INT64;

std::optional<int64_t> constantInt(Value v) {
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.getSExtValue();
  return std::nullopt;
}

/// The axis that `s` takes one element of at the loop counter `iv` (every
/// other offset 0, every stride 1, the axis dropped from the slice), or -1.
int64_t counterAxis(OffsetSizeAndStrideOpInterface s, Value iv,
                    RankedTensorType full, RankedTensorType slice) {
  if (slice.getRank() + 1 != full.getRank())
    return -1;
  int64_t axis = -1;
  SmallVector<OpFoldResult> offsets = s.getMixedOffsets(),
                            sizes = s.getMixedSizes(),
                            strides = s.getMixedStrides();
  for (int64_t d = 0; d < full.getRank(); ++d) {
    if (getConstantIntValue(strides[d]) != 1)
      return -1;
    auto v = dyn_cast<Value>(offsets[d]);
    if (v && v == iv) {
      if (axis >= 0 || getConstantIntValue(sizes[d]) != 1)
        return -1;
      axis = d;
      continue;
    }
    if (getConstantIntValue(offsets[d]) != 0)
      return -1;
    std::optional<int64_t> size = getConstantIntValue(sizes[d]);
    if (size && !full.isDynamicDim(d) && *size != full.getDimSize(d))
      return -1;
  }
  return axis;
}

/// A graph input or output named `name` of type `t` (unknown sizes left
/// open).
void typed(onnx::ValueInfoProto &vi, const std::string &name, Type t) {
  vi.set_name(name);
  auto *tt = vi.mutable_type()->mutable_tensor_type();
  if (t.isIndex()) {
    tt->set_elem_type(kInt64);
    tt->mutable_shape();
    return;
  }
  auto rt = cast<RankedTensorType>(t);
  tt->set_elem_type(onnxType(rt.getElementType()));
  auto *shape = tt->mutable_shape();
  for (int64_t d : rt.getShape()) {
    auto *dim = shape->add_dim();
    if (!ShapedType::isDynamic(d))
      dim->set_dim_value(d);
  }
}

/// How one `for` maps onto ONNX: carried values, values stacked one slice
/// per iteration (nnc's scan outputs) and values read one slice per
/// iteration (nnc's scan inputs).
struct LoopPlan {
  SmallVector<unsigned> carried;
  SmallVector<std::pair<unsigned, int64_t>> stacked; // result, axis
  SmallVector<std::pair<tensor::ExtractSliceOp, int64_t>> sliced;
  bool counterOnlyInSlices = true;
  bool scan = false; ///< ONNX Scan; else Loop
  int64_t lb = 0, step = 1;
};

LoopPlan planLoop(scf::ForOp loop) {
  LoopPlan p;
  Value iv = loop.getInductionVar();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  SmallVector<Operation *> stackers;
  for (unsigned k = 0; k < loop.getNumRegionIterArgs(); ++k) {
    BlockArgument ba = loop.getRegionIterArgs()[k];
    auto ins = yield.getOperand(k).getDefiningOp<tensor::InsertSliceOp>();
    int64_t axis =
        ins && ins.getDest() == ba && ba.hasOneUse() && ins->hasOneUse() &&
                loop.getInitArgs()[k].getDefiningOp<tensor::EmptyOp>()
            ? counterAxis(ins, iv, ins.getDestType(), ins.getSourceType())
            : -1;
    if (axis < 0) {
      p.carried.push_back(k);
      continue;
    }
    p.stacked.push_back({k, axis});
    stackers.push_back(ins);
  }
  for (OpOperand &use : iv.getUses()) {
    Operation *u = use.getOwner();
    if (llvm::is_contained(stackers, u))
      continue;
    auto ex = dyn_cast<tensor::ExtractSliceOp>(u);
    int64_t axis = ex && loop.isDefinedOutsideOfLoop(ex.getSource())
                       ? counterAxis(ex, iv, ex.getSourceType(), ex.getType())
                       : -1;
    if (axis >= 0)
      p.sliced.push_back({ex, axis});
    else
      p.counterOnlyInSlices = false;
  }
  std::optional<int64_t> lb = constantInt(loop.getLowerBound()),
                         step = constantInt(loop.getStep());
  p.lb = lb.value_or(-1);
  p.step = step.value_or(-1);
  // A Scan runs once per slice: the bounds must be 0 to every sliced
  // input's length along its axis.
  p.scan = p.counterOnlyInSlices && !p.sliced.empty() && p.lb == 0 &&
           p.step == 1;
  Value ub = loop.getUpperBound();
  for (auto &[ex, axis] : p.sliced) {
    RankedTensorType st = ex.getSourceType();
    auto dim = ub.getDefiningOp<tensor::DimOp>();
    bool same = dim && dim.getSource() == ex.getSource() &&
                dim.getConstantIndex() == axis;
    std::optional<int64_t> n = constantInt(ub);
    if (!same && !(n && !st.isDynamicDim(axis) && st.getDimSize(axis) == *n))
      p.scan = false;
  }
  return p;
}
} // namespace

std::string Exporter::intScalar(Value v) {
  if (auto it = ints.find(v); it != ints.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  auto binary = [&](const char *op) -> std::string {
    std::string a = intScalar(def->getOperand(0));
    std::string b = a.empty() ? "" : intScalar(def->getOperand(1));
    if (b.empty())
      return "";
    std::string r = fresh("size");
    node(op, {a, b}, r);
    return r;
  };
  std::string out;
  if (std::optional<int64_t> c = constantInt(v)) {
    out = initializer("size", kInt64, {}, &*c, 8);
  } else if (!def) {
    fail(v.getParentBlock()->getParentOp(),
         "nnc export cannot write this size");
  } else if (auto d = dyn_cast<tensor::DimOp>(def)) {
    std::optional<int64_t> k = d.getConstantIndex();
    Value src = d.getSource();
    auto it = names.find(src);
    int64_t axis = k.value_or(0);
    std::string t;
    if (it != names.end() && it->second.nhwc.empty() &&
        !it->second.nchw.empty() && axis < 4) {
      t = it->second.nchw; // an NCHW image: dimension d of NHWC is here
      axis = kToNHWC[axis];
    } else if (k) {
      t = get(src);
    }
    if (t.empty()) {
      fail(def, "nnc export cannot write this size");
      return "";
    }
    std::string shape = fresh("shape");
    node("Shape", {t}, shape);
    out = fresh("size");
    attr(node("Gather", {shape, initializer("axis", kInt64, {}, &axis, 8)},
              out),
         "axis", int64_t(0));
  } else if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
                 arith::ExtUIOp, arith::TruncIOp>(def)) {
    out = intScalar(def->getOperand(0));
  } else if (isa<arith::AddIOp>(def)) {
    out = binary("Add");
  } else if (isa<arith::SubIOp>(def)) {
    out = binary("Sub");
  } else if (isa<arith::MulIOp>(def)) {
    out = binary("Mul");
  } else if (isa<arith::DivSIOp, arith::DivUIOp>(def)) {
    out = binary("Div");
  } else if (isa<arith::MaxSIOp>(def)) {
    out = binary("Max");
  } else if (isa<arith::MinSIOp>(def)) {
    out = binary("Min");
  } else {
    fail(def, "nnc export cannot write '" + def->getName().getStringRef() +
                  "' (integer arithmetic) yet");
  }
  if (!out.empty())
    ints[v] = out;
  return out;
}

std::string Exporter::shapeOf(RankedTensorType t, ValueRange dynamicSizes) {
  if (t.hasStaticShape())
    return constI64("shape", t.getShape());
  std::vector<std::string> parts;
  unsigned k = 0;
  for (int64_t d : t.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      parts.push_back(constI64("dim", {d}));
      continue;
    }
    std::string s = intScalar(dynamicSizes[k++]);
    if (s.empty())
      return "";
    std::string u = fresh("dim");
    node("Unsqueeze", {s, constI64("axes", {0})}, u);
    parts.push_back(u);
  }
  std::string out = fresh("shape");
  onnx::NodeProto &n = node("Concat", {}, out);
  for (const std::string &p : parts)
    n.add_input(p);
  attr(n, "axis", int64_t(0));
  return out;
}

/// A one-element tensor of an integer scalar (a loop counter as a tensor).
bool Exporter::emitFromElements(Operation *op) {
  auto fe = cast<tensor::FromElementsOp>(op);
  RankedTensorType rt = fe.getType();
  // A random draw's stream (the loop iteration's): ONNX draws afresh.
  if (llvm::all_of(op->getUsers(), [](Operation *u) {
        return isa<nn::RandomOp, nn::BernoulliOp>(u);
      }))
    return true;
  if (fe.getElements().size() != 1 || !rt.getElementType().isInteger(64))
    return fail(op, "nnc export cannot write this tensor of scalars");
  std::string s = intScalar(fe.getElements()[0]);
  if (s.empty())
    return false;
  if (rt.getRank() == 0) {
    set(fe.getResult(), s);
    return true;
  }
  std::string out = fresh("elements");
  node("Reshape", {s, constI64("shape", rt.getShape())}, out);
  set(fe.getResult(), out);
  return true;
}

/// `arange(n)`: 0, 1, ..., n-1 as int64, ONNX's Range.
bool Exporter::emitGenerate(Operation *op) {
  auto gen = cast<tensor::GenerateOp>(op);
  RankedTensorType rt = gen.getType();
  Block &body = gen.getBody().front();
  auto yield = cast<tensor::YieldOp>(body.getTerminator());
  auto cast = yield.getValue().getDefiningOp<arith::IndexCastOp>();
  if (rt.getRank() != 1 || !rt.getElementType().isInteger(64) || !cast ||
      cast.getIn() != body.getArgument(0))
    return fail(op, "nnc export cannot write this generated tensor yet");
  std::string limit;
  if (rt.isDynamicDim(0)) {
    limit = intScalar(gen.getDynamicExtents()[0]);
  } else {
    int64_t n = rt.getDimSize(0);
    limit = initializer("limit", kInt64, {}, &n, 8);
  }
  if (limit.empty())
    return false;
  int64_t zero = 0, one = 1;
  std::string out = fresh("arange");
  node("Range",
       {initializer("start", kInt64, {}, &zero, 8), limit,
        initializer("delta", kInt64, {}, &one, 8)},
       out);
  set(gen.getResult(), out);
  return true;
}

bool Exporter::emitRandom(Operation *op) {
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t dtype = onnxType(rt.getElementType());
  auto seeded = [&](onnx::NodeProto &n, const char *kind, int64_t seed) {
    // ONNX's seed is a float: its low 24 bits (exact in a float, and
    // apart for neighbouring seeds); the whole one is kept for `nnc import`.
    attr(n, "seed", float(seed & 0xFFFFFF));
    attr(n, "dtype", dtype);
    n.set_doc_string("nnc: " + std::string(kind) + " seed " +
                     std::to_string(seed));
  };
  std::string out = fresh("random");
  if (auto b = dyn_cast<nn::BernoulliOp>(op)) {
    if (b.getStream() || b.getOffset() != 0)
      return fail(op, "nnc export writes inference graphs: this draws fresh "
                      "noise at each training step");
    std::string p = get(b.getP()), u = fresh("uniform"), lt = fresh("less");
    seeded(node("RandomUniformLike", {p}, u), "bernoulli", b.getSeed());
    node("Less", {u, p}, lt);
    attr(node("Cast", {lt}, out), "to", dtype);
    set(b.getResult(), out);
    return true;
  }
  auto r = cast<nn::RandomOp>(op);
  // In a loop's body the stream makes each iteration draw other numbers,
  // as a random node in an ONNX loop body does (and `nnc import` puts the
  // draw back in a loop, where nnc mixes in the iteration again).
  if ((r.getStream() && !op->getParentOfType<scf::ForOp>()) ||
      r.getOffset() != 0)
    return fail(op, "nnc export writes inference graphs: this draws fresh "
                    "noise at each training step");
  std::string shape = shapeOf(rt, r.getDynamicSizes());
  if (shape.empty())
    return false;
  std::string like = filled(shape, 0.0, rt.getElementType());
  float a = float(r.getA().convertToDouble()),
        b = float(r.getB().convertToDouble());
  switch (r.getKind()) {
  case nn::RandomKind::normal: {
    onnx::NodeProto &n = node("RandomNormalLike", {like}, out);
    attr(n, "mean", a);
    attr(n, "scale", b);
    seeded(n, "normal", r.getSeed());
    break;
  }
  case nn::RandomKind::uniform: {
    onnx::NodeProto &n = node("RandomUniformLike", {like}, out);
    attr(n, "low", a);
    attr(n, "high", b);
    seeded(n, "uniform", r.getSeed());
    break;
  }
  case nn::RandomKind::gumbel: { // -log(-log(u)), u in (0, 1)
    std::string u = fresh("uniform"), l1 = fresh("log"), n1 = fresh("neg"),
                l2 = fresh("log");
    onnx::NodeProto &n = node("RandomUniformLike", {like}, u);
    attr(n, "low", 1e-20f);
    attr(n, "high", 0.99999994f);
    seeded(n, "gumbel", r.getSeed());
    node("Log", {u}, l1);
    node("Neg", {l1}, n1);
    node("Log", {n1}, l2);
    node("Neg", {l2}, out);
    break;
  }
  }
  set(r.getResult(), out);
  return true;
}

bool Exporter::emitFor(Operation *op) {
  auto loop = cast<scf::ForOp>(op);
  LoopPlan p = planLoop(loop);
  if (!p.scan && (p.lb < 0 || p.step <= 0))
    return fail(op, "nnc export writes loops with constant bounds and step "
                    "or over a tensor's slices");
  // The trip count (Loop) before any node of the loop itself.
  std::string trips;
  if (!p.scan) {
    std::optional<int64_t> ub = constantInt(loop.getUpperBound());
    if (ub) {
      int64_t m = std::max<int64_t>(0, (*ub - p.lb + p.step - 1) / p.step);
      trips = initializer("trips", kInt64, {}, &m, 8);
    } else if (p.lb == 0 && p.step == 1) {
      trips = intScalar(loop.getUpperBound());
    } else {
      return fail(op, "nnc export writes loops with constant bounds and "
                      "step or over a tensor's slices");
    }
    if (trips.empty())
      return false;
  }
  std::vector<std::string> ins;
  if (!p.scan)
    ins = {trips, ""};
  for (unsigned k : p.carried)
    ins.push_back(get(loop.getInitArgs()[k]));
  if (p.scan)
    for (auto &s : p.sliced)
      ins.push_back(get(s.first.getSource()));
  std::string name = fresh(p.scan ? "scan" : "loop");
  onnx::NodeProto &n = node(p.scan ? "Scan" : "Loop", {}, name);
  n.clear_output();
  for (const std::string &i : ins)
    n.add_input(i);
  std::vector<std::string> outs;
  for (size_t k = 0; k < p.carried.size() + p.stacked.size(); ++k) {
    outs.push_back(fresh(name + "_out"));
    n.add_output(outs.back());
  }
  auto *ga = n.add_attribute();
  ga->set_name("body");
  ga->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto &body = *ga->mutable_g();
  body.set_name(name + "_body");
  if (p.scan) {
    attr(n, "num_scan_inputs", int64_t(p.sliced.size()));
    std::vector<int64_t> inAxes, outAxes;
    for (auto &s : p.sliced)
      inAxes.push_back(s.second);
    for (auto &s : p.stacked)
      outAxes.push_back(s.second);
    attr(n, "scan_input_axes", inAxes);
    if (!outAxes.empty())
      attr(n, "scan_output_axes", outAxes);
  }
  // The body sees outer values but makes names of its own: what it adds to
  // the maps is forgotten after it.
  auto savedNames = names;
  auto savedInts = ints;
  bool ok = emitBody(op, body);
  names = std::move(savedNames);
  ints = std::move(savedInts);
  if (!ok)
    return false;
  size_t o = 0;
  for (unsigned k : p.carried)
    set(loop.getResult(k), outs[o++]);
  for (auto &[k, axis] : p.stacked) {
    std::string stackedName = outs[o++];
    if (!p.scan && axis != 0) { // Loop stacks along a new first axis
      int64_t rank = cast<RankedTensorType>(loop.getResult(k).getType())
                         .getRank();
      std::vector<int64_t> perm;
      for (int64_t d = 1; d < rank; ++d)
        perm.push_back(d);
      perm.insert(perm.begin() + axis, 0);
      std::string t = fresh("stacked");
      attr(node("Transpose", {stackedName}, t), "perm", perm);
      stackedName = t;
    }
    set(loop.getResult(k), stackedName);
  }
  return true;
}

/// The body graph of the Scan or Loop made for `op`: inputs, the ops of
/// the loop's body, outputs.
bool Exporter::emitBody(Operation *op, onnx::GraphProto &body) {
  auto loop = cast<scf::ForOp>(op);
  LoopPlan p = planLoop(loop);
  onnx::GraphProto *outer = cur;
  cur = &body;
  auto input = [&](Value v, Type t, const char *hint) {
    std::string nm = fresh(hint);
    typed(*body.add_input(), nm, t);
    if (v)
      set(v, nm);
    return nm;
  };
  std::string cond;
  if (!p.scan) {
    std::string iter = input(Value(), IndexType::get(op->getContext()),
                             "iteration");
    cond = input(Value(), RankedTensorType::get({}, IntegerType::get(
                                                        op->getContext(), 1)),
                 "cond");
    std::string iv = iter;
    if (p.step != 1) {
      iv = fresh("counter");
      node("Mul", {iter, initializer("step", kInt64, {}, &p.step, 8)}, iv);
    }
    if (p.lb != 0) {
      std::string shifted = fresh("counter");
      node("Add", {iv, initializer("start", kInt64, {}, &p.lb, 8)}, shifted);
      iv = shifted;
    }
    ints[loop.getInductionVar()] = iv;
  }
  for (unsigned k : p.carried)
    input(loop.getRegionIterArgs()[k], loop.getRegionIterArgs()[k].getType(),
          "carried");
  llvm::DenseSet<Operation *> skip;
  for (auto &[ex, axis] : p.sliced) {
    skip.insert(ex);
    if (p.scan) {
      input(ex.getResult(), ex.getType(), "slice");
      continue;
    }
    std::string s = fresh("slice");
    attr(node("Gather", {get(ex.getSource()),
                         intScalar(loop.getInductionVar())},
              s),
         "axis", axis);
    set(ex.getResult(), s);
  }
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto &s : p.stacked)
    skip.insert(yield.getOperand(s.first).getDefiningOp());
  for (Operation &o : loop.getBody()->without_terminator())
    if (!skip.count(&o) && !emit(&o)) {
      cur = outer;
      return false;
    }
  auto output = [&](Type t, const std::string &from) {
    std::string nm = fresh("body_out");
    node("Identity", {from}, nm);
    typed(*body.add_output(), nm, t);
  };
  if (!p.scan)
    output(RankedTensorType::get({}, IntegerType::get(op->getContext(), 1)),
           cond);
  for (unsigned k : p.carried)
    output(yield.getOperand(k).getType(), get(yield.getOperand(k)));
  for (auto &s : p.stacked) {
    auto ins = yield.getOperand(s.first).getDefiningOp<tensor::InsertSliceOp>();
    output(ins.getSourceType(), get(ins.getSource()));
  }
  cur = outer;
  return true;
}
