//===- KernelEpilogue.cpp - Fills and bias/ReLU loops into kernel calls ---===//
//
// A layer's product or convolution is followed by an element-wise loop
// over its whole output: `x @ w + b |> relu` is a GEMM into a zero-filled
// buffer, then a loop reading it back to add the bias and clamp. The
// runtime's kernels can do both while each output tile is still in
// registers (nnc/kernels.h), so this file finds, on buffers, the zero fill
// just before such an op and the loop just after it, and tells
// nnc-kernel-calls what the call can take over. The loop is only taken
// when it reads nothing but the output, a bias and a residual (a tensor of
// the output's shape, as in `x + f(x)`), computes nothing but their adds
// and ReLU, and nothing else reads the raw output (in training, ReLU's
// derivative reads its result, not its input, so the layers of a train
// step qualify). A residual is copied into the output where the zero fill
// was, and the kernel accumulates onto it.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEpilogue.h"
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace {
/// Ops that neither read nor write memory that could be `out` (pure ops,
/// allocations of other buffers, and the hand-over of a finished gradient
/// to the data-parallel exchange, which writes only the runtime's buckets).
bool untouching(Operation *op) {
  return isMemoryEffectFree(op) ||
         isa<memref::AllocOp, nnc::nn::AllreduceStartOp>(op);
}

bool isZero(Value v) { return matchPattern(v, m_AnyZeroFloat()); }

/// The zero fill of `out` right before `op` (only untouching ops between).
linalg::FillOp zeroFillBefore(Operation *op, Value out) {
  for (Operation *p = op->getPrevNode(); p; p = p->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(p))
      return fill.hasPureBufferSemantics() && fill.getOutputs()[0] == out &&
                     isZero(fill.getInputs()[0])
                 ? fill
                 : linalg::FillOp();
    if (!untouching(p))
      return {};
  }
  return {};
}

/// The first op after `op` that may touch memory.
Operation *nextTouching(Operation *op) {
  for (Operation *n = op->getNextNode(); n; n = n->getNextNode())
    if (!untouching(n))
      return n;
  return nullptr;
}

/// Whether `op` writes all of `buf` without reading it first.
bool overwrites(Operation *op, Value buf) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || l.getNumLoops() != l.getNumParallelLoops())
    return false;
  for (OpOperand *in : l.getDpsInputOperands())
    if (in->get() == buf)
      return false;
  for (OpOperand &init : l.getDpsInitsMutable())
    if (init.get() == buf)
      return l.getMatchingIndexingMap(&init).isIdentity() &&
             !l.payloadUsesValueFromOperand(&init);
  return false;
}

/// Whether `v` is defined before `op` (an argument of an enclosing block,
/// or the result of an op before it).
bool definedBefore(Value v, Operation *op) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner()->findAncestorOpInBlock(*op) != nullptr;
  Operation *def = v.getDefiningOp();
  Operation *top = def->getBlock()->findAncestorOpInBlock(*op);
  return top && def != top && def->isBeforeInBlock(top);
}

