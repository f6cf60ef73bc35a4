//===- MLIRGen.cpp - From sema's traced graph to the nn dialect -----------===//
//
// Sema already resolved names, shapes and attributes, so MLIRGen is a
// direct translation: one function per model whose arguments are the
// model's inputs followed by its parameters (tagged with their path,
// kind and initializer so the runtime can allocate and initialise them),
// and one nn op per graph node, located at the `.nn` source that made it.
// Symbolic dimensions become dynamic (`?`), everything else is static.
//
//===----------------------------------------------------------------------===//
#include "dialect/NNAttrNames.h"
#include "dialect/NNDialect.h"
#include "mlirgen/Generator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <map>

using namespace mlir;
using namespace nnc;
using namespace nnc::mlirgen;

namespace nnc::mlirgen {

Location Generator::loc(llvm::SMLoc l) {
  if (!l.isValid())
    return b.getUnknownLoc();
  unsigned buf = sm.FindBufferContainingLoc(l);
  if (!buf)
    return b.getUnknownLoc();
  auto lc = lines.get(l, buf);
  return FileLineColLoc::get(
      b.getStringAttr(sm.getMemoryBuffer(buf)->getBufferIdentifier()), lc.first,
      lc.second);
}

Type Generator::elementType(DType dt) {
  switch (dt) {
  case DType::F32:
    return f64 ? b.getF64Type() : b.getF32Type();
  case DType::F64:
    return b.getF64Type();
  case DType::I32:
    return b.getI32Type();
  case DType::I64:
    return b.getI64Type();
  case DType::Bool:
    return b.getI1Type();
  }
  return b.getF32Type();
}

RankedTensorType Generator::tensorType(const nnc::TensorType &t) {
  SmallVector<int64_t> shape;
  for (const Dim &d : t.dims)
    shape.push_back(d.isConst() ? d.value : ShapedType::kDynamic);
  return RankedTensorType::get(shape, elementType(t.dtype));
}

bool Generator::fail(const Node &n, const llvm::Twine &why) {
  if (!hadError)
    diags.error(n.loc, why);
  hadError = true;
  return false;
}

int64_t Generator::intAttr(const Node &n, llvm::StringRef key, int64_t dflt) {
  const Attr *a = n.attr(key);
  return a && a->kind == Attr::Int ? a->i : dflt;
}

Value Generator::symbolSize(const Node &n, const std::string &sym, Location l) {
  if (auto it = symbols.find(sym); it != symbols.end())
    return tensor::DimOp::create(b, l, it->second.first, it->second.second);
  // A polynomial of input dimensions in sema's canonical spelling
  // (`B*3`, `(B*T+2)`, `(-B+1)`): terms of factors, each an integer or a
  // dimension of an input.
  auto split = [](llvm::StringRef text, llvm::StringRef seps) {
    llvm::SmallVector<llvm::StringRef, 4> parts; // at parenthesis depth 0
    size_t depth = 0, from = 0;
    for (size_t k = 0; k < text.size(); ++k) {
      depth += text[k] == '(';
      depth -= text[k] == ')' && depth > 0;
      if (depth == 0 && k > from && seps.contains(text[k])) {
        parts.push_back(text.slice(from, k));
        from = k;
      }
    }
    parts.push_back(text.drop_front(from));
    return parts;
  };
  llvm::StringRef whole(sym);
  auto wrapped = [](llvm::StringRef text) { // "(...)" around all of it
    if (!text.starts_with("(") || !text.ends_with(")"))
      return false;
    size_t depth = 0;
    for (size_t k = 0; k + 1 < text.size(); ++k) {
      depth += text[k] == '(';
      depth -= text[k] == ')';
      if (depth == 0)
        return false; // the first group closes before the end
    }
    return true;
  };
  if (wrapped(whole))
    whole = whole.drop_front().drop_back();
  Value total;
  for (llvm::StringRef term : split(whole, "+-")) {
    bool minus = term.consume_front("-");
    if (!minus)
      term.consume_front("+");
    Value value;
    for (llvm::StringRef f : split(term, "*")) {
      f.consume_front("*");
      int64_t c;
      Value v;
      if (!f.getAsInteger(10, c)) {
        v = arith::ConstantIndexOp::create(b, l, c);
      } else if (auto it = symbols.find(f.str()); it != symbols.end()) {
        v = tensor::DimOp::create(b, l, it->second.first, it->second.second);
      } else {
        fail(n, "the size of dimension " + sym + " is not known at run time (" +
                    (f.empty() ? sym : f.str()) +
                    " is not a dimension of any model input)");
        return Value();
      }
      value = value ? arith::MulIOp::create(b, l, value, v).getResult() : v;
    }
    if (!total)
      total = minus ? arith::SubIOp::create(
                          b, l, arith::ConstantIndexOp::create(b, l, 0), value)
                          .getResult()
                    : value;
    else
      total = minus ? arith::SubIOp::create(b, l, total, value).getResult()
                    : arith::AddIOp::create(b, l, total, value).getResult();
  }
  return total;
}

std::array<int64_t, 2> Generator::pairAttr(const Node &n, llvm::StringRef key,
                                           std::array<int64_t, 2> dflt) {
  const Attr *a = n.attr(key);
  if (a && a->kind == Attr::Int)
    return {a->i, a->i};
  if (a && a->kind == Attr::IntList && a->list.size() == 2)
    return {a->list[0], a->list[1]};
  return dflt;
}

SmallVector<int64_t> Generator::padding(const Node &n, int64_t inH, int64_t inW,
                                        int64_t kh, int64_t kw,
                                        std::array<int64_t, 2> stride,
                                        std::array<int64_t, 2> dil) {
  const Attr *p = n.attr("padding");
  if (p && p->kind == Attr::Int)
    return {p->i, p->i, p->i, p->i};
  if (p && p->kind == Attr::IntList && p->list.size() == 2)
    return {p->list[0], p->list[0], p->list[1], p->list[1]};
  if (p && p->kind == Attr::IntList && p->list.size() == 4)
    return {p->list[0], p->list[1], p->list[2], p->list[3]};
  if (p && p->kind == Attr::String && p->s == "same") {
    // TensorFlow's convention: the odd pixel goes at the bottom/right.
    auto total = [&](int64_t in, int64_t k, int64_t s, int64_t d) -> int64_t {
      int64_t eff = d * (k - 1) + 1;
      if (ShapedType::isDynamic(in))
        return eff - 1; // stride 1 (sema allows only that)
      int64_t out = (in + s - 1) / s;
      return std::max<int64_t>((out - 1) * s + eff - in, 0);
    };
    int64_t th = total(inH, kh, stride[0], dil[0]),
            tw = total(inW, kw, stride[1], dil[1]);
    return {th / 2, th - th / 2, tw / 2, tw - tw / 2};
  }
  return {0, 0, 0, 0};
}


Value Generator::coerce(Value v, Type et, Location l) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getElementType() == et)
    return v;
  return nn::CastOp::create(b, l, RankedTensorType::get(t.getShape(), et), v);
}

