//===- GpuTileProducts.cpp - Matrix products in shared-memory tiles -------===//
//
// Mapped like any other op (nnc-gpu-map-loops), a matrix product gives
// each output element a thread that reads a row of one operand and a
// column of the other from global memory: two loads per multiply-add, and
// neighbouring threads reload what their neighbours just read. Here a
// product (a linalg contraction with one row, one column and one reduction
// dimension, any batch dimensions, any transposition) becomes the classic
// tiled GEMM instead, written as loops the CPU can run as they are
// (--emulate-gpu-loops) and nnc-gpu-launch-tiles turns into a launch:
//
//   scf.parallel over 64x64 output tiles (and batch)    -> blocks
//     scratch (memref.alloc): the row operand's 64x16 tile, the column
//       operand's 16x64 tile, the output tile's 64x64 sums -> shared memory
//     thread phase: sums := output (0 outside it)
//     scf.for k0 = 0 to K step 16:
//       thread phase: load both operands' tiles (in their memory order)
//       thread phase: each of 256 threads adds its 4x4 sums' products
//     thread phase: output := sums (inside the output only)
//
// A thread phase is an scf.parallel marked `nnc.gpu_threads`: on the GPU
// the block's threads share its iterations and a barrier follows it, so
// phases see each other's writes exactly as when they run one after the
// other. Each output element's sum starts from its old value and adds the
// products in order of k, as the plain loops do.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_NNGPUTILEPRODUCTS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
constexpr int64_t kTile = 64;  // output tile side
constexpr int64_t kDepth = 16; // reduction tile
constexpr int64_t kSide = 16;  // threads per tile side
constexpr int64_t kMicro = kTile / kSide;
constexpr int64_t kThreads = kSide * kSide;

/// A product's loop dimensions: the output's last dimension (`col`), the
/// one before it (`row`), the reduction, and the batch dimensions; which
/// input varies with `row` (the other varies with `col`).
struct Product {
  linalg::LinalgOp op;
  unsigned row, col, red;
  SmallVector<unsigned> batch;
  unsigned rowInput;
};

unsigned dimAt(AffineMap map, unsigned result) {
  return cast<AffineDimExpr>(map.getResult(result)).getPosition();
}

std::optional<Product> matchProduct(linalg::LinalgOp op, int64_t minSide) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || op.getNumLoops() != dims->batch.size() + 3)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps,
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return std::nullopt;
  AffineMap out = maps[2];
  if (out.getNumResults() < 2)
    return std::nullopt;
  Product p{op,
            dimAt(out, out.getNumResults() - 2),
            dimAt(out, out.getNumResults() - 1),
            dims->k.front(),
            SmallVector<unsigned>(dims->batch.begin(), dims->batch.end()),
            0};
  p.rowInput = maps[0].isFunctionOfDim(p.row) ? 0 : 1;
  if (!maps[p.rowInput].isFunctionOfDim(p.red) ||
      !maps[1 - p.rowInput].isFunctionOfDim(p.col))
    return std::nullopt;
  // Thin products (a layer of 10 outputs) would leave most of a tile's
  // threads idle: they stay one thread per element.
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  auto below = [&](unsigned d, int64_t n) {
    return !ShapedType::isDynamic(sizes[d]) && sizes[d] < n;
  };
  if (below(p.row, minSide) || below(p.col, minSide) || below(p.red, kDepth))
    return std::nullopt;
  // One tile (64x64 or less, no batch): one block would do what sixteen do
  // untiled.
  if (llvm::none_of(sizes, ShapedType::isDynamic) &&
      llvm::all_of(p.batch, [&](unsigned d) { return sizes[d] == 1; }) &&
      sizes[p.row] <= kTile && sizes[p.col] <= kTile)
    return std::nullopt;
  return p;
}

/// Builds one product's tiled loops in front of it.
class Emitter {
public:
  Emitter(Product p, OpBuilder &b)
      : p(std::move(p)), b(b), loc(this->p.op.getLoc()) {}

  void emit();

private:
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, c(y));
  }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, c(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, c(y));
  }

  /// An operand's indices at loop position `at` (dimension -> value).
  SmallVector<Value> indices(unsigned operand, ArrayRef<Value> at);
  /// A thread phase of `n` iterations; `body` builds one from its index.
  void phase(int64_t n, function_ref<void(Value)> body);
  /// Runs `body` for each of the thread's kMicro x kMicro output elements
  /// (tile row, tile column), with thread `t`.
  void eachOwned(Value t, function_ref<void(Value, Value)> body);
  void loadTile(unsigned input, Value k0, Value scratch, bool rowSide);
  void multiply(Value kEnd);

  Product p;
  OpBuilder &b;
  Location loc;
  SmallVector<Value> size; // per loop dimension
  SmallVector<Value> at;   // the tile's origin, per loop dimension
  Value rowScratch, colScratch, sums;
};

