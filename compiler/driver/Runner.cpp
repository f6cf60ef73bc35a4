//===- Runner.cpp - Running compiled models in the JIT --------------------===//
//
// The same pipeline as `nnc build`, ending in this process (JitEngine). The
// forward function is called through its C interface
// (`_mlir_ciface_<Model>_forward`) with one strided-memref descriptor per
// argument; tensors come from and go to the runtime's safetensors files.
// Shapes are checked against the model before anything runs, and every
// symbolic dimension (the batch `B`) must take one value across inputs.
//
//===----------------------------------------------------------------------===//
#include "driver/Runner.h"
#include "driver/Compile.h"
#include "driver/JitEngine.h"
#include "driver/ModelWeights.h"
#include "driver/Signature.h"
#include "mlirgen/MLIRGen.h"
#include "nnc/runtime.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "mlir/IR/OwningOpRef.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

using namespace nnc;

namespace {
/// The in-memory nnc_model of a JIT-compiled function.
struct JitModel {
  std::vector<nnc_model_arg> args, results;
  std::vector<std::string> strings; ///< owns the names the tables point to
  std::string modelName;
  std::string function;
  nnc_model model{};

  void fill(const ModelSignature &sig) {
    strings.reserve(4 * (sig.args.size() + sig.results.size()) * NNC_MAX_RANK);
    auto convert = [&](const ArgSignature &a) {
      nnc_model_arg m{};
      strings.push_back(a.name);
      m.name = strings.back().c_str();
      m.kind = a.kind;
      m.dtype = static_cast<nnc_dtype>(runtimeDType(a.type.dtype));
      m.rank = a.type.rank();
      if (!a.init.empty()) {
        strings.push_back(a.init);
        m.init = strings.back().c_str();
      }
      if (!a.source.empty()) {
        strings.push_back(a.source);
        m.source = strings.back().c_str();
      }
      for (unsigned d = 0; d < a.type.rank(); ++d) {
        const Dim &dim = a.type.dims[d];
        m.dims[d] = dim.isConst() ? dim.value : -1;
        if (!dim.isConst()) {
          strings.push_back(dim.sym);
          m.syms[d] = strings.back().c_str();
        }
      }
      return m;
    };
    for (auto &a : sig.args)
      args.push_back(convert(a));
    for (auto &r : sig.results)
      results.push_back(convert(r));
    modelName = sig.model;
    model.name = modelName.c_str();
    model.num_args = args.size();
    model.args = args.data();
    model.num_results = results.size();
    model.results = results.data();
    model.invoke = &JitModel::invoke;
    model.ctx = this;
  }

  /// Compiles the function now (the JIT is lazy), so that the first
  /// call is not slower than the others; false (reported) on failure.
  bool resolve(JitEngine *engine, const std::string &name,
               DiagnosticEngine &diags) {
    function = name;
    packedFn = engine->lookupPacked(function, diags);
    return packedFn != nullptr;
  }
  void (*packedFn)(void **) = nullptr;

  static void invoke(void *ctx, void *resultBlock, void **argDescs) {
    auto *self = static_cast<JitModel *>(ctx);
    std::vector<void *> packed{&resultBlock};
    for (size_t k = 0; k < self->args.size(); ++k)
      packed.push_back(&argDescs[k]);
    self->packedFn(packed.data());
  }
};
} // namespace

namespace {
/// Compiles `module` (nn dialect) to object files for the JIT, or takes
/// them from the compile cache, and links them into this process; null
/// (reported) on failure.
std::unique_ptr<JitEngine> createEngine(mlir::ModuleOp module,
                                        const CodegenOptions &codegen,
                                        DiagnosticEngine &diags) {
  std::vector<std::string> objects;
  if (!compileModule(module, codegen, /*jit=*/true, objects, diags))
    return nullptr;
  return JitEngine::create(objects, diags);
}

} // namespace

/// Returns the heap's free pages to the system (glibc keeps them).
static void releaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