Value Generator::emitFor(const Node &n, ArrayRef<Value> in, Location l) {
  Value lb = arith::ConstantIndexOp::create(b, l, intAttr(n, "lo", 0));
  Value ub = arith::ConstantIndexOp::create(b, l, intAttr(n, "hi", 0));
  Value step = arith::ConstantIndexOp::create(b, l, 1);
  auto saved = values; // values made inside the body stay inside
  Value outerStream = stream;
  auto forOp = scf::ForOp::create(
      b, l, lb, ub, step, in,
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iterArgs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value i64 = arith::IndexCastOp::create(b, nl, b.getI64Type(), iv);
        stream = loopStream(iv, nl);
        values[n.bodyArgs[0].get()] = tensor::FromElementsOp::create(
            b, nl, RankedTensorType::get({}, b.getI64Type()), ValueRange{i64});
        for (size_t k = 0; k < iterArgs.size(); ++k)
          values[n.bodyArgs[k + 1].get()] = iterArgs[k];
        SmallVector<Value> results;
        for (auto &r : n.bodyResults) {
          Value v = emit(*r);
          if (!v)
            return; // reported; the IR is discarded
          results.push_back(v);
        }
        scf::YieldOp::create(b, nl, results);
      });
  values = std::move(saved);
  stream = outerStream;
  loopResults[&n] = SmallVector<Value>(forOp.getResults());
  return forOp.getNumResults() ? forOp.getResult(0) : Value();
}

