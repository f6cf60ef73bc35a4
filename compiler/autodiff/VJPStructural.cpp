//===- VJPStructural.cpp - Derivative rules of the structural nn ops ------===//
//
// Matmul, shape ops, reductions and softmax. Reductions stretch the
// cotangent back over the reduced axes; max/min split it evenly between
// tied maxima (like torch.amax); softmax and log-softmax use the closed
// forms that need only the forward result.
//
//===----------------------------------------------------------------------===//
#include "autodiff/VJPBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc::nn {
namespace {

/// `x @ y` with batch broadcasting: its result type and op.
Value matmul(GradBuilder &gb, Value x, Value y) {
  RankedTensorType tx = ranked(x), ty = ranked(y);
  auto bx =
      RankedTensorType::get(tx.getShape().drop_back(2), tx.getElementType());
  auto by =
      RankedTensorType::get(ty.getShape().drop_back(2), ty.getElementType());
  SmallVector<int64_t> shape(GradBuilder::broadcastType(bx, by).getShape());
  shape.push_back(tx.getDimSize(tx.getRank() - 2));
  shape.push_back(ty.getDimSize(ty.getRank() - 1));
  return MatmulOp::create(
      gb.b, gb.loc, RankedTensorType::get(shape, tx.getElementType()), x, y);
}

} // namespace

LogicalResult MatmulOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(2, Value());
  if (!grads[0])
    return success();
  if (ranked(getLhs()).getRank() < 2 || ranked(getRhs()).getRank() < 2)
    return emitError("no derivative rule for a matrix product of vectors");
  GradBuilder gb(b, getLoc());
  Value g = grads[0];
  out[0] = gb.unbroadcast(matmul(gb, g, gb.transposeLast2(getRhs())),
                          getLhs().getType());
  out[1] = gb.unbroadcast(matmul(gb, gb.transposeLast2(getLhs()), g),
                          getRhs().getType());
  return success();
}

LogicalResult ReshapeOp::vjp(OpBuilder &b, ValueRange grads,
                             SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (grads[0])
    out[0] = ReshapeOp::create(b, getLoc(), getInput().getType(), grads[0]);
  return success();
}

LogicalResult TransposeOp::vjp(OpBuilder &b, ValueRange grads,
                               SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = int64_t(i);
  out[0] = TransposeOp::create(b, getLoc(), getInput().getType(), grads[0],
                               b.getDenseI64ArrayAttr(inverse));
  return success();
}

LogicalResult ConcatOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(getInputs().size(), Value());
  if (!grads[0])
    return success();
  RankedTensorType rt = ranked(getResult());
  int64_t rank = rt.getRank();
  int64_t axis = getAxis() < 0 ? getAxis() + rank : getAxis();
  if (llvm::any_of(getInputs(),
                   [&](Value in) { return ranked(in).isDynamicDim(axis); })) {
    // Along a symbolic axis: slices at offsets computed at run time.
    Location loc = getLoc();
    Value offset = arith::ConstantIndexOp::create(b, loc, 0);
    GradBuilder gb(b, loc);
    for (auto [k, in] : llvm::enumerate(getInputs())) {
      RankedTensorType it = ranked(in);
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
          sizes = gb.mixedSizes(in), strides(rank, b.getIndexAttr(1));
      offsets[axis] = offset;
      if (isa<FloatType>(it.getElementType()))
        out[k] = tensor::ExtractSliceOp::create(b, loc, it, grads[0], offsets,
                                                sizes, strides);
      offset = arith::AddIOp::create(
          b, loc, offset, getValueOrCreateConstantIndexOp(b, loc, sizes[axis]));
    }
    return success();
  }
  int64_t offset = 0;
  for (auto [k, in] : llvm::enumerate(getInputs())) {
    RankedTensorType it = ranked(in);
    SmallVector<int64_t> starts(rank, 0), sizes, strides(rank, 1);
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(it.isDynamicDim(d) ? -1 : it.getDimSize(d));
    starts[axis] = offset;
    offset += it.getDimSize(axis);
    if (isa<FloatType>(it.getElementType()))
      out[k] = SliceOp::create(
          b, getLoc(), it, grads[0], b.getDenseI64ArrayAttr(starts),
          b.getDenseI64ArrayAttr(sizes), b.getDenseI64ArrayAttr(strides),
          b.getDenseI64ArrayAttr({}));
  }
  return success();
}

