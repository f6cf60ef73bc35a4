//===- Generator.h - MLIRGen's graph-to-nn translator (internal) -*- C++
//-*-===//
//
// Private to compiler/mlirgen: the class MLIRGen.cpp (models, loops,
// functions) and MLIRGenTrain.cpp (train steps) share. It emits one nn op
// per traced graph node, memoised, located at the node's `.nn` source.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_MLIRGEN_GENERATOR_H
#define NNC_MLIRGEN_GENERATOR_H

#include "mlirgen/MLIRGen.h"
#include "sema/Graph.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"
#include "support/LineColumn.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/SourceMgr.h"

#include <array>
#include <map>

namespace nnc::mlirgen {

using namespace mlir;

class Generator {
public:
  Generator(MLIRContext &ctx, const llvm::SourceMgr &sm,
            nnc::DiagnosticEngine &diags)
      : ctx(ctx), b(&ctx), sm(sm), diags(diags) {}

  /// Emits `fname(inputs..., params...) -> outputs` into `module`.
  func::FuncOp emitFunction(ModuleOp module, const ModelGraph &g,
                            llvm::StringRef fname, const GenOptions &opts);
  void exchangeGradients(const ModelGraph &lg,
                         std::map<std::string, Value> &grads, Location loc);
  func::FuncOp emitTrainStep(ModuleOp module, const TrainPlan &plan,
                             ArrayRef<func::FuncOp> lossFns,
                             llvm::StringRef fname);
  /// Verifies a generated module (null after an internal error).
  OwningOpRef<ModuleOp> finish(OwningOpRef<ModuleOp> module,
                               llvm::StringRef name);