Value Generator::loopStream(Value iv, Location l) {
  // splitmix64's finaliser of outer ^ (iteration + 1) * golden ratio: the
  // runtime's nnc_loop_stream, word for word.
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantIntOp::create(b, l, i64, int64_t(v)).getResult();
  };
  Value outer = stream ? tensor::ExtractOp::create(b, l, stream, ValueRange{})
                             .getResult()
                       : c(0);
  Value k = arith::IndexCastOp::create(b, l, i64, iv);
  Value h = arith::XOrIOp::create(
      b, l, outer,
      arith::MulIOp::create(b, l, arith::AddIOp::create(b, l, k, c(1)),
                            c(0x9E3779B97F4A7C15ull)));
  auto mix = [&](Value x, uint64_t shift, uint64_t mul) -> Value {
    Value y = arith::XOrIOp::create(b, l, x,
                                    arith::ShRUIOp::create(b, l, x, c(shift)));
    return mul ? Value(arith::MulIOp::create(b, l, y, c(mul))) : y;
  };
  h = mix(mix(mix(h, 30, 0xBF58476D1CE4E5B9ull), 27, 0x94D049BB133111EBull), 31,
          0);
  return tensor::FromElementsOp::create(b, l, streamType(), ValueRange{h});
}

Value Generator::emitScan(const Node &n, ArrayRef<Value> in, Location l) {
  // scf.for over the steps, carrying the carries and one accumulator per
  // yielded value; each step extracts its slice along the axis and inserts
  // its outputs there.
  Value seq = in[0];
  auto seqT = cast<RankedTensorType>(seq.getType());
  int64_t axis = intAttr(n, "axis", 1);
  size_t nc = n.bodyArgs.size() - 1, ny = n.bodyResults.size() - nc;
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value one = arith::ConstantIndexOp::create(b, l, 1);
  Value len =
      seqT.isDynamicDim(axis)
          ? Value(tensor::DimOp::create(b, l, seq, axis))
          : Value(arith::ConstantIndexOp::create(b, l, seqT.getDimSize(axis)));
  SmallVector<Value> iters(in.begin() + 1, in.end());
  SmallVector<RankedTensorType> stackedTypes;
  for (size_t k = 0; k < ny; ++k) {
    const NodePtr &y = n.bodyResults[nc + k];
    nnc::TensorType st = y->type;
    st.dims.insert(st.dims.begin() + std::min<int64_t>(axis, st.rank()),
                   seqT.isDynamicDim(axis)
                       ? Dim::symbol("?")
                       : Dim::constant(seqT.getDimSize(axis)));
    RankedTensorType t = tensorType(st);
    stackedTypes.push_back(t);
    // Dynamic sizes: the step count along the axis; the others are
    // symbolic dimensions (the batch) read from the inputs that have them.
    SmallVector<Value> sizes;
    int64_t at = std::min<int64_t>(axis, y->type.rank());
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (!t.isDynamicDim(d))
        continue;
      if (d == at) {
        sizes.push_back(len);
        continue;
      }
      Value size = symbolSize(*y, y->type.dims[d < at ? d : d - 1].sym, l);
      if (!size)
        return Value();
      sizes.push_back(size);
    }
    iters.push_back(
        tensor::EmptyOp::create(b, l, t.getShape(), t.getElementType(), sizes));
  }
  auto saved = values;
  Value outerStream = stream;
  auto forOp = scf::ForOp::create(
      b, l, zero, len, one, iters,
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        stream = loopStream(iv, nl);
        // The slice at step iv along the axis (rank-reducing).
        SmallVector<OpFoldResult> offs, sizes, strides;
        for (int64_t d = 0; d < seqT.getRank(); ++d) {
          offs.push_back(d == axis ? OpFoldResult(iv) : b.getIndexAttr(0));
          sizes.push_back(
              d == axis ? b.getIndexAttr(1)
              : seqT.isDynamicDim(d)
                  ? OpFoldResult(
                        tensor::DimOp::create(b, nl, seq, d).getResult())
                  : b.getIndexAttr(seqT.getDimSize(d)));
          strides.push_back(b.getIndexAttr(1));
        }
        values[n.bodyArgs[0].get()] = tensor::ExtractSliceOp::create(
            b, nl, tensorType(n.bodyArgs[0]->type), seq, offs, sizes, strides);
        for (size_t k = 0; k < nc; ++k)
          values[n.bodyArgs[k + 1].get()] = args[k];
        SmallVector<Value> results;
        for (size_t k = 0; k < nc + ny; ++k) {
          Value v = emit(*n.bodyResults[k]);
          if (!v)
            return;
          if (k < nc) {
            results.push_back(v);
            continue;
          }
          auto yt = cast<RankedTensorType>(v.getType());
          Value acc = args[k];
          SmallVector<OpFoldResult> o, sz, st;
          int64_t at = std::min<int64_t>(axis, yt.getRank());
          for (int64_t d = 0, j = 0; d < yt.getRank() + 1; ++d) {
            if (d == at) {
              o.push_back(iv);
              sz.push_back(b.getIndexAttr(1));
            } else {
              o.push_back(b.getIndexAttr(0));
              sz.push_back(
                  yt.isDynamicDim(j)
                      ? OpFoldResult(
                            tensor::DimOp::create(b, nl, v, j).getResult())
                      : b.getIndexAttr(yt.getDimSize(j)));
              ++j;
            }
            st.push_back(b.getIndexAttr(1));
          }
          results.push_back(
              tensor::InsertSliceOp::create(b, nl, v, acc, o, sz, st));
        }
        scf::YieldOp::create(b, nl, results);
      });
  values = std::move(saved);
  stream = outerStream;
  loopResults[&n] = SmallVector<Value>(forOp.getResults());
  return forOp.getNumResults() ? forOp.getResult(0) : Value();
}

