//===- MLIRGenOps.cpp - One nn op per graph node --------------------------===//
//
// The dispatch from a node's kind to the nn op that computes it. The cases
// of the nn ops' built-ins are generated from ODS (NNMLIRGen.inc, by
// nnc-tblgen): an op made of operands only is created directly; the others
// name one of the builder methods below, which map the node's attributes.
// The switch has no default, so a kind without a case does not compile.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"
#include "mlirgen/Generator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc;

namespace nnc::mlirgen {

Value Generator::emitOp(const Node &n, ArrayRef<Value> in) {
  assert(in.size() == n.inputs.size() && "one value per input node");
  Location l = loc(n.loc);
  RankedTensorType rt = tensorType(n.type);
  switch (n.op) {
  case OpKind::Grad:
    return emitGrad(n, l);
  case OpKind::For:
    return emitFor(n, in, l);
  case OpKind::Scan:
    return emitScan(n, in, l);
  case OpKind::LoopResult:
    return loopResults[n.inputs[0].get()][intAttr(n, "index", 0)];
  case OpKind::Arange:
    return emitArange(n, in, l);
  case OpKind::Input:
  case OpKind::Data:
  case OpKind::Param:
  case OpKind::State:
  case OpKind::Hparam:
  case OpKind::Const:
  case OpKind::LoopIndex:
  case OpKind::LoopCarried:
  case OpKind::ScanSlice:
    // Arguments, constants and loop variables have their values before
    // any op reads them.
    fail(n, llvm::Twine("internal: no value for a '") + opKindName(n.op) +
                "' node");
    return Value();
#include "dialect/NNMLIRGen.inc"
  }
  fail(n, "internal: unknown node kind");
  return Value();
}

double Generator::floatAttr(const Node &n, llvm::StringRef key, double dflt) {
  const Attr *a = n.attr(key);
  return !a ? dflt : a->kind == Attr::Float ? a->f : double(a->i);
}

Value Generator::emitBinary(const Node &n, ArrayRef<Value> in, Location l) {
  assert(in.size() == 2 && "a binary operator has two operands");
  // A loop counter (i64) meeting a float operand becomes a float.
  Type t0 = cast<RankedTensorType>(in[0].getType()).getElementType();
  Type t1 = cast<RankedTensorType>(in[1].getType()).getElementType();
  Type et = isa<FloatType>(t0) ? t0 : t1;
  Value x = coerce(in[0], et, l), y = coerce(in[1], et, l);
  RankedTensorType rt = tensorType(n.type);
  switch (n.op) {
  case OpKind::Add:
    return nn::AddOp::create(b, l, rt, x, y);
  case OpKind::Sub:
    return nn::SubOp::create(b, l, rt, x, y);
  case OpKind::Mul:
    return nn::MulOp::create(b, l, rt, x, y);
  case OpKind::Div:
    return nn::DivOp::create(b, l, rt, x, y);
  case OpKind::Mod:
    return nn::RemOp::create(b, l, rt, x, y);
  case OpKind::Maximum:
    return nn::MaximumOp::create(b, l, rt, x, y);
  case OpKind::Minimum:
    return nn::MinimumOp::create(b, l, rt, x, y);
  case OpKind::Pow:
    return nn::PowOp::create(b, l, rt, x, y);
  case OpKind::And:
    return nn::AndOp::create(b, l, rt, x, y);
  case OpKind::Or:
    return nn::OrOp::create(b, l, rt, x, y);
  default:
    fail(n, "internal: not a binary operator");
    return Value();
  }
}

Value Generator::emitCompare(const Node &n, ArrayRef<Value> in, Location l) {
  assert(in.size() == 2 && "a comparison has two operands");
  Type t0 = cast<RankedTensorType>(in[0].getType()).getElementType();
  Type t1 = cast<RankedTensorType>(in[1].getType()).getElementType();
  Type et = isa<FloatType>(t0) ? t0 : t1;
  auto pred = nn::symbolizeComparePredicate(opKindName(n.op));
  if (!pred)
    return fail(n, "internal: not a comparison"), Value();
  return nn::CompareOp::create(b, l, tensorType(n.type), *pred,
                               coerce(in[0], et, l), coerce(in[1], et, l));
}

Value Generator::emitMatmul(const Node &n, ArrayRef<Value> in, Location l) {
  if (cast<RankedTensorType>(in[0].getType()).getRank() < 2 ||
      cast<RankedTensorType>(in[1].getType()).getRank() < 2)
    return fail(n, "code generation does not support '@' with a vector "
                   "operand yet; reshape it to a matrix"),
           Value();
  return nn::MatmulOp::create(b, l, tensorType(n.type), in[0], in[1]);
}

Value Generator::emitLeakyRelu(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::LeakyReluOp::create(b, l, tensorType(n.type), in[0],
                                 b.getF64FloatAttr(floatAttr(n, "slope", 0.01)));
}

Value Generator::emitClip(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::ClipOp::create(b, l, tensorType(n.type), in[0],
                            b.getF64FloatAttr(floatAttr(n, "low", 0)),
                            b.getF64FloatAttr(floatAttr(n, "high", 0)));
}

Value Generator::emitLayerNorm(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::LayerNormOp::create(b, l, tensorType(n.type), in[0], in[1], in[2],
                                 b.getF64FloatAttr(floatAttr(n, "eps", 1e-5)));
}

Value Generator::emitBatchNorm(const Node &n, ArrayRef<Value> in, Location l) {
  if (training)
    batchNorms.push_back(&n);
  return nn::BatchNormOp::create(b, l, tensorType(n.type), in[0], in[1], in[2],
                                 in[3], in[4],
                                 b.getF64FloatAttr(floatAttr(n, "eps", 1e-5)),
                                 b.getBoolAttr(training));
}

Value Generator::emitDropout(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::DropoutOp::create(
      b, l, tensorType(n.type), in[0], stream,
      b.getF64FloatAttr(floatAttr(n, "rate", 0.5)),
      b.getI64IntegerAttr(seedOf(n)), b.getBoolAttr(training));
}

Value Generator::emitUpsample(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::UpsampleOp::create(b, l, tensorType(n.type), in[0],
                                b.getI64IntegerAttr(intAttr(n, "factor", 2)));
}

Value Generator::emitRandom(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  bool like = n.op == OpKind::NormalLike || n.op == OpKind::UniformLike ||
              n.op == OpKind::GumbelLike;
  nn::RandomKind kind = n.op == OpKind::Uniform || n.op == OpKind::UniformLike
                            ? nn::RandomKind::uniform
                        : n.op == OpKind::Gumbel || n.op == OpKind::GumbelLike
                            ? nn::RandomKind::gumbel
                            : nn::RandomKind::normal;
  SmallVector<Value> sizes;
  if (!dynamicSizes(n, rt, like ? in[0] : Value(), l, sizes))
    return Value();
  bool uniform = kind == nn::RandomKind::uniform;
  double a = uniform ? floatAttr(n, "low", 0.0) : floatAttr(n, "mean", 0.0);
  double hi = uniform ? floatAttr(n, "high", 1.0) : floatAttr(n, "std", 1.0);
  return nn::RandomOp::create(
      b, l, rt, nn::RandomKindAttr::get(&ctx, kind), sizes, stream,
      b.getI64IntegerAttr(seedOf(n)), b.getI64IntegerAttr(0),
      b.getF64FloatAttr(a), b.getF64FloatAttr(hi));
}

Value Generator::emitFill(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  bool like = n.op == OpKind::ZerosLike || n.op == OpKind::OnesLike;
  SmallVector<Value> sizes;
  if (!dynamicSizes(n, rt, like ? in[0] : Value(), l, sizes))
    return Value();
  double v = n.op == OpKind::Ones || n.op == OpKind::OnesLike ? 1.0
             : n.op == OpKind::Full ? floatAttr(n, "value", 0.0)
                                    : 0.0;
  return nn::FillOp::create(b, l, rt, sizes, b.getF64FloatAttr(v));
}

Value Generator::emitBernoulli(const Node &n, ArrayRef<Value> in, Location l) {
  return nn::BernoulliOp::create(b, l, tensorType(n.type), in[0], stream,
                                 b.getI64IntegerAttr(seedOf(n)),
                                 b.getI64IntegerAttr(0));
}

Value Generator::emitReduce(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  auto inT = cast<RankedTensorType>(in[0].getType());
  if (n.op == OpKind::GlobalAvgpool)
    return nn::ReduceOp::create(
        b, l, rt, nn::ReduceKindAttr::get(&ctx, nn::ReduceKind::mean), in[0],
        b.getDenseI64ArrayAttr({1, 2}), b.getBoolAttr(false));
  auto kind = nn::symbolizeReduceKind(opKindName(n.op));
  if (!kind)
    return fail(n, "internal: not a reduction"), Value();
  SmallVector<int64_t> axes;
  if (const Attr *a = n.attr("axis")) {
    std::vector<int64_t> raw =
        a->kind == Attr::Int ? std::vector<int64_t>{a->i} : a->list;
    for (int64_t x : raw)
      axes.push_back(x < 0 ? x + inT.getRank() : x);
    llvm::sort(axes);
  } else {
    for (int64_t k = 0; k < inT.getRank(); ++k)
      axes.push_back(k);
  }
  const Attr *keep = n.attr("keepdims");
  return nn::ReduceOp::create(b, l, rt, nn::ReduceKindAttr::get(&ctx, *kind),
                              in[0], b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(keep && keep->i));
}

Value Generator::emitSoftmax(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  int64_t axis = intAttr(n, "axis", -1);
  if (axis < 0)
    axis += rt.getRank();
  return nn::SoftmaxOp::create(b, l, rt, in[0], b.getI64IntegerAttr(axis),
                               b.getBoolAttr(n.op == OpKind::LogSoftmax));
}

Value Generator::emitTranspose(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  SmallVector<int64_t> perm;
  if (const Attr *p = n.attr("perm"))
    perm.assign(p->list.begin(), p->list.end());
  if (perm.empty()) {
    for (int64_t k = 0; k < rt.getRank(); ++k)
      perm.push_back(k);
    std::swap(perm[rt.getRank() - 1], perm[rt.getRank() - 2]);
  }
  return nn::TransposeOp::create(b, l, rt, in[0], b.getDenseI64ArrayAttr(perm));
}

Value Generator::emitSlice(const Node &n, ArrayRef<Value> in, Location l) {
  assert(n.attr("starts") && n.attr("sizes") && n.attr("strides") &&
         n.attr("squeeze") && "sema records every slice attribute");
  auto list = [&](const char *key) {
    return b.getDenseI64ArrayAttr(n.attr(key)->list);
  };
  return nn::SliceOp::create(b, l, tensorType(n.type), in[0], list("starts"),
                             list("sizes"), list("strides"), list("squeeze"));
}

Value Generator::emitConcat(const Node &n, ArrayRef<Value> in, Location l) {
  RankedTensorType rt = tensorType(n.type);
  if (n.op == OpKind::Concat) {
    int64_t axis = intAttr(n, "axis", -1);
    if (axis < 0)
      axis += rt.getRank();
    return nn::ConcatOp::create(b, l, rt, in, b.getI64IntegerAttr(axis));
  }
  // stack: each input with a unit axis, then joined on it.
  int64_t axis = intAttr(n, "axis", 0);
  if (axis < 0)
    axis += rt.getRank();
  SmallVector<Value> parts;
  for (Value v : in) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape.insert(shape.begin() + axis, 1);
    parts.push_back(nn::ReshapeOp::create(
        b, l, RankedTensorType::get(shape, t.getElementType()), v));
  }
  return nn::ConcatOp::create(b, l, rt, parts, b.getI64IntegerAttr(axis));
}

