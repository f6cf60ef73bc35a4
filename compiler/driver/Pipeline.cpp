//===- Pipeline.cpp - The stages after sema -------------------------------===//
//
// MLIRGen -> nn-lower-to-linalg -> one-shot bufferization -> loops ->
// LLVM dialect -> LLVM IR -> target code. The pass pipelines of each stage
// are pipelines/Pipelines.cpp's, run by name (parsePassPipeline), which
// keeps this file free of the conversion headers that cost tens of seconds
// each to compile.
//
//===----------------------------------------------------------------------===//
#include "driver/Pipeline.h"
#include "codegen/Remarks.h"
#include "dialect/NNAttrNames.h"
#include "dialect/NNDialect.h"
#include "driver/Compile.h"
#include "driver/CompileCache.h"
#include "driver/GpuTarget.h"
#include "driver/ObjectCode.h"
#include "driver/Signature.h"
#include "driver/Timing.h"
#include "mlirgen/MLIRGen.h"
#include "pipelines/Pipelines.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#ifdef NNC_SANITIZE
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#endif
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <optional>
#include <thread>

using namespace nnc;

void nnc::registerMLIROptions() {
  // --mlir-print-ir-after=PASS looks passes up while parsing.
  registerPassesAndPipelines();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
}

void nnc::registerEverything(mlir::DialectRegistry &registry) {
  registerPassesAndPipelines();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<nn::NNDialect>();
}

namespace {
/// Runs `pipeline` on `module`. On failure: an internal error after MLIR's
/// diagnostic, or, with `why`, nothing printed and the first error's text
/// in `why` for the caller to report.
bool runPipeline(mlir::ModuleOp module, const std::string &pipeline,
                 DiagnosticEngine &diags, const char *stage,
                 std::string *why = nullptr) {
  StageTimer timer(stage);
  std::optional<mlir::ScopedDiagnosticHandler> capture;
  if (why)
    capture.emplace(module.getContext(), [why](mlir::Diagnostic &d) {
      if (d.getSeverity() == mlir::DiagnosticSeverity::Error && why->empty())
        *why = d.str();
      return mlir::success();
    });
  mlir::PassManager pm(module->getName());
  timePasses(pm);
  // --mlir-print-ir-after=..., --mlir-timing and the like (hidden flags).
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)) ||
      mlir::failed(mlir::parsePassPipeline(pipeline, pm))) {
    diags.error("internal error: bad pass pipeline");
    return false;
  }
  if (mlir::failed(pm.run(module))) {
    if (!why)
      diags.error("internal error: code generation failed (see the "
                  "diagnostic above)");
    return false;
  }
  return true;
}

} // namespace

/// LLVM's scheduler after register allocation (on for Zen CPUs) took over
/// half of code generation, on the long straight-line code of a step's C
/// interface, and no measurable run time on nnc's loops: off, unless the
/// command line sets -post-RA-scheduler itself. (LLVM obeys the option
/// only at a position > 0, as if it had been given on a command line.)
static void defaultCodegenOptions() {
  static bool done = [] {
    for (llvm::cl::SubCommand *sub : {&llvm::cl::SubCommand::getTopLevel(),
                                      &llvm::cl::SubCommand::getAll()}) {
      auto &options = llvm::cl::getRegisteredOptions(*sub);
      auto it = options.find("post-RA-scheduler");
      if (it == options.end())
        continue;
      if (it->second->getNumOccurrences() == 0)
        it->second->addOccurrence(1, "post-RA-scheduler", "false");
      break;
    }
    return true;
  }();
  (void)done;
}

std::unique_ptr<llvm::TargetMachine>
nnc::hostMachine(const CodegenOptions &opts, DiagnosticEngine &diags) {
  defaultCodegenOptions();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) {
    diags.error("no code generator for " + triple.str() + ": " + err);
    return nullptr;
  }
  std::string cpu =
      opts.cpu.empty() ? llvm::sys::getHostCPUName().str() : opts.cpu;
  std::string features;
  if (opts.cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &kv : llvm::sys::getHostCPUFeatures())
      f.AddFeature(kv.first(), kv.second);
    features = f.getString();
  }
  llvm::TargetOptions to;
  // Constructors (--target=cuda's kernel loading) in .init_array, which the
  // C library runs (LLVM's default, .ctors, it no longer does).
  to.UseInitArray = true;
  auto tm = std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, to, llvm::Reloc::PIC_));
  if (!tm)
    diags.error("cannot create a code generator for CPU '" + cpu + "'");
  return tm;
}

