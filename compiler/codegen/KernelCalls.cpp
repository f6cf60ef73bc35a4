//===- KernelCalls.cpp - Products and convolutions as runtime kernels -----===//
//
// After bufferization, every f32 contraction whose m, n and k loops each
// index one dimension (or dimensions laid out as one: a reshaped operand)
// (linalg.matmul, batched, transposed and reshaped products as generics)
// becomes a call of the runtime's packed GEMM (nnc_sgemm, one call per
// batch element), every f32 linalg.conv_2d_nhwc_hwcf a call of its direct
// convolution (nnc_conv2d_f32), and the generic made of
// nn.conv2d_filter_grad a call of nnc_conv2d_filter_grad_f32. Operands go as
// aligned pointer, offset and strides read from the memref, so strided views
// and transposed maps need no copies. Each call takes over the zero fill
// before it, the bias/ReLU loop after it and a convolution input's padding
// where KernelEpilogue.cpp finds them. With --threads N the call is made
// from an `scf.parallel` over N slices (an OpenMP region after
// convert-scf-to-openmp); each slice writes its own rows or columns.
//
// Anything else (f64, a product whose output columns are not contiguous,
// grouped convolutions) stays a linalg op and becomes loops.
//
// With --quantize=int8 (option `int8`), the products and convolutions of
// an inference function whose weights are a parameter argument take the
// int8 flag: the runtime quantizes such weights once and keeps them, which
// is only right for arguments that do not change between calls.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEpilogue.h"
#include "codegen/Passes.h"
#include "codegen/RuntimeCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace nnc {
#define GEN_PASS_DEF_NNKERNELCALLS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
constexpr unsigned kGemmArgs = 19, kConvArgs = 30, kFilterGradArgs = 24;

/// A memref as the kernels see it: aligned pointer (i64), element offset,
/// sizes and strides (index).
struct View {
  Value ptr, offset;
  SmallVector<Value> sizes, strides;
};

View viewOf(OpBuilder &b, Location l, Value memref) {
  View v;
  auto md = memref::ExtractStridedMetadataOp::create(b, l, memref);
  Value p = memref::ExtractAlignedPointerAsIndexOp::create(b, l, memref);
  v.ptr = arith::IndexCastOp::create(b, l, b.getI64Type(), p);
  v.offset = md.getOffset();
  v.sizes.assign(md.getSizes().begin(), md.getSizes().end());
  v.strides.assign(md.getStrides().begin(), md.getStrides().end());
  return v;
}

Value i64(OpBuilder &b, Location l, Value index) {
  return arith::IndexCastOp::create(b, l, b.getI64Type(), index);
}

Value cst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

bool isF32(Value memref) {
  auto t = dyn_cast<MemRefType>(memref.getType());
  return t && t.getElementType().isF32();
}

/// Whether `memref`'s type says its dimension `dim` has stride 1.
bool unitStride(Value memref, unsigned dim) {
  auto t = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(t.getStridesAndOffset(strides, offset)))
    return false;
  return strides[dim] == 1;
}

func::FuncOp declare(ModuleOp module, StringRef name, unsigned n) {
  return nnc::declareRuntimeFunction(module, name, n);
}

/// Emits `body(part, parts)`: once, or from an scf.parallel over `threads`
/// slices.
void forEachSlice(OpBuilder &b, Location l, unsigned threads,
                  llvm::function_ref<void(Value, Value)> body) {
  if (threads <= 1) {
    body(i64(b, l, cst(b, l, 0)), i64(b, l, cst(b, l, 1)));
    return;
  }
  auto par = scf::ParallelOp::create(b, l, ValueRange{cst(b, l, 0)},
                                     ValueRange{cst(b, l, threads)},
                                     ValueRange{cst(b, l, 1)});
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(par.getBody()->getTerminator());
  body(i64(b, l, par.getInductionVars()[0]), i64(b, l, cst(b, l, threads)));
}

/// The epilogue's arguments of a call: flags, then (except for the filter
/// gradient) the bias's pointer and offset (0 and 0 without one).
SmallVector<Value> epilogueArgs(OpBuilder &b, Location l,
                                const nnc::KernelEpilogue &e, bool withBias) {
  Value flags = i64(b, l, cst(b, l, e.flags()));
  if (!withBias)
    return {flags};
  if (!e.bias) {
    Value zero = i64(b, l, cst(b, l, 0));
    return {flags, zero, zero};
  }
  View v = viewOf(b, l, e.bias);
  return {flags, v.ptr, i64(b, l, v.offset)};
}

