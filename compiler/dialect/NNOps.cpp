//===- NNOps.cpp - Verifiers and folders of the nn ops --------------------===//
//
// Verifiers reject IR that no .nn program can produce (sema checks user
// programs before MLIR exists, so these guard the compiler's own passes and
// hand-written IR in tests). Messages name the op's operands in the
// language's terms. The scalar bodies of the element-wise ops, written in
// NNOps.td, are compiled here too.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"
#include "dialect/NNScalar.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace nnc::nn;

namespace {
/// Two dims agree if equal, or either is dynamic.
bool dimsAgree(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

/// Checks `result` is the NumPy broadcast of `a` and `b`.
LogicalResult verifyBroadcast(Operation *op, RankedTensorType a,
                              RankedTensorType b, RankedTensorType result) {
  int64_t rank = std::max(a.getRank(), b.getRank());
  if (result.getRank() != rank)
    return op->emitOpError("result rank ")
           << result.getRank() << " is not the broadcast rank " << rank;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t da = i < a.getRank() ? a.getDimSize(a.getRank() - 1 - i) : 1;
    int64_t db = i < b.getRank() ? b.getDimSize(b.getRank() - 1 - i) : 1;
    int64_t dr = result.getDimSize(rank - 1 - i);
    int64_t want;
    if (da == 1)
      want = db;
    else if (db == 1 || da == db)
      want = da;
    else if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db))
      want = ShapedType::isDynamic(da) ? db : da;
    else
      return op->emitOpError("operand shapes ")
             << a << " and " << b << " do not broadcast";
    if (!dimsAgree(want, dr))
      return op->emitOpError("result dimension ")
             << (rank - 1 - i) << " is " << dr
             << " but the operands broadcast to " << want;
  }
  return success();
}

template <typename OpTy> LogicalResult verifyBinary(OpTy op) {
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto b = cast<RankedTensorType>(op.getRhs().getType());
  auto r = cast<RankedTensorType>(op.getResult().getType());
  if (a.getElementType() != b.getElementType() ||
      a.getElementType() != r.getElementType())
    return op.emitOpError("operands and result must have one element type");
  return verifyBroadcast(op, a, b, r);
}

LogicalResult verifyPerm(Operation *op, ArrayRef<int64_t> perm, int64_t rank) {
  if (static_cast<int64_t>(perm.size()) != rank)
    return op->emitOpError("perm has ")
           << perm.size() << " entries for rank " << rank;
  llvm::SmallVector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return op->emitOpError("perm is not a permutation of 0..") << rank - 1;
    seen[p] = true;
  }
  return success();
}
} // namespace

#define NN_BINARY_VERIFIER(OP)                                                 \
  LogicalResult OP::verify() { return verifyBinary(*this); }
NN_BINARY_VERIFIER(AddOp)
NN_BINARY_VERIFIER(SubOp)
NN_BINARY_VERIFIER(MulOp)
NN_BINARY_VERIFIER(DivOp)
NN_BINARY_VERIFIER(MaximumOp)
NN_BINARY_VERIFIER(MinimumOp)
NN_BINARY_VERIFIER(PowOp)
NN_BINARY_VERIFIER(RemOp)
#undef NN_BINARY_VERIFIER

/// `&&` and `||` combine bool tensors.
template <typename OpTy> LogicalResult verifyLogical(OpTy op) {
  if (!cast<RankedTensorType>(op.getType()).getElementType().isInteger(1))
    return op.emitOpError("operands and result must be bool (i1) tensors");
  return verifyBinary(op);
}
LogicalResult AndOp::verify() { return verifyLogical(*this); }
LogicalResult OrOp::verify() { return verifyLogical(*this); }

LogicalResult CompareOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  if (a.getElementType() != b.getElementType())
    return emitOpError("operands must have one element type");
  return verifyBroadcast(*this, a, b, cast<RankedTensorType>(getType()));
}