void nnc::optimizeModule(llvm::Module &m, llvm::TargetMachine &tm,
                         unsigned level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // No loop unrolling: it fully unrolled inner loops of 32-128 iterations
  // before the vectoriser saw them (leaving scalar code), and multiplied
  // the size of the code LLVM then compiles several times over. The
  // vectoriser's interleaving still unrolls what it vectorises.
  llvm::PipelineTuningOptions pto;
  pto.LoopUnrolling = false;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel ol = level >= 3   ? llvm::OptimizationLevel::O3
                               : level == 2 ? llvm::OptimizationLevel::O2
                               : level == 1 ? llvm::OptimizationLevel::O1
                                            : llvm::OptimizationLevel::O0;
  llvm::ModulePassManager mpm = level == 0
                                    ? pb.buildO0DefaultPipeline(ol)
                                    : pb.buildPerModuleDefaultPipeline(ol);
#ifdef NNC_SANITIZE
  // The sanitizer build checks generated code's memory accesses too, after
  // optimisation as clang does. Its globals are left alone (no section-GC
  // metadata or ODR indicators, which the JIT's linker does not know).
  for (llvm::Function &f : m)
    if (!f.isDeclaration())
      f.addFnAttr(llvm::Attribute::SanitizeAddress);
  mpm.addPass(llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions(),
                                         /*UseGlobalGC=*/false,
                                         /*UseOdrIndicator=*/false));
#endif
  mpm.run(m, mam);
}

bool nnc::lowerToLLVMDialect(mlir::ModuleOp module, Stage stopAt,
                             DiagnosticEngine &diags,
                             const CodegenOptions &opts) {
  if (!runPipeline(module, toLinalgPipeline(), diags, "lowering to linalg"))
    return false;
  if (stopAt == Stage::Linalg)
    return true;
  PipelineOptions po;
  po.threads = opts.threads;
  po.threadsAtRunTime = opts.threadsAtRunTime;
  po.kernels = opts.kernels;
  po.int8 = opts.int8;
  po.gpuChip = opts.gpuArch;
  po.cudaPath = opts.cudaPath;
  po.gpuLoopsOnCpu = opts.gpuLoopsOnCpu;
  po.gpuTiles = opts.gpuTiles;
  if (!runPipeline(module, bufferizePipeline(po), diags, "bufferization"))
    return false;
  if (opts.remarks)
    reportRemarks(module, diags);
  if (stopAt == Stage::Buffers)
    return true;
  if (!po.gpuChip.empty()) {
    if (!runPipeline(module, gpuKernelsPipeline(po), diags, "GPU kernels"))
      return false;
    if (stopAt == Stage::GPU)
      return true;
    if (!runPipeline(module, nvvmPipeline(po), diags, "NVVM"))
      return false;
    if (stopAt == Stage::NVVM)
      return true;
    // What fails here is the toolkit's (a damaged libdevice), said so.
    std::string why;
    if (!runPipeline(module, gpuBinaryPipeline(po), diags, "PTX", &why)) {
      diags.error("--target=cuda: the kernels could not be compiled to PTX "
                  "with the CUDA toolkit at '" +
                  po.cudaPath + "': " + why);
      return false;
    }
    if (!checkKernelPTX(module, po.cudaPath, diags))
      return false;
    if (stopAt == Stage::PTX)
      return true;
    if (!addCubins(module, po.gpuChip, po.cudaPath, diags))
      return false;
  }
  return runPipeline(module, toLLVMPipeline(po), diags,
                     "loops and the LLVM dialect");
}

