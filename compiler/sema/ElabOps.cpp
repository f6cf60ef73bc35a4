//===- ElabOps.cpp - Operators on numbers, dimensions and tensors ---------===//
//
// Binary operators fold compile-time numbers (hyper-parameter arithmetic),
// build symbolic dimensions (`T + 1`), and type tensor arithmetic:
// broadcasting, dtype agreement (a compile-time number adapts to the
// tensor's dtype), comparisons to bool tensors, and `@` with batch
// broadcasting.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace nnc;

static Result foldNumbers(Elaborator &el, BinOp op, const Value &l,
                          const Value &r, llvm::SMLoc loc) {
  bool ints = l.kind == Value::Int && r.kind == Value::Int;
  double a = l.number(), b = r.number();
  // Integer arithmetic is checked: a wrapped size is worse than an error.
  int64_t res = 0;
  auto checked = [&](bool overflow) -> Result {
    if (!overflow)
      return Value::ofInt(res);
    el.error(loc, "integer overflow in a compile-time expression: " +
                      l.describe() + " " + binOpSpelling(op) + " " +
                      r.describe() + " does not fit in 64 bits");
    return std::nullopt;
  };
  // A float result must be a number: inf or NaN here would reach the
  // program as a learning rate or a constant nobody meant.
  auto real = [&](double x) -> Result {
    if (std::isfinite(x))
      return Value::ofFloat(x);
    el.error(loc, "the compile-time expression " + l.describe() + " " +
                      binOpSpelling(op) + " " + r.describe() + " is " +
                      (std::isnan(x) ? "not a number" : "infinite"));
    return std::nullopt;
  };
  switch (op) {
  case BinOp::Add:
    return ints ? checked(llvm::AddOverflow(l.i, r.i, res))
                : real(a + b);
  case BinOp::Sub:
    return ints ? checked(llvm::SubOverflow(l.i, r.i, res))
                : real(a - b);
  case BinOp::Mul:
    return ints ? checked(llvm::MulOverflow(l.i, r.i, res))
                : real(a * b);
  case BinOp::Div:
  case BinOp::Mod:
    if (b == 0) {
      el.error(loc, "division by zero in a compile-time expression");
      return std::nullopt;
    }
    if (ints && l.i == INT64_MIN && r.i == -1)
      return op == BinOp::Mod ? Value::ofInt(0) : checked(true);
    if (ints)
      return Value::ofInt(op == BinOp::Div ? l.i / r.i : l.i % r.i);
    return real(op == BinOp::Div ? a / b : std::fmod(a, b));
  case BinOp::Pow:
    if (ints && r.i >= 0) {
      // By squaring: 64 steps at most, each checked.
      int64_t base = l.i, e = r.i;
      res = 1;
      bool overflow = false;
      while (e > 0 && !overflow && res != 0) {
        if (e & 1)
          overflow = llvm::MulOverflow(res, base, res);
        e >>= 1;
        if (e > 0 && !overflow)
          overflow = llvm::MulOverflow(base, base, base);
      }
      return checked(overflow);
    }
    return real(std::pow(a, b));
  case BinOp::Eq:
    return Value::ofBool(a == b);
  case BinOp::Ne:
    return Value::ofBool(a != b);
  case BinOp::Lt:
    return Value::ofBool(a < b);
  case BinOp::Le:
    return Value::ofBool(a <= b);
  case BinOp::Gt:
    return Value::ofBool(a > b);
  case BinOp::Ge:
    return Value::ofBool(a >= b);
  default:
    el.error(loc, "'" + binOpSpelling(op) + "' needs bools, not numbers");
    return std::nullopt;
  }
}