LogicalResult ConstantOp::verify() {
  auto t = cast<ShapedType>(getValue().getType());
  if (t != getType())
    return emitOpError("value type ")
           << t << " differs from result type " << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult MatmulOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto r = cast<RankedTensorType>(getType());
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOpError("operands must have rank 2 or more (vectors are "
                       "reshaped by MLIRGen)");
  if (a.getElementType() != b.getElementType() ||
      a.getElementType() != r.getElementType())
    return emitOpError("operands and result must have one element type");
  int64_t k1 = a.getDimSize(a.getRank() - 1),
          k2 = b.getDimSize(b.getRank() - 2);
  if (!dimsAgree(k1, k2))
    return emitOpError("inner dimensions differ: ") << k1 << " vs " << k2;
  int64_t rank = std::max(a.getRank(), b.getRank());
  if (r.getRank() != rank)
    return emitOpError("result rank must be ") << rank;
  if (!dimsAgree(r.getDimSize(rank - 2), a.getDimSize(a.getRank() - 2)) ||
      !dimsAgree(r.getDimSize(rank - 1), b.getDimSize(b.getRank() - 1)))
    return emitOpError("result shape ") << r
                                        << " is not [..., M, N] of the "
                                           "operands";
  return success();
}

static int64_t staticElements(RankedTensorType t, int &dynamic) {
  int64_t n = 1;
  dynamic = 0;
  for (int64_t d : t.getShape()) {
    if (ShapedType::isDynamic(d))
      ++dynamic;
    else
      n *= d;
  }
  return n;
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  int dynIn, dynOut;
  int64_t nIn = staticElements(in, dynIn), nOut = staticElements(out, dynOut);
  // Several dynamic dimensions only where unit dimensions are inserted or
  // dropped (the sizes then come from the input's).
  auto withoutUnits = [](RankedTensorType t) {
    SmallVector<int64_t> dims;
    for (int64_t d : t.getShape())
      if (d != 1)
        dims.push_back(d);
    return dims;
  };
  if (dynOut > 1 && withoutUnits(in) != withoutUnits(out))
    return emitOpError("at most one result dimension can be dynamic, unless "
                       "only unit dimensions are inserted or dropped");
  if (dynIn == 0 && dynOut == 0 && nIn != nOut)
    return emitOpError("element counts differ: ") << nIn << " vs " << nOut;
  if (dynIn == 0 && dynOut == 1 && nIn % nOut != 0)
    return emitOpError("the static result dimensions do not divide the "
                       "element count ")
           << nIn;
  if (dynIn > 0 && dynOut == 0)
    return emitOpError("a dynamic input needs a dynamic result dimension");
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  // reshape(reshape(x)) is one reshape of x.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (failed(verifyPerm(*this, getPerm(), in.getRank())))
    return failure();
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (!dimsAgree(out.getDimSize(i), in.getDimSize(p)))
      return emitOpError("result dimension ")
             << i << " must equal operand dimension " << p;
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  auto isIdentity = [](ArrayRef<int64_t> perm) {
    for (auto [i, p] : llvm::enumerate(perm))
      if (static_cast<int64_t>(i) != p)
        return false;
    return true;
  };
  if (isIdentity(getPerm()))
    return getInput();
  // transpose(transpose(x, p), q) = transpose(x, p o q); identity -> x.
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t q : getPerm())
      composed.push_back(inner.getPerm()[q]);
    if (isIdentity(composed))
      return inner.getInput();
  }
  return {};
}