Entry nnc::entryOf(const Program &program) {
  Entry e;
  if (program.mainGraph) {
    e.graph = program.mainGraph.get();
    e.name = "main";
    e.isProgram = true;
  } else if (program.graph) {
    e.graph = program.graph.get();
    e.name = program.model->name;
  }
  return e;
}

Entry nnc::lossEntryOf(const Program &program, bool wrtInputs) {
  Entry e;
  e.gradients = true;
  e.wrtInputs = wrtInputs;
  if (program.lossGraph && program.model) {
    e.graph = program.lossGraph.get();
    e.name = program.model->name + "_loss";
    e.training = true;
  } else if (program.graph && program.graph->outputs.size() == 1) {
    const TensorType &t = program.graph->outputs[0].second->type;
    if (t.dims.empty() && isFloat(t.dtype)) {
      e.graph = program.graph.get();
      e.name = program.model->name;
    }
  }
  return e;
}

std::vector<ObjectiveEntry> nnc::objectiveEntriesOf(const Program &program,
                                                    bool wrtInputs) {
  std::vector<ObjectiveEntry> out;
  const TrainPlan *plan = program.train.get();
  if (!plan || program.lossGraph)
    return out;
  for (const TrainPlan::Objective &o : plan->objectives) {
    const auto &[label, node] = plan->loss.outputs[o.output];
    auto graph = std::make_shared<ModelGraph>(plan->loss);
    graph->outputs = {{"loss", node}};
    std::string name = label;
    std::replace(name.begin(), name.end(), '.', '_');
    ObjectiveEntry &oe = out.emplace_back();
    oe.graph = graph;
    oe.entry.graph = graph.get();
    oe.entry.name =
        (plan->modelName.empty() ? "step" : plan->modelName) + "_" + name;
    oe.entry.gradients = true;
    oe.entry.wrtInputs = wrtInputs;
    oe.entry.training = true;
    oe.params = o.params;
  }
  return out;
}

Entry nnc::trainEntryOf(const Program &program) {
  Entry e;
  if (program.train) {
    e.train = program.train.get();
    e.graph = &program.train->loss;
    e.name = program.train->modelName;
    e.training = true;
  }
  return e;
}

mlir::OwningOpRef<mlir::ModuleOp> nnc::generate(mlir::MLIRContext &ctx,
                                                const Entry &entry,
                                                const llvm::SourceMgr &srcMgr,
                                                DiagnosticEngine &diags) {
  GenOptions gen;
  gen.wrtParams = entry.gradients;
  gen.wrtInputs = entry.wrtInputs;
  gen.training = entry.training;
  gen.f64 = entry.f64;
  gen.seed = entry.seed;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    StageTimer timer("MLIRGen");
    module =
        entry.train
            ? mlirGenTrain(ctx, *entry.train, srcMgr, diags, entry.collectives)
            : mlirGen(ctx, *entry.graph, entry.name, srcMgr, diags, gen);
  }
  // `grad(...)` in a program leaves functions marked for the reverse-mode
  // pass too.
  bool marked = false;
  if (module)
    module->walk(
        [&](mlir::Operation *op) { marked |= op->hasAttr(nnc::attr::kWrt); });
  if (!module || !marked)
    return module;
  // The reverse-mode pass reports an op it cannot differentiate at the
  // op's .nn location; the canonicaliser and CSE remove dead gradients.
  StageTimer timer("autodiff");
  mlir::PassManager pm(module.get()->getName());
  timePasses(pm);
  bool reported = false;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (d.getSeverity() != mlir::DiagnosticSeverity::Error)
      return mlir::success();
    reported = true;
    diags.error(sourceLoc(srcMgr, d.getLocation()), d.str());
    return mlir::success();
  });
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)) ||
      mlir::failed(mlir::parsePassPipeline(autodiffPipeline(), pm)) ||
      mlir::failed(pm.run(*module))) {
    if (!reported)
      diags.error("internal error: cannot compute the gradients of '" +
                  entry.name + "'");
    return nullptr;
  }
  return module;
}