LogicalResult GatherOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(2, Value());
  RankedTensorType tt = ranked(getTable()), it = ranked(getIndex());
  if (!grads[0] || !isa<FloatType>(tt.getElementType()))
    return success();
  if (!tt.hasStaticShape())
    return emitError("cannot differentiate through a gather from a table "
                     "of symbolic size yet");
  // Scatter-add of the rows, written as one_hot(ids)^T @ g (batched over
  // the leading index dimensions, then summed), on the table viewed as a
  // matrix [rows, row size] and the cotangent as [ids..., row size]:
  // exact, and O(ids x rows x width), fine for the embedding tables of the
  // examples; a true scatter will replace it for large vocabularies.
  Type et = tt.getElementType();
  Location loc = getLoc();
  GradBuilder gb(b, loc);
  int64_t rows = tt.getDimSize(0), width = 1;
  for (int64_t d = 1; d < tt.getRank(); ++d)
    width *= tt.getDimSize(d);
  auto mt = RankedTensorType::get({rows, width}, et);
  Value ids = getIndex();
  SmallVector<int64_t> idShape(it.getShape());
  if (idShape.empty()) {
    idShape.push_back(1);
    ids = ReshapeOp::create(
        b, loc, RankedTensorType::get(idShape, it.getElementType()), ids);
  }
  SmallVector<int64_t> gShape(idShape);
  gShape.push_back(width);
  Value g = grads[0];
  if (ranked(g).getShape() != ArrayRef<int64_t>(gShape))
    g = ReshapeOp::create(b, loc, RankedTensorType::get(gShape, et), g);
  SmallVector<int64_t> hotShape(idShape);
  hotShape.push_back(rows);
  Value hot =
      OneHotOp::create(b, loc, RankedTensorType::get(hotShape, et), ids);
  Value dt;
  if (idShape.size() == 1) {
    dt = MatmulOp::create(b, loc, mt, gb.transposeLast2(hot), g);
  } else {
    SmallVector<int64_t> shape(idShape.begin(), idShape.end() - 1);
    shape.append({rows, width});
    Value per = MatmulOp::create(b, loc, RankedTensorType::get(shape, et),
                                 gb.transposeLast2(hot), g);
    dt = gb.unbroadcast(per, mt);
  }
  if (mt != tt)
    dt = ReshapeOp::create(b, loc, tt, dt);
  out[0] = dt;
  return success();
}

LogicalResult ReduceOp::vjp(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  ReduceKind kind = getKind();
  if (!grads[0] || kind == ReduceKind::argmax || kind == ReduceKind::argmin)
    return success();
  GradBuilder gb(b, getLoc());
  Value x = getInput();
  SmallVector<int64_t> axes = normaliseAxes(getAxes(), ranked(x).getRank());
  bool dropped = !getKeepdims();
  Value g = gb.expandTo(grads[0], x, axes, dropped);
  if (kind == ReduceKind::sum) {
    out[0] = g;
  } else if (kind == ReduceKind::mean) {
    out[0] = gb.div(g, gb.count(x, axes));
  } else if (kind == ReduceKind::max || kind == ReduceKind::min) {
    Value y = gb.expandTo(getResult(), x, axes, dropped);
    Value eq = gb.compare(ComparePredicate::eq, x, y);
    Value hit = CastOp::create(b, getLoc(), x.getType(), eq);
    out[0] = gb.div(gb.mul(g, hit), gb.sumKeep(hit, axes));
  } else if (kind == ReduceKind::logsumexp) {
    Value y = gb.expandTo(getResult(), x, axes, dropped);
    out[0] = gb.mul(g, gb.unary<ExpOp>(gb.sub(x, y)));
  } else if (kind == ReduceKind::prod) {
    // y / x: exact where no factor is zero (PyTorch special-cases zeros).
    Value y = gb.expandTo(getResult(), x, axes, dropped);
    out[0] = gb.mul(g, gb.div(y, x));
  } else {
    return emitError("no derivative rule for the reduction '") << stringifyReduceKind(kind) << "'";
  }
  return success();
}

LogicalResult SoftmaxOp::vjp(OpBuilder &b, ValueRange grads,
                             SmallVectorImpl<Value> &out) {
  out.assign(1, Value());
  if (!grads[0])
    return success();
  GradBuilder gb(b, getLoc());
  Value g = grads[0], y = getResult();
  int64_t rank = ranked(y).getRank();
  SmallVector<int64_t> axis = normaliseAxes({int64_t(getAxis())}, rank);
  if (getLog()) {
    // d log_softmax: g - softmax(x) * sum(g).
    Value p = gb.unary<ExpOp>(y);
    out[0] = gb.sub(g, gb.mul(p, gb.sumKeep(g, axis)));
  } else {
    // d softmax: y * (g - sum(g * y)).
    out[0] = gb.mul(y, gb.sub(g, gb.sumKeep(gb.mul(g, y), axis)));
  }
  return success();
}

} // namespace nnc::nn