/// JIT-compiles the entry and calls `use` with its in-memory nnc_model.
int nnc::withJit(const Entry &entry, const CodegenOptions &codegen,
                 const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
                 const std::function<int(const nnc_model &)> &use) {
  GeneratedModule gen(entry, srcMgr, diags);
  mlir::OwningOpRef<mlir::ModuleOp> &module = gen.module;
  if (!module)
    return 1;
  auto engine = createEngine(*module, codegen, diags);
  if (!engine)
    return 1;
  ModelSignature sig =
      signatureOf(*entry.graph, entry.name, entry.gradients, entry.wrtInputs);
  if (entry.f64)
    for (auto *list : {&sig.args, &sig.results})
      for (ArgSignature &a : *list)
        if (a.type.dtype == DType::F32)
          a.type.dtype = DType::F64;
  JitModel jit;
  jit.fill(sig);
  if (!jit.resolve(engine.get(), "_mlir_ciface_" + sig.model + "_forward",
                   diags))
    return 1;
  return use(jit.model);
}

int nnc::withTrainJit(
    const Entry &entry, const CodegenOptions &codegen,
    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
    const std::function<int(const nnc_model &, const nnc_model &)> &use) {
  auto gen = std::make_unique<GeneratedModule>(entry, srcMgr, diags);
  mlir::OwningOpRef<mlir::ModuleOp> &module = gen->module;
  if (!module)
    return 1;
  // Read the contracts before lowering turns the functions into LLVM's.
  JitModel jits[2];
  const char *suffixes[2] = {"_train_step", "_eval_step"};
  for (int k = 0; k < 2; ++k) {
    std::string fname = entry.name + suffixes[k];
    auto f = module->lookupSymbol<mlir::func::FuncOp>(fname);
    if (!f) {
      diags.error("internal error: no function '" + fname + "'");
      return 1;
    }
    ModelSignature sig = signatureOfFunction(f, *entry.graph);
    sig.model = entry.name;
    jits[k].fill(sig);
  }
  auto engine = createEngine(*module, codegen, diags);
  if (!engine)
    return 1;
  for (int k = 0; k < 2; ++k)
    if (!jits[k].resolve(engine.get(),
                         "_mlir_ciface_" + entry.name + suffixes[k], diags))
      return 1;
  // The steps are machine code now: the compiler's IR and the heap it used
  // go back to the system before training loads its data.
  gen.reset();
  releaseFreedMemory();
  return use(jits[0].model, jits[1].model);
}

int nnc::runForward(const Entry &entry, const ForwardOptions &opts,
                    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  nnc_named_tensors in{}, out{};
  struct Freer {
    nnc_named_tensors &a, &b;
    ~Freer() {
      nnc_named_free(&a);
      nnc_named_free(&b);
    }
  } freer{in, out};
  if (nnc_safetensors_load(opts.inputFile.c_str(), &in)) {
    diags.error(nnc_last_error());
    return 1;
  }
  if (!opts.checkpoint.empty()) {
    nnc_named_tensors ckpt{};
    if (nnc_safetensors_load(opts.checkpoint.c_str(), &ckpt)) {
      diags.error(nnc_last_error());
      return 1;
    }
    // The input file's tensors win; the checkpoint gives the rest, from
    // below the model's instance name where it holds several (`gen.`).
    std::string prefix =
        opts.instance.empty()
            ? instancePrefix(ckpt, signatureOf(*entry.graph, entry.name))
            : opts.instance + ".";
    bool any = opts.instance.empty();
    for (int64_t k = 0; k < ckpt.count && !any; ++k)
      any = llvm::StringRef(ckpt.names[k]).starts_with(prefix);
    if (!any) {
      nnc_named_free(&ckpt);
      diags.error("'" + opts.checkpoint + "' holds no instance '" +
                  opts.instance + "'");
      return 1;
    }
    for (int64_t k = 0; k < ckpt.count; ++k) {
      llvm::StringRef name(ckpt.names[k]);
      if (!name.consume_front(prefix))
        continue;
      std::string local = name.str();
      if (nnc_named_find(&in, local.c_str()) < 0) {
        nnc_named_append(&in, local.c_str(), ckpt.tensors[k]);
        ckpt.tensors[k] = nnc_tensor{};
      }
    }
    nnc_named_free(&ckpt);
  }
  return withJit(entry, opts.codegen, srcMgr, diags, [&](const nnc_model &m) {
    if (nnc_model_forward(&m, &in, &out)) {
      std::string msg = nnc_last_error();
      bool params = false;
      for (int32_t a = 0; a < m.num_args; ++a)
        params |= m.args[a].kind == NNC_ARG_PARAM;
      if (opts.checkpoint.empty() && params &&
          llvm::StringRef(msg).starts_with("no tensor for"))
        msg += " (the parameters come from the input file or from "
               "--checkpoint FILE.safetensors, the file that `nnc run`, "
               "`nnc init` or `nnc import` wrote)";
      diags.error("'" + opts.inputFile + "': " + msg);
      return 1;
    }
    if (opts.benchRuns) {
      // Median and 10th/90th percentiles of the forward time (the run
      // above warmed up; the timed ones write into its results).
      double ms[3];
      if (nnc_model_bench(&m, &in, &out, opts.benchRuns, ms)) {
        diags.error(nnc_last_error());
        return 1;
      }
      std::printf("forward ms: median %.4f p10 %.4f p90 %.4f (%u runs)\n",
                  ms[0], ms[1], ms[2], opts.benchRuns);
      return 0;
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
      nnc_print_tensor(&out.tensors[k]);
    }
    return 0;
  });
}