Value Generator::emitGrad(const Node &n, Location l) {
  const Node *f = n.inputs[0].get(), *w = n.inputs[1].get();
  // The nodes that depend on w (up to f) form the function's body; what
  // they read besides is passed in.
  std::map<const Node *, bool> dependsOnW;
  std::function<bool(const Node *)> depends = [&](const Node *x) -> bool {
    if (x == w)
      return true;
    auto it = dependsOnW.find(x);
    if (it != dependsOnW.end())
      return it->second;
    dependsOnW[x] = false;
    bool d = false;
    for (auto &i : x->inputs)
      d |= depends(i.get());
    return dependsOnW[x] = d;
  };
  if (!depends(f)) { // f does not read w: a zero gradient
    SmallVector<Value> sizes;
    RankedTensorType wt = tensorType(w->type);
    if (!dynamicSizes(n, wt, values[w], l, sizes))
      return Value();
    return nn::FillOp::create(b, l, wt, sizes, b.getF64FloatAttr(0.0));
  }
  std::vector<const Node *> free;
  for (auto &[x, d] : dependsOnW)
    if (d && x != w)
      for (auto &i : x->inputs)
        if (!depends(i.get()) && !llvm::is_contained(free, i.get()))
          free.push_back(i.get());
  llvm::sort(free, [](const Node *a, const Node *c) { return a->id < c->id; });
  SmallVector<Type> argTypes{tensorType(w->type)};
  SmallVector<Value> callArgs{values[w]};
  for (const Node *x : free) {
    argTypes.push_back(tensorType(x->type));
    callArgs.push_back(values[x]);
  }
  // (The insertion block may be a loop body still under construction.)
  func::FuncOp outer = current;
  auto module = outer->getParentOfType<ModuleOp>();
  std::string name =
      (outer.getSymName() + "_grad" + std::to_string(n.id)).str();
  OpBuilder mb(module.getBodyRegion());
  mb.setInsertionPoint(outer);
  auto fn = func::FuncOp::create(
      mb, l, name, mb.getFunctionType(argTypes, {tensorType(f->type)}));
  fn.setPrivate();
  fn->setAttr(nnc::attr::kWrt, mb.getDenseI64ArrayAttr({0}));
  fn.addEntryBlock();
  Generator inner(ctx, sm, diags);
  inner.current = fn;
  inner.training = training;
  inner.f64 = f64;
  inner.values[w] = fn.getArgument(0);
  for (auto [k, x] : llvm::enumerate(free))
    inner.values[x] = fn.getArgument(k + 1);
  // Symbolic sizes are read from the arguments that carry them.
  std::vector<const Node *> carriers{w};
  carriers.insert(carriers.end(), free.begin(), free.end());
  for (auto [k, x] : llvm::enumerate(carriers))
    for (auto [d, dim] : llvm::enumerate(x->type.dims))
      if (!dim.isConst())
        inner.symbols.emplace(dim.sym,
                              std::make_pair(fn.getArgument(k), int64_t(d)));
  inner.b.setInsertionPointToStart(&fn.front());
  Value fv = inner.emit(*f);
  if (!fv) {
    hadError = true;
    return Value();
  }
  func::ReturnOp::create(inner.b, l, fv);
  auto call = func::CallOp::create(
      b, l, fn.getSymName(),
      TypeRange{tensorType(f->type), tensorType(w->type)}, callArgs);
  return call.getResult(1);
}

