//===- BuiltinArgs.h - Argument checks shared by the built-ins --*- C++ -*-===//
//
// Internal to compiler/sema: the checks every built-in's shape rule makes
// on its arguments, each reporting a located error and returning nullopt.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_BUILTINARGS_H
#define NNC_SEMA_BUILTINARGS_H

#include "sema/Elaborator.h"

#include <array>

namespace nnc {
namespace builtins {

using Args = std::vector<CallArg>;

/// Whether optional argument k was given.
bool present(const Args &a, size_t k);
/// The tensor type of an argument (optionally requiring a float dtype).
std::optional<TensorType> tensorArg(Elaborator &el, const CallArg &a,
                                    const char *fn, bool floatOnly = false);
/// A compile-time integer (or `dflt` when the argument is absent). Its
/// range was checked before the shape rule ran (BuiltinAttrs.cpp).
std::optional<int64_t> intArg(Elaborator &el, const Args &a, size_t k,
                              int64_t dflt, const char *what);
/// A size per image axis: an integer for both, or a list [height, width]
/// (or `dflt` when the argument is absent).
std::optional<std::array<int64_t, 2>>
pairArg(Elaborator &el, const Args &a, size_t k, std::array<int64_t, 2> dflt,
        const char *what);
/// An image op's padding: "valid" (the default), "same" (`same`), or
/// pixels [top, bottom, left, right] from an integer, [height, width] or
/// the four.
struct Pads {
  bool same = false;
  std::array<int64_t, 4> p{};
};
std::optional<Pads> padsArg(Elaborator &el, const Args &a, size_t k);
/// A compile-time number (or `dflt` when the argument is absent).
std::optional<double> floatArg(Elaborator &el, const Args &a, size_t k,
                               double dflt, const char *what);
/// An axis normalised to [0, rank).
std::optional<int64_t> axisOf(Elaborator &el, const CallArg &a, int64_t v,
                              int64_t rank);
/// A shape list such as [B, 10]. With `allowInfer` (reshape) one entry may
/// be -1, returned as the marker `inferredDim()`; otherwise every integer
/// must be positive.
std::optional<std::vector<Dim>> shapeArg(Elaborator &el, const CallArg &a,
                                         bool allowInfer = false);
/// The marker shapeArg gives a -1 entry (neither a constant nor a symbol).
inline Dim inferredDim() { return Dim{-1, {}}; }
inline bool isInferredDim(const Dim &d) { return !d.isConst() && d.sym.empty(); }
/// Argument k is a string (else a located error).
bool stringArg(Elaborator &el, const Args &a, size_t k, const char *what);
/// A tensor result with its FLOPs recorded.
Result produce(Elaborator &el, const char *op, TensorType t, int64_t flops);

} // namespace builtins
} // namespace nnc

#endif // NNC_SEMA_BUILTINARGS_H