static mlir::DialectRegistry everything() {
  mlir::DialectRegistry registry;
  registerEverything(registry);
  return registry;
}

GeneratedModule::GeneratedModule(const Entry &entry,
                                 const llvm::SourceMgr &srcMgr,
                                 DiagnosticEngine &diags)
    : ctx(everything()), module(generate(ctx, entry, srcMgr, diags)) {}

/// The calling contract of a generated function, read from the `nn.*`
/// attributes MLIRGen put on its arguments and results. Symbolic sizes
/// take their names from `graph`'s inputs of the same name.
ModelSignature nnc::signatureOfFunction(mlir::func::FuncOp f,
                                        const ModelGraph &graph) {
  ModelSignature sig;
  auto convert = [&](mlir::Type type, mlir::DictionaryAttr attrs) {
    ArgSignature a;
    auto str = [&](llvm::StringRef key) {
      auto v = attrs ? attrs.getAs<mlir::StringAttr>(key) : nullptr;
      return v ? v.getValue().str() : std::string();
    };
    a.name = str(nnc::attr::kName);
    // Results without a kind are a forward function's outputs.
    int kind = nnc_arg_kind_parse(str(nnc::attr::kKind).c_str());
    a.kind = kind < 0 ? NNC_ARG_OUTPUT : nnc_arg_kind(kind);
    a.source = str(nnc::attr::kSource);
    if (std::string init = str(nnc::attr::kInit); !init.empty()) {
      std::string args;
      for (mlir::NamedAttribute na : attrs)
        if (auto fa = mlir::dyn_cast<mlir::FloatAttr>(na.getValue())) {
          char buf[64];
          snprintf(buf, sizeof buf, "%s=%.17g",
                   na.getName().getValue().drop_front(3).str().c_str(),
                   fa.getValueAsDouble());
          args += (args.empty() ? "" : ",") + std::string(buf);
        }
      a.init = args.empty() ? init : init + "(" + args + ")";
    }
    auto rt = mlir::cast<mlir::RankedTensorType>(type);
    mlir::Type et = rt.getElementType();
    a.type.dtype = et.isF64()         ? DType::F64
                   : et.isInteger(64) ? DType::I64
                   : et.isInteger(32) ? DType::I32
                   : et.isInteger(1)  ? DType::Bool
                                      : DType::F32;
    const Node *named = nullptr;
    for (auto &n : graph.inputs)
      if (n->name == a.name)
        named = n.get();
    for (int64_t d = 0; d < rt.getRank(); ++d)
      a.type.dims.push_back(
          rt.isDynamicDim(d)
              ? Dim::symbol(named && d < int64_t(named->type.dims.size())
                                ? named->type.dims[d].sym
                                : "?")
              : Dim::constant(rt.getDimSize(d)));
    return a;
  };
  for (unsigned k = 0; k < f.getNumArguments(); ++k)
    sig.args.push_back(
        convert(f.getArgument(k).getType(), f.getArgAttrDict(k)));
  for (unsigned k = 0; k < f.getNumResults(); ++k)
    sig.results.push_back(
        convert(f.getResultTypes()[k], f.getResultAttrDict(k)));
  return sig;
}

std::unique_ptr<llvm::Module> nnc::translate(mlir::ModuleOp module,
                                             llvm::TargetMachine &tm,
                                             llvm::LLVMContext &ctx,
                                             DiagnosticEngine &diags) {
  std::unique_ptr<llvm::Module> ir = mlir::translateModuleToLLVMIR(module, ctx);
  if (!ir) {
    diags.error("internal error: translation to LLVM IR failed");
    return nullptr;
  }
  ir->setDataLayout(tm.createDataLayout());
  ir->setTargetTriple(tm.getTargetTriple());
  return ir;
}

