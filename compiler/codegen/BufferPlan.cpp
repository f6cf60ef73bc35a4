//===- BufferPlan.cpp - Intermediates in one planned workspace -----------===//
//
// After bufferization a training step allocates every intermediate tensor
// and frees it at the end. Here the buffers are planned once, at compile
// time: each intermediate allocated in the function's body gets a fixed
// place in one workspace, and two buffers share memory when their
// lifetimes (first to last use, through every view of them) do not meet.
// At run time the function asks the runtime once per call for its
// workspace (`nnc_workspace`, which keeps it for the calling thread and only
// grows it for a larger batch), so a step allocates nothing.
//
// Sizes may depend on the function's symbolic dimensions (the batch). Each
// size and offset is a polynomial in those dimensions with non-negative
// coefficients (e.g. 3136*B + 64); placing a buffer above another is
// decided on coefficients, which holds for every value of the dimensions,
// so one plan serves every batch size. Coefficients are rounded up to
// 64 bytes, which keeps every buffer aligned to a cache line.
//
// An entry point's results (the loss, the metrics, a forward's output)
// are planned too: the runtime copies them out before the next call and
// never frees a workspace. Buffers returned by private functions, yielded
// out of a region, freed anywhere but at the function's top level,
// allocated inside loops, or whose sizes are not polynomials in the
// arguments' dimensions keep their own allocations.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/NNAttrNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

namespace nnc {
#define GEN_PASS_DEF_NNPLANBUFFERS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
constexpr int64_t kAlign = 64;
constexpr double kNominalSymbol = 64; ///< for ordering only

/// A polynomial with non-negative coefficients in symbolic dimensions:
/// monomial (sorted symbol ids) -> coefficient.
struct Poly {
  std::map<std::vector<unsigned>, int64_t> terms;

  static Poly constant(int64_t c) {
    Poly p;
    if (c)
      p.terms[{}] = c;
    return p;
  }
  static Poly symbol(unsigned id) {
    Poly p;
    p.terms[{id}] = 1;
    return p;
  }
  Poly operator+(const Poly &o) const {
    Poly r = *this;
    for (auto &[m, c] : o.terms)
      r.terms[m] += c;
    return r;
  }
  Poly operator*(const Poly &o) const {
    Poly r;
    for (auto &[m1, c1] : terms)
      for (auto &[m2, c2] : o.terms) {
        std::vector<unsigned> m = m1;
        m.insert(m.end(), m2.begin(), m2.end());
        std::sort(m.begin(), m.end());
        r.terms[m] += c1 * c2;
      }
    return r;
  }
  /// Coefficient-wise maximum: at least max(a, b) for every value >= 0.
  static Poly max(const Poly &a, const Poly &b) {
    Poly r = a;
    for (auto &[m, c] : b.terms)
      r.terms[m] = std::max(r.terms[m], c);
    return r;
  }
  /// Every coefficient <= the other's: *this <= o for every value >= 0.
  bool below(const Poly &o) const {
    for (auto &[m, c] : terms) {
      auto it = o.terms.find(m);
      if (c > (it == o.terms.end() ? 0 : it->second))
        return false;
    }
    return true;
  }
  Poly alignedUp() const {
    Poly r;
    for (auto &[m, c] : terms)
      r.terms[m] = (c + kAlign - 1) / kAlign * kAlign;
    return r;
  }
  double nominal() const {
    double v = 0;
    for (auto &[m, c] : terms)
      v += double(c) * std::pow(kNominalSymbol, double(m.size()));
    return v;
  }
};

struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;    ///< its top-level deallocation, if any
  unsigned first = 0, last = 0; ///< positions in the entry block
  Poly bytes, offset;
};

class Planner {
public:
  Planner(func::FuncOp f, ModuleOp module)
      : f(f), entry(&f.getBody().front()),
        entryPoint(f.isPublic() &&
                   SymbolTable::symbolKnownUseEmpty(f, module)) {
    unsigned k = 0;
    for (Operation &op : *entry)
      position[&op] = k++;
  }

  /// Plans and rewrites the function (if it has buffers to plan).
  void run(ModuleOp module);

private:
  std::optional<Poly> resolve(Value v);
  std::optional<Poly> resolveDim(Value memref, int64_t d);
  std::optional<Buffer> candidate(memref::AllocOp alloc);
  void place(std::vector<Buffer> &buffers);
  Value materialize(OpBuilder &b, Location loc, const Poly &p);
  void recordPlan(size_t planned, const Poly &total, const Poly &separate);
  void emitSizeFunction(ModuleOp module, const Poly &total);

