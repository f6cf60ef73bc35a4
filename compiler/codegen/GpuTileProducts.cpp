//===- GpuTileProducts.cpp - Products in shared-memory tiles --------------===//
//
// Mapped like any other op (nnc-gpu-map-loops), a matrix product or a
// convolution gives each output element a thread that reads its row of
// one operand and its column of the other from global memory: two loads
// per multiply-add, and neighbouring threads reload what their neighbours
// just read. Here such an op becomes the classic tiled GEMM instead, seen
// as one: its output's last dimension is the columns, its other output
// dimensions that only one input depends on are the rows (for a
// convolution: image, y, x; an implicit GEMM), the reduction dimensions
// together are the depth (a convolution's window and input channels, in
// loop order), and output dimensions both inputs depend on are a batch.
// The loops are written so the CPU can run them as they are
// (--emulate-gpu-loops); nnc-gpu-launch-tiles turns them into a launch:
//
//   scf.parallel over 64x64 output tiles (and batch)    -> blocks
//     scratch (memref.alloc): the row operand's 64x16 tile, the column
//       operand's 16x64 tile, the output tile's 64x64 sums (each padded
//       by one column)                                    -> shared memory
//     thread phase: sums := output (0 outside it)
//     scf.for k0 = 0 to depth step 16:
//       thread phase: load both operands' tiles (in their memory order)
//       thread phase: each of 256 threads adds its 4x4 sums' products
//     thread phase: output := sums (inside the output only)
//
// A thread phase is an scf.parallel marked `nnc.gpu_threads`: on the GPU
// the block's threads share its iterations and a barrier follows it, so
// phases see each other's writes exactly as when they run one after the
// other. Each output element's sum starts from its old value and adds the
// products in the order of the op's reduction loops, as the plain loops
// do.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
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
/// Fewer tiles than this (all sizes known) stay a thread per element.
constexpr int64_t kMinTiles = 8;

/// A product's loop dimensions: the output's last dimension (`col`), the
/// other output dimensions only one input depends on (`rows`, in the
/// output's order), the reduction dimensions (`reds`, in loop order) and
/// the output dimensions both inputs depend on (`batch`); which input
/// depends on the rows (the other depends on `col`).
struct Product {
  linalg::LinalgOp op;
  SmallVector<unsigned> rows;
  unsigned col;
  SmallVector<unsigned> reds, batch;
  unsigned rowInput;
};

/// Whether `body` yields out + a * b of its arguments (a, b, out), in
/// floating point, with nothing else (no casts) in between.
bool isMultiplyAdd(Block &body) {
  return body.getOperations().size() == 3 &&
         linalg::detail::isContractionBody(
             body, [](Operation *mul, Operation *add) {
               return isa<arith::MulFOp>(mul) && isa<arith::AddFOp>(add);
             });
}

/// The product's extent along `dims` (their sizes' product), or
/// ShapedType::kDynamic.
int64_t extent(ArrayRef<int64_t> sizes, ArrayRef<unsigned> dims) {
  int64_t n = 1;
  for (unsigned d : dims) {
    if (ShapedType::isDynamic(sizes[d]))
      return ShapedType::kDynamic;
    n *= sizes[d];
  }
  return n;
}

/// The op's dimensions as a product, if it is one.
std::optional<Product> productDims(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !isMultiplyAdd(*op.getBlock()))
    return std::nullopt;
  // Scratch of 32-bit elements or narrower fits shared memory (25 KiB).
  if (llvm::any_of(op->getOperands(), [](Value v) {
        Type t = getElementTypeOrSelf(v.getType());
        return !t.isIntOrFloat() || t.getIntOrFloatBitWidth() > 32;
      }))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  unsigned parallel = op.getNumParallelLoops();
  if (!out.isProjectedPermutation() || out.getNumResults() != parallel ||
      parallel < 2 || op.getNumReductionLoops() == 0 ||
      parallel + op.getNumReductionLoops() != op.getNumLoops())
    return std::nullopt;
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  if (llvm::any_of(out.getResults(), [&](AffineExpr e) {
        return kinds[cast<AffineDimExpr>(e).getPosition()] !=
               utils::IteratorType::parallel;
      }))
    return std::nullopt;
  Product p{op, {}, 0, {}, {}, 0};
  p.col = cast<AffineDimExpr>(out.getResults().back()).getPosition();
  p.rowInput = maps[0].isFunctionOfDim(p.col) ? 1 : 0;
  if (maps[p.rowInput].isFunctionOfDim(p.col))
    return std::nullopt; // both inputs vary along the columns
  for (AffineExpr e : out.getResults().drop_back()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (maps[0].isFunctionOfDim(d) && maps[1].isFunctionOfDim(d))
      p.batch.push_back(d);
    else
      p.rows.push_back(d);
  }
  if (p.rows.empty() || llvm::any_of(p.rows, [&](unsigned d) {
        return maps[1 - p.rowInput].isFunctionOfDim(d);
      }))
    return std::nullopt;
  for (unsigned d = 0; d < kinds.size(); ++d)
    if (kinds[d] == utils::IteratorType::reduction)
      p.reds.push_back(d);
  return p;
}