bool nnc::compileModule(mlir::ModuleOp module, const CodegenOptions &opts,
                        bool jit, std::vector<std::string> &objects,
                        DiagnosticEngine &diags) {
  auto tm = hostMachine(opts, diags);
  if (!tm)
    return false;
  // Everything that decides the code besides nnc itself (cache::key adds
  // that): the module with its locations, the target and the options.
  // --remarks are printed while lowering, so they bypass the cache.
  std::string key;
  if (opts.cache && !opts.remarks) {
    StageTimer timer("compile cache lookup");
    std::string text;
    llvm::raw_string_ostream ts(text);
    module->print(ts, mlir::OpPrintingFlags().enableDebugInfo(true, false));
    std::string config =
        std::string(jit ? "jit" : "obj") + "|" + tm->getTargetCPU().str() +
        "|" + tm->getTargetFeatureString().str() + "|O" +
        std::to_string(opts.optLevel) + "|t" + std::to_string(opts.threads) +
        (opts.threadsAtRunTime ? "r" : "") + "|k" +
        std::to_string(opts.kernels) + (opts.int8 ? "|int8" : "") +
        (opts.gpuArch.empty() ? ""
                              : "|cuda:" + opts.gpuArch + ":" + opts.cudaPath) +
        (opts.gpuLoopsOnCpu ? "|gpu-loops" : "") +
        (opts.gpuTiles ? "" : "|no-gpu-tiles");
    key = cache::key({text, config});
    if (cache::load(key, objects))
      return true;
  }
  if (!lowerToLLVMDialect(module, Stage::LLVM, diags, opts))
    return false;
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> ir;
  {
    StageTimer timer("translation to LLVM IR");
    ir = translate(module, *tm, ctx, diags);
  }
  if (!ir)
    return false;
  // The JIT takes several objects; an object file is one.
  unsigned threads =
      jit ? std::max(1u, std::min(8u, std::thread::hardware_concurrency())) : 1;
  objects.clear();
  if (!compileToObjects(std::move(ir), *tm, opts, /*packed=*/jit, threads,
                        objects, diags))
    return false;
  if (!key.empty()) {
    StageTimer timer("compile cache store");
    cache::store(key, objects);
  }
  return true;
}

int nnc::emitStage(const Entry &entry, Stage stage, const CodegenOptions &opts,
                   const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
                   llvm::raw_ostream &os,
                   std::vector<ModelSignature> *trainSignatures) {
  GeneratedModule gen(entry, srcMgr, diags);
  mlir::OwningOpRef<mlir::ModuleOp> &module = gen.module;
  if (!module)
    return 1;
  if (trainSignatures && entry.train)
    for (const char *suffix : {"_train_step", "_eval_step"}) {
      auto f = module->lookupSymbol<mlir::func::FuncOp>(entry.name + suffix);
      if (!f) {
        diags.error("internal error: no function '" + entry.name + suffix +
                    "'");
        return 1;
      }
      trainSignatures->push_back(signatureOfFunction(f, *entry.graph));
      trainSignatures->back().model = entry.name + suffix;
    }
  mlir::OpPrintingFlags flags;
  flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  if (stage == Stage::NN) {
    module->print(os, flags);
    return 0;
  }
  if (stage == Stage::Obj) {
    std::vector<std::string> objects;
    if (!compileModule(*module, opts, /*jit=*/false, objects, diags))
      return 1;
    os << objects.front();
    return 0;
  }
  if (!lowerToLLVMDialect(*module, stage, diags, opts))
    return 1;
  if (stage == Stage::PTX) {
    printKernelPTX(*module, os);
    return 0;
  }
  if (stage == Stage::Linalg || stage == Stage::Buffers ||
      stage == Stage::GPU || stage == Stage::NVVM || stage == Stage::LLVM) {
    module->print(os, flags);
    return 0;
  }
  auto tm = hostMachine(opts, diags);
  if (!tm)
    return 1;
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> ir = translate(*module, *tm, llvmCtx, diags);
  if (!ir)
    return 1;
  optimizeModule(*ir, *tm, opts.optLevel);
  if (stage == Stage::LLVMIR) {
    ir->print(os, nullptr);
    return 0;
  }
  std::string text, error;
  if (!emitFile(*ir, *tm, llvm::CodeGenFileType::AssemblyFile, text, error)) {
    diags.error(error);
    return 1;
  }
  os << text;
  return 0;
}
