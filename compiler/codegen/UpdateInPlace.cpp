//===- UpdateInPlace.cpp - A train step updates its state in place --------===//
//
// A train step returns the new value of every parameter, optimizer state
// and running statistic (results tagged nn.kind = "update" with the
// argument's nn.name). Returned as fresh buffers, each would be allocated
// and then copied over the old tensor by the runtime on every step, about
// three times the model's size in memory traffic. This pass, run on
// tensors before bufferization, writes each such result into its
// argument: the element-wise loop that computes it gets the argument as
// its destination (instead of an uninitialised tensor.empty), and
// bufferization.materialize_in_destination ties the result to it. One-shot
// bufferization then stores the new values straight into the argument's
// buffer (or, if something still reads the old value later, copies it
// first), and the runtime recognises the returned buffer as the
// argument's and leaves it in place.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNAttrNames.h"
#include "codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>

namespace nnc {
#define GEN_PASS_DEF_NNUPDATEINPLACE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
StringRef stringAttr(DictionaryAttr d, StringRef key) {
  auto s = d ? d.getAs<StringAttr>(key) : nullptr;
  return s ? s.getValue() : StringRef();
}

struct NNUpdateInPlacePass
    : nnc::impl::NNUpdateInPlaceBase<NNUpdateInPlacePass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp f) {
      if (f.isExternal())
        return;
      std::map<std::string, BlockArgument> byName;
      for (BlockArgument a : f.getArguments())
        if (StringRef name =
                stringAttr(f.getArgAttrDict(a.getArgNumber()), nnc::attr::kName);
            !name.empty())
          byName[name.str()] = a;
      f.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (unsigned r = 0; r < ret.getNumOperands(); ++r) {
          DictionaryAttr attrs = f.getResultAttrDict(r);
          if (stringAttr(attrs, nnc::attr::kKind) != "update")
            continue;
          auto it = byName.find(stringAttr(attrs, nnc::attr::kName).str());
          if (it == byName.end() ||
              it->second.getType() != ret.getOperand(r).getType())
            continue;
          // The update loop's destination becomes the argument itself
          // (it only had an uninitialised tensor.empty to write into).
          Value v = ret.getOperand(r);
          // (a fused loop may compute several updates: one per result).
          if (auto producer = v.getDefiningOp<linalg::LinalgOp>();
              producer &&
              producer.getNumDpsInits() == producer->getNumResults()) {
            OpOperand *init =
                producer.getDpsInitOperand(cast<OpResult>(v).getResultNumber());
            if (init->get().getDefiningOp<tensor::EmptyOp>())
              init->set(it->second);
          }
          auto m = bufferization::MaterializeInDestinationOp::create(
              b, ret.getLoc(), v, it->second);
          ret.setOperand(r, m.getResult());
        }
      });
    });
  }
};
} // namespace