std::optional<Product> matchProduct(linalg::LinalgOp op, int64_t minSide) {
  std::optional<Product> p = productDims(op);
  if (!p)
    return std::nullopt;
  // Thin products (a layer of 10 outputs, a convolution's filter
  // gradient over one input channel) would leave most of a tile's threads
  // idle, and few tiles most of the GPU: they stay a thread per element.
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t rows = extent(sizes, p->rows), cols = extent(sizes, {p->col});
  int64_t depth = extent(sizes, p->reds), batch = extent(sizes, p->batch);
  auto below = [](int64_t n, int64_t least) {
    return !ShapedType::isDynamic(n) && n < least;
  };
  if (below(rows, minSide) || below(cols, minSide) || below(depth, kDepth))
    return std::nullopt;
  if (!ShapedType::isDynamic(rows) && !ShapedType::isDynamic(cols) &&
      !ShapedType::isDynamic(batch) &&
      batch * llvm::divideCeil(rows, kTile) * llvm::divideCeil(cols, kTile) <
          kMinTiles)
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
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value div(Value x, int64_t y) { return div(x, c(y)); }
  Value rem(Value x, int64_t y) { return rem(x, c(y)); }
  Value product(ArrayRef<unsigned> dims);

  /// Sets `pos[d]` for `dims` from their linear index (the last fastest).
  void delinearize(Value linear, ArrayRef<unsigned> dims,
                   SmallVector<Value> &pos);
  /// The loop position of output row `row` (linear, in the whole output),
  /// column `col` and depth `k` (linear) of the current tile; a null
  /// value leaves its dimensions at 0 (an operand that does not use them).
  SmallVector<Value> position(Value row, Value col, Value k);
  /// An operand's indices at loop position `pos`.
  SmallVector<Value> indices(unsigned operand, ArrayRef<Value> pos);
  /// A thread phase of `n` iterations; `body` builds one from its index.
  void phase(int64_t n, function_ref<void(Value)> body);
  /// Runs `body` for each of the thread's kMicro x kMicro output elements
  /// (tile row, tile column), with thread `t`.
  void eachOwned(Value t, function_ref<void(Value, Value)> body);
  /// Whether the operand's last index varies with `dims`' last dimension:
  /// its consecutive elements lie along them.
  bool innermost(unsigned operand, ArrayRef<unsigned> dims);
  void loadTile(unsigned input, Value k0, Value scratch, bool rowSide);
  void multiply(Value kEnd);
  /// The tiles' loop, the tile's origin set in its body.
  scf::ParallelOp tileLoop();
  /// Sums from the output (first) or back to it.
  void copySums(bool fromOutput);

  Product p;
  OpBuilder &b;
  Location loc;
  SmallVector<Value> size; // per loop dimension
  Value rows, cols, depth; // the GEMM's extents
  SmallVector<Value> at;   // the tile's batch index, per dimension
  Value row0, col0;        // the tile's first row and column
  Value rowScratch, colScratch, sums;
};

Value Emitter::product(ArrayRef<unsigned> dims) {
  Value n = c(1);
  for (unsigned d : dims)
    n = mul(n, size[d]);
  return n;
}

void Emitter::delinearize(Value linear, ArrayRef<unsigned> dims,
                          SmallVector<Value> &pos) {
  for (unsigned i = dims.size(); i-- > 0;) {
    if (i == 0) {
      pos[dims[i]] = linear;
      break;
    }
    pos[dims[i]] = rem(linear, size[dims[i]]);
    linear = div(linear, size[dims[i]]);
  }
}

SmallVector<Value> Emitter::position(Value row, Value col, Value k) {
  SmallVector<Value> pos = at;
  if (row)
    delinearize(row, p.rows, pos);
  if (col)
    pos[p.col] = col;
  if (k)
    delinearize(k, p.reds, pos);
  return pos;
}

SmallVector<Value> Emitter::indices(unsigned operand, ArrayRef<Value> pos) {
  AffineMap map = p.op.getIndexingMapsArray()[operand];
  SmallVector<Value> dims;
  for (Value v : pos)
    dims.push_back(v ? v : c(0));
  SmallVector<Value> idx;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    if (auto d = dyn_cast<AffineDimExpr>(map.getResult(r)))
      idx.push_back(dims[d.getPosition()]);
    else // a convolution's y + dy, say
      idx.push_back(
          affine::AffineApplyOp::create(b, loc, map.getSubMap({r}), dims));
  }
  return idx;
}

void Emitter::phase(int64_t n, function_ref<void(Value)> body) {
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{c(0)},
                                      ValueRange{c(n)}, ValueRange{c(1)});
  loop->setAttr(nnc::kGpuThreadsAttr, b.getUnitAttr());
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

bool Emitter::innermost(unsigned operand, ArrayRef<unsigned> dims) {
  AffineMap map = p.op.getIndexingMapsArray()[operand];
  return map.getNumResults() > 0 &&
         map.getResults().back().isFunctionOfDim(dims.back());
}