  func::FuncOp f;
  Block *entry;
  /// Called by the runtime only (public, never called in the module): its
  /// results may live in its workspace.
  bool entryPoint;
  llvm::DenseMap<Operation *, unsigned> position;
  std::vector<std::pair<unsigned, int64_t>> symbols; ///< (argument, dim)
  std::map<std::pair<unsigned, int64_t>, Value> symbolValues;
};

/// The value of an index as a polynomial in the arguments' dimensions.
std::optional<Poly> Planner::resolve(Value v) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c >= 0 ? std::optional<Poly>(Poly::constant(*c)) : std::nullopt;
  Operation *def = v.getDefiningOp();
  if (auto dim = dyn_cast_or_null<memref::DimOp>(def)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    return index ? resolveDim(dim.getSource(), *index) : std::nullopt;
  }
  if (isa_and_nonnull<arith::MulIOp, arith::AddIOp>(def)) {
    std::optional<Poly> a = resolve(def->getOperand(0));
    std::optional<Poly> b = a ? resolve(def->getOperand(1)) : std::nullopt;
    if (!b)
      return std::nullopt;
    return isa<arith::MulIOp>(def) ? *a * *b : *a + *b;
  }
  return std::nullopt;
}

/// Dimension `d` of a buffer, through the views that bufferization makes.
std::optional<Poly> Planner::resolveDim(Value memref, int64_t d) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || d >= type.getRank())
    return std::nullopt;
  if (!type.isDynamicDim(d))
    return Poly::constant(type.getDimSize(d));
  auto arg = dyn_cast<BlockArgument>(memref);
  if (arg && arg.getOwner() == entry) {
    std::pair<unsigned, int64_t> key{arg.getArgNumber(), d};
    auto it = std::find(symbols.begin(), symbols.end(), key);
    if (it == symbols.end())
      it = symbols.insert(symbols.end(), key);
    return Poly::symbol(unsigned(it - symbols.begin()));
  }
  Operation *def = memref.getDefiningOp();
  if (auto alloc = dyn_cast_or_null<memref::AllocOp>(def))
    return resolve(alloc.getDynamicSizes()[type.getDynamicDimIndex(d)]);
  if (auto cast = dyn_cast_or_null<memref::CastOp>(def))
    return resolveDim(cast.getSource(), d);
  if (auto expand = dyn_cast_or_null<memref::ExpandShapeOp>(def)) {
    OpFoldResult size = expand.getMixedOutputShape()[d];
    if (std::optional<int64_t> c = getConstantIntValue(size))
      return Poly::constant(*c);
    return resolve(cast<Value>(size));
  }
  if (auto collapse = dyn_cast_or_null<memref::CollapseShapeOp>(def)) {
    Poly size = Poly::constant(1);
    // Kept: a range-for over an element of the temporary would read it
    // after it is destroyed (found by ASan).
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    for (int64_t s : groups[d]) {
      std::optional<Poly> part = resolveDim(collapse.getSrc(), s);
      if (!part)
        return std::nullopt;
      size = size * *part;
    }
    return size;
  }
  return std::nullopt;
}

