//===- OnnxNodes.cpp - nn ops as ONNX nodes
//--------------------------------===//
//
// One ONNX node, or a few, per nn op of an inference graph: element-wise
// functions (composites such as GELU spelled out, since ONNX before opset
// 20 has no Gelu), convolutions and pooling in NCHW with ONNX's order of
// paddings, normalisation, reductions, slices, constants.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxExporter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace nnc;
using namespace nnc::onnx_export;
using namespace mlir;

/// Element-wise ops by name: one ONNX op each.
static const llvm::StringMap<const char *> &simpleOps() {
  static const llvm::StringMap<const char *> ops = {
      {"relu", "Relu"},
      {"sigmoid", "Sigmoid"},
      {"tanh", "Tanh"},
      {"erf", "Erf"},
      {"softplus", "Softplus"},
      {"exp", "Exp"},
      {"log", "Log"},
      {"sqrt", "Sqrt"},
      {"abs", "Abs"},
      {"neg", "Neg"},
      {"sin", "Sin"},
      {"cos", "Cos"},
      {"floor", "Floor"},
      {"sign", "Sign"},
      {"add", "Add"},
      {"sub", "Sub"},
      {"mul", "Mul"},
      {"div", "Div"},
      {"maximum", "Max"},
      {"minimum", "Min"},
      {"pow", "Pow"},
      {"and", "And"},
      {"or", "Or"},
      {"select", "Where"},
      {"dropout", "Identity"},
      {"stop_gradient", "Identity"},
      {"rem", "Mod"},
      {"leaky_relu", "LeakyRelu"},
      {"elu", "Elu"},
      {"clip", "Clip"},
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
        bt.getDimSize(0) ==
            cast<RankedTensorType>(conv.getType()).getDimSize(3)) {
      cur->mutable_node(it->second)->add_input(get(bias));
      biasless.erase(it);
      set(result, get(conv, Layout::NCHW), Layout::NCHW);
      return true;
    }
  }
  auto rt = cast<RankedTensorType>(result.getType());
  bool nchw =
      rt.getRank() == 4 &&
      llvm::any_of(op->getOperands(), [&](Value o) { return hasNCHW(o); });
  int64_t channels = rt.getRank() == 4 ? rt.getDimSize(3) : -1;
  for (Value o : op->getOperands()) {
    auto ot = dyn_cast<RankedTensorType>(o.getType());
    if (!ot || (ot.getRank() != 4 && ot.getRank() != 0 &&
                !(ot.getRank() == 1 &&
                  (ot.getDimSize(0) == channels || ot.getDimSize(0) == 1))))
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
    onnx::NodeProto &n = *cur->add_node();
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
    static const char *const onnxOps[] = {
        "Equal", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"};
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
  biasless[op.getResult()] = cur->node_size() - 1;
  return true;
}

bool Exporter::emitConvTranspose(nn::ConvTranspose2DOp op) {
  if (!params.count(op.getFilter()))
    return fail(op, "nnc export writes conv_transpose2d only with a "
                    "parameter as its filter");
  std::string out = fresh("convt");
  onnx::NodeProto &n = node(
      "ConvTranspose",
      {get(op.getInput(), Layout::NCHW), paramForm(op.getFilter(), "iohw")},
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
    attr(node("ReduceSum", {x, constI64("axes", axes)}, out), "keepdims", keep);
    break;
  case nn::ReduceKind::argmax:
  case nn::ReduceKind::argmin: {
    if (axes.size() != 1)
      return fail(op, "nnc export writes argmax/argmin over one axis only");
    onnx::NodeProto &n = node(
        op.getKind() == nn::ReduceKind::argmax ? "ArgMax" : "ArgMin", {x}, out);
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
    static const char *const onnxOps[] = {"",           "ReduceMean",
                                          "ReduceMax",  "ReduceMin",
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

/// A tensor of one value: ConstantOfShape of its (possibly dynamic) shape.
bool Exporter::emitFill(nn::FillOp op) {
  auto rt = cast<RankedTensorType>(op.getType());
  std::string shape = shapeOf(rt, op.getDynamicSizes());
  if (shape.empty())
    return false;
  set(op.getResult(),
      filled(shape, op.getValue().convertToDouble(), rt.getElementType()));
  return true;
}

std::string Exporter::filled(const std::string &shape, double v, Type et) {
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
  onnx::NodeProto &n = node("ConstantOfShape", {shape}, out);
  auto *a = n.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = value;
  return out;
}

/// Products, shapes, softmax, gathers, upsampling; the rest of the nn ops
/// are element-wise.
bool Exporter::emitShapeOp(Operation *op) {
  Value r = op->getResult(0);
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](nn::MatmulOp m) {
        std::string out = fresh("matmul");
        node("MatMul", {get(m.getLhs()), get(m.getRhs())}, out);
        set(r, out);
        return true;
      })
      .Case([&](nn::ReshapeOp m) {
        auto rt = cast<RankedTensorType>(m.getType());
        auto it = cast<RankedTensorType>(m.getInput().getType());
        std::vector<int64_t> shape(rt.getShape());
        // One dynamic size in the same place on both sides, the rest the
        // same number of elements: ONNX's 0 (copy the input's size) keeps
        // its name through shape inference ([B, 28, 28] -> [B, 784]).
        auto staticCount = [](RankedTensorType t) {
          int64_t n = 1;
          for (int64_t d : t.getShape())
            n *= ShapedType::isDynamic(d) ? 1 : d;
          return n;
        };
        bool copy = rt.getNumDynamicDims() == 1 &&
                    it.getNumDynamicDims() == 1 &&
                    staticCount(rt) == staticCount(it);
        for (size_t d = 0; d < shape.size(); ++d)
          if (ShapedType::isDynamic(shape[d]))
            shape[d] = copy && int64_t(d) < it.getRank() &&
                               it.isDynamicDim(int64_t(d))
                           ? 0
                           : -1;
        std::string out = fresh("reshape");
        node("Reshape", {get(m.getInput()), constI64("shape", shape)}, out);
        set(r, out);
        return true;
      })
      .Case([&](nn::TransposeOp t) {
        std::string out = fresh("transpose");
        attr(node("Transpose", {get(t.getInput())}, out), "perm", t.getPerm());
        set(r, out);
        return true;
      })
      .Case([&](nn::ConcatOp c) {
        std::vector<std::string> ins; // before the node: they may add nodes
        for (Value v : c.getInputs())
          ins.push_back(get(v));
        std::string out = fresh("concat");
        onnx::NodeProto &n = *cur->add_node();
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
        attr(
            node("OneHot",
                 {get(o.getInput()), constI64("depth", {depth}),
                  initializer("values", onnx::TensorProto::FLOAT, {2}, off, 8)},
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
      .Default([&](Operation *o) { return emitElementwise(o); });
}