void Emitter::loadTile(unsigned input, Value k0, Value scratch, bool rowSide) {
  // Consecutive threads read consecutive elements of the operand.
  bool depthInner =
      innermost(input, p.reds) &&
      !innermost(input, rowSide ? p.rows : ArrayRef<unsigned>(p.col));
  Value extent = rowSide ? rows : cols, origin = rowSide ? row0 : col0;
  phase(kTile * kDepth, [&](Value i) {
    Value s = depthInner ? div(i, kDepth) : rem(i, kTile);
    Value k = depthInner ? rem(i, kDepth) : div(i, kTile);
    Value along = add(origin, s), kk = add(k0, k);
    auto inside = scf::IfOp::create(
        b, loc, both(lessThan(along, extent), lessThan(kk, depth)));
    b.setInsertionPointToStart(&inside.getThenRegion().front());
    SmallVector<Value> pos =
        rowSide ? position(along, nullptr, kk) : position(nullptr, along, kk);
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

scf::ParallelOp Emitter::tileLoop() {
  // One loop over all tiles, row-major within a batch element: a dimension
  // of one tile would be folded away by the canonicalizer, and with it the
  // loop's mark.
  Value rowTiles = arith::CeilDivUIOp::create(b, loc, rows, c(kTile));
  Value colTiles = arith::CeilDivUIOp::create(b, loc, cols, c(kTile));
  Value total = mul(product(p.batch), mul(rowTiles, colTiles));
  auto tiles = scf::ParallelOp::create(b, loc, ValueRange{c(0)},
                                       ValueRange{total}, ValueRange{c(1)});
  tiles->setAttr(nnc::kGpuTilesAttr, b.getI64IntegerAttr(kThreads));
  b.setInsertionPointToStart(tiles.getBody());
  Value linear = tiles.getInductionVars()[0];
  col0 = mul(rem(linear, colTiles), c(kTile));
  linear = div(linear, colTiles);
  row0 = mul(rem(linear, rowTiles), c(kTile));
  at.assign(size.size(), nullptr);
  if (!p.batch.empty())
    delinearize(div(linear, rowTiles), p.batch, at);
  return tiles;
}

void Emitter::copySums(bool fromOutput) {
  Value out = p.op->getOperand(2);
  Type type = getElementTypeOrSelf(out.getType());
  phase(kThreads, [&](Value t) {
    eachOwned(t, [&](Value r, Value q) {
      Value row = add(row0, r), col = add(col0, q);
      Value inside = both(lessThan(row, rows), lessThan(col, cols));
      OpBuilder::InsertionGuard g(b);
      if (!fromOutput) {
        auto store = scf::IfOp::create(b, loc, inside);
        b.setInsertionPointToStart(&store.getThenRegion().front());
        Value v = memref::LoadOp::create(b, loc, sums, ValueRange{r, q});
        memref::StoreOp::create(b, loc, v, out,
                                indices(2, position(row, col, nullptr)));
        return;
      }
      auto load = scf::IfOp::create(b, loc, type, inside,
                                    /*withElseRegion=*/true);
      b.setInsertionPointToStart(&load.getThenRegion().front());
      scf::YieldOp::create(
          b, loc,
          ValueRange{memref::LoadOp::create(
              b, loc, out, indices(2, position(row, col, nullptr)))});
      b.setInsertionPointToStart(&load.getElseRegion().front());
      scf::YieldOp::create(b, loc,
                           ValueRange{arith::ConstantOp::create(
                               b, loc, cast<TypedAttr>(b.getZeroAttr(type)))});
      b.setInsertionPointAfter(load);
      memref::StoreOp::create(b, loc, load.getResult(0), sums,
                              ValueRange{r, q});
    });
  });
}

void Emitter::emit() {
  SmallVector<Range> ranges = p.op.createLoopRanges(b, loc);
  for (Range &r : ranges)
    size.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  rows = product(p.rows);
  cols = size[p.col];
  depth = product(p.reds);
  OpBuilder::InsertionGuard guard(b);
  tileLoop();
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
  // One column of padding: a tile loaded across its rows (a transposed
  // operand) stores a row apart per thread, and a warp's threads own sums
  // in two rows, which would otherwise be in the same shared-memory banks.
  rowScratch = scratch(p.rowInput, kTile, kDepth + 1);
  colScratch = scratch(1 - p.rowInput, kDepth, kTile + 1);
  sums = scratch(2, kTile, kTile + 1);

  copySums(/*fromOutput=*/true);
  auto kLoop = scf::ForOp::create(b, loc, c(0), depth, c(kDepth));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value k0 = kLoop.getInductionVar();
    Value kEnd = arith::MinUIOp::create(
        b, loc, c(kDepth), arith::SubIOp::create(b, loc, depth, k0));
    loadTile(p.rowInput, k0, rowScratch, /*rowSide=*/true);
    loadTile(1 - p.rowInput, k0, colScratch, /*rowSide=*/false);
    multiply(kEnd);
  }
  copySums(/*fromOutput=*/false);
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
