//===- Runner.cpp - Running compiled models in the JIT --------------------===//
//
// The same pipeline as `nnc build`, ending in mlir::ExecutionEngine. The
// forward function is called through its C interface
// (`_mlir_ciface_<Model>_forward`) with one strided-memref descriptor per
// argument; tensors come from and go to the runtime's safetensors files.
// Shapes are checked against the model before anything runs, and every
// symbolic dimension (the batch `B`) must take one value across inputs.
//
//===----------------------------------------------------------------------===//
#include "driver/Runner.h"
#include "driver/Compile.h"
#include "mlirgen/MLIRGen.h"
#include "nnc/runtime.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#include <cstring>
#include <map>

using namespace nnc;

extern "C" void memrefCopy(int64_t, void *, void *);

namespace {
/// A strided memref descriptor of any rank, laid out as MLIR's C interface
/// expects: {T *base, T *data, i64 offset, i64 sizes[r], i64 strides[r]}.
struct Descriptor {
  std::vector<int64_t> words;
  explicit Descriptor(unsigned rank) : words(3 + 2 * rank, 0) {}
  void set(void *data, const int64_t *dims, unsigned rank) {
    std::memcpy(&words[0], &data, sizeof data);
    std::memcpy(&words[1], &data, sizeof data);
    words[2] = 0;
    int64_t stride = 1;
    for (int k = int(rank) - 1; k >= 0; --k) {
      words[3 + k] = dims[k];
      words[3 + rank + k] = stride;
      stride *= dims[k];
    }
  }
  void *base() const {
    void *p;
    std::memcpy(&p, &words[0], sizeof p);
    return p;
  }
  void *data() const {
    void *p;
    std::memcpy(&p, &words[1], sizeof p);
    return p;
  }
};

nnc_dtype runtimeType(DType t) {
  switch (t) {
  case DType::F32: return NNC_F32;
  case DType::F64: return NNC_F64;
  case DType::I32: return NNC_I32;
  case DType::I64: return NNC_I64;
  case DType::Bool: return NNC_BOOL;
  }
  return NNC_F32;
}

std::string shapeOf(const nnc_tensor &t) {
  std::string s = "[";
  for (int k = 0; k < t.rank; ++k)
    s += (k ? ", " : "") + std::to_string(t.dims[k]);
  return s + "]";
}

/// Checks `t` against the declared type, binding symbolic dims.
bool bindTensor(const std::string &name, const nnc_tensor &t, const TensorType &want,
          std::map<std::string, int64_t> &syms, const std::string &file,
          DiagnosticEngine &diags) {
  const char *dt[] = {"f32", "f64", "i32", "i64", "u8", "bool"};
  if (t.dtype != runtimeType(want.dtype) || t.rank != int(want.rank())) {
    diags.error("'" + file + "': tensor '" + name + "' is " + dt[t.dtype] +
                shapeOf(t) + " but the model expects " + want.str());
    return false;
  }
  for (unsigned k = 0; k < want.rank(); ++k) {
    const Dim &d = want.dims[k];
    if (d.isConst() && d.value != t.dims[k]) {
      diags.error("'" + file + "': tensor '" + name + "' is " + dt[t.dtype] +
                  shapeOf(t) + " but the model expects " + want.str());
      return false;
    }
    if (!d.isConst()) {
      auto [it, fresh] = syms.emplace(d.sym, t.dims[k]);
      if (!fresh && it->second != t.dims[k]) {
        diags.error("'" + file + "': dimension " + d.sym + " is " +
                    std::to_string(it->second) + " in one tensor but " +
                    std::to_string(t.dims[k]) + " in '" + name + "'");
        return false;
      }
    }
  }
  return true;
}
} // namespace

