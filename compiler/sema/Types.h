//===- Types.h - Tensor types with symbolic dimensions ----------*- C++ -*-===//
//
// The type system sema checks before any MLIR exists: element types, shapes
// whose dimensions are constants or named symbols (`B`, `T`), broadcasting
// and printing in the language's own syntax (`f32[B, 28, 28]`).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_TYPES_H
#define NNC_SEMA_TYPES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

enum class DType { F32, F64, I32, I64, Bool };

std::optional<DType> parseDType(llvm::StringRef name);
llvm::StringRef dtypeName(DType t);
unsigned dtypeBytes(DType t);
inline bool isFloat(DType t) { return t == DType::F32 || t == DType::F64; }

/// The one spelling of a symbolic size (DimExpr.cpp): `B+B+B` and `3*B`
/// are both `B*3`; what is not a polynomial of names stays as written.
std::string canonicalDim(llvm::StringRef s);

/// A dimension: a non-negative constant or a named symbol.
struct Dim {
  int64_t value = -1; ///< >= 0 when constant
  std::string sym;    ///< symbol name when not constant

  static Dim constant(int64_t v) { return Dim{v, {}}; }
  static Dim symbol(const std::string &s) { return Dim{-1, canonicalDim(s)}; }
  bool isConst() const { return value >= 0; }
  bool operator==(const Dim &o) const {
    return isConst() ? o.isConst() && value == o.value
                     : !o.isConst() && sym == o.sym;
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
  std::string str() const;
};

/// Product of dims: constant if all are, else a symbolic product `H*W*4`.
/// A constant product past INT64_MAX is INT64_MAX (the size check of the
/// tensor holding it reports it).
Dim dimProduct(const std::vector<Dim> &dims);

/// a * b and a + b of non-negative counts, INT64_MAX when they overflow:
/// element, FLOP and byte counts that only feed figures (summaries).
int64_t saturatingMul(int64_t a, int64_t b);
int64_t saturatingAdd(int64_t a, int64_t b);

/// The most bytes one tensor may take (256 TiB): more is a mistake (a
/// hyper-parameter off by orders of magnitude), not a model.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;

struct TensorType {
  DType dtype = DType::F32;
  std::vector<Dim> dims;

  unsigned rank() const { return dims.size(); }
  bool isScalar() const { return dims.empty(); }
  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && dims == o.dims;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  std::string str() const;
};

/// Values given to symbolic dims when counting elements (batch = 1 for
/// "per sample" figures; others from `--dim T=64`).
struct DimValues {
  std::map<std::string, int64_t> values;
  int64_t get(const Dim &d) const;
  /// Symbols that had no value and were taken as 1.
  mutable std::vector<std::string> assumed;
};

/// Elements of `t` with symbols taken from `dv` (saturating).
int64_t numElements(const TensorType &t, const DimValues &dv);
/// Bytes of `t` counting only its constant dimensions (symbols as 1);
/// nullopt when the count overflows 64 bits.
std::optional<int64_t> staticBytes(const TensorType &t);

/// NumPy broadcasting of two shapes; nullopt (and the offending axis in
/// `badAxis`, counted from the right) if they do not broadcast.
std::optional<std::vector<Dim>> broadcastShapes(const std::vector<Dim> &a,
                                                const std::vector<Dim> &b,
                                                int *badAxis = nullptr);

} // namespace nnc

#endif // NNC_SEMA_TYPES_H