/// Emits the call replacing `op` with epilogue `e`: where the fused loop
/// was (if any; nothing between touches memory), located at both, and
/// tagged with what the epilogue does and whether it runs in int8.
void emitCall(OpBuilder &b, Operation *op, const nnc::KernelEpilogue &e,
              llvm::function_ref<void(OpBuilder &, Location)> build) {
  OpBuilder::InsertionGuard g(b);
  Location l = op->getLoc();
  if (e.fused) {
    b.setInsertionPoint(e.fused);
    l = b.getFusedLoc({l, e.fused->getLoc()});
  } else {
    b.setInsertionPoint(op);
  }
  Block *block = b.getInsertionBlock();
  auto before = b.getInsertionPoint();
  bool atStart = before == block->begin();
  Operation *prev = atStart ? nullptr : &*std::prev(before);
  build(b, l);
  if (e.what.empty() && !e.int8)
    return;
  // Tag the calls just built (inside their parallel loop, if any).
  auto from = prev ? std::next(Block::iterator(prev)) : block->begin();
  for (Operation &o : llvm::make_range(from, b.getInsertionPoint()))
    o.walk([&](func::CallOp call) {
      if (!e.what.empty())
        call->setAttr(nnc::kEpilogueAttr, b.getStringAttr(e.what));
      if (e.int8)
        call->setAttr(nnc::attr::kInt8, b.getUnitAttr());
    });
}

/// A contraction the GEMM can run: operand positions of the m, n, k and
/// batch loops (-1 where an operand does not use a loop).
struct Contraction {
  unsigned m, n, k;                 ///< the innermost loop of each group
  SmallVector<unsigned> mg, ng, kg; ///< each group's loops, outermost first
  SmallVector<unsigned> batch;
};

/// The loops of `group` outermost first, when they index consecutive
/// dimensions of every operand that uses them, in the same order, laid
/// out as one (static strides, each the next one's times its size): then
/// the GEMM sees them as one loop (a product with a reshaped operand, such
/// as the gradient of a dense layer over a flattened image).
std::optional<SmallVector<unsigned>> collapsible(linalg::LinalgOp op,
                                                 ArrayRef<unsigned> group) {
  SmallVector<unsigned> order(group);
  if (group.size() == 1)
    return order;
  bool ordered = false;
  for (OpOperand &o : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&o);
    SmallVector<std::optional<unsigned>> pos;
    for (unsigned d : group)
      pos.push_back(
          map.getResultPosition(getAffineDimExpr(d, map.getContext())));
    unsigned used = llvm::count_if(pos, [](auto p) { return p.has_value(); });
    if (used == 0)
      continue;
    if (used != group.size())
      return std::nullopt;
    if (!ordered) {
      llvm::sort(order, [&](unsigned a, unsigned b) {
        return *map.getResultPosition(getAffineDimExpr(a, map.getContext())) <
               *map.getResultPosition(getAffineDimExpr(b, map.getContext()));
      });
      ordered = true;
    }
    auto t = cast<MemRefType>(o.get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(t.getStridesAndOffset(strides, offset)))
      return std::nullopt;
    unsigned first =
        *map.getResultPosition(getAffineDimExpr(order[0], map.getContext()));
    for (unsigned j = 0; j < order.size(); ++j) {
      if (map.getResultPosition(getAffineDimExpr(order[j], map.getContext())) !=
          first + j)
        return std::nullopt;
      if (j + 1 < order.size() &&
          (ShapedType::isDynamic(strides[first + j]) ||
           ShapedType::isDynamic(strides[first + j + 1]) ||
           t.isDynamicDim(first + j + 1) ||
           strides[first + j] !=
               strides[first + j + 1] * t.getDimSize(first + j + 1)))
        return std::nullopt;
    }
  }
  return order;
}

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (OpOperand &o : op->getOpOperands())
    if (!isF32(o.get()))
      return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return std::nullopt;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return std::nullopt;
  auto mg =
      collapsible(op, SmallVector<unsigned>(dims->m.begin(), dims->m.end()));
  auto ng =
      collapsible(op, SmallVector<unsigned>(dims->n.begin(), dims->n.end()));
  auto kg =
      collapsible(op, SmallVector<unsigned>(dims->k.begin(), dims->k.end()));
  if (!mg || !ng || !kg)
    return std::nullopt;
  Contraction c{mg->back(),
                ng->back(),
                kg->back(),
                *mg,
                *ng,
                *kg,
                SmallVector<unsigned>(dims->batch.begin(), dims->batch.end())};
  // C's columns (the n loop) must be contiguous; every loop but k must
  // index C.
  AffineMap cmap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  std::optional<unsigned> nPos =
      cmap.getResultPosition(getAffineDimExpr(c.n, op.getContext()));
  if (!nPos || !unitStride(op.getDpsInitOperand(0)->get(), *nPos))
    return std::nullopt;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (!llvm::is_contained(c.kg, d) &&
        !cmap.getResultPosition(getAffineDimExpr(d, op.getContext())))
      return std::nullopt;
  return c;
}