int nnc::runPredict(const Entry &entry, const PredictOptions &opts,
                    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  // The checkpoint of several models: the instance given, else the one
  // that fits (nnc_predict checks the tensors and says what the file holds).
  std::string prefix = opts.instance.empty() ? "" : opts.instance + ".";
  nnc_named_tensors w{};
  if (prefix.empty() &&
      !nnc_safetensors_load(opts.checkpoints.front().c_str(), &w))
    prefix = instancePrefix(w, signatureOf(*entry.graph, entry.name));
  nnc_named_free(&w);
  std::vector<const char *> members;
  for (const std::string &c : opts.checkpoints)
    members.push_back(c.c_str());
  return withJit(entry, opts.codegen, srcMgr, diags, [&](const nnc_model &m) {
    nnc_predict_config cfg{};
    cfg.data = opts.data.c_str();
    cfg.checkpoint = members.front();
    cfg.num_members = int32_t(members.size());
    cfg.members = members.data();
    cfg.average_logits = opts.averageLogits;
    cfg.tta = opts.tta.empty() ? nullptr : opts.tta.c_str();
    cfg.metrics_out =
        opts.metricsOut.empty() ? nullptr : opts.metricsOut.c_str();
    cfg.prefix = prefix.c_str();
    cfg.output = opts.output.empty() ? nullptr : opts.output.c_str();
    cfg.batch = opts.batch;
    cfg.top_k = opts.topK;
    cfg.progress = opts.progress;
    if (nnc_predict(&m, &cfg)) {
      std::string msg = nnc_last_error();
      if (msg.find("does not fit model") != std::string::npos)
        msg += " (a checkpoint trained with --set NAME=VALUE needs the same "
               "--set here)";
      diags.error(msg);
      return 1;
    }
    return 0;
  });
}

int nnc::initModel(const Entry &entry, uint64_t seed, const std::string &out,
                   const CodegenOptions &codegen, const llvm::SourceMgr &srcMgr,
                   DiagnosticEngine &diags) {
  return withJit(entry, codegen, srcMgr, diags, [&](const nnc_model &m) {
    nnc_named_tensors w{};
    int rc = nnc_model_init_params(&m, seed, &w) ||
             nnc_safetensors_save(out.c_str(), &w);
    nnc_named_free(&w);
    if (rc) {
      diags.error(nnc_last_error());
      return 1;
    }
    llvm::errs() << "initial parameters of '" << entry.name << "' (seed "
                 << seed << ") written to " << out << "\n";
    return 0;
  });
}

int nnc::runProgram(const Entry &entry, uint64_t seed,
                    const CodegenOptions &codegen,
                    const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  return withJit(entry, codegen, srcMgr, diags, [&](const nnc_model &m) {
    if (nnc_program_run(&m, seed)) {
      diags.error(nnc_last_error());
      return 1;
    }
    return 0;
  });
}
