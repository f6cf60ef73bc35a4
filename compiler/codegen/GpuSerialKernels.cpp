//===- GpuSerialKernels.cpp - The host's remaining loops onto the GPU -----===//
//
// `--target=cuda`: after nnc-gpu-map-loops every op's parallel loops are
// kernels, but what has none stays host code: whole-tensor reductions (a
// loss's mean over the batch, an accuracy count) and scalar arithmetic (an
// optimizer's bias corrections). On the host each one reads and writes
// buffers the kernels around it use, so the host must wait for the GPU
// before it and the managed memory migrates to the host and back. Here each
// stretch of such code becomes one kernel of one thread (a one-iteration
// scf.parallel mapped to a block): the same operations in the same order
// (math functions come from libdevice, which may differ from the host's
// libm in the last bit), and a step is one stream of launches with a
// single wait at its end (gpu-async-region).
//
// A stretch is left on the host when it calls a function, allocates, or
// touches memory the GPU may not reach (anything but an entry point's
// arguments, the workspace, the runtime pool's buffers, and constant
// tensors, which nnc-gpu-sink-operands gives the kernels).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <functional>

namespace nnc {
#define GEN_PASS_DEF_NNGPUSERIALKERNELS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// Whether the GPU can reach the memory `v` is a view of: an entry point's
/// argument, the workspace or a buffer of the runtime's pool (memref.alloc:
/// all runtime memory is managed once a device is open), a constant tensor
/// (nnc-gpu-sink-operands gives the kernels their copy, and rebuilds views
/// of it from that copy), or a loop's buffer
/// that is one of these on entry and after each iteration. Not: the
/// stack, other globals, other calls' results.
bool deviceReachable(Value v, llvm::SmallPtrSetImpl<Value> &seen) {
  while (seen.insert(v).second) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (arg.getOwner()->isEntryBlock() && isa<func::FuncOp>(owner))
        return true;
      auto loop = dyn_cast<scf::ForOp>(owner);
      if (!loop || arg == loop.getInductionVar())
        return false;
      return deviceReachable(loop.getTiedLoopInit(arg)->get(), seen) &&
             deviceReachable(loop.getTiedLoopYieldedValue(arg)->get(), seen);
    }
    Operation *def = v.getDefiningOp();
    if (isa<memref::AllocOp>(def))
      return true;
    if (auto loop = dyn_cast<scf::ForOp>(def))
      return deviceReachable(
          loop.getRegionIterArgs()[cast<OpResult>(v).getResultNumber()], seen);
    if (auto call = dyn_cast<func::CallOp>(def))
      return call.getCallee() == "nnc_workspace";
    if (isa<memref::GetGlobalOp>(def))
      return nnc::isConstantGlobal(def);
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    v = view.getViewSource();
  }
  return true; // a cycle through loop buffers: reachable if the rest is
}

bool deviceReachable(Value v) {
  llvm::SmallPtrSet<Value, 8> seen;
  return deviceReachable(v, seen);
}