Value Generator::emit(const Node &root) {
  // Iterative post-order: graphs of real models are deep chains.
  std::vector<std::pair<const Node *, bool>> stack{{&root, false}};
  while (!stack.empty() && !hadError) {
    auto [n, expanded] = stack.back();
    stack.pop_back();
    if (values.count(n))
      continue;
    if (!expanded) {
      stack.push_back({n, true});
      for (auto &in : n->inputs)
        if (!values.count(in.get()))
          stack.push_back({in.get(), false});
      continue;
    }
    if (n->op == OpKind::Input || n->op == OpKind::Param ||
        n->op == OpKind::State) {
      fail(*n, "internal: argument '" + n->name + "' was not declared");
      break;
    }
    if (n->op == OpKind::Const) {
      RankedTensorType t = tensorType(n->type);
      Attribute v =
          isFloat(n->type.dtype)
              ? Attribute(b.getFloatAttr(t.getElementType(), n->value))
              : Attribute(
                    b.getIntegerAttr(t.getElementType(), int64_t(n->value)));
      values[n] = nn::ConstantOp::create(b, loc(n->loc), t,
                                         DenseElementsAttr::get(t, v));
      continue;
    }
    SmallVector<Value> in;
    for (auto &i : n->inputs)
      in.push_back(values[i.get()]);
    Value v = emitOp(*n, in);
    if (!v)
      break;
    values[n] = v;
  }
  return hadError ? Value() : values[&root];
}

Type Generator::streamType() {
  return RankedTensorType::get({}, b.getI64Type());
}

/// Names argument `k` the train step's stream number.
Value Generator::tagStream(func::FuncOp func, unsigned k) {
  func.setArgAttrs(k,
                   b.getDictionaryAttr(
                       {b.getNamedAttr(nnc::attr::kName, b.getStringAttr("stream")),
                        b.getNamedAttr(nnc::attr::kKind, b.getStringAttr("stream"))}));
  return func.getArgument(k);
}

/// Gives argument `k` of `func` its .nn name, kind and initializer.
void Generator::tagArgument(func::FuncOp func, unsigned k, const Node &n,
                            llvm::StringRef kind) {
  Value arg = func.getArgument(k);
  values[&n] = arg;
  for (auto [d, dim] : llvm::enumerate(n.type.dims))
    if (!dim.isConst() && (n.op == OpKind::Input || n.op == OpKind::Data))
      symbols.emplace(dim.sym, std::make_pair(arg, int64_t(d)));
  arg.setLoc(loc(n.loc));
  SmallVector<NamedAttribute> attrs{
      b.getNamedAttr(nnc::attr::kName, b.getStringAttr(n.name)),
      b.getNamedAttr(nnc::attr::kKind, b.getStringAttr(kind))};
  for (auto &a : n.attrs) {
    if (a.second.kind == Attr::String)
      attrs.push_back(
          b.getNamedAttr("nn." + a.first, b.getStringAttr(a.second.s)));
    else if (a.second.kind == Attr::Float)
      attrs.push_back(
          b.getNamedAttr("nn." + a.first, b.getF64FloatAttr(a.second.f)));
  }
  func.setArgAttrs(k, b.getDictionaryAttr(attrs));
}