/// Why `g` (reading `out`) cannot be the epilogue of the op writing
/// `out`; empty when it can, with the residual, bias and ReLU it applies.
std::string whyNot(linalg::GenericOp g, Value out, Value &residual, Value &bias,
                   bool &relu) {
  auto outType = cast<MemRefType>(out.getType());
  if (g.getNumDpsInits() != 1)
    return "it writes several results";
  if (!g.hasPureBufferSemantics() ||
      g.getNumLoops() != g.getNumParallelLoops() ||
      g.getNumLoops() != unsigned(outType.getRank()))
    return "it is not an element-wise loop over the whole output";
  Value y = g.getDpsInitOperand(0)->get();
  if (y.getType() != out.getType() ||
      (y != out && !y.getDefiningOp<memref::AllocOp>()) ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return "it does not write a new buffer of the output's shape";
  // Inputs: the output itself, at most a bias along its last dimension,
  // and at most a residual of the output's shape.
  Block &body = g.getRegion().front();
  Value cArg, biasArg, resArg;
  unsigned last = outType.getRank() - 1;
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap map = g.getMatchingIndexingMap(in);
    Value arg = body.getArgument(in->getOperandNumber());
    auto t = dyn_cast<MemRefType>(in->get().getType());
    if (in->get() == out && map.isIdentity() && !cArg) {
      cArg = arg;
    } else if (t && t.getRank() == 1 && t.getElementType().isF32() &&
               t.getLayout().isIdentity() && map.getNumResults() == 1 &&
               map.getResult(0) == getAffineDimExpr(last, g.getContext()) &&
               !biasArg) {
      biasArg = arg;
      bias = in->get();
    } else if (t && t.getShape() == outType.getShape() &&
               t.getElementType().isF32() && map.isIdentity() && !resArg &&
               in->get() != out) {
      resArg = arg;
      residual = in->get();
    } else {
      return "it reads more than the output, a bias and a residual";
    }
  }
  if (!cArg)
    return "it reads the output through a different index";
  // Body: the residual and bias adds (each at most once), then at most a
  // ReLU: [t = t + r] [t = t + bias] [t = max(t, 0)] yield t.
  const char *more = "it computes more than residual and bias adds and ReLU";
  Value cur = cArg;
  relu = false;
  bool addedBias = false, addedRes = false;
  for (Operation &op : body.without_terminator()) {
    auto add = dyn_cast<arith::AddFOp>(op);
    auto adds = [&](Value v) {
      return v && ((add.getLhs() == cur && add.getRhs() == v) ||
                   (add.getRhs() == cur && add.getLhs() == v));
    };
    if (add && !relu && !addedBias && adds(biasArg)) {
      addedBias = true; // the kernel adds, then clamps
    } else if (add && !relu && !addedRes && adds(resArg)) {
      addedRes = true;
    } else if (auto max = dyn_cast<arith::MaximumFOp>(op); max && !relu) {
      if (!((max.getLhs() == cur && isZero(max.getRhs())) ||
            (max.getRhs() == cur && isZero(max.getLhs()))))
        return more;
      relu = true;
    } else if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      continue;
    } else {
      return more;
    }
    cur = op.getResult(0);
  }
  if ((biasArg && !addedBias) || (resArg && !addedRes))
    return more;
  if (body.getTerminator()->getOperand(0) != cur || cur == cArg)
    return more;
  return "";
}
} // namespace

nnc::KernelEpilogue nnc::planEpilogue(Operation *op, Value out, bool fusable) {
  KernelEpilogue e;
  e.out = out;
  linalg::FillOp fill = zeroFillBefore(op, out);
  if (fill) {
    e.accumulate = false;
    e.fill = fill;
  }
  auto g = dyn_cast_or_null<linalg::GenericOp>(nextTouching(op));
  if (!g || !llvm::is_contained(g->getOperands(), out))
    return e;
  auto refuse = [&](const std::string &why) {
    g->setAttr(kNotFusedAttr, StringAttr::get(g.getContext(), why));
    return e;
  };
  if (!fusable)
    return refuse("this kernel takes no bias or activation");
  Value bias, residual;
  bool relu = false;
  std::string why = whyNot(g, out, residual, bias, relu);
  if (!why.empty())
    return refuse(why);
  if (!fill)
    return refuse("the output is not a fresh zero-filled buffer");
  // Unless the loop writes its result over the output, the raw output
  // must be a buffer of this function's, dead after the loop: what touches
  // it next must overwrite it.
  Value y = g.getDpsInitOperand(0)->get();
  if (y != out && !out.getDefiningOp<memref::AllocOp>())
    return refuse("the output is not a buffer of its own");
  Operation *next = nullptr;
  for (Operation *user : out.getUsers()) {
    if (y == out || user == op || user == g || user == fill ||
        isa<memref::DeallocOp>(user))
      continue;
    Operation *top = g->getBlock()->findAncestorOpInBlock(*user);
    if (!top || !g->isBeforeInBlock(top))
      return refuse("the output is used elsewhere");
    if (!next || top->isBeforeInBlock(next))
      next = top;
  }
  if (next && !overwrites(next, out))
    return refuse("the output is read again later (reverse mode needs the "
                  "value before the bias and activation)");
  if (residual && residual != y) {
    // The residual is copied into the loop's output before the call.
    if (!definedBefore(residual, op))
      return refuse("the residual is made after the kernel's operation");
    if (!definedBefore(y, op)) {
      auto alloc = y.getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != op->getBlock() ||
          !llvm::all_of(alloc->getOperands(),
                        [&](Value v) { return definedBefore(v, op); }))
        return refuse("its output buffer is made after the kernel's "
                      "operation");
      alloc->moveBefore(op);
    }
  }
  e.out = y;
  e.bias = bias;
  e.residual = residual;
  e.relu = relu;
  e.fused = g;
  if (residual)
    e.accumulate = true; // onto the residual
  std::string what;
  for (auto [on, name] :
       {std::pair{bool(residual), "residual add"},
        std::pair{bool(bias), "bias add"}, std::pair{relu, "ReLU"}})
    if (on)
      what += (what.empty() ? "" : ", ") + std::string(name);
  size_t comma = what.rfind(", ");
  e.what = comma == std::string::npos
               ? what
               : what.substr(0, comma) + " and " + what.substr(comma + 2);
  return e;
}