/// Whether `op` (and all it contains) may run in a kernel of one thread:
/// arithmetic, loads and stores of reachable memory, and structured
/// control flow; no calls, allocation, launches or other effects.
bool runsOnDevice(Operation *op) {
  WalkResult r = op->walk([](Operation *inner) {
    if (isa<scf::ParallelOp, gpu::LaunchOp>(inner))
      return WalkResult::interrupt();
    if (auto load = dyn_cast<memref::LoadOp>(inner))
      return deviceReachable(load.getMemRef()) ? WalkResult::advance()
                                               : WalkResult::interrupt();
    if (auto store = dyn_cast<memref::StoreOp>(inner))
      return deviceReachable(store.getMemRef()) ? WalkResult::advance()
                                                : WalkResult::interrupt();
    if (auto get = dyn_cast<memref::GetGlobalOp>(inner))
      return deviceReachable(get.getResult()) ? WalkResult::advance()
                                              : WalkResult::interrupt();
    if (isa<scf::ForOp, scf::IfOp, scf::WhileOp, scf::YieldOp,
            scf::ConditionOp>(inner) ||
        isMemoryEffectFree(inner))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !r.wasInterrupted();
}

/// Whether `op` reads or writes memory (what makes a stretch worth a kernel).
bool touchesMemory(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isa<memref::LoadOp, memref::StoreOp>(inner)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Wraps `ops` (consecutive in their block) into a one-iteration
/// scf.parallel mapped to one block of one thread.
void wrapInKernel(ArrayRef<Operation *> ops) {
  Operation *first = ops.front();
  OpBuilder b(first);
  Location loc = first->getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{one},
                                      ValueRange{one});
  Operation *terminator = loop.getBody()->getTerminator();
  for (Operation *op : ops)
    op->moveBefore(terminator);
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  (void)gpu::setMappingAttr(loop, {gpu::ParallelLoopDimMappingAttr::get(
                                      ctx, gpu::Processor::BlockX, id, id)});
}

/// Where a stretch must end so that only pure ops (moved in front of it,
/// with the pure ops of the stretch they need) have results the code after
/// it uses: the index of the first other op whose result escapes, or
/// run.size(). `hoisted` gets the ops to move, each after those it uses.
size_t cutPoint(ArrayRef<Operation *> run, SmallVector<Operation *> &hoisted) {
  llvm::SmallPtrSet<Operation *, 16> members(run.begin(), run.end());
  Block *block = run.front()->getBlock();
  auto inRun = [&](Operation *op) -> Operation * {
    Operation *inBlock = op ? block->findAncestorOpInBlock(*op) : nullptr;
    return inBlock && members.contains(inBlock) ? inBlock : nullptr;
  };
  hoisted.clear();
  std::function<bool(Operation *)> hoist = [&](Operation *op) {
    if (llvm::is_contained(hoisted, op))
      return true;
    if (!isMemoryEffectFree(op) || op->getNumRegions() != 0)
      return false;
    for (Value v : op->getOperands())
      if (Operation *def = inRun(v.getDefiningOp()); def && !hoist(def))
        return false;
    hoisted.push_back(op);
    return true;
  };
  for (size_t i = 0; i < run.size(); ++i) {
    Operation *op = run[i];
    bool escapes = llvm::any_of(op->getUsers(),
                                [&](Operation *user) { return !inRun(user); });
    if (escapes && !hoist(op))
      return i;
  }
  return run.size();
}

/// Makes a kernel of the start of `run` (consecutive ops of one block),
/// cut before an op whose result is needed after it (that op stays on the
/// host). Returns the ops after the cut, still to be placed.
SmallVector<Operation *> placeRun(ArrayRef<Operation *> all) {
  SmallVector<Operation *> hoisted;
  size_t end = all.size(), rest = all.size();
  while (true) {
    while (end > 0 && !touchesMemory(all[end - 1]))
      --end; // trailing arithmetic stays where it is
    if (end == 0)
      return SmallVector<Operation *>(all.drop_front(rest));
    size_t cut = cutPoint(all.take_front(end), hoisted);
    if (cut == end)
      break;
    end = cut; // uses inside the cut-off part now escape: again
    rest = cut + 1;
  }
  SmallVector<Operation *> body;
  for (Operation *op : all.take_front(end))
    if (!llvm::is_contained(hoisted, op))
      body.push_back(op);
  for (Operation *op : hoisted)
    op->moveBefore(body.front());
  if (llvm::any_of(body, touchesMemory))
    wrapInKernel(body);
  return SmallVector<Operation *>(all.drop_front(rest));
}

/// Gathers the stretches of host code in `block` and places each.
void placeBlock(Block &block) {
  SmallVector<Operation *> run;
  auto flush = [&]() {
    while (!run.empty())
      run = placeRun(run);
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    bool fits = !op.hasTrait<OpTrait::IsTerminator>() && runsOnDevice(&op);
    if (fits && (!run.empty() || touchesMemory(&op))) {
      run.push_back(&op);
      continue;
    }
    if (!fits)
      flush();
  }
  flush();
}

struct GpuSerialKernels : nnc::impl::NNGpuSerialKernelsBase<GpuSerialKernels> {
  void runOnOperation() override {
    // Host blocks: the function's, and those of host loops around kernels
    // (never inside an scf.parallel, which is a kernel already).
    SmallVector<Block *> blocks;
    auto holdsKernels = [](Block *block) {
      return block
          ->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
    };
    getOperation()->walk([&](Block *block) {
      Operation *parent = block->getParentOp();
      if (isa<scf::ParallelOp>(parent) ||
          parent->getParentOfType<scf::ParallelOp>())
        return;
      if (isa<func::FuncOp>(parent) || holdsKernels(block))
        blocks.push_back(block);
    });
    for (Block *block : blocks)
      placeBlock(*block);
  }
};
} // namespace
