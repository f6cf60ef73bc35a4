//===- GpuLaunchTiles.cpp - Tiled products as GPU launches ----------------===//
//
// `--target=cuda`, after convert-parallel-loops-to-gpu: the tiled loops of
// nnc-gpu-tile-products (an scf.parallel of output tiles marked
// `nnc.gpu_tiles`, its scratch buffers, its thread phases) become one
// gpu.launch, which convert-parallel-loops-to-gpu cannot build (its
// nested loops may not follow memory writes, nor sit in an scf.for):
//
//   - the tiles' loop -> the grid (blockIdx.x: the tile's index);
//   - the scratch buffers (memref.alloc; their deallocs go) -> workgroup
//     (shared) memory;
//   - each thread phase (scf.parallel marked `nnc.gpu_threads`) -> a loop
//     in which thread t runs iterations t, t + blockDim.x, ..., then a
//     barrier, so that the next phase sees its writes;
//   - everything else (the reduction tiles' scf.for, index arithmetic)
//     -> run alike by every thread of the block, so barriers are reached
//     by all of them.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPULAUNCHTILES
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
class Launcher {
public:
  Launcher(scf::ParallelOp tiles, int64_t threads)
      : tiles(tiles), threads(threads), b(tiles) {}
  LogicalResult run();

private:
  Value c(int64_t v) {
    return arith::ConstantIndexOp::create(b, tiles.getLoc(), v);
  }
  /// The number of tiles of loop dimension `d` (ceil((ub - lb) / step)).
  Value count(unsigned d);
  LogicalResult copy(Block &from);

  scf::ParallelOp tiles;
  int64_t threads;
  OpBuilder b;
  IRMapping map;
  gpu::LaunchOp launch;
  Value threadId;
};

Value Launcher::count(unsigned d) {
  Location loc = tiles.getLoc();
  Value extent = arith::SubIOp::create(b, loc, tiles.getUpperBound()[d],
                                       tiles.getLowerBound()[d]);
  return arith::CeilDivUIOp::create(b, loc, extent, tiles.getStep()[d]);
}

LogicalResult Launcher::copy(Block &from) {
  Location loc = tiles.getLoc();
  for (Operation &op : from.without_terminator()) {
    if (isa<memref::DeallocOp>(op))
      continue;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      MemRefType t = alloc.getType();
      if (!t.hasStaticShape() || !t.getLayout().isIdentity())
        return alloc.emitError("internal error: a tile's scratch buffer "
                               "must have a static shape");
      auto shared = MemRefType::get(
          t.getShape(), t.getElementType(), MemRefLayoutAttrInterface{},
          gpu::AddressSpaceAttr::get(b.getContext(),
                                     gpu::AddressSpace::Workgroup));
      map.map(alloc.getResult(),
              launch.addWorkgroupAttribution(shared, alloc.getLoc()));
      continue;
    }
    auto phase = dyn_cast<scf::ParallelOp>(op);
    if (phase && phase->hasAttr(nnc::kGpuThreadsAttr)) {
      Value step = c(threads);
      Value start = arith::AddIOp::create(
          b, loc, map.lookupOrDefault(phase.getLowerBound()[0]), threadId);
      auto loop = scf::ForOp::create(
          b, loc, start, map.lookupOrDefault(phase.getUpperBound()[0]), step);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        map.map(phase.getInductionVars()[0], loop.getInductionVar());
        for (Operation &inner : phase.getBody()->without_terminator())
          b.clone(inner, map);
      }
      gpu::BarrierOp::create(b, loc);
      continue;
    }
    if (phase)
      return phase.emitError("internal error: a parallel loop in a tile "
                             "that is not a thread phase");
    auto loop = dyn_cast<scf::ForOp>(op);
    if (loop && loop.getNumResults() == 0) {
      auto copied =
          scf::ForOp::create(b, loc, map.lookupOrDefault(loop.getLowerBound()),
                             map.lookupOrDefault(loop.getUpperBound()),
                             map.lookupOrDefault(loop.getStep()));
      map.map(loop.getInductionVar(), copied.getInductionVar());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(copied.getBody());
      if (failed(copy(*loop.getBody())))
        return failure();
      continue;
    }
    b.clone(op, map);
  }
  return success();
}

LogicalResult Launcher::run() {
  Location loc = tiles.getLoc();
  if (tiles.getNumLoops() != 1)
    return tiles.emitError("internal error: a tiled product's tiles must be "
                           "one loop");
  Value one = c(1);
  launch =
      gpu::LaunchOp::create(b, loc, count(0), one, one, c(threads), one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(body.getTerminator());
  threadId = launch.getThreadIds().x;
  Value off =
      arith::MulIOp::create(b, loc, launch.getBlockIds().x, tiles.getStep()[0]);
  map.map(tiles.getInductionVars()[0],
          arith::AddIOp::create(b, loc, tiles.getLowerBound()[0], off));
  if (failed(copy(*tiles.getBody())))
    return failure();
  // A scratch buffer inside some other region (an scf.if, a loop with
  // results) would have been copied as it was, into global memory; a
  // phase there is left for runOnOperation's check.
  WalkResult left = launch.getBody().walk(
      [](memref::AllocOp) { return WalkResult::interrupt(); });
  if (left.wasInterrupted())
    return tiles.emitError("internal error: a tile's scratch buffer is not "
                           "at the block's level");
  return success();
}

struct GpuLaunchTiles : nnc::impl::NNGpuLaunchTilesBase<GpuLaunchTiles> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> all;
    getOperation()->walk([&](scf::ParallelOp op) {
      if (op->hasAttr(nnc::kGpuTilesAttr))
        all.push_back(op);
    });
    for (scf::ParallelOp tiles : all) {
      auto threads = tiles->getAttrOfType<IntegerAttr>(nnc::kGpuTilesAttr);
      if (!threads || threads.getInt() <= 0) {
        tiles.emitError("internal error: a tiled product needs a thread count");
        return signalPassFailure();
      }
      Launcher launcher(tiles, threads.getInt());
      if (failed(launcher.run()))
        return signalPassFailure();
      tiles.erase();
    }
    // A thread phase whose tiles were folded away would run on its own;
    // one below a tile's block level would run whole in every thread.
    WalkResult stray = getOperation()->walk([](scf::ParallelOp op) {
      if (!op->hasAttr(nnc::kGpuThreadsAttr))
        return WalkResult::advance();
      op.emitError("internal error: a thread phase outside a tiled product");
      return WalkResult::interrupt();
    });
    if (stray.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
