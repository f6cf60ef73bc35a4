//===- OnnxExport.cpp - `nnc export`: a trained model as ONNX -------------===//
//
// The model's forward function in the nn dialect (as MLIRGen builds it for
// inference) maps almost op for op onto ONNX; the checkpoint's tensors
// become initializers. nnc's images are NHWC with HWIO filters, ONNX's are
// NCHW with OIHW: each value keeps the layouts it has been made in, so a
// chain of convolutions, pooling, batch norm and element-wise ops stays in
// NCHW and a transpose appears only where the layout matters (the input,
// a flatten); filters and per-channel vectors are rearranged once, in the
// initializers. The result is checked by ONNX's own checker and strict
// shape inference (libonnx) before it is written, atomically.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxExport.h"
#include "codegen/Remarks.h"
#include "driver/Compile.h"
#include "driver/ModelWeights.h"
#include "onnx/OnnxExporter.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>

using namespace nnc;
using namespace nnc::onnx_export;
using namespace mlir;

#ifndef NNC_VERSION
#define NNC_VERSION "0.0.0"
#endif

int nnc::onnx_export::onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  if (t.isInteger(32))
    return onnx::TensorProto::INT32;
  if (t.isInteger(64))
    return onnx::TensorProto::INT64;
  return onnx::TensorProto::UNDEFINED;
}