SmallVector<Value> Emitter::indices(unsigned operand, ArrayRef<Value> pos) {
  AffineMap map = p.op.getIndexingMapsArray()[operand];
  SmallVector<Value> idx;
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    idx.push_back(pos[dimAt(map, r)]);
  return idx;
}

void Emitter::phase(int64_t n, function_ref<void(Value)> body) {
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{c(0)},
                                      ValueRange{c(n)}, ValueRange{c(1)});
  loop->setAttr("nnc.gpu_threads", b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVars()[0]);
}

void Emitter::eachOwned(Value t, function_ref<void(Value, Value)> body) {
  Value ty = div(t, kSide), tx = rem(t, kSide);
  for (int64_t r = 0; r < kMicro; ++r)
    for (int64_t q = 0; q < kMicro; ++q)
      body(add(ty, c(kSide * r)), add(tx, c(kSide * q)));
}

void Emitter::loadTile(unsigned input, Value k0, Value scratch, bool rowSide) {
  unsigned side = rowSide ? p.row : p.col;
  AffineMap map = p.op.getIndexingMapsArray()[input];
  // Consecutive threads read consecutive elements of the operand.
  bool reductionInner = dimAt(map, map.getNumResults() - 1) == p.red;
  phase(kTile * kDepth, [&](Value i) {
    Value s = reductionInner ? div(i, kDepth) : rem(i, kTile);
    Value k = reductionInner ? rem(i, kDepth) : div(i, kTile);
    SmallVector<Value> pos = at;
    pos[side] = add(at[side], s);
    pos[p.red] = add(k0, k);
    auto inside = scf::IfOp::create(b, loc,
                                    both(lessThan(pos[side], size[side]),
                                         lessThan(pos[p.red], size[p.red])));
    b.setInsertionPointToStart(&inside.getThenRegion().front());
    Value v = memref::LoadOp::create(b, loc, p.op->getOperand(input),
                                     indices(input, pos));
    SmallVector<Value> to =
        rowSide ? SmallVector<Value>{s, k} : SmallVector<Value>{k, s};
    memref::StoreOp::create(b, loc, v, scratch, to);
  });
}