/// An allocation the plan can take, with its size and lifetime.
std::optional<Buffer> Planner::candidate(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getElementType().isIntOrFloat())
    return std::nullopt;
  unsigned bits = type.getElementTypeBitWidth();
  if (!type.getLayout().isIdentity() || bits == 0 || bits % 8 != 0)
    return std::nullopt;
  Buffer buf;
  buf.alloc = alloc;
  buf.bytes = Poly::constant(bits / 8);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    std::optional<Poly> size = resolveDim(alloc.getResult(), d);
    if (!size)
      return std::nullopt;
    buf.bytes = buf.bytes * *size;
  }
  buf.bytes = buf.bytes.alignedUp();
  // Lifetime: every use of the buffer and of what is derived from it
  // (views, extracted pointers handed to kernels), at the position of the
  // top-level op that contains the use.
  buf.first = buf.last = position.lookup(alloc);
  llvm::SmallVector<Value> work{alloc.getResult()};
  llvm::DenseSet<Value> seen{alloc.getResult()};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        if (v != alloc.getResult() || user->getBlock() != entry)
          return std::nullopt; // freed through an alias or conditionally
        buf.dealloc = dealloc;
        continue;
      }
      // A result of an entry point, returned as allocated: the runtime
      // copies results out right after the call (nnc_model_call), so it
      // may live in the workspace until the function's next call.
      if (isa<func::ReturnOp>(user) && v == alloc.getResult() &&
          user->getBlock() == entry && entryPoint) {
        buf.last = std::max(buf.last, position.lookup(user));
        continue;
      }
      // Returned otherwise, yielded, or handed to a region as an operand:
      // it outlives what this block can see.
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          isa<RegionBranchOpInterface>(user))
        return std::nullopt;
      Operation *top = entry->findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      buf.last = std::max(buf.last, position.lookup(top));
      if (isa<memref::LoadOp, memref::DimOp>(user))
        continue; // its results are values, not views
      for (Value r : user->getResults())
        if (seen.insert(r).second)
          work.push_back(r);
    }
  }
  return buf;
}

/// First fit: each buffer, largest first, goes at the lowest offset (0 or
/// the end of a placed buffer) that clears every placed buffer it is live
/// with, for all values of the symbols.
void Planner::place(std::vector<Buffer> &buffers) {
  std::vector<size_t> order(buffers.size());
  for (size_t k = 0; k < order.size(); ++k)
    order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    double na = buffers[a].bytes.nominal(), nb = buffers[b].bytes.nominal();
    return na != nb ? na > nb : a < b;
  });
  std::vector<size_t> placed;
  for (size_t i : order) {
    Buffer &buf = buffers[i];
    std::vector<const Buffer *> live;
    for (size_t j : placed)
      if (buffers[j].first <= buf.last && buf.first <= buffers[j].last)
        live.push_back(&buffers[j]);
    std::vector<Poly> offsets{Poly()};
    Poly top;
    for (const Buffer *o : live) {
      offsets.push_back(o->offset + o->bytes);
      top = Poly::max(top, offsets.back());
    }
    std::sort(offsets.begin(), offsets.end(), [](const Poly &a, const Poly &b) {
      return a.nominal() < b.nominal();
    });
    buf.offset = top; // above everything live: always valid
    for (const Poly &at : offsets) {
      Poly end = at + buf.bytes;
      bool clear = std::all_of(live.begin(), live.end(), [&](const Buffer *o) {
        return end.below(o->offset) || (o->offset + o->bytes).below(at);
      });
      if (clear) {
        buf.offset = at;
        break;
      }
    }
    placed.push_back(i);
  }
}

/// For --remarks: the plan's figures as an `nn.workspace` attribute on the
/// function (sizes spelled with the arguments' names, e.g.
/// "3136*image.0 + 64" for 3136 bytes per row of `image` plus 64).
void Planner::recordPlan(size_t planned, const Poly &total,
                         const Poly &separate) {
  auto spell = [&](const Poly &p) {
    std::string out;
    for (auto &[monomial, coef] : p.terms) {
      out += (out.empty() ? "" : " + ") + std::to_string(coef);
      for (unsigned id : monomial) {
        auto [arg, dim] = symbols[id];
        auto name = f.getArgAttrOfType<StringAttr>(arg, nnc::attr::kName);
        out += "*" + (name ? name.str() : "arg" + std::to_string(arg)) + "." +
               std::to_string(dim);
      }
    }
    return out.empty() ? std::string("0") : out;
  };
  unsigned left = 0;
  f.walk([&](memref::AllocOp) { ++left; });
  left -= unsigned(planned);
  Builder b(f.getContext());
  f->setAttr(nnc::attr::kWorkspace,
             b.getDictionaryAttr(
                 {b.getNamedAttr("bytes", b.getStringAttr(spell(total))),
                  b.getNamedAttr("separate", b.getStringAttr(spell(separate))),
                  b.getNamedAttr("buffers", b.getI64IntegerAttr(planned)),
                  b.getNamedAttr("unplanned", b.getI64IntegerAttr(left))}));
}