Value Generator::emitConv(const Node &n, ArrayRef<Value> in, Location l) {
  auto x = cast<RankedTensorType>(in[0].getType());
  auto w = cast<RankedTensorType>(in[1].getType());
  auto s = pairAttr(n, "stride", {1, 1}), d = pairAttr(n, "dilation", {1, 1});
  auto pad = padding(n, x.getDimSize(1), x.getDimSize(2), w.getDimSize(0),
                     w.getDimSize(1), s, d);
  return nn::Conv2DOp::create(
      b, l, tensorType(n.type), in[0], in[1], b.getDenseI64ArrayAttr(s),
      b.getDenseI64ArrayAttr(pad), b.getDenseI64ArrayAttr(d),
      b.getI64IntegerAttr(intAttr(n, "groups", 1)));
}

Value Generator::emitConvTranspose(const Node &n, ArrayRef<Value> in,
                                   Location l) {
  auto st = pairAttr(n, "stride", {1, 1}), p = pairAttr(n, "padding", {0, 0});
  return nn::ConvTranspose2DOp::create(b, l, tensorType(n.type), in[0], in[1],
                                       b.getDenseI64ArrayAttr(st),
                                       b.getDenseI64ArrayAttr(p));
}

Value Generator::emitPool(const Node &n, ArrayRef<Value> in, Location l) {
  auto x = cast<RankedTensorType>(in[0].getType());
  auto k = pairAttr(n, "size", {2, 2}), s = pairAttr(n, "stride", k);
  auto pad = padding(n, x.getDimSize(1), x.getDimSize(2), k[0], k[1], s, {1, 1});
  nn::PoolKind kind =
      n.op == OpKind::Maxpool ? nn::PoolKind::max : nn::PoolKind::avg;
  return nn::Pool2DOp::create(b, l, tensorType(n.type),
                              nn::PoolKindAttr::get(&ctx, kind), in[0],
                              b.getDenseI64ArrayAttr(k),
                              b.getDenseI64ArrayAttr(s),
                              b.getDenseI64ArrayAttr(pad));
}

Value Generator::emitArange(const Node &n, ArrayRef<Value>, Location l) {
  // 0, 1, ..., n-1 (i64), n possibly symbolic.
  RankedTensorType rt = tensorType(n.type);
  SmallVector<Value> sizes;
  if (!dynamicSizes(n, rt, Value(), l, sizes))
    return Value();
  return tensor::GenerateOp::create(
      b, l, rt, sizes, [&](OpBuilder &nb, Location nl, ValueRange idx) {
        tensor::YieldOp::create(
            nb, nl,
            arith::IndexCastOp::create(nb, nl, rt.getElementType(), idx[0])
                .getResult());
      });
}

} // namespace nnc::mlirgen
