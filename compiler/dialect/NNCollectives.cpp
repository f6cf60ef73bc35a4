//===- NNCollectives.cpp - The gradient exchange ops ----------------------===//
//
// nn.allreduce_start / nn.allreduce_wait: verifiers, memory effects and
// bufferization. They exist in two forms, on tensors (the train step as
// generated) and on memrefs (after one-shot bufferization), so that the
// exchange reads and writes the very buffers the step computes in and the
// optimizer update reads, with no copies of its own.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace nnc::nn;

namespace nnc::nn::detail {
/// The exchange's own state: its ops stay in order and are never erased
/// as dead, without claiming anything about other memory. (Named, not in
/// an anonymous namespace: a resource needs a TypeID.)
struct ExchangeResource
    : public mlir::SideEffects::Resource::Base<ExchangeResource> {
  llvm::StringRef getName() final { return "nn.gradient_exchange"; }
};
} // namespace nnc::nn::detail
MLIR_DECLARE_EXPLICIT_TYPE_ID(nnc::nn::detail::ExchangeResource)
MLIR_DEFINE_EXPLICIT_TYPE_ID(nnc::nn::detail::ExchangeResource)

namespace {
using nnc::nn::detail::ExchangeResource;
using Effects =
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>;
} // namespace

LogicalResult AllreduceStartOp::verify() {
  if (static_cast<int64_t>(getIndex()) < 0)
    return emitOpError("needs an index >= 0");
  if (auto t = dyn_cast<TensorType>(getGrad().getType()); t && !t.hasRank())
    return emitOpError("needs a ranked gradient");
  return success();
}

void AllreduceStartOp::getEffects(Effects &effects) {
  if (isa<MemRefType>(getGrad().getType()))
    effects.emplace_back(MemoryEffects::Read::get(), &getGradMutable());
  effects.emplace_back(MemoryEffects::Write::get(), ExchangeResource::get());
}

bool AllreduceStartOp::bufferizesToMemoryRead(OpOperand &,
                                              const AnalysisState &) {
  return true;
}

bool AllreduceStartOp::bufferizesToMemoryWrite(OpOperand &,
                                               const AnalysisState &) {
  return false;
}

AliasingValueList AllreduceStartOp::getAliasingValues(OpOperand &,
                                                      const AnalysisState &) {
  return {};
}

LogicalResult AllreduceStartOp::bufferize(RewriterBase &rewriter,
                                          const BufferizationOptions &options,
                                          BufferizationState &state) {
  FailureOr<Value> buffer = getBuffer(rewriter, getGrad(), options, state);
  if (failed(buffer))
    return failure();
  AllreduceStartOp::create(rewriter, getLoc(), *buffer, getIndexAttr());
  rewriter.eraseOp(*this);
  return success();
}

LogicalResult AllreduceWaitOp::verify() {
  bool tensors = llvm::all_of(getGrads().getTypes(),
                              [](Type t) { return isa<RankedTensorType>(t); });
  bool memrefs = llvm::all_of(getGrads().getTypes(),
                              [](Type t) { return isa<MemRefType>(t); });
  if (tensors && getResults().getTypes() == getGrads().getTypes())
    return success();
  if (memrefs && getResults().empty())
    return success();
  return emitOpError("takes ranked tensors and returns their types, or "
                     "takes memrefs and returns nothing");
}

void AllreduceWaitOp::getEffects(Effects &effects) {
  for (OpOperand &g : getGradsMutable())
    if (isa<MemRefType>(g.get().getType())) {
      effects.emplace_back(MemoryEffects::Read::get(), &g);
      effects.emplace_back(MemoryEffects::Write::get(), &g);
    }
  effects.emplace_back(MemoryEffects::Read::get(), ExchangeResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), ExchangeResource::get());
}

bool AllreduceWaitOp::bufferizesToMemoryRead(OpOperand &,
                                             const AnalysisState &) {
  return true;
}

bool AllreduceWaitOp::bufferizesToMemoryWrite(OpOperand &,
                                              const AnalysisState &) {
  return true;
}

AliasingValueList AllreduceWaitOp::getAliasingValues(OpOperand &operand,
                                                     const AnalysisState &) {
  return {{getOperation()->getResult(operand.getOperandNumber()),
           BufferRelation::Equivalent}};
}

LogicalResult AllreduceWaitOp::bufferize(RewriterBase &rewriter,
                                         const BufferizationOptions &options,
                                         BufferizationState &state) {
  SmallVector<Value> buffers;
  for (Value g : getGrads()) {
    FailureOr<Value> buffer = getBuffer(rewriter, g, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  AllreduceWaitOp::create(rewriter, getLoc(), TypeRange{}, buffers);
  replaceOpWithBufferizedValues(rewriter, getOperation(), buffers);
  return success();
}