LogicalResult SliceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(getStarts().size()) != rank ||
      static_cast<int64_t>(getSizes().size()) != rank ||
      static_cast<int64_t>(getStrides().size()) != rank)
    return emitOpError("starts, sizes and strides need one entry per "
                       "operand dimension (")
           << rank << ")";
  if (out.getRank() != rank - static_cast<int64_t>(getSqueeze().size()))
    return emitOpError("result rank must be the operand rank minus the "
                       "squeezed dimensions");
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = in.getDimSize(i), st = getStarts()[i], sz = getSizes()[i];
    if (getStrides()[i] <= 0)
      return emitOpError("strides must be positive");
    if (sz == -1 && st != 0)
      return emitOpError("a whole (-1) slice must start at 0");
    if (sz >= 0 && !ShapedType::isDynamic(d) &&
        st + (sz - 1) * getStrides()[i] >= d)
      return emitOpError("slice of dimension ") << i << " is out of bounds";
  }
  for (int64_t s : getSqueeze())
    if (s < 0 || s >= rank || getSizes()[s] != 1)
      return emitOpError("squeezed dimension ") << s << " must have size 1";
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  auto first = cast<RankedTensorType>(getInputs()[0].getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emitOpError("axis ") << axis << " is out of range";
  for (Value v : getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return emitOpError("operands must agree in rank and element type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && !dimsAgree(t.getDimSize(d), first.getDimSize(d)))
        return emitOpError("operands differ in dimension ") << d;
  }
  return success();
}

LogicalResult ReduceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  llvm::SmallVector<bool> reduced(in.getRank(), false);
  for (int64_t a : getAxes()) {
    if (a < 0 || a >= in.getRank() || reduced[a])
      return emitOpError("axes must be distinct dimensions of the operand");
    reduced[a] = true;
  }
  int64_t want = getKeepdims()
                     ? in.getRank()
                     : in.getRank() - static_cast<int64_t>(getAxes().size());
  if (out.getRank() != want)
    return emitOpError("result rank must be ") << want;
  bool arg = getKind() == ReduceKind::argmax || getKind() == ReduceKind::argmin;
  if (arg != out.getElementType().isInteger(64))
    return emitOpError(arg ? "argmax/argmin give i64"
                           : "result element type "
                             "must be the operand's");
  return success();
}

LogicalResult SoftmaxOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  auto axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= t.getRank())
    return emitOpError("axis ") << axis << " is out of range";
  return success();
}

LogicalResult OneHotOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (out.getRank() != in.getRank() + 1 ||
      ShapedType::isDynamic(out.getShape().back()))
    return emitOpError("result must be the operand shape plus a static "
                       "class dimension");
  return success();
}

LogicalResult Conv2DFilterGradOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto g = cast<RankedTensorType>(getGrad().getType());
  auto w = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || g.getRank() != 4 || w.getRank() != 4)
    return emitOpError("input, cotangent and result must be rank 4 (NHWC, "
                       "NHWC, HWCF)");
  if (getStride().size() != 2 || getDilation().size() != 2 ||
      getPadding().size() != 4)
    return emitOpError("stride and dilation need 2 entries, padding 4");
  if (!w.hasStaticShape())
    return emitOpError("the filter shape must be static");
  int64_t groups = getGroups();
  if (groups < 1 || w.getDimSize(3) % groups != 0)
    return emitOpError("groups must be positive and divide the filters");
  if (!dimsAgree(x.getDimSize(3), ShapedType::isDynamic(x.getDimSize(3))
                                      ? x.getDimSize(3)
                                      : w.getDimSize(2) * groups) ||
      !dimsAgree(g.getDimSize(3), w.getDimSize(3)))
    return emitOpError("result channels must match the input's (per group) "
                       "and the cotangent's");
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i), out = g.getDimSize(1 + i);
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
      continue;
    int64_t last =
        (out - 1) * getStride()[i] + (w.getDimSize(i) - 1) * getDilation()[i];
    if (last >= in + getPadding()[2 * i] + getPadding()[2 * i + 1])
      return emitOpError("the windows of spatial dimension ")
             << i << " run past the padded input";
  }
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto w = cast<RankedTensorType>(getFilter().getType());
  auto y = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || w.getRank() != 4 || y.getRank() != 4)
    return emitOpError("input, filter and result must be rank 4 (NHWC, HWCF)");
  if (getStride().size() != 2 || getDilation().size() != 2 ||
      getPadding().size() != 4)
    return emitOpError("stride and dilation need 2 entries, padding 4");
  int64_t g = getGroups();
  if (g <= 0)
    return emitOpError("groups must be positive");
  if (!ShapedType::isDynamic(x.getDimSize(3)) &&
      x.getDimSize(3) != w.getDimSize(2) * g)
    return emitOpError("filter input channels ")
           << w.getDimSize(2) << " x groups " << g << " != input channels "
           << x.getDimSize(3);
  if (y.getDimSize(3) != w.getDimSize(3))
    return emitOpError("result channels must equal filter output channels");
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i), k = w.getDimSize(i);
    if (ShapedType::isDynamic(in))
      continue;
    int64_t span = in + getPadding()[2 * i] + getPadding()[2 * i + 1] -
                   getDilation()[i] * (k - 1) - 1;
    int64_t want = span < 0 ? 0 : span / getStride()[i] + 1;
    if (!dimsAgree(y.getDimSize(1 + i), want))
      return emitOpError("result spatial dimension ")
             << i << " must be " << want;
  }
  return success();
}

