//===- OnnxExport.cpp - `nnc export`: a trained model as ONNX -------------===//
//
// The model's forward function in the nn dialect (as MLIRGen builds it for
// inference) maps almost op for op onto ONNX; the checkpoint's tensors
// become initializers. nnc's images are NHWC with HWIO filters, ONNX's are
// NCHW with OIHW: each value keeps the layouts it has been made in, so a
// chain of convolutions, pooling, batch norm and element-wise ops stays in
// NCHW and a transpose appears only where the layout matters (the input,
// a flatten); filters and per-channel vectors are rearranged once, in the
// initializers. The result is checked by ONNX's own checker and strict
// shape inference (libonnx) before it is written, atomically.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxExport.h"
#include "dialect/NNDialect.h"
#include "codegen/Remarks.h"
#include "driver/Compile.h"
#include "driver/ModelWeights.h"
#include "driver/Signature.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstring>

using namespace nnc;
using namespace mlir;

#ifndef NNC_VERSION
#define NNC_VERSION "0.0.0"
#endif

namespace {

/// The names a value has in the ONNX graph: as nnc lays it out, and (for
/// rank-4 images) transposed to NCHW; either may be missing until asked.
struct Names {
  std::string nhwc, nchw;
};

enum class Layout { NHWC, NCHW };

const int64_t kToNCHW[] = {0, 3, 1, 2}, kToNHWC[] = {0, 2, 3, 1};

int onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  if (t.isInteger(32))
    return onnx::TensorProto::INT32;
  if (t.isInteger(64))
    return onnx::TensorProto::INT64;
  return onnx::TensorProto::UNDEFINED;
}