void nnc::eraseReplaced(const KernelEpilogue &e, Value opOut) {
  if (e.fill)
    e.fill->erase();
  if (!e.fused)
    return;
  e.fused->erase();
  // The op's own output buffer: now only allocated and freed.
  if (llvm::all_of(opOut.getUsers(),
                   [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
    for (Operation *u : llvm::make_early_inc_range(opOut.getUsers()))
      u->erase();
    if (Operation *alloc = opOut.getDefiningOp())
      alloc->erase();
  }
}

std::optional<nnc::PaddedInput> nnc::matchPaddedInput(Operation *conv,
                                                      Value x) {
  if (!x.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  PaddedInput p;
  p.buffer = x;
  for (Operation *u : x.getUsers()) {
    if (u == conv || isa<memref::DeallocOp>(u))
      continue;
    auto fill = dyn_cast<linalg::FillOp>(u);
    if (fill && !p.fill && fill.hasPureBufferSemantics() &&
        fill.getOutputs()[0] == x && isZero(fill.getInputs()[0])) {
      p.fill = fill;
      continue;
    }
    if (isa<memref::SubViewOp>(u) && !p.subview) {
      p.subview = u;
      continue;
    }
    return std::nullopt;
  }
  if (!p.fill || !p.subview || !p.subview->hasOneUse())
    return std::nullopt;
  // The image's place: offsets [0, top, left, 0], unit strides, all its
  // channels.
  auto sv = cast<memref::SubViewOp>(p.subview);
  ArrayRef<int64_t> off = sv.getStaticOffsets(), size = sv.getStaticSizes();
  auto xt = cast<MemRefType>(x.getType());
  if (off.size() != 4 || off[0] != 0 || off[3] != 0 ||
      ShapedType::isDynamic(off[1]) || ShapedType::isDynamic(off[2]) ||
      !llvm::all_of(sv.getStaticStrides(), [](int64_t s) { return s == 1; }) ||
      size[3] != xt.getDimSize(3))
    return std::nullopt;
  p.top = off[1];
  p.left = off[2];
  auto copy = dyn_cast<memref::CopyOp>(*p.subview->getUsers().begin());
  if (!copy || copy.getTarget() != sv.getResult())
    return std::nullopt;
  p.copy = copy;
  p.image = copy.getSource();
  Block *block = conv->getBlock();
  if (p.fill->getBlock() != block || copy->getBlock() != block ||
      !p.fill->isBeforeInBlock(copy) || !copy->isBeforeInBlock(conv))
    return std::nullopt;
  // Contiguous channels (the kernel's implicit padding needs them).
  auto it = cast<MemRefType>(p.image.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(it.getStridesAndOffset(strides, offset)) || strides[3] != 1)
    return std::nullopt;
  // Nothing between the copy and the convolution may write the image.
  for (Operation *o = copy->getNextNode(); o != conv; o = o->getNextNode()) {
    if (untouching(o))
      continue;
    auto effects = dyn_cast<MemoryEffectOpInterface>(o);
    if (!effects)
      return std::nullopt;
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (auto &ef : list)
      if (isa<MemoryEffects::Write>(ef.getEffect()) &&
          (!ef.getValue() || ef.getValue() == p.image))
        return std::nullopt;
  }
  return p;
}

void nnc::erasePadding(const PaddedInput &p) {
  p.copy->erase();
  p.subview->erase();
  p.fill->erase();
  for (Operation *u : llvm::make_early_inc_range(p.buffer.getUsers()))
    u->erase(); // deallocations
  p.buffer.getDefiningOp()->erase();
}