/// The stride of loop `d` in an operand (0 if the operand does not use it).
Value strideOf(OpBuilder &b, Location l, const View &v, AffineMap map,
               unsigned d) {
  if (auto pos = map.getResultPosition(getAffineDimExpr(d, map.getContext())))
    return v.strides[*pos];
  return cst(b, l, 0);
}

void emitGemm(OpBuilder &b, Location l, linalg::LinalgOp op,
              const Contraction &c, func::FuncOp fn, unsigned threads,
              const nnc::KernelEpilogue &e) {
  SmallVector<Value> operands{op.getDpsInputOperand(0)->get(),
                              op.getDpsInputOperand(1)->get(), e.out};
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<View> views;
  for (Value v : operands)
    views.push_back(viewOf(b, l, v));
  auto sizeOf = [&](unsigned d) -> Value {
    for (unsigned i : {2u, 0u, 1u})
      if (auto pos =
              maps[i].getResultPosition(getAffineDimExpr(d, b.getContext())))
        return views[i].sizes[*pos];
    llvm_unreachable("every loop indexes an operand");
  };
  auto groupSize = [&](ArrayRef<unsigned> group) {
    Value size = sizeOf(group[0]);
    for (unsigned d : group.drop_front())
      size = arith::MulIOp::create(b, l, size, sizeOf(d));
    return size;
  };
  Value m = groupSize(c.mg), n = groupSize(c.ng), k = groupSize(c.kg);
  SmallVector<Value> epilogue = epilogueArgs(b, l, e, /*withBias=*/true);
  forEachSlice(b, l, threads, [&](Value part, Value parts) {
    OpBuilder::InsertionGuard g(b);
    // One call per batch element: loops over the batch dimensions that
    // advance each operand's offset.
    SmallVector<Value> offsets{views[0].offset, views[1].offset,
                               views[2].offset};
    for (unsigned d : c.batch) {
      auto loop =
          scf::ForOp::create(b, l, cst(b, l, 0), sizeOf(d), cst(b, l, 1));
      b.setInsertionPoint(loop.getBody()->getTerminator());
      Value iv = loop.getInductionVar();
      for (unsigned i = 0; i < 3; ++i)
        offsets[i] = arith::AddIOp::create(
            b, l, offsets[i],
            arith::MulIOp::create(b, l, iv,
                                  strideOf(b, l, views[i], maps[i], d)));
    }
    auto s = [&](unsigned i, unsigned d) {
      return i64(b, l, strideOf(b, l, views[i], maps[i], d));
    };
    SmallVector<Value> args{
        i64(b, l, m),          i64(b, l, n), i64(b, l, k), views[0].ptr,
        i64(b, l, offsets[0]), s(0, c.m),    s(0, c.k),    views[1].ptr,
        i64(b, l, offsets[1]), s(1, c.k),    s(1, c.n),    views[2].ptr,
        i64(b, l, offsets[2]), s(2, c.m)};
    args.append(epilogue);
    args.append({part, parts});
    func::CallOp::create(b, l, fn, args);
  });
}

bool denseRowMajor(Value memref) {
  return nnc::isDenseRowMajor(cast<MemRefType>(memref.getType()));
}

