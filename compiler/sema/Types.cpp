//===- Types.cpp - Tensor types with symbolic dimensions ------------------===//
//
// Broadcasting follows NumPy: shapes are aligned on the right, a dimension
// of 1 stretches, equal dimensions match. Two different symbols do not
// broadcast: sema cannot prove they are equal, so it asks the user to make
// them the same symbol.
//
//===----------------------------------------------------------------------===//
#include "sema/Types.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace nnc;

std::optional<DType> nnc::parseDType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("f32", DType::F32)
      .Case("f64", DType::F64)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("bool", DType::Bool)
      .Default(std::nullopt);
}

llvm::StringRef nnc::dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

unsigned nnc::dtypeBytes(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::Bool:
    return 1;
  default:
    return 4;
  }
}

std::string Dim::str() const { return isConst() ? std::to_string(value) : sym; }

int64_t nnc::saturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? INT64_MAX : r;
}

int64_t nnc::saturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return llvm::AddOverflow(a, b, r) ? INT64_MAX : r;
}

Dim nnc::dimProduct(const std::vector<Dim> &dims) {
  int64_t c = 1;
  std::string syms;
  for (const Dim &d : dims) {
    if (d.isConst()) {
      c = saturatingMul(c, d.value);
    } else {
      if (!syms.empty())
        syms += "*";
      syms += d.sym;
    }
  }
  if (syms.empty())
    return Dim::constant(c);
  if (c == 0)
    return Dim::constant(0);
  return Dim::symbol(c == 1 ? syms : syms + "*" + std::to_string(c));
}

std::string TensorType::str() const {
  std::string s = dtypeName(dtype).str();
  if (dims.empty())
    return s;
  s += "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    s += dims[i].str();
  }
  return s + "]";
}

int64_t DimValues::get(const Dim &d) const {
  if (d.isConst())
    return d.value;
  // A product symbol `H*W*4`: multiply its parts.
  int64_t v = 1;
  llvm::SmallVector<llvm::StringRef, 4> parts;
  llvm::StringRef(d.sym).split(parts, '*');
  for (llvm::StringRef p : parts) {
    int64_t c;
    if (!p.getAsInteger(10, c)) {
      v = saturatingMul(v, c);
      continue;
    }
    auto it = values.find(p.str());
    if (it != values.end()) {
      v = saturatingMul(v, it->second);
    } else if (std::find(assumed.begin(), assumed.end(), p.str()) ==
               assumed.end()) {
      assumed.push_back(p.str());
    }
  }
  return v;
}

int64_t nnc::numElements(const TensorType &t, const DimValues &dv) {
  int64_t n = 1;
  for (const Dim &d : t.dims)
    n = saturatingMul(n, dv.get(d));
  return n;
}

std::optional<int64_t> nnc::staticBytes(const TensorType &t) {
  int64_t n = dtypeBytes(t.dtype);
  for (const Dim &d : t.dims) {
    int64_t c = d.isConst() ? d.value : 1;
    if (!d.isConst()) {
      // A product symbol `H*W*4` keeps its constant factor.
      llvm::SmallVector<llvm::StringRef, 4> parts;
      llvm::StringRef(d.sym).split(parts, '*');
      for (llvm::StringRef p : parts) {
        int64_t k;
        if (!p.getAsInteger(10, k) && llvm::MulOverflow(c, k, c))
          return std::nullopt;
      }
    }
    if (llvm::MulOverflow(n, c, n))
      return std::nullopt;
  }
  return n;
}

std::optional<std::vector<Dim>> nnc::broadcastShapes(const std::vector<Dim> &a,
                                                     const std::vector<Dim> &b,
                                                     int *badAxis) {
  size_t n = std::max(a.size(), b.size());
  std::vector<Dim> out(n);
  for (size_t i = 0; i < n; ++i) {
    const Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    Dim r;
    if (!da)
      r = *db;
    else if (!db)
      r = *da;
    else if (*da == *db)
      r = *da;
    else if (da->isConst() && da->value == 1)
      r = *db;
    else if (db->isConst() && db->value == 1)
      r = *da;
    else {
      if (badAxis)
        *badAxis = static_cast<int>(i);
      return std::nullopt;
    }
    out[n - 1 - i] = r;
  }
  return out;
}