int onnxType(const nnc_tensor &t) {
  switch (t.dtype) {
  case NNC_F32:
    return onnx::TensorProto::FLOAT;
  case NNC_F64:
    return onnx::TensorProto::DOUBLE;
  case NNC_I32:
    return onnx::TensorProto::INT32;
  case NNC_I64:
    return onnx::TensorProto::INT64;
  case NNC_U8:
    return onnx::TensorProto::UINT8;
  case NNC_BOOL:
    return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

class Exporter {
public:
  Exporter(onnx::GraphProto &g, const nnc_named_tensors &w,
           std::string prefix, int opset, const llvm::SourceMgr &sm,
           nnc::DiagnosticEngine &diags)
      : g(g), weights(w), prefix(std::move(prefix)), opset(opset), sm(sm),
        diags(diags) {}

  bool run(func::FuncOp f, const ModelSignature &sig);

private:
  onnx::GraphProto &g;
  const nnc_named_tensors &weights;
  std::string prefix; ///< of the weights' names in the checkpoint ("gen.")
  int opset;
  const llvm::SourceMgr &sm;
  nnc::DiagnosticEngine &diags;
  llvm::DenseMap<Value, Names> names;
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
    onnx::NodeProto &n = *g.add_node();
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
    return initializer(hint, onnx::TensorProto::INT64,
                       {int64_t(v.size())}, v.data(), v.size() * 8);
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
  /// Reports `why` at the .nn line `op` comes from.
  bool fail(Operation *op, const llvm::Twine &why) {
    if (!failed) {
      FileLineColLoc at = firstPosition(op->getLoc());
      llvm::SMLoc loc;
      for (unsigned b = 1; at && b <= sm.getNumBuffers() && !loc.isValid();
           ++b)
        if (sm.getMemoryBuffer(b)->getBufferIdentifier() ==
            at.getFilename().getValue())
          // (Only the SourceMgr's lazily built line table changes.)
          loc = const_cast<llvm::SourceMgr &>(sm).FindLocForLineAndColumn(
              b, at.getLine(), at.getColumn());
      if (loc.isValid())
        diags.error(loc, why);
      else
        diags.error(why);
    }
    failed = true;
    return false;
  }

  bool emit(Operation *op);
  bool emitElementwise(Operation *op);
  bool emitConv(nn::Conv2DOp op);
  bool emitConvTranspose(nn::ConvTranspose2DOp op);
  bool emitPool(nn::Pool2DOp op);
  bool emitReduce(nn::ReduceOp op);
  bool emitSlice(nn::SliceOp op);
  bool emitNorm(Operation *op);
  bool emitConstant(nn::ConstantOp op);
  bool emitFill(nn::FillOp op);
};

/// A parameter in `form`: "" as stored, "oihw" (a conv2d filter), "iohw"
/// (a conv_transpose2d filter) or "c11" (a per-channel vector broadcast
/// over NCHW images); made once, named after the parameter.
std::string Exporter::paramForm(Value v, llvm::StringRef form) {
  const std::string &pname = params.lookup(v);
  std::string key = pname + "|" + form.str();
  if (auto it = derived.find(key); it != derived.end())
    return it->second;
  const nnc_tensor &t =
      weights.tensors[nnc_named_find(&weights, (prefix + pname).c_str())];
  size_t elem = nnc_dtype_size(t.dtype);
  size_t bytes = size_t(nnc_tensor_numel(&t)) * elem;
  std::vector<int64_t> dims(t.dims, t.dims + t.rank);
  std::vector<char> data(static_cast<const char *>(t.data),
                         static_cast<const char *>(t.data) + bytes);
  if (form == "oihw" || form == "iohw") {
    // [KH, KW, C, F] -> [F, C, KH, KW] (oihw) or [C, F, KH, KW] (iohw).
    int64_t kh = dims[0], kw = dims[1], c = dims[2], f = dims[3];
    bool oihw = form == "oihw";
    const char *src = static_cast<const char *>(t.data);
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < c; ++i)
          for (int64_t o = 0; o < f; ++o) {
            int64_t from = ((y * kw + x) * c + i) * f + o;
            int64_t to = oihw ? ((o * c + i) * kh + y) * kw + x
                              : ((i * f + o) * kh + y) * kw + x;
            std::memcpy(&data[to * elem], src + from * elem, elem);
          }
    dims = oihw ? std::vector<int64_t>{f, c, kh, kw}
                : std::vector<int64_t>{c, f, kh, kw};
  } else if (form == "c11") {
    dims = {dims.empty() ? 1 : dims[0], 1, 1};
  }
  std::string name = unique(pname);
  onnx::TensorProto &init = *g.add_initializer();
  init.set_name(name);
  init.set_data_type(onnxType(t));
  for (int64_t d : dims)
    init.add_dims(d);
  init.set_raw_data(data.data(), data.size());
  derived[key] = name;
  return name;
}

/// `v` in layout `l`, transposing (once) what was made in the other.
std::string Exporter::get(Value v, Layout l) {
  if (params.count(v) && names[v].nhwc.empty()) {
    std::string stored = paramForm(v, "");
    names[v].nhwc = stored;
  }
  Names &n = names[v];
  std::string &want = l == Layout::NHWC ? n.nhwc : n.nchw;
  if (!want.empty())
    return want;
  const std::string &have = l == Layout::NHWC ? n.nchw : n.nhwc;
  std::string out = fresh(l == Layout::NHWC ? "nhwc" : "nchw");
  attr(node("Transpose", {have}, out), "perm",
       l == Layout::NHWC ? llvm::ArrayRef(kToNHWC) : llvm::ArrayRef(kToNCHW));
  // `names[v]` may have moved: look it up again.
  (l == Layout::NHWC ? names[v].nhwc : names[v].nchw) = out;
  return out;
}

/// Element-wise ops by name: one ONNX op each.
const llvm::StringMap<const char *> &simpleOps() {
  static const llvm::StringMap<const char *> ops = {
      {"relu", "Relu"},      {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"},
      {"erf", "Erf"},        {"softplus", "Softplus"}, {"exp", "Exp"},
      {"log", "Log"},        {"sqrt", "Sqrt"},       {"abs", "Abs"},
      {"neg", "Neg"},        {"sin", "Sin"},         {"cos", "Cos"},
      {"floor", "Floor"},    {"sign", "Sign"},       {"add", "Add"},
      {"sub", "Sub"},        {"mul", "Mul"},         {"div", "Div"},
      {"maximum", "Max"},    {"minimum", "Min"},     {"pow", "Pow"},
      {"and", "And"},        {"or", "Or"},           {"select", "Where"},
      {"dropout", "Identity"}, {"stop_gradient", "Identity"},
      {"rem", "Mod"},        {"leaky_relu", "LeakyRelu"},
      {"elu", "Elu"},        {"clip", "Clip"},
  };
  return ops;
}

/// Element-wise ops: in NCHW when an image operand already is (and every
/// other operand is an image, a scalar or one value per channel), else in
/// nnc's layout. Composite ops (gelu, silu, ...) become a few nodes.
bool Exporter::emitElementwise(Operation *op) {
  llvm::StringRef kind = op->getName().stripDialect();
  Value result = op->getResult(0);
  // conv + per-channel bias parameter: the bias is the Conv's third input.
  if (auto add = dyn_cast<nn::AddOp>(op)) {
    Value conv = add.getLhs(), bias = add.getRhs();
    auto bt = cast<RankedTensorType>(bias.getType());
    auto it = biasless.find(conv);
    if (it != biasless.end() && conv.hasOneUse() && params.count(bias) &&
        bt.getRank() == 1 &&
        bt.getDimSize(0) == cast<RankedTensorType>(conv.getType()).getDimSize(3)) {
      g.mutable_node(it->second)->add_input(get(bias));
      biasless.erase(it);
      set(result, get(conv, Layout::NCHW), Layout::NCHW);
      return true;
    }
  }
  auto rt = cast<RankedTensorType>(result.getType());
  bool nchw = rt.getRank() == 4 &&
              llvm::any_of(op->getOperands(),
                           [&](Value o) { return hasNCHW(o); });
  int64_t channels = rt.getRank() == 4 ? rt.getDimSize(3) : -1;
  for (Value o : op->getOperands()) {
    auto ot = dyn_cast<RankedTensorType>(o.getType());
    if (!ot || (ot.getRank() != 4 && ot.getRank() != 0 &&
                !(ot.getRank() == 1 && (ot.getDimSize(0) == channels ||
                                        ot.getDimSize(0) == 1))))
      nchw = false;
  }
  Layout l = nchw ? Layout::NCHW : Layout::NHWC;
  std::vector<std::string> ins;
  for (Value o : op->getOperands()) {
    auto ot = cast<RankedTensorType>(o.getType());
    if (!nchw || ot.getRank() == 4) {
      ins.push_back(get(o, l));
    } else if (ot.getRank() == 0) {
      ins.push_back(get(o));
    } else if (params.count(o)) {
      ins.push_back(paramForm(o, "c11"));
    } else {
      std::string out = fresh("c11");
      node("Unsqueeze", {get(o), constI64("axes", {1, 2})}, out);
      ins.push_back(out);
    }
  }
  std::string out = fresh(kind);
  set(result, out, l);
  auto unary = [&](const char *o, const std::string &in,
                   const std::string &res) { node(o, {in}, res); };
  if (auto it = simpleOps().find(kind); it != simpleOps().end()) {
    onnx::NodeProto &n = *g.add_node();
    n.set_op_type(it->second);
    n.set_name(out);
    for (const std::string &i : ins)
      n.add_input(i);
    n.add_output(out);
    if (auto lr = dyn_cast<nn::LeakyReluOp>(op))
      attr(n, "alpha", float(lr.getSlope().convertToDouble()));
    if (isa<nn::EluOp>(op))
      attr(n, "alpha", 1.0f);
    if (isa<nn::RemOp>(op))
      attr(n, "fmod", int64_t(1));
    if (auto c = dyn_cast<nn::ClipOp>(op)) {
      n.add_input(scalar(c.getLow().convertToDouble(), rt));
      n.add_input(scalar(c.getHigh().convertToDouble(), rt));
    }
    if (auto d = dyn_cast<nn::DropoutOp>(op); d && d.getTraining())
      return fail(op, "nnc export writes inference graphs: this dropout is "
                      "in training mode");
    return true;
  }
  const std::string &x = ins[0];
  if (kind == "gelu") { // x * 0.5 * (1 + erf(x / sqrt(2)))
    std::string a = fresh("gelu"), e = fresh("gelu"), p = fresh("gelu"),
                m = fresh("gelu");
    node("Div", {x, scalar(std::sqrt(2.0), rt)}, a);
    unary("Erf", a, e);
    node("Add", {e, scalar(1.0, rt)}, p);
    node("Mul", {x, p}, m);
    node("Mul", {m, scalar(0.5, rt)}, out);
  } else if (kind == "silu") {
    std::string s = fresh("silu");
    unary("Sigmoid", x, s);
    node("Mul", {x, s}, out);
  } else if (kind == "square") {
    node("Mul", {x, x}, out);
  } else if (kind == "rsqrt") {
    std::string s = fresh("rsqrt");
    unary("Sqrt", x, s);
    unary("Reciprocal", s, out);
  } else if (kind == "log1p") {
    std::string s = fresh("log1p");
    node("Add", {x, scalar(1.0, rt)}, s);
    unary("Log", s, out);
  } else if (auto c = dyn_cast<nn::CompareOp>(op)) {
    static const char *const onnxOps[] = {"Equal", "Equal", "Less",
                                          "LessOrEqual", "Greater",
                                          "GreaterOrEqual"};
    auto p = c.getPredicate();
    if (p == nn::ComparePredicate::ne) {
      std::string e = fresh("eq");
      node("Equal", {ins[0], ins[1]}, e);
      unary("Not", e, out);
    } else {
      node(onnxOps[int(p)], {ins[0], ins[1]}, out);
    }
  } else if (isa<nn::CastOp>(op)) {
    attr(node("Cast", {x}, out), "to", int64_t(onnxType(rt.getElementType())));
  } else {
    return fail(op, "nnc export cannot write '" + kind.str() + "' yet");
  }
  return true;
}

bool Exporter::emitConv(nn::Conv2DOp op) {
  std::string w = params.count(op.getFilter())
                      ? paramForm(op.getFilter(), "oihw")
                      : fresh("oihw");
  if (!params.count(op.getFilter()))
    attr(node("Transpose", {get(op.getFilter())}, w), "perm",
         llvm::ArrayRef<int64_t>{3, 2, 0, 1});
  std::string out = fresh("conv");
  onnx::NodeProto &n = node("Conv", {get(op.getInput(), Layout::NCHW), w}, out);
  auto p = op.getPadding(); // [top, bottom, left, right]
  attr(n, "pads", llvm::ArrayRef<int64_t>{p[0], p[2], p[1], p[3]});
  attr(n, "strides", op.getStride());
  attr(n, "dilations", op.getDilation());
  attr(n, "group", int64_t(op.getGroups()));
  set(op.getResult(), out, Layout::NCHW);
  biasless[op.getResult()] = g.node_size() - 1;
  return true;
}

bool Exporter::emitConvTranspose(nn::ConvTranspose2DOp op) {
  if (!params.count(op.getFilter()))
    return fail(op, "nnc export writes conv_transpose2d only with a "
                    "parameter as its filter");
  std::string out = fresh("convt");
  onnx::NodeProto &n =
      node("ConvTranspose", {get(op.getInput(), Layout::NCHW),
                             paramForm(op.getFilter(), "iohw")},
           out);
  auto p = op.getPadding();
  attr(n, "pads", llvm::ArrayRef<int64_t>{p[0], p[1], p[0], p[1]});
  attr(n, "strides", op.getStride());
  set(op.getResult(), out, Layout::NCHW);
  return true;
}

bool Exporter::emitPool(nn::Pool2DOp op) {
  bool isMax = op.getKind() == nn::PoolKind::max;
  std::string out = fresh(isMax ? "maxpool" : "avgpool");
  onnx::NodeProto &n = node(isMax ? "MaxPool" : "AveragePool",
                            {get(op.getInput(), Layout::NCHW)}, out);
  auto p = op.getPadding();
  attr(n, "kernel_shape", op.getWindow());
  attr(n, "strides", op.getStride());
  attr(n, "pads", llvm::ArrayRef<int64_t>{p[0], p[2], p[1], p[3]});
  if (!isMax) // nnc divides by the whole window, padding included
    attr(n, "count_include_pad", int64_t(1));
  set(op.getResult(), out, Layout::NCHW);
  return true;
}

bool Exporter::emitReduce(nn::ReduceOp op) {
  std::string out = fresh("reduce");
  std::string x = get(op.getInput());
  int64_t keep = op.getKeepdims();
  auto axes = op.getAxes();
  switch (op.getKind()) {
  case nn::ReduceKind::sum:
    attr(node("ReduceSum", {x, constI64("axes", axes)}, out), "keepdims",
         keep);
    break;
  case nn::ReduceKind::argmax:
  case nn::ReduceKind::argmin: {
    if (axes.size() != 1)
      return fail(op, "nnc export writes argmax/argmin over one axis only");
    onnx::NodeProto &n =
        node(op.getKind() == nn::ReduceKind::argmax ? "ArgMax" : "ArgMin",
             {x}, out);
    attr(n, "axis", axes[0]);
    attr(n, "keepdims", keep);
    auto et = cast<ShapedType>(op.getType()).getElementType();
    if (!et.isInteger(64)) { // ONNX gives int64
      std::string c = fresh("argcast");
      names[op.getResult()].nhwc = c;
      attr(node("Cast", {out}, c), "to", int64_t(onnxType(et)));
      return true;
    }
    break;
  }
  default: {
    static const char *const onnxOps[] = {"",          "ReduceMean",
                                          "ReduceMax", "ReduceMin",
                                          "ReduceProd", "ReduceLogSumExp"};
    onnx::NodeProto &n = node(onnxOps[int(op.getKind())], {x}, out);
    attr(n, "axes", axes);
    attr(n, "keepdims", keep);
  }
  }
  set(op.getResult(), out);
  return true;
}

bool Exporter::emitSlice(nn::SliceOp op) {
  auto starts = op.getStarts(), sizes = op.getSizes(),
       strides = op.getStrides();
  std::vector<int64_t> s, e, axes, steps;
  for (size_t i = 0; i < starts.size(); ++i) {
    if (sizes[i] < 0) { // the whole (dynamic) dimension
      if (starts[i] != 0 || strides[i] != 1)
        return fail(op, "nnc export cannot write this slice of a dynamic "
                        "dimension");
      continue;
    }
    s.push_back(starts[i]);
    e.push_back(starts[i] + (sizes[i] - 1) * strides[i] + 1);
    axes.push_back(int64_t(i));
    steps.push_back(strides[i]);
  }
  std::string out = fresh("slice");
  node("Slice",
       {get(op.getInput()), constI64("starts", s), constI64("ends", e),
        constI64("axes", axes), constI64("steps", steps)},
       out);
  if (!op.getSqueeze().empty()) {
    std::string sq = fresh("squeeze");
    node("Squeeze", {out, constI64("axes", op.getSqueeze())}, sq);
    out = sq;
  }
  set(op.getResult(), out);
  return true;
}

/// Batch norm (channels last in nnc; axis 1 in ONNX) and layer norm.
bool Exporter::emitNorm(Operation *op) {
  std::string out = fresh("norm");
  if (auto ln = dyn_cast<nn::LayerNormOp>(op)) {
    if (opset < 17)
      return fail(op, "layer_norm needs ONNX opset 17 (--opset 17)");
    auto rt = cast<RankedTensorType>(ln.getType());
    auto gt = cast<RankedTensorType>(ln.getGamma().getType());
    onnx::NodeProto &n =
        node("LayerNormalization",
             {get(ln.getInput()), get(ln.getGamma()), get(ln.getBeta())}, out);
    attr(n, "axis", int64_t(rt.getRank() - gt.getRank()));
    attr(n, "epsilon", float(ln.getEps().convertToDouble()));
    set(ln.getResult(), out);
    return true;
  }
  auto bn = cast<nn::BatchNormOp>(op);
  if (bn.getTraining())
    return fail(op, "nnc export writes inference graphs: this batch_norm is "
                    "in training mode");
  auto rt = cast<RankedTensorType>(bn.getType());
  std::string x;
  Layout l = Layout::NHWC;
  std::vector<int64_t> toFirst, back;
  if (rt.getRank() == 4) {
    l = Layout::NCHW;
    x = get(bn.getInput(), l);
  } else if (rt.getRank() == 2) {
    x = get(bn.getInput());
  } else {
    // [B, ..., C] -> [B, C, ...] and back.
    int64_t r = rt.getRank();
    toFirst = {0, r - 1};
    back = {0};
    for (int64_t d = 1; d < r - 1; ++d)
      toFirst.push_back(d);
    for (int64_t d = 2; d < r; ++d)
      back.push_back(d);
    back.push_back(1);
    x = fresh("cfirst");
    attr(node("Transpose", {get(bn.getInput())}, x), "perm",
         llvm::ArrayRef(toFirst));
  }
  std::string y = back.empty() ? out : fresh("norm");
  attr(node("BatchNormalization",
            {x, get(bn.getGamma()), get(bn.getBeta()), get(bn.getMean()),
             get(bn.getVar())},
            y),
       "epsilon", float(bn.getEps().convertToDouble()));
  if (!back.empty())
    attr(node("Transpose", {y}, out), "perm", llvm::ArrayRef(back));
  set(bn.getResult(), out, l);
  return true;
}

bool Exporter::emitConstant(nn::ConstantOp op) {
  auto attrV = dyn_cast<DenseElementsAttr>(op.getValue());
  auto rt = cast<RankedTensorType>(op.getType());
  if (!attrV || !rt.hasStaticShape())
    return fail(op, "nnc export cannot write this constant");
  Type et = rt.getElementType();
  std::vector<char> bytes;
  auto push = [&](const void *p, size_t n) {
    bytes.insert(bytes.end(), static_cast<const char *>(p),
                 static_cast<const char *>(p) + n);
  };
  if (et.isF32()) {
    for (APFloat v : attrV.getValues<APFloat>()) {
      float f = v.convertToFloat();
      push(&f, 4);
    }
  } else if (et.isF64()) {
    for (APFloat v : attrV.getValues<APFloat>()) {
      double d = v.convertToDouble();
      push(&d, 8);
    }
  } else if (et.isInteger(1)) {
    for (bool v : attrV.getValues<bool>()) {
      char c = v;
      push(&c, 1);
    }
  } else {
    unsigned width = et.getIntOrFloatBitWidth();
    for (APInt v : attrV.getValues<APInt>()) {
      int64_t x = v.getSExtValue();
      int32_t y = int32_t(x);
      push(width == 64 ? static_cast<const void *>(&x) : &y, width / 8);
    }
  }
  set(op.getResult(), initializer("const", onnxType(et), rt.getShape(),
                                  bytes.data(), bytes.size()));
  return true;
}

/// A tensor of one value and a static shape: ConstantOfShape.
bool Exporter::emitFill(nn::FillOp op) {
  auto rt = cast<RankedTensorType>(op.getType());
  Type et = rt.getElementType();
  double v = op.getValue().convertToDouble();
  onnx::TensorProto value;
  value.set_data_type(onnxType(et));
  value.add_dims(1);
  if (et.isF32()) {
    float f = float(v);
    value.set_raw_data(&f, 4);
  } else if (et.isF64()) {
    value.set_raw_data(&v, 8);
  } else if (et.isInteger(1)) {
    char c = v != 0;
    value.set_raw_data(&c, 1);
  } else if (et.isInteger(32)) {
    int32_t i = int32_t(v);
    value.set_raw_data(&i, 4);
  } else {
    int64_t i = int64_t(v);
    value.set_raw_data(&i, 8);
  }
  std::string out = fresh("fill");
  onnx::NodeProto &n = node("ConstantOfShape",
                            {constI64("shape", rt.getShape())}, out);
  auto *a = n.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = value;
  set(op.getResult(), out);
  return true;
}

bool Exporter::emit(Operation *op) {
  if (isa<func::ReturnOp>(op))
    return true;
  // Index arithmetic (the sizes of a random or filled tensor) becomes no
  // node by itself; an op that uses it says what it cannot write.
  if (llvm::all_of(op->getResultTypes(),
                   [](Type t) { return t.isIndex(); }) &&
      op->getNumResults() > 0)
    return true;
  llvm::StringRef dialect = op->getName().getDialectNamespace();
  if (dialect == "scf")
    return fail(op, "nnc export cannot write loops (`for`, `scan`) yet: "
                    "they would need ONNX's Loop or Scan");
  if (isa<nn::RandomOp, nn::BernoulliOp>(op))
    return fail(op, "nnc export writes deterministic inference graphs: this "
                    "samples random numbers");
  if (isa<nn::FillOp>(op) &&
      !cast<RankedTensorType>(op->getResult(0).getType()).hasStaticShape())
    return fail(op, "nnc export cannot write a filled tensor of a dynamic "
                    "shape yet");
  if (op->getNumResults() != 1)
    return fail(op, "nnc export cannot write '" +
                        op->getName().getStringRef().str() + "'");
  Value r = op->getResult(0);
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](nn::Conv2DOp c) { return emitConv(c); })
      .Case([&](nn::ConvTranspose2DOp c) { return emitConvTranspose(c); })
      .Case([&](nn::Pool2DOp p) { return emitPool(p); })
      .Case([&](nn::ReduceOp p) { return emitReduce(p); })
      .Case([&](nn::SliceOp p) { return emitSlice(p); })
      .Case([&](nn::ConstantOp c) { return emitConstant(c); })
      .Case([&](nn::FillOp fl) { return emitFill(fl); })
      .Case<nn::BatchNormOp, nn::LayerNormOp>(
          [&](Operation *o) { return emitNorm(o); })
      .Case([&](nn::MatmulOp m) {
        std::string out = fresh("matmul");
        node("MatMul", {get(m.getLhs()), get(m.getRhs())}, out);
        set(r, out);
        return true;
      })
      .Case([&](nn::ReshapeOp m) {
        auto rt = cast<RankedTensorType>(m.getType());
        std::vector<int64_t> shape(rt.getShape());
        for (int64_t &d : shape)
          if (ShapedType::isDynamic(d))
            d = -1;
        std::string out = fresh("reshape");
        node("Reshape", {get(m.getInput()), constI64("shape", shape)}, out);
        set(r, out);
        return true;
      })
      .Case([&](nn::TransposeOp t) {
        std::string out = fresh("transpose");
        attr(node("Transpose", {get(t.getInput())}, out), "perm",
             t.getPerm());
        set(r, out);
        return true;
      })
      .Case([&](nn::ConcatOp c) {
        std::vector<std::string> ins; // before the node: they may add nodes
        for (Value v : c.getInputs())
          ins.push_back(get(v));
        std::string out = fresh("concat");
        onnx::NodeProto &n = *g.add_node();
        n.set_op_type("Concat");
        n.set_name(out);
        for (const std::string &i : ins)
          n.add_input(i);
        n.add_output(out);
        attr(n, "axis", int64_t(c.getAxis()));
        set(r, out);
        return true;
      })
      .Case([&](nn::SoftmaxOp s) {
        std::string out = fresh("softmax");
        attr(node(s.getLog() ? "LogSoftmax" : "Softmax", {get(s.getInput())},
                  out),
             "axis", int64_t(s.getAxis()));
        set(r, out);
        return true;
      })
      .Case([&](nn::GatherOp gt) {
        std::string out = fresh("gather");
        attr(node("Gather", {get(gt.getTable()), get(gt.getIndex())}, out),
             "axis", int64_t(0));
        set(r, out);
        return true;
      })
      .Case([&](nn::OneHotOp o) {
        auto rt = cast<RankedTensorType>(o.getType());
        int64_t depth = rt.getShape().back();
        float off[2] = {0.0f, 1.0f};
        std::string out = fresh("onehot");
        attr(node("OneHot",
                  {get(o.getInput()), constI64("depth", {depth}),
                   initializer("values", onnx::TensorProto::FLOAT, {2}, off,
                               8)},
                  out),
             "axis", int64_t(-1));
        set(r, out);
        return true;
      })
      .Case([&](nn::UpsampleOp u) {
        float f = float(u.getFactor());
        float scales[4] = {1.0f, 1.0f, f, f};
        std::string out = fresh("upsample");
        onnx::NodeProto &n = node(
            "Resize",
            {get(u.getInput(), Layout::NCHW), "",
             initializer("scales", onnx::TensorProto::FLOAT, {4}, scales, 16)},
            out);
        attr(n, "mode", "nearest");
        attr(n, "coordinate_transformation_mode", "asymmetric");
        attr(n, "nearest_mode", "floor");
        set(r, out, Layout::NCHW);
        return true;
      })
      .Default([&](Operation *o) {
        if (o->getDialect() && o->getDialect()->getNamespace() == "nn")
          return emitElementwise(o);
        return fail(o, "nnc export cannot write '" +
                           o->getName().getStringRef().str() + "'");
      });
}