func::FuncOp Generator::emitFunction(ModuleOp module, const ModelGraph &g,
                                     llvm::StringRef fname,
                                     const GenOptions &opts) {
  training = opts.training;
  f64 = opts.f64;
  runSeed = opts.seed;
  if (!g.unsupported.empty()) {
    diags.error(g.unsupportedLoc, g.unsupported);
    return nullptr;
  }
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> argTypes, resultTypes;
  std::vector<const Node *> args;
  for (auto &n : g.inputs)
    args.push_back(n.get());
  for (auto &n : g.params)
    args.push_back(n.get());
  for (const Node *n : args)
    argTypes.push_back(tensorType(n->type));
  if (opts.stream)
    argTypes.push_back(streamType());
  for (auto &o : g.outputs)
    resultTypes.push_back(tensorType(o.second->type));
  Location funcLoc =
      g.outputs.empty() ? b.getUnknownLoc() : loc(g.outputs[0].second->loc);
  auto func = func::FuncOp::create(b, funcLoc, fname,
                                   b.getFunctionType(argTypes, resultTypes));
  func.addEntryBlock();
  current = func;
  for (auto [k, n] : llvm::enumerate(args))
    tagArgument(func, k, *n, opKindName(n->op));
  if (opts.stream)
    stream = tagStream(func, args.size());
  for (auto [k, o] : llvm::enumerate(g.outputs)) {
    func.setResultAttr(k, nnc::attr::kName, b.getStringAttr(o.first));
    auto special = g.outputKinds.find(k);
    if (special == g.outputKinds.end())
      continue;
    func.setResultAttr(k, nnc::attr::kKind,
                       b.getStringAttr(special->second.first));
    if (!special->second.second.empty())
      func.setResultAttr(k, nnc::attr::kSource,
                         b.getStringAttr(special->second.second));
  }
  b.setInsertionPointToStart(&func.front());
  SmallVector<Value> results;
  for (auto &o : g.outputs) {
    Value v = emit(*o.second);
    if (!v)
      return nullptr;
    results.push_back(v);
  }
  if (opts.updateState) {
    SmallVector<std::string> names;
    updateRunningStats(results, names, funcLoc);
    SmallVector<Type> types(resultTypes);
    for (size_t k = resultTypes.size(); k < results.size(); ++k)
      types.push_back(results[k].getType());
    func.setFunctionType(b.getFunctionType(argTypes, types));
    SmallVector<DictionaryAttr> attrs;
    for (auto &o : g.outputs)
      attrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr(nnc::attr::kName, b.getStringAttr(o.first))}));
    for (const std::string &name : names)
      attrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr(nnc::attr::kName, b.getStringAttr(name)),
           b.getNamedAttr(nnc::attr::kKind, b.getStringAttr("update"))}));
    func.setAllResultAttrs(attrs);
  }
  func::ReturnOp::create(b, funcLoc, results);
  if (opts.wrtParams) {
    SmallVector<int64_t> wrt;
    for (size_t k = 0; k < args.size(); ++k)
      if (k >= g.inputs.size()
              ? args[k]->op == OpKind::Param && // not "state"
                    (opts.wrtOnly.empty() ||
                     llvm::is_contained(opts.wrtOnly, args[k]->name))
              : opts.wrtInputs && isFloat(args[k]->type.dtype))
        wrt.push_back(int64_t(k));
    func->setAttr(nnc::attr::kWrt, b.getDenseI64ArrayAttr(wrt));
  }
  return func;
}

OwningOpRef<ModuleOp> Generator::finish(OwningOpRef<ModuleOp> module,
                                        llvm::StringRef name) {
  // Calls of `grad(...)` functions expect the gradient the reverse-mode
  // pass appends; the pass manager verifies the module after that pass.
  bool marked = false;
  module->walk([&](func::FuncOp f) { marked |= f->hasAttr(nnc::attr::kWrt); });
  if (!marked && failed(verify(*module))) {
    diags.error("internal error: MLIRGen produced invalid IR for model '" +
                name + "'");
    return nullptr;
  }
  return module;
}

void loadDialects(MLIRContext &ctx) {
  ctx.loadDialect<nn::NNDialect, func::FuncDialect, tensor::TensorDialect,
                  scf::SCFDialect, arith::ArithDialect>();
}

} // namespace nnc::mlirgen

OwningOpRef<ModuleOp> nnc::mlirGen(MLIRContext &ctx, const ModelGraph &graph,
                                   llvm::StringRef modelName,
                                   const llvm::SourceMgr &srcMgr,
                                   nnc::DiagnosticEngine &diags,
                                   const GenOptions &opts) {
  loadDialects(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  Generator gen(ctx, srcMgr, diags);
  if (!gen.emitFunction(*module, graph, (modelName + "_forward").str(), opts))
    return nullptr;
  return gen.finish(std::move(module), modelName);
}