/// `T + 1`, `H * W`: arithmetic involving a symbolic dimension.
static Result foldDims(Elaborator &el, BinOp op, const Value &l, const Value &r,
                       llvm::SMLoc loc) {
  auto str = [](const Value &v) {
    return v.kind == Value::DimV ? v.dim.sym : std::to_string(v.i);
  };
  if (op == BinOp::Eq || op == BinOp::Ne) {
    bool same = str(l) == str(r);
    return Value::ofBool(op == BinOp::Eq ? same : !same);
  }
  const char *sp = op == BinOp::Add   ? "+"
                   : op == BinOp::Sub ? "-"
                   : op == BinOp::Mul ? "*"
                   : op == BinOp::Div ? "/"
                                      : nullptr;
  if (!sp) {
    el.error(loc, "'" + binOpSpelling(op) +
                      "' is not defined on symbolic "
                      "dimensions");
    return std::nullopt;
  }
  if (op == BinOp::Mul)
    return Value::ofDim(Dim::symbol(str(l) + "*" + str(r)));
  return Value::ofDim(Dim::symbol("(" + str(l) + sp + str(r) + ")"));
}

static Result matmulType(Elaborator &el, const TensorType &a,
                         const TensorType &b, llvm::SMLoc loc) {
  if (a.rank() == 0 || b.rank() == 0) {
    el.error(loc, "'@' needs tensors of rank 1 or more; got " + a.str() +
                      " @ " + b.str() + " (use '*' for scalars)");
    return std::nullopt;
  }
  if (a.dtype != b.dtype || !isFloat(a.dtype)) {
    el.error(loc, "'@' needs two float tensors of the same type; got " +
                      a.str() + " @ " + b.str());
    return std::nullopt;
  }
  std::vector<Dim> ad = a.dims, bd = b.dims;
  bool vecA = ad.size() == 1, vecB = bd.size() == 1;
  if (vecA)
    ad.insert(ad.begin(), Dim::constant(1));
  if (vecB)
    bd.push_back(Dim::constant(1));
  const Dim &k1 = ad.back(), &k2 = bd[bd.size() - 2];
  if (k1 != k2) {
    el.error(loc,
             "'@' needs matching inner dimensions: " + a.str() + " @ " +
                 b.str() + " (" + k1.str() + " vs " + k2.str() + ")" +
                 (a.rank() > 2 && b.rank() == 2 ? " (flatten first?)" : ""));
    return std::nullopt;
  }
  std::vector<Dim> batchA(ad.begin(), ad.end() - 2),
      batchB(bd.begin(), bd.end() - 2);
  int bad = 0;
  auto batch = broadcastShapes(batchA, batchB, &bad);
  if (!batch) {
    el.error(loc, "'@' batch dimensions do not broadcast: " + a.str() + " @ " +
                      b.str());
    return std::nullopt;
  }
  TensorType out{a.dtype, *batch};
  if (!vecA)
    out.dims.push_back(ad[ad.size() - 2]);
  if (!vecB)
    out.dims.push_back(bd.back());
  Value v = Value::ofTensor(out);
  if (!el.checkSize(v, loc))
    return std::nullopt;
  const DimValues &dv = el.dimValues();
  el.account("matmul", saturatingMul(2 * numElements(out, dv), dv.get(k1)), v);
  return v;
}

Result Elaborator::binaryOp(BinOp op, const Value &l, const Value &r,
                            llvm::SMLoc loc) {
  if (l.isNumber() && r.isNumber())
    return foldNumbers(*this, op, l, r, loc);
  bool dimL = l.kind == Value::DimV || l.kind == Value::Int;
  bool dimR = r.kind == Value::DimV || r.kind == Value::Int;
  if (dimL && dimR)
    return foldDims(*this, op, l, r, loc);
  if (l.kind == Value::Bool && r.kind == Value::Bool) {
    switch (op) {
    case BinOp::And:
      return Value::ofBool(l.b && r.b);
    case BinOp::Or:
      return Value::ofBool(l.b || r.b);
    case BinOp::Eq:
      return Value::ofBool(l.b == r.b);
    case BinOp::Ne:
      return Value::ofBool(l.b != r.b);
    default:
      break;
    }
  }
  if (l.kind == Value::String && r.kind == Value::String &&
      (op == BinOp::Eq || op == BinOp::Ne))
    return Value::ofBool((l.s == r.s) == (op == BinOp::Eq));
  if (l.kind == Value::String && r.kind == Value::String && op == BinOp::Add)
    return Value::ofString(l.s + r.s);

  static const OpKind kinds[] = {
      OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Mod,
      OpKind::Matmul, OpKind::Pow, OpKind::Eq, OpKind::Ne, OpKind::Lt,
      OpKind::Le, OpKind::Gt, OpKind::Ge, OpKind::And, OpKind::Or};
  return tensorBinary(*this, kinds[static_cast<int>(op)], op, l, r, loc);
}