void valueInfo(onnx::ValueInfoProto &vi, const std::string &name, Type type,
               const nnc::TensorType &declared) {
  vi.set_name(name);
  auto rt = cast<RankedTensorType>(type);
  auto *tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnxType(rt.getElementType()));
  auto *shape = tt->mutable_shape();
  for (int64_t d = 0; d < rt.getRank(); ++d) {
    auto *dim = shape->add_dim();
    if (!rt.isDynamicDim(d))
      dim->set_dim_value(rt.getDimSize(d));
    else if (size_t(d) < declared.dims.size() && !declared.dims[d].sym.empty())
      dim->set_dim_param(declared.dims[d].sym);
    else
      dim->set_dim_param("d" + std::to_string(d));
  }
}

bool Exporter::run(func::FuncOp f, const ModelSignature &sig) {
  Block &body = f.getBody().front();
  for (unsigned i = 0; i < body.getNumArguments(); ++i) {
    const ArgSignature &a = sig.args[i];
    Value arg = body.getArgument(i);
    if (a.kind == NNC_ARG_PARAM || a.kind == NNC_ARG_STATE) {
      params[arg] = a.name;
      continue;
    }
    std::string name = unique(a.name);
    valueInfo(*g.add_input(), name, arg.getType(), a.type);
    set(arg, name);
  }
  for (Operation &op : body)
    if (!emit(&op))
      return false;
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    const ArgSignature &res = sig.results[i];
    std::string name = unique(res.name);
    node("Identity", {get(ret.getOperand(i))}, name);
    valueInfo(*g.add_output(), name, ret.getOperand(i).getType(), res.type);
  }
  return !failed;
}