bool matchConv(linalg::Conv2DNhwcHwcfOp op) {
  return op.hasPureBufferSemantics() &&
         llvm::all_of(op->getOperands(), isF32) &&
         denseRowMajor(op.getDpsInputOperand(1)->get()) &&
         denseRowMajor(op.getDpsInitOperand(0)->get());
}

void emitConv(OpBuilder &b, Location l, linalg::Conv2DNhwcHwcfOp op,
              func::FuncOp fn, unsigned threads, const nnc::KernelEpilogue &e,
              const std::optional<nnc::PaddedInput> &padded) {
  // A padded input is read in place, the padding implicit.
  View x =
      viewOf(b, l, padded ? padded->image : op.getDpsInputOperand(0)->get());
  Value top = i64(b, l, cst(b, l, padded ? padded->top : 0));
  Value left = i64(b, l, cst(b, l, padded ? padded->left : 0));
  View w = viewOf(b, l, op.getDpsInputOperand(1)->get());
  View out = viewOf(b, l, e.out);
  SmallVector<Value> epilogue = epilogueArgs(b, l, e, /*withBias=*/true);
  auto attr = [&](DenseIntElementsAttr a, unsigned i) {
    return i64(b, l, cst(b, l, a.getValues<int64_t>()[i]));
  };
  forEachSlice(b, l, threads, [&](Value part, Value parts) {
    SmallVector<Value> args{x.ptr, i64(b, l, x.offset)};
    for (Value v : x.sizes)
      args.push_back(i64(b, l, v));
    for (Value v : x.strides)
      args.push_back(i64(b, l, v));
    args.append({w.ptr, i64(b, l, w.offset), i64(b, l, w.sizes[0]),
                 i64(b, l, w.sizes[1]), i64(b, l, w.sizes[3]), out.ptr,
                 i64(b, l, out.offset), i64(b, l, out.sizes[1]),
                 i64(b, l, out.sizes[2]), attr(op.getStrides(), 0),
                 attr(op.getStrides(), 1), attr(op.getDilations(), 0),
                 attr(op.getDilations(), 1), top, left});
    args.append(epilogue);
    args.append({part, parts});
    func::CallOp::create(b, l, fn, args);
  });
}

/// The generic nn-lower-to-linalg makes of nn.conv2d_filter_grad, with a
/// dense cotangent and result.
bool matchFilterGrad(linalg::GenericOp op) {
  auto attr = op->getAttrOfType<DenseI64ArrayAttr>(nnc::kFilterGradAttr);
  return attr && attr.size() == 4 && op.hasPureBufferSemantics() &&
         op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1 &&
         llvm::all_of(op->getOperands(), isF32) &&
         denseRowMajor(op.getDpsInputOperand(1)->get()) &&
         denseRowMajor(op.getDpsInitOperand(0)->get());
}

void emitFilterGrad(OpBuilder &b, Location l, linalg::GenericOp op,
                    func::FuncOp fn, unsigned threads,
                    const nnc::KernelEpilogue &e) {
  ArrayRef<int64_t> sd =
      op->getAttrOfType<DenseI64ArrayAttr>(nnc::kFilterGradAttr).asArrayRef();
  View x = viewOf(b, l, op.getDpsInputOperand(0)->get());
  View g = viewOf(b, l, op.getDpsInputOperand(1)->get());
  View out = viewOf(b, l, e.out);
  SmallVector<Value> epilogue = epilogueArgs(b, l, e, /*withBias=*/false);
  forEachSlice(b, l, threads, [&](Value part, Value parts) {
    SmallVector<Value> args{x.ptr, i64(b, l, x.offset), i64(b, l, x.sizes[0]),
                            i64(b, l, x.sizes[3])};
    for (Value v : x.strides)
      args.push_back(i64(b, l, v));
    args.append({g.ptr, i64(b, l, g.offset), i64(b, l, g.sizes[1]),
                 i64(b, l, g.sizes[2]), i64(b, l, g.sizes[3]), out.ptr,
                 i64(b, l, out.offset), i64(b, l, out.sizes[0]),
                 i64(b, l, out.sizes[1])});
    for (int64_t v : sd)
      args.push_back(i64(b, l, cst(b, l, v)));
    args.append(epilogue);
    args.append({part, parts});
    func::CallOp::create(b, l, fn, args);
  });
}