LogicalResult ConvTranspose2DOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto w = cast<RankedTensorType>(getFilter().getType());
  auto y = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || w.getRank() != 4 || y.getRank() != 4)
    return emitOpError("input, filter and result must be rank 4 (NHWC, HWCF)");
  if (getStride().size() != 2 || getPadding().size() != 2)
    return emitOpError("stride and padding need 2 entries");
  if (!dimsAgree(x.getDimSize(3), w.getDimSize(2)) ||
      !dimsAgree(y.getDimSize(3), w.getDimSize(3)))
    return emitOpError("filter channels do not match the input and result");
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i);
    if (ShapedType::isDynamic(in))
      continue;
    int64_t want =
        (in - 1) * getStride()[i] - 2 * getPadding()[i] + w.getDimSize(i);
    if (!dimsAgree(y.getDimSize(1 + i), want))
      return emitOpError("result spatial dimension ")
             << i << " must be " << want;
  }
  return success();
}

/// The window, stride and padding attributes of the pooling ops.
template <typename PoolOp> static LogicalResult verifyWindows(PoolOp op) {
  if (op.getWindow().size() != 2 || op.getStride().size() != 2 ||
      op.getPadding().size() != 4)
    return op.emitOpError("window and stride need 2 entries, padding 4");
  return success();
}

LogicalResult Pool2DOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto y = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || y.getRank() != 4)
    return emitOpError("input and result must be rank 4 (NHWC)");
  if (failed(verifyWindows(*this)))
    return failure();
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i);
    if (ShapedType::isDynamic(in))
      continue;
    int64_t span =
        in + getPadding()[2 * i] + getPadding()[2 * i + 1] - getWindow()[i];
    int64_t want = span < 0 ? 0 : span / getStride()[i] + 1;
    if (!dimsAgree(y.getDimSize(1 + i), want))
      return emitOpError("result spatial dimension ")
             << i << " must be " << want;
  }
  return success();
}

LogicalResult Pool2DGradOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto g = cast<RankedTensorType>(getGrad().getType());
  if (x.getRank() != 4 || g.getRank() != 4)
    return emitOpError("input and cotangent must be rank 4 (NHWC)");
  if (failed(verifyWindows(*this)))
    return failure();
  return success();
}

LogicalResult Pool2DTakeOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto r = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || r.getRank() != 4)
    return emitOpError("input, source and result must be rank 4 (NHWC)");
  if (failed(verifyWindows(*this)))
    return failure();
  return success();
}

LogicalResult SelectOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto c = cast<RankedTensorType>(getCond().getType());
  auto r = cast<RankedTensorType>(getType());
  if (a.getElementType() != b.getElementType() ||
      a.getElementType() != r.getElementType())
    return emitOpError("the two choices and the result must have one element "
                       "type");
  // The result is the broadcast of all three shapes.
  auto ab = RankedTensorType::get(r.getShape(), a.getElementType());
  if (failed(verifyBroadcast(*this, a, b, ab)))
    return failure();
  if (c.getRank() > r.getRank())
    return emitOpError("the condition has a higher rank than the result");
  return success();
}