/// Checks with ONNX's checker and strict shape inference, then writes
/// `path` through a temporary file; false (reported) on failure.
bool checkAndWrite(onnx::ModelProto &model, const std::string &path,
                   nnc::DiagnosticEngine &diags) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(
        inferred, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  } catch (const std::exception &e) {
    diags.error(std::string("internal error: the ONNX model nnc made does "
                            "not pass ONNX's checks: ") +
                e.what());
    return false;
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    diags.error("internal error: the ONNX model cannot be serialised (over "
                "2 GB?)");
    return false;
  }
  llvm::SmallString<256> tmp(path);
  tmp += ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      diags.error("cannot write '" + path + "': " + ec.message());
      return false;
    }
    os << bytes;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      diags.error("cannot write '" + path + "': " + os.error().message());
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    diags.error("cannot write '" + path + "': " + ec.message());
    return false;
  }
  return true;
}

} // namespace

int nnc::exportOnnx(const Entry &entry, const OnnxExportOptions &opts,
                    const llvm::SourceMgr &srcMgr, nnc::DiagnosticEngine &diags) {
  if (opts.opset < kOnnxMinOpset || opts.opset > kOnnxMaxOpset) {
    diags.error("nnc export writes ONNX opsets " +
                std::to_string(kOnnxMinOpset) + " to " +
                std::to_string(kOnnxMaxOpset) + ", not " +
                std::to_string(opts.opset));
    return 1;
  }
  GeneratedModule gen(entry, srcMgr, diags);
  if (!gen.module)
    return 1;
  func::FuncOp f =
      gen.module->lookupSymbol<func::FuncOp>(entry.name + "_forward");
  if (!f) {
    diags.error("internal error: no forward function for '" + entry.name +
                "'");
    return 1;
  }
  ModelSignature sig = signatureOfFunction(f, *entry.graph);
  sig.model = entry.name;
  // The outputs' symbolic sizes by the names sema gave them (B, not ?).
  ModelSignature declared = signatureOf(*entry.graph, entry.name);
  for (size_t i = 0;
       i < sig.results.size() && sig.results.size() == declared.results.size();
       ++i)
    sig.results[i].type = declared.results[i].type;
  nnc_named_tensors weights;
  std::string prefix = opts.instance.empty() ? "" : opts.instance + ".";
  if (!loadModelWeights(opts.checkpoint, sig, weights, diags, &prefix))
    return 1;
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("nnc");
  model.set_producer_version(NNC_VERSION);
  model.set_doc_string("model " + entry.name + ", weights from " +
                       llvm::sys::path::filename(opts.checkpoint).str());
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(opts.opset);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(entry.name);
  bool ok =
      Exporter(graph, weights, prefix, opts.opset, srcMgr, diags).run(f, sig);
  nnc_named_free(&weights);
  if (!ok || !checkAndWrite(model, opts.output, diags))
    return 1;
  return 0;
}