Result nnc::tensorBinary(Elaborator &el, OpKind kind, BinOp op,
                         const Value &l, const Value &r, llvm::SMLoc loc) {
  // Compile-time numbers and dimensions act as scalars of the other
  // operand's dtype.
  auto asTensor = [](const Value &v,
                     const Value &other) -> std::optional<TensorType> {
    if (v.kind == Value::Tensor)
      return v.type;
    if (v.isNumber() || v.kind == Value::DimV || v.kind == Value::Bool) {
      DType dt = other.kind == Value::Tensor ? other.type.dtype : DType::F32;
      if (v.kind == Value::Float && !isFloat(dt)) {
        // `i * dt` with a loop counter i: the scalar becomes f32.
        if (other.kind == Value::Tensor && other.type.isScalar())
          return TensorType{DType::F32, {}};
        return std::nullopt;
      }
      return TensorType{dt, {}};
    }
    return std::nullopt;
  };
  auto lt = asTensor(l, r), rt = asTensor(r, l);
  if (!lt || !rt || (l.kind != Value::Tensor && r.kind != Value::Tensor)) {
    el.error(loc, "'" + binOpSpelling(op) + "' cannot combine " + l.describe() +
                      " and " + r.describe());
    return std::nullopt;
  }
  if (op == BinOp::MatMul) {
    Result m = matmulType(el, *lt, *rt, loc);
    if (m)
      el.trace(*m, OpKind::Matmul,
               {el.nodeOf(l, lt->dtype, loc), el.nodeOf(r, rt->dtype, loc)},
               loc);
    return m;
  }
  DType dt = lt->dtype;
  if (lt->dtype != rt->dtype) {
    // A runtime integer scalar (a loop counter) promotes to float.
    if (lt->isScalar() && !isFloat(lt->dtype) && isFloat(rt->dtype))
      dt = rt->dtype;
    else if (rt->isScalar() && !isFloat(rt->dtype) && isFloat(lt->dtype))
      dt = lt->dtype;
    else {
      el.error(loc, "'" + binOpSpelling(op) +
                        "' needs operands of the same "
                        "element type; got " +
                        lt->str() + " and " + rt->str() + " (use cast(x, " +
                        dtypeName(lt->dtype).str() + ")?)");
      return std::nullopt;
    }
  }
  int bad = 0;
  auto shape = broadcastShapes(lt->dims, rt->dims, &bad);
  if (!shape) {
    const Dim &a = lt->dims[lt->rank() - 1 - bad];
    const Dim &b = rt->dims[rt->rank() - 1 - bad];
    el.error(loc, "cannot broadcast " + lt->str() + " and " + rt->str() +
                      " in '" + binOpSpelling(op) + "': " + a.str() + " vs " +
                      b.str());
    return std::nullopt;
  }
  bool logical = op == BinOp::And || op == BinOp::Or;
  bool compare = op >= BinOp::Eq && op <= BinOp::Ge;
  if (logical && dt != DType::Bool) {
    el.error(loc, "'" + binOpSpelling(op) + "' needs bool tensors");
    return std::nullopt;
  }
  if (!logical && !compare && dt == DType::Bool) {
    el.error(loc, "arithmetic '" + binOpSpelling(op) +
                      "' is not defined on "
                      "bool tensors (use cast(x, f32)?)");
    return std::nullopt;
  }
  TensorType out{compare ? DType::Bool : dt, *shape};
  Value v = Value::ofTensor(out);
  if (!el.checkSize(v, loc))
    return std::nullopt;
  el.account(opKindName(kind), numElements(out, el.dimValues()), v);
  el.trace(v, kind, {el.nodeOf(l, dt, loc), el.nodeOf(r, dt, loc)}, loc);
  return v;
}