LogicalResult CastOp::verify() {
  auto a = cast<RankedTensorType>(getInput().getType());
  auto r = cast<RankedTensorType>(getType());
  if (a.getShape() != r.getShape())
    return emitOpError("cast keeps the shape");
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ClipOp::verify() {
  if (getLow().convertToDouble() > getHigh().convertToDouble())
    return emitOpError("low must not exceed high");
  return success();
}

LogicalResult GatherOp::verify() {
  auto t = cast<RankedTensorType>(getTable().getType());
  auto i = cast<RankedTensorType>(getIndex().getType());
  auto r = cast<RankedTensorType>(getType());
  if (t.getRank() < 1)
    return emitOpError("the table needs rank 1 or more");
  if (r.getRank() != i.getRank() + t.getRank() - 1 ||
      r.getElementType() != t.getElementType())
    return emitOpError("result must be [index dims..., row dims...] of the "
                       "table's element type");
  for (int64_t d = 1; d < t.getRank(); ++d)
    if (!dimsAgree(r.getDimSize(i.getRank() + d - 1), t.getDimSize(d)))
      return emitOpError("result row dimensions differ from the table's");
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto g = cast<RankedTensorType>(getGamma().getType());
  if (g != getBeta().getType())
    return emitOpError("gamma and beta must have one type");
  if (g.getRank() < 1 || g.getRank() > x.getRank())
    return emitOpError("gamma must cover 1 to rank(input) trailing dimensions");
  for (int64_t d = 0; d < g.getRank(); ++d)
    if (!dimsAgree(g.getDimSize(d),
                   x.getDimSize(x.getRank() - g.getRank() + d)))
      return emitOpError("gamma does not match the trailing dimensions");
  return success();
}

/// The `[C]` type of per-channel values of an `[N, ..., C]` tensor, or
/// null when `x` is not at least rank 2.
static RankedTensorType channelType(Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  if (t.getRank() < 2)
    return {};
  return RankedTensorType::get({t.getShape().back()}, t.getElementType());
}

LogicalResult BatchNormOp::verify() {
  RankedTensorType c = channelType(getInput());
  if (!c)
    return emitOpError("input must be [N, ..., C]");
  for (Value v : {getGamma(), getBeta(), getMean(), getVar()})
    if (v.getType() != c)
      return emitOpError("gamma, beta, mean and var must be ") << c;
  return success();
}

llvm::SmallVector<int64_t> ChannelMomentsOp::axesOf(Value x) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  return llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
}

LogicalResult ChannelMomentsOp::verify() {
  RankedTensorType c = channelType(getInput());
  if (!c)
    return emitOpError("input must be [N, ..., C]");
  if (getMean().getType() != c || getVar().getType() != c)
    return emitOpError("mean and var must be ") << c;
  return success();
}

LogicalResult BatchNormGradOp::verify() {
  RankedTensorType c = channelType(getInput());
  if (!c)
    return emitOpError("input must be [N, ..., C]");
  if (getGrad().getType() != getInput().getType() ||
      getInputGrad().getType() != getInput().getType())
    return emitOpError("the cotangents must have the input's type");
  for (Value v :
       {getGamma(), getMean(), getVar(), getGammaGrad(), getBetaGrad()})
    if (v.getType() != c)
      return emitOpError("gamma, mean, var and their cotangents must be ") << c;
  return success();
}

LogicalResult DropoutOp::verify() {
  double r = getRate().convertToDouble();
  if (r < 0 || r >= 1)
    return emitOpError("rate must be in [0, 1)");
  return success();
}

LogicalResult UpsampleOp::verify() {
  auto x = cast<RankedTensorType>(getInput().getType());
  auto r = cast<RankedTensorType>(getType());
  if (x.getRank() != 4 || r.getRank() != 4 || getFactor() < 1)
    return emitOpError("needs NHWC tensors and a positive factor");
  for (int d = 1; d <= 2; ++d)
    if (!x.isDynamicDim(d) &&
        !dimsAgree(r.getDimSize(d), x.getDimSize(d) * getFactor()))
      return emitOpError("result spatial dimensions must be the input's "
                         "times the factor");
  return success();
}

LogicalResult FillOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  if (getDynamicSizes().size() != static_cast<size_t>(t.getNumDynamicDims()))
    return emitOpError("needs one size operand per dynamic dimension");
  return success();
}

LogicalResult RandomOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  if (getDynamicSizes().size() != static_cast<size_t>(t.getNumDynamicDims()))
    return emitOpError("needs one size operand per dynamic dimension");
  return success();
}

#define GET_OP_CLASSES
#include "dialect/NNOps.cpp.inc"