  /// The train step exchanges its gradients (data-parallel training).
  bool collectives = false;

private:
  void tagArgument(func::FuncOp func, unsigned k, const Node &n,
                   llvm::StringRef kind);
  Type streamType();
  Value tagStream(func::FuncOp func, unsigned k);
  Location loc(llvm::SMLoc l);
  Type elementType(DType dt);
  RankedTensorType tensorType(const nnc::TensorType &t);
  Value emit(const Node &n);
  Value emitOp(const Node &n, ArrayRef<Value> in);
  // The builders ODS names for nn ops (NN_Op's `builder`), one per op
  // family, and the structural nodes' (MLIRGenOps.cpp).
  Value emitBinary(const Node &n, ArrayRef<Value> in, Location l);
  Value emitCompare(const Node &n, ArrayRef<Value> in, Location l);
  Value emitMatmul(const Node &n, ArrayRef<Value> in, Location l);
  Value emitLeakyRelu(const Node &n, ArrayRef<Value> in, Location l);
  Value emitClip(const Node &n, ArrayRef<Value> in, Location l);
  Value emitLayerNorm(const Node &n, ArrayRef<Value> in, Location l);
  Value emitBatchNorm(const Node &n, ArrayRef<Value> in, Location l);
  Value emitDropout(const Node &n, ArrayRef<Value> in, Location l);
  Value emitUpsample(const Node &n, ArrayRef<Value> in, Location l);
  Value emitRandom(const Node &n, ArrayRef<Value> in, Location l);
  Value emitFill(const Node &n, ArrayRef<Value> in, Location l);
  Value emitBernoulli(const Node &n, ArrayRef<Value> in, Location l);
  Value emitReduce(const Node &n, ArrayRef<Value> in, Location l);
  Value emitSoftmax(const Node &n, ArrayRef<Value> in, Location l);
  Value emitTranspose(const Node &n, ArrayRef<Value> in, Location l);
  Value emitSlice(const Node &n, ArrayRef<Value> in, Location l);
  Value emitConcat(const Node &n, ArrayRef<Value> in, Location l);
  Value emitConv(const Node &n, ArrayRef<Value> in, Location l);
  Value emitConvTranspose(const Node &n, ArrayRef<Value> in, Location l);
  Value emitPool(const Node &n, ArrayRef<Value> in, Location l);
  Value emitArange(const Node &n, ArrayRef<Value> in, Location l);
  Value emitFor(const Node &n, ArrayRef<Value> in, Location l);
  Value emitScan(const Node &n, ArrayRef<Value> in, Location l);
  /// `grad(f, w)`: a private function of w (and of the values f reads
  /// that do not depend on w), marked for the reverse-mode pass, and a
  /// call of it whose second result is df/dw (inlined after the pass).
  Value emitGrad(const Node &n, Location l);
  /// The function being emitted (grad functions go before it).
  func::FuncOp current;
  /// Converts `v` to element type `et` (loop counters meet floats).
  Value coerce(Value v, Type et, Location l);
  std::map<const Node *, SmallVector<Value>> loopResults;
  bool fail(const Node &n, const llvm::Twine &why);
  int64_t intAttr(const Node &n, llvm::StringRef key, int64_t dflt);
  double floatAttr(const Node &n, llvm::StringRef key, double dflt);
  /// The run-time size of symbolic dimension `sym` (e.g. the batch B),
  /// read from the first input that has it.
  Value symbolSize(const Node &n, const std::string &sym, Location l);
  /// The run-time sizes of the dynamic dimensions of `rt`: from `like`
  /// when given (`zeros_like(x)`), else from the symbols' inputs.
  bool dynamicSizes(const Node &n, RankedTensorType rt, Value like, Location l,
                    SmallVector<Value> &out) {
    for (int64_t d = 0; d < rt.getRank(); ++d) {
      if (!rt.isDynamicDim(d))
        continue;
      Value size = like ? Value(tensor::DimOp::create(b, l, like, d))
                        : symbolSize(n, n.type.dims[d].sym, l);
      if (!size)
        return false;
      out.push_back(size);
    }
    return true;
  }
  /// The seed of a random op: `seed:` when written, else one derived from
  /// the op's position so that different ops draw different noise.
  /// The run's `--seed` moves every derived seed (not a written one).
  int64_t seedOf(const Node &n) {
    const Attr *s = n.attr("seed");
    if (s && s->kind == Attr::Int)
      return s->i;
    return int64_t(0x5EED0000 + uint64_t(n.id) +
                   runSeed * 0x9E3779B97F4A7C15ull);
  }
  /// The `--seed` of a forward function or program (0: none); train steps
  /// get theirs at run time through the stream.
  uint64_t runSeed = 0;
  /// Inside a loop body: the stream of iteration `iv` (an index), mixed
  /// from the enclosing one (nnc_loop_stream), so that every iteration
  /// draws other numbers and a recomputation draws the same.
  Value loopStream(Value iv, Location l);
  std::map<std::string, std::pair<Value, int64_t>> symbols;
  /// Padding [top, bottom, left, right] for "valid", "same", an integer,
  /// [height, width] or the four.
  SmallVector<int64_t> padding(const Node &n, int64_t inH, int64_t inW,
                               int64_t kh, int64_t kw,
                               std::array<int64_t, 2> stride,
                               std::array<int64_t, 2> dil);
  /// A per-axis attribute: an integer for both axes or [height, width].
  std::array<int64_t, 2> pairAttr(const Node &n, llvm::StringRef key,
                                  std::array<int64_t, 2> dflt);

  MLIRContext &ctx;
  OpBuilder b;
  const llvm::SourceMgr &sm;
  nnc::LineColumnTable lines{sm};
  nnc::DiagnosticEngine &diags;
  std::map<const Node *, Value> values;
  bool hadError = false;
  /// Whether dropout and batch norm run in training mode. Forward
  /// functions are evaluation-mode; train steps will set this.
  bool training = false;
  /// Compute in f64 what the program declares f32 (gradient checking).
  bool f64 = false;
  /// A train step's stream number for random ops and dropout (null
  /// elsewhere: the runtime's stream).
  Value stream;
  /// Batch norms emitted in training mode, for their running statistics.
  std::vector<const Node *> batchNorms;
  /// Appends the new running mean and variance of every training-mode
  /// batch norm to `results` (named after the state they replace).
  void updateRunningStats(SmallVectorImpl<Value> &results,
                          SmallVectorImpl<std::string> &names, Location l);
};

/// Loads the dialects MLIRGen emits.
void loadDialects(MLIRContext &ctx);

} // namespace nnc::mlirgen

#endif // NNC_MLIRGEN_GENERATOR_H