int nnc::onnx_export::onnxType(const nnc_tensor &t) {
  switch (t.dtype) {
  case NNC_F32:
    return onnx::TensorProto::FLOAT;
  case NNC_F64:
    return onnx::TensorProto::DOUBLE;
  case NNC_I32:
    return onnx::TensorProto::INT32;
  case NNC_I64:
    return onnx::TensorProto::INT64;
  case NNC_U8:
    return onnx::TensorProto::UINT8;
  case NNC_BOOL:
    return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

bool Exporter::fail(Operation *op, const llvm::Twine &why) {
  if (!failed) {
    FileLineColLoc at = firstPosition(op->getLoc());
    llvm::SMLoc loc;
    for (unsigned b = 1; at && b <= sm.getNumBuffers() && !loc.isValid(); ++b)
      if (sm.getMemoryBuffer(b)->getBufferIdentifier() ==
          at.getFilename().getValue())
        // (Only the SourceMgr's lazily built line table changes.)
        loc = const_cast<llvm::SourceMgr &>(sm).FindLocForLineAndColumn(
            b, at.getLine(), at.getColumn());
    if (loc.isValid())
      diags.error(loc, why);
    else
      diags.error(why);
  }
  failed = true;
  return false;
}

/// A parameter in `form`: "" as stored, "oihw" (a conv2d filter), "iohw"
/// (a conv_transpose2d filter) or "c11" (a per-channel vector broadcast
/// over NCHW images); made once, named after the parameter.
std::string Exporter::paramForm(Value v, llvm::StringRef form) {
  const std::string &pname = params.lookup(v);
  std::string key = pname + "|" + form.str();
  if (auto it = derived.find(key); it != derived.end())
    return it->second;
  const nnc_tensor &t =
      weights.tensors[nnc_named_find(&weights, (prefix + pname).c_str())];
  size_t elem = nnc_dtype_size(t.dtype);
  size_t bytes = size_t(nnc_tensor_numel(&t)) * elem;
  std::vector<int64_t> dims(t.dims, t.dims + t.rank);
  std::vector<char> data(static_cast<const char *>(t.data),
                         static_cast<const char *>(t.data) + bytes);
  if (form == "oihw" || form == "iohw") {
    // [KH, KW, C, F] -> [F, C, KH, KW] (oihw) or [C, F, KH, KW] (iohw).
    int64_t kh = dims[0], kw = dims[1], c = dims[2], f = dims[3];
    bool oihw = form == "oihw";
    const char *src = static_cast<const char *>(t.data);
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < c; ++i)
          for (int64_t o = 0; o < f; ++o) {
            int64_t from = ((y * kw + x) * c + i) * f + o;
            int64_t to = oihw ? ((o * c + i) * kh + y) * kw + x
                              : ((i * f + o) * kh + y) * kw + x;
            std::memcpy(&data[to * elem], src + from * elem, elem);
          }
    dims = oihw ? std::vector<int64_t>{f, c, kh, kw}
                : std::vector<int64_t>{c, f, kh, kw};
  } else if (form == "c11") {
    dims = {dims.empty() ? 1 : dims[0], 1, 1};
  }
  std::string name = unique(pname);
  onnx::TensorProto &init = *g.add_initializer();
  init.set_name(name);
  init.set_data_type(onnxType(t));
  for (int64_t d : dims)
    init.add_dims(d);
  init.set_raw_data(data.data(), data.size());
  derived[key] = name;
  return name;
}

/// `v` in layout `l`, transposing (once) what was made in the other.
std::string Exporter::get(Value v, Layout l) {
  if (params.count(v) && names[v].nhwc.empty()) {
    std::string stored = paramForm(v, "");
    names[v].nhwc = stored;
  }
  Names &n = names[v];
  std::string &want = l == Layout::NHWC ? n.nhwc : n.nchw;
  if (!want.empty())
    return want;
  const std::string &have = l == Layout::NHWC ? n.nchw : n.nhwc;
  if (have.empty()) { // made by an op that wrote nothing (reported there)
    Operation *at = v.getDefiningOp() ? v.getDefiningOp()
                                      : v.getParentBlock()->getParentOp();
    fail(at, "nnc export cannot write this value");
    return "";
  }
  std::string out = fresh(l == Layout::NHWC ? "nhwc" : "nchw");
  attr(node("Transpose", {have}, out), "perm",
       l == Layout::NHWC ? llvm::ArrayRef(kToNHWC) : llvm::ArrayRef(kToNCHW));
  // `names[v]` may have moved: look it up again.
  (l == Layout::NHWC ? names[v].nhwc : names[v].nchw) = out;
  return out;
}

bool Exporter::emit(Operation *op) {
  if (isa<func::ReturnOp>(op))
    return true;
  // Integer scalars (sizes, counters) become nodes where they are used
  // (intScalar); a tensor made empty to be filled by a loop, in the loop.
  if (op->getNumResults() > 0 &&
      llvm::all_of(op->getResultTypes(),
                   [](Type t) { return t.isIntOrIndex(); }))
    return true;
  if (isa<tensor::EmptyOp>(op))
    return true;
  if (isa<scf::ForOp>(op))
    return emitFor(op);
  if (isa<tensor::FromElementsOp>(op))
    return emitFromElements(op);
  if (isa<tensor::GenerateOp>(op))
    return emitGenerate(op);
  if (isa<nn::RandomOp, nn::BernoulliOp>(op))
    return emitRandom(op);
  if (op->getNumResults() != 1)
    return fail(op, "nnc export cannot write '" +
                        op->getName().getStringRef().str() + "'");
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](nn::Conv2DOp c) { return emitConv(c); })
      .Case([&](nn::ConvTranspose2DOp c) { return emitConvTranspose(c); })
      .Case([&](nn::Pool2DOp p) { return emitPool(p); })
      .Case([&](nn::ReduceOp p) { return emitReduce(p); })
      .Case([&](nn::SliceOp p) { return emitSlice(p); })
      .Case([&](nn::ConstantOp c) { return emitConstant(c); })
      .Case([&](nn::FillOp fl) { return emitFill(fl); })
      .Case<nn::BatchNormOp, nn::LayerNormOp>(
          [&](Operation *o) { return emitNorm(o); })
      .Default([&](Operation *o) {
        if (o->getDialect() && o->getDialect()->getNamespace() == "nn")
          return emitShapeOp(o);
        return fail(o, "nnc export cannot write '" +
                           o->getName().getStringRef().str() + "'");
      });
}

namespace {
void valueInfo(onnx::ValueInfoProto &vi, const std::string &name, Type type,
               const nnc::TensorType &declared) {
  vi.set_name(name);
  auto rt = cast<RankedTensorType>(type);
  auto *tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnxType(rt.getElementType()));
  auto *shape = tt->mutable_shape();
  for (int64_t d = 0; d < rt.getRank(); ++d) {
    auto *dim = shape->add_dim();
    if (!rt.isDynamicDim(d))
      dim->set_dim_value(rt.getDimSize(d));
    else if (size_t(d) < declared.dims.size() && !declared.dims[d].sym.empty())
      dim->set_dim_param(declared.dims[d].sym);
    else
      dim->set_dim_param("d" + std::to_string(d));
  }
}