int nnc::runForward(const Program &program, const ForwardOptions &opts,
                    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  const ModelGraph &g = *program.graph;
  nnc_named_tensors in{};
  if (nnc_safetensors_load(opts.inputFile.c_str(), &in)) {
    diags.error(nnc_last_error());
    return 1;
  }
  struct Freer {
    nnc_named_tensors &t;
    ~Freer() { nnc_named_free(&t); }
  } freeIn{in};

  // Bind arguments (inputs, then parameters) by name.
  std::vector<const Node *> args;
  for (auto &n : g.inputs)
    args.push_back(n.get());
  for (auto &n : g.params)
    args.push_back(n.get());
  std::map<std::string, int64_t> syms;
  std::vector<Descriptor> descs;
  std::string missing;
  for (const Node *n : args) {
    int64_t k = nnc_named_find(&in, n->name.c_str());
    if (k < 0) {
      missing += (missing.empty() ? "" : ", ") + n->name;
      continue;
    }
    if (!bindTensor(n->name, in.tensors[k], n->type, syms, opts.inputFile, diags))
      return 1;
    descs.emplace_back(n->type.rank());
    descs.back().set(in.tensors[k].data, in.tensors[k].dims, n->type.rank());
  }
  if (!missing.empty()) {
    diags.error("'" + opts.inputFile + "' has no tensor for " + missing);
    return 1;
  }

  mlir::DialectRegistry registry;
  registerEverything(registry);
  mlir::MLIRContext ctx(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlirGen(ctx, g, program.model->name, srcMgr, diags);
  if (!module || !lowerToLLVMDialect(*module, Stage::LLVM, diags))
    return 1;
  auto tm = hostMachine(opts.codegen, diags);
  if (!tm)
    return 1;
  mlir::ExecutionEngineOptions eo;
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(opts.codegen.optLevel, 0, tm.get());
  eo.transformer = transformer;
  eo.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = mlir::ExecutionEngine::create(*module, eo);
  if (!engine) {
    diags.error("JIT compilation failed: " + llvm::toString(engine.takeError()));
    return 1;
  }
  // Generated code calls into the runtime linked into this binary.
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    map[interner("memrefCopy")] = {llvm::orc::ExecutorAddr::fromPtr(&memrefCopy),
                                   llvm::JITSymbolFlags::Exported};
    return map;
  });

  // Results come back as one struct of descriptors (or one descriptor).
  std::vector<Descriptor> results;
  size_t words = 0;
  for (auto &o : g.outputs) {
    results.emplace_back(o.second->type.rank());
    words += results.back().words.size();
  }
  std::vector<int64_t> resultBlock(words, 0);
  void *resultPtr = resultBlock.data();
  std::vector<void *> descPtrs;
  for (Descriptor &d : descs)
    descPtrs.push_back(d.words.data());
  std::vector<void *> packed{&resultPtr};
  for (void *&p : descPtrs)
    packed.push_back(&p);
  std::string fn = "_mlir_ciface_" + program.model->name + "_forward";
  if (llvm::Error err = (*engine)->invokePacked(fn, packed)) {
    diags.error("cannot run '" + fn + "': " + llvm::toString(std::move(err)));
    return 1;
  }

  nnc_named_tensors out{};
  Freer freeOut{out};
  size_t at = 0;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    Descriptor &d = results[k];
    std::copy(resultBlock.begin() + at,
              resultBlock.begin() + at + d.words.size(), d.words.begin());
    at += d.words.size();
    const TensorType &type = g.outputs[k].second->type;
    nnc_tensor t{};
    t.dtype = runtimeType(type.dtype);
    t.rank = type.rank();
    for (int r = 0; r < t.rank; ++r)
      t.dims[r] = d.words[3 + r];
    if (nnc_tensor_alloc(&t)) {
      diags.error(nnc_last_error());
      return 1;
    }
    // Copy honouring the strides the generated code chose.
    int64_t n = nnc_tensor_numel(&t), esz = nnc_dtype_size(t.dtype);
    const char *src = static_cast<const char *>(d.data()) + d.words[2] * esz;
    for (int64_t i = 0; i < n; ++i) {
      int64_t rem = i, off = 0;
      for (int r = t.rank - 1; r >= 0; --r) {
        off += (rem % t.dims[r]) * d.words[3 + t.rank + r];
        rem /= t.dims[r];
      }
      std::memcpy(static_cast<char *>(t.data) + i * esz, src + off * esz, esz);
    }
    std::free(d.base()); // returned buffers belong to the caller
    nnc_named_append(&out, g.outputs[k].first.c_str(), t);
  }
  if (!opts.outputFile.empty()) {
    if (nnc_safetensors_save(opts.outputFile.c_str(), &out)) {
      diags.error(nnc_last_error());
      return 1;
    }
    return 0;
  }
  for (int64_t k = 0; k < out.count; ++k) {
    std::printf("%s = ", out.names[k]);
    std::fflush(stdout);
    if (out.tensors[k].dtype == NNC_F32)
      nnc_print_f32(static_cast<const float *>(out.tensors[k].data),
                    out.tensors[k].rank, out.tensors[k].dims);
    else
      std::printf("%s tensor %s\n", "non-f32", shapeOf(out.tensors[k]).c_str());
  }
  return 0;
}