/// Whether `f` is a model's forward function (`<name>_forward`), which
/// changes no parameter (train steps update theirs in place, and an eval
/// step runs between them).
bool isForward(func::FuncOp f) { return f.getSymName().ends_with("_forward"); }

/// Whether `v` is a view of one of `f`'s `param` arguments.
bool isParam(func::FuncOp f, Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    v = view.getViewSource();
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &f.getBody().front())
    return false;
  auto kind =
      f.getArgAttrOfType<StringAttr>(arg.getArgNumber(), nnc::attr::kKind);
  return kind && kind.getValue() == "param";
}

struct NNKernelCallsPass : nnc::impl::NNKernelCallsBase<NNKernelCallsPass> {
  using NNKernelCallsBase::NNKernelCallsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    unsigned t = std::max(1u, unsigned(threads));
    llvm::DenseSet<Operation *> erased; // fills and loops calls replaced
    for (Operation *o : ops) {
      if (erased.contains(o))
        continue;
      OpBuilder b(o);
      // Each kernel: its epilogue, the call in place of the op, then what
      // the call replaced goes.
      // `weights`: the operand int8 quantizes once (null: none).
      auto replace = [&](Value out, bool withBias, Value weights, auto emit) {
        nnc::KernelEpilogue e = nnc::planEpilogue(o, out, withBias);
        auto fn = o->getParentOfType<func::FuncOp>();
        e.bf16 = fn && fn->hasAttr(nnc::attr::kBf16);
        if (int8 && fn && isForward(fn)) {
          fn->setAttr(nnc::attr::kInt8, b.getUnitAttr());
          e.int8 = weights && isParam(fn, weights);
        }
        if (e.residual && e.residual != e.out)
          memref::CopyOp::create(b, o->getLoc(), e.residual, e.out);
        emitCall(b, o, e, [&](OpBuilder &b, Location l) { emit(b, l, e); });
        o->erase();
        erased.insert(e.fill);
        erased.insert(e.fused);
        nnc::eraseReplaced(e, out);
      };
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(o)) {
        if (!matchConv(conv))
          continue;
        func::FuncOp fn = declare(module, "nnc_conv2d_f32", kConvArgs);
        std::optional<nnc::PaddedInput> padded =
            nnc::matchPaddedInput(conv, conv.getDpsInputOperand(0)->get());
        replace(conv.getDpsInitOperand(0)->get(), true,
                conv.getDpsInputOperand(1)->get(),
                [&](OpBuilder &b, Location l, const nnc::KernelEpilogue &e) {
                  emitConv(b, l, conv, fn, t, e, padded);
                });
        if (padded) {
          erased.insert(padded->fill);
          nnc::erasePadding(*padded);
        }
        continue;
      }
      if (auto g = dyn_cast<linalg::GenericOp>(o); g && matchFilterGrad(g)) {
        func::FuncOp fn =
            declare(module, "nnc_conv2d_filter_grad_f32", kFilterGradArgs);
        replace(g.getDpsInitOperand(0)->get(), false, Value(),
                [&](OpBuilder &b, Location l, const nnc::KernelEpilogue &e) {
                  emitFilterGrad(b, l, g, fn, t, e);
                });
        continue;
      }
      auto op = cast<linalg::LinalgOp>(o);
      if (std::optional<Contraction> c = matchContraction(op)) {
        func::FuncOp fn = declare(module, "nnc_sgemm", kGemmArgs);
        // The bias runs along C's columns: only when they are its last
        // dimension.
        AffineMap cmap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
        bool nLast =
            cmap.getResultPosition(getAffineDimExpr(c->n, op.getContext())) ==
            cmap.getNumResults() - 1;
        replace(op.getDpsInitOperand(0)->get(), nLast,
                op.getDpsInputOperand(1)->get(),
                [&](OpBuilder &b, Location l, const nnc::KernelEpilogue &e) {
                  emitGemm(b, l, op, *c, fn, t, e);
                });
      }
    }
  }
};
} // namespace

func::FuncOp nnc::declareRuntimeFunction(ModuleOp module, StringRef name,
                                         unsigned n) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<Type> args(n, b.getI64Type());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType(args, {}));
  f.setPrivate();
  return f;
}