void Emitter::multiply(Value kEnd) {
  Block *body = p.op.getBlock();
  phase(kThreads, [&](Value t) {
    SmallVector<Value> acc;
    SmallVector<std::pair<Value, Value>> owned;
    eachOwned(t, [&](Value r, Value q) {
      owned.push_back({r, q});
      acc.push_back(memref::LoadOp::create(b, loc, sums, ValueRange{r, q}));
    });
    // Built with iteration arguments, the body has no terminator yet.
    auto loop = scf::ForOp::create(b, loc, c(0), kEnd, c(1), acc);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      SmallVector<Value> rowVals, colVals;
      for (int64_t i = 0; i < kMicro; ++i) {
        Value r = owned[i * kMicro].first, q = owned[i].second;
        rowVals.push_back(
            memref::LoadOp::create(b, loc, rowScratch, ValueRange{r, k}));
        colVals.push_back(
            memref::LoadOp::create(b, loc, colScratch, ValueRange{k, q}));
      }
      SmallVector<Value> next;
      for (unsigned e = 0; e < acc.size(); ++e) {
        IRMapping map;
        map.map(body->getArgument(p.rowInput), rowVals[e / kMicro]);
        map.map(body->getArgument(1 - p.rowInput), colVals[e % kMicro]);
        map.map(body->getArgument(2), loop.getRegionIterArgs()[e]);
        for (Operation &op : body->without_terminator())
          b.clone(op, map);
        next.push_back(
            map.lookupOrDefault(body->getTerminator()->getOperand(0)));
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (unsigned e = 0; e < owned.size(); ++e)
      memref::StoreOp::create(b, loc, loop.getResult(e), sums,
                              ValueRange{owned[e].first, owned[e].second});
  });
}

void Emitter::emit() {
  SmallVector<Range> ranges = p.op.createLoopRanges(b, loc);
  for (Range &r : ranges)
    size.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  // One loop over all tiles, row-major within a batch element: a dimension
  // of one tile would be folded away by the canonicalizer, and with it the
  // loop's mark.
  auto tilesOf = [&](Value extent) {
    return arith::CeilDivUIOp::create(b, loc, extent, c(kTile)).getResult();
  };
  SmallVector<unsigned> dims(p.batch.begin(), p.batch.end());
  dims.append({p.row, p.col});
  SmallVector<Value> counts;
  Value total = c(1);
  for (unsigned d : dims) {
    counts.push_back(d == p.row || d == p.col ? tilesOf(size[d]) : size[d]);
    total = arith::MulIOp::create(b, loc, total, counts.back());
  }
  auto blocks = scf::ParallelOp::create(b, loc, ValueRange{c(0)},
                                        ValueRange{total}, ValueRange{c(1)});
  blocks->setAttr("nnc.gpu_tiles", b.getI64IntegerAttr(kThreads));

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(blocks.getBody());
  at.assign(size.size(), c(0));
  Value linear = blocks.getInductionVars()[0];
  for (unsigned i = dims.size(); i-- > 0;) {
    Value index = arith::RemUIOp::create(b, loc, linear, counts[i]);
    linear = arith::DivUIOp::create(b, loc, linear, counts[i]);
    unsigned d = dims[i];
    at[d] = d == p.row || d == p.col ? mul(index, kTile) : index;
  }
  // Scratch on the heap (on the GPU: shared memory): the loop is an
  // allocation scope, so stack scratch would not be freed per tile when the
  // CPU runs it.
  SmallVector<Value> scratchBuffers;
  auto scratch = [&](unsigned operand, int64_t rows, int64_t cols) {
    Type elt = getElementTypeOrSelf(p.op->getOperand(operand).getType());
    scratchBuffers.push_back(
        memref::AllocOp::create(b, loc, MemRefType::get({rows, cols}, elt)));
    return scratchBuffers.back();
  };
  rowScratch = scratch(p.rowInput, kTile, kDepth);
  colScratch = scratch(1 - p.rowInput, kDepth, kTile);
  sums = scratch(2, kTile, kTile);

  Value out = p.op->getOperand(2);
  auto inOutput = [&](Value r, Value q, SmallVector<Value> &pos) {
    pos = at;
    pos[p.row] = add(at[p.row], r);
    pos[p.col] = add(at[p.col], q);
    return both(lessThan(pos[p.row], size[p.row]),
                lessThan(pos[p.col], size[p.col]));
  };
  Type outType = getElementTypeOrSelf(out.getType());
  phase(kThreads, [&](Value t) {
    eachOwned(t, [&](Value r, Value q) {
      SmallVector<Value> pos;
      auto inside = scf::IfOp::create(b, loc, outType, inOutput(r, q, pos),
                                      /*withElseRegion=*/true);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&inside.getThenRegion().front());
      scf::YieldOp::create(
          b, loc,
          ValueRange{memref::LoadOp::create(b, loc, out, indices(2, pos))});
      b.setInsertionPointToStart(&inside.getElseRegion().front());
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::ConstantOp::create(
              b, loc, cast<TypedAttr>(b.getZeroAttr(outType)))});
      b.setInsertionPointAfter(inside);
      memref::StoreOp::create(b, loc, inside.getResult(0), sums,
                              ValueRange{r, q});
    });
  });
  auto kLoop = scf::ForOp::create(b, loc, c(0), size[p.red], c(kDepth));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value k0 = kLoop.getInductionVar();
    Value kEnd = arith::MinUIOp::create(
        b, loc, c(kDepth), arith::SubIOp::create(b, loc, size[p.red], k0));
    loadTile(p.rowInput, k0, rowScratch, /*rowSide=*/true);
    loadTile(1 - p.rowInput, k0, colScratch, /*rowSide=*/false);
    multiply(kEnd);
  }
  phase(kThreads, [&](Value t) {
    eachOwned(t, [&](Value r, Value q) {
      SmallVector<Value> pos;
      auto inside = scf::IfOp::create(b, loc, inOutput(r, q, pos));
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&inside.getThenRegion().front());
      Value v = memref::LoadOp::create(b, loc, sums, ValueRange{r, q});
      memref::StoreOp::create(b, loc, v, out, indices(2, pos));
    });
  });
  for (Value buffer : scratchBuffers)
    memref::DeallocOp::create(b, loc, buffer);
}

struct GpuTileProducts : nnc::impl::NNGpuTileProductsBase<GpuTileProducts> {
  using NNGpuTileProductsBase::NNGpuTileProductsBase;

  void runOnOperation() override {
    SmallVector<Product> products;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (std::optional<Product> p = matchProduct(op, minSide))
        products.push_back(*p);
    });
    for (Product &p : products) {
      OpBuilder b(p.op);
      Emitter(p, b).emit();
      p.op->erase();
    }
  }
};
} // namespace