/// Checks with ONNX's checker and strict shape inference, then writes
/// `path` through a temporary file; false (reported) on failure.
bool checkAndWrite(onnx::ModelProto &model, const std::string &path,
                   nnc::DiagnosticEngine &diags) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(
        inferred, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  } catch (const std::exception &e) {
    diags.error(std::string("internal error: the ONNX model nnc made does "
                            "not pass ONNX's checks: ") +
                e.what());
    return false;
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    diags.error("internal error: the ONNX model cannot be serialised (over "
                "2 GB?)");
    return false;
  }
  llvm::SmallString<256> tmp(path);
  tmp += ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      diags.error("cannot write '" + path + "': " + ec.message());
      return false;
    }
    os << bytes;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      diags.error("cannot write '" + path + "': " + os.error().message());
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    diags.error("cannot write '" + path + "': " + ec.message());
    return false;
  }
  return true;
}

} // namespace

bool Exporter::run(func::FuncOp f, const ModelSignature &sig) {
  Block &body = f.getBody().front();
  for (unsigned i = 0; i < body.getNumArguments(); ++i) {
    const ArgSignature &a = sig.args[i];
    Value arg = body.getArgument(i);
    if (a.kind == NNC_ARG_PARAM || a.kind == NNC_ARG_STATE) {
      params[arg] = a.name;
      continue;
    }
    std::string name = unique(a.name);
    valueInfo(*g.add_input(), name, arg.getType(), a.type);
    set(arg, name);
  }
  for (Operation &op : body)
    if (!emit(&op))
      return false;
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    const ArgSignature &res = sig.results[i];
    std::string name = unique(res.name);
    node("Identity", {get(ret.getOperand(i))}, name);
    valueInfo(*g.add_output(), name, ret.getOperand(i).getType(), res.type);
  }
  return !failed;
}

int nnc::exportOnnx(const Entry &entry, const OnnxExportOptions &opts,
                    const llvm::SourceMgr &srcMgr,
                    nnc::DiagnosticEngine &diags) {
  if (opts.opset < kOnnxMinOpset || opts.opset > kOnnxMaxOpset) {
    diags.error("nnc export writes ONNX opsets " +
                std::to_string(kOnnxMinOpset) + " to " +
                std::to_string(kOnnxMaxOpset) + ", not " +
                std::to_string(opts.opset));
    return 1;
  }
  GeneratedModule gen(entry, srcMgr, diags);
  if (!gen.module)
    return 1;
  func::FuncOp f =
      gen.module->lookupSymbol<func::FuncOp>(entry.name + "_forward");
  if (!f) {
    diags.error("internal error: no forward function for '" + entry.name + "'");
    return 1;
  }
  ModelSignature sig = signatureOfFunction(f, *entry.graph);
  sig.model = entry.name;
  // The outputs' symbolic sizes by the names sema gave them (B, not ?).
  ModelSignature declared = signatureOf(*entry.graph, entry.name);
  for (size_t i = 0;
       i < sig.results.size() && sig.results.size() == declared.results.size();
       ++i)
    sig.results[i].type = declared.results[i].type;
  nnc_named_tensors weights;
  std::string prefix = opts.instance.empty() ? "" : opts.instance + ".";
  if (!loadModelWeights(opts.checkpoint, sig, weights, diags, &prefix))
    return 1;
  // Dead code (the counters MLIRGen makes for noise nobody draws) goes.
  IRRewriter rewriter(f.getContext());
  (void)runRegionDCE(rewriter, f.getBody());
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("nnc");
  model.set_producer_version(NNC_VERSION);
  model.set_doc_string("model " + entry.name + ", weights from " +
                       llvm::sys::path::filename(opts.checkpoint).str());
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(opts.opset);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(entry.name);
  bool ok =
      Exporter(graph, weights, prefix, opts.opset, srcMgr, diags).run(f, sig);
  nnc_named_free(&weights);
  if (!ok || !checkAndWrite(model, opts.output, diags))
    return 1;
  return 0;
}
