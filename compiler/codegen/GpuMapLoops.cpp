//===- GpuMapLoops.cpp - Loop nests onto GPU blocks and threads -----------===//
//
// `--target=cuda` runs each linalg op as one GPU kernel. MLIR's greedy
// mapper (gpu-map-parallel-loops) gives an op's first dimension to
// threadIdx.x, so neighbouring threads of a row-major output would be a
// row apart and every access uncoalesced; nor does it tile, so a launch
// would get one thread per block. Here every outermost scf.parallel is
// collapsed into one dimension (the last of the op's output dimensions
// varies fastest, as in memory), tiled by the block size, and mapped:
// tiles to blockIdx.x, the tile's elements to threadIdx.x. Parallel loops
// nested inside (beneath a reduction loop) run in their thread.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUMAPLOOPS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
gpu::ParallelLoopDimMappingAttr dimMap(MLIRContext *ctx, gpu::Processor p) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
}

/// Marks every dimension of `op` as sequential (a loop in its thread).
void mapSequential(scf::ParallelOp op) {
  SmallVector<gpu::ParallelLoopDimMappingAttr> dims(
      op.getNumLoops(), dimMap(op.getContext(), gpu::Processor::Sequential));
  (void)gpu::setMappingAttr(op, dims);
}

/// The outermost scf.parallel ops of `root`, in order, but for the tiled
/// products of nnc-gpu-tile-products (launched by nnc-gpu-launch-tiles).
SmallVector<scf::ParallelOp> outermost(Operation *root) {
  SmallVector<scf::ParallelOp> loops;
  root->walk<WalkOrder::PreOrder>([&](scf::ParallelOp op) {
    if (!op->hasAttr(nnc::kGpuTilesAttr))
      loops.push_back(op);
    return WalkResult::skip();
  });
  return loops;
}

struct GpuMapLoops : nnc::impl::NNGpuMapLoopsBase<GpuMapLoops> {
  using NNGpuMapLoopsBase::NNGpuMapLoopsBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    for (scf::ParallelOp op : outermost(getOperation())) {
      if (op.getNumResults() != 0) {
        op.emitError("a parallel reduction cannot be mapped to the GPU");
        return signalPassFailure();
      }
      if (op.getNumLoops() > 1) {
        std::vector<unsigned> all(op.getNumLoops());
        for (unsigned d = 0; d < all.size(); ++d)
          all[d] = d;
        rewriter.setInsertionPoint(op);
        collapseParallelLoops(rewriter, op, {all});
      }
    }
    for (scf::ParallelOp op : outermost(getOperation())) {
      // Collapsed loops are normalized; a loop of one dimension must be
      // already (linalg's are): the guard below compares tile offsets.
      std::optional<int64_t> lb = getConstantIntValue(op.getLowerBound()[0]);
      std::optional<int64_t> step = getConstantIntValue(op.getStep()[0]);
      if (lb != 0 || step != 1) {
        op.emitError("internal error: a parallel loop that does not start "
                     "at 0 with step 1 cannot be mapped to the GPU");
        return signalPassFailure();
      }
      op.getBody()->walk([](scf::ParallelOp inner) { mapSequential(inner); });
      auto [tiles, threads] =
          scf::tileParallelLoop(op, {int64_t(blockSize)},
                                /*noMinMaxBounds=*/true);
      (void)gpu::setMappingAttr(tiles, {dimMap(ctx, gpu::Processor::BlockX)});
      (void)gpu::setMappingAttr(threads,
                                {dimMap(ctx, gpu::Processor::ThreadX)});
    }
  }
};
} // namespace
