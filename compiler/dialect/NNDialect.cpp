//===- NNDialect.cpp - The nn dialect -------------------------------------===//
//
// Registers the ops, and lets the inliner move them: a train step calls
// its loss function (differentiated by the reverse-mode pass) and then
// inlines it, so every nn op is legal to inline (they are all pure or
// local to their function). Verifies the discardable `nn.*` attributes
// that carry the calling contract between MLIRGen, the passes and the
// runtime: a misspelt or mistyped one is an error, not a silent default.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"
#include "dialect/NNAttrNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/InliningUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace nnc::nn;

#include "dialect/NNDialect.cpp.inc"
#include "dialect/NNEnums.cpp.inc"
#include "dialect/NNInterfaces.cpp.inc"

namespace {
struct NNInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
      >();
  addInterfaces<NNInlinerInterface>();
}

//===----------------------------------------------------------------------===//
// Discardable attributes
//===----------------------------------------------------------------------===//

namespace {
/// What an argument or result of a generated function is (`nn.kind`); the
/// runtime's nnc_arg_kind has one value per name.
constexpr llvm::StringLiteral kArgKinds[] = {
    "input", "data",   "param",  "state",  "opt_state",
    "step",  "stream", "hparam", "output", "update", "gradient", "image",
    "text"};

LogicalResult verifyArgOrResultAttr(Operation *op, NamedAttribute named,
                                    StringRef where) {
  StringRef name = named.getName().getValue();
  Attribute v = named.getValue();
  if (name == nnc::attr::kName || name == nnc::attr::kKind || name == nnc::attr::kInit ||
      name == nnc::attr::kSource) {
    auto str = dyn_cast<StringAttr>(v);
    if (!str)
      return op->emitError() << "'" << name << "' of " << where
                             << " must be a string";
    if (name == nnc::attr::kKind && !llvm::is_contained(kArgKinds, str.getValue()))
      return op->emitError()
             << "unknown 'nn.kind' \"" << str.getValue() << "\" of " << where;
    return success();
  }
  // Any other nn.* attribute of an argument is an initializer's argument
  // (`nn.std` of normal(std: 0.02)).
  if (!isa<FloatAttr>(v))
    return op->emitError() << "'" << name << "' of " << where
                           << " must be a float (an initializer argument)";
  return success();
}
} // namespace

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned arg,
                                                  NamedAttribute attr) {
  return verifyArgOrResultAttr(op, attr,
                               "argument " + std::to_string(arg));
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned result,
                                                     NamedAttribute attr) {
  return verifyArgOrResultAttr(op, attr, "result " + std::to_string(result));
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute v = attr.getValue();
  auto expect = [&](bool ok, StringRef what) -> LogicalResult {
    if (ok)
      return success();
    return op->emitError() << "'" << name << "' must be " << what;
  };
  // Functions: the reverse-mode mark, kernels and their aliasing, the
  // buffer plan's workspace.
  if (name == nnc::attr::kWrt)
    return expect(isa<func::FuncOp>(op) && isa<DenseI64ArrayAttr>(v),
                  "an array of argument positions on a function");
  if (name == nnc::attr::kKernel)
    return expect(isa<UnitAttr>(v), "a unit attribute");
  if (name == nnc::attr::kBf16 || name == nnc::attr::kInt8)
    return expect(isa<UnitAttr>(v), "a unit attribute");
  if (name == nnc::attr::kNoAliasArgs)
    return expect(isa<DenseI32ArrayAttr>(v), "an array of argument positions");
  if (name == nnc::attr::kWorkspace)
    return expect(isa<DictionaryAttr>(v), "a dictionary");
  if (name == nnc::attr::kFilterGrad)
    return expect(isa<DenseI64ArrayAttr>(v), "an array of strides and dilations");
  // Notes for --remarks on loops and calls.
  if (name == nnc::attr::kEpilogue || name == nnc::attr::kNotFused ||
      name == nnc::attr::kFusionNote)
    return expect(isa<StringAttr>(v), "a string");
  return op->emitError() << "unknown attribute '" << name
                         << "' of the nn dialect";
}