/// The polynomial's value, computed from the arguments' dimensions.
Value Planner::materialize(OpBuilder &b, Location loc, const Poly &p) {
  Value sum;
  for (auto &[monomial, coef] : p.terms) {
    Value term = arith::ConstantIndexOp::create(b, loc, coef);
    for (unsigned id : monomial)
      term = arith::MulIOp::create(b, loc, term, symbolValues.at(symbols[id]));
    sum = sum ? arith::AddIOp::create(b, loc, sum, term) : term;
  }
  return sum ? sum : arith::ConstantIndexOp::create(b, loc, 0);
}

/// For an entry point, `__nnc_workspace_bytes_<name>`: its workspace's
/// size from the sizes of its arguments' dynamic dimensions, one index
/// argument each in argument order (a library's header reports it).
void Planner::emitSizeFunction(ModuleOp module, const Poly &total) {
  if (!entryPoint)
    return;
  OpBuilder b = OpBuilder::atBlockEnd(&module.getBodyRegion().front());
  Location loc = f.getLoc();
  SmallVector<std::pair<unsigned, int64_t>> dims;
  for (auto [k, type] : llvm::enumerate(f.getArgumentTypes()))
    if (auto shaped = dyn_cast<MemRefType>(type))
      for (int64_t d = 0; d < shaped.getRank(); ++d)
        if (shaped.isDynamicDim(d))
          dims.push_back({unsigned(k), d});
  SmallVector<Type> argTypes(dims.size(), b.getIndexType());
  auto fn = func::FuncOp::create(
      b, loc, ("__nnc_workspace_bytes_" + f.getSymName()).str(),
      b.getFunctionType(argTypes, {b.getIndexType()}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  for (auto [k, dim] : llvm::enumerate(dims))
    symbolValues[dim] = body->getArgument(unsigned(k));
  func::ReturnOp::create(b, loc, materialize(b, loc, total));
  symbolValues.clear();
}

void Planner::run(ModuleOp module) {
  std::vector<Buffer> buffers;
  for (Operation &op : *entry)
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      if (std::optional<Buffer> buf = candidate(alloc))
        buffers.push_back(std::move(*buf));
  if (buffers.empty()) {
    emitSizeFunction(module, Poly());
    return;
  }
  place(buffers);
  Poly total, separate;
  for (const Buffer &buf : buffers) {
    total = Poly::max(total, buf.offset + buf.bytes);
    separate = separate + buf.bytes;
  }
  recordPlan(buffers.size(), total, separate);
  emitSizeFunction(module, total);

  MLIRContext *ctx = f.getContext();
  Location loc = f.getLoc();
  OpBuilder b = OpBuilder::atBlockBegin(&module.getBodyRegion().front());
  // The workspace's key: the address of a one-byte global of this function.
  std::string keyName = ("__nnc_workspace_" + f.getSymName()).str();
  auto keyType = MemRefType::get({1}, b.getI8Type());
  memref::GlobalOp::create(b, loc, keyName, b.getStringAttr("private"), keyType,
                           b.getUnitAttr(), /*constant=*/false,
                           /*alignment=*/nullptr);
  auto wsType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  if (!module.lookupSymbol("nnc_workspace")) {
    auto decl = func::FuncOp::create(
        b, loc, "nnc_workspace",
        FunctionType::get(ctx, {b.getIndexType(), b.getIndexType()}, {wsType}));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  }

  b.setInsertionPointToStart(entry);
  for (auto &s : symbols)
    symbolValues[s] =
        memref::DimOp::create(b, loc, entry->getArgument(s.first), s.second);
  Value key = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, memref::GetGlobalOp::create(b, loc, keyType, keyName));
  Value workspace =
      func::CallOp::create(b, loc, "nnc_workspace", TypeRange{wsType},
                           ValueRange{key, materialize(b, loc, total)})
          .getResult(0);
  for (Buffer &buf : buffers) {
    b.setInsertionPoint(buf.alloc);
    Value offset = materialize(b, buf.alloc.getLoc(), buf.offset);
    Value view =
        memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(),
                               workspace, offset, buf.alloc.getDynamicSizes());
    buf.alloc.replaceAllUsesWith(view);
    buf.alloc.erase();
    if (buf.dealloc)
      buf.dealloc.erase();
  }
}

struct NNPlanBuffersPass : nnc::impl::NNPlanBuffersBase<NNPlanBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        functions.push_back(f);
    for (func::FuncOp f : functions)
      Planner(f, module).run(module);
  }
};
} // namespace
